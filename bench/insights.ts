/**
 * `npm run bench -- insights`: every insights query over 100,000 incidents with timelines spread
 * over two years, beside the same run's baseline, a bare `SELECT count(*) FROM incidents` over the
 * same rows. Target (issue 18): each query's p99 < 200 ms.
 *
 * Set-up, bulk-inserted with SQL (generate_series) on a migrated embedded PostgreSQL (durable, as
 * `npm start` runs it): 40 people, 2 escalation policies (New York and UTC hours), 12 services; N
 * incidents declared evenly over two years ending at T, of S1–S4 and four types, 2 % private with
 * two participants, 1 % merged into the one before; each with impact start (80 %), detection,
 * mitigation and resolution instants, 5 timeline events, a page (70 %) with its page-triggered,
 * page-escalated (one or two people) and page-acknowledged events, alerts from a service (50 %,
 * one to three each), a required review (S1/S2) and a corrective action (S1/S2). Then ANALYZE.
 *
 * Measured: each query, as the API runs it (the insights service over a pool of 10), for an admin
 * and for a responder (the DATA-3 participant check), over the whole two years (the worst window)
 * and over the default 90 days; sequentially, after warm-up runs.
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { sql } from "kysely";
import type pg from "pg";
import type { InsightsFilter, Viewer } from "../src/insights/model.ts";
import { createInsights } from "../src/insights/service.ts";
import { type Db, openDatabase } from "../src/platform/db.ts";
import { migrate } from "../src/platform/migrate.ts";
import {
  type CpuGroups,
  cpuMsSoFar,
  log,
  machine,
  ms,
  openBenchDatabase,
  positiveNumber,
  postmasterPid,
  type Stats,
  say,
  sourceVersion,
  summarize,
  table,
} from "./lib.ts";

export const description = "insights queries over 100,000 incidents (two years): p99 vs a bare count(*)";

const target = { p99Ms: 200 } as const;
const usage = `usage: npm run bench -- insights [options]
  --incidents N   incidents over two years (default 100000)
  --runs N        measured runs of each query (default 40)
  --only TEXT     only the queries whose name contains TEXT (e.g. noisy)
  --json          print the figures as JSON
`;

/** The end of the generated two years. */
const T = new Date("2026-12-01T00:00:00Z");
const DAY = 86_400_000;

export async function seed(db: Db, n: number): Promise<void> {
  // A bulk load, as an existing database's rows before migration 0027: the figures triggers are
  // off (a replica's role) and the migration's backfill writes the figures rows after, set-based.
  await db.transaction().execute(async (tx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(tx);
    await insert(tx, n);
    await sql`SELECT insights_backfill()`.execute(tx);
  });
  await sql`ANALYZE`.execute(db);
}

async function insert(db: Db, n: number): Promise<void> {
  const run = (q: ReturnType<typeof sql>) => q.execute(db);
  await run(sql`INSERT INTO users (username, name, role)
    SELECT 'person' || g, 'Person ' || g, CASE WHEN g = 1 THEN 'admin' ELSE 'responder' END
    FROM generate_series(1, 40) g`);
  await run(sql`INSERT INTO escalation_policies (name, levels, repeat, ack_timeout_minutes, business_hours, created_at, updated_at)
    VALUES ('NY', '[]', 0, 30, '{"timeZone":"America/New_York","days":[1,2,3,4,5],"start":"09:00","end":"17:00"}', now(), now()),
           ('UTC', '[]', 0, 30, '{"timeZone":"UTC","days":[1,2,3,4,5],"start":"09:00","end":"17:00"}', now(), now())`);
  await run(sql`INSERT INTO services (name, escalation_policy_id, grouping_window_minutes, flap_changes, flap_window_minutes, created_at, updated_at)
    SELECT 'service-' || g, (SELECT min(id) FROM escalation_policies) + g % 2, 60, 4, 30, now(), now()
    FROM generate_series(1, 12) g`);
  // Incident g is declared at T − 2 years + g·(2 years / n); instants derive from g deterministically.
  const span = 730 * DAY;
  await run(sql`INSERT INTO incidents (title, type, severity, max_severity, state, visibility, summary, owner_id,
      declared_by, blocks_deployments, labels, roles, declared_at, accepted_at, mitigated_at, resolved_at, closed_at,
      impact_started_at, impact_ended_at, detected_at, detection_source, updated_at)
    SELECT 'incident ' || g, (ARRAY['GitLab.com','Dedicated','SIRT','Gameday'])[1 + g % 4],
      'S' || (1 + (g * 7) % 4), 'S' || (1 + (g * 7) % 4),
      CASE WHEN g % 20 = 0 THEN 'monitoring' ELSE 'closed' END,
      CASE WHEN g % 50 = 0 THEN 'private' ELSE 'public' END, '', 1 + g % 40, 1 + g % 40, false, '{}', '{}',
      d, d, d + (20 + g % 90) * interval '1 minute',
      CASE WHEN g % 20 = 0 THEN NULL ELSE d + (60 + g % 600) * interval '1 minute' END,
      CASE WHEN g % 20 = 0 THEN NULL ELSE d + interval '3 days' END,
      CASE WHEN g % 5 = 0 THEN NULL ELSE d - (5 + g % 40) * interval '1 minute' END,
      CASE WHEN g % 5 = 0 THEN NULL ELSE d + (30 + g % 100) * interval '1 minute' END,
      CASE WHEN g % 3 = 0 THEN d - interval '2 minutes' END,
      CASE WHEN g % 3 = 0 THEN 'monitoring' END, d
    FROM generate_series(1, ${n}::int) g,
      LATERAL (SELECT ${new Date(T.getTime() - span)}::timestamptz + g * (${span / n} * interval '1 millisecond') AS d) x`);
  // 1 % are duplicates merged into the incident declared before them.
  await run(sql`UPDATE incidents SET merged_into = id - 1, state = 'merged' WHERE id % 100 = 0 AND id > 1`);
  await run(sql`INSERT INTO incident_participants (incident_id, user_id, added_at)
    SELECT id, u, declared_at FROM incidents, LATERAL (VALUES (owner_id), (1 + (owner_id + 7) % 40)) v(u)
    WHERE visibility = 'private' ON CONFLICT DO NOTHING`);
  await run(sql`INSERT INTO timeline_events (incident_id, kind, actor_id, at, body)
    SELECT i.id, k.kind, i.owner_id, i.declared_at + k.n * interval '10 minutes', k.kind
    FROM incidents i, (VALUES (0, 'declared'), (1, 'note'), (2, 'status-changed'), (3, 'note'), (4, 'status-changed')) k(n, kind)`);
  await run(sql`INSERT INTO pages (policy_id, incident_id, title, urgency, state, level, round, step, assigned_to,
      acknowledged_by, acknowledged_at, created_at, updated_at)
    SELECT (SELECT min(id) FROM escalation_policies) + i.id % 2, i.id, i.title, 'high', 'acknowledged', 0, 0, 1,
      ARRAY[1 + i.id % 40], 1 + i.id % 40, i.declared_at + (1 + i.id % 25) * interval '1 minute', i.declared_at, i.declared_at
    FROM incidents i WHERE i.id % 10 < 7`);
  await run(sql`INSERT INTO page_events (page_id, kind, actor_id, at, data)
    SELECT p.id, 'page-triggered', NULL::bigint, p.created_at, '{}'::jsonb FROM pages p
    UNION ALL
    SELECT p.id, 'page-escalated', NULL::bigint, p.created_at,
      jsonb_build_object('level', 0, 'round', 0, 'users',
        CASE WHEN p.id % 3 = 0 THEN jsonb_build_array(1 + p.id % 40, 1 + (p.id + 1) % 40) ELSE jsonb_build_array(1 + p.id % 40) END)
    FROM pages p
    UNION ALL
    SELECT p.id, 'page-acknowledged', p.acknowledged_by, p.acknowledged_at, '{}'::jsonb FROM pages p`);
  await run(sql`INSERT INTO alert_groups (service_id, incident_id, opened_at, last_alert_at)
    SELECT (SELECT min(id) FROM services) + i.id % 12, i.id, i.declared_at, i.declared_at
    FROM incidents i WHERE i.id % 2 = 0`);
  await run(sql`INSERT INTO alerts (service_id, dedup_key, source, status, summary, severity, details, group_id,
      occurrences, first_seen_at, last_seen_at)
    SELECT g.service_id, 'alert-' || g.id || '-' || k, 'events', 'resolved', 'alert ' || (g.id % 500), 'critical', '{}', g.id,
      1 + (g.id + k) % 5, g.opened_at, g.opened_at
    FROM alert_groups g, generate_series(1, 3) k WHERE k <= 1 + g.id % 3`);
  await run(sql`INSERT INTO incident_reviews (incident_id, required, reason, owner_id, due_at, completed_at, created_at, updated_at)
    SELECT id, true, 'severity', owner_id, declared_at + interval '7 days',
      CASE WHEN id % 4 = 0 THEN NULL ELSE declared_at + (3 + id % 7) * interval '1 day' END, declared_at, declared_at
    FROM incidents WHERE severity IN ('S1', 'S2') AND merged_into IS NULL`);
  await run(sql`INSERT INTO incident_tasks (incident_id, kind, title, assignee_id, state, created_by, created_at, updated_at,
      corrective, due_at, severity)
    SELECT id, 'follow-up', 'corrective ' || id, owner_id, CASE WHEN id % 3 = 0 THEN 'open' ELSE 'done' END, owner_id,
      declared_at, declared_at, true, declared_at + interval '30 days', severity
    FROM incidents WHERE severity IN ('S1', 'S2')`);
}

type Query = { name: string; run: () => Promise<unknown> };

/**
 * The write side: what the figures triggers (migrations 0027, 0031) add to the statements of
 * incident, paging and alert intake commands. Each statement runs under EXPLAIN ANALYZE in a transaction rolled back, which
 * reports the statement's time and each trigger's apart; the median and p90 of `runs`.
 */
async function writeCosts(pool: pg.Pool, runs: number) {
  const c = await pool.connect();
  try {
    // A paged incident from the middle of the two years.
    const mid = await c.query<{
      incident: string;
      page: string;
    }>(`SELECT p.incident_id AS incident, p.id AS page
      FROM pages p JOIN incidents i ON i.id = p.incident_id WHERE i.merged_into IS NULL
      ORDER BY p.id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM pages)`);
    const { incident, page } = mid.rows[0] ?? { incident: "0", page: "0" };
    // An alert group from the middle, and its service: intake's statements (src/alerts/store.ts).
    const grp = await c.query<{
      id: string;
      service: string;
    }>(`SELECT id, service_id AS service FROM alert_groups
      ORDER BY id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM alert_groups)`);
    const { id: group, service } = grp.rows[0] ?? { id: "0", service: "0" };
    const newAlerts = (
      n: number,
    ) => `INSERT INTO alerts AS a (service_id, dedup_key, source, status, summary, severity,
         details, occurrences, first_seen_at, last_seen_at)
       SELECT ${service}, 'bench-' || k, 'alertmanager', 'firing', 'bench', 'critical', '{}', 1, now(), now()
       FROM generate_series(1, ${n}) k
       ON CONFLICT (service_id, dedup_key) DO UPDATE SET occurrences = a.occurrences + excluded.occurrences`;
    const statements: [string, string][] = [
      [
        "declare: INSERT INTO incidents",
        `INSERT INTO incidents (title, type, severity, max_severity, state, visibility, summary, owner_id, declared_by,
           blocks_deployments, labels, roles, declared_at, updated_at)
         VALUES ('bench', 'GitLab.com', 'S3', 'S3', 'investigating', 'public', '', 1, 1, false, '{}', '{}', now(), now())`,
      ],
      [
        "status: UPDATE incidents (state, mitigated_at)",
        `UPDATE incidents SET state = 'monitoring', mitigated_at = now(), updated_at = now() WHERE id = ${incident}`,
      ],
      [
        "severity: UPDATE incidents (severity)",
        `UPDATE incidents SET severity = CASE WHEN severity = 'S1' THEN 'S2' ELSE 'S1' END, updated_at = now() WHERE id = ${incident}`,
      ],
      [
        "note: UPDATE incidents (updated_at only)",
        `UPDATE incidents SET updated_at = now() WHERE id = ${incident}`,
      ],
      [
        "page: INSERT INTO pages",
        `INSERT INTO pages (policy_id, incident_id, title, urgency, state, level, round, step, assigned_to, created_at, updated_at)
         SELECT policy_id, incident_id, title, urgency, 'triggered', 0, 0, 1, '{1}', now(), now() FROM pages WHERE id = ${page}`,
      ],
      [
        "escalation: INSERT INTO page_events (2 people)",
        `INSERT INTO page_events (page_id, kind, at, data) VALUES (${page}, 'page-escalated', now(), '{"users":[3,4]}')`,
      ],
      [
        "acknowledgement: INSERT INTO page_events",
        `INSERT INTO page_events (page_id, kind, at) VALUES (${page}, 'page-acknowledged', now())`,
      ],
      // Alert counts (migration 0031): one statement-level trigger a statement, whatever its rows.
      ["alert intake: upsert of 1 new alert", newAlerts(1)],
      ["alert intake: upsert of 10 new alerts (a batch)", newAlerts(10)],
      [
        "alert re-fire: upsert of 10 known alerts (occurrences)",
        `INSERT INTO alerts AS a (service_id, dedup_key, source, status, summary, severity, details, occurrences,
           first_seen_at, last_seen_at)
         SELECT service_id, dedup_key, source, 'firing', summary, severity, details, 1, now(), now()
         FROM alerts WHERE service_id = ${service} ORDER BY id LIMIT 10
         ON CONFLICT (service_id, dedup_key) DO UPDATE SET occurrences = a.occurrences + excluded.occurrences,
           last_seen_at = excluded.last_seen_at`,
      ],
      [
        "alert attach: UPDATE alerts SET group_id (10 alerts)",
        `UPDATE alerts SET group_id = ${group} WHERE id IN (SELECT id FROM alerts WHERE service_id = ${service} ORDER BY id DESC LIMIT 10)`,
      ],
      [
        "alert resolve: UPDATE alerts SET status (10 alerts, no count moves)",
        `UPDATE alerts SET status = 'resolved', resolved_at = now() WHERE id IN (SELECT id FROM alerts WHERE service_id = ${service} ORDER BY id LIMIT 10)`,
      ],
    ];
    const out: { name: string; statement: number; trigger: number; triggerP90: number }[] = [];
    for (const [name, q] of statements) {
      const total: number[] = [];
      const trig: number[] = [];
      for (let i = 0; i < runs + 5; i++) {
        await c.query("BEGIN");
        const r = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${q}`);
        await c.query("ROLLBACK");
        if (i < 5) continue; // warm-up: the triggers' plans are made on the first calls
        const plan = r.rows[0]["QUERY PLAN"][0] as {
          "Execution Time": number;
          Triggers?: { "Trigger Name": string; Time: number }[];
        };
        total.push(plan["Execution Time"]);
        trig.push(
          (plan.Triggers ?? [])
            .filter((t) => t["Trigger Name"].startsWith("insights"))
            .reduce((n, t) => n + t.Time, 0),
        );
      }
      const at = (a: number[], q: number) => [...a].sort((x, y) => x - y)[Math.floor(a.length * q)] ?? 0;
      out.push({ name, statement: at(total, 0.5), trigger: at(trig, 0.5), triggerP90: at(trig, 0.9) });
    }
    return out;
  } finally {
    c.release();
  }
}

/**
 * Times `runs` runs after 3 warm-up ones, and PostgreSQL's CPU milliseconds per run (the server's
 * process tree, from /proc): on a machine shared with other work the latencies grow with its load,
 * the CPU a query costs far less.
 */
async function measure(q: Query, runs: number, postgres: number | undefined): Promise<Measured> {
  for (let i = 0; i < 3; i++) await q.run();
  const groups: CpuGroups = postgres ? { postgres: { tree: postgres } } : {};
  const before = cpuMsSoFar(groups)?.postgres;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await q.run();
    samples.push(performance.now() - t0);
  }
  const after = cpuMsSoFar(groups)?.postgres;
  const cpuMs = before === undefined || after === undefined ? undefined : (after - before) / runs;
  return { ...summarize(samples), cpuMs };
}
type Measured = Stats & { cpuMs: number | undefined };

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      incidents: { type: "string" },
      runs: { type: "string" },
      only: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return;
  }
  const n = positiveNumber("incidents", values.incidents, 100_000);
  const runs = positiveNumber("runs", values.runs, 40);
  const bench = await openBenchDatabase();
  const database = openDatabase(bench.url, 10, undefined, { connectMs: 30_000, statementMs: 0 });
  try {
    await migrate(database.pool);
    say(`seeding ${n.toLocaleString("en-US")} incidents over two years…`);
    const t0 = performance.now();
    await seed(database.db, n);
    say(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const counts = await sql<{ incidents: string; events: string; pages: string; alerts: string }>`
      SELECT (SELECT count(*) FROM incidents) AS incidents, (SELECT count(*) FROM timeline_events) AS events,
        (SELECT count(*) FROM page_events) AS pages, (SELECT count(*) FROM alerts) AS alerts`.execute(
      database.db,
    );

    const insights = createInsights({ db: database.db, clock: { now: () => T }, log });
    const admin: Viewer = { id: 1, admin: true };
    const responder: Viewer = { id: 2, admin: false };
    const twoYears: InsightsFilter = { from: new Date(T.getTime() - 730 * DAY), to: T };
    const ninety: InsightsFilter = { from: new Date(T.getTime() - 90 * DAY), to: T };
    const queries = (label: string, v: Viewer, f: InsightsFilter): Query[] => [
      { name: `headline ${label}`, run: () => insights.headline(v, f) },
      { name: `response-times by all ${label}`, run: () => insights.responseTimes(v, f, "all") },
      { name: `response-times by service ${label}`, run: () => insights.responseTimes(v, f, "service") },
      { name: `response-times by month ${label}`, run: () => insights.responseTimes(v, f, "month") },
      { name: `incidents-per-week ${label}`, run: () => insights.incidentsPerWeek(v, f) },
      { name: `reviews ${label}`, run: () => insights.reviews(v, f) },
      { name: `corrective-actions ${label}`, run: () => insights.correctiveActions(v, f) },
      { name: `on-call-load ${label}`, run: () => insights.onCallLoad(v, f) },
      { name: `noisy-services ${label}`, run: () => insights.noisyServices(v, f) },
      { name: `noisy-alerts ${label}`, run: () => insights.noisyAlerts(v, f) },
    ];
    const baselineQuery: Query = {
      name: "baseline: SELECT count(*) FROM incidents",
      run: () => sql`SELECT count(*) FROM incidents`.execute(database.db),
    };
    const all = [
      ...queries("(admin, 2 years)", admin, twoYears),
      ...queries("(responder, 2 years)", responder, twoYears),
      ...queries("(admin, 90 days)", admin, ninety),
    ].filter((q) => !values.only || q.name.includes(values.only));
    const postgres = await postmasterPid(bench.url);
    const loadBefore = os.loadavg()[0]?.toFixed(2);
    const baseline = await measure(baselineQuery, runs, postgres);
    const results: { name: string; stats: Measured; ratio: number }[] = [];
    for (const q of all) {
      say(`measuring ${q.name}…`);
      const stats = await measure(q, runs, postgres);
      results.push({ name: q.name, stats, ratio: stats.p99 / baseline.p99 });
    }
    say("measuring the figures triggers' cost on writes…");
    const writes = await writeCosts(database.pool, runs);
    const figures = {
      incidents: n,
      writes,
      rows: counts.rows[0],
      runs,
      baseline,
      results,
      target,
      met: results.every((r) => r.stats.p99 < target.p99Ms),
      database: { kind: bench.kind, version: bench.version },
      machine: machine(),
      source: sourceVersion(),
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
      return;
    }
    const cpu = (m: Measured) => (m.cpuMs === undefined ? "?" : m.cpuMs.toFixed(1));
    const rows = [["query", "p50 ms", "p90 ms", "p99 ms", "max ms", "p99 / baseline", "pg CPU ms/run"]];
    rows.push([
      baselineQuery.name,
      ms(baseline.p50),
      ms(baseline.p90),
      ms(baseline.p99),
      ms(baseline.max),
      "1",
      cpu(baseline),
    ]);
    for (const r of results)
      rows.push([
        r.name,
        ms(r.stats.p50),
        ms(r.stats.p90),
        ms(r.stats.p99),
        ms(r.stats.max),
        r.ratio.toFixed(1),
        cpu(r.stats),
      ]);
    const c = counts.rows[0];
    process.stdout.write(
      [
        `insights over ${n.toLocaleString("en-US")} incidents (${c?.events} timeline events, ${c?.pages} page events, ${c?.alerts} alerts), ${runs} runs each`,
        `PostgreSQL ${bench.version} (${bench.kind}); ${figures.machine.cpus} CPUs ${figures.machine.cpuModel}; source ${figures.source}`,
        "",
        table(rows),
        "",
        `target p99 < ${target.p99Ms} ms: ${figures.met ? "met" : "MISSED"} (slowest ${ms(Math.max(...results.map((r) => r.stats.p99)))} ms)`,
        `load average during the run (1 min, from /proc/loadavg): ${loadBefore} → ${os.loadavg()[0]?.toFixed(2)} on ${os.availableParallelism()} CPUs`,
        "",
        "write side: the figures triggers within a command's statements (EXPLAIN ANALYZE, rolled back)",
        table([
          ["statement", "statement p50 ms", "insights triggers p50 ms", "triggers p90 ms"],
          ...writes.map((w) => [
            w.name,
            w.statement.toFixed(3),
            w.trigger.toFixed(3),
            w.triggerP90.toFixed(3),
          ]),
        ]),
        "",
      ].join("\n"),
    );
  } finally {
    await database.close();
    await bench.stop();
  }
}
