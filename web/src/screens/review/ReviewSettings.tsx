/** Who owns and reviews a review, when it is due, and the optional synchronous meeting (REV-1). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { api } from "../../api/client.ts";
import { usersQuery } from "../../api/queries.ts";
import { type Review, reviewKey } from "../../api/reviews.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { PersonOptions } from "../../components/PersonOptions.tsx";

/** An ISO time as a datetime-local input's value, in the browser's time zone. */
export function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function ReviewSettings({ review }: { review: Review }) {
  const queryClient = useQueryClient();
  const users = useQuery(usersQuery);
  const update = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      api<Review>("PATCH", `/incidents/${review.incidentId}/review`, body),
    onSuccess: (r) => queryClient.setQueryData(reviewKey(review.incidentId), r),
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const owner = String(form.get("owner") ?? "");
    const due = String(form.get("dueAt") ?? "");
    const meeting = String(form.get("meetingAt") ?? "");
    update.mutate({
      ...(owner ? { owner: Number(owner) } : {}),
      reviewers: form.getAll("reviewers").map(Number),
      ...(due ? { dueAt: new Date(due).toISOString() } : {}),
      meetingAt: meeting ? new Date(meeting).toISOString() : null,
    });
  };
  const people = (users.data ?? []).filter((u) => u.active);
  return (
    <details className="disclosure">
      <summary>Owner, reviewers, due date, meeting</summary>
      <ErrorNote error={users.error} />
      {users.isPending ? <p aria-busy="true">Loading the people…</p> : null}
      {/* The owner and reviewers are chosen among the people, so the form waits for them: made
          earlier, it would show the first person as owner and no reviewers, and saving would say so. */}
      {users.data ? (
        <form
          className="stack compact"
          onSubmit={submit}
          key={`${review.ownerId}-${review.dueAt}-${review.meetingAt}-${review.reviewerIds.join()}`}
        >
          <label>
            Owner
            <select name="owner" defaultValue={review.ownerId ?? ""}>
              <PersonOptions people={people} />
            </select>
          </label>
          <label>
            Reviewers
            <select name="reviewers" multiple defaultValue={review.reviewerIds.map(String)}>
              <PersonOptions people={people} />
            </select>
          </label>
          <label>
            Due (your time)
            <input type="datetime-local" name="dueAt" defaultValue={toLocalInput(review.dueAt)} />
          </label>
          <label>
            Meeting (optional; reviews are asynchronous by default)
            <input type="datetime-local" name="meetingAt" defaultValue={toLocalInput(review.meetingAt)} />
          </label>
          <ErrorNote error={update.error} />
          <button type="submit" disabled={update.isPending}>
            Save review settings
          </button>
        </form>
      ) : null}
    </details>
  );
}
