/**
 * The status page's admin reads and writes: components, drafts and their approval, public
 * incidents and maintenance. Types come from the server's schemas (types only).
 */
import { queryOptions } from "@tanstack/react-query";
import type {
  ComponentView,
  PublicIncidentView,
  StatusPageView,
  StatusUpdateView,
} from "../../../src/statuspage/routes.ts";
import { api } from "./client.ts";

export type StatusComponent = ComponentView;
export type StatusPageInfo = StatusPageView;
/** A team as GET /teams lists it, with the reader's role in it. */
export type Team = { id: number; slug: string; name: string; isDefault: boolean; myRole: string | null };
export type NewStatusPage = { slug: string; name: string; timeZone: string; teamId?: number };
export type ComponentChanges = {
  name?: string;
  description?: string | null;
  groupId?: number | null;
  group?: boolean;
  position?: number;
};
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
  teams: ["status-admin", "teams"] as const,
};

/** Every team with the reader's role in each: who owns a page, and who may manage it. */
export const teamsQuery = queryOptions({
  queryKey: statusKeys.teams,
  queryFn: async () => (await api<{ teams: Team[] }>("GET", "/teams")).teams,
  staleTime: 60_000,
});

export const createStatusPage = (body: NewStatusPage) => api<StatusPageInfo>("POST", "/status-pages", body);

export const updateStatusPage = (slug: string, body: { name?: string; timeZone?: string }) =>
  api<StatusPageInfo>("PATCH", base(slug), body);

export const createComponent = (slug: string, body: ComponentChanges & { name: string }) =>
  api<StatusComponent>("POST", `${base(slug)}/components`, body);

export const updateComponent = (slug: string, id: number, body: ComponentChanges) =>
  api<StatusComponent>("PATCH", `${base(slug)}/components/${id}`, body);

export const deleteComponent = (slug: string, id: number) =>
  api<void>("DELETE", `${base(slug)}/components/${id}`);

/** Every component's id in the new order, in one request (one transaction on the server). */
export const reorderComponents = async (slug: string, ids: number[]) =>
  (await api<{ components: StatusComponent[] }>("PUT", `${base(slug)}/components/order`, { ids })).components;

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
