/**
 * `npm run bench -- import` (issue 19): an organisation of 500 people, 100 schedules, 100 escalation
 * policies and 300 services imported from PagerDuty's JSON in a directory, then `config plan` on
 * the result. Targets: the import < 30 s, the plan < 2 s.
 *
 * The directory holds what PagerDuty's REST API v2 returns, in pages of 25 as it pages them: 500
 * users, 20 teams of 25 members, 100 schedules in four time zones (a weekly 24/7 layer of five
 * people under a weekday business-hours layer of three, one override each), 100 policies of three
 * rules (schedule, person, schedule; two loops), 300 services with two integrations each (600 keys
 * issued) and 10 open maintenance windows. Each schedule's `final_schedule` is rendered by
 * Firebreak's on-call core over the check's 4 weeks (the importer's tests render theirs
 * independently; here only the time matters).
 *
 * Measured against a child `firebreak serve` on a durable embedded PostgreSQL, through the same
 * code the CLI runs (`runImport`): the first import (read, translate, apply in one transaction,
 * on-call check of 672 hours × 100 schedules against the server), a second import (nothing to
 * change), and `POST /api/v1/config/plan` with the exported document, as `firebreak config plan`
 * sends it. Baselines, same run: the import's rows written with one multi-row INSERT per table
 * into scratch tables of the same shape, and the plan's reads as bare `SELECT`s of the tables it
 * compares.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { DateTime } from "luxon";
import pg from "pg";
import { connect } from "../src/cli/client.ts";
import { onCallFailed, runImport } from "../src/importers/run.ts";
import { directorySource } from "../src/importers/source.ts";
import { importers } from "../src/importers/vendors.ts";
import { finalSchedule, type Rotation } from "../src/oncall/model.ts";
import { migrate } from "../src/platform/migrate.ts";
import {
  Cleanup,
  machine,
  ms,
  openBenchDatabase,
  positiveNumber,
  type Stats,
  say,
  sourceVersion,
  startFirebreakServer,
  summarize,
  table,
} from "./lib.ts";

export const description =
  "PagerDuty import of 500 people / 100 schedules / 300 services, and config plan on it";

const targets = { importMs: 30_000, planMs: 2_000 } as const;
const usage = `usage: npm run bench -- import [options]
  --people N      people (default 500)
  --schedules N   schedules (default 100)
  --policies N    escalation policies (default 100)
  --services N    services, two integrations each (default 300)
  --runs N        measured plan runs (default 10)
  --json          print the figures as JSON
`;

const PAGE = 25;
const API = "https://api.pagerduty.com";
const zones = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "UTC"];

type Size = { people: number; teams: number; schedules: number; policies: number; services: number };

const ref = (kind: string, id: string, summary: string) => ({
  id,
  type: `${kind}_reference`,
  summary,
  self: `${API}/${kind}s/${id}`,
  html_url: `https://bench.pagerduty.com/${kind}s/${id}`,
});

/** Writes the account as PagerDuty's API returns it; answers how many rows an import makes. */
function writeAccount(dir: string, size: Size, now: Date): void {
  const write = (name: string, body: unknown) => {
    const file = join(dir, `${name}.json`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(body));
  };
  /** A list in pages of 25 as the API pages it: one file per `limit`/`offset` query. */
  const paged = (path: string, key: string, items: unknown[], query = "") => {
    for (let offset = 0; offset === 0 || offset < items.length; offset += PAGE) {
      write(`${path}?${query}limit=${PAGE}&offset=${offset}`, {
        [key]: items.slice(offset, offset + PAGE),
        limit: PAGE,
        offset,
        more: offset + PAGE < items.length,
        total: null,
      });
    }
  };
  const userId = (i: number) => `PU${i}`;
  const userName = (i: number) => `Person ${i}`;
  const uref = (i: number) => ref("user", userId(i), userName(i));
  paged(
    "users",
    "users",
    Array.from({ length: size.people }, (_, i) => ({
      id: userId(i),
      type: "user",
      name: userName(i),
      email: `person${i}@bench.example`,
      time_zone: zones[i % zones.length],
      role: i < 5 ? "admin" : i % 20 === 0 ? "observer" : "user",
    })),
  );
  const teamId = (t: number) => `PT${t}`;
  paged(
    "teams",
    "teams",
    Array.from({ length: size.teams }, (_, t) => ({ id: teamId(t), type: "team", name: `Team ${t}` })),
  );
  const perTeam = Math.floor(size.people / size.teams);
  for (let t = 0; t < size.teams; t++)
    paged(
      `teams/${teamId(t)}/members`,
      "members",
      Array.from({ length: perTeam }, (_, k) => ({
        user: uref(t * perTeam + k),
        role: k === 0 ? "manager" : "responder",
      })),
    );

  const from = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
  const until = new Date(from.getTime() + 28 * 86_400_000);
  const scheduleList: unknown[] = [];
  for (let s = 0; s < size.schedules; s++) {
    const zone = zones[s % zones.length] ?? "UTC";
    const member = (k: number) => (s * 8 + k) % size.people;
    // The on-call core's ids start at 1: person i is i + 1 there.
    const weekly = [0, 1, 2, 3, 4].map((k) => member(k) + 1);
    const office = [5, 6, 7].map((k) => member(k) + 1);
    const virtualStart = DateTime.fromISO("2026-01-05T09:00", { zone });
    const rotations: Rotation[] = [
      {
        name: "Weekly",
        timeZone: zone,
        participants: weekly,
        shiftLength: { unit: "weeks", count: 1 },
        start: "2026-01-05T09:00",
      },
      {
        name: "Business hours",
        timeZone: zone,
        participants: office,
        shiftLength: { unit: "days", count: 1 },
        start: "2026-01-05T09:00",
        restrictions: [{ days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" }],
      },
    ];
    const overrideStart = new Date(from.getTime() + (2 + (s % 20)) * 86_400_000);
    const override = {
      id: `PO${s}`,
      start: overrideStart.toISOString(),
      end: new Date(overrideStart.getTime() + 6 * 3_600_000).toISOString(),
      user: uref(member(1)),
    };
    const entries = finalSchedule(
      {
        name: `Schedule ${s}`,
        timeZone: zone,
        layers: rotations,
        overrides: [{ userId: member(1) + 1, start: new Date(override.start), end: new Date(override.end) }],
      },
      from,
      until,
    ).map((e) => ({ start: e.start.toISOString(), end: e.end.toISOString(), user: uref(e.userId - 1) }));
    const layer = (r: Rotation, id: string, restrictions: unknown[]) => ({
      id,
      name: r.name,
      start: virtualStart.toISO(),
      end: null,
      rotation_virtual_start: virtualStart.toISO(),
      rotation_turn_length_seconds: r.shiftLength.unit === "weeks" ? 604_800 : 86_400,
      users: r.participants.map((u) => ({ user: uref(u - 1) })),
      restrictions,
    });
    const schedule = {
      id: `PS${s}`,
      type: "schedule",
      name: `Schedule ${s}`,
      time_zone: zone,
      description: null,
      teams: [ref("team", teamId(s % size.teams), `Team ${s % size.teams}`)],
      // As the API returns them: the top layer first.
      schedule_layers: [
        layer(
          rotations[1] as Rotation,
          `PL${s}b`,
          [1, 2, 3, 4, 5].map((day) => ({
            type: "weekly_restriction",
            start_time_of_day: "09:00:00",
            duration_seconds: 8 * 3600,
            start_day_of_week: day,
          })),
        ),
        layer(rotations[0] as Rotation, `PL${s}a`, []),
      ],
      final_schedule: { name: "Final Schedule", rendered_schedule_entries: entries },
    };
    scheduleList.push({ id: schedule.id, type: "schedule", name: schedule.name });
    write(`schedules/${schedule.id}`, { schedule });
    write(`schedules/${schedule.id}/overrides`, { overrides: [override] });
  }
  paged("schedules", "schedules", scheduleList);

  paged(
    "escalation_policies",
    "escalation_policies",
    Array.from({ length: size.policies }, (_, p) => {
      const sched = (k: number) =>
        ref("schedule", `PS${(p + k) % size.schedules}`, `Schedule ${(p + k) % size.schedules}`);
      return {
        id: `PE${p}`,
        type: "escalation_policy",
        name: `Policy ${p}`,
        description: `Escalation for team ${p % size.teams}`,
        num_loops: 2,
        teams: [ref("team", teamId(p % size.teams), `Team ${p % size.teams}`)],
        escalation_rules: [
          { id: `PR${p}a`, escalation_delay_in_minutes: 15, targets: [sched(0)] },
          { id: `PR${p}b`, escalation_delay_in_minutes: 20, targets: [uref((p * 5) % size.people)] },
          { id: `PR${p}c`, escalation_delay_in_minutes: 30, targets: [sched(1)] },
        ],
      };
    }),
  );
  paged(
    "services",
    "services",
    Array.from({ length: size.services }, (_, v) => ({
      id: `PSV${v}`,
      type: "service",
      name: `Service ${v}`,
      description: `Service ${v} of the bench organisation`,
      status: "active",
      escalation_policy: ref("escalation_policy", `PE${v % size.policies}`, `Policy ${v % size.policies}`),
      teams: [ref("team", teamId(v % size.teams), `Team ${v % size.teams}`)],
      integrations: [
        {
          id: `PI${v}a`,
          type: "events_api_v2_inbound_integration",
          name: "Prometheus",
          summary: "Prometheus",
        },
        { id: `PI${v}b`, type: "generic_events_api_inbound_integration", name: "Legacy", summary: "Legacy" },
      ],
    })),
    "include[]=integrations&",
  );
  paged(
    "maintenance_windows",
    "maintenance_windows",
    Array.from({ length: 10 }, (_, m) => ({
      id: `PM${m}`,
      type: "maintenance_window",
      start_time: new Date(from.getTime() + (m + 1) * 86_400_000).toISOString(),
      end_time: new Date(from.getTime() + (m + 1) * 86_400_000 + 2 * 3_600_000).toISOString(),
      description: `Planned upgrade ${m}`,
      services: [ref("service", `PSV${m}`, `Service ${m}`)],
    })),
    "filter=open&",
  );
}

/** The import's rows, written the plainest way: one multi-row INSERT per table, into scratch copies. */
async function bareInsert(url: string, size: Size): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const tables = [
      "users",
      "teams",
      "team_members",
      "schedules",
      "escalation_policies",
      "services",
      "integration_keys",
    ];
    for (const t of tables) await c.query(`CREATE TEMP TABLE bench_${t} (LIKE ${t} INCLUDING DEFAULTS)`);
    const start = performance.now();
    await c.query("BEGIN");
    const rows = (n: number, row: (i: number) => string) =>
      Array.from({ length: n }, (_, i) => row(i)).join(",");
    await c.query(
      `INSERT INTO bench_users (id, username, name, email, role, created_at) VALUES ${rows(size.people, (i) => `(${i + 1}, 'person${i}', 'Person ${i}', 'person${i}@bench.example', 'responder', now())`)}`,
    );
    await c.query(
      `INSERT INTO bench_teams (id, slug, name) VALUES ${rows(size.teams, (t) => `(${t + 1}, 'team-${t}', 'Team ${t}')`)}`,
    );
    await c.query(
      `INSERT INTO bench_team_members (team_id, user_id, role) VALUES ${rows(size.people, (i) => `(${(i % size.teams) + 1}, ${i + 1}, 'responder')`)}`,
    );
    const layers = JSON.stringify([
      {
        name: "Weekly",
        timeZone: "UTC",
        participants: [1, 2, 3, 4, 5],
        shiftLength: { unit: "weeks", count: 1 },
        start: "2026-01-05T09:00",
      },
      {
        name: "Business hours",
        timeZone: "UTC",
        participants: [6, 7, 8],
        shiftLength: { unit: "days", count: 1 },
        start: "2026-01-05T09:00",
        restrictions: [{ days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" }],
      },
    ]);
    await c.query(
      `INSERT INTO bench_schedules (id, name, time_zone, layers, created_at, updated_at, team_id) VALUES ${rows(size.schedules, (s) => `(${s + 1}, 'Schedule ${s}', 'UTC', '${layers}', now(), now(), 1)`)}`,
    );
    const levels = JSON.stringify([
      { timeoutMinutes: 15, targets: [{ kind: "schedule", id: 1 }] },
      { timeoutMinutes: 5, targets: [{ kind: "user", id: 1 }] },
      { timeoutMinutes: 10, targets: [{ kind: "schedule", id: 2 }] },
    ]);
    const hours = JSON.stringify({ timeZone: "UTC", days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" });
    await c.query(
      `INSERT INTO bench_escalation_policies (id, name, description, levels, repeat, ack_timeout_minutes, business_hours, created_at, updated_at, team_id) VALUES ${rows(size.policies, (p) => `(${p + 1}, 'Policy ${p}', '', '${levels}', 2, 30, '${hours}', now(), now(), 1)`)}`,
    );
    await c.query(
      `INSERT INTO bench_services (id, name, description, escalation_policy_id, grouping_window_minutes, flap_changes, flap_window_minutes, created_at, updated_at, team_id) VALUES ${rows(size.services, (v) => `(${v + 1}, 'Service ${v}', '', ${(v % size.policies) + 1}, 60, 4, 30, now(), now(), 1)`)}`,
    );
    await c.query(
      `INSERT INTO bench_integration_keys (id, service_id, name, key_hash, key_hint, created_at) VALUES ${rows(size.services * 2, (k) => `(${k + 1}, ${(k >> 1) + 1}, 'key ${k}', md5('${k}'), '${k}', now())`)}`,
    );
    await c.query("COMMIT");
    return performance.now() - start;
  } finally {
    await c.end();
  }
}

/** The plan's reads, bare: every table it compares, whole. */
async function bareReads(url: string, runs: number): Promise<Stats> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const tables = [
    "users",
    "teams",
    "team_members",
    "schedules",
    "schedule_overrides",
    "escalation_policies",
    "services",
    "integration_keys",
    "maintenance_windows",
    "status_pages",
    "status_components",
  ];
  const samples: number[] = [];
  try {
    for (let r = 0; r < runs + 2; r++) {
      const start = performance.now();
      for (const t of tables) await c.query(`SELECT * FROM ${t}`);
      if (r >= 2) samples.push(performance.now() - start);
    }
  } finally {
    await c.end();
  }
  return summarize(samples);
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      people: { type: "string" },
      schedules: { type: "string" },
      policies: { type: "string" },
      services: { type: "string" },
      runs: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return;
  }
  const size: Size = {
    people: Math.round(positiveNumber("people", values.people, 500)),
    teams: 20,
    schedules: Math.round(positiveNumber("schedules", values.schedules, 100)),
    policies: Math.round(positiveNumber("policies", values.policies, 100)),
    services: Math.round(positiveNumber("services", values.services, 300)),
  };
  const runs = Math.round(positiveNumber("runs", values.runs, 10));
  const importer = importers.pagerduty;
  if (!importer) throw new Error("the PagerDuty importer is not in src/importers/vendors.ts");
  const cleanup = new Cleanup();
  const dir = mkdtempSync(join(tmpdir(), "firebreak-import-bench-"));
  cleanup.add("remove the account files", () => rmSync(dir, { recursive: true, force: true }));
  try {
    const now = new Date();
    say(
      `writing PagerDuty's JSON for ${size.people} people, ${size.schedules} schedules, ${size.services} services…`,
    );
    writeAccount(dir, size, now);
    say("starting PostgreSQL…");
    const db = await openBenchDatabase();
    cleanup.add("stop PostgreSQL", db.stop);
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    await migrate(pool);
    await pool.end();
    const { base, token } = await startFirebreakServer({ url: db.url, cleanup });
    const api = connect({ FIREBREAK_URL: base, FIREBREAK_TOKEN: token });
    const source = directorySource(dir);

    say("import 1: everything is new");
    let start = performance.now();
    const first = await runImport(api, importer, source, { dryRun: false, now });
    const firstMs = performance.now() - start;
    say("import 2: the same account again (nothing to change)");
    start = performance.now();
    const second = await runImport(api, importer, source, { dryRun: false, now });
    const secondMs = performance.now() - start;

    say(`config plan × ${runs}: the exported document against the server`);
    const exported = await api.request<unknown>("GET", "/config");
    const planSamples: number[] = [];
    let planChanges = 0;
    for (let r = 0; r < runs + 2; r++) {
      start = performance.now();
      const plan = await api.request<{ changes: unknown[] }>("POST", "/config/plan", { document: exported });
      if (r >= 2) planSamples.push(performance.now() - start);
      planChanges = plan.changes.length;
    }
    const plan = summarize(planSamples);

    say("baselines: the same rows by bare INSERTs; the plan's tables by bare SELECTs");
    const insertMs = await bareInsert(db.url, size);
    const reads = await bareReads(db.url, runs);

    const created = (kind: string) =>
      first.changes.filter((c) => c.action === "create" && c.kind === kind).length;
    const figures = {
      benchmark: "import",
      date: new Date().toISOString(),
      machine: { ...machine(), postgres: db.version, database: db.kind },
      source: sourceVersion(),
      size,
      targets,
      import: {
        firstMs,
        secondMs,
        created: {
          users: created("user"),
          teams: created("team"),
          schedules: created("schedule"),
          escalationPolicies: created("escalationPolicy"),
          services: created("service"),
        },
        changes: first.changes.length,
        secondChanges: second.changes.length,
        keysIssued: first.cutOver.filter((c) => c.status === "issued").length,
        unmapped: first.unmapped.length,
        onCallMatches: !onCallFailed(first),
        baselineInsertMs: insertMs,
        ratio: firstMs / insertMs,
        meetsTarget: firstMs < targets.importMs && second.changes.length === 0,
      },
      plan: {
        ...plan,
        changes: planChanges,
        baseline: reads,
        ratioP99: plan.p99 / reads.p99,
        meetsTarget: plan.p99 < targets.planMs,
      },
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
      return;
    }
    const i = figures.import;
    const lines = [
      `import benchmark — ${figures.machine.cpus} × ${figures.machine.cpuModel}, PostgreSQL ${db.version} (${db.kind}), ${figures.source}`,
      `${size.people} people, ${size.teams} teams, ${size.schedules} schedules, ${size.policies} policies, ${size.services} services (${size.services * 2} integrations) from PagerDuty's JSON`,
      "",
      table([
        ["step", "ms", "baseline ms", "ratio"],
        [
          "import (read, apply, on-call check)",
          ms(i.firstMs),
          ms(i.baselineInsertMs),
          `×${i.ratio.toFixed(1)}`,
        ],
        ["import again (no changes)", ms(i.secondMs), "", ""],
        ["config plan p50", ms(plan.p50), ms(reads.p50), `×${(plan.p50 / reads.p50).toFixed(1)}`],
        ["config plan p99", ms(plan.p99), ms(reads.p99), `×${figures.plan.ratioP99.toFixed(1)}`],
      ]),
      "",
      `created: ${i.created.users} people, ${i.created.teams} teams, ${i.created.schedules} schedules, ${i.created.escalationPolicies} policies, ${i.created.services} services; ${i.keysIssued} keys issued; ${i.unmapped} not imported; on-call check ${i.onCallMatches ? "matches" : "DIFFERS"}`,
      `second import: ${i.secondChanges} changes; plan of the exported document: ${planChanges} changes`,
      `target import < ${targets.importMs / 1000} s: ${i.meetsTarget ? "MET" : "MISSED"}; target plan p99 < ${targets.planMs / 1000} s: ${figures.plan.meetsTarget ? "MET" : "MISSED"}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await cleanup.run();
  }
}
