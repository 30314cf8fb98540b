/**
 * The incident's pages: who is being paged, at which level, and buttons to acknowledge or resolve
 * a page in your own name (acknowledging stops its escalation; a page sent for a role gives you the
 * role). Pages change without a timeline of their own here, so the list is re-read every few seconds
 * while one is still open.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../api/client.ts";
import { keys, usersQuery } from "../../api/queries.ts";
import type { Incident } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { Time } from "../../components/Time.tsx";

type Page = {
  id: number;
  title: string;
  state: "triggered" | "acknowledged" | "resolved";
  urgency: "high" | "low";
  level: number;
  assignedTo: number[];
  acknowledgedBy: number | null;
  acknowledgedAt: string | null;
  createdAt: string;
  role: string | null;
};

const pagesKey = (incidentId: number) => ["incident-pages", incidentId] as const;

function PageItem({
  page,
  incidentId,
  names,
}: {
  page: Page;
  incidentId: number;
  names: Map<number, string>;
}) {
  const queryClient = useQueryClient();
  const act = useMutation({
    mutationFn: (action: "acknowledge" | "resolve") => api<Page>("POST", `/pages/${page.id}/${action}`),
    onSettled: async () => {
      await queryClient.invalidateQueries({ queryKey: pagesKey(incidentId) });
      await queryClient.invalidateQueries({ queryKey: keys.incident(incidentId) });
    },
  });
  const who = (ids: number[]) => ids.map((id) => names.get(id) ?? `#${id}`).join(", ") || "nobody yet";
  return (
    <li className={`page-item page-${page.state}`}>
      <span>
        <strong>{page.title}</strong>
        <span className="muted">
          {" "}
          · {page.state}
          {page.role ? ` · for the ${page.role}` : ""} · level {page.level + 1} · {who(page.assignedTo)} ·{" "}
          <Time iso={page.createdAt} />
        </span>
        {page.acknowledgedBy !== null ? (
          <span className="muted"> · acknowledged by {who([page.acknowledgedBy])}</span>
        ) : null}
      </span>
      {page.state !== "resolved" ? (
        <span className="actions">
          {page.state === "triggered" ? (
            <button
              type="button"
              className="primary"
              disabled={act.isPending}
              onClick={() => act.mutate("acknowledge")}
            >
              Acknowledge
            </button>
          ) : null}
          <button type="button" disabled={act.isPending} onClick={() => act.mutate("resolve")}>
            Resolve page
          </button>
        </span>
      ) : null}
      <ErrorNote error={act.error} />
    </li>
  );
}

export function Pages({ incident }: { incident: Incident }) {
  const pages = useQuery({
    queryKey: pagesKey(incident.id),
    queryFn: async () => (await api<{ pages: Page[] }>("GET", `/pages?incident=${incident.id}`)).pages,
    refetchInterval: (q) => (q.state.data?.some((p) => p.state !== "resolved") ? 5_000 : false),
  });
  const users = useQuery(usersQuery);
  const names = new Map((users.data ?? []).map((u) => [u.id, u.name]));
  const list = pages.data ?? [];
  if (!pages.error && list.length === 0) return null;
  return (
    <section aria-labelledby="pages-heading" className="group">
      <h2 id="pages-heading">Pages</h2>
      <ErrorNote error={pages.error} />
      <ul className="pages-list" aria-live="polite">
        {list.map((p) => (
          <PageItem key={p.id} page={p} incidentId={incident.id} names={names} />
        ))}
      </ul>
    </section>
  );
}
