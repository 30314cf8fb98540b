/** One audit entry as a table row: when, what happened, who, on what, from where, and the rest. */
import type { User } from "../../api/types.ts";
import { type AuditEntry, actionLabels, detailPairs } from "./entries.ts";

const exact = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

function Who({ entry, people }: { entry: AuditEntry; people: Map<number, User> }) {
  const person = entry.actorId === null ? undefined : people.get(entry.actorId);
  if (person) return <>{person.name ? `${person.name} (${person.username})` : person.username}</>;
  if (entry.actorName === null) return <span className="muted">nobody signed in</span>;
  return (
    <>
      {entry.actorName}
      {entry.action === "sign-in-failed" ? <span className="muted"> (name tried)</span> : null}
    </>
  );
}

export function EntryRow({ entry, people }: { entry: AuditEntry; people: Map<number, User> }) {
  const detail = detailPairs(entry.detail);
  return (
    <tr>
      <td className="audit-when">
        <time dateTime={entry.at}>{exact.format(new Date(entry.at))}</time>
      </td>
      <td>
        <span className={`audit-action audit-${entry.action}`}>{actionLabels[entry.action]}</span>
      </td>
      <td>
        <Who entry={entry} people={people} />
      </td>
      <td>
        {entry.target ? <div>{entry.target}</div> : null}
        {entry.method || entry.route ? (
          <code>
            {entry.method} {entry.route}
          </code>
        ) : null}
        {entry.status !== null ? <div className="muted">answered {entry.status}</div> : null}
      </td>
      <td>
        <code>{entry.network}</code>
      </td>
      <td>{entry.requestId ? <code className="audit-id">{entry.requestId}</code> : "—"}</td>
      <td>
        {detail.length ? (
          <dl className="audit-detail">
            {detail.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        ) : (
          "—"
        )}
      </td>
    </tr>
  );
}
