/** SQL for status page subscribers, their link tokens, their deliveries and subscribe rate limits. */
import { type Generated, type Kysely, sql } from "kysely";
import type { PlatformTables } from "../platform/db.ts";
import type { StatusTables } from "./store.ts";
import type { SubscriberKind } from "./subscribers-model.ts";

export type DeliveryStatus =
  | "pending"
  | "sending"
  | "delivered"
  | "failed-retryable"
  | "failed-permanent"
  | "cancelled";

export interface SubscriberTables {
  status_subscribers: {
    id: Generated<number>;
    page_id: number;
    kind: SubscriberKind;
    address: string;
    secret: string | null;
    confirm_requests: Generated<number>;
    confirmed_at: Date | null;
    unsubscribed_at: Date | null;
    created_at: Date;
    created_ip: string;
  };
  status_subscriber_tokens: {
    token_hash: string;
    subscriber_id: number;
    purpose: "confirm" | "unsubscribe";
    created_at: Date;
    expires_at: Date | null;
  };
  status_subscriber_deliveries: {
    id: Generated<number>;
    subscriber_id: number;
    update_id: number;
    status: DeliveryStatus;
    attempts: number;
    last_error: string | null;
    created_at: Date;
    sent_at: Date | null;
  };
  status_subscribe_attempts: { key: string; at: Date };
}

export type SubscriberDb = Kysely<PlatformTables & StatusTables & SubscriberTables>;
export type SubscriberRow = Awaited<ReturnType<typeof lockSubscriber>> & {};

// -- subscribers --------------------------------------------------------------------------------

export const pageBySlug = (db: SubscriberDb, slug: string) =>
  db.selectFrom("status_pages").selectAll().where("slug", "=", slug).executeTakeFirst();
export const pageById = (db: SubscriberDb, id: number) =>
  db.selectFrom("status_pages").selectAll().where("id", "=", id).executeTakeFirst();

/** The active (not unsubscribed) subscription of an address on a page, locked. */
export const lockActive = (db: SubscriberDb, pageId: number, kind: SubscriberKind, address: string) =>
  db
    .selectFrom("status_subscribers")
    .selectAll()
    .where("page_id", "=", pageId)
    .where("kind", "=", kind)
    .where("address", "=", address)
    .where("unsubscribed_at", "is", null)
    .forUpdate()
    .executeTakeFirst();

/** A new pending subscription; undefined when a concurrent request created it first. */
export const insertSubscriber = (
  db: SubscriberDb,
  s: { page_id: number; kind: SubscriberKind; address: string; secret: string | null; created_ip: string },
  now: Date,
) =>
  db
    .insertInto("status_subscribers")
    .values({ ...s, created_at: now })
    .onConflict((oc) =>
      oc.columns(["page_id", "kind", "address"]).where("unsubscribed_at", "is", null).doNothing(),
    )
    .returningAll()
    .executeTakeFirst();

export const askAgain = (db: SubscriberDb, id: number) =>
  db
    .updateTable("status_subscribers")
    .set((eb) => ({ confirm_requests: eb("confirm_requests", "+", 1) }))
    .where("id", "=", id)
    .returning("confirm_requests")
    .executeTakeFirstOrThrow();

export const lockSubscriber = (db: SubscriberDb, id: number) =>
  db.selectFrom("status_subscribers").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();

export async function setSubscriber(
  db: SubscriberDb,
  id: number,
  s: { confirmed_at?: Date; unsubscribed_at?: Date },
): Promise<void> {
  await db.updateTable("status_subscribers").set(s).where("id", "=", id).execute();
}

export async function deleteSubscriber(db: SubscriberDb, pageId: number, id: number): Promise<boolean> {
  const r = await db
    .deleteFrom("status_subscribers")
    .where("page_id", "=", pageId)
    .where("id", "=", id)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}

export type SubscriberState = "pending" | "confirmed" | "unsubscribed";

/** A page's subscribers by id, with their latest delivery, for administrators. */
export const listSubscribers = (
  db: SubscriberDb,
  pageId: number,
  opts: { state?: SubscriberState; after: number; limit: number },
) => {
  let q = db
    .selectFrom("status_subscribers as s")
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom("status_subscriber_deliveries as d")
          .select(["d.status", "d.last_error", "d.sent_at", "d.created_at", "d.attempts"])
          .whereRef("d.subscriber_id", "=", "s.id")
          .orderBy("d.id", "desc")
          .limit(1)
          .as("d"),
      (join) => join.onTrue(),
    )
    .select([
      "s.id",
      "s.kind",
      "s.address",
      "s.confirmed_at",
      "s.unsubscribed_at",
      "s.created_at",
      "d.status as last_status",
      "d.last_error",
      "d.sent_at as last_sent_at",
      "d.created_at as last_created_at",
      "d.attempts as last_attempts",
    ])
    .where("s.page_id", "=", pageId)
    .where("s.id", ">", opts.after);
  if (opts.state === "pending")
    q = q.where("s.confirmed_at", "is", null).where("s.unsubscribed_at", "is", null);
  if (opts.state === "confirmed")
    q = q.where("s.confirmed_at", "is not", null).where("s.unsubscribed_at", "is", null);
  if (opts.state === "unsubscribed") q = q.where("s.unsubscribed_at", "is not", null);
  return q.orderBy("s.id").limit(opts.limit).execute();
};

export async function countSubscribers(db: SubscriberDb, pageId: number) {
  const r = await db
    .selectFrom("status_subscribers")
    .select((eb) => [
      eb.fn
        .countAll<number>()
        .filterWhere((w) => w.and([w("confirmed_at", "is", null), w("unsubscribed_at", "is", null)]))
        .as("pending"),
      eb.fn
        .countAll<number>()
        .filterWhere((w) => w.and([w("confirmed_at", "is not", null), w("unsubscribed_at", "is", null)]))
        .as("confirmed"),
      eb.fn.countAll<number>().filterWhere("unsubscribed_at", "is not", null).as("unsubscribed"),
    ])
    .where("page_id", "=", pageId)
    .executeTakeFirstOrThrow();
  return { pending: Number(r.pending), confirmed: Number(r.confirmed), unsubscribed: Number(r.unsubscribed) };
}

// -- link tokens --------------------------------------------------------------------------------

export async function insertToken(
  db: SubscriberDb,
  t: {
    token_hash: string;
    subscriber_id: number;
    purpose: "confirm" | "unsubscribe";
    expires_at: Date | null;
  },
  now: Date,
): Promise<void> {
  await db
    .insertInto("status_subscriber_tokens")
    .values({ ...t, created_at: now })
    .execute();
}

/** The subscriber (locked) and page a link token belongs to, when it is valid at `now`. */
export const subscriberByToken = (
  db: SubscriberDb,
  hash: string,
  purpose: "confirm" | "unsubscribe",
  now: Date,
) =>
  db
    .selectFrom("status_subscriber_tokens as t")
    .innerJoin("status_subscribers as s", "s.id", "t.subscriber_id")
    .innerJoin("status_pages as p", "p.id", "s.page_id")
    .selectAll("s")
    .select(["p.slug", "p.name as page_name"])
    .where("t.token_hash", "=", hash)
    .where("t.purpose", "=", purpose)
    .where((eb) => eb.or([eb("t.expires_at", "is", null), eb("t.expires_at", ">", now)]))
    .forUpdate("s")
    .executeTakeFirst();

export async function deleteTokens(
  db: SubscriberDb,
  subscriberId: number,
  purpose: "confirm",
): Promise<void> {
  await db
    .deleteFrom("status_subscriber_tokens")
    .where("subscriber_id", "=", subscriberId)
    .where("purpose", "=", purpose)
    .execute();
}

// -- deliveries ---------------------------------------------------------------------------------

/** A published update with its incident and page, as a delivery describes it. */
export const publishedUpdate = (db: SubscriberDb, updateId: number) =>
  db
    .selectFrom("status_updates as u")
    .innerJoin("status_incidents as i", "i.id", "u.status_incident_id")
    .innerJoin("status_pages as p", "p.id", "i.page_id")
    .select([
      "u.id",
      "u.status",
      "u.body",
      "u.affected",
      "u.published_at",
      "i.id as incident_id",
      "i.name as incident_name",
      "i.kind",
      "i.status as incident_status",
      "i.impact",
      "i.scheduled_for",
      "i.scheduled_until",
      "p.id as page_id",
      "p.slug",
      "p.name as page_name",
      "p.time_zone",
    ])
    .where("u.id", "=", updateId)
    .where("u.state", "=", "published")
    .executeTakeFirst();

export const componentNames = (db: SubscriberDb, ids: number[]) =>
  ids.length === 0
    ? Promise.resolve([])
    : db.selectFrom("status_components").select(["id", "name"]).where("id", "in", ids).execute();

/** The next batch of subscribers confirmed by `publishedAt` and still subscribed, after a cursor. */
export const confirmedSubscribers = (
  db: SubscriberDb,
  pageId: number,
  publishedAt: Date,
  after: number,
  limit: number,
) =>
  db
    .selectFrom("status_subscribers")
    .select("id")
    .where("page_id", "=", pageId)
    .where("confirmed_at", "<=", publishedAt)
    .where("unsubscribed_at", "is", null)
    .where("id", ">", after)
    .orderBy("id")
    .limit(limit)
    .execute();

/** One delivery per subscriber and update; returns only the rows that did not exist yet. */
export const insertDeliveries = (db: SubscriberDb, updateId: number, subscriberIds: number[], now: Date) =>
  subscriberIds.length === 0
    ? Promise.resolve([])
    : db
        .insertInto("status_subscriber_deliveries")
        .values(
          subscriberIds.map((subscriber_id) => ({
            subscriber_id,
            update_id: updateId,
            status: "pending" as const,
            attempts: 0,
            created_at: now,
          })),
        )
        .onConflict((oc) => oc.columns(["subscriber_id", "update_id"]).doNothing())
        .returning("id")
        .execute();

export const lockDelivery = (db: SubscriberDb, id: number) =>
  db
    .selectFrom("status_subscriber_deliveries")
    .selectAll()
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();

export async function setDelivery(
  db: SubscriberDb,
  id: number,
  d: { status: DeliveryStatus; attempts?: number; last_error?: string | null; sent_at?: Date | null },
): Promise<void> {
  await db.updateTable("status_subscriber_deliveries").set(d).where("id", "=", id).execute();
}

/** A subscriber who leaves gets nothing more, not even what was already queued. */
export async function cancelPending(db: SubscriberDb, subscriberId: number): Promise<void> {
  await db
    .updateTable("status_subscriber_deliveries")
    .set({ status: "cancelled" })
    .where("subscriber_id", "=", subscriberId)
    .where("status", "in", ["pending", "failed-retryable"])
    .execute();
}

/** Deliveries of one update, for administrators and tests. */
export const deliveriesOf = (db: SubscriberDb, updateId: number) =>
  db
    .selectFrom("status_subscriber_deliveries")
    .selectAll()
    .where("update_id", "=", updateId)
    .orderBy("id")
    .execute();

// -- rate limits --------------------------------------------------------------------------------

/**
 * Counts a subscribe request against `key` (a sliding hour), unless `limit` requests were counted
 * in the last hour already. Serialized per key with an advisory lock, so replicas agree. Returns
 * the seconds until a request would be counted again when over the limit, else null.
 */
export async function takeAttempt(
  db: SubscriberDb,
  key: string,
  limit: number,
  now: Date,
  windowMs: number,
): Promise<number | null> {
  return db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 7))`.execute(tx);
    const since = new Date(now.getTime() - windowMs);
    const recent = await tx
      .selectFrom("status_subscribe_attempts")
      .select("at")
      .where("key", "=", key)
      .where("at", ">", since)
      .orderBy("at")
      .execute();
    if (recent.length >= limit) {
      const oldest = recent[recent.length - limit]?.at ?? now;
      return Math.max(1, Math.ceil((oldest.getTime() + windowMs - now.getTime()) / 1000));
    }
    await tx.insertInto("status_subscribe_attempts").values({ key, at: now }).execute();
    await tx
      .deleteFrom("status_subscribe_attempts")
      .where("key", "=", key)
      .where("at", "<=", since)
      .execute();
    return null;
  });
}

/** Forgets attempts that no longer count, of every key (addresses never seen again too). */
export async function forgetAttempts(db: SubscriberDb, before: Date): Promise<void> {
  await db.deleteFrom("status_subscribe_attempts").where("at", "<=", before).execute();
}
