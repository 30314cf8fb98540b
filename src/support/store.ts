/** Support operations in PostgreSQL: the systems catalogue, incidents' systems and escalation clocks. */
import { type Generated, type Kysely, sql } from "kysely";
import type { IncidentTables } from "../incidents/store.ts";
import type { PlatformTables } from "../platform/db.ts";
import type { CriticalityId, SupportClock } from "./model.ts";

export interface SupportTables {
  support_systems: {
    id: Generated<number>;
    name: string;
    criticality: CriticalityId;
    created_by: number | null;
    created_at: Date;
    updated_at: Date;
  };
  support_incident_systems: {
    incident_id: number;
    system_id: number;
    linked_by: number | null;
    linked_at: Date;
  };
  support_incidents: {
    incident_id: number;
    criticality: CriticalityId;
    criticality_at: Date;
    level: number;
    level_at: Date;
    resolve_by: Date;
    resolve_outcome: "met" | "missed" | null;
    path_at: Date | null;
    review_required: boolean;
    due_at: Date | null;
    attempts: number;
    retry_at: Date | null;
    last_error: string | null;
    updated_at: Date;
  };
  support_escalations: {
    id: Generated<number>;
    incident_id: number;
    level: number;
    reason: "no-resolution-path" | "past-time-to-resolve";
    target: string;
    outcome: string;
    at: Date;
  };
  support_settings: {
    id: Generated<boolean>;
    team_channel: string | null;
    specialist_role: string;
    engineer_role: string;
    updated_by: number | null;
    updated_at: Date;
  };
}

export type SupportDb = Kysely<PlatformTables & IncidentTables & SupportTables>;
/** Any capability's transaction, seen with the support tables. */
export const asSupportDb = (db: object) => db as SupportDb;

export type System = {
  id: number;
  name: string;
  criticality: CriticalityId;
  createdAt: Date;
  updatedAt: Date;
};

const systemColumns = ["id", "name", "criticality", "created_at", "updated_at"] as const;
const toSystem = (r: {
  id: number;
  name: string;
  criticality: CriticalityId;
  created_at: Date;
  updated_at: Date;
}): System => ({
  id: r.id,
  name: r.name,
  criticality: r.criticality,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function listSystems(db: SupportDb): Promise<System[]> {
  const rows = await db.selectFrom("support_systems").select(systemColumns).orderBy("name").execute();
  return rows.map(toSystem);
}

export async function findSystem(db: SupportDb, ref: number | string): Promise<System | undefined> {
  const q = db.selectFrom("support_systems").select(systemColumns);
  const r =
    typeof ref === "number"
      ? await q.where("id", "=", ref).executeTakeFirst()
      : await q.where(sql<string>`lower(name)`, "=", ref.trim().toLowerCase()).executeTakeFirst();
  return r && toSystem(r);
}

/** Undefined when the name is taken (the unique index decides, so two at once cannot both win). */
export async function insertSystem(
  db: SupportDb,
  s: { name: string; criticality: CriticalityId; createdBy: number; at: Date },
): Promise<System | undefined> {
  const r = await db
    .insertInto("support_systems")
    .values({
      name: s.name,
      criticality: s.criticality,
      created_by: s.createdBy,
      created_at: s.at,
      updated_at: s.at,
    })
    .onConflict((oc) => oc.expression(sql`lower(name)`).doNothing())
    .returning(systemColumns)
    .executeTakeFirst();
  return r && toSystem(r);
}

export async function updateSystem(
  db: SupportDb,
  id: number,
  s: { name?: string; criticality?: CriticalityId; at: Date },
): Promise<System> {
  const r = await db
    .updateTable("support_systems")
    .set({
      ...(s.name !== undefined ? { name: s.name } : {}),
      ...(s.criticality !== undefined ? { criticality: s.criticality } : {}),
      updated_at: s.at,
    })
    .where("id", "=", id)
    .returning(systemColumns)
    .executeTakeFirstOrThrow();
  return toSystem(r);
}

export async function systemsOf(db: SupportDb, incidentId: number): Promise<(System & { linkedAt: Date })[]> {
  const rows = await db
    .selectFrom("support_incident_systems as l")
    .innerJoin("support_systems as s", "s.id", "l.system_id")
    .select(["s.id", "s.name", "s.criticality", "s.created_at", "s.updated_at", "l.linked_at"])
    .where("l.incident_id", "=", incidentId)
    .orderBy("s.name")
    .execute();
  return rows.map((r) => ({ ...toSystem(r), linkedAt: r.linked_at }));
}

/** Open incidents (not ended) linked to the system: a re-rated system re-rates them. */
export async function incidentsOfSystem(db: SupportDb, systemId: number): Promise<number[]> {
  const rows = await db
    .selectFrom("support_incident_systems")
    .select("incident_id")
    .where("system_id", "=", systemId)
    .orderBy("incident_id")
    .execute();
  return rows.map((r) => r.incident_id);
}

export async function link(db: SupportDb, incidentId: number, systemId: number, by: number, at: Date) {
  await db
    .insertInto("support_incident_systems")
    .values({ incident_id: incidentId, system_id: systemId, linked_by: by, linked_at: at })
    .onConflict((oc) => oc.columns(["incident_id", "system_id"]).doNothing())
    .execute();
}

export async function unlink(db: SupportDb, incidentId: number, systemIds: number[]) {
  if (!systemIds.length) return;
  await db
    .deleteFrom("support_incident_systems")
    .where("incident_id", "=", incidentId)
    .where("system_id", "in", systemIds)
    .execute();
}

export async function getClock(db: SupportDb, incidentId: number): Promise<SupportClock | undefined> {
  const r = await db
    .selectFrom("support_incidents")
    .selectAll()
    .where("incident_id", "=", incidentId)
    .executeTakeFirst();
  return (
    r && {
      criticality: r.criticality,
      criticalityAt: r.criticality_at,
      level: r.level,
      levelAt: r.level_at,
      resolveBy: r.resolve_by,
      resolveOutcome: r.resolve_outcome,
      pathAt: r.path_at,
      reviewRequired: r.review_required,
    }
  );
}

/** Writes the clock and when it is next due; a success clears the retry state. */
export async function putClock(
  db: SupportDb,
  incidentId: number,
  c: SupportClock,
  dueAt: Date | null,
  now: Date,
): Promise<void> {
  const row = {
    criticality: c.criticality,
    criticality_at: c.criticalityAt,
    level: c.level,
    level_at: c.levelAt,
    resolve_by: c.resolveBy,
    resolve_outcome: c.resolveOutcome,
    path_at: c.pathAt,
    review_required: c.reviewRequired,
    due_at: dueAt,
    attempts: 0,
    retry_at: null,
    last_error: null,
    updated_at: now,
  };
  await db
    .insertInto("support_incidents")
    .values({ incident_id: incidentId, ...row })
    .onConflict((oc) => oc.column("incident_id").doUpdateSet(row))
    .execute();
}

export async function deleteClock(db: SupportDb, incidentId: number): Promise<void> {
  await db.deleteFrom("support_incidents").where("incident_id", "=", incidentId).execute();
}

/** The clock's due time and failures, for the API (when it runs next, why it did not). */
export async function clockStatus(db: SupportDb, incidentId: number) {
  return db
    .selectFrom("support_incidents")
    .select(["due_at", "attempts", "retry_at", "last_error"])
    .where("incident_id", "=", incidentId)
    .executeTakeFirst();
}

/** The earliest incident due at `at` whose row nobody holds, locked (see the migration). */
export async function claimDue(db: SupportDb, at: Date): Promise<number | null> {
  const r = await sql<{ id: string | null }>`SELECT firebreak_claim_support(${at}) AS id`.execute(db);
  const id = r.rows[0]?.id;
  return id === null || id === undefined ? null : Number(id);
}

export async function recordFailure(db: SupportDb, incidentId: number, error: string, retryAt: Date) {
  await db
    .updateTable("support_incidents")
    .set((eb) => ({ attempts: eb("attempts", "+", 1), retry_at: retryAt, last_error: error.slice(0, 2000) }))
    .where("incident_id", "=", incidentId)
    .execute();
}

export async function attemptsOf(db: SupportDb, incidentId: number): Promise<number> {
  const r = await db
    .selectFrom("support_incidents")
    .select("attempts")
    .where("incident_id", "=", incidentId)
    .executeTakeFirst();
  return r?.attempts ?? 0;
}

export type Escalation = {
  level: number;
  reason: "no-resolution-path" | "past-time-to-resolve";
  target: string;
  outcome: string;
  at: Date;
};

export async function insertEscalation(db: SupportDb, incidentId: number, e: Escalation) {
  await db
    .insertInto("support_escalations")
    .values({ incident_id: incidentId, ...e })
    .execute();
}

export async function escalationsOf(db: SupportDb, incidentId: number): Promise<Escalation[]> {
  return db
    .selectFrom("support_escalations")
    .select(["level", "reason", "target", "outcome", "at"])
    .where("incident_id", "=", incidentId)
    .orderBy("id")
    .execute();
}

export type Settings = { teamChannel: string | null; specialistRole: string; engineerRole: string };

export async function getSettings(db: SupportDb): Promise<Settings> {
  const r = await db
    .selectFrom("support_settings")
    .select(["team_channel", "specialist_role", "engineer_role"])
    .executeTakeFirstOrThrow();
  return { teamChannel: r.team_channel, specialistRole: r.specialist_role, engineerRole: r.engineer_role };
}

export async function putSettings(db: SupportDb, s: Settings, by: number, at: Date): Promise<void> {
  await db
    .updateTable("support_settings")
    .set({
      team_channel: s.teamChannel,
      specialist_role: s.specialistRole,
      engineer_role: s.engineerRole,
      updated_by: by,
      updated_at: at,
    })
    .execute();
}
