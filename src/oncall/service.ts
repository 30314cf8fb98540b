/** On-call commands: schedules, overrides, who is on call, and secret calendar feeds (PAGE-7). */
import { randomBytes } from "node:crypto";
import { type Actor, hashToken } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { AppError, notFound } from "../platform/errors.ts";
import { renderCalendar } from "./ical.ts";
import {
  finalSchedule,
  nextHandoff,
  onCallAt,
  type Rotation,
  type Schedule,
  validateSchedule,
} from "./model.ts";
import type { OncallDb, StoredSchedule } from "./store.ts";
import * as store from "./store.ts";

export type ScheduleBody = { name: string; timeZone: string; layers: Rotation[] };

const FEED_PAST_DAYS = 30;
const FEED_FUTURE_DAYS = 90;
const DAY = 86_400_000;
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === "23505";

function problemsError(problems: { field: string; message: string }[]): AppError {
  return new AppError("invalid-request", problems.map((p) => `${p.field}: ${p.message}`).join("; "), {
    field: problems[0]?.field,
    errors: problems,
  });
}

const asSchedule = (s: StoredSchedule): Schedule => ({
  name: s.name,
  timeZone: s.timeZone,
  layers: s.layers,
  overrides: s.overrides,
});

type FeedRow = {
  id: number;
  schedule_id: number | null;
  schedule_name: string | null;
  user_id: number | null;
  created_by: number | null;
  created_at: Date;
};
const presentFeed = (f: FeedRow) => ({
  id: f.id,
  scheduleId: f.schedule_id,
  userId: f.user_id,
  createdBy: f.created_by,
  createdAt: f.created_at.toISOString(),
});

export function createOncallService(deps: {
  db: OncallDb;
  clock: Clock;
  publicUrl: string;
  /** Escalation policies that target a schedule: it cannot be deleted while they do. */
  policiesUsingSchedule: (db: OncallDb, scheduleId: number) => Promise<{ id: number; name: string }[]>;
}) {
  const { db, clock } = deps;

  async function checkParticipants(tx: OncallDb, layers: Rotation[]) {
    const ids = layers.flatMap((l) => (Array.isArray(l.participants) ? l.participants : []));
    const active = await store.activeUserIds(tx, ids);
    for (const [i, l] of layers.entries()) {
      for (const [j, u] of l.participants.entries()) {
        if (!active.has(u)) {
          throw problemsError([{ field: `layers[${i}].participants[${j}]`, message: `no active user ${u}` }]);
        }
      }
    }
  }

  async function load(tx: OncallDb, id: number, since?: Date): Promise<StoredSchedule> {
    const s = await store.getSchedule(tx, id, since);
    if (!s) throw notFound("schedule", id);
    return s;
  }

  async function save(body: ScheduleBody, id?: number): Promise<StoredSchedule> {
    const problems = validateSchedule({ ...body, overrides: [] });
    if (problems.length) throw problemsError(problems);
    return db.transaction().execute(async (tx) => {
      await checkParticipants(tx, body.layers);
      const now = clock.now();
      try {
        if (id === undefined) id = await store.insertSchedule(tx, body, now);
        else {
          await load(tx, id);
          await store.updateSchedule(tx, id, body, now);
        }
      } catch (err) {
        if (isUniqueViolation(err))
          throw new AppError("conflict", `a schedule named ${body.name} exists`, { field: "name" });
        throw err;
      }
      return load(tx, id);
    });
  }

  /** Who is on call in a schedule now, and until when. */
  function current(s: StoredSchedule, at: Date) {
    const sched = asSchedule(s);
    return { userIds: onCallAt(sched, at), until: nextHandoff(sched, at) };
  }

  return {
    create: (body: ScheduleBody) => save(body),
    update: (id: number, body: ScheduleBody) => save(body, id),
    get: (id: number) => load(db, id, new Date(clock.now().getTime() - FEED_PAST_DAYS * DAY)),
    async list() {
      const ids = await store.listScheduleIds(db);
      const since = clock.now();
      return Promise.all(ids.map((s) => load(db, s.id, since)));
    },
    async remove(id: number) {
      await db.transaction().execute(async (tx) => {
        await load(tx, id);
        const users = await deps.policiesUsingSchedule(tx, id);
        if (users.length) {
          throw new AppError(
            "conflict",
            `schedule ${id} is used by escalation policies ${users.map((p) => `${p.name} (#${p.id})`).join(", ")}; change them first`,
            { usedBy: users },
          );
        }
        await store.deleteSchedule(tx, id);
      });
    },

    /** A coverage swap (PAGE-7); refused when it does not meet any rotation's shifts. */
    async addOverride(
      actor: Actor,
      id: number,
      o: { userId: number; start: Date; end: Date; reason?: string },
    ) {
      return db.transaction().execute(async (tx) => {
        const s = await load(tx, id);
        const overrides = [
          ...s.overrides,
          { userId: o.userId, start: o.start, end: o.end, reason: o.reason },
        ];
        const index = overrides.length - 1;
        const problems = validateSchedule({ ...asSchedule(s), overrides }).filter((p) =>
          p.field.startsWith(`overrides[${index}]`),
        );
        if (problems.length) {
          throw problemsError(
            problems.map((p) => ({ ...p, field: p.field.replace(`overrides[${index}]`, "override") })),
          );
        }
        if (!(await store.activeUserIds(tx, [o.userId])).has(o.userId)) {
          throw problemsError([{ field: "override.userId", message: `no active user ${o.userId}` }]);
        }
        const overrideId = await store.insertOverride(
          tx,
          {
            scheduleId: id,
            userId: o.userId,
            start: o.start,
            end: o.end,
            reason: o.reason ?? "",
            createdBy: actor.id,
          },
          clock.now(),
        );
        return { id: overrideId, ...o };
      });
    },
    async removeOverride(id: number, overrideId: number) {
      if (!(await store.deleteOverride(db, id, overrideId)))
        throw notFound(`override of schedule ${id}:`, overrideId);
    },

    async shifts(id: number, from: Date, to: Date) {
      if (to <= from) throw new AppError("invalid-request", "until: must be after from", { field: "until" });
      if (to.getTime() - from.getTime() > 366 * DAY) {
        throw new AppError("invalid-request", "until: a window is at most 366 days", { field: "until" });
      }
      const s = await load(db, id, from);
      // An override's shifts name it by id, so a client knows which one to remove.
      return finalSchedule(asSchedule(s), from, to).map((sh) =>
        sh.source.kind === "override"
          ? { ...sh, source: { ...sh.source, overrideId: s.overrides[sh.source.index]?.id } }
          : sh,
      );
    },

    /** PAGE-7: who is on call now in every schedule (one source of truth per rotation). */
    async whoIsOnCall() {
      const now = clock.now();
      const ids = await store.listScheduleIds(db);
      return Promise.all(
        ids.map(async ({ id }) => {
          const s = await load(db, id, now);
          return { schedule: { id: s.id, name: s.name }, ...current(s, now) };
        }),
      );
    },

    /** The users a schedule has on call at an instant (for the paging engine). */
    async onCall(tx: OncallDb, id: number, at: Date): Promise<number[]> {
      const s = await store.getSchedule(tx, id, at);
      return s ? onCallAt(asSchedule(s), at) : [];
    },
    scheduleExists: (tx: OncallDb, id: number) => store.scheduleExists(tx, id),

    // -- rotations by name: the policy file names a role's rotation (PAGE-7) ------------------------
    scheduleIdByName: (tx: OncallDb, name: string) => store.scheduleIdByName(tx, name),
    /** Who is on call in the rotation named `name` at `at` (nobody when it does not exist). */
    async onCallIn(tx: OncallDb, name: string, at: Date): Promise<number[]> {
      const s = await store.getSchedule(tx, { name }, at);
      return s ? onCallAt(asSchedule(s), at) : [];
    },
    /** Everyone who takes shifts in the rotation (its layers' participants), once each. */
    async membersOf(tx: OncallDb, name: string): Promise<number[]> {
      const id = await store.scheduleIdByName(tx, name);
      const s = id === undefined ? undefined : await store.getSchedule(tx, id, clock.now());
      return s ? [...new Set(s.layers.flatMap((l) => l.participants))] : [];
    },
    /** OWN-8: when `userId`'s shift in the rotation that covers `at` ends; null when they are not on call then. */
    async shiftEndOf(tx: OncallDb, name: string, userId: number, at: Date): Promise<Date | null> {
      const id = await store.scheduleIdByName(tx, name);
      const s = id === undefined ? undefined : await store.getSchedule(tx, id, at);
      if (!s) return null;
      const sched = asSchedule(s);
      return onCallAt(sched, at).includes(userId) ? nextHandoff(sched, at) : null;
    },
    /**
     * The rotation named `name`, created with `fallbackUserId` on call (weekly, from the Monday
     * before `at`) when it does not exist yet; its id either way.
     */
    async ensureRotation(tx: OncallDb, name: string, fallbackUserId: number): Promise<number> {
      const existing = await store.scheduleIdByName(tx, name);
      if (existing !== undefined) return existing;
      const now = clock.now();
      const monday = new Date(now.getTime() - (((now.getUTCDay() + 6) % 7) + 7) * DAY);
      const body: ScheduleBody = {
        name,
        timeZone: "UTC",
        layers: [
          {
            name: `${name} rotation`,
            timeZone: "UTC",
            participants: [fallbackUserId],
            shiftLength: { unit: "weeks", count: 1 },
            start: `${monday.toISOString().slice(0, 10)}T09:00`,
          },
        ],
      };
      return store.insertSchedule(tx, body, now);
    },
    schedulesNamingUser: (userId: number) => store.schedulesNamingUser(db, userId),

    /** A secret iCalendar URL for a schedule or for yourself; the secret is shown once. */
    async createFeed(actor: Actor, target: { scheduleId: number } | { mine: true }) {
      if ("scheduleId" in target) await load(db, target.scheduleId);
      const secret = randomBytes(24).toString("base64url");
      const row = await store.insertFeed(
        db,
        {
          tokenHash: hashToken(secret),
          scheduleId: "scheduleId" in target ? target.scheduleId : null,
          userId: "scheduleId" in target ? null : actor.id,
          createdBy: actor.id,
        },
        clock.now(),
      );
      return {
        ...presentFeed({ ...row, schedule_name: null }),
        url: `${deps.publicUrl}/calendar/${secret}.ics`,
      };
    },

    /** Your feeds (an admin sees everyone's); the secrets are not kept, so no URL is shown. */
    async listFeeds(actor: Actor) {
      const rows = await store.listFeeds(db, actor.role === "admin" ? null : actor.id);
      return rows.map(presentFeed);
    },

    /** Revokes a feed at once: its URL answers 404 from then on. Its maker or an admin may. */
    async revokeFeed(actor: Actor, id: number): Promise<void> {
      const feed = await store.findFeedById(db, id);
      // Someone else's feed is reported as missing: its existence is not theirs to learn.
      if (!feed || (actor.role !== "admin" && feed.created_by !== actor.id)) {
        throw notFound("calendar feed", id);
      }
      await store.deleteFeed(db, id);
    },

    /** Renders a feed: 30 days back, 90 ahead; a person's feed holds their shifts in every schedule. */
    async renderFeed(secret: string): Promise<string> {
      const feed = await store.findFeed(db, hashToken(secret));
      if (!feed) throw notFound("calendar feed", "(this link)");
      const now = clock.now();
      // Cut at a day boundary so the first shift (and its UID) stays the same between fetches.
      const from = new Date(Math.floor((now.getTime() - FEED_PAST_DAYS * DAY) / DAY) * DAY);
      const to = new Date(Math.floor((now.getTime() + FEED_FUTURE_DAYS * DAY) / DAY) * DAY);
      const scheduleIds =
        feed.schedule_id !== null ? [feed.schedule_id] : (await store.listScheduleIds(db)).map((s) => s.id);
      const shifts: { userId: number; start: Date; end: Date; schedule: string }[] = [];
      let scheduleName = "";
      for (const sid of scheduleIds) {
        const s = await load(db, sid, from);
        scheduleName = s.name;
        for (const sh of finalSchedule(asSchedule(s), from, to)) {
          if (feed.user_id === null || sh.userId === feed.user_id) shifts.push({ ...sh, schedule: s.name });
        }
      }
      const names = await store.userNames(db, [
        ...shifts.map((s) => s.userId),
        ...(feed.user_id ? [feed.user_id] : []),
      ]);
      const title =
        feed.schedule_id !== null ? scheduleName : `${names.get(feed.user_id ?? 0) ?? "My"} on-call`;
      return renderCalendar({
        name: title,
        id: feed.schedule_id !== null ? `schedule-${feed.schedule_id}` : `user-${feed.user_id}`,
        now,
        url: deps.publicUrl,
        shifts: shifts.map((s) => ({
          userId: s.userId,
          userName:
            feed.schedule_id !== null
              ? (names.get(s.userId) ?? `user ${s.userId}`)
              : `${names.get(s.userId) ?? "you"} · ${s.schedule}`,
          start: s.start,
          end: s.end,
        })),
      });
    },
  };
}

export type OncallService = ReturnType<typeof createOncallService>;
