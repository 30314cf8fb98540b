/**
 * The status page, as responders run it: pick a page, set its components' statuses, approve or
 * discard drafted updates (COMM-3), read what is published, and schedule maintenance. Visitors'
 * pages are at /status/<slug>, served by Firebreak itself.
 */
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { statusPagesQuery } from "../../api/queries.ts";
import { postsQuery } from "../../api/statuspage.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { splitPosts } from "../../lib/statuspage.ts";
import { Components } from "./Components.tsx";
import { Drafts } from "./Drafts.tsx";
import { Maintenance } from "./Maintenance.tsx";
import { Posts } from "./Posts.tsx";

const route = getRouteApi("/app/status-admin");

export function StatusAdmin() {
  const { page: chosen } = route.useSearch();
  const slug = chosen ?? "default";
  const navigate = useNavigate();
  const pages = useQuery(statusPagesQuery);
  const posts = useQuery(postsQuery(slug));
  const page = pages.data?.find((p) => p.slug === slug);
  const { incidents, maintenances } = splitPosts(posts.data ?? []);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Status page</h1>
        {pages.data && pages.data.length > 1 ? (
          <label className="page-picker">
            Page
            <select
              value={slug}
              onChange={(e) =>
                void navigate({
                  to: "/status-admin",
                  search: e.target.value === "default" ? {} : { page: e.target.value },
                })
              }
            >
              {pages.data.map((p) => (
                <option key={p.slug} value={p.slug}>
                  {p.name} ({p.slug})
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <a className="button" href={`/status/${encodeURIComponent(slug)}`}>
          Open the public page
        </a>
      </div>
      <ErrorNote error={pages.error} />
      {pages.data && !page ? (
        <p className="error-note" role="alert">
          There is no status page “{slug}”.
        </p>
      ) : null}
      {page ? (
        <>
          <p className="muted">
            {page.name} · times on the public page are in {page.timeZone}.
          </p>
          <div className="status-grid">
            <div>
              <Components slug={slug} />
              <Drafts slug={slug} />
            </div>
            <div>
              <ErrorNote error={posts.error} />
              {posts.isPending ? <p aria-busy="true">Loading posts…</p> : null}
              {posts.data ? (
                <>
                  <Posts slug={slug} posts={incidents} />
                  <Maintenance slug={slug} maintenances={maintenances} />
                </>
              ) : null}
            </div>
          </div>
        </>
      ) : null}
    </div>
  );
}
