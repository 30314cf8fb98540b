/** SQL for contact methods, notification rules, their verification and test notifications. */
import { sql } from "kysely";
import type { Urgency } from "./model.ts";
import type { PagingDb, PagingTables } from "./store.ts";

// -- contact methods and notification rules -----------------------------------------------------

export type ContactMethod = Omit<PagingTables["contact_methods"], "id"> & { id: number };
/** The verified contact methods a person has notification rules for: where notices reach them. */
export async function ruledContactMethods(db: PagingDb, userId: number): Promise<ContactMethod[]> {
  return db
    .selectFrom("contact_methods")
    .selectAll()
    .where("user_id", "=", userId)
    .where("verified_at", "is not", null)
    .where("id", "in", (eb) =>
      eb.selectFrom("notification_rules").select("contact_method_id").where("user_id", "=", userId),
    )
    .orderBy("id")
    .execute();
}
export type NotificationRule = Omit<PagingTables["notification_rules"], "id"> & { id: number };

export async function insertContactMethod(
  db: PagingDb,
  c: Omit<ContactMethod, "id">,
): Promise<ContactMethod> {
  return db.insertInto("contact_methods").values(c).returningAll().executeTakeFirstOrThrow();
}

export async function listContactMethods(db: PagingDb, userId: number): Promise<ContactMethod[]> {
  return db.selectFrom("contact_methods").selectAll().where("user_id", "=", userId).orderBy("id").execute();
}

export async function getContactMethod(db: PagingDb, id: number): Promise<ContactMethod | undefined> {
  return db.selectFrom("contact_methods").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Locks a contact method so two flushes for it queue (the throttle needs one at a time). */
export async function lockContactMethod(db: PagingDb, id: number): Promise<ContactMethod | undefined> {
  return db.selectFrom("contact_methods").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

export async function deleteContactMethod(db: PagingDb, id: number): Promise<void> {
  await db.deleteFrom("contact_methods").where("id", "=", id).execute();
}

export async function insertRule(db: PagingDb, r: Omit<NotificationRule, "id">): Promise<NotificationRule> {
  return db.insertInto("notification_rules").values(r).returningAll().executeTakeFirstOrThrow();
}

export async function listRules(
  db: PagingDb,
  userIds: number[],
  urgency?: Urgency,
): Promise<NotificationRule[]> {
  if (userIds.length === 0) return [];
  let q = db.selectFrom("notification_rules").selectAll().where("user_id", "in", userIds);
  if (urgency) q = q.where("urgency", "=", urgency);
  return q.orderBy("user_id").orderBy("delay_minutes").orderBy("id").execute();
}

/** The rules a page of this urgency follows: those whose contact method is verified. */
export async function pagingRules(
  db: PagingDb,
  userIds: number[],
  urgency: Urgency,
): Promise<NotificationRule[]> {
  if (userIds.length === 0) return [];
  return db
    .selectFrom("notification_rules as r")
    .innerJoin("contact_methods as cm", "cm.id", "r.contact_method_id")
    .selectAll("r")
    .where("r.user_id", "in", userIds)
    .where("r.urgency", "=", urgency)
    .where("cm.verified_at", "is not", null)
    .orderBy("r.user_id")
    .orderBy("r.delay_minutes")
    .orderBy("r.id")
    .execute();
}

export async function deleteRule(db: PagingDb, id: number, userId: number): Promise<boolean> {
  const r = await db
    .deleteFrom("notification_rules")
    .where("id", "=", id)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}

// -- test notifications and each contact method's last outcome ---------------------------------

export type ContactTest = Omit<PagingTables["contact_method_tests"], "id"> & { id: number };

export async function insertContactTest(
  db: PagingDb,
  t: Pick<ContactTest, "contact_method_id" | "user_id" | "created_at">,
): Promise<ContactTest> {
  return db
    .insertInto("contact_method_tests")
    .values({ ...t, status: "pending", error: null, finished_at: null })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function finishContactTest(
  db: PagingDb,
  id: number,
  outcome: { status: "delivered" | "failed"; error: string | null; at: Date },
): Promise<ContactTest | undefined> {
  return db
    .updateTable("contact_method_tests")
    .set({ status: outcome.status, error: outcome.error, finished_at: outcome.at })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
}

export async function getContactTest(db: PagingDb, id: number): Promise<ContactTest | undefined> {
  return db.selectFrom("contact_method_tests").selectAll().where("id", "=", id).executeTakeFirst();
}

/** When each of a person's test notifications since `since` was asked for, oldest first (the rate limit). */
export async function contactTestTimes(db: PagingDb, userId: number, since: Date): Promise<Date[]> {
  const rows = await db
    .selectFrom("contact_method_tests")
    .select("created_at")
    .where("user_id", "=", userId)
    .where("created_at", ">", since)
    .orderBy("created_at")
    .execute();
  return rows.map((r) => r.created_at);
}

/** Each contact method's latest test notification. */
export async function lastContactTests(db: PagingDb, methodIds: number[]): Promise<ContactTest[]> {
  if (methodIds.length === 0) return [];
  return db
    .selectFrom("contact_method_tests")
    .selectAll()
    .distinctOn("contact_method_id")
    .where("contact_method_id", "in", methodIds)
    .orderBy("contact_method_id")
    .orderBy("id", "desc")
    .execute();
}

export type LastOutcome = {
  contact_method_id: number;
  source: "test" | "page" | "notice";
  status: string;
  error: string | null;
  at: Date;
};

/**
 * Each contact method's latest message of any kind (a test, a page, a notice) and how it went: one
 * row per method that ever sent anything, from the newest row of each source.
 */
export async function lastOutcomes(db: PagingDb, methodIds: number[]): Promise<LastOutcome[]> {
  if (methodIds.length === 0) return [];
  const { rows } = await sql<LastOutcome>`
    SELECT cm.id AS contact_method_id, l.source, l.status, l.error, l.at
    FROM unnest(${methodIds}::bigint[]) AS cm (id)
    CROSS JOIN LATERAL (
      (SELECT 'test' AS source, t.status, t.error, coalesce(t.finished_at, t.created_at) AS at
        FROM contact_method_tests t WHERE t.contact_method_id = cm.id ORDER BY t.id DESC LIMIT 1)
      UNION ALL
      (SELECT 'page', d.status, d.last_error, coalesce(d.sent_at, d.attempt_started_at, d.created_at)
        FROM deliveries d WHERE d.contact_method_id = cm.id AND d.status <> 'cancelled'
        ORDER BY d.id DESC LIMIT 1)
      UNION ALL
      (SELECT 'notice', n.status, n.last_error, coalesce(n.sent_at, n.created_at)
        FROM notice_deliveries n WHERE n.contact_method_id = cm.id ORDER BY n.id DESC LIMIT 1)
      ORDER BY at DESC LIMIT 1
    ) l`.execute(db);
  return rows.map((r) => ({ ...r, contact_method_id: Number(r.contact_method_id) }));
}

// -- verification codes (verification.ts) ------------------------------------------------------

export type VerificationCode = Omit<PagingTables["contact_method_codes"], "attempts"> & { attempts: number };

export async function lockVerificationCode(db: PagingDb, methodId: number) {
  return db
    .selectFrom("contact_method_codes")
    .selectAll()
    .where("contact_method_id", "=", methodId)
    .forUpdate()
    .executeTakeFirst();
}

/** Stores a method's new code in place of any earlier one (a new code resets the tries). */
export async function putVerificationCode(
  db: PagingDb,
  c: Omit<VerificationCode, "attempts">,
): Promise<VerificationCode> {
  return db
    .insertInto("contact_method_codes")
    .values({ ...c, attempts: 0 })
    .onConflict((oc) =>
      oc.column("contact_method_id").doUpdateSet((eb) => ({
        code_hash: eb.ref("excluded.code_hash"),
        sent_at: eb.ref("excluded.sent_at"),
        expires_at: eb.ref("excluded.expires_at"),
        attempts: 0,
        status: eb.ref("excluded.status"),
        error: null,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The send's outcome; null when a newer code replaced this one meanwhile (nothing to record). */
export async function finishVerificationCode(
  db: PagingDb,
  methodId: number,
  error: string | null,
): Promise<VerificationCode | null> {
  const row = await db
    .updateTable("contact_method_codes")
    .set({ status: error === null ? "sent" : "failed", error })
    .where("contact_method_id", "=", methodId)
    .where("status", "=", "sending")
    .returningAll()
    .executeTakeFirst();
  return row ?? null;
}

/** Counts a wrong try; the tries made so far. */
export async function countWrongCode(db: PagingDb, methodId: number): Promise<number> {
  const row = await db
    .updateTable("contact_method_codes")
    .set((eb) => ({ attempts: eb("attempts", "+", 1) }))
    .where("contact_method_id", "=", methodId)
    .returning("attempts")
    .executeTakeFirstOrThrow();
  return row.attempts;
}

export async function markVerified(db: PagingDb, methodId: number, at: Date): Promise<ContactMethod> {
  await db.deleteFrom("contact_method_codes").where("contact_method_id", "=", methodId).execute();
  return db
    .updateTable("contact_methods")
    .set({ verified_at: at })
    .where("id", "=", methodId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function verificationCodes(db: PagingDb, methodIds: number[]): Promise<VerificationCode[]> {
  if (methodIds.length === 0) return [];
  return db
    .selectFrom("contact_method_codes")
    .selectAll()
    .where("contact_method_id", "in", methodIds)
    .execute();
}
