/** Writing to the timeline: a note (optionally internal) or a status update (impact and actions). */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../../api/client.ts";
import { mergeEvents } from "../../api/live.ts";
import { keys } from "../../api/queries.ts";
import type { TimelineEvent } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";

type Kind = "note" | "update";
type Post =
  | { kind: "note"; body: string; internal: boolean }
  | { kind: "update"; impact: string; actions: string };

export function Composer({ incidentId }: { incidentId: number }) {
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<Kind>("note");
  const post = useMutation({
    mutationFn: (p: Post) =>
      p.kind === "note"
        ? api<TimelineEvent>("POST", `/incidents/${incidentId}/notes`, { body: p.body, internal: p.internal })
        : api<TimelineEvent>("POST", `/incidents/${incidentId}/updates`, {
            impact: p.impact,
            actions: p.actions,
          }),
    onSuccess: (event) => {
      queryClient.setQueryData<TimelineEvent[]>(keys.timeline(incidentId), (old) =>
        mergeEvents(old, [event]),
      );
      // A status update moves the next one's due time.
      if (event.kind === "status-update")
        void queryClient.invalidateQueries({ queryKey: keys.incident(incidentId) });
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const text = (name: string) => String(form.get(name) ?? "").trim();
    post.mutate(
      kind === "note"
        ? { kind, body: text("body"), internal: form.get("internal") === "on" }
        : { kind, impact: text("impact"), actions: text("actions") },
      { onSuccess: () => formEl.reset() },
    );
  };

  return (
    <form className="composer stack compact" onSubmit={submit}>
      <fieldset className="segmented">
        <legend className="visually-hidden">What to add</legend>
        {(["note", "update"] as const).map((k) => (
          <label key={k}>
            <input type="radio" name="kind" checked={kind === k} onChange={() => setKind(k)} />
            {k === "note" ? "Note" : "Status update"}
          </label>
        ))}
      </fieldset>
      {kind === "note" ? (
        <>
          <label>
            Note for the timeline
            <textarea name="body" rows={3} required maxLength={20_000} />
          </label>
          <label className="check">
            <input type="checkbox" name="internal" />
            Internal: only participants and admins see it
          </label>
        </>
      ) : (
        <>
          <label>
            Current customer impact
            <textarea name="impact" rows={2} required maxLength={5000} />
          </label>
          <label>
            Actions under way
            <textarea name="actions" rows={2} required maxLength={5000} />
          </label>
        </>
      )}
      <ErrorNote error={post.error} />
      <button type="submit" className="primary" disabled={post.isPending}>
        {kind === "note" ? "Add note" : "Post status update"}
      </button>
    </form>
  );
}
