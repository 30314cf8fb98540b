/** SQL for status pages, components and their history, public incidents and their updates. */
import type { ColumnType, Generated, Kysely } from "kysely";
import type { PlatformTables } from "../platform/db.ts";
import type { ComponentStatus } from "./types.ts";

type Json<T> = ColumnType<T, string, string>;
export type Affected = { componentId: number; newStatus: ComponentStatus; oldStatus?: ComponentStatus };

export interface StatusTables {
  status_pages: {
    id: Generated<number>;
    slug: string;
    name: string;
    time_zone: string;
    /** The team that owns it (the default team when none is named). */
    team_id: Generated<number>;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
  };
  status_components: {
    id: Generated<number>;
    page_id: number;
    name: string;
    description: string | null;
    status: ComponentStatus;
    group_id: number | null;
    is_group: boolean;
    position: number;
    showcase: boolean;
    only_show_if_degraded: boolean;
    start_date: ColumnType<Date | null, string | null, string | null>;
    created_at: Date;
    updated_at: Date;
  };
  status_component_changes: {
    id: Generated<number>;
    component_id: number;
    status: ComponentStatus;
    at: Date;
  };
  status_incidents: {
    id: Generated<number>;
    page_id: number;
    incident_id: number | null;
    kind: "incident" | "maintenance";
    name: string;
    status: string;
    impact: string;
    security: boolean;
    published: boolean;
    scheduled_for: Date | null;
    scheduled_until: Date | null;
    started_at: Date;
    monitoring_at: Date | null;
    resolved_at: Date | null;
    /** STAT-5: C1–C4, for maintenances. */
    criticality: string | null;
    created_at: Date;
    updated_at: Date;
  };
  status_updates: {
    id: Generated<number>;
    status_incident_id: number;
    status: string;
    body: string;
    affected: Json<Affected[]>;
    state: "draft" | "published" | "discarded";
    drafted_by: number;
    approved_by: number | null;
    /** COMM-3: with whom the approver confirmed customer impact before publishing an outage. */
    impact_confirmed_with: number | null;
    created_at: Date;
    published_at: Date | null;
  };
}

export type StatusDb = Kysely<PlatformTables & StatusTables>;
export type PageRow = StatusTables["status_pages"] extends infer T
  ? { [K in keyof T]: T[K] extends Generated<infer U> ? U : T[K] }
  : never;
export type ComponentRow = Awaited<ReturnType<typeof listComponents>>[number];
export type StatusIncidentRow = Awaited<ReturnType<typeof listIncidents>>[number];
export type UpdateRow = Awaited<ReturnType<typeof listUpdates>>[number];

// -- pages --------------------------------------------------------------------------------------

export const findPage = (db: StatusDb, slug: string) =>
  db.selectFrom("status_pages").selectAll().where("slug", "=", slug).executeTakeFirst();
export const getPage = (db: StatusDb, id: number) =>
  db.selectFrom("status_pages").selectAll().where("id", "=", id).executeTakeFirst();
export const listPages = (db: StatusDb) =>
  db.selectFrom("status_pages").selectAll().orderBy("slug").execute();
export const insertPage = (
  db: StatusDb,
  p: { slug: string; name: string; time_zone: string; team_id?: number },
  now: Date,
) =>
  db
    .insertInto("status_pages")
    .values({ ...p, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
export const updatePage = (db: StatusDb, id: number, p: { name?: string; time_zone?: string }, now: Date) =>
  db
    .updateTable("status_pages")
    .set({ ...p, updated_at: now })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
/** Locks the page's row: changes that read all its components and write them back take turns. */
export async function lockPage(db: StatusDb, id: number): Promise<void> {
  await db.selectFrom("status_pages").select("id").where("id", "=", id).forUpdate().execute();
}
export async function touchPage(db: StatusDb, id: number, now: Date): Promise<void> {
  await db.updateTable("status_pages").set({ updated_at: now }).where("id", "=", id).execute();
}

// -- components ---------------------------------------------------------------------------------

export const listComponents = (db: StatusDb, pageId: number) =>
  db
    .selectFrom("status_components")
    .selectAll()
    .where("page_id", "=", pageId)
    .orderBy("position")
    .orderBy("id")
    .execute();

export const getComponent = (db: StatusDb, pageId: number, id: number) =>
  db
    .selectFrom("status_components")
    .selectAll()
    .where("page_id", "=", pageId)
    .where("id", "=", id)
    .executeTakeFirst();

export type ComponentInput = {
  page_id: number;
  name: string;
  description: string | null;
  status: ComponentStatus;
  group_id: number | null;
  is_group: boolean;
  position: number;
  showcase: boolean;
  only_show_if_degraded: boolean;
  start_date: string | null;
};

export const insertComponent = (db: StatusDb, c: ComponentInput, now: Date) =>
  db
    .insertInto("status_components")
    .values({ ...c, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();

export const updateComponent = (
  db: StatusDb,
  id: number,
  c: Partial<Omit<ComponentInput, "page_id">> & { updated_at: Date },
) => db.updateTable("status_components").set(c).where("id", "=", id).returningAll().executeTakeFirst();

/** Puts components at the given positions (ids in ascending order, so concurrent calls lock alike). */
export async function setPositions(db: StatusDb, positions: ReadonlyMap<number, number>, now: Date) {
  for (const id of [...positions.keys()].sort((a, b) => a - b))
    await db
      .updateTable("status_components")
      .set({ position: positions.get(id) ?? 0, updated_at: now })
      .where("id", "=", id)
      .execute();
}

/** Whether any component is in this group. */
export async function hasMembers(db: StatusDb, groupId: number): Promise<boolean> {
  const r = await db
    .selectFrom("status_components")
    .select("id")
    .where("group_id", "=", groupId)
    .limit(1)
    .executeTakeFirst();
  return r !== undefined;
}

export async function deleteComponent(db: StatusDb, pageId: number, id: number): Promise<boolean> {
  const r = await db
    .deleteFrom("status_components")
    .where("page_id", "=", pageId)
    .where("id", "=", id)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}

export async function recordChange(db: StatusDb, componentId: number, status: ComponentStatus, at: Date) {
  await db.insertInto("status_component_changes").values({ component_id: componentId, status, at }).execute();
}

/** Changes since `since`, plus each component's last change before it (its status at the start). */
export async function history(db: StatusDb, componentIds: number[], since: Date) {
  if (componentIds.length === 0) return [];
  const recent = await db
    .selectFrom("status_component_changes")
    .select(["component_id", "status", "at"])
    .where("component_id", "in", componentIds)
    .where("at", ">=", since)
    .orderBy("at")
    .execute();
  const before = await db
    .selectFrom("status_component_changes")
    .select(["component_id", "status", "at"])
    .distinctOn("component_id")
    .where("component_id", "in", componentIds)
    .where("at", "<", since)
    .orderBy("component_id")
    .orderBy("at", "desc")
    .execute();
  return [...before, ...recent];
}

// -- public incidents and maintenance -------------------------------------------------------------

export const listIncidents = (
  db: StatusDb,
  pageId: number,
  opts: { publishedOnly: boolean; limit: number },
) => {
  let q = db.selectFrom("status_incidents").selectAll().where("page_id", "=", pageId);
  if (opts.publishedOnly) q = q.where("published", "=", true);
  return q.orderBy("created_at", "desc").orderBy("id", "desc").limit(opts.limit).execute();
};

export const getIncident = (db: StatusDb, pageId: number, id: number) =>
  db
    .selectFrom("status_incidents")
    .selectAll()
    .where("page_id", "=", pageId)
    .where("id", "=", id)
    .executeTakeFirst();

export const lockIncident = (db: StatusDb, id: number) =>
  db.selectFrom("status_incidents").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();

/**
 * STAT-5: a maintenance locked, with whether anything is still owed for it: not over, and with an
 * update drafted or published (a maintenance whose only draft was discarded is not happening).
 */
export async function lockMaintenance(db: StatusDb, id: number) {
  const m = await db
    .selectFrom("status_incidents")
    .select(["id", "name", "criticality", "scheduled_for", "scheduled_until", "resolved_at", "status"])
    .where("id", "=", id)
    .where("kind", "=", "maintenance")
    .forUpdate()
    .executeTakeFirst();
  if (!m?.scheduled_for) return undefined;
  const live = await db
    .selectFrom("status_updates")
    .select("id")
    .where("status_incident_id", "=", id)
    .where("state", "in", ["draft", "published"])
    .limit(1)
    .executeTakeFirst();
  return {
    id: m.id,
    name: m.name,
    criticality: m.criticality,
    scheduled_for: m.scheduled_for,
    active: live !== undefined && m.resolved_at === null && m.status !== "completed",
  };
}

export const insertIncident = (
  db: StatusDb,
  i: Omit<StatusTables["status_incidents"], "id" | "created_at" | "updated_at">,
  now: Date,
) =>
  db
    .insertInto("status_incidents")
    .values({ ...i, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();

export const updateIncident = (
  db: StatusDb,
  id: number,
  i: Partial<Omit<StatusTables["status_incidents"], "id" | "page_id" | "created_at">>,
) => db.updateTable("status_incidents").set(i).where("id", "=", id).returningAll().executeTakeFirstOrThrow();

export const listUpdates = (db: StatusDb, incidentIds: number[], states: ("draft" | "published")[]) =>
  incidentIds.length === 0
    ? Promise.resolve(
        [] as {
          id: number;
          status_incident_id: number;
          status: string;
          body: string;
          affected: Affected[];
          state: "draft" | "published" | "discarded";
          drafted_by: number;
          approved_by: number | null;
          impact_confirmed_with: number | null;
          created_at: Date;
          published_at: Date | null;
        }[],
      )
    : db
        .selectFrom("status_updates")
        .selectAll()
        .where("status_incident_id", "in", incidentIds)
        .where("state", "in", states)
        .orderBy("id", "desc")
        .execute();

export const insertUpdate = (
  db: StatusDb,
  u: {
    status_incident_id: number;
    status: string;
    body: string;
    affected: Affected[];
    drafted_by: number;
  },
  now: Date,
) =>
  db
    .insertInto("status_updates")
    .values({ ...u, affected: JSON.stringify(u.affected), state: "draft", created_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();

export const lockUpdate = (db: StatusDb, id: number) =>
  db.selectFrom("status_updates").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();

export async function setUpdateBody(db: StatusDb, id: number, body: string): Promise<void> {
  await db.updateTable("status_updates").set({ body }).where("id", "=", id).execute();
}

export async function setUpdate(
  db: StatusDb,
  id: number,
  u: {
    state: "published" | "discarded";
    approved_by?: number;
    published_at?: Date;
    affected?: Affected[];
    impact_confirmed_with?: number | null;
  },
): Promise<void> {
  await db
    .updateTable("status_updates")
    .set({
      state: u.state,
      ...(u.impact_confirmed_with !== undefined && { impact_confirmed_with: u.impact_confirmed_with }),
      ...(u.approved_by !== undefined && { approved_by: u.approved_by }),
      ...(u.published_at !== undefined && { published_at: u.published_at }),
      ...(u.affected !== undefined && { affected: JSON.stringify(u.affected) }),
    })
    .where("id", "=", id)
    .execute();
}

export const listDrafts = (db: StatusDb, pageId: number) =>
  db
    .selectFrom("status_updates as u")
    .innerJoin("status_incidents as i", "i.id", "u.status_incident_id")
    .selectAll("u")
    .select(["i.name as incident_name", "i.incident_id"])
    .where("i.page_id", "=", pageId)
    .where("u.state", "=", "draft")
    .orderBy("u.id")
    .execute();
