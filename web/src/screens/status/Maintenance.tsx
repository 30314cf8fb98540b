/**
 * Scheduled maintenance: the list (drafts too) and a form to draft one: its name, window,
 * components and message. Like any update it is published once approved under the drafts.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ApiError } from "../../api/client.ts";
import {
  componentsQuery,
  draftMaintenance,
  type NewMaintenance,
  type PublicIncident,
  statusKeys,
} from "../../api/statuspage.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { useFieldErrors } from "../../components/useFieldErrors.tsx";
import { fromLocalInput, viewerTimeZone } from "../../lib/week.ts";
import { PostItem } from "./Posts.tsx";

type Field = "name" | "start" | "end" | "components" | "body";
const apiFields: Record<string, Field> = {
  name: "name",
  scheduledFor: "start",
  scheduledUntil: "end",
  components: "components",
  affected: "components",
  body: "body",
};

function MaintenanceForm({ slug }: { slug: string }) {
  const queryClient = useQueryClient();
  const components = useQuery(componentsQuery(slug));
  const [local, setLocal] = useState<Partial<Record<Field, string>>>({});
  const draft = useMutation({
    mutationFn: (body: NewMaintenance) => draftMaintenance(slug, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: statusKeys.page(slug) }),
  });
  const { id, refused, err, aria } = useFieldErrors(draft.error, apiFields, local);

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const start = fromLocalInput(String(form.get("start") ?? ""));
    const end = fromLocalInput(String(form.get("end") ?? ""));
    const problems: Partial<Record<Field, string>> = {};
    if (!start) problems.start = "expected a date and time";
    if (!end) problems.end = "expected a date and time";
    setLocal(problems);
    if (!start || !end) return;
    draft.mutate(
      {
        name: String(form.get("name") ?? "").trim(),
        scheduledFor: start.toISOString(),
        scheduledUntil: end.toISOString(),
        body: String(form.get("body") ?? "").trim(),
        components: form.getAll("components").map(Number),
        criticality: (String(form.get("criticality") ?? "") || null) as NewMaintenance["criticality"],
      },
      { onSuccess: () => formEl.reset() },
    );
  };

  const parts = (components.data ?? []).filter((c) => !c.group);
  return (
    <form
      className="stack compact maintenance-form"
      onSubmit={submit}
      noValidate
      aria-labelledby={`${id}-title`}
    >
      <h3 id={`${id}-title`}>Schedule maintenance</h3>
      <label>
        Name
        <input name="name" maxLength={300} {...aria("name")} />
        {err("name")}
      </label>
      <div className="field-pair">
        <label>
          Starts
          <input name="start" type="datetime-local" step={900} {...aria("start")} />
          {err("start")}
        </label>
        <label>
          Ends
          <input name="end" type="datetime-local" step={900} {...aria("end")} />
          {err("end")}
        </label>
      </div>
      <p className="hint">Times in your time zone ({viewerTimeZone()}).</p>
      <label>
        Criticality
        <select name="criticality" defaultValue="">
          <option value="">not set</option>
          <option value="C1">C1: treated as an undeclared incident (on call told 30 minutes ahead)</option>
          <option value="C2">C2</option>
          <option value="C3">C3</option>
          <option value="C4">C4</option>
        </select>
      </label>
      {parts.length ? (
        <fieldset className="choices" {...aria("components")}>
          <legend>Components under maintenance</legend>
          {parts.map((c) => (
            <label key={c.id} className="check">
              <input type="checkbox" name="components" value={c.id} />
              {c.name}
            </label>
          ))}
          {err("components")}
        </fieldset>
      ) : null}
      <label>
        Message
        <textarea name="body" rows={3} maxLength={10_000} {...aria("body")} />
        {err("body")}
      </label>
      {refused?.rest.length ? (
        <div className="error-note" role="alert">
          <strong>{draft.error instanceof ApiError ? draft.error.title : "Refused"}</strong>
          <span> — {refused.rest.join("; ")}</span>
        </div>
      ) : refused ? (
        <p className="visually-hidden" role="alert">
          The maintenance was refused: see the messages at the fields.
        </p>
      ) : (
        <ErrorNote error={draft.error} />
      )}
      <output className="hint" aria-live="polite">
        {draft.isSuccess ? "Drafted: it is published once approved under Drafts awaiting approval." : ""}
      </output>
      <button type="submit" className="primary" disabled={draft.isPending}>
        Draft maintenance
      </button>
    </form>
  );
}

export function Maintenance({ slug, maintenances }: { slug: string; maintenances: PublicIncident[] }) {
  return (
    <section aria-labelledby="maintenance-heading" className="group">
      <h2 id="maintenance-heading">Scheduled maintenance</h2>
      {maintenances.length === 0 ? <p className="empty">No maintenance scheduled.</p> : null}
      <ul className="plain post-list">
        {maintenances.map((m) => (
          <PostItem key={m.id} slug={slug} post={m} />
        ))}
      </ul>
      <MaintenanceForm slug={slug} />
    </section>
  );
}
