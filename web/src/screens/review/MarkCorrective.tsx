/**
 * Making a follow-up a corrective action (FU-2): it needs an owner and a due date; the server adds
 * the labels, the severity of the related incidents, and flags it when it is vague.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { api } from "../../api/client.ts";
import { keys, tasksQuery, usersQuery } from "../../api/queries.ts";
import { reviewKey } from "../../api/reviews.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { PersonOptions } from "../../components/PersonOptions.tsx";

export function MarkCorrective({ incidentId, corrective }: { incidentId: number; corrective: number[] }) {
  const queryClient = useQueryClient();
  const tasks = useQuery(tasksQuery(incidentId));
  const users = useQuery(usersQuery);
  const mark = useMutation({
    mutationFn: (b: { taskId: number; assignee: number; dueAt: string }) =>
      api<unknown>("PUT", `/incidents/${incidentId}/tasks/${b.taskId}/corrective`, {
        corrective: true,
        assignee: b.assignee,
        dueAt: b.dueAt,
      }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: reviewKey(incidentId) });
      await queryClient.invalidateQueries({ queryKey: keys.tasks(incidentId) });
    },
  });
  const candidates = (tasks.data ?? []).filter(
    (t) => t.kind === "follow-up" && t.state === "open" && !corrective.includes(t.id),
  );
  if (candidates.length === 0) return null;
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const due = String(form.get("dueAt") ?? "");
    mark.mutate({
      taskId: Number(form.get("taskId")),
      assignee: Number(form.get("assignee")),
      dueAt: due ? new Date(due).toISOString() : "",
    });
  };
  return (
    <form className="stack compact" onSubmit={submit}>
      <label>
        Follow-up
        <select name="taskId">
          {candidates.map((t) => (
            <option key={t.id} value={t.id}>
              #{t.id} {t.title}
            </option>
          ))}
        </select>
      </label>
      <label>
        Owner
        <select name="assignee">
          <PersonOptions people={(users.data ?? []).filter((u) => u.active)} />
        </select>
      </label>
      <label>
        Due (your time)
        <input type="datetime-local" name="dueAt" required />
      </label>
      <ErrorNote error={mark.error} />
      <button type="submit" disabled={mark.isPending}>
        Make it a corrective action
      </button>
    </form>
  );
}
