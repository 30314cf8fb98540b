/**
 * The status page's admin reads and writes: components, drafts and their approval, public
 * incidents and maintenance. Types come from the server's schemas (types only).
 */
import { queryOptions } from "@tanstack/react-query";
import type { ComponentView, PublicIncidentView, StatusUpdateView } from "../../../src/statuspage/routes.ts";
import { api } from "./client.ts";

export type StatusComponent = ComponentView;
export type ComponentStatus = StatusComponent["status"];
export type PublicIncident = PublicIncidentView;
export type StatusUpdate = StatusUpdateView;
export type Draft = StatusUpdate & { incidentName: string };
export type NewMaintenance = {
  name: string;
  scheduledFor: string;
  scheduledUntil: string;
  body: string;
  components: number[];
  /** STAT-5: C1 is treated as an undeclared incident: the on-call roles are told 30 minutes ahead. */
  criticality?: "C1" | "C2" | "C3" | "C4" | null;
};

const base = (slug: string) => `/status-pages/${encodeURIComponent(slug)}`;

export const statusKeys = {
  page: (slug: string) => ["status-admin", slug] as const,
  components: (slug: string) => ["status-admin", slug, "components"] as const,
  drafts: (slug: string) => ["status-admin", slug, "drafts"] as const,
  posts: (slug: string) => ["status-admin", slug, "posts"] as const,
};

export const componentsQuery = (slug: string) =>
  queryOptions({
    queryKey: statusKeys.components(slug),
    queryFn: async () =>
      (await api<{ components: StatusComponent[] }>("GET", `${base(slug)}/components`)).components,
  });

export const draftsQuery = (slug: string) =>
  queryOptions({
    queryKey: statusKeys.drafts(slug),
    queryFn: async () => (await api<{ drafts: Draft[] }>("GET", `${base(slug)}/drafts`)).drafts,
  });

/** Public incidents and maintenance, unpublished ones too (a drafted maintenance is one). */
export const postsQuery = (slug: string) =>
  queryOptions({
    queryKey: statusKeys.posts(slug),
    queryFn: async () =>
      (await api<{ incidents: PublicIncident[] }>("GET", `${base(slug)}/incidents?drafts=true`)).incidents,
  });

export const setComponentStatus = (slug: string, id: number, status: ComponentStatus) =>
  api<StatusComponent>("PATCH", `${base(slug)}/components/${id}`, { status });

/** COMM-3: an outage is published once the approver says with whom (the EOC or IM) impact was confirmed. */
export const approveDraft = (slug: string, id: number, impactConfirmedWith?: number) =>
  api<Omit<PublicIncident, "updates">>(
    "POST",
    `${base(slug)}/drafts/${id}/approve`,
    impactConfirmedWith === undefined ? undefined : { impactConfirmedWith },
  );

export const discardDraft = (slug: string, id: number) =>
  api<void>("POST", `${base(slug)}/drafts/${id}/discard`);

export const correctUpdate = (slug: string, id: number, body: string) =>
  api<StatusUpdate>("PATCH", `${base(slug)}/updates/${id}`, { body });

export const draftMaintenance = (slug: string, body: NewMaintenance) =>
  api<{ statusIncidentId: number; update: StatusUpdate }>("POST", `${base(slug)}/maintenances`, body);

/** The public page of a posted incident or maintenance (served by Firebreak, not the app). */
export const publicPostUrl = (slug: string, id: number) =>
  `/status/${encodeURIComponent(slug)}/incidents/${id}`;
