/**
 * The incident on the public status pages: links to what is published, and drafting an update for
 * an approver to publish (COMM-3). The first draft creates the public post; later ones update it.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api } from "../../api/client.ts";
import { keys, statusPagesQuery, statusPostsQuery } from "../../api/queries.ts";
import {
  type Incident,
  type StatusPost as Post,
  type StatusPage,
  statusPostStates,
} from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { incidentTitle } from "../../lib/incidents.ts";

type Draft = { page: StatusPage; existing: Post | undefined; status: string; body: string };

function DraftForm({
  incident,
  pages,
  posts,
}: {
  incident: Incident;
  pages: StatusPage[];
  posts: { page: StatusPage; post: Post }[];
}) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const draft = useMutation({
    mutationFn: ({ page, existing, status, body }: Draft) => {
      const base = `/status-pages/${encodeURIComponent(page.slug)}/incidents`;
      return existing
        ? api<unknown>("POST", `${base}/${existing.id}/updates`, { status, body })
        : api<unknown>("POST", base, {
            name: incidentTitle(incident),
            status,
            body,
            incidentId: incident.id,
          });
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.statusPosts(incident.id) }),
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const page = pages.find((p) => p.slug === form.get("page")) ?? pages[0];
    if (!page) return;
    const existing = posts.find((p) => p.page.id === page.id && p.post.resolvedAt === null)?.post;
    draft.mutate(
      { page, existing, status: String(form.get("status")), body: String(form.get("body") ?? "").trim() },
      { onSuccess: () => formEl.reset() },
    );
  };
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Draft a status update
      </button>
    );
  return (
    <form className="stack compact" onSubmit={submit}>
      {pages.length > 1 ? (
        <label>
          Status page
          <select name="page">
            {pages.map((p) => (
              <option key={p.slug} value={p.slug}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <label>
        Public status
        <select name="status" defaultValue="investigating">
          {statusPostStates.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        What visitors read
        <textarea name="body" rows={3} required maxLength={10_000} />
      </label>
      <ErrorNote error={draft.error} />
      <output aria-live="polite">
        {draft.isSuccess ? "Drafted: an approver (admin or CMOC) publishes it." : ""}
      </output>
      <div className="button-row">
        <button type="submit" className="primary" disabled={draft.isPending}>
          Save draft
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Close
        </button>
      </div>
    </form>
  );
}

export function StatusPost({ incident }: { incident: Incident }) {
  const pages = useQuery(statusPagesQuery);
  const posts = useQuery({ ...statusPostsQuery(incident.id, pages.data ?? []), enabled: pages.isSuccess });
  if (pages.data?.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="status-heading">
      <h2 id="status-heading">Status page</h2>
      <ErrorNote error={pages.error ?? posts.error} />
      {posts.data?.length === 0 ? <p className="muted">Not on a status page.</p> : null}
      <ul className="plain">
        {posts.data?.map(({ page, post }) => {
          const drafts = post.updates.filter((u) => u.state === "draft").length;
          return (
            <li key={`${page.slug}-${post.id}`}>
              {post.published ? (
                <a href={`/status/${encodeURIComponent(page.slug)}/incidents/${post.id}`}>
                  {page.name}: {post.name}
                </a>
              ) : (
                <span>
                  {page.name}: {post.name} (not published yet)
                </span>
              )}{" "}
              <span className="muted">
                · {post.status}
                {drafts ? ` · ${drafts} draft${drafts > 1 ? "s" : ""} awaiting approval` : ""}
              </span>
            </li>
          );
        })}
      </ul>
      {pages.data && posts.data ? (
        <DraftForm incident={incident} pages={pages.data} posts={posts.data} />
      ) : null}
    </section>
  );
}
