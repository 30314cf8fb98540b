/** Post-incident reviews, their versions, detection facts and corrective actions in PostgreSQL. */
import { type Generated, type Kysely, sql } from "kysely";
import type { Incident, ReviewGate } from "../incidents/model.ts";
import type { IncidentDb, IncidentTables } from "../incidents/store.ts";
import type { PlatformTables } from "../platform/db.ts";
import type { Policy } from "../policy/model.ts";
import { type DetectionSource, type ReviewReason, requirementOf } from "./model.ts";

export interface ReviewTables {
  incident_reviews: {
    incident_id: number;
    required: boolean;
    reason: ReviewReason;
    owner_id: number | null;
    reviewer_ids: number[];
    due_at: Date | null;
    completed_at: Date | null;
    completed_by: number | null;
    meeting_at: Date | null;
    version: number;
    created_at: Date;
    updated_at: Date;
  };
  incident_review_versions: {
    id: Generated<number>;
    incident_id: number;
    version: number;
    body: string;
    author_id: number;
    created_at: Date;
  };
}

type Tables = PlatformTables &
  Omit<IncidentTables, "incidents" | "incident_tasks"> &
  ReviewTables & {
    incidents: IncidentTables["incidents"] & {
      detection_source: DetectionSource | null;
      detected_at: Date | null;
      near_miss_severity: string | null;
    };
    incident_tasks: IncidentTables["incident_tasks"] & {
      corrective: boolean;
      due_at: Date | null;
      severity: string | null;
      priority: string | null;
      labels: string[];
      vague_reasons: string[];
    };
  };
export type ReviewDb = Kysely<Tables>;

/** Any capability's transaction, seen with the review tables. */
export const asReviewDb = (db: object) => db as ReviewDb;

export type Review = {
  incidentId: number;
  required: boolean;
  reason: ReviewReason;
  ownerId: number | null;
  reviewerIds: number[];
  dueAt: Date | null;
  completedAt: Date | null;
  completedBy: number | null;
  meetingAt: Date | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
};

function fromRow(r: ReviewTables["incident_reviews"]): Review {
  return {
    incidentId: Number(r.incident_id),
    required: r.required,
    reason: r.reason,
    ownerId: r.owner_id === null ? null : Number(r.owner_id),
    reviewerIds: r.reviewer_ids.map(Number),
    dueAt: r.due_at,
    completedAt: r.completed_at,
    completedBy: r.completed_by === null ? null : Number(r.completed_by),
    meetingAt: r.meeting_at,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function getReview(db: ReviewDb, incidentId: number, lock = false): Promise<Review | undefined> {
  let q = db.selectFrom("incident_reviews").selectAll().where("incident_id", "=", incidentId);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row && fromRow(row);
}

export async function insertReview(db: ReviewDb, r: Review): Promise<void> {
  await db
    .insertInto("incident_reviews")
    .values({
      incident_id: r.incidentId,
      required: r.required,
      reason: r.reason,
      owner_id: r.ownerId,
      reviewer_ids: r.reviewerIds,
      due_at: r.dueAt,
      completed_at: r.completedAt,
      completed_by: r.completedBy,
      meeting_at: r.meetingAt,
      version: r.version,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
    })
    .onConflict((oc) => oc.column("incident_id").doNothing())
    .execute();
}

export async function updateReview(db: ReviewDb, r: Review): Promise<void> {
  await db
    .updateTable("incident_reviews")
    .set({
      required: r.required,
      reason: r.reason,
      owner_id: r.ownerId,
      reviewer_ids: r.reviewerIds,
      due_at: r.dueAt,
      completed_at: r.completedAt,
      completed_by: r.completedBy,
      meeting_at: r.meetingAt,
      version: r.version,
      updated_at: r.updatedAt,
    })
    .where("incident_id", "=", r.incidentId)
    .execute();
}

/** LC-6: the review as closing the incident needs it (called in the incident's transaction). */
export async function reviewGate(tx: IncidentDb, policy: Policy, i: Incident): Promise<ReviewGate> {
  const r = await getReview(asReviewDb(tx), i.id);
  return {
    requirement: requirementOf(policy, i, r ? { required: r.required, reason: r.reason } : null),
    completedAt: r?.completedAt ?? null,
  };
}

export type ReviewVersion = { version: number; body: string; authorId: number; createdAt: Date };

export async function insertVersion(db: ReviewDb, incidentId: number, v: ReviewVersion): Promise<void> {
  await db
    .insertInto("incident_review_versions")
    .values({
      incident_id: incidentId,
      version: v.version,
      body: v.body,
      author_id: v.authorId,
      created_at: v.createdAt,
    })
    .execute();
}

export async function listVersions(db: ReviewDb, incidentId: number): Promise<ReviewVersion[]> {
  const rows = await db
    .selectFrom("incident_review_versions")
    .select(["version", "body", "author_id", "created_at"])
    .where("incident_id", "=", incidentId)
    .orderBy("version", "desc")
    .execute();
  return rows.map((r) => ({
    version: r.version,
    body: r.body,
    authorId: Number(r.author_id),
    createdAt: r.created_at,
  }));
}

export async function latestVersion(db: ReviewDb, incidentId: number): Promise<ReviewVersion | undefined> {
  return (await listVersions(db, incidentId))[0];
}

// ---------------------------------------------------------------------------------------------
// Detection (TL-4) and near misses (REV-3)

export type Detection = {
  source: DetectionSource | null;
  detectedAt: Date | null;
  nearMissSeverity: string | null;
};

export async function getDetection(db: ReviewDb, incidentId: number): Promise<Detection> {
  const r = await db
    .selectFrom("incidents")
    .select(["detection_source", "detected_at", "near_miss_severity"])
    .where("id", "=", incidentId)
    .executeTakeFirst();
  return {
    source: r?.detection_source ?? null,
    detectedAt: r?.detected_at ?? null,
    nearMissSeverity: r?.near_miss_severity ?? null,
  };
}

export async function setDetection(db: ReviewDb, incidentId: number, d: Detection, now: Date): Promise<void> {
  await db
    .updateTable("incidents")
    .set({
      detection_source: d.source,
      detected_at: d.detectedAt,
      near_miss_severity: d.nearMissSeverity,
      updated_at: now,
    })
    .where("id", "=", incidentId)
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Corrective actions (FU-2)

export type Corrective = {
  id: number;
  incidentId: number;
  kind: "action" | "follow-up";
  title: string;
  assigneeId: number | null;
  state: "open" | "done" | "cancelled";
  corrective: boolean;
  dueAt: Date | null;
  severity: string | null;
  priority: string | null;
  labels: string[];
  vagueReasons: string[];
};

const taskColumns = [
  "id",
  "incident_id",
  "kind",
  "title",
  "assignee_id",
  "state",
  "corrective",
  "due_at",
  "severity",
  "priority",
  "labels",
  "vague_reasons",
] as const;

type TaskRow = Omit<Pick<Tables["incident_tasks"], (typeof taskColumns)[number]>, "id"> & { id: number };

function correctiveFromRow(r: TaskRow): Corrective {
  return {
    id: Number(r.id),
    incidentId: Number(r.incident_id),
    kind: r.kind,
    title: r.title,
    assigneeId: r.assignee_id === null ? null : Number(r.assignee_id),
    state: r.state,
    corrective: r.corrective,
    dueAt: r.due_at,
    severity: r.severity,
    priority: r.priority,
    labels: r.labels,
    vagueReasons: r.vague_reasons,
  };
}

export async function getTask(db: ReviewDb, incidentId: number, taskId: number, lock = false) {
  let q = db
    .selectFrom("incident_tasks")
    .select(taskColumns)
    .where("id", "=", taskId)
    .where("incident_id", "=", incidentId);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row && correctiveFromRow(row);
}

export async function correctiveActions(db: ReviewDb, incidentId: number): Promise<Corrective[]> {
  const rows = await db
    .selectFrom("incident_tasks")
    .select(taskColumns)
    .where("incident_id", "=", incidentId)
    .where("corrective", "=", true)
    .orderBy("id")
    .execute();
  return rows.map(correctiveFromRow);
}

export async function saveCorrective(db: ReviewDb, c: Corrective, now: Date): Promise<void> {
  await db
    .updateTable("incident_tasks")
    .set({
      assignee_id: c.assigneeId,
      corrective: c.corrective,
      due_at: c.dueAt,
      severity: c.severity,
      priority: c.priority,
      labels: c.labels,
      vague_reasons: c.vagueReasons,
      updated_at: now,
    })
    .where("id", "=", c.id)
    .execute();
}

/** FU-2: the severities of the incidents a follow-up relates to: its incident and those merged into it. */
export async function relatedSeverities(db: ReviewDb, incidentId: number): Promise<string[]> {
  const rows = await db
    .selectFrom("incidents")
    .select(["severity", "max_severity"])
    .where((eb) => eb.or([eb("id", "=", incidentId), eb("merged_into", "=", incidentId)]))
    .execute();
  return rows.flatMap((r) => [r.severity, r.max_severity]);
}

/** Change events of the incident's alerting services within `hours` before its start. */
export async function changesNear(db: ReviewDb, incidentId: number, start: Date, hours: number) {
  const from = new Date(start.getTime() - hours * 3_600_000);
  const r = await sql<{ at: Date; service: string; kind: string; summary: string }>`
    SELECT c.happened_at AS at, s.name AS service, c.kind, c.summary
      FROM change_events c JOIN services s ON s.id = c.service_id
     WHERE c.service_id IN (SELECT service_id FROM alert_groups WHERE incident_id = ${incidentId})
       AND c.happened_at BETWEEN ${from} AND ${start}
     ORDER BY c.happened_at LIMIT 50`.execute(db);
  return r.rows;
}
