/**
 * `npm run bench -- clocks`: the process's clocks under the hardest load issue 13 names — 10,000
 * open incidents, each with its pending clocks, one of each incident's falling due within the same
 * minute — on two `firebreak serve` replicas (child processes, one durable embedded PostgreSQL),
 * one of them killed with SIGKILL while the clocks fall due.
 *
 * Set-up: N incidents are declared through the API (the shipped policy arms their clocks: COMM-1,
 * COMM-2's public deadline, PAGE-3); then each records customer impact as started at a moment
 * chosen so that its COMM-2 clock (impact for 5 minutes engages the CMOC: a page) falls due at
 * T + i·(60 s / N), T a little after the set-up ends. Every due clock pages the CMOC rotation.
 *
 * Measured: lateness = when the clock's page became visible (the commit's NOTIFY on
 * `firebreak_incidents`, heard by this process) minus its due time; also when its job started
 * (process_clocks.fired_at). Checked: every clock fired, none twice (one COMM-2 page per incident),
 * none lost across the SIGKILL. Baseline, same run: N no-op graphile-worker jobs with the same due
 * times, run by two runners with Firebreak's concurrency (4) and poll interval (200 ms).
 * Target: lateness p99 < 1 s.
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Logger as GraphileLogger, type Runner, run as runWorker } from "graphile-worker";
import pg from "pg";
import {
  Cleanup,
  type CpuGroups,
  type CpuShares,
  cpuPerOperation,
  cpuWindow,
  type FirebreakServer,
  formatCpu,
  httpClient,
  machine,
  ms,
  openBenchDatabase,
  positiveNumber,
  postmasterPid,
  rate,
  runLoad,
  type Stats,
  say,
  sourceVersion,
  startFirebreakServer,
  summarize,
  table,
} from "./lib.ts";

export const description =
  "10,000 incidents' clocks due within one minute on two replicas, one SIGKILLed: lateness vs no-op graphile-worker jobs";

const target = { latenessP99Ms: 1000 } as const;
const WORKER = { concurrency: 4, pollInterval: 200 } as const;
/** COMM-2 in the shipped policy: customer impact for 5 minutes engages the CMOC. */
const IMPACT_MINUTES = 5;

const usage = `usage: npm run bench -- clocks [options]
  --incidents N   incidents, one clock each falling due in the window (default 10000)
  --window S      seconds over which their clocks fall due (default 60)
  --clients N     concurrent API clients for the set-up (default 32)
  --no-kill       do not SIGKILL a replica while the clocks fall due
  --profile DIR   write replica A's V8 CPU profile (node --cpu-prof) into DIR
  --json          print the figures as JSON
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wallNow = () => Date.now();

type Figures = {
  lateness: Stats;
  started: Stats;
  afterKill: Stats;
  fired: number;
  pages: number;
  incidentsPaged: number;
  duplicates: number;
  missing: number;
  firedPerSecond: number;
  recoveredLateMs: number[];
  /** Where the CPU went while the clocks fell due (all CPUs = 100 %). */
  cpu?: CpuShares;
};

/** Hears every commit touching an incident (the live-stream trigger's NOTIFY) and when. */
async function listen(url: string) {
  const heard = new Map<number, number[]>();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  client.on("notification", (n) => {
    const id = Number(n.payload);
    const list = heard.get(id);
    if (list) list.push(wallNow());
    else heard.set(id, [wallNow()]);
  });
  await client.query("LISTEN firebreak_incidents");
  return { heard, close: () => client.end() };
}

async function baseline(
  url: string,
  dueAt: number[],
  groups: () => CpuGroups,
): Promise<{ stats: Stats; cpu?: CpuShares }> {
  const lateness: number[] = [];
  const pools: pg.Pool[] = [];
  const runners: Runner[] = [];
  try {
    for (let r = 0; r < 2; r++) {
      const pool = new pg.Pool({ connectionString: url, max: 10 });
      pool.on("error", () => undefined);
      pools.push(pool);
      runners.push(
        await runWorker(
          {
            pgPool: pool,
            concurrency: WORKER.concurrency,
            pollInterval: WORKER.pollInterval,
            noHandleSignals: true,
            logger: new GraphileLogger(() => () => undefined),
          },
          {
            bench_noop: async (_p, helpers) => {
              lateness.push(wallNow() - helpers.job.run_at.getTime());
            },
          },
        ),
      );
    }
    const first = Math.min(...dueAt);
    const base = wallNow() + 5000;
    await pools[0]?.query(
      `SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(
         SELECT ROW('bench_noop', '{}'::json, NULL, t, NULL, NULL, NULL, NULL)::graphile_worker.job_spec
           FROM unnest($1::timestamptz[]) AS t))`,
      [dueAt.map((d) => new Date(base + d - first).toISOString())],
    );
    const last = base + Math.max(...dueAt) - first;
    const cpu = cpuWindow(groups, base - wallNow(), last - base);
    await sleep(last - wallNow() + 1000);
    for (
      const deadline = performance.now() + 60_000;
      lateness.length < dueAt.length && performance.now() < deadline;
    )
      await sleep(200);
    return { stats: summarize(lateness), cpu: await cpu };
  } finally {
    for (const r of runners) await r.stop();
    for (const p of pools) await p.end();
  }
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      incidents: { type: "string" },
      window: { type: "string" },
      clients: { type: "string" },
      "no-kill": { type: "boolean", default: false },
      profile: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return;
  }
  const n = positiveNumber("incidents", values.incidents, 10_000);
  const windowMs = positiveNumber("window", values.window, 60) * 1000;
  const clients = positiveNumber("clients", values.clients, 32);
  const kill = !values["no-kill"];
  const cleanup = new Cleanup();
  try {
    say(`clocks: ${n.toLocaleString("en-US")} incidents, clocks due within ${windowMs / 1000} s`);
    const db = await openBenchDatabase();
    cleanup.add("stop the database", () => db.stop());
    const a = await startFirebreakServer({
      url: db.url,
      cleanup,
      nodeArgs: values.profile ? ["--cpu-prof", `--cpu-prof-dir=${values.profile}`] : [],
    });
    // The second replica shares the database and the admin (tokens live in the database).
    const b: FirebreakServer = await startFirebreakServer({ url: db.url, cleanup });
    const replicas = [a, b];
    const api = replicas.map((r) =>
      httpClient(r.base, { connections: clients, headers: { authorization: `Bearer ${a.token}` } }),
    );
    cleanup.add("close the HTTP clients", () => {
      for (const c of api) c.close();
    });
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    cleanup.add("close the pool", () => pool.end());

    // 1. N incidents, declared through both replicas.
    say(`  declaring ${n.toLocaleString("en-US")} incidents (${clients} clients, both replicas)…`);
    const ids: number[] = [];
    const t0 = performance.now();
    await runLoad(
      { clients, warmupMs: 0, durationMs: 30 * 60_000, maxIterations: n, maxErrors: 20 },
      async (c, _rec, i) => {
        const r = await (api[c % 2] as (typeof api)[number]).request("POST", "/api/v1/incidents", {
          title: `bench clocks ${i}`,
          type: "GitLab.com",
          severity: "S3",
          status: "active",
        });
        if (r.status !== 201) throw new Error(`declare: HTTP ${r.status} ${r.body.slice(0, 200)}`);
        ids.push((JSON.parse(r.body) as { id: number }).id);
      },
    );
    const declareSeconds = (performance.now() - t0) / 1000;
    say(
      `  declared ${ids.length} in ${declareSeconds.toFixed(1)} s (${rate(ids.length / declareSeconds)}/s)`,
    );

    // 2. Impact started so that each incident's COMM-2 clock falls due in [T, T + window).
    const perSecond = ids.length / declareSeconds;
    const T = wallNow() + Math.max(30_000, (2 * ids.length * 1000) / perSecond);
    const due = new Map<number, number>();
    for (const [i, id] of ids.entries()) due.set(id, T + Math.floor((i * windowMs) / ids.length));
    say(`  recording impact so the clocks fall due from ${new Date(T).toISOString()}…`);
    let next = 0;
    await runLoad(
      { clients, warmupMs: 0, durationMs: 30 * 60_000, maxIterations: ids.length, maxErrors: 20 },
      async (c) => {
        const id = ids[next++] as number;
        const at = new Date((due.get(id) as number) - IMPACT_MINUTES * 60_000).toISOString();
        const r = await (api[c % 2] as (typeof api)[number]).request(
          "POST",
          `/api/v1/incidents/${id}/impact`,
          {
            edge: "started",
            at,
            level: "partial",
          },
        );
        if (r.status !== 200) throw new Error(`impact: HTTP ${r.status} ${r.body.slice(0, 200)}`);
      },
    );
    if (wallNow() > T) say("  WARNING: the set-up ran past the first due time; the first clocks start late");
    const { rows: pending } = await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM process_clocks WHERE state = 'pending' AND rule_id = 'COMM-2-cmoc'",
    );
    say(
      `  ${pending[0]?.n} COMM-2 clocks pending (${(await pool.query("SELECT count(*) FROM process_clocks WHERE state='pending'")).rows[0].count} clocks in all)`,
    );

    // 3. Listen, let them fall due, SIGKILL replica B a third of the way through.
    const heard = await listen(db.url);
    cleanup.add("stop listening", () => heard.close());
    let killedAt = Number.NaN;
    if (kill) {
      const at = T + windowMs / 3;
      setTimeout(() => {
        killedAt = wallNow();
        say(`  SIGKILL replica B at ${new Date(killedAt).toISOString()}`);
        b.child.proc.kill("SIGKILL");
      }, at - wallNow());
    }
    const pgPid = await postmasterPid(db.url);
    const cpu = cpuWindow(
      () => ({
        bench: { self: process.pid },
        ...(pgPid ? { postgres: { tree: pgPid } } : {}),
        "replica A": { tree: a.child.proc.pid ?? 0 },
        "replica B": { tree: b.child.proc.pid ?? 0 },
      }),
      T - wallNow(),
      windowMs,
    );
    await sleep(T + windowMs - wallNow() + 2000);
    // Jobs the killed replica held are taken over once it misses its heartbeats (20 s).
    const want = ids.length;
    const firedCount = async () =>
      Number(
        (
          await pool.query<{ n: string }>(
            "SELECT count(*) AS n FROM process_clocks WHERE state = 'fired' AND rule_id = 'COMM-2-cmoc'",
          )
        ).rows[0]?.n,
      );
    for (
      const deadline = performance.now() + 90_000;
      (await firedCount()) < want && performance.now() < deadline;
    )
      await sleep(1000);

    // 4. What happened.
    const { rows } = await pool.query<{ incident_id: string; due: string; fired: string }>(
      `SELECT incident_id, extract(epoch FROM due_at) * 1000 AS due, extract(epoch FROM fired_at) * 1000 AS fired
         FROM process_clocks WHERE rule_id = 'COMM-2-cmoc' AND state = 'fired'`,
    );
    const { rows: pages } = await pool.query<{ incident_id: string; n: string }>(
      `SELECT incident_id, count(*) AS n FROM pages WHERE title LIKE '%(COMM-2)%' GROUP BY incident_id`,
    );
    const lateness: number[] = [];
    const started: number[] = [];
    const afterKill: number[] = [];
    const recoveredLateMs: number[] = [];
    for (const r of rows) {
      const id = Number(r.incident_id);
      const d = Number(r.due);
      started.push(Number(r.fired) - d);
      const seen = heard.heard.get(id)?.find((t) => t >= d - 50);
      if (seen === undefined) continue;
      lateness.push(seen - d);
      if (d > killedAt) afterKill.push(seen - d);
      if (seen - d > 5000) recoveredLateMs.push(seen - d);
    }
    const firedTimes = rows.map((r) => Number(r.fired)).sort((x, y) => x - y);
    const figures: Figures = {
      lateness: summarize(lateness),
      started: summarize(started),
      afterKill: summarize(afterKill),
      fired: rows.length,
      pages: pages.reduce((s, p) => s + Number(p.n), 0),
      incidentsPaged: pages.length,
      duplicates: pages.filter((p) => Number(p.n) > 1).length,
      missing: want - rows.length,
      firedPerSecond: rows.length / Math.max(1, ((firedTimes.at(-1) ?? 0) - (firedTimes[0] ?? 0)) / 1000),
      recoveredLateMs: recoveredLateMs.sort((x, y) => x - y),
      cpu: await cpu,
    };
    await heard.close();
    await a.child.stop();
    if (!kill) await b.child.stop();

    say("  baseline: no-op graphile-worker jobs with the same due times, two runners…");
    const base = await baseline(db.url, [...due.values()], () => ({
      bench: { self: process.pid },
      ...(pgPid ? { postgres: { tree: pgPid } } : {}),
    }));

    const result = {
      benchmark: "clocks",
      source: sourceVersion(),
      machine: machine(),
      database: { kind: db.kind, version: db.version },
      incidents: n,
      windowSeconds: windowMs / 1000,
      killed: kill,
      declaresPerSecond: perSecond,
      firebreak: figures,
      baseline: base,
      ratioP99: figures.lateness.p99 / base.stats.p99,
      target,
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const row = (name: string, s: Stats) => [
      name,
      String(s.count),
      ms(s.p50),
      ms(s.p90),
      ms(s.p99),
      ms(s.max),
    ];
    process.stdout.write(
      [
        `clocks — ${result.source}, ${result.machine.cpus} CPUs, PostgreSQL ${db.version} (${db.kind})`,
        `${n.toLocaleString("en-US")} incidents; one COMM-2 clock each due within ${windowMs / 1000} s; two replicas${kill ? ", B SIGKILLed a third of the way in" : ""}`,
        "",
        table([
          ["lateness (ms)", "count", "p50", "p90", "p99", "max"],
          row("Firebreak: due → page committed", figures.lateness),
          row("Firebreak: due → job started", figures.started),
          ...(kill ? [row("  of those due after the kill", figures.afterKill)] : []),
          row("baseline: no-op graphile-worker job", base.stats),
        ]),
        "",
        `fired ${figures.fired}/${n}, missing ${figures.missing}; COMM-2 pages ${figures.pages} on ${figures.incidentsPaged} incidents, ${figures.duplicates} incidents paged twice`,
        `clocks fired per second (in the window): ${rate(figures.firedPerSecond)}; declares per second in the set-up: ${rate(perSecond)}`,
        figures.recoveredLateMs.length
          ? `late by over 5 s (held by the killed replica, or queued behind): ${figures.recoveredLateMs.length}; the latest ${figures.recoveredLateMs
              .slice(-5)
              .map((x) => `${(x / 1000).toFixed(1)} s`)
              .join(", ")}`
          : "no clock was late by over 5 s",
        ...(figures.cpu
          ? [
              `CPU while the clocks fell due (all CPUs = 100%): ${formatCpu(figures.cpu)}`,
              `CPU ms per clock fired: ${Object.entries(cpuPerOperation(figures.cpu, figures.firedPerSecond))
                .map(([k, v]) => `${k} ${v.toFixed(1)}`)
                .join(" · ")}`,
            ]
          : []),
        ...(base.cpu
          ? [
              `CPU ms per baseline job: ${Object.entries(cpuPerOperation(base.cpu, n / (windowMs / 1000)))
                .map(([k, v]) => `${k} ${v.toFixed(2)}`)
                .join(" · ")}`,
            ]
          : []),
        `p99 ratio to the baseline: ${(result.ratioP99).toFixed(2)}; target p99 < ${target.latenessP99Ms} ms: ${figures.lateness.p99 < target.latenessP99Ms ? "MET" : "MISSED"}`,
        "",
      ].join("\n"),
    );
  } finally {
    await cleanup.run();
  }
}
