/** Actions (during the incident) and follow-ups (after it): add, assign, complete (FU-1). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../../api/client.ts";
import { keys, tasksQuery, usersQuery } from "../../api/queries.ts";
import type { Task } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";

type NewTask = { kind: "action" | "follow-up"; title: string; assignee?: number };

function TaskItem({ task, incidentId }: { task: Task; incidentId: number }) {
  const queryClient = useQueryClient();
  // Ticking a task off shows at once; a refusal puts the box back and says why.
  const [shown, setShown] = useState<Task["state"] | null>(null);
  const change = useMutation({
    mutationFn: (state: Task["state"]) =>
      api<Task>("PATCH", `/incidents/${incidentId}/tasks/${task.id}`, { state }),
    onSettled: async () => {
      await queryClient.invalidateQueries({ queryKey: keys.tasks(incidentId) });
      setShown(null);
    },
  });
  const state = shown ?? task.state;
  return (
    <li className={`task task-${state}`}>
      <label className="check">
        <input
          type="checkbox"
          checked={state === "done"}
          disabled={change.isPending || task.state === "cancelled"}
          onChange={(e) => {
            const next = e.target.checked ? "done" : "open";
            setShown(next);
            change.mutate(next);
          }}
        />
        <span>
          <span className="task-title">{task.title}</span>
          <span className="muted">
            {" "}
            · {task.kind}
            {task.assignee ? ` · ${task.assignee.name}` : ""}
            {task.state === "cancelled" ? " · cancelled" : ""}
          </span>
        </span>
      </label>
      {task.trackerIssue && /^https?:\/\//i.test(task.trackerIssue.url) ? (
        <a href={task.trackerIssue.url} target="_blank" rel="noopener noreferrer">
          {task.trackerIssue.project}#{task.trackerIssue.number}
        </a>
      ) : null}
      <ErrorNote error={change.error} />
    </li>
  );
}

export function Tasks({ incidentId }: { incidentId: number }) {
  const queryClient = useQueryClient();
  const tasks = useQuery(tasksQuery(incidentId));
  const users = useQuery(usersQuery);
  const add = useMutation({
    mutationFn: (body: NewTask) => api<Task>("POST", `/incidents/${incidentId}/tasks`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.tasks(incidentId) }),
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const assignee = Number(form.get("assignee"));
    add.mutate(
      {
        kind: form.get("kind") === "follow-up" ? "follow-up" : "action",
        title: String(form.get("title") ?? "").trim(),
        ...(assignee ? { assignee } : {}),
      },
      { onSuccess: () => formEl.reset() },
    );
  };

  return (
    <section className="panel" aria-labelledby="tasks-heading">
      <h2 id="tasks-heading">Actions and follow-ups</h2>
      <ErrorNote error={tasks.error} />
      {tasks.data?.length === 0 ? <p className="muted">None yet.</p> : null}
      <ul className="tasks">
        {tasks.data?.map((t) => (
          <TaskItem key={t.id} task={t} incidentId={incidentId} />
        ))}
      </ul>
      <form className="stack compact" onSubmit={submit}>
        <label>
          New task
          <input name="title" required maxLength={500} />
        </label>
        <div className="filter-row">
          <label>
            Kind
            <select name="kind" defaultValue="action">
              <option value="action">Action (now)</option>
              <option value="follow-up">Follow-up (after)</option>
            </select>
          </label>
          <label>
            Assignee
            <select name="assignee" defaultValue="">
              <option value="">Nobody yet</option>
              {users.data
                ?.filter((u) => u.active)
                .map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                  </option>
                ))}
            </select>
          </label>
        </div>
        <ErrorNote error={add.error} />
        <button type="submit" disabled={add.isPending}>
          Add task
        </button>
      </form>
    </section>
  );
}
