/** SQL for the process: clocks and the record of what rules fired (process_clocks). */
import { type ColumnType, type Insertable, type Kysely, type Selectable, sql } from "kysely";
import type { PlatformTables } from "../platform/db.ts";

export interface ProcessTables {
  process_clocks: {
    key: string;
    incident_id: number | null;
    maintenance_id: number | null;
    rule_id: string;
    rule: string | null;
    kind: "clock" | "remind" | "deadline" | "event";
    state: "pending" | "fired";
    due_at: Date;
    fires: string;
    why: string;
    deadline: string | null;
    outcome: string | null;
    fired_at: Date | null;
    created_at: Date;
    attempts: ColumnType<number, number | undefined, number>;
    retry_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
    last_error: ColumnType<string | null, string | null | undefined, string | null>;
  };
}

export type ProcessDb = Kysely<PlatformTables & ProcessTables>;
export type ClockRow = Selectable<ProcessTables["process_clocks"]>;
export type NewClock = Insertable<ProcessTables["process_clocks"]>;
export type SubjectRef = { kind: "incident" | "maintenance"; id: number };

const column = (s: SubjectRef) => (s.kind === "incident" ? "incident_id" : "maintenance_id");

export async function pendingClocks(db: ProcessDb, s: SubjectRef): Promise<ClockRow[]> {
  return db
    .selectFrom("process_clocks")
    .selectAll()
    .where(column(s), "=", s.id)
    .where("state", "=", "pending")
    .orderBy("due_at")
    .execute();
}

/** All of a subject's clock rows, pending and fired. */
export async function clocksFor(db: ProcessDb, s: SubjectRef): Promise<ClockRow[]> {
  return db.selectFrom("process_clocks").selectAll().where(column(s), "=", s.id).execute();
}

/** Everything that fired for a subject (event rules and clocks), oldest first. */
export async function firedFor(db: ProcessDb, s: SubjectRef): Promise<ClockRow[]> {
  return db
    .selectFrom("process_clocks")
    .selectAll()
    .where(column(s), "=", s.id)
    .where("state", "=", "fired")
    .orderBy("fired_at")
    .execute();
}

export async function insertClocks(db: ProcessDb, rows: NewClock[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto("process_clocks")
    .values(rows)
    .onConflict((oc) => oc.column("key").doNothing())
    .execute();
}

/**
 * Cancels these pending clocks and arms those, in one statement when there are both (a command that
 * re-arms a clock, as a status update does COMM-1's). A key in both sets takes two statements: in
 * one, the insert would see the old row and skip, and the delete would then remove it.
 */
export async function replaceClocks(db: ProcessDb, cancel: string[], arm: NewClock[]): Promise<void> {
  const cancelled = new Set(cancel);
  if (cancel.length === 0 || arm.length === 0 || arm.some((c) => cancelled.has(c.key))) {
    await deleteClocks(db, cancel);
    return insertClocks(db, arm);
  }
  await db
    .with("cancelled", (q) =>
      q.deleteFrom("process_clocks").where("key", "in", cancel).where("state", "=", "pending"),
    )
    .insertInto("process_clocks")
    .values(arm)
    .onConflict((oc) => oc.column("key").doNothing())
    .execute();
}

export async function deleteClocks(db: ProcessDb, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await db.deleteFrom("process_clocks").where("key", "in", keys).where("state", "=", "pending").execute();
}

export async function getClock(db: ProcessDb, key: string): Promise<ClockRow | undefined> {
  return db.selectFrom("process_clocks").selectAll().where("key", "=", key).executeTakeFirst();
}

export async function lockClock(db: ProcessDb, key: string): Promise<ClockRow | undefined> {
  return db.selectFrom("process_clocks").selectAll().where("key", "=", key).forUpdate().executeTakeFirst();
}

export async function markFired(db: ProcessDb, key: string, at: Date, outcome: string | null): Promise<void> {
  await db
    .updateTable("process_clocks")
    .set({ state: "fired", fired_at: at, outcome })
    .where("key", "=", key)
    .execute();
}

/**
 * Claims the earliest due clock whose subject nobody holds: the subject's row is locked (as its
 * commands lock it) and skipped when another replica or a command has it, so one clock fires once
 * and never waits behind a busy incident. Incidents' clocks first, then maintenances'.
 */
export async function claimDue(db: ProcessDb, now: Date): Promise<string | undefined> {
  const r = await sql<{ key: string | null }>`SELECT firebreak_claim_clock(${now}) AS key`.execute(db);
  return r.rows[0]?.key ?? undefined;
}

/**
 * A clock's actions failed at `now`: it stays pending and is tried again after a back-off that
 * doubles from 2 s up to 10 minutes. Returns how many attempts failed so far.
 */
export async function recordFailure(
  db: ProcessDb,
  key: string,
  error: string,
  now: Date,
): Promise<number | undefined> {
  const row = await db
    .updateTable("process_clocks")
    .set((eb) => ({
      attempts: eb("attempts", "+", 1),
      retry_at: sql<Date>`${now}::timestamptz + make_interval(secs => least(600, power(2, attempts + 1)))`,
      last_error: error.slice(0, 2000),
    }))
    .where("key", "=", key)
    .where("state", "=", "pending")
    .returning("attempts")
    .executeTakeFirst();
  return row?.attempts;
}

/** Every pending clock (for the operators' view and the reconcile after a policy change). */
export async function allPending(db: ProcessDb, limit: number): Promise<ClockRow[]> {
  return db
    .selectFrom("process_clocks")
    .selectAll()
    .where("state", "=", "pending")
    .orderBy("due_at")
    .limit(limit)
    .execute();
}

/**
 * Incidents that may still have clocks (open ones, and those ended since `since`: a deadline can
 * fall due after the incident closed) or maintenances not yet over, in batches after `afterId`.
 */
export async function openSubjects(
  db: ProcessDb,
  kind: "incident" | "maintenance",
  afterId: number,
  limit: number,
  since: Date,
): Promise<number[]> {
  // biome-ignore lint/suspicious/noExplicitAny: the incident and status tables belong to other capabilities
  const q = db as unknown as Kysely<any>;
  const rows =
    kind === "incident"
      ? await q
          .selectFrom("incidents")
          .select("id")
          .where("state", "not in", ["merged", "declined"])
          .where((eb) => eb.or([eb("closed_at", "is", null), eb("closed_at", ">", since)]))
          .where("id", ">", afterId)
          .orderBy("id")
          .limit(limit)
          .execute()
      : await q
          .selectFrom("status_incidents")
          .select("id")
          .where("kind", "=", "maintenance")
          .where("resolved_at", "is", null)
          .where("id", ">", afterId)
          .orderBy("id")
          .limit(limit)
          .execute();
  return rows.map((r: { id: number }) => Number(r.id));
}
