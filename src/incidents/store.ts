/** SQL for the incident core. Every function takes the connection or transaction it runs on. */
import {
  type ColumnType,
  type ExpressionBuilder,
  type Generated,
  type Kysely,
  type RawBuilder,
  sql,
} from "kysely";
import { type PlatformTables, withCustomPlans } from "../platform/db.ts";
import type { ClosedIncident, EventDraft, Incident, State, Visibility } from "./model.ts";

export interface IncidentTables {
  incidents: {
    id: Generated<number>;
    title: string;
    type: string;
    severity: string;
    max_severity: string;
    state: string;
    visibility: string;
    summary: string;
    owner_id: number;
    declared_by: number;
    blocks_deployments: boolean;
    labels: string[];
    extra_labels: string[];
    roles: ColumnType<Record<string, number>, string, string>; // jsonb: written as JSON text
    engaged_at: ColumnType<Record<string, string>, string, string>; // role → ISO time
    role_since: ColumnType<Record<string, string>, string, string>; // role → ISO time
    declared_at: Date;
    accepted_at: Date | null;
    mitigated_at: Date | null;
    resolved_at: Date | null;
    closed_at: Date | null;
    impact_started_at: Date | null;
    impact_ended_at: Date | null;
    impact_level: string | null;
    last_status_update_at: Date | null;
    public_post_at: Date | null;
    owner_deliberate: boolean;
    merged_into: number | null;
    updated_at: Date;
  };
  incident_participants: { incident_id: number; user_id: number; added_at: Date };
  timeline_events: {
    id: Generated<number>;
    incident_id: number;
    kind: string;
    actor_id: number | null;
    at: Date;
    internal: boolean;
    body: string;
    data: ColumnType<Record<string, unknown>, string, string>;
  };
  incident_tasks: {
    id: Generated<number>;
    incident_id: number;
    kind: "action" | "follow-up";
    title: string;
    assignee_id: number | null;
    state: "open" | "done" | "cancelled";
    created_by: number;
    created_at: Date;
    updated_at: Date;
  };
}

export type IncidentDb = Kysely<PlatformTables & IncidentTables>;

type Row = Omit<IncidentTables["incidents"], "id" | "roles" | "engaged_at" | "role_since"> & {
  id: number;
  roles: Record<string, number>;
  engaged_at: Record<string, string>;
  role_since: Record<string, string>;
};
type NewRow = Omit<IncidentTables["incidents"], "id" | "roles" | "engaged_at" | "role_since"> & {
  roles: string;
  engaged_at: string;
  role_since: string;
};

const datesOf = (o: Record<string, string>): Record<string, Date> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, new Date(v)]));
const isoOf = (o: Record<string, Date>): Record<string, string> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.toISOString()]));

function fromRow(r: Row): Incident {
  return {
    id: r.id,
    title: r.title,
    type: r.type,
    severity: r.severity,
    maxSeverity: r.max_severity,
    state: r.state as State,
    visibility: r.visibility as Visibility,
    summary: r.summary,
    ownerId: r.owner_id,
    declaredBy: r.declared_by,
    blocksDeployments: r.blocks_deployments,
    labels: r.labels,
    extraLabels: r.extra_labels,
    roles: r.roles,
    engagedAt: datesOf(r.engaged_at),
    roleSince: datesOf(r.role_since),
    ownerDeliberate: r.owner_deliberate,
    declaredAt: r.declared_at,
    acceptedAt: r.accepted_at,
    mitigatedAt: r.mitigated_at,
    resolvedAt: r.resolved_at,
    closedAt: r.closed_at,
    impactStartedAt: r.impact_started_at,
    impactEndedAt: r.impact_ended_at,
    impactLevel: r.impact_level as Incident["impactLevel"],
    lastStatusUpdateAt: r.last_status_update_at,
    publicPostAt: r.public_post_at,
    mergedInto: r.merged_into,
    updatedAt: r.updated_at,
  };
}

function toRow(i: Omit<Incident, "id">): NewRow {
  return {
    title: i.title,
    type: i.type,
    severity: i.severity,
    max_severity: i.maxSeverity,
    state: i.state,
    visibility: i.visibility,
    summary: i.summary,
    owner_id: i.ownerId,
    declared_by: i.declaredBy,
    blocks_deployments: i.blocksDeployments,
    labels: i.labels,
    extra_labels: i.extraLabels,
    roles: JSON.stringify(i.roles),
    engaged_at: JSON.stringify(isoOf(i.engagedAt)),
    role_since: JSON.stringify(isoOf(i.roleSince)),
    owner_deliberate: i.ownerDeliberate,
    declared_at: i.declaredAt,
    accepted_at: i.acceptedAt,
    mitigated_at: i.mitigatedAt,
    resolved_at: i.resolvedAt,
    closed_at: i.closedAt,
    impact_started_at: i.impactStartedAt,
    impact_ended_at: i.impactEndedAt,
    impact_level: i.impactLevel,
    last_status_update_at: i.lastStatusUpdateAt,
    public_post_at: i.publicPostAt,
    merged_into: i.mergedInto,
    updated_at: i.updatedAt,
  };
}

/**
 * Incidents a transaction holds (inserted, updated or locked), as it last wrote them: nobody else
 * can change a row it holds, so reading one again is a wasted round trip — and a declare's rules
 * read the incident once per action. Only transactions keep them, and they go with the transaction.
 */
const heldByTransaction = new WeakMap<IncidentDb, Map<number, Incident>>();

function held(db: IncidentDb): Map<number, Incident> | undefined {
  if (!db.isTransaction) return undefined;
  let rows = heldByTransaction.get(db);
  if (!rows) {
    rows = new Map();
    heldByTransaction.set(db, rows);
  }
  return rows;
}

export async function updateIncident(db: IncidentDb, i: Incident): Promise<void> {
  const r = await db.updateTable("incidents").set(toRow(i)).where("id", "=", i.id).executeTakeFirst();
  if (r.numUpdatedRows > 0n) held(db)?.set(i.id, i); // the update holds the row now
}

/** A draft event as the values of one `timeline_events` row; `incidentId` is SQL (a CTE's id) or a value. */
function eventValues(
  incidentId: number | RawBuilder<number>,
  actorId: number | null,
  at: Date,
  d: EventDraft,
) {
  const actor = d.actorId !== undefined ? d.actorId : actorId;
  return sql`(${incidentId}, ${d.kind}, ${actor}, ${at}, ${d.internal ?? false}, ${d.body ?? ""}, ${JSON.stringify(d.data)})`;
}

/** Events as `json_agg` returns them: dates are ISO strings. */
type EventJson = Omit<TimelineEvent, "at" | "incidentId" | "actorId"> & {
  at: string;
  incident_id: number;
  actor_id: number | null;
};
const eventsFromJson = (rows: EventJson[] | null): TimelineEvent[] =>
  (rows ?? []).map((r) => eventFromRow({ ...r, at: new Date(r.at) }));

/**
 * A command's whole write as one statement (one round trip, atomic on its own): the incident's new
 * state, its timeline events and the people it brings in. What `updateIncident`, `appendEvents` and
 * `addParticipants` do one after the other, without the two round trips between them.
 */
export async function writeChange(
  db: IncidentDb,
  i: Incident,
  actorId: number | null,
  at: Date,
  drafts: EventDraft[],
  userIds: number[],
): Promise<TimelineEvent[]> {
  const row = toRow(i);
  const people = [...new Set(userIds)];
  const ctes = [
    sql`u AS (UPDATE incidents SET ${sql.join(
      Object.entries(row).map(([k, v]) => sql`${sql.ref(k)} = ${v}`),
    )} WHERE id = ${i.id} RETURNING id)`,
  ];
  if (drafts.length)
    ctes.push(
      sql`e AS (INSERT INTO timeline_events (incident_id, kind, actor_id, at, internal, body, data) VALUES ${sql.join(
        drafts.map((d) => eventValues(i.id, actorId, at, d)),
      )} RETURNING *)`,
    );
  if (people.length)
    ctes.push(
      sql`p AS (INSERT INTO incident_participants (incident_id, user_id, added_at) VALUES ${sql.join(
        people.map((u) => sql`(${i.id}, ${u}, ${at})`),
      )} ON CONFLICT DO NOTHING)`,
    );
  const events = drafts.length ? sql`(SELECT json_agg(e ORDER BY e.id) FROM e)` : sql`NULL::json`;
  const r = await sql<{ updated: number; events: EventJson[] | null }>`
    WITH ${sql.join(ctes)} SELECT (SELECT count(*) FROM u)::int AS updated, ${events} AS events`.execute(db);
  const out = r.rows[0];
  if (out && out.updated > 0) held(db)?.set(i.id, i); // the update holds the row now
  return eventsFromJson(out?.events ?? null);
}

/** A declare's write as one statement: the incident, its first events and its first participants. */
export async function insertIncidentWith(
  db: IncidentDb,
  i: Omit<Incident, "id">,
  actorId: number | null,
  at: Date,
  drafts: EventDraft[],
  userIds: number[],
): Promise<{ incident: Incident; events: TimelineEvent[] }> {
  const row = toRow(i);
  const cols = Object.keys(row);
  const id = sql<number>`(SELECT id FROM i)`;
  const people = [...new Set(userIds)];
  const ctes = [
    sql`i AS (INSERT INTO incidents (${sql.join(cols.map((c) => sql.ref(c)))}) VALUES (${sql.join(
      Object.values(row),
    )}) RETURNING *)`,
  ];
  if (drafts.length)
    ctes.push(
      sql`e AS (INSERT INTO timeline_events (incident_id, kind, actor_id, at, internal, body, data) VALUES ${sql.join(
        drafts.map((d) => eventValues(id, actorId, at, d)),
      )} RETURNING *)`,
    );
  if (people.length)
    ctes.push(
      sql`p AS (INSERT INTO incident_participants (incident_id, user_id, added_at) VALUES ${sql.join(
        people.map((u) => sql`(${id}, ${u}, ${at})`),
      )} ON CONFLICT DO NOTHING)`,
    );
  const events = drafts.length ? sql`(SELECT json_agg(e ORDER BY e.id) FROM e)` : sql`NULL::json`;
  const r = await sql<Row & { events: EventJson[] | null }>`
    WITH ${sql.join(ctes)} SELECT i.*, ${events} AS events FROM i`.execute(db);
  const out = r.rows[0];
  if (!out) throw new Error("inserting an incident returned no row");
  const { events: written, ...incidentRow } = out;
  const incident = fromRow(incidentRow);
  held(db)?.set(incident.id, incident);
  return { incident, events: eventsFromJson(written) };
}

/**
 * One event by a person, as one statement: under the incident's lock, only if the person may see
 * it (DATA-3) and it is not merged; the person takes part from then on. Undefined when refused, so
 * the caller can say why (a refusal is rare: the extra reads are for it alone).
 */
export async function appendIfWritable(
  db: IncidentDb,
  viewer: Viewer,
  incidentId: number,
  at: Date,
  d: EventDraft,
): Promise<TimelineEvent | undefined> {
  const actor = d.actorId !== undefined ? d.actorId : viewer.id;
  const r = await sql<Parameters<typeof eventFromRow>[0]>`
    WITH i AS (
      SELECT id FROM incidents
      WHERE id = ${incidentId} AND state <> 'merged'
        AND (${viewer.admin}::boolean OR visibility = 'public' OR EXISTS (
          SELECT 1 FROM incident_participants WHERE incident_id = ${incidentId} AND user_id = ${viewer.id}))
      FOR NO KEY UPDATE),
    e AS (
      INSERT INTO timeline_events (incident_id, kind, actor_id, at, internal, body, data)
      SELECT i.id, ${d.kind}::text, ${actor}::bigint, ${at}::timestamptz, ${d.internal ?? false}::boolean,
        ${d.body ?? ""}::text, ${JSON.stringify(d.data)}::jsonb FROM i
      RETURNING *),
    p AS (
      INSERT INTO incident_participants (incident_id, user_id, added_at)
      SELECT i.id, ${viewer.id}::bigint, ${at}::timestamptz FROM i ON CONFLICT DO NOTHING)
    SELECT * FROM e`.execute(db);
  const row = r.rows[0];
  return row && eventFromRow(row);
}

/**
 * Reads an incident and locks its row until the transaction ends, so commands on it queue. NO KEY
 * UPDATE: rows that merely reference the incident (timeline events, pages) can still be written by
 * others meanwhile, so a page escalating while a command runs does not wait for it.
 */
export async function lockIncident(db: IncidentDb, id: number): Promise<Incident | undefined> {
  const mine = held(db)?.get(id);
  if (mine) return mine;
  const row = await db
    .selectFrom("incidents")
    .selectAll()
    .where("id", "=", id)
    .forNoKeyUpdate()
    .executeTakeFirst();
  const locked = row && fromRow(row);
  if (locked) held(db)?.set(id, locked);
  return locked;
}

export async function getIncident(db: IncidentDb, id: number): Promise<Incident | undefined> {
  const mine = held(db)?.get(id);
  if (mine) return mine;
  const row = await db.selectFrom("incidents").selectAll().where("id", "=", id).executeTakeFirst();
  return row && fromRow(row);
}

/** DATA-3: who may see an incident at all. */
export type Viewer = { id: number; admin: boolean };

export async function isParticipant(db: IncidentDb, incidentId: number, userId: number): Promise<boolean> {
  const row = await db
    .selectFrom("incident_participants")
    .select("user_id")
    .where("incident_id", "=", incidentId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Automation actors (`@alerts`) have usernames no person can have. */
export async function isAutomationUser(db: IncidentDb, userId: number): Promise<boolean> {
  const row = await db
    .selectFrom("users")
    .select("id")
    .where("id", "=", userId)
    .where("username", "like", "@%")
    .executeTakeFirst();
  return row !== undefined;
}

export async function addParticipants(db: IncidentDb, incidentId: number, userIds: number[], at: Date) {
  const unique = [...new Set(userIds)];
  if (unique.length === 0) return;
  await db
    .insertInto("incident_participants")
    .values(unique.map((user_id) => ({ incident_id: incidentId, user_id, added_at: at })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function listParticipants(db: IncidentDb, incidentId: number): Promise<number[]> {
  const rows = await db
    .selectFrom("incident_participants")
    .select("user_id")
    .where("incident_id", "=", incidentId)
    .orderBy("added_at")
    .execute();
  return rows.map((r) => r.user_id);
}

/** DATA-3 as SQL: public, or the viewer takes part in it (admins see everything; callers skip this). */
function seenBy(eb: ExpressionBuilder<PlatformTables & IncidentTables, "incidents">, viewer: Viewer) {
  return eb.or([
    eb("visibility", "=", "public"),
    eb.exists(
      eb
        .selectFrom("incident_participants as p")
        .select("p.user_id")
        .whereRef("p.incident_id", "=", "incidents.id")
        .where("p.user_id", "=", viewer.id),
    ),
  ]);
}

export async function visibleIncidentIds(
  db: IncidentDb,
  viewer: Viewer,
  ids: number[],
): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  let q = db.selectFrom("incidents").select("id").where("id", "in", ids);
  if (!viewer.admin) q = q.where((eb) => seenBy(eb, viewer));
  return new Set((await q.execute()).map((r) => r.id));
}

export type IncidentFilter = {
  states?: State[];
  severities?: string[];
  types?: string[];
  ownerId?: number;
  search?: string;
  /** Only these incidents (e.g. those of one service's alerts). */
  ids?: number[];
  limit: number;
  beforeId?: number;
};

/**
 * Planned for its own filter every time (in its own transaction): the statement goes out named
 * (decision 0014), and a generic plan, made without the states, walked every incident back from the
 * newest for the few open ones (13 ms where a custom plan reads them by state in 0.1).
 */
export async function listIncidents(db: IncidentDb, viewer: Viewer, f: IncidentFilter): Promise<Incident[]> {
  if (f.ids?.length === 0) return [];
  const rows = await withCustomPlans(db, async (tx) => {
    let q = tx.selectFrom("incidents").selectAll();
    if (!viewer.admin) q = q.where((eb) => seenBy(eb, viewer));
    if (f.states?.length) q = q.where("state", "in", f.states);
    if (f.severities?.length) q = q.where("severity", "in", f.severities);
    if (f.types?.length) q = q.where("type", "in", f.types);
    if (f.ownerId !== undefined) q = q.where("owner_id", "=", f.ownerId);
    if (f.search) q = q.where("title", "ilike", `%${f.search.replace(/[\\%_]/g, "\\$&")}%`);
    if (f.beforeId !== undefined) q = q.where("id", "<", f.beforeId);
    if (f.ids !== undefined) q = q.where("id", "in", f.ids);
    return q.orderBy("id", "desc").limit(f.limit).execute();
  });
  return rows.map(fromRow);
}

/** SEV-4 looks at incidents closed since `since`. */
export async function closedSince(db: IncidentDb, since: Date): Promise<ClosedIncident[]> {
  const rows = await db
    .selectFrom("incidents")
    .select(["id", "severity", "closed_at", "visibility"])
    .where("state", "=", "closed")
    .where("closed_at", ">=", since)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    severity: r.severity,
    closedAt: r.closed_at!,
    visibility: r.visibility as Visibility,
  }));
}

/**
 * LC-4: open incidents that block deployments: of a blocking severity, or with the field set. By
 * severity rather than by stored label, so a changed policy applies at once.
 */
export async function deployBlockers(db: IncidentDb, blockingSeverities: string[]): Promise<Incident[]> {
  const rows = await db
    .selectFrom("incidents")
    .selectAll()
    .where("state", "in", ["triage", "investigating", "fixing", "monitoring"])
    .where((eb) =>
      eb.or([
        eb("blocks_deployments", "=", true),
        ...(blockingSeverities.length ? [eb("severity", "in", blockingSeverities)] : []),
      ]),
    )
    .orderBy("id")
    .execute();
  return rows.map(fromRow);
}

/**
 * PAGE-4: how many open, accepted incidents have one of these severities, counting no further than
 * `upTo` (a rule asks "at least N"; in a storm of thousands the rest would be read for nothing).
 */
export async function countOpenIncidents(
  db: IncidentDb,
  severities: string[],
  upTo: number,
): Promise<number> {
  if (severities.length === 0) return 0;
  const row = await db
    .selectFrom((eb) =>
      eb
        .selectFrom("incidents")
        .select("id")
        .where("state", "in", ["investigating", "fixing", "monitoring"])
        .where("severity", "in", severities)
        .limit(upTo)
        .as("open"),
    )
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** PAGE-5: the open incidents (other than `exceptId`) on which these people hold `role`. */
export async function holdersBusyInRole(
  db: IncidentDb,
  role: string,
  userIds: number[],
  exceptId: number,
): Promise<number[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .selectFrom("incidents")
    .select(sql<string>`roles->>${role}`.as("holder"))
    .where("state", "in", ["triage", "investigating", "fixing", "monitoring"])
    .where("id", "<>", exceptId)
    .where(sql<boolean>`(roles->>${role})::bigint = ANY(${sql.val(userIds)}::bigint[])`)
    .execute();
  return [...new Set(rows.map((r) => Number(r.holder)))];
}

// ---------------------------------------------------------------------------------------------
// Timeline

export type TimelineEvent = {
  id: number;
  incidentId: number;
  kind: string;
  actorId: number | null;
  at: Date;
  internal: boolean;
  body: string;
  data: Record<string, unknown>;
};

export async function appendEvents(
  db: IncidentDb,
  incidentId: number,
  actorId: number | null,
  at: Date,
  drafts: EventDraft[],
): Promise<TimelineEvent[]> {
  if (drafts.length === 0) return [];
  const rows = await db
    .insertInto("timeline_events")
    .values(
      drafts.map((d) => ({
        incident_id: incidentId,
        kind: d.kind,
        actor_id: d.actorId !== undefined ? d.actorId : actorId,
        at,
        internal: d.internal ?? false,
        body: d.body ?? "",
        data: JSON.stringify(d.data),
      })),
    )
    .returningAll()
    .execute();
  return rows.map(eventFromRow);
}

function eventFromRow(r: {
  id: number;
  incident_id: number;
  kind: string;
  actor_id: number | null;
  at: Date;
  internal: boolean;
  body: string;
  data: Record<string, unknown>;
}): TimelineEvent {
  return {
    id: r.id,
    incidentId: r.incident_id,
    kind: r.kind,
    actorId: r.actor_id,
    at: r.at,
    internal: r.internal,
    body: r.body,
    data: r.data,
  };
}

/**
 * An incident's timeline, including the timelines of duplicates merged into it (LC-2) — and of
 * duplicates merged into those, however deep the chain.
 */
export async function readTimeline(db: IncidentDb, incidentId: number, withInternal: boolean) {
  const rows = await db
    .withRecursive("family(id)", (qb) =>
      qb
        .selectNoFrom(sql<number>`${incidentId}::bigint`.as("id"))
        .unionAll((q) =>
          q.selectFrom("incidents as i").innerJoin("family as f", "i.merged_into", "f.id").select("i.id"),
        ),
    )
    .selectFrom("timeline_events")
    .selectAll("timeline_events")
    .where("incident_id", "in", (eb) => eb.selectFrom("family").select("family.id"))
    .$if(!withInternal, (q) => q.where("internal", "=", false))
    .orderBy("at")
    .orderBy("id")
    .execute();
  return rows.map(eventFromRow);
}

/** Other incidents alive at some point in [from, to) (for replaying a policy, PAGE-4). */
export async function lifetimes(db: IncidentDb, exceptId: number, from: Date, to: Date) {
  const rows = await db
    .selectFrom("incidents")
    .select(["severity", "accepted_at", "resolved_at", "closed_at", "state", "updated_at"])
    .where("id", "<>", exceptId)
    .where("declared_at", "<", to)
    .where((eb) => eb.or([eb("resolved_at", "is", null), eb("resolved_at", ">=", from)]))
    .where("state", "not in", ["declined"])
    .limit(10_000)
    .execute();
  return rows.map((r) => ({
    severity: r.severity,
    acceptedAt: r.accepted_at,
    endedAt: r.resolved_at ?? (r.state === "merged" ? r.updated_at : null),
  }));
}

/** The latest status update's words (COMM-5 templates quote it). */
export async function latestStatusUpdate(
  db: IncidentDb,
  incidentId: number,
): Promise<{ impact: string; actions: string } | null> {
  const row = await db
    .selectFrom("timeline_events")
    .select("data")
    .where("incident_id", "=", incidentId)
    .where("kind", "=", "status-update")
    .orderBy("id", "desc")
    .executeTakeFirst();
  if (!row) return null;
  return { impact: String(row.data.impact ?? ""), actions: String(row.data.actions ?? "") };
}

export async function getEvent(db: IncidentDb, eventId: number): Promise<TimelineEvent | undefined> {
  const row = await db.selectFrom("timeline_events").selectAll().where("id", "=", eventId).executeTakeFirst();
  return row && eventFromRow(row);
}

// ---------------------------------------------------------------------------------------------
// Users referenced by incidents

export type UserRef = { id: number; username: string; name: string };
export type ActiveUser = UserRef & { role: "viewer" | "responder" | "admin" };

export async function findUsers(db: IncidentDb, ids: number[]): Promise<Map<number, UserRef>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .selectFrom("users")
    .select(["id", "username", "name"])
    .where("id", "in", unique)
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Resolves a user given by id or username; only active users can hold work. */
export async function findActiveUser(db: IncidentDb, ref: number | string): Promise<ActiveUser | undefined> {
  let q = db
    .selectFrom("users")
    .select(["id", "username", "name", "role"])
    .where("deactivated_at", "is", null);
  q = typeof ref === "number" ? q.where("id", "=", ref) : q.where("username", "=", ref);
  return q.executeTakeFirst();
}
