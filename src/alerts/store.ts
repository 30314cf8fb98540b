/** SQL for services, integration keys, alerts, alert groups, changes, heartbeats and maintenance. */
import { type ColumnType, type Generated, type Kysely, sql } from "kysely";
import { type PlatformTables, withCustomPlans } from "../platform/db.ts";
import { type AlertStatus, type FoldedAlert, type GenericMapping, statusOf } from "./model.ts";

type Json<T> = ColumnType<T, string, string>;

export interface AlertTables {
  services: {
    id: Generated<number>;
    name: string;
    description: string;
    escalation_policy_id: number;
    incident_type: string | null;
    incident_severity: string | null;
    grouping_window_minutes: number;
    flap_changes: number;
    flap_window_minutes: number;
    /** The team that owns it (the default team when none is named). */
    team_id: Generated<number>;
    created_at: Date;
    updated_at: Date;
  };
  integration_keys: {
    id: Generated<number>;
    service_id: number;
    name: string;
    key_hash: string;
    key_hint: string;
    mapping: Json<GenericMapping | null> | null;
    created_at: Date;
    /** Source silence (source-silence.ts). */
    silence_minutes: number | null;
    silence_since: Date | null;
    last_event_at: Date | null;
    silent_at: Date | null;
  };
  alert_groups: {
    id: Generated<number>;
    service_id: number;
    incident_id: number;
    page_id: number | null;
    opened_at: Date;
    last_alert_at: Date;
  };
  alerts: {
    id: Generated<number>;
    service_id: number;
    dedup_key: string;
    source: string;
    status: AlertStatus;
    previous_status: AlertStatus | null;
    summary: string;
    severity: string;
    details: Json<Record<string, unknown>>;
    group_id: number | null;
    occurrences: number;
    changes: Date[];
    flapping: boolean;
    suppressed: boolean;
    first_seen_at: Date;
    last_seen_at: Date;
    resolved_at: Date | null;
  };
  change_events: {
    id: Generated<number>;
    service_id: number;
    summary: string;
    source: string;
    kind: string;
    happened_at: Date;
    links: Json<unknown[]>;
    details: Json<Record<string, unknown>>;
    created_at: Date;
  };
  heartbeats: {
    id: Generated<number>;
    service_id: number;
    name: string;
    interval_minutes: number;
    last_ping_at: Date | null;
    created_at: Date;
  };
  maintenance_windows: {
    id: Generated<number>;
    service_id: number;
    start_at: Date;
    end_at: Date;
    reason: string;
    created_by: number;
    created_at: Date;
  };
  // Read here, owned by incidents and paging.
  incidents: { id: number; state: string; title: string; visibility: string };
  pages: { id: number; state: string };
}

export type AlertDb = Kysely<PlatformTables & AlertTables>;

/** How many recent firing/resolved changes an alert keeps (enough for any flap policy). */
const KEPT_CHANGES = 64;

// -- services and keys --------------------------------------------------------------------------

export type ServiceRow = AlertTables["services"] extends infer S
  ? { [K in keyof S]: S[K] extends Generated<infer T> ? T : S[K] }
  : never;

export const insertService = (db: AlertDb, s: Omit<ServiceRow, "id" | "team_id"> & { team_id?: number }) =>
  db.insertInto("services").values(s).returningAll().executeTakeFirstOrThrow();

export const getService = (db: AlertDb, id: number) =>
  db.selectFrom("services").selectAll().where("id", "=", id).executeTakeFirst();

export const listServices = (db: AlertDb) => db.selectFrom("services").selectAll().orderBy("name").execute();

export async function updateService(
  db: AlertDb,
  id: number,
  s: Partial<Omit<ServiceRow, "id" | "created_at">>,
) {
  return db.updateTable("services").set(s).where("id", "=", id).returningAll().executeTakeFirst();
}

export async function deleteService(db: AlertDb, id: number): Promise<boolean> {
  const r = await db.deleteFrom("services").where("id", "=", id).executeTakeFirst();
  return r.numDeletedRows > 0n;
}

export const insertKey = (
  db: AlertDb,
  k: { service_id: number; name: string; key_hash: string; key_hint: string; mapping: GenericMapping | null },
  now: Date,
) =>
  db
    .insertInto("integration_keys")
    .values({ ...k, mapping: k.mapping === null ? null : JSON.stringify(k.mapping), created_at: now })
    .returning(["id", "service_id", "name", "key_hint", "mapping", "created_at"])
    .executeTakeFirstOrThrow();

export const listKeys = (db: AlertDb, serviceId: number) =>
  db
    .selectFrom("integration_keys")
    .select([
      "id",
      "service_id",
      "name",
      "key_hint",
      "mapping",
      "created_at",
      "silence_minutes",
      "last_event_at",
    ])
    .where("service_id", "=", serviceId)
    .orderBy("id")
    .execute();

export async function deleteKey(db: AlertDb, serviceId: number, id: number): Promise<boolean> {
  const r = await db
    .deleteFrom("integration_keys")
    .where("service_id", "=", serviceId)
    .where("id", "=", id)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}

export const findKey = (db: AlertDb, keyHash: string) =>
  db
    .selectFrom("integration_keys")
    .innerJoin("services", "services.id", "integration_keys.service_id")
    .select([
      "integration_keys.id",
      "integration_keys.service_id",
      "integration_keys.mapping",
      "services.name",
    ])
    .where("integration_keys.key_hash", "=", keyHash)
    .executeTakeFirst();

// -- alerts: the batch upsert -------------------------------------------------------------------

export type UpsertedAlert = {
  id: number;
  service_id: number;
  dedup_key: string;
  status: AlertStatus;
  previous_status: AlertStatus | null;
  group_id: number | null;
  changes: Date[];
  flapping: boolean;
  suppressed: boolean;
  inserted: boolean;
};

/**
 * One round's triggers in one statement: new alerts are inserted, known ones counted (occurrences,
 * last seen) and re-opened when resolved. `previous_status` tells the caller what
 * changed; `inserted` whether the alert is new.
 */
export async function upsertTriggered(
  db: AlertDb,
  alerts: FoldedAlert[],
  now: Date,
  /** The open group a service's new alerts join as they are inserted (service id → group id; see writeRound). */
  joinGroup: ReadonlyMap<number, number> = new Map(),
): Promise<UpsertedAlert[]> {
  if (alerts.length === 0) return [];
  const col = <T>(f: (a: FoldedAlert) => T) => alerts.map(f);
  const r = await sql<UpsertedAlert>`
    INSERT INTO alerts AS a (service_id, dedup_key, source, status, summary, severity, details,
      occurrences, changes, group_id, first_seen_at, last_seen_at, resolved_at)
    SELECT i.service_id, i.dedup_key, i.source, i.status, i.summary, i.severity, i.details::jsonb,
      i.occurrences, '{}', i.group_id, ${now}, ${now}, NULL
    FROM unnest(${col((a) => a.serviceId)}::bigint[], ${col((a) => a.dedupKey)}::text[],
      ${col((a) => a.last.source)}::text[], ${col((a) => statusOf(a.action))}::text[], ${col((a) => a.last.summary)}::text[],
      ${col((a) => a.last.severity)}::text[], ${col((a) => JSON.stringify(a.last.details))}::text[],
      ${col((a) => a.occurrences)}::bigint[], ${col((a) => joinGroup.get(a.serviceId) ?? null)}::bigint[])
      WITH ORDINALITY AS i(service_id, dedup_key, source, status, summary, severity, details, occurrences, group_id, ord)
    ORDER BY i.ord
    ON CONFLICT (service_id, dedup_key) DO UPDATE SET
      previous_status = a.status,
      -- A trigger does not undo an acknowledgement; it re-opens a resolved alert.
      status = CASE WHEN a.status = 'acknowledged' THEN 'acknowledged' ELSE 'firing' END,
      source = excluded.source,
      summary = excluded.summary,
      severity = excluded.severity,
      details = excluded.details,
      occurrences = a.occurrences + excluded.occurrences,
      last_seen_at = excluded.last_seen_at,
      resolved_at = NULL,
      changes = firebreak_last_n(a.changes
        || CASE WHEN a.status = 'resolved' THEN ARRAY[excluded.last_seen_at] ELSE '{}'::timestamptz[] END,
        ${KEPT_CHANGES})
    RETURNING a.id, a.service_id, a.dedup_key, a.status, a.previous_status, a.group_id, a.changes,
      a.flapping, a.suppressed, (a.xmax = 0) AS inserted`.execute(db);
  return r.rows;
}

/** Acknowledge and resolve events for known alerts (for unknown keys they do nothing, as in Events v2). */
export async function updateStatuses(
  db: AlertDb,
  alerts: FoldedAlert[],
  now: Date,
): Promise<UpsertedAlert[]> {
  if (alerts.length === 0) return [];
  const r = await sql<UpsertedAlert>`
    UPDATE alerts AS a SET
      previous_status = a.status,
      -- An acknowledgement does not reopen a resolved alert.
      status = CASE WHEN i.status = 'acknowledged' AND a.status = 'resolved' THEN 'resolved' ELSE i.status END,
      resolved_at = CASE WHEN i.status = 'resolved' THEN coalesce(a.resolved_at, ${now}::timestamptz)
                         ELSE a.resolved_at END,
      last_seen_at = ${now},
      changes = firebreak_last_n(a.changes
        || CASE WHEN i.status = 'resolved' AND a.status <> 'resolved'
                THEN ARRAY[${now}::timestamptz] ELSE '{}'::timestamptz[] END, ${KEPT_CHANGES})
    FROM unnest(${alerts.map((a) => a.serviceId)}::bigint[], ${alerts.map((a) => a.dedupKey)}::text[],
      ${alerts.map((a) => statusOf(a.action))}::text[]) AS i(service_id, dedup_key, status)
    WHERE a.service_id = i.service_id AND a.dedup_key = i.dedup_key
    RETURNING a.id, a.service_id, a.dedup_key, a.status, a.previous_status, a.group_id, a.changes,
      a.flapping, a.suppressed, false AS inserted`.execute(db);
  return r.rows;
}

// -- grouping -----------------------------------------------------------------------------------

export type LockedService = {
  id: number;
  name: string;
  escalation_policy_id: number;
  incident_type: string | null;
  incident_severity: string | null;
  grouping_window_minutes: number;
  flap_changes: number;
  flap_window_minutes: number;
  in_maintenance: boolean;
  group_id: number | null;
  group_last_alert_at: Date | null;
  group_page_id: number | null;
  incident_id: number | null;
  incident_title: string | null;
  incident_severity_now: string | null;
  incident_open: boolean | null;
  page_state: string | null;
};

/**
 * Locks these services (in id order, so concurrent batches cannot deadlock), then reads what
 * placing their alerts needs: settings, maintenance now, and the latest group with its incident
 * and page. The lock makes "join the open group, or open one" atomic across replicas: one incident
 * per group however many batches take a storm. Two statements on purpose: the read must see what
 * the batch that held the lock before committed, and a statement's snapshot is taken before it
 * waits. FOR NO KEY UPDATE, because inserting alerts takes KEY SHARE on their service.
 */
export async function lockServices(
  db: AlertDb,
  ids: number[],
  now: Date,
  openStates: readonly string[],
): Promise<LockedService[]> {
  await sql`SELECT id FROM services WHERE id = ANY(${ids}::bigint[]) ORDER BY id FOR NO KEY UPDATE`.execute(
    db,
  );
  return serviceStates(db, ids, now, openStates);
}

/**
 * What placing alerts needs to know of these services (see lockServices), read without a lock:
 * enough to see that a service's alerts simply join its open group, which needs no lock.
 */
export async function serviceStates(
  db: AlertDb,
  ids: number[],
  now: Date,
  openStates: readonly string[],
): Promise<LockedService[]> {
  const r = await sql<LockedService>`
    SELECT s.id, s.name, s.escalation_policy_id, s.incident_type, s.incident_severity,
      s.grouping_window_minutes, s.flap_changes, s.flap_window_minutes,
      EXISTS (SELECT 1 FROM maintenance_windows m
              WHERE m.service_id = s.id AND m.start_at <= ${now} AND m.end_at > ${now}) AS in_maintenance,
      g.id AS group_id, g.last_alert_at AS group_last_alert_at, g.page_id AS group_page_id,
      i.id AS incident_id, i.title AS incident_title, i.severity AS incident_severity_now,
      i.state = ANY(${[...openStates]}::text[]) AS incident_open, p.state AS page_state
    FROM services s
    LEFT JOIN LATERAL (SELECT * FROM alert_groups WHERE service_id = s.id ORDER BY id DESC LIMIT 1) g ON true
    LEFT JOIN incidents i ON i.id = g.incident_id
    LEFT JOIN pages p ON p.id = g.page_id
    WHERE s.id = ANY(${ids}::bigint[])
    ORDER BY s.id`.execute(db);
  return r.rows;
}

export const insertGroup = (
  db: AlertDb,
  g: { service_id: number; incident_id: number; page_id: number | null },
  now: Date,
) =>
  db
    .insertInto("alert_groups")
    .values({ ...g, opened_at: now, last_alert_at: now })
    .returning("id")
    .executeTakeFirstOrThrow();

/**
 * Moves the groups' last-alert time on (and sets a new page where one was triggered). A group
 * another batch is moving on right now is skipped (SKIP LOCKED) unless it gets a page: that batch
 * sets the same time give or take milliseconds, and waiting for its commit would queue every batch
 * of a hot service behind it.
 */
export async function touchGroups(
  db: AlertDb,
  groups: { groupId: number; pageId: number | null }[],
  now: Date,
): Promise<void> {
  if (groups.length === 0) return;
  // One row per group (a new page wins), in id order: concurrent batches lock groups in one order.
  const byId = new Map<number, number | null>();
  for (const g of groups) byId.set(g.groupId, g.pageId ?? byId.get(g.groupId) ?? null);
  const ids = [...byId.keys()].sort((a, b) => a - b);
  const paged = ids.filter((id) => byId.get(id) !== null);
  const plain = ids.filter((id) => byId.get(id) === null);
  if (paged.length)
    await sql`
      UPDATE alert_groups g SET last_alert_at = greatest(g.last_alert_at, ${now}), page_id = v.page_id
      FROM unnest(${paged}::bigint[], ${paged.map((id) => byId.get(id))}::bigint[]) AS v(id, page_id)
      WHERE g.id = v.id`.execute(db);
  if (plain.length)
    await sql`
      WITH free AS (
        SELECT id FROM alert_groups WHERE id = ANY(${plain}::bigint[]) ORDER BY id
        FOR NO KEY UPDATE SKIP LOCKED)
      UPDATE alert_groups g SET last_alert_at = greatest(g.last_alert_at, ${now})
      FROM free WHERE g.id = free.id`.execute(db);
}

/** Attaches alerts to their groups, for every service of a batch in one statement. */
export async function attachAlerts(
  db: AlertDb,
  attach: { alertIds: number[]; groupId: number }[],
): Promise<void> {
  const pairs = attach.flatMap((a) => a.alertIds.map((id) => [id, a.groupId] as const));
  if (pairs.length === 0) return;
  await sql`
    UPDATE alerts a SET group_id = v.group_id, suppressed = false
    FROM unnest(${pairs.map((p) => p[0])}::bigint[], ${pairs.map((p) => p[1])}::bigint[]) AS v(id, group_id)
    WHERE a.id = v.id`.execute(db);
}

export async function setAlerts(
  db: AlertDb,
  ids: number[],
  set: { group_id?: number | null; suppressed?: boolean; flapping?: boolean },
): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable("alerts").set(set).where("id", "in", ids).execute();
}

export type GroupOutcome = {
  id: number;
  incident_id: number;
  incident_state: string;
  page_id: number | null;
  page_state: string | null;
  unresolved: boolean;
  firing: boolean;
};

/** For groups whose alerts changed: whether any alert is still unresolved, or still unacknowledged. */
export async function groupOutcomes(db: AlertDb, ids: number[]): Promise<GroupOutcome[]> {
  if (ids.length === 0) return [];
  const r = await sql<GroupOutcome>`
    SELECT g.id, g.incident_id, i.state AS incident_state, g.page_id, p.state AS page_state,
      EXISTS (SELECT 1 FROM alerts a WHERE a.group_id = g.id AND a.status <> 'resolved') AS unresolved,
      EXISTS (SELECT 1 FROM alerts a WHERE a.group_id = g.id AND a.status = 'firing') AS firing
    FROM alert_groups g
    JOIN incidents i ON i.id = g.incident_id
    LEFT JOIN pages p ON p.id = g.page_id
    WHERE g.id = ANY(${ids}::bigint[])
    ORDER BY g.id`.execute(db);
  return r.rows;
}

/** Firing alerts of an incident become acknowledged (acknowledging the incident). */
export async function acknowledgeIncidentAlerts(db: AlertDb, incidentId: number): Promise<number> {
  const r = await sql`
    UPDATE alerts a SET previous_status = a.status, status = 'acknowledged'
    FROM alert_groups g
    WHERE g.incident_id = ${incidentId} AND a.group_id = g.id AND a.status = 'firing'`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

// -- reading alerts ----------------------------------------------------------------------------

export type AlertRow = {
  id: number;
  service_id: number;
  service_name: string;
  dedup_key: string;
  source: string;
  status: AlertStatus;
  summary: string;
  severity: string;
  details: Record<string, unknown>;
  incident_id: number | null;
  occurrences: number;
  flapping: boolean;
  suppressed: boolean;
  first_seen_at: Date;
  last_seen_at: Date;
  resolved_at: Date | null;
};

/**
 * Alerts with their service's name and their incident (through their group). Both are scalar
 * subqueries, run only for the rows returned (after the `LIMIT`): with joins (a LEFT JOIN LATERAL
 * is pulled up into the same join), the list's custom plan hashed all 40k alert groups and the
 * services whenever it sorted the filtered alerts: one status, a quiet service, 7 ms a page where
 * this takes 0.3–0.7 (decision 0014). An alert's service always exists (`service_id` is NOT NULL,
 * and deleting a service deletes its alerts).
 */
const alertRows = (db: AlertDb) =>
  db
    .selectFrom("alerts as a")
    .select((eb) => [
      "a.id",
      "a.service_id",
      eb
        .selectFrom("services as s")
        .select("s.name")
        .whereRef("s.id", "=", "a.service_id")
        .as("service_name"),
      "a.dedup_key",
      "a.source",
      "a.status",
      "a.summary",
      "a.severity",
      "a.details",
      eb
        .selectFrom("alert_groups as g")
        .select("g.incident_id")
        .whereRef("g.id", "=", "a.group_id")
        .as("incident_id"),
      "a.occurrences",
      "a.flapping",
      "a.suppressed",
      "a.first_seen_at",
      "a.last_seen_at",
      "a.resolved_at",
    ]);

/**
 * Planned for its own filter every time (in its own transaction): the statement goes out named
 * (decision 0014), and a generic plan, made without the service, walked every alert back from the
 * newest for a quiet service's few (24–44 ms where a custom plan takes 0.3) and sorted all of a
 * noisy service's for one status (40–100 ms, 0.4 custom). An incident's alerts are those of its
 * groups (`alert_groups_incident`, then `alerts_group`).
 */
export async function listAlerts(
  db: AlertDb,
  f: { statuses?: AlertStatus[]; serviceId?: number; incidentId?: number; limit: number; before?: number },
): Promise<AlertRow[]> {
  return withCustomPlans(db, async (tx) => {
    let q = alertRows(tx);
    if (f.statuses?.length) q = q.where("a.status", "in", f.statuses);
    if (f.serviceId !== undefined) q = q.where("a.service_id", "=", f.serviceId);
    if (f.incidentId !== undefined) {
      const incidentId = f.incidentId;
      q = q.where("a.group_id", "in", (eb) =>
        eb.selectFrom("alert_groups").select("id").where("incident_id", "=", incidentId),
      );
    }
    if (f.before !== undefined) q = q.where("a.id", "<", f.before);
    return (await q.orderBy("a.id", "desc").limit(f.limit).execute()) as AlertRow[];
  });
}

export async function getAlert(db: AlertDb, id: number): Promise<AlertRow | undefined> {
  return (await alertRows(db).where("a.id", "=", id).executeTakeFirst()) as AlertRow | undefined;
}

/** The incidents a service's alerts were grouped into, newest first. */
export async function incidentsOfService(db: AlertDb, serviceId: number): Promise<number[]> {
  const rows = await db
    .selectFrom("alert_groups")
    .select("incident_id")
    .distinct()
    .where("service_id", "=", serviceId)
    .orderBy("incident_id", "desc")
    .execute();
  return rows.map((r) => r.incident_id);
}

/** SEV-5: other incidents opened by the same services' alerts since `since` (one cause). */
export async function sameCauseSince(db: AlertDb, incidentId: number, since: Date): Promise<number[]> {
  const rows = await db
    .selectFrom("alert_groups as g")
    .select("g.incident_id")
    .distinct()
    .where("g.incident_id", "<>", incidentId)
    .where("g.opened_at", ">=", since)
    .where("g.service_id", "in", (eb) =>
      eb
        .selectFrom("alert_groups as mine")
        .select("mine.service_id")
        .where("mine.incident_id", "=", incidentId),
    )
    .execute();
  return rows.map((r) => r.incident_id);
}

/** The services whose alerts are on an incident. */
export async function servicesOfIncident(db: AlertDb, incidentId: number): Promise<number[]> {
  const rows = await db
    .selectFrom("alert_groups")
    .select("service_id")
    .distinct()
    .where("incident_id", "=", incidentId)
    .execute();
  return rows.map((r) => r.service_id);
}

// -- changes ------------------------------------------------------------------------------------

export const insertChange = (
  db: AlertDb,
  c: {
    service_id: number;
    summary: string;
    source: string;
    kind: string;
    happened_at: Date;
    links: unknown[];
    details: Record<string, unknown>;
  },
  now: Date,
) =>
  db
    .insertInto("change_events")
    .values({ ...c, links: JSON.stringify(c.links), details: JSON.stringify(c.details), created_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();

export const listChanges = (db: AlertDb, serviceIds: number[], since: Date, until: Date, limit = 200) =>
  serviceIds.length === 0
    ? Promise.resolve([])
    : db
        .selectFrom("change_events as c")
        .innerJoin("services as s", "s.id", "c.service_id")
        .selectAll("c")
        .select("s.name as service_name")
        .where("c.service_id", "in", serviceIds)
        .where("c.happened_at", ">=", since)
        .where("c.happened_at", "<=", until)
        .orderBy("c.happened_at", "desc")
        .limit(limit)
        .execute();

// -- heartbeats ---------------------------------------------------------------------------------

export const insertHeartbeat = (
  db: AlertDb,
  h: { service_id: number; name: string; interval_minutes: number },
  now: Date,
) =>
  db
    .insertInto("heartbeats")
    .values({ ...h, last_ping_at: null, created_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();

export const listHeartbeats = (db: AlertDb, serviceId: number) =>
  db.selectFrom("heartbeats").selectAll().where("service_id", "=", serviceId).orderBy("name").execute();

export const getHeartbeat = (db: AlertDb, id: number) =>
  db.selectFrom("heartbeats").selectAll().where("id", "=", id).executeTakeFirst();

export const findHeartbeat = (db: AlertDb, serviceId: number, name: string) =>
  db
    .selectFrom("heartbeats")
    .selectAll()
    .where("service_id", "=", serviceId)
    .where("name", "=", name)
    .forUpdate()
    .executeTakeFirst();

export async function pingHeartbeat(db: AlertDb, id: number, now: Date): Promise<void> {
  await db.updateTable("heartbeats").set({ last_ping_at: now }).where("id", "=", id).execute();
}

export async function deleteHeartbeat(db: AlertDb, serviceId: number, id: number): Promise<boolean> {
  const r = await db
    .deleteFrom("heartbeats")
    .where("service_id", "=", serviceId)
    .where("id", "=", id)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}

// -- maintenance --------------------------------------------------------------------------------

export const insertMaintenance = (
  db: AlertDb,
  m: { service_id: number; start_at: Date; end_at: Date; reason: string; created_by: number },
  now: Date,
) =>
  db
    .insertInto("maintenance_windows")
    .values({ ...m, created_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();

export const listMaintenance = (db: AlertDb, serviceId: number, endedAfter: Date) =>
  db
    .selectFrom("maintenance_windows")
    .selectAll()
    .where("service_id", "=", serviceId)
    .where("end_at", ">", endedAfter)
    .orderBy("start_at")
    .execute();

export async function deleteMaintenance(db: AlertDb, serviceId: number, id: number): Promise<boolean> {
  const r = await db
    .deleteFrom("maintenance_windows")
    .where("service_id", "=", serviceId)
    .where("id", "=", id)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}

/**
 * The actor for what alerts do on their own (declaring triage incidents, paging), made on first
 * use. No person's username can start with '@', so no person can be it; it has no password or token.
 */
export async function automationUserId(db: AlertDb): Promise<number> {
  await db
    .insertInto("users")
    .values({ username: "@alerts", name: "Alerts (automation)", role: "responder" })
    .onConflict((oc) => oc.column("username").doNothing())
    .execute();
  return (
    await db.selectFrom("users").select("id").where("username", "=", "@alerts").executeTakeFirstOrThrow()
  ).id;
}

// -- source silence (source-silence.ts) --------------------------------------------------------

export const getKeyWithService = (db: AlertDb, id: number) =>
  db
    .selectFrom("integration_keys")
    .innerJoin("services", "services.id", "integration_keys.service_id")
    .selectAll("integration_keys")
    .select("services.name as service_name")
    .where("integration_keys.id", "=", id)
    .executeTakeFirst();

export async function setKeySilence(
  db: AlertDb,
  serviceId: number,
  id: number,
  minutes: number | null,
  at: Date,
) {
  return db
    .updateTable("integration_keys")
    .set({ silence_minutes: minutes, silence_since: minutes === null ? null : at })
    .where("id", "=", id)
    .where("service_id", "=", serviceId)
    .returning(["id", "silent_at"])
    .executeTakeFirst();
}

/** An event arrived on the key: its time, and the end of any silence (the alert it had raised). */
export async function keyHeardFrom(db: AlertDb, id: number, at: Date): Promise<{ wasSilent: boolean }> {
  const { rows } = await sql<{ was_silent: boolean }>`
    UPDATE integration_keys k SET last_event_at = ${at}, silent_at = NULL
    FROM (SELECT id, silent_at FROM integration_keys WHERE id = ${id} FOR UPDATE) old
    WHERE k.id = old.id
    RETURNING old.silent_at IS NOT NULL AS was_silent`.execute(db);
  return { wasSilent: rows[0]?.was_silent ?? false };
}

/** Marks the key silent; false when it already was (another check raised the alert). */
export async function markKeySilent(db: AlertDb, id: number, at: Date): Promise<boolean> {
  const r = await db
    .updateTable("integration_keys")
    .set({ silent_at: at })
    .where("id", "=", id)
    .where("silent_at", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
