/** SQL for tracker issues (migrations/0021). Every function takes the connection it runs on. */
import { type ColumnType, type Generated, type Kysely, type Selectable, sql } from "kysely";
import type { TrackerKind } from "./model.ts";

export interface TrackerTables {
  tracker_issues: {
    id: Generated<number>;
    incident_id: number;
    task_id: number | null;
    kind: TrackerKind;
    project: string;
    number: number | null;
    url: string | null;
    attempted_at: Date | null;
    linked: ColumnType<boolean, boolean | undefined, boolean>;
    labels: ColumnType<string[], string[] | undefined, string[]>;
    visibility: string | null;
    failing_since: Date | null;
    last_error: string | null;
    created_at: Date;
    updated_at: Date;
  };
}

export type TrackerDb = Kysely<TrackerTables>;

export type TrackerIssue = {
  id: number;
  incidentId: number;
  taskId: number | null;
  kind: TrackerKind;
  project: string;
  number: number | null;
  url: string | null;
  attemptedAt: Date | null;
  linked: boolean;
  labels: string[];
  visibility: string | null;
  failingSince: Date | null;
  lastError: string | null;
};

type Row = Selectable<TrackerTables["tracker_issues"]>;

const fromRow = (r: Row): TrackerIssue => ({
  id: r.id,
  incidentId: r.incident_id,
  taskId: r.task_id,
  kind: r.kind,
  project: r.project,
  number: r.number,
  url: r.url,
  attemptedAt: r.attempted_at,
  linked: r.linked,
  labels: r.labels,
  visibility: r.visibility,
  failingSince: r.failing_since,
  lastError: r.last_error,
});

/** The issue of an incident (taskId undefined) or of one of its follow-ups. */
export async function findIssue(db: TrackerDb, incidentId: number, taskId?: number) {
  let q = db.selectFrom("tracker_issues").selectAll().where("incident_id", "=", incidentId);
  q = taskId === undefined ? q.where("task_id", "is", null) : q.where("task_id", "=", taskId);
  const row = await q.executeTakeFirst();
  return row && fromRow(row);
}

export async function findTaskIssue(db: TrackerDb, taskId: number) {
  const row = await db
    .selectFrom("tracker_issues")
    .selectAll()
    .where("task_id", "=", taskId)
    .executeTakeFirst();
  return row && fromRow(row);
}

/** A follow-up's own labels (a corrective action's, FU-2), which its issue carries. */
export async function taskLabels(db: TrackerDb, taskId: number): Promise<string[]> {
  const r = await sql<{
    labels: string[] | null;
  }>`SELECT labels FROM incident_tasks WHERE id = ${taskId}`.execute(db);
  return r.rows[0]?.labels ?? [];
}

/** The row for an issue, written before anything is sent; the existing one if there is one. */
export async function claim(
  db: TrackerDb,
  r: { incidentId: number; taskId: number | null; kind: TrackerKind; project: string; now: Date },
): Promise<TrackerIssue> {
  await db
    .insertInto("tracker_issues")
    .values({
      incident_id: r.incidentId,
      task_id: r.taskId,
      kind: r.kind,
      project: r.project,
      created_at: r.now,
      updated_at: r.now,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const row = r.taskId === null ? await findIssue(db, r.incidentId) : await findTaskIssue(db, r.taskId);
  if (!row) throw new Error(`tracker issue row for incident ${r.incidentId} vanished`);
  return row;
}

export async function update(
  db: TrackerDb,
  id: number,
  changes: Partial<Omit<Row, "id" | "incident_id" | "task_id">> & { updated_at: Date },
): Promise<void> {
  await db.updateTable("tracker_issues").set(changes).where("id", "=", id).execute();
}

/** The created issues of these incidents (their own, not their follow-ups'), for presenting them. */
export async function issuesOfIncidents(db: TrackerDb, ids: number[]) {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom("tracker_issues")
    .select(["incident_id", "kind", "project", "number", "url"])
    .where("incident_id", "in", ids)
    .where("task_id", "is", null)
    .where("number", "is not", null)
    .execute();
  return rows;
}

export async function issuesOfTasks(db: TrackerDb, taskIds: number[]) {
  if (taskIds.length === 0) return [];
  return db
    .selectFrom("tracker_issues")
    .select(["task_id", "kind", "project", "number", "url"])
    .where("task_id", "in", taskIds)
    .where("number", "is not", null)
    .execute();
}

/**
 * Holds this issue's lock until `work` ends: one sync of an issue at a time on every replica (a
 * job replaced while it runs starts again beside it). Two-key advisory locks: `space` 1 for
 * incidents, 2 for follow-ups.
 */
export async function withIssueLock<T>(
  db: TrackerDb,
  space: 1 | 2,
  id: number,
  work: () => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(${0x7472 + space}::int, ${id}::int)`.execute(tx);
    return work();
  });
}
