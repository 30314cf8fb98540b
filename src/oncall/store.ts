/** SQL for schedules, overrides and calendar feeds. */
import type { ColumnType, Generated, Kysely } from "kysely";
import type { PlatformTables } from "../platform/db.ts";
import type { Override, Rotation } from "./model.ts";

export interface OncallTables {
  schedules: {
    id: Generated<number>;
    name: string;
    time_zone: string;
    layers: ColumnType<Rotation[], string, string>;
    /** The team that owns it (the default team when none is named). */
    team_id: Generated<number>;
    created_at: Date;
    updated_at: Date;
  };
  schedule_overrides: {
    id: Generated<number>;
    schedule_id: number;
    user_id: number;
    start_at: Date;
    end_at: Date;
    reason: string;
    created_by: number;
    created_at: Date;
  };
  calendar_feeds: {
    id: Generated<number>;
    token_hash: string;
    schedule_id: number | null;
    user_id: number | null;
    created_by: number | null;
    created_at: Date;
  };
}

export type OncallDb = Kysely<PlatformTables & OncallTables>;

export type StoredSchedule = {
  id: number;
  teamId: number;
  name: string;
  timeZone: string;
  layers: Rotation[];
  overrides: (Override & { id: number })[];
};

export async function insertSchedule(
  db: OncallDb,
  s: { name: string; timeZone: string; layers: Rotation[]; teamId?: number },
  now: Date,
): Promise<number> {
  const row = await db
    .insertInto("schedules")
    .values({
      ...(s.teamId === undefined ? {} : { team_id: s.teamId }),
      name: s.name,
      time_zone: s.timeZone,
      layers: JSON.stringify(s.layers),
      created_at: now,
      updated_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function updateSchedule(
  db: OncallDb,
  id: number,
  s: { name: string; timeZone: string; layers: Rotation[]; teamId?: number },
  now: Date,
): Promise<void> {
  await db
    .updateTable("schedules")
    .set({
      ...(s.teamId === undefined ? {} : { team_id: s.teamId }),
      name: s.name,
      time_zone: s.timeZone,
      layers: JSON.stringify(s.layers),
      updated_at: now,
    })
    .where("id", "=", id)
    .execute();
}

export async function deleteSchedule(db: OncallDb, id: number): Promise<void> {
  await db.deleteFrom("schedules").where("id", "=", id).execute();
}

/**
 * A schedule (by id, or by name: the policy file names rotations) with the overrides that end
 * after `since` (older ones no longer matter). One query: paging asks this for every page it sends.
 */
export async function getSchedule(
  db: OncallDb,
  id: number | { name: string },
  since?: Date,
): Promise<StoredSchedule | undefined> {
  const rows = await db
    .selectFrom("schedules as s")
    .leftJoin("schedule_overrides as o", (join) => {
      const on = join.onRef("o.schedule_id", "=", "s.id");
      return since ? on.on("o.end_at", ">", since) : on;
    })
    .select([
      "s.id",
      "s.team_id",
      "s.name",
      "s.time_zone",
      "s.layers",
      "o.id as override_id",
      "o.user_id",
      "o.start_at",
      "o.end_at",
      "o.reason",
    ])
    .where((eb) => (typeof id === "number" ? eb("s.id", "=", id) : eb("s.name", "=", id.name)))
    .orderBy("o.start_at")
    .orderBy("o.id")
    .execute();
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    teamId: row.team_id,
    name: row.name,
    timeZone: row.time_zone,
    layers: row.layers,
    overrides: rows.flatMap((o) =>
      o.override_id === null || o.user_id === null || o.start_at === null || o.end_at === null
        ? []
        : [
            {
              id: o.override_id,
              userId: o.user_id,
              start: o.start_at,
              end: o.end_at,
              reason: o.reason ?? "",
            },
          ],
    ),
  };
}

export async function listScheduleIds(db: OncallDb): Promise<{ id: number; name: string }[]> {
  return db.selectFrom("schedules").select(["id", "name"]).orderBy("name").execute();
}

export async function scheduleIdByName(db: OncallDb, name: string): Promise<number | undefined> {
  const row = await db.selectFrom("schedules").select("id").where("name", "=", name).executeTakeFirst();
  return row?.id;
}

export async function scheduleExists(db: OncallDb, id: number): Promise<boolean> {
  return (
    (await db.selectFrom("schedules").select("id").where("id", "=", id).executeTakeFirst()) !== undefined
  );
}

export async function insertOverride(
  db: OncallDb,
  o: { scheduleId: number; userId: number; start: Date; end: Date; reason: string; createdBy: number },
  now: Date,
): Promise<number> {
  const row = await db
    .insertInto("schedule_overrides")
    .values({
      schedule_id: o.scheduleId,
      user_id: o.userId,
      start_at: o.start,
      end_at: o.end,
      reason: o.reason,
      created_by: o.createdBy,
      created_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function deleteOverride(db: OncallDb, scheduleId: number, id: number): Promise<boolean> {
  const r = await db
    .deleteFrom("schedule_overrides")
    .where("id", "=", id)
    .where("schedule_id", "=", scheduleId)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}

/** Schedules whose rotations or overrides name the user. */
export async function schedulesNamingUser(
  db: OncallDb,
  userId: number,
): Promise<{ id: number; name: string }[]> {
  const all = await db.selectFrom("schedules").select(["id", "name", "layers"]).execute();
  const overrides = await db
    .selectFrom("schedule_overrides")
    .select("schedule_id")
    .where("user_id", "=", userId)
    .execute();
  const viaOverride = new Set(overrides.map((o) => o.schedule_id));
  return all
    .filter((s) => viaOverride.has(s.id) || s.layers.some((l) => l.participants.includes(userId)))
    .map((s) => ({ id: s.id, name: s.name }));
}

export async function insertFeed(
  db: OncallDb,
  f: { tokenHash: string; scheduleId: number | null; userId: number | null; createdBy: number },
  now: Date,
) {
  return db
    .insertInto("calendar_feeds")
    .values({
      token_hash: f.tokenHash,
      schedule_id: f.scheduleId,
      user_id: f.userId,
      created_by: f.createdBy,
      created_at: now,
    })
    .returning(["id", "schedule_id", "user_id", "created_by", "created_at"])
    .executeTakeFirstOrThrow();
}

/** Feeds made by one user, or every feed when `createdBy` is null (an admin's view). */
export async function listFeeds(db: OncallDb, createdBy: number | null) {
  let q = db
    .selectFrom("calendar_feeds")
    .leftJoin("schedules", "schedules.id", "calendar_feeds.schedule_id")
    .select([
      "calendar_feeds.id",
      "calendar_feeds.schedule_id",
      "schedules.name as schedule_name",
      "calendar_feeds.user_id",
      "calendar_feeds.created_by",
      "calendar_feeds.created_at",
    ])
    .orderBy("calendar_feeds.id");
  if (createdBy !== null) q = q.where("calendar_feeds.created_by", "=", createdBy);
  return q.execute();
}

export async function findFeedById(db: OncallDb, id: number) {
  return db.selectFrom("calendar_feeds").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function deleteFeed(db: OncallDb, id: number): Promise<void> {
  await db.deleteFrom("calendar_feeds").where("id", "=", id).execute();
}

/** A live feed by its secret's hash: a feed made by, or of, a deactivated user no longer answers. */
export async function findFeed(db: OncallDb, tokenHash: string) {
  return db
    .selectFrom("calendar_feeds")
    .selectAll()
    .where("token_hash", "=", tokenHash)
    .where(({ not, exists, selectFrom, or, ref }) =>
      not(
        exists(
          selectFrom("users")
            .select("users.id")
            .where("users.deactivated_at", "is not", null)
            .where((u) =>
              or([
                u("users.id", "=", ref("calendar_feeds.created_by")),
                u("users.id", "=", ref("calendar_feeds.user_id")),
              ]),
            ),
        ),
      ),
    )
    .executeTakeFirst();
}

export async function userNames(db: OncallDb, ids: number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom("users")
    .select(["id", "name"])
    .where("id", "in", [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

export async function activeUserIds(db: OncallDb, ids: number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom("users")
    .select("id")
    .where("id", "in", [...new Set(ids)])
    .where("deactivated_at", "is", null)
    .execute();
  return new Set(rows.map((r) => r.id));
}
