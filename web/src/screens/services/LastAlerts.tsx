/** The service's last alerts, newest first, re-read every 15 seconds (alerts have no stream). */
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { LAST_ALERTS, serviceAlertsQuery } from "../../api/services.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { Time } from "../../components/Time.tsx";

export function LastAlerts({ serviceId }: { serviceId: number }) {
  const alerts = useQuery(serviceAlertsQuery(serviceId));
  return (
    <section aria-labelledby="last-alerts-heading" className="group">
      <h2 id="last-alerts-heading">Last alerts</h2>
      <ErrorNote error={alerts.error} />
      {alerts.data ? (
        alerts.data.length === 0 ? (
          <p className="empty">No alerts received yet.</p>
        ) : (
          <table className="table last-alerts">
            <caption className="visually-hidden">The last {LAST_ALERTS} alerts, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Alert</th>
                <th scope="col">Status</th>
                <th scope="col">Severity</th>
                <th scope="col">From</th>
                <th scope="col">Last seen</th>
                <th scope="col">Incident</th>
              </tr>
            </thead>
            <tbody>
              {alerts.data.map((a) => (
                <tr key={a.id}>
                  <td>
                    {a.summary}
                    {a.occurrences > 1 ? <span className="hint"> ×{a.occurrences}</span> : null}
                    {a.suppressed ? <span className="tag">in maintenance</span> : null}
                    {a.flapping ? <span className="tag tag-warn">flapping</span> : null}
                  </td>
                  <td>{a.status}</td>
                  <td>{a.severity}</td>
                  <td>{a.source}</td>
                  <td>
                    <Time iso={a.lastSeenAt} />
                  </td>
                  <td>
                    {a.incidentId === null ? (
                      "—"
                    ) : (
                      <Link to="/incidents/$id" params={{ id: a.incidentId }}>
                        #{a.incidentId}
                      </Link>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : alerts.isPending ? (
        <p aria-busy="true">Loading alerts…</p>
      ) : null}
    </section>
  );
}
