/** The incident's title (editable), its badges, and the workflow's next steps as buttons. */
import { type FormEvent, useState } from "react";
import { api } from "../../api/client.ts";
import type { Incident, IncidentState } from "../../api/types.ts";
import { SeverityBadge, StateBadge } from "../../components/Badges.tsx";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { Time } from "../../components/Time.tsx";
import { useFocusOnMount } from "../../lib/focus.ts";
import { incidentTitle, transitionLabel } from "../../lib/incidents.ts";
import { useIncidentCommand } from "./useCommand.ts";

function TitleEditor({ incident, onDone }: { incident: Incident; onDone: () => void }) {
  const focusRef = useFocusOnMount<HTMLInputElement>();
  const save = useIncidentCommand(incident.id, (title: string) =>
    api<Incident>("PATCH", `/incidents/${incident.id}`, { title }),
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const title = String(new FormData(e.currentTarget).get("title") ?? "").trim();
    save.mutate(title, { onSuccess: onDone });
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <label className="grow">
        Title
        <input name="title" defaultValue={incident.title} maxLength={200} ref={focusRef} />
      </label>
      <button type="submit" className="primary" disabled={save.isPending}>
        Save title
      </button>
      <button type="button" onClick={onDone}>
        Cancel
      </button>
      <ErrorNote error={save.error} />
    </form>
  );
}

function StateActions({ incident }: { incident: Incident }) {
  const [reason, setReason] = useState("");
  const move = useIncidentCommand(incident.id, (status: IncidentState) =>
    api<Incident>("POST", `/incidents/${incident.id}/status`, { status, ...(reason ? { reason } : {}) }),
  );
  if (incident.nextStates.length === 0) return null;
  return (
    <section className="state-actions" aria-labelledby="next-steps">
      <h2 id="next-steps" className="visually-hidden">
        Next steps
      </h2>
      <label>
        Reason (optional, goes on the timeline)
        <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} />
      </label>
      <div className="button-row">
        {incident.nextStates.map((to) => (
          <button
            key={to}
            type="button"
            className={to === "resolved" || to === "investigating" ? "primary" : undefined}
            disabled={move.isPending}
            onClick={() => move.mutate(to, { onSuccess: () => setReason("") })}
          >
            {transitionLabel(incident.state, to)}
          </button>
        ))}
      </div>
      {incident.closableAt ? (
        <p className="hint">
          May close <Time iso={incident.closableAt} />, once stable for the severity's close delay.
        </p>
      ) : null}
      <ErrorNote error={move.error} />
    </section>
  );
}

/** Only http(s) addresses become links (an issue's address comes from the tracker's answer). */
const webAddress = (url: string | null | undefined) => (url && /^https?:\/\//i.test(url) ? url : null);

/** Where the incident lives besides Firebreak (DEC-2): its call and its tracker issue. */
function Places({ incident }: { incident: Incident }) {
  const call = webAddress(incident.videoBridge);
  const issue = incident.trackerIssue;
  const issueUrl = webAddress(issue?.url);
  if (!call && !issueUrl) return null;
  return (
    <p className="badges incident-places">
      {call ? (
        <a href={call} target="_blank" rel="noopener noreferrer">
          Join the call
        </a>
      ) : null}
      {issue && issueUrl ? (
        <a href={issueUrl} target="_blank" rel="noopener noreferrer">
          {issue.kind === "gitlab" ? "GitLab" : "GitHub"} issue {issue.project}#{issue.number}
        </a>
      ) : null}
    </p>
  );
}

export function Header({ incident }: { incident: Incident }) {
  const [editing, setEditing] = useState(false);
  return (
    <header className="incident-header">
      {editing ? (
        <TitleEditor incident={incident} onDone={() => setEditing(false)} />
      ) : (
        <div className="title-row">
          <h1>
            <span className="muted">#{incident.id}</span> {incidentTitle(incident)}
          </h1>
          <button type="button" className="link-button" onClick={() => setEditing(true)}>
            Edit title
          </button>
        </div>
      )}
      <p className="badges">
        <StateBadge state={incident.state} />
        <SeverityBadge id={incident.severity} />
        <span className="tag">{incident.type}</span>
        {incident.visibility === "private" ? <span className="tag">private</span> : null}
        <span className="muted">
          declared <Time iso={incident.declaredAt} /> by {incident.declaredBy.name}
        </span>
      </p>
      <Places incident={incident} />
      <StateActions incident={incident} />
    </header>
  );
}
