/**
 * The support systems the incident touches (PAGE-8): its criticality (the highest of theirs), the
 * escalation level reached and the next one, the time to resolve, and whether REV-2 requires a
 * review. Responders link and unlink systems here.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { incidentSystemsQuery, setIncidentSystems, systemKeys, systemsQuery } from "../../api/systems.ts";
import type { Incident } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { dateTime } from "../../lib/time.ts";

const levelWords = [
  "not escalated",
  "team asked",
  "specialist paged",
  "engineer paged",
  "senior manager paged",
];

export function Systems({ incident }: { incident: Incident }) {
  const view = useQuery(incidentSystemsQuery(incident.id));
  const catalogue = useQuery(systemsQuery);
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const save = useMutation({
    mutationFn: (ids: number[]) => setIncidentSystems(incident.id, ids),
    onSuccess: async (v) => {
      queryClient.setQueryData(systemKeys.incident(incident.id), v);
      setEditing(false);
    },
  });
  const v = view.data;
  const e = v?.escalation;
  const submit = (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const f = new FormData(ev.currentTarget);
    save.mutate(f.getAll("system").map(Number));
  };
  return (
    <section className="panel" aria-labelledby="systems-heading">
      <h2 id="systems-heading">Support systems</h2>
      <ErrorNote error={view.error} />
      {v?.criticality && e ? (
        <>
          <p>
            <strong className="tag">{v.criticality.name}</strong> from{" "}
            {v.systems.map((s) => `${s.name} (${s.criticalityName})`).join(", ")}
          </p>
          <p>
            Escalation level {e.level} of {e.escalatesUpTo}: {levelWords[e.level]}.{" "}
            {e.resolutionPath ? (
              "It has a resolution path, so no level follows."
            ) : e.nextLevelAt ? (
              <>
                Level {e.level + 1} at <time dateTime={e.nextLevelAt}>{dateTime(e.nextLevelAt)}</time> without
                a resolution path (move it to fixing once the fix is known).
              </>
            ) : (
              "No further level."
            )}
          </p>
          <p>
            Time to resolve {v.criticality.resolveWithinHours.from}–{v.criticality.resolveWithinHours.to} h,
            by <time dateTime={e.resolveBy}>{dateTime(e.resolveBy)}</time>:{" "}
            <span className={`tag outcome-${e.timeToResolve}`}>{e.timeToResolve}</span>
          </p>
          {e.reviewRequired ? <p>An after-incident review is required (REV-2).</p> : null}
          {e.lastError ? (
            <p className="error-note" role="status">
              The last escalation failed and is retried: {e.lastError}
            </p>
          ) : null}
          {e.history.length ? (
            <ol className="clock-list" aria-label="Support escalations">
              {e.history.map((h) => (
                <li key={`${h.level}:${h.at}`}>
                  <time dateTime={h.at}>{dateTime(h.at)}</time> level {h.level}: {h.outcome}
                </li>
              ))}
            </ol>
          ) : null}
        </>
      ) : v ? (
        <p className="muted">Touches no support system.</p>
      ) : null}
      {view.isPending || catalogue.isPending ? <p aria-busy="true">Loading the incident's systems…</p> : null}
      <ErrorNote error={catalogue.error} />
      {/* The boxes start from the saved links, so they wait for them (and for the catalogue): a form
          opened earlier would show them unticked, and saving it would unlink them. */}
      {!v || !catalogue.data ? null : editing ? (
        <form onSubmit={submit} className="stack compact" aria-label="Systems the incident touches">
          {catalogue.data.systems.map((s) => (
            <label key={s.id} className="check">
              <input
                type="checkbox"
                name="system"
                value={s.id}
                defaultChecked={v.systems.some((x) => x.id === s.id)}
              />{" "}
              {s.name} <span className="muted">({s.criticalityName})</span>
            </label>
          ))}
          {catalogue.data.systems.length === 0 ? (
            <p className="hint">The catalogue is empty: admins add systems under Systems.</p>
          ) : null}
          <ErrorNote error={save.error} />
          <div>
            <button type="submit" disabled={save.isPending}>
              Save systems
            </button>{" "}
            <button type="button" className="link" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <button type="button" onClick={() => setEditing(true)}>
          Change systems
        </button>
      )}
    </section>
  );
}
