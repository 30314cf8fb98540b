/**
 * Published incidents with their updates, each linked to its public page. An approver (admin or
 * the incident's CMOC) may correct a published update's text.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import {
  componentsQuery,
  correctUpdate,
  type PublicIncident,
  publicPostUrl,
  type StatusUpdate,
  statusKeys,
} from "../../api/statuspage.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { Time } from "../../components/Time.tsx";
import { publishedUpdates, stateWords } from "../../lib/statuspage.ts";
import { spanLabel } from "../../lib/week.ts";

/** A maintenance's window and the components it covers. */
function MaintenanceFacts({ slug, post }: { slug: string; post: PublicIncident }) {
  const components = useQuery(componentsQuery(slug));
  const covered = [...new Set(post.updates.flatMap((u) => u.affected.map((a) => a.componentId)))].map(
    (id) => components.data?.find((c) => c.id === id)?.name ?? `component ${id}`,
  );
  return (
    <p className="maintenance-window">
      {post.scheduledFor && post.scheduledUntil ? spanLabel(post.scheduledFor, post.scheduledUntil) : null}
      {covered.length ? <span className="muted"> · {covered.join(", ")}</span> : null}
    </p>
  );
}

function UpdateItem({ slug, update }: { slug: string; update: StatusUpdate }) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const save = useMutation({
    mutationFn: (body: string) => correctUpdate(slug, update.id, body),
    onSuccess: () => {
      setEditing(false);
      void queryClient.invalidateQueries({ queryKey: statusKeys.posts(slug) });
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    save.mutate(String(new FormData(e.currentTarget).get("body") ?? "").trim());
  };
  return (
    <li className="update">
      <p className="event-head">
        <strong>{stateWords(update.status)}</strong>
        <span className="muted">
          published <Time iso={update.publishedAt ?? update.createdAt} />
        </span>
        {editing ? null : (
          <button type="button" className="link-button" onClick={() => setEditing(true)}>
            Correct the text
          </button>
        )}
      </p>
      {editing ? (
        <form className="stack compact" onSubmit={submit}>
          <label>
            Corrected text
            <textarea name="body" rows={3} required maxLength={10_000} defaultValue={update.body} />
          </label>
          <div className="button-row">
            <button type="submit" className="primary" disabled={save.isPending}>
              Save correction
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <p className="update-body">{update.body}</p>
      )}
      <ErrorNote error={save.error} />
    </li>
  );
}

export function PostItem({ slug, post }: { slug: string; post: PublicIncident }) {
  const updates = publishedUpdates(post);
  const titleId = `post-${post.id}`;
  return (
    <li className="panel post" aria-labelledby={titleId}>
      <h3 id={titleId}>{post.name}</h3>
      {post.kind === "maintenance" ? <MaintenanceFacts slug={slug} post={post} /> : null}
      <p className="badges">
        <span className="tag">{stateWords(post.status)}</span>
        {post.kind === "incident" ? <span className="tag">impact: {post.impact}</span> : null}
        {post.security ? <span className="tag tag-warn">security</span> : null}
        {post.published ? (
          <a href={publicPostUrl(slug, post.id)}>Public page</a>
        ) : (
          <span className="tag tag-warn">not published: awaiting approval</span>
        )}
        {post.incidentId !== null ? (
          <Link to="/incidents/$id" params={{ id: post.incidentId }}>
            incident #{post.incidentId}
          </Link>
        ) : null}
      </p>
      {updates.length ? (
        <ul className="plain updates">
          {updates.map((u) => (
            <UpdateItem key={u.id} slug={slug} update={u} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

export function Posts({ slug, posts }: { slug: string; posts: PublicIncident[] }) {
  return (
    <section aria-labelledby="posts-heading" className="group">
      <h2 id="posts-heading">Published incidents</h2>
      {posts.length === 0 ? <p className="empty">Nothing published on this page.</p> : null}
      <ul className="plain post-list">
        {posts.map((p) => (
          <PostItem key={p.id} slug={slug} post={p} />
        ))}
      </ul>
    </section>
  );
}
