/** SQL for service-level objectives, alert services mapped to components, and breaches (STAT-4). */
import { type Kysely, sql } from "kysely";
import type { PlatformTables } from "../platform/db.ts";
import type { StatusDb, StatusTables } from "../statuspage/store.ts";
import type { ComponentStatus } from "../statuspage/types.ts";
import type { ObjectiveKind } from "./model.ts";

export type BreachSource = "objectives" | "alerts";
export type ProposedStatus = Exclude<ComponentStatus, "operational" | "under_maintenance">;

export interface ServiceLevelTables {
  service_level_objectives: {
    id: import("kysely").Generated<number>;
    component_id: number;
    kind: ObjectiveKind;
    query: string;
    threshold: number;
    last_state: "breached" | "met" | "unknown" | null;
    last_value: number | null;
    last_reason: string | null;
    last_evaluated_at: Date | null;
    created_at: Date;
    updated_at: Date;
  };
  service_level_alert_services: {
    component_id: number;
    service_id: number;
    status: ProposedStatus;
    created_at: Date;
  };
  service_level_breaches: {
    id: import("kysely").Generated<number>;
    component_id: number;
    source: BreachSource;
    status: ProposedStatus;
    reasons: import("kysely").ColumnType<string[], string, string>;
    incident_id: number | null;
    status_incident_id: number | null;
    draft_update_ids: import("kysely").ColumnType<number[], number[] | undefined, number[]>;
    started_at: Date;
    ended_at: Date | null;
  };
  // Read only: the alert intake's tables, to see which mapped services have open alerts.
  services: { id: number; name: string };
  alerts: { id: number; service_id: number; status: string; suppressed: boolean; group_id: number | null };
  alert_groups: { id: number; service_id: number; incident_id: number | null };
  incidents: { id: number; state: string };
}

export type SloDb = Kysely<PlatformTables & StatusTables & ServiceLevelTables>;
/** The status page's own SQL runs on the same connection. */
export const asStatusDb = (db: SloDb) => db as unknown as StatusDb;
export type ObjectiveRow = Awaited<ReturnType<typeof listObjectives>>[number];
export type BreachRow = NonNullable<Awaited<ReturnType<typeof lockOpenBreach>>>;

// -- objectives ------------------------------------------------------------------------------------

export const listObjectives = (db: SloDb, componentId?: number) => {
  let q = db
    .selectFrom("service_level_objectives as o")
    .innerJoin("status_components as c", "c.id", "o.component_id")
    .innerJoin("status_pages as p", "p.id", "c.page_id")
    .select([
      "o.id",
      "o.component_id",
      "o.kind",
      "o.query",
      "o.threshold",
      "o.last_state",
      "o.last_value",
      "o.last_reason",
      "o.last_evaluated_at",
      "o.updated_at",
      "c.name as component_name",
      "c.page_id",
      "p.slug as page_slug",
    ]);
  if (componentId !== undefined) q = q.where("o.component_id", "=", componentId);
  return q.orderBy("o.component_id").orderBy("o.kind").execute();
};

/** Replaces a component's objectives with these (one per kind). */
export async function replaceObjectives(
  db: SloDb,
  componentId: number,
  objectives: { kind: ObjectiveKind; query: string; threshold: number }[],
  now: Date,
): Promise<void> {
  const kinds = objectives.map((o) => o.kind);
  let del = db.deleteFrom("service_level_objectives").where("component_id", "=", componentId);
  if (kinds.length) del = del.where("kind", "not in", kinds);
  await del.execute();
  if (!objectives.length) return;
  await db
    .insertInto("service_level_objectives")
    .values(objectives.map((o) => ({ component_id: componentId, ...o, created_at: now, updated_at: now })))
    .onConflict((oc) =>
      oc.columns(["component_id", "kind"]).doUpdateSet((eb) => ({
        query: eb.ref("excluded.query"),
        threshold: eb.ref("excluded.threshold"),
        updated_at: now,
        // A changed line is judged afresh.
        last_state: null,
        last_value: null,
        last_reason: null,
        last_evaluated_at: null,
      })),
    )
    .execute();
}

/** The latest judgements of many objectives in one statement. */
export async function recordJudgements(
  db: SloDb,
  rows: { id: number; state: "breached" | "met" | "unknown"; value: number | null; reason: string | null }[],
  at: Date,
): Promise<void> {
  if (!rows.length) return;
  const values = sql.join(
    rows.map(
      (r) =>
        sql`(${r.id}::bigint, ${r.state}::text, ${r.value === null || !Number.isFinite(r.value) ? null : r.value}::double precision, ${r.reason}::text)`,
    ),
  );
  await sql`UPDATE service_level_objectives AS o
    SET last_state = v.state, last_value = v.value, last_reason = v.reason, last_evaluated_at = ${at}
    FROM (VALUES ${values}) AS v(id, state, value, reason) WHERE o.id = v.id`.execute(db);
}

// -- alert services --------------------------------------------------------------------------------

export const listAlertServices = (db: SloDb, componentId?: number) => {
  let q = db
    .selectFrom("service_level_alert_services as m")
    .innerJoin("services as s", "s.id", "m.service_id")
    .select(["m.component_id", "m.service_id", "m.status", "s.name as service_name"]);
  if (componentId !== undefined) q = q.where("m.component_id", "=", componentId);
  return q.orderBy("m.component_id").orderBy("m.service_id").execute();
};

export async function replaceAlertServices(
  db: SloDb,
  componentId: number,
  mappings: { serviceId: number; status: ProposedStatus }[],
  now: Date,
): Promise<void> {
  await db.deleteFrom("service_level_alert_services").where("component_id", "=", componentId).execute();
  if (!mappings.length) return;
  await db
    .insertInto("service_level_alert_services")
    .values(
      mappings.map((m) => ({
        component_id: componentId,
        service_id: m.serviceId,
        status: m.status,
        created_at: now,
      })),
    )
    .execute();
}

export async function missingServices(db: SloDb, ids: number[]): Promise<number[]> {
  if (!ids.length) return [];
  const found = await db.selectFrom("services").select("id").where("id", "in", ids).execute();
  const have = new Set(found.map((r) => Number(r.id)));
  return ids.filter((id) => !have.has(id));
}

/** Every mapping with how many of its service's alerts are open (firing or acknowledged, not suppressed). */
export const alertServicesWithOpenAlerts = (db: SloDb) =>
  db
    .selectFrom("service_level_alert_services as m")
    .innerJoin("services as s", "s.id", "m.service_id")
    .select((eb) => [
      "m.component_id",
      "m.service_id",
      "m.status",
      "s.name as service_name",
      eb
        .selectFrom("alerts as a")
        .select(eb.fn.countAll<string>().as("n"))
        .whereRef("a.service_id", "=", "m.service_id")
        .where("a.status", "<>", "resolved")
        .where("a.suppressed", "=", false)
        .as("open_alerts"),
    ])
    .execute();

/** An open incident of an alert group of a service mapped to the component (the alerts' triage), if any. */
export async function openAlertIncident(db: SloDb, componentId: number): Promise<number | null> {
  const row = await db
    .selectFrom("service_level_alert_services as m")
    .innerJoin("alert_groups as g", "g.service_id", "m.service_id")
    .innerJoin("incidents as i", "i.id", "g.incident_id")
    .select("i.id")
    .where("m.component_id", "=", componentId)
    .where("i.state", "in", ["triage", "investigating", "fixing", "monitoring"])
    .orderBy("i.id", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.id) : null;
}

/** Whether there is anything to evaluate (the schedule runs only while there is). */
export async function anythingToEvaluate(db: SloDb): Promise<boolean> {
  const o = await db.selectFrom("service_level_objectives").select("id").limit(1).executeTakeFirst();
  if (o) return true;
  const m = await db
    .selectFrom("service_level_alert_services")
    .select("service_id")
    .limit(1)
    .executeTakeFirst();
  return m !== undefined;
}

// -- breaches --------------------------------------------------------------------------------------

export const openBreaches = (db: SloDb) =>
  db.selectFrom("service_level_breaches").selectAll().where("ended_at", "is", null).execute();

export const lockOpenBreach = (db: SloDb, componentId: number, source: BreachSource) =>
  db
    .selectFrom("service_level_breaches")
    .selectAll()
    .where("component_id", "=", componentId)
    .where("source", "=", source)
    .where("ended_at", "is", null)
    .forUpdate()
    .executeTakeFirst();

/** Opens a breach unless one is open (another replica's cycle): null then. */
export const insertBreach = (
  db: SloDb,
  b: {
    component_id: number;
    source: BreachSource;
    status: ProposedStatus;
    reasons: string[];
    started_at: Date;
  },
) =>
  db
    .insertInto("service_level_breaches")
    .values({ ...b, reasons: JSON.stringify(b.reasons) })
    .onConflict((oc) => oc.columns(["component_id", "source"]).where("ended_at", "is", null).doNothing())
    .returningAll()
    .executeTakeFirst();

export const updateBreach = (
  db: SloDb,
  id: number,
  b: Partial<{
    status: ProposedStatus;
    reasons: string[];
    incident_id: number | null;
    status_incident_id: number | null;
    draft_update_ids: number[];
    ended_at: Date;
  }>,
) =>
  db
    .updateTable("service_level_breaches")
    .set({ ...b, reasons: b.reasons === undefined ? undefined : JSON.stringify(b.reasons) })
    .where("id", "=", id)
    .execute();

export const listBreaches = (db: SloDb, componentId: number, limit = 50) =>
  db
    .selectFrom("service_level_breaches")
    .selectAll()
    .where("component_id", "=", componentId)
    .orderBy("started_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();

/** The component and its page, locked: a change of its breach is one at a time. */
export const lockComponent = (db: SloDb, componentId: number) =>
  db
    .selectFrom("status_components as c")
    .innerJoin("status_pages as p", "p.id", "c.page_id")
    .select(["c.id", "c.name", "c.status", "c.page_id", "p.slug"])
    .where("c.id", "=", componentId)
    .forUpdate("c")
    .executeTakeFirst();

/** The automation actor service levels act as (created on first use, like `@alerts`). */
export async function automationUserId(db: SloDb): Promise<number> {
  await db
    .insertInto("users")
    .values({ username: "@service-levels", name: "Service levels (automation)", role: "responder" })
    .onConflict((oc) => oc.column("username").doNothing())
    .execute();
  const row = await db
    .selectFrom("users")
    .select("id")
    .where("username", "=", "@service-levels")
    .executeTakeFirstOrThrow();
  return Number(row.id);
}
