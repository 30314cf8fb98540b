/**
 * On-call's reads and writes: who is on call, schedules and their shifts, overrides, escalation
 * policies and services. Types come from the server's schemas (types only, erased from the bundle).
 */
import { queryOptions } from "@tanstack/react-query";
import type { OncallNowView, OverrideView, ScheduleView, ShiftView } from "../../../src/oncall/routes.ts";
import type { EscalationPolicyView } from "../../../src/paging/routes.ts";
import { api, withQuery } from "./client.ts";

export type OncallNow = OncallNowView;
export type Schedule = ScheduleView;
export type Shift = ShiftView;
export type Override = OverrideView;
export type EscalationPolicy = EscalationPolicyView;
export type NewOverride = { userId: number; start: string; end: string; reason?: string };

export const oncallKeys = {
  all: ["oncall"] as const,
  now: ["oncall", "now"] as const,
  schedules: ["oncall", "schedules"] as const,
  shifts: (scheduleId: number, from: string, until: string) =>
    ["oncall", "shifts", scheduleId, from, until] as const,
  policies: ["oncall", "escalation-policies"] as const,
};

export const oncallNowQuery = queryOptions({
  queryKey: oncallKeys.now,
  queryFn: async () => (await api<{ oncall: OncallNow[] }>("GET", "/oncall")).oncall,
  // Who is on call changes at hand-offs; re-read every minute so "until" stays true.
  refetchInterval: 60_000,
});

export const schedulesQuery = queryOptions({
  queryKey: oncallKeys.schedules,
  queryFn: async () => (await api<{ schedules: Schedule[] }>("GET", "/schedules")).schedules,
});

/** The final schedule (rotations and overrides applied) between two instants. */
export const shiftsQuery = (scheduleId: number, from: string, until: string) =>
  queryOptions({
    queryKey: oncallKeys.shifts(scheduleId, from, until),
    queryFn: async () =>
      (await api<{ shifts: Shift[] }>("GET", withQuery(`/schedules/${scheduleId}/shifts`, { from, until })))
        .shifts,
  });

export const policiesQuery = queryOptions({
  queryKey: oncallKeys.policies,
  queryFn: async () => (await api<{ policies: EscalationPolicy[] }>("GET", "/escalation-policies")).policies,
  staleTime: 60_000,
});

export const createOverride = (scheduleId: number, body: NewOverride) =>
  api<Override>("POST", `/schedules/${scheduleId}/overrides`, body);

export const deleteOverride = (scheduleId: number, overrideId: number) =>
  api<void>("DELETE", `/schedules/${scheduleId}/overrides/${overrideId}`);

// -- editing schedules (the schedule editor, /schedules) ------------------------------------------

/** What POST and PUT /schedules take: PUT replaces the name, zone, team and every layer. */
export type ScheduleBody = {
  name: string;
  timeZone: string;
  teamId?: number;
  layers: Schedule["layers"];
};
/** A team with the viewer's role in it (null: not a member). */
export type TeamChoice = {
  id: number;
  slug: string;
  name: string;
  isDefault: boolean;
  myRole: string | null;
};

export const scheduleQuery = (id: number) =>
  queryOptions({
    queryKey: [...oncallKeys.schedules, id] as const,
    queryFn: () => api<Schedule>("GET", `/schedules/${id}`),
  });

export const scheduleTeamsQuery = queryOptions({
  queryKey: ["oncall", "teams"] as const,
  queryFn: async () => (await api<{ teams: TeamChoice[] }>("GET", "/teams")).teams,
  staleTime: 60_000,
});

export const createSchedule = (body: ScheduleBody, idempotencyKey?: string) =>
  api<Schedule>("POST", "/schedules", body, { idempotencyKey });

export const updateSchedule = (id: number, body: ScheduleBody) =>
  api<Schedule>("PUT", `/schedules/${id}`, body);

export const deleteSchedule = (id: number) => api<void>("DELETE", `/schedules/${id}`);
