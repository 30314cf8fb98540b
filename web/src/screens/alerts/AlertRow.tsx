/** One open alert: what, how bad (the sender's word), from where, since when, how often; ack and resolve. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { type Alert, alertKeys, setAlertStatus } from "../../api/alerts.ts";
import { keys } from "../../api/queries.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { Time } from "../../components/Time.tsx";
import { alertSource, alertStatusLabel } from "../../lib/alerts.ts";
import { dateTime } from "../../lib/time.ts";

export function AlertRow({ alert }: { alert: Alert }) {
  const queryClient = useQueryClient();
  const change = useMutation({
    mutationFn: (action: "acknowledge" | "resolve") => setAlertStatus(alert.id, action),
    onSuccess: (updated) => {
      queryClient.setQueryData<Alert[]>(alertKeys.open, (list) =>
        list?.map((a) => (a.id === updated.id ? updated : a)),
      );
      void queryClient.invalidateQueries({ queryKey: alertKeys.open });
      void queryClient.invalidateQueries({ queryKey: keys.incidentLists });
    },
  });
  const titleId = `alert-${alert.id}`;
  return (
    <li className={`alert-row alert-${alert.status}`} aria-labelledby={titleId}>
      <div className="alert-main">
        <span className={`badge alert-status status-${alert.status}`}>{alertStatusLabel[alert.status]}</span>
        <span className="tag">{alert.severity}</span>
        <span id={titleId} className="alert-summary">
          {alert.summary}
        </span>
      </div>
      <div className="incident-meta">
        <span>from {alertSource(alert)}</span>
        <span title={dateTime(alert.firstSeenAt)}>
          fired <Time iso={alert.firstSeenAt} />
        </span>
        <span>
          {alert.occurrences === 1 ? "once" : `${alert.occurrences} times`}
          {alert.occurrences > 1 ? (
            <>
              , last <Time iso={alert.lastSeenAt} />
            </>
          ) : null}
        </span>
        {alert.incidentId !== null ? (
          <Link to="/incidents/$id" params={{ id: alert.incidentId }}>
            incident #{alert.incidentId}
          </Link>
        ) : null}
        {alert.flapping ? <span className="tag tag-warn">flapping</span> : null}
        {alert.suppressed ? <span className="tag">in maintenance: not paged</span> : null}
      </div>
      <div className="button-row">
        {alert.status === "firing" ? (
          <button type="button" disabled={change.isPending} onClick={() => change.mutate("acknowledge")}>
            Acknowledge
          </button>
        ) : null}
        <button type="button" disabled={change.isPending} onClick={() => change.mutate("resolve")}>
          Resolve
        </button>
      </div>
      <ErrorNote error={change.error} />
    </li>
  );
}
