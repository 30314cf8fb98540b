/**
 * Writing to the timeline: a message in the incident's room (or a chat command typed there, as in
 * Slack: `/inc severity S1`), a note (optionally internal), or a status update (impact and actions).
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../../api/client.ts";
import { mergeEvents } from "../../api/live.ts";
import { keys } from "../../api/queries.ts";
import type { TimelineEvent } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";

type Kind = "message" | "note" | "update";
type Post =
  | { kind: "message"; text: string }
  | { kind: "note"; body: string; internal: boolean }
  | { kind: "update"; impact: string; actions: string };
type RoomAnswer =
  | { kind: "message"; event: TimelineEvent }
  | { kind: "command"; reply: { text: string; visibility: "ephemeral" | "in_channel" } };
const kindNames: Record<Kind, string> = { message: "Message", note: "Note", update: "Status update" };

export function Composer({ incidentId }: { incidentId: number }) {
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<Kind>("message");
  const [reply, setReply] = useState("");
  const post = useMutation({
    mutationFn: async (p: Post): Promise<TimelineEvent | null> => {
      if (p.kind === "message") {
        const r = await api<RoomAnswer>("POST", `/incidents/${incidentId}/room`, { text: p.text });
        if (r.kind === "message") return r.event;
        // A command: its changes come over the stream; its answer is for the sender.
        setReply(r.reply.text);
        void queryClient.invalidateQueries({ queryKey: keys.incident(incidentId) });
        return null;
      }
      return p.kind === "note"
        ? api<TimelineEvent>("POST", `/incidents/${incidentId}/notes`, { body: p.body, internal: p.internal })
        : api<TimelineEvent>("POST", `/incidents/${incidentId}/updates`, {
            impact: p.impact,
            actions: p.actions,
          });
    },
    onMutate: () => setReply(""),
    onSuccess: (event) => {
      if (!event) return;
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
      kind === "message"
        ? { kind, text: text("text") }
        : kind === "note"
          ? { kind, body: text("body"), internal: form.get("internal") === "on" }
          : { kind, impact: text("impact"), actions: text("actions") },
      { onSuccess: () => formEl.reset() },
    );
  };

  return (
    <form className="composer stack compact" onSubmit={submit}>
      <fieldset className="segmented">
        <legend className="visually-hidden">What to add</legend>
        {(["message", "note", "update"] as const).map((k) => (
          <label key={k}>
            <input type="radio" name="kind" checked={kind === k} onChange={() => setKind(k)} />
            {kindNames[k]}
          </label>
        ))}
      </fieldset>
      {kind === "message" ? (
        <label>
          Message to the incident's room
          <textarea
            name="text"
            rows={2}
            required
            maxLength={4000}
            placeholder="@name to tell someone; /inc help for commands"
            onKeyDown={(e) => {
              // Enter sends, as in chat; Shift+Enter starts a new line.
              if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
                e.preventDefault();
                e.currentTarget.form?.requestSubmit();
              }
            }}
          />
        </label>
      ) : kind === "note" ? (
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
      <output className="room-reply" aria-live="polite">
        {reply ? <pre>{reply}</pre> : null}
      </output>
      <ErrorNote error={post.error} />
      <button type="submit" className="primary" disabled={post.isPending}>
        {kind === "message" ? "Send" : kind === "note" ? "Add note" : "Post status update"}
      </button>
    </form>
  );
}
