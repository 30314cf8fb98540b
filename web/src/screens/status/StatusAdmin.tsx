/**
 * The status page, as responders run it: pick a page, set its components' statuses, approve or
 * discard drafted updates (COMM-3), read what is published, and schedule maintenance. Whoever
 * manages a page (an admin, or an admin of the team that owns it) also creates pages, renames
 * them, and adds, edits and reorders their components and groups. Visitors' pages are at
 * /status/<slug>, served by Firebreak itself.
 */
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, useNavigate, useRouteContext } from "@tanstack/react-router";
import { useRef, useState } from "react";
import { statusPagesQuery } from "../../api/queries.ts";
import { postsQuery, type StatusPageInfo, teamsQuery } from "../../api/statuspage.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { canManage, splitPosts } from "../../lib/statuspage.ts";
import { Components } from "./Components.tsx";
import { Drafts } from "./Drafts.tsx";
import { Maintenance } from "./Maintenance.tsx";
import { NewPage, PageSettings } from "./Pages.tsx";
import { Posts } from "./Posts.tsx";

const route = getRouteApi("/app/status-admin");

export function StatusAdmin() {
  const { page: chosen } = route.useSearch();
  const slug = chosen ?? "default";
  const navigate = useNavigate();
  const { me } = useRouteContext({ from: "/app" });
  // The list carries each page's owning team (the shared query's type leaves it out).
  const pages = useQuery({ ...statusPagesQuery, select: (list) => list as StatusPageInfo[] });
  const teams = useQuery(teamsQuery);
  const posts = useQuery(postsQuery(slug));
  const page = pages.data?.find((p) => p.slug === slug);
  const { incidents, maintenances } = splitPosts(posts.data ?? []);
  const manage = canManage(me, teams.data, page);
  const ownTeams = (teams.data ?? []).filter((t) => me.role === "admin" || t.myRole === "admin");
  const [creating, setCreating] = useState(false);
  const [said, setSaid] = useState("");
  const newButton = useRef<HTMLButtonElement>(null);
  const owner = page && teams.data?.find((t) => t.id === page.teamId);
  const show = (next: string) =>
    navigate({ to: "/status-admin", search: next === "default" ? {} : { page: next } });

  return (
    <div className="page">
      <div className="page-head">
        <h1>Status page</h1>
        {pages.data && (pages.data.length > 1 || ownTeams.length) ? (
          <label className="page-picker">
            Page
            <select value={slug} onChange={(e) => void show(e.target.value)}>
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
        {ownTeams.length ? (
          <button
            type="button"
            ref={newButton}
            aria-expanded={creating}
            onClick={() => {
              setCreating(!creating);
              setSaid("");
            }}
          >
            New status page
          </button>
        ) : null}
      </div>
      <p className="visually-hidden" aria-live="polite">
        {said}
      </p>
      {creating ? (
        <NewPage
          teams={ownTeams}
          onCancel={() => {
            setCreating(false);
            newButton.current?.focus();
          }}
          onCreated={(p) => {
            setCreating(false);
            setSaid(`Created the status page ${p.name}: it is shown now.`);
            void show(p.slug);
          }}
        />
      ) : null}
      <ErrorNote error={pages.error} />
      {pages.data && !page ? (
        <p className="error-note" role="alert">
          There is no status page “{slug}”.
        </p>
      ) : null}
      {page ? (
        <>
          <p className="muted">
            {page.name}
            {owner ? ` · owned by ${owner.name}` : ""} · times on the public page are in {page.timeZone} ·{" "}
            <a href={`/status/${encodeURIComponent(slug)}`}>/status/{slug}</a>
          </p>
          <div className="status-grid">
            <div>
              {manage ? <PageSettings key={page.slug} page={page} /> : null}
              <Components slug={slug} manage={manage} />
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
