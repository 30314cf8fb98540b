/**
 * The shapes the app reads. Incident, timeline, task, policy and user types are taken (types only, erased
 * from the bundle) from the server's own schemas, so they cannot drift from what the API sends.
 */
import type { z } from "zod";
import type { eventSchema, IncidentView, taskSchema } from "../../../src/incidents/schemas.ts";
import type { IncidentClocksView, PolicyView } from "../../../src/policy/routes.ts";
import type { meSchema, tokenSchema, userSchema } from "../../../src/users/schemas.ts";

export type Incident = IncidentView;
export type IncidentState = Incident["state"];
export type TimelineEvent = z.infer<typeof eventSchema>;
export type Task = z.infer<typeof taskSchema>;
export type Policy = PolicyView;
export type PolicySeverity = Policy["severities"][number];
/** An incident's pending clocks, deadlines and what the rules did (GET /incidents/{id}/clocks). */
export type IncidentClocks = IncidentClocksView;

export type User = z.infer<typeof userSchema>;
export type Role = User["role"];
/** The signed-in person: also whether they have a password yet (a first start has only a token). */
export type Me = z.infer<typeof meSchema>;
export type Session = { user: Me; signedInWith?: "password" | "token" | "sso" };
export type Token = z.infer<typeof tokenSchema>;
export type CreatedToken = Token & { token: string };

export type StatusPage = { id: number; slug: string; name: string; timeZone: string };
export const statusPostStates = ["investigating", "identified", "monitoring", "resolved"] as const;
export type StatusPostState = (typeof statusPostStates)[number];
export type StatusPostUpdate = {
  id: number;
  statusIncidentId: number;
  status: string;
  body: string;
  state: "draft" | "published" | "discarded";
  createdAt: string;
  publishedAt: string | null;
};
/** An incident as posted on a public status page. */
export type StatusPost = {
  id: number;
  pageId: number;
  incidentId: number | null;
  kind: "incident" | "maintenance";
  name: string;
  status: string;
  published: boolean;
  resolvedAt: string | null;
  updates: StatusPostUpdate[];
};
