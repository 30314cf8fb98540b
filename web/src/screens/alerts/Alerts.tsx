/**
 * Alerts: incidents in triage to accept or decline, and the open (firing and acknowledged) alerts
 * by service, newest first. No stream exists for alerts: the screen re-reads every 15 seconds and
 * when the window regains focus.
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ALERTS_REFRESH_MS, openAlertsQuery } from "../../api/alerts.ts";
import { incidentsQuery } from "../../api/queries.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { groupByService } from "../../lib/alerts.ts";
import { AlertRow } from "./AlertRow.tsx";
import { TriageRow } from "./TriageRow.tsx";

const refresh = { refetchInterval: ALERTS_REFRESH_MS, refetchOnWindowFocus: "always" } as const;

function clock(at: number): string {
  return at ? new Intl.DateTimeFormat(undefined, { timeStyle: "medium" }).format(at) : "";
}

export function Alerts() {
  const alerts = useQuery({ ...openAlertsQuery, ...refresh });
  const triage = useQuery({ ...incidentsQuery({ state: "triage", limit: 200 }), ...refresh });
  const [done, setDone] = useState("");
  const groups = groupByService(alerts.data ?? []);
  const open = groups.reduce((n, g) => n + g.alerts.length, 0);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Alerts</h1>
        <span className="hint refreshed" aria-busy={alerts.isFetching || triage.isFetching}>
          {alerts.dataUpdatedAt ? `Updated ${clock(alerts.dataUpdatedAt)}; refreshes every 15 s` : ""}
        </span>
      </div>

      <section aria-labelledby="triage-heading" className="group">
        <h2 id="triage-heading">
          Triage incidents {triage.data ? <span className="count">({triage.data.length})</span> : null}
        </h2>
        <output className="hint" aria-live="polite">
          {done}
        </output>
        <ErrorNote error={triage.error} />
        {triage.isPending ? <p aria-busy="true">Loading triage incidents…</p> : null}
        {triage.data?.length === 0 ? <p className="empty">Nothing waiting in triage.</p> : null}
        <ul className="incident-list">
          {triage.data?.map((i) => (
            <TriageRow key={i.id} incident={i} onDone={setDone} />
          ))}
        </ul>
      </section>

      <section aria-labelledby="open-heading" className="group">
        <h2 id="open-heading">Open alerts {alerts.data ? <span className="count">({open})</span> : null}</h2>
        <ErrorNote error={alerts.error} />
        {alerts.isPending ? <p aria-busy="true">Loading alerts…</p> : null}
        {alerts.data && groups.length === 0 ? <p className="empty">No open alerts.</p> : null}
        {groups.map((g) => (
          <section key={g.serviceId} aria-labelledby={`service-${g.serviceId}`} className="service-group">
            <h3 id={`service-${g.serviceId}`}>
              {g.service}{" "}
              <span className="count">
                ({g.firing} firing, {g.alerts.length - g.firing} acknowledged)
              </span>
            </h3>
            <ul className="incident-list">
              {g.alerts.map((a) => (
                <AlertRow key={a.id} alert={a} />
              ))}
            </ul>
          </section>
        ))}
      </section>
    </div>
  );
}
