/** Severity (with its reason), summary, labels, the deploy-blocking field and the update reminder. */
import { useSuspenseQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../../api/client.ts";
import { policyQuery } from "../../api/queries.ts";
import type { Incident } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { SeverityOptions } from "../../components/PolicyOptions.tsx";
import { useFocusOnMount } from "../../lib/focus.ts";
import { useIncidentCommand } from "./useCommand.ts";

function SeverityControl({ incident }: { incident: Incident }) {
  const { data: policy } = useSuspenseQuery(policyQuery);
  const change = useIncidentCommand(incident.id, (body: { severity: string; reason: string }) =>
    api<Incident>("POST", `/incidents/${incident.id}/severity`, body),
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    change.mutate(
      { severity: String(form.get("severity")), reason: String(form.get("reason") ?? "").trim() },
      { onSuccess: () => formEl.reset() },
    );
  };
  return (
    <form className="stack compact" onSubmit={submit}>
      <label>
        New severity
        <select name="severity" defaultValue={incident.severity} key={incident.severity}>
          <SeverityOptions policy={policy} />
        </select>
      </label>
      <label>
        Why (required)
        <input name="reason" required maxLength={2000} />
      </label>
      <ErrorNote error={change.error} />
      <button type="submit" disabled={change.isPending}>
        Change severity
      </button>
    </form>
  );
}

function SummaryForm({ incident, onDone }: { incident: Incident; onDone: () => void }) {
  const focusRef = useFocusOnMount<HTMLTextAreaElement>();
  const save = useIncidentCommand(incident.id, (summary: string) =>
    api<Incident>("PATCH", `/incidents/${incident.id}`, { summary }),
  );
  return (
    <form
      className="stack compact"
      onSubmit={(e) => {
        e.preventDefault();
        const summary = String(new FormData(e.currentTarget).get("summary") ?? "");
        save.mutate(summary, { onSuccess: onDone });
      }}
    >
      <label>
        Summary
        <textarea name="summary" rows={5} defaultValue={incident.summary} maxLength={20_000} ref={focusRef} />
      </label>
      <ErrorNote error={save.error} />
      <div className="button-row">
        <button type="submit" className="primary" disabled={save.isPending}>
          Save summary
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function SummaryEditor({ incident }: { incident: Incident }) {
  const [editing, setEditing] = useState(false);
  if (editing) return <SummaryForm incident={incident} onDone={() => setEditing(false)} />;
  return (
    <>
      <p className="summary">{incident.summary || <span className="muted">No summary yet.</span>}</p>
      <button type="button" className="link-button" onClick={() => setEditing(true)}>
        Edit summary
      </button>
    </>
  );
}

function BlocksField({ incident }: { incident: Incident }) {
  const set = useIncidentCommand(incident.id, (blocksDeployments: boolean) =>
    api<Incident>("PATCH", `/incidents/${incident.id}`, { blocksDeployments }),
  );
  return (
    <>
      <label className="check">
        <input
          type="checkbox"
          checked={incident.blocksDeployments}
          disabled={set.isPending}
          onChange={(e) => set.mutate(e.target.checked)}
        />
        Blocks deployments (the field)
      </label>
      <ErrorNote error={set.error} />
    </>
  );
}

export function Details({ incident }: { incident: Incident }) {
  return (
    <section className="panel" aria-labelledby="details-heading">
      <h2 id="details-heading">Details</h2>
      <SummaryEditor incident={incident} />
      <h3>Labels</h3>
      <ul className="labels">
        {incident.labels.map((l) => (
          <li key={l} className="tag">
            {l}
          </li>
        ))}
      </ul>
      <BlocksField incident={incident} />
      <h3>Severity</h3>
      <SeverityControl incident={incident} />
    </section>
  );
}
