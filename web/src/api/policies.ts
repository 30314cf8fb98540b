/**
 * Escalation policies' reads and writes (PUT replaces a policy whole), and the teams a policy can
 * belong to. The list shares its cache entry with the on-call screen, so a save shows there too.
 */
import { queryOptions } from "@tanstack/react-query";
import type { PolicyBody } from "../lib/escalation-policy.ts";
import { api } from "./client.ts";
import { type EscalationPolicy, oncallKeys, policiesQuery } from "./oncall.ts";
import type { Role } from "./types.ts";

export type { EscalationPolicy, PolicyBody };
/** GET /teams: every team, with your role in it (null: not a member). */
export type Team = { id: number; slug: string; name: string; isDefault: boolean; myRole: Role | null };

export const policyKeys = {
  list: oncallKeys.policies,
  one: (id: number) => [...oncallKeys.policies, id] as const,
  teams: ["teams"] as const,
};

export const policyListQuery = policiesQuery;

export const policyQuery = (id: number) =>
  queryOptions({
    queryKey: policyKeys.one(id),
    queryFn: () => api<EscalationPolicy>("GET", `/escalation-policies/${id}`),
  });

export const teamsQuery = queryOptions({
  queryKey: policyKeys.teams,
  queryFn: async () => (await api<{ teams: Team[] }>("GET", "/teams")).teams,
  staleTime: 60_000,
});

export const createPolicy = (body: PolicyBody, idempotencyKey: string) =>
  api<EscalationPolicy>("POST", "/escalation-policies", body, { idempotencyKey });

export const replacePolicy = (id: number, body: PolicyBody) =>
  api<EscalationPolicy>("PUT", `/escalation-policies/${id}`, body);

export const deletePolicy = (id: number) => api<void>("DELETE", `/escalation-policies/${id}`);
