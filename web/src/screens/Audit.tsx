/**
 * The audit log (admins): sign-ins and failed ones, tokens made and revoked, admin changes and
 * reads of private incidents, newest first, filtered by action, person and time (in the URL),
 * paged with "Load older", and exported as CSV with the same filters.
 */
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { useRef } from "react";
import { usersQuery } from "../api/queries.ts";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { EntryRow } from "./audit/EntryRow.tsx";
import { auditQuery, csvHref } from "./audit/entries.ts";
import { AuditFilters } from "./audit/Filters.tsx";

const route = getRouteApi("/app/audit");
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** What the list holds, announced as it grows with "Load older". */
function shown(count: number, more: boolean): string {
  if (count === 0) return "";
  return `${count} ${count === 1 ? "entry" : "entries"} shown${more ? "; older ones remain" : ""}`;
}

function AdminsOnly() {
  return (
    <div className="page narrow">
      <h1>Audit log</h1>
      <p>The audit log is for admins only. Ask an admin if you need to know who did what and when.</p>
    </div>
  );
}

export function Audit() {
  const { me } = route.useRouteContext();
  if (me.role !== "admin") return <AdminsOnly />;
  return <AuditLog />;
}

function AuditLog() {
  const search = route.useSearch();
  const log = useInfiniteQuery(auditQuery(search));
  const users = useQuery(usersQuery).data ?? [];
  const people = new Map(users.map((u) => [u.id, u]));
  const tableRef = useRef<HTMLElement>(null);
  const entries = log.data?.pages.flatMap((p) => p.entries) ?? [];

  const loadOlder = async () => {
    const r = await log.fetchNextPage();
    // The button goes away with the last page: keep the keyboard in the log rather than lose it.
    if (!r.hasNextPage) tableRef.current?.focus();
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Audit log</h1>
        <a className="button" href={csvHref(search)} download>
          Export CSV
        </a>
      </div>
      <p className="hint audit-intro">
        Sign-ins, tokens, admin changes and reads of private incidents, newest first. Times are in {zone}. The
        export has every entry these filters match.
      </p>
      <AuditFilters />
      <ErrorNote error={log.error} />
      <output className="hint" aria-live="polite">
        {shown(entries.length, log.hasNextPage)}
      </output>
      {log.isPending ? <p aria-busy="true">Loading the audit log…</p> : null}
      {log.data && entries.length === 0 ? <p className="empty">No entries match these filters.</p> : null}
      {entries.length > 0 ? (
        <section
          className="audit-scroll"
          ref={tableRef}
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region needs focus to scroll by keyboard
          tabIndex={0}
          aria-label="Audit entries"
          aria-busy={log.isPlaceholderData}
        >
          <table className="table audit-table">
            <caption className="visually-hidden">Audit entries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Network</th>
                <th scope="col">Request id</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <EntryRow key={e.id} entry={e} people={people} />
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      {log.hasNextPage ? (
        <p>
          <button type="button" onClick={() => void loadOlder()} disabled={log.isFetchingNextPage}>
            {log.isFetchingNextPage ? "Loading older entries…" : "Load older"}
          </button>
        </p>
      ) : null}
    </div>
  );
}
