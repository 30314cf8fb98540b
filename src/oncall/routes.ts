/** HTTP for schedules, overrides, who is on call, and the secret calendar feeds. */
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import { AppError } from "../platform/errors.ts";
import type { App } from "../platform/http.ts";
import { ofTeams, teamQuery } from "../platform/team-filter.ts";
import type { Shift } from "./model.ts";
import type { OncallService } from "./service.ts";
import type { StoredSchedule } from "./store.ts";

const tags = ["on-call"];
const id = z.object({ id: z.coerce.number().int().positive() });
const rotation = z
  .object({
    name: z.string().min(1).max(100),
    timeZone: z.string().min(1).describe("IANA zone, e.g. Europe/Berlin"),
    participants: z.array(z.number().int().positive()).describe("user ids in turn order"),
    shiftLength: z.object({ unit: z.enum(["hours", "days", "weeks"]), count: z.number() }).strict(),
    start: z.string().describe('local date-time of the first hand-off, "2026-03-02T09:00"'),
    restrictions: z
      .array(
        z.object({ days: z.array(z.number()), start: z.string().max(10), end: z.string().max(10) }).strict(),
      )
      .optional()
      .describe("on call only inside these local windows"),
  })
  .strict();
const scheduleBody = z
  .object({
    teamId: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("the team that owns it (on create; default: your team, or the default team)"),
    name: z.string().min(1).max(100),
    timeZone: z.string().min(1),
    layers: z.array(rotation).max(20),
  })
  .strict();
const overrideSchema = z.object({
  id: z.number(),
  userId: z.number(),
  start: z.string(),
  end: z.string(),
  reason: z.string().optional(),
});
const scheduleSchema = scheduleBody
  .extend({ id: z.number(), teamId: z.number(), overrides: z.array(overrideSchema) })
  .meta({ id: "Schedule" });
const shiftSchema = z.object({
  userId: z.number(),
  start: z.string(),
  end: z.string(),
  source: z.union([
    z.object({ kind: z.literal("layer"), layer: z.number() }),
    z.object({ kind: z.literal("override"), index: z.number(), overrideId: z.number().optional() }),
  ]),
});
const oncallNowSchema = z.object({
  schedule: z.object({ id: z.number(), name: z.string() }),
  userIds: z.array(z.number()),
  until: z.string().nullable(),
});
/** The shapes the web app reads (types only: web/src/api/oncall.ts). */
export type ScheduleView = z.infer<typeof scheduleSchema>;
export type ShiftView = z.infer<typeof shiftSchema>;
export type OverrideView = z.infer<typeof overrideSchema>;
export type OncallNowView = z.infer<typeof oncallNowSchema>;
const presentSchedule = (s: StoredSchedule) => ({
  id: s.id,
  teamId: s.teamId,
  name: s.name,
  timeZone: s.timeZone,
  layers: s.layers,
  overrides: s.overrides.map((o) => ({
    id: o.id,
    userId: o.userId,
    start: o.start.toISOString(),
    end: o.end.toISOString(),
    reason: o.reason,
  })),
});
const presentShift = (s: Shift) => ({ ...s, start: s.start.toISOString(), end: s.end.toISOString() });
const isoDate = z.iso.datetime({ offset: true });

export function oncallRoutes(service: OncallService) {
  return async (app: App) => {
    const admin = { minRole: "admin" as const };
    const responder = { minRole: "responder" as const };
    app.get(
      "/oncall",
      {
        schema: {
          tags,
          summary: "Who is on call now, for every schedule, and until when (PAGE-7)",
          response: {
            200: z.object({ oncall: z.array(oncallNowSchema) }),
          },
        },
      },
      async () => ({
        oncall: (await service.whoIsOnCall()).map((o) => ({ ...o, until: o.until?.toISOString() ?? null })),
      }),
    );
    app.get(
      "/schedules",
      {
        config: { team: { kind: "schedule", list: true } },
        schema: {
          tags,
          summary: "Schedules (`?team=mine` or a team id: only those teams')",
          querystring: teamQuery,
          response: { 200: z.object({ schedules: z.array(scheduleSchema) }) },
        },
      },
      async (req) => ({
        schedules: ofTeams(await service.list(), req.teamFilter, (s) => s.teamId).map(presentSchedule),
      }),
    );
    app.post(
      "/schedules",
      {
        config: { ...admin, team: { kind: "schedule" } },
        schema: { tags, summary: "Create a schedule", body: scheduleBody, response: { 201: scheduleSchema } },
      },
      async (req, reply) => {
        reply.code(201);
        return presentSchedule(await service.create(req.body));
      },
    );
    app.get(
      "/schedules/:id",
      {
        schema: {
          tags,
          summary: "A schedule with its overrides of the last 30 days onwards",
          params: id,
          response: { 200: scheduleSchema },
        },
      },
      async (req) => presentSchedule(await service.get(req.params.id)),
    );
    app.put(
      "/schedules/:id",
      {
        config: { ...admin, team: { kind: "schedule", param: "id" } },
        schema: {
          tags,
          summary: "Replace a schedule's rotations",
          params: id,
          body: scheduleBody,
          response: { 200: scheduleSchema },
        },
      },
      async (req) => presentSchedule(await service.update(req.params.id, req.body)),
    );
    app.delete(
      "/schedules/:id",
      {
        config: { ...admin, team: { kind: "schedule", param: "id" } },
        schema: { tags, summary: "Delete a schedule no escalation policy uses", params: id },
      },
      async (req, reply) => {
        await service.remove(req.params.id);
        return reply.code(204).send();
      },
    );
    app.get(
      "/schedules/:id/shifts",
      {
        schema: {
          tags,
          summary: "The final schedule (layers and overrides applied) as shifts in a window",
          params: id,
          querystring: z.object({ from: isoDate, until: isoDate }),
          response: { 200: z.object({ shifts: z.array(shiftSchema) }) },
        },
      },
      async (req) => ({
        shifts: (
          await service.shifts(req.params.id, new Date(req.query.from), new Date(req.query.until))
        ).map(presentShift),
      }),
    );
    app.post(
      "/schedules/:id/overrides",
      {
        config: { ...responder, team: { kind: "schedule", param: "id" } },
        schema: {
          tags,
          summary: "Cover someone's shift for a window (PAGE-7)",
          params: id,
          body: z
            .object({
              userId: z.number().int().positive(),
              start: isoDate,
              end: isoDate,
              reason: z.string().max(500).optional(),
            })
            .strict(),
          response: { 201: overrideSchema },
        },
      },
      async (req, reply) => {
        const o = await service.addOverride(actorOf(req), req.params.id, {
          ...req.body,
          start: new Date(req.body.start),
          end: new Date(req.body.end),
        });
        reply.code(201);
        return { ...o, start: o.start.toISOString(), end: o.end.toISOString() };
      },
    );
    app.delete(
      "/schedules/:id/overrides/:overrideId",
      {
        config: { ...responder, team: { kind: "schedule", param: "id" } },
        schema: {
          tags,
          summary: "Remove an override",
          params: id.extend({ overrideId: z.coerce.number().int().positive() }),
        },
      },
      async (req, reply) => {
        await service.removeOverride(req.params.id, req.params.overrideId);
        return reply.code(204).send();
      },
    );
    app.post(
      "/schedules/:id/calendar-feed",
      {
        schema: {
          tags,
          summary: "Create a secret iCalendar URL for this schedule",
          params: id,
          response: { 201: createdFeedSchema },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return service.createFeed(actorOf(req), { scheduleId: req.params.id });
      },
    );
    app.post(
      "/me/calendar-feed",
      {
        schema: {
          tags,
          summary: "Create a secret iCalendar URL with your shifts in every schedule",
          response: { 201: createdFeedSchema },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return service.createFeed(actorOf(req), { mine: true });
      },
    );
    app.get(
      "/calendar-feeds",
      {
        schema: {
          tags,
          summary: "The calendar feeds you made (an admin sees all); secrets are never shown again",
          response: { 200: z.object({ feeds: z.array(feedSchema) }) },
        },
      },
      async (req) => ({ feeds: await service.listFeeds(actorOf(req)) }),
    );
    app.delete(
      "/calendar-feeds/:id",
      {
        schema: {
          tags,
          summary: "Revoke a calendar feed: its URL stops working at once",
          params: id,
        },
      },
      async (req, reply) => {
        await service.revokeFeed(actorOf(req), req.params.id);
        return reply.code(204).send();
      },
    );
  };
}

const feedSchema = z
  .object({
    id: z.number(),
    scheduleId: z.number().nullable().describe("the schedule's feed, or null for a person's feed"),
    userId: z.number().nullable().describe("whose shifts a person's feed holds"),
    createdBy: z.number().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: "CalendarFeed" });
const createdFeedSchema = feedSchema.extend({
  url: z.string().describe("the secret URL; shown only now"),
});

/** The feed itself: the secret in the URL is the credential (calendar clients cannot send tokens). */
export function calendarFeedRoutes(service: OncallService) {
  return async (app: App) => {
    app.get(
      "/calendar/:file",
      {
        schema: {
          tags,
          summary: "An iCalendar (RFC 5545) feed of on-call shifts",
          security: [],
          params: z.object({ file: z.string().max(200) }),
        },
      },
      async (req, reply) => {
        const m = /^([\w-]{20,})\.ics$/.exec(req.params.file);
        if (!m?.[1]) throw new AppError("not-found", "no such calendar feed");
        const text = await service.renderFeed(m[1]);
        reply.type("text/calendar; charset=utf-8").header("cache-control", "private, max-age=300");
        return text;
      },
    );
  };
}
