/**
 * The chat tables (migrations/0020): linked chat accounts, each incident's Slack channel, and the
 * Events API deliveries already taken.
 */
import type { Kysely } from "kysely";
import type { PlatformTables } from "../platform/db.ts";

export interface ChatTables {
  chat_identities: {
    user_id: number;
    provider: "slack" | "mattermost";
    external_id: string;
    team_id: string | null;
    linked_by: "email" | "manual";
    created_at?: Date;
  };
  slack_rooms: {
    incident_id: number;
    channel_id: string | null;
    channel_name: string | null;
    is_private: boolean;
    header_ts: string | null;
    header_pinned: boolean;
    header_text: string | null;
    invited: string[];
    announced: string[];
    failing_since: Date | null;
    last_error: string | null;
    created_at: Date;
    updated_at: Date;
  };
  slack_events: { event_id: string; received_at: Date };
}

// biome-ignore lint/suspicious/noExplicitAny: a transaction of any capability reaches these tables
export type ChatDb = Kysely<PlatformTables & ChatTables> | Kysely<any>;
type Db = Kysely<PlatformTables & ChatTables>;
const asDb = (db: ChatDb) => db as Db;

export type Room = ChatTables["slack_rooms"];

export async function insertRoom(
  db: ChatDb,
  incidentId: number,
  isPrivate: boolean,
  now: Date,
): Promise<void> {
  await asDb(db)
    .insertInto("slack_rooms")
    .values({
      incident_id: incidentId,
      channel_id: null,
      channel_name: null,
      is_private: isPrivate,
      header_ts: null,
      header_pinned: false,
      header_text: null,
      invited: [],
      announced: [],
      failing_since: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column("incident_id").doNothing())
    .execute();
}

export async function getRoom(db: ChatDb, incidentId: number, lock = false): Promise<Room | undefined> {
  let q = asDb(db).selectFrom("slack_rooms").selectAll().where("incident_id", "=", incidentId);
  if (lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function roomByChannel(db: ChatDb, channelId: string): Promise<Room | undefined> {
  return asDb(db)
    .selectFrom("slack_rooms")
    .selectAll()
    .where("channel_id", "=", channelId)
    .executeTakeFirst();
}

export async function updateRoom(
  db: ChatDb,
  incidentId: number,
  changes: Partial<Omit<Room, "incident_id" | "created_at">>,
  now: Date,
): Promise<void> {
  await asDb(db)
    .updateTable("slack_rooms")
    .set({ ...changes, updated_at: now })
    .where("incident_id", "=", incidentId)
    .execute();
}

/** The Slack account linked to each of these people (one each: a manual link wins over email). */
export async function slackIdsOf(db: ChatDb, userIds: number[]): Promise<Map<number, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await asDb(db)
    .selectFrom("chat_identities")
    .select(["user_id", "external_id", "linked_by"])
    .where("provider", "=", "slack")
    .where("user_id", "in", userIds)
    .orderBy("linked_by", "desc") // 'manual' after 'email': the later write wins below
    .execute();
  return new Map(rows.map((r) => [r.user_id, r.external_id]));
}

/** The Firebreak person a Slack account is linked to, or undefined. */
export async function userOfSlack(db: ChatDb, slackId: string): Promise<number | undefined> {
  const row = await asDb(db)
    .selectFrom("chat_identities")
    .select("user_id")
    .where("provider", "=", "slack")
    .where("external_id", "=", slackId)
    .executeTakeFirst();
  return row?.user_id === undefined ? undefined : Number(row.user_id);
}

/** Keeps an email match (users.lookupByEmail); a manual link already made is not replaced. */
export async function linkByEmail(db: ChatDb, userId: number, slackId: string, teamId: string | null) {
  await asDb(db)
    .insertInto("chat_identities")
    .values({ user_id: userId, provider: "slack", external_id: slackId, team_id: teamId, linked_by: "email" })
    .onConflict((oc) => oc.columns(["provider", "external_id"]).doNothing())
    .execute();
}

/** People with their email and whether they are automation (alert) users. */
export async function peopleOf(db: ChatDb, userIds: number[]) {
  if (userIds.length === 0) return [];
  const rows = await asDb(db)
    .selectFrom("users")
    .select(["id", "username", "name", "email", "deactivated_at"])
    .where("id", "in", userIds)
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    username: r.username,
    name: r.name,
    email: r.email,
    active: r.deactivated_at === null && !r.username.startsWith("@"),
  }));
}

/** Takes an Events API delivery once: false when this event_id was taken before (a retry). */
export async function takeEvent(db: ChatDb, eventId: string, now: Date): Promise<boolean> {
  const row = await asDb(db)
    .insertInto("slack_events")
    .values({ event_id: eventId, received_at: now })
    .onConflict((oc) => oc.column("event_id").doNothing())
    .returning("event_id")
    .executeTakeFirst();
  return row !== undefined;
}

/** Forgets deliveries older than `before` (Slack stops retrying within the hour). */
export async function forgetEvents(db: ChatDb, before: Date): Promise<void> {
  await asDb(db).deleteFrom("slack_events").where("received_at", "<", before).execute();
}
