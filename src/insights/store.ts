/**
 * The insights' SQL: every figure is computed by PostgreSQL (counts, means, percentiles, histogram
 * buckets), never by loading incidents into the process. The queries read the figures rows that
 * triggers keep in the transaction of every change (migration 0027; docs/decisions/0010-*): one
 * narrow row per incident (`insights_incidents`: its measures in seconds, review, corrective
 * actions, services and the scope of the incident it counts as) and one per page and person it
 * reached (`insights_pages`), and alerts counted per service, group and UTC day
 * (`insights_alert_counts`, migration 0031). Each query starts from the same scope:
 *
 * - counted incidents: not declined, not merged into another (a duplicate counts as its primary:
 *   its pages, alerts and corrective actions are the primary's), declared within [from, to);
 * - what the viewer may count: admins every incident, anyone else public ones and private ones they
 *   take part in (DATA-3) — so a figure never reveals a private incident to a non-participant;
 * - severity, type and service filters on the (primary) incident.
 */
import { type RawBuilder, sql } from "kysely";
import { type Db, withCustomPlans } from "../platform/db.ts";
import {
  alertDays,
  bucketEdges,
  type CorrectiveRow,
  type Distribution,
  type Grouping,
  type Histograms,
  type InsightsFilter,
  type LoadRow,
  measures,
  type NoisyAlert,
  type NoisyService,
  type ResponseTimesRow,
  type ReviewRow,
  share,
  type Viewer,
  type WeekCount,
} from "./model.ts";

type Frag = RawBuilder<unknown>;

/**
 * Runs one query with room to sort and hash in memory: over two years its sorts (percentiles,
 * groups) and hash tables outgrow PostgreSQL's default 4 MB work_mem and spill to disk. Planned for
 * its own window every time: the statement goes out named (decision 0014), and a generic plan,
 * made without the window's dates, read every alert of two years for the noisiest alerts (p99 69 →
 * 269 ms); planning costs well under a millisecond of queries that take tens.
 */
async function read<T>(db: Db, query: RawBuilder<T>) {
  return withCustomPlans(db, (tx) => query.execute(tx), ["SET LOCAL work_mem = '32MB'"]);
}

/** Markers a drain takes in one transaction: a backlog is worked off in bounded steps. */
export const DRAIN_BATCH = 500;

/** At most this many batches a call: writers marking faster than a drain must not hold a reader. */
const MAX_DRAIN_BATCHES = 100;

/**
 * Recomputes the figures rows that commands marked stale (migration 0032), one drain at a time
 * across replicas, a batch per transaction until none is left; how many markers it took.
 */
export async function drain(db: Db): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < MAX_DRAIN_BATCHES; batch++) {
    const r = await sql<{ taken: number }>`SELECT insights_drain(${DRAIN_BATCH}::int) AS taken`.execute(db);
    const taken = r.rows[0]?.taken ?? 0;
    total += taken;
    if (taken < DRAIN_BATCH) break;
  }
  return total;
}

/**
 * The figures row `r` (of an incident, read as the primary it counts as: `root_id` and the root's
 * visibility, severity and type) passes the viewer and the filters (not the window); null when
 * nothing restricts. `root`: `r` is a counted incident's own row, whose `service_ids` are its own.
 */
function incidentScope(r: string, v: Viewer, f: InsightsFilter, root = false): Frag | null {
  const alias = sql.ref(r);
  const parts: Frag[] = [];
  if (!v.admin)
    // IN rather than a correlated EXISTS: the viewer's incidents are read once, as a hashed set.
    parts.push(sql`(NOT ${alias}.private OR ${alias}.root_id IN (
      SELECT ip.incident_id FROM incident_participants ip WHERE ip.user_id = ${v.id}))`);
  if (f.severities?.length) parts.push(sql`${alias}.severity = ANY(${f.severities}::text[])`);
  if (f.types?.length) parts.push(sql`${alias}.type = ANY(${f.types}::text[])`);
  if (f.services?.length && root) parts.push(sql`${alias}.service_ids && ${f.services}::bigint[]`);
  else if (f.services?.length)
    parts.push(sql`${alias}.root_id IN (
      SELECT sf.root_id FROM alert_groups sg JOIN insights_incidents sf ON sf.incident_id = sg.incident_id
      WHERE sg.service_id = ANY(${f.services}::bigint[]))`);
  return parts.length ? sql.join(parts, sql` AND `) : null;
}

/**
 * Pages and alerts: those of an incident (`incident`, whose figures row `r` is left-joined) count
 * when it passes the scope; those of none only when no incident filter is set (a viewer
 * restriction passes them).
 */
function attachedScope(r: string, incident: string, v: Viewer, f: InsightsFilter): Frag {
  if (anyIncidentFilter(f))
    return sql`${sql.ref(r)}.incident_id IS NOT NULL AND ${incidentScope(r, v, f) ?? sql`true`}`;
  // Nothing to check: no condition on `r`, so the planner can leave its join out.
  if (v.admin) return sql`true`;
  // Only the viewer's restriction: leave out the incidents hidden from them (a few private ones,
  // through a partial index) rather than join every page's or alert's incident row.
  const id = sql.ref(incident);
  return sql`(${id} IS NULL OR ${id} NOT IN (
    SELECT h.incident_id FROM insights_incidents h WHERE h.private AND h.root_id NOT IN (
      SELECT ip.incident_id FROM incident_participants ip WHERE ip.user_id = ${v.id})))`;
}

const anyIncidentFilter = (f: InsightsFilter) =>
  Boolean(f.severities?.length || f.types?.length || f.services?.length);

/**
 * The counted incidents of the window, one figures row each with its measures in seconds (null
 * when an instant is unknown; MTTA from its and its duplicates' pages' first page-acknowledged
 * event, which a re-escalation does not clear as it clears pages.acknowledged_at).
 */
function base(v: Viewer, f: InsightsFilter): Frag {
  const scope = incidentScope("i", v, f, true);
  return sql`SELECT i.incident_id AS id, i.severity, i.type, i.declared_at, i.service_ids,
      i.mttd, i.mtta, i.mttm, i.mttr, i.review_required, i.review_due_at, i.review_completed_at,
      i.corrective_count, i.corrective_open_due, i.corrective_done
    FROM insights_incidents i
    WHERE i.counted AND i.declared_at >= ${f.from} AND i.declared_at < ${f.to}${scope ? sql` AND ${scope}` : sql``}`;
}

/** count, mean and [p50, p90] (one sort) of every measure, as columns `<measure>_<stat>`; nulls skipped. */
const distributions = sql.raw(
  measures
    .map(
      (m) => `count(m.${m}) AS ${m}_n, avg(m.${m})::float8 AS ${m}_mean,
      percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY m.${m}) AS ${m}_pct`,
    )
    .join(",\n      "),
);

/**
 * What the figures rows `m` are grouped by: `key`, cheap to sort (a timestamp, an id), and the
 * group's name from it (`label`, over `x.k`; `join` for what it reads).
 */
function groupKey(by: Grouping): { join: Frag; key: Frag; label: Frag; labelJoin: Frag } {
  const none = sql``;
  const plain = (key: Frag) => ({ join: none, key, label: sql`x.k`, labelJoin: none });
  switch (by) {
    case "all":
      return plain(sql`'all'`);
    case "severity":
      return plain(sql`m.severity`);
    case "type":
      return plain(sql`m.type`);
    case "week":
      return {
        join: none,
        key: sql`date_trunc('week', m.declared_at AT TIME ZONE 'UTC')`,
        label: sql`to_char(x.k, 'YYYY-MM-DD')`,
        labelJoin: none,
      };
    case "month":
      return {
        join: none,
        key: sql`date_trunc('month', m.declared_at AT TIME ZONE 'UTC')`,
        label: sql`to_char(x.k, 'YYYY-MM')`,
        labelJoin: none,
      };
    case "service":
      // An incident opened or joined by several services' alerts counts under each of them
      // (service names are unique); one without any under "(no service)".
      return {
        join: sql`LEFT JOIN LATERAL unnest(m.service_ids) sv(id) ON true`,
        key: sql`sv.id`,
        label: sql`coalesce(s.name, '(no service)')`,
        labelJoin: sql`LEFT JOIN services s ON s.id = x.k`,
      };
  }
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export async function responseTimes(
  db: Db,
  v: Viewer,
  f: InsightsFilter,
  by: Grouping,
): Promise<ResponseTimesRow[]> {
  return (await measured(db, v, f, by)).rows;
}

/** A row of `distributions` columns as the response times of its group (`grp`). */
function timesOf(x: Record<string, unknown>): ResponseTimesRow {
  const row = { group: String(x.grp) } as ResponseTimesRow;
  for (const m of measures) {
    const pct = x[`${m}_pct`] as (number | null)[] | null;
    row[m] = {
      count: Number(x[`${m}_n`]),
      mean: num(x[`${m}_mean`]),
      p50: num(pct?.[0]),
      p90: num(pct?.[1]),
    };
  }
  return row;
}

async function measured(db: Db, v: Viewer, f: InsightsFilter, by: Grouping) {
  const g = groupKey(by);
  const r = await read(
    db,
    sql<Record<string, unknown>>`
    WITH m AS (${base(v, f)})
    SELECT ${g.label} AS grp, x.* FROM (
      SELECT ${g.key} AS k, ${distributions}
      FROM m ${g.join}
      GROUP BY 1) x ${g.labelJoin}
    ORDER BY 1`,
  );
  const rows = r.rows.map(timesOf);
  // No incident at all: the one overall row still exists, with nothing measured.
  if (by === "all" && rows.length === 0) {
    const empty = (): Distribution => ({ count: 0, mean: null, p50: null, p90: null });
    rows.push({ group: "all", mttd: empty(), mtta: empty(), mttm: empty(), mttr: empty() });
  }
  return { rows };
}

/** How many incidents fall in each bucket of `bucketEdges`, per measure. */
export async function histograms(db: Db, v: Viewer, f: InsightsFilter): Promise<Histograms> {
  // Bucket i holds edge[i-1] < seconds <= edge[i]: a value on an edge belongs below (labels say "≤").
  const bounds = [Number.NEGATIVE_INFINITY, ...bucketEdges, Number.POSITIVE_INFINITY];
  const counts = sql.raw(
    measures
      .flatMap((m) =>
        bounds.slice(1).map((hi, i) => {
          const lo = bounds[i] as number;
          const cond = [
            lo === Number.NEGATIVE_INFINITY ? null : `m.${m} > ${lo}`,
            hi === Number.POSITIVE_INFINITY ? `m.${m} IS NOT NULL` : `m.${m} <= ${hi}`,
          ]
            .filter(Boolean)
            .join(" AND ");
          return `count(*) FILTER (WHERE ${cond}) AS ${m}_${i}`;
        }),
      )
      .join(", "),
  );
  const r = await read(
    db,
    sql<Record<string, string>>`
    WITH m AS (${base(v, f)})
    SELECT ${counts} FROM m`,
  );
  const row = r.rows[0] ?? {};
  return Object.fromEntries(
    measures.map((m) => [m, bounds.slice(1).map((_, i) => Number(row[`${m}_${i}`] ?? 0))]),
  ) as Histograms;
}

/** Incidents declared per ISO week (Monday, UTC), weeks without any included. */
export async function incidentsPerWeek(db: Db, v: Viewer, f: InsightsFilter): Promise<WeekCount[]> {
  const r = await read(
    db,
    sql<{ week: string; n: string }>`
    WITH base AS (${base(v, f)}),
    weeks AS (
      SELECT generate_series(date_trunc('week', ${f.from}::timestamptz AT TIME ZONE 'UTC'),
        (${f.to}::timestamptz AT TIME ZONE 'UTC') - interval '1 microsecond', interval '1 week') AS w)
    SELECT to_char(weeks.w, 'YYYY-MM-DD') AS week, count(b.id) AS n
    FROM weeks LEFT JOIN base b ON date_trunc('week', b.declared_at AT TIME ZONE 'UTC') = weeks.w
    GROUP BY weeks.w ORDER BY weeks.w`,
  );
  return r.rows.map((x) => ({ week: x.week, incidents: Number(x.n) }));
}

/**
 * Review counts of the figures rows `m` (their own reviews, REV-1), as columns: required; due
 * (completed, or past due by `now`); completed; on time (completed by its due date, or with none);
 * overdue (not completed, past due).
 */
const reviewCounts = (now: Date) => sql`
      count(*) FILTER (WHERE m.review_required) AS rv_required,
      count(*) FILTER (WHERE m.review_required AND (m.review_completed_at IS NOT NULL OR m.review_due_at <= ${now})) AS rv_due,
      count(*) FILTER (WHERE m.review_required AND m.review_completed_at IS NOT NULL) AS rv_completed,
      count(*) FILTER (WHERE m.review_required AND m.review_completed_at IS NOT NULL
        AND (m.review_due_at IS NULL OR m.review_completed_at <= m.review_due_at)) AS rv_on_time,
      count(*) FILTER (WHERE m.review_required AND m.review_completed_at IS NULL AND m.review_due_at <= ${now}) AS rv_overdue`;

/** Corrective action counts (FU-2) of the figures rows `m` (their duplicates' included), as columns. */
const correctiveCounts = (now: Date) => sql`
      coalesce(sum(cardinality(m.corrective_open_due)), 0) AS ca_open,
      -- Unnested only where something is open: most incidents have nothing to count.
      coalesce(sum(CASE WHEN cardinality(m.corrective_open_due) > 0 THEN
        (SELECT count(*)::int FROM unnest(m.corrective_open_due) due WHERE due < ${now}) ELSE 0 END), 0) AS ca_overdue,
      coalesce(sum(m.corrective_done), 0) AS ca_done`;

type ReviewColumns = {
  rv_required: string;
  rv_due: string;
  rv_completed: string;
  rv_on_time: string;
  rv_overdue: string;
};
type CorrectiveColumns = { ca_open: string; ca_overdue: string; ca_done: string };

/** Required reviews of the window's incidents by severity: done on time against those due by `now`. */
export async function reviews(db: Db, v: Viewer, f: InsightsFilter, now: Date): Promise<ReviewRow[]> {
  const r = await read(
    db,
    sql<{ severity: string } & ReviewColumns>`
    WITH m AS (${base(v, f)})
    SELECT m.severity, ${reviewCounts(now)}
    FROM m WHERE m.review_required
    GROUP BY 1 ORDER BY 1`,
  );
  return r.rows.map((x) => ({
    severity: x.severity,
    required: Number(x.rv_required),
    due: Number(x.rv_due),
    completed: Number(x.rv_completed),
    onTime: Number(x.rv_on_time),
    overdue: Number(x.rv_overdue),
    onTimeShare: share(Number(x.rv_on_time), Number(x.rv_due)),
  }));
}

/** Corrective actions (FU-2) of the window's incidents (their duplicates' included), by incident severity. */
export async function correctiveActions(
  db: Db,
  v: Viewer,
  f: InsightsFilter,
  now: Date,
): Promise<CorrectiveRow[]> {
  const r = await read(
    db,
    sql<{ severity: string } & CorrectiveColumns>`
    WITH m AS (${base(v, f)})
    SELECT m.severity, ${correctiveCounts(now)}
    FROM m WHERE m.corrective_count > 0
    GROUP BY 1 ORDER BY 1`,
  );
  return r.rows.map((x) => ({
    severity: x.severity,
    open: Number(x.ca_open),
    overdue: Number(x.ca_overdue),
    done: Number(x.ca_done),
  }));
}

/**
 * The headline's incident figures in one read of the window's figures rows: how many, the response
 * times, reviews and corrective actions.
 */
export async function incidentTotals(
  db: Db,
  v: Viewer,
  f: InsightsFilter,
  now: Date,
): Promise<{
  incidents: number;
  times: ResponseTimesRow;
  reviews: Omit<ReviewRow, "severity" | "completed">;
  correctiveActions: Omit<CorrectiveRow, "severity">;
}> {
  const r = await read(
    db,
    sql<Record<string, unknown> & ReviewColumns & CorrectiveColumns>`
    WITH m AS (${base(v, f)})
    SELECT 'all' AS grp, count(*) AS incidents, ${distributions}, ${reviewCounts(now)}, ${correctiveCounts(now)}
    FROM m`,
  );
  const x = r.rows[0];
  if (!x) throw new Error("an aggregate without GROUP BY answers one row");
  return {
    incidents: Number(x.incidents),
    times: timesOf(x),
    reviews: {
      required: Number(x.rv_required),
      due: Number(x.rv_due),
      onTime: Number(x.rv_on_time),
      overdue: Number(x.rv_overdue),
      onTimeShare: share(Number(x.rv_on_time), Number(x.rv_due)),
    },
    correctiveActions: { open: Number(x.ca_open), overdue: Number(x.ca_overdue), done: Number(x.ca_done) },
  };
}

/**
 * Pages each person received within [from, to): a person receives a page when a level of its
 * escalation names them, counted once per page, when it first named them (the insights_pages row).
 * Night (22:00–07:00) and weekend were read in the escalation policy's business-hours time zone
 * when the row was written (and again when the policy's time zone changes); hours interrupted are
 * the distinct clock hours in which the person received at least one page.
 */
export async function onCallLoad(db: Db, v: Viewer, f: InsightsFilter): Promise<LoadRow[]> {
  const r = await read(
    db,
    sql<{
      user_id: string;
      username: string;
      name: string;
      pages: string;
      night: string;
      weekend: string;
      hours: string;
    }>`
    WITH scoped AS MATERIALIZED (
      SELECT x.user_id, x.at, x.night, x.weekend FROM insights_pages x
      LEFT JOIN insights_incidents r ON r.incident_id = x.incident_id
      WHERE x.at >= ${f.from} AND x.at < ${f.to} AND ${attachedScope("r", "x.incident_id", v, f)}),
    per AS (
      SELECT s.user_id, count(*) AS pages, count(*) FILTER (WHERE s.night) AS night,
        count(*) FILTER (WHERE s.weekend) AS weekend
      FROM scoped s GROUP BY 1),
    hours AS (
      SELECT h.user_id, count(*) AS n FROM (SELECT DISTINCT user_id, date_trunc('hour', at) FROM scoped) h
      GROUP BY 1)
    SELECT per.user_id, us.username, us.name, per.pages, per.night, per.weekend, hours.n AS hours
    FROM per JOIN users us ON us.id = per.user_id JOIN hours ON hours.user_id = per.user_id
    ORDER BY per.pages DESC, us.username`,
  );
  return r.rows.map((x) => ({
    userId: Number(x.user_id),
    username: x.username,
    name: x.name,
    pages: Number(x.pages),
    nightPages: Number(x.night),
    weekendPages: Number(x.weekend),
    hoursInterrupted: Number(x.hours),
  }));
}

/** The headline's pages: on-call load's pages, night pages and weekend pages summed over people. */
export async function pageTotals(
  db: Db,
  v: Viewer,
  f: InsightsFilter,
): Promise<{ pages: number; nightPages: number; weekendPages: number }> {
  const r = await read(
    db,
    sql<{ pages: string; night: string; weekend: string }>`
    SELECT count(*) AS pages, count(*) FILTER (WHERE x.night) AS night, count(*) FILTER (WHERE x.weekend) AS weekend
    FROM insights_pages x
    LEFT JOIN insights_incidents r ON r.incident_id = x.incident_id
    WHERE x.at >= ${f.from} AND x.at < ${f.to} AND ${attachedScope("r", "x.incident_id", v, f)}
      AND x.user_id IN (SELECT id FROM users)`,
  );
  const x = r.rows[0];
  return {
    pages: Number(x?.pages ?? 0),
    nightPages: Number(x?.night ?? 0),
    weekendPages: Number(x?.weekend ?? 0),
  };
}

/** Alerts first seen within [from, to) that the viewer may count, with their (primary) incident. */
function alertScope(v: Viewer, f: InsightsFilter): Frag {
  return sql`${alertWindow(f)} AND ${alertIncidentScope(v, f)}`;
}

/** Alerts `a` first seen within [from, to), of the services filtered on. */
function alertWindow(f: InsightsFilter): Frag {
  const parts: Frag[] = [sql`a.first_seen_at >= ${f.from} AND a.first_seen_at < ${f.to}`];
  if (f.services?.length) parts.push(sql`a.service_id = ANY(${f.services}::bigint[])`);
  return sql.join(parts, sql` AND `);
}

/** The incident (figures row `r`) of an alert's group passes the viewer and the other filters. */
function alertIncidentScope(v: Viewer, f: InsightsFilter, incident = "g.incident_id"): Frag {
  const { services: _, ...incidentFilters } = f;
  return attachedScope("r", incident, v, incidentFilters);
}

/**
 * The window's alerts per service and (primary) incident, as rows `per`: whole UTC days from the
 * counts kept per service, group and day (migration 0031: a few rows per group, their incident's
 * primary and whether it counts copied in), the partial days at the window's edges from the alerts
 * themselves. Counts are kept as sums of deltas over rows per writer: a pair whose alerts all moved
 * elsewhere sums to none and is left out. Counts are summed as float8 (exact below 2^53) and cast
 * back to bigint: a sum of bigints keeps a numeric state per group, which made the per-incident
 * aggregate of two years about twice as slow.
 */
const alertsByGroup = (v: Viewer, f: InsightsFilter, byService: boolean) => {
  const service = byService ? sql`x.service_id, ` : sql``;
  const onServices = (alias: string) =>
    f.services?.length ? sql` AND ${sql.ref(`${alias}.service_id`)} = ANY(${f.services}::bigint[])` : sql``;
  const { days, edges } = alertDays(f.from, f.to);
  const parts: Frag[] = [];
  if (days)
    parts.push(sql`SELECT c.service_id, c.incident_id, c.root_id, c.live, c.alerts, c.occurrences
      FROM insights_alert_counts c WHERE c.day >= ${days.from} AND c.day < ${days.to}${onServices("c")}`);
  for (const e of edges)
    parts.push(sql`SELECT a.service_id, g.incident_id, e.root_id, coalesce(e.live, false), 1::bigint, a.occurrences
      FROM alerts a LEFT JOIN alert_groups g ON g.id = a.group_id
      LEFT JOIN insights_incidents e ON e.incident_id = g.incident_id
      WHERE a.first_seen_at >= ${e.from} AND a.first_seen_at < ${e.to}${onServices("a")}`);
  return sql`
    counted (service_id, incident_id, root_id, live, alerts, occurrences) AS (
      ${sql.join(parts, sql` UNION ALL `)}),
    per AS (
      SELECT ${service}x.root_id AS incident, x.live AS counted,
        sum(x.alerts::float8)::bigint AS alerts, sum(x.occurrences::float8)::bigint AS occurrences
      FROM counted x LEFT JOIN insights_incidents r ON r.incident_id = x.incident_id
      WHERE ${alertIncidentScope(v, f, "x.incident_id")}
      GROUP BY ${sql.raw(byService ? "1, 2, 3" : "1, 2")}
      HAVING sum(x.alerts::float8) > 0)`;
};

/** An alert's group and the figures row of the group's incident (`r.root_id`: the one it counts as). */
const alertJoins = sql`LEFT JOIN alert_groups g ON g.id = a.group_id
    LEFT JOIN insights_incidents r ON r.incident_id = g.incident_id`;

/** Services by alerts received, with the incidents those alerts opened or joined (counted once each). */
export async function noisyServices(
  db: Db,
  v: Viewer,
  f: InsightsFilter,
  limit: number,
): Promise<NoisyService[]> {
  // Hash aggregates (per group, per service and incident, then per service) instead of
  // count(DISTINCT), which sorts every alert.
  const r = await read(
    db,
    sql<{ id: string; name: string; alerts: string; occurrences: string; incidents: string }>`
    WITH ${alertsByGroup(v, f, true)}
    SELECT s.id, s.name, sum(per.alerts::float8)::bigint AS alerts,
      sum(per.occurrences::float8)::bigint AS occurrences, count(*) FILTER (WHERE per.counted) AS incidents
    FROM per JOIN services s ON s.id = per.service_id
    GROUP BY 1, 2 ORDER BY 3 DESC, s.name LIMIT ${limit}`,
  );
  return r.rows.map((x) => ({
    serviceId: Number(x.id),
    service: x.name,
    alerts: Number(x.alerts),
    occurrences: Number(x.occurrences),
    incidents: Number(x.incidents),
    alertsPerIncident: share(Number(x.alerts), Number(x.incidents)),
  }));
}

/** Alerts (one per service and dedup key) by how often they fired. */
export async function noisyAlerts(
  db: Db,
  v: Viewer,
  f: InsightsFilter,
  limit: number,
): Promise<NoisyAlert[]> {
  const r = await read(
    db,
    sql<{
      id: string;
      name: string;
      dedup_key: string;
      summary: string;
      occurrences: string;
      incidents: string;
    }>`
    SELECT s.id, s.name, a.dedup_key, a.summary, a.occurrences,
      (CASE WHEN r.live THEN 1 ELSE 0 END) AS incidents
    FROM alerts a JOIN services s ON s.id = a.service_id ${alertJoins}
    WHERE ${alertScope(v, f)}
    ORDER BY a.occurrences DESC, a.id LIMIT ${limit}`,
  );
  return r.rows.map((x) => ({
    serviceId: Number(x.id),
    service: x.name,
    dedupKey: x.dedup_key,
    summary: x.summary,
    occurrences: Number(x.occurrences),
    incidents: Number(x.incidents),
  }));
}

/** Totals of the alerts in scope: alerts and the distinct counted incidents they opened or joined. */
export async function alertTotals(
  db: Db,
  v: Viewer,
  f: InsightsFilter,
): Promise<{ alerts: number; incidents: number }> {
  const r = await read(
    db,
    sql<{ alerts: string; incidents: string }>`
    WITH ${alertsByGroup(v, f, false)}
    SELECT coalesce(sum(alerts::float8), 0)::bigint AS alerts, count(*) FILTER (WHERE counted) AS incidents FROM per`,
  );
  return { alerts: Number(r.rows[0]?.alerts ?? 0), incidents: Number(r.rows[0]?.incidents ?? 0) };
}
