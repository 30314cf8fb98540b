/**
 * `npm run bench -- replicas`: scale-out of alert intake. One durable PostgreSQL; phase A, one
 * `firebreak serve` replica takes the load; phase B, three replicas on the same database take the
 * same load, the generator's connections spread round-robin across them. Four shapes each phase:
 * Events v2 single triggers and Alertmanager notifications of 10, across 50 services and on one
 * hot service. Every answer comes after its commit; after each shape SQL checks that what was
 * accepted is stored (distinct alerts, occurrences) and that no service has more than one open
 * incident or page. Reported: alerts/s, latency, B ÷ A, where the CPU went, and what PostgreSQL's
 * backends were doing (pg_stat_activity, sampled), to say whether CPU or lock waits bound the gain.
 * The load generator is in replicas/load.ts, the sampler and the SQL checks in replicas/observe.ts.
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { settings } from "../src/platform/config.ts";
import {
  Cleanup,
  type CpuGroups,
  type CpuShares,
  cpuPerOperation,
  rate as fmtRate,
  machine,
  ms,
  openBenchDatabase,
  positiveNumber,
  postmasterPid,
  runLoad,
  type Stats,
  say,
  sourceVersion,
  startFirebreakServer,
  table,
} from "./lib.ts";
import {
  AM_BATCH,
  Connection,
  createServices,
  deliver,
  Keys,
  type Kind,
  type Refused,
  request,
  type Service,
} from "./replicas/load.ts";
import { check, SAMPLE_MS, sampleActivity } from "./replicas/observe.ts";

export const description =
  "scale-out: alert intake on one replica vs three on one PostgreSQL, same run, same checks, CPU and wait events";

const target = { ratio: 2 } as const;

const usage = `usage: npm run bench -- replicas [options]
  --replicas N     replicas in phase B (default 3)
  --clients N      HTTP connections, spread round-robin over the replicas (default 50)
  --services N     services of the spread shapes (default 50)
  --seconds S      measured seconds per shape (default 10)
  --warmup S       warm-up per shape, and per phase on spare services (default 3)
  --duplicates F   share of events repeating a key already accepted (default 0.2)
  --pool N         DATABASE_POOL_SIZE of each replica (default ${settings.DATABASE_POOL_SIZE.default})
  --quick          smoke run: --seconds 3 --warmup 1
  --json           print the figures as JSON
`;

const loadavg = () => os.loadavg().map((l) => Number(l.toFixed(2)));
const int = (v: number) => Math.round(v).toLocaleString("en-US");
const pct = (v: number) => `${Math.round(v * 100)}%`;

// -- shapes and phases -----------------------------------------------------------------------------

type Shape = { name: string; kind: Kind; hot: boolean };
const shapes: Shape[] = [
  { name: "Events v2, 1 a request, 50 services", kind: "events", hot: false },
  { name: "Events v2, 1 a request, one hot service", kind: "events", hot: true },
  { name: `Alertmanager, ${AM_BATCH} a request, 50 services`, kind: "alertmanager", hot: false },
  { name: `Alertmanager, ${AM_BATCH} a request, one hot service`, kind: "alertmanager", hot: true },
];

type Replica = Awaited<ReturnType<typeof startFirebreakServer>> & { errors: Map<string, number> };

async function startReplica(url: string, pool: number, cleanup: Cleanup, token?: string): Promise<Replica> {
  const r = await startFirebreakServer({
    url,
    cleanup,
    token,
    env: () => ({ DATABASE_POOL_SIZE: String(pool) }),
  });
  // Errors it logs (pino JSON, level 50 and up), counted by message, for the report.
  const errors = new Map<string, number>();
  let partial = "";
  r.child.proc.stdout?.on("data", (b: Buffer) => {
    const lines = (partial + b.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith('{"level":5') && !line.startsWith('{"level":6')) continue;
      try {
        const e = JSON.parse(line) as { msg?: string; err?: { message?: string } };
        const what = `${e.msg ?? "?"}: ${(e.err?.message ?? "").replace(/\s+/g, " ").slice(0, 200)}`;
        errors.set(what, (errors.get(what) ?? 0) + 1);
      } catch {
        // not a log line
      }
    }
  });
  return { ...r, errors };
}

type Settings = { clients: number; warmupMs: number; durationMs: number; share: number };

async function runShape(
  shape: Shape,
  services: Service[],
  replicas: Replica[],
  o: Settings & { cpu: () => CpuGroups; sampler?: pg.Pool; measure: boolean },
) {
  const keys = new Keys(o.clients, o.share);
  const refused: Refused = { byStatus: {}, retries: 0 };
  const conns = Array.from(
    { length: o.clients },
    (_, c) => new Connection((replicas[c % replicas.length] as Replica).port),
  );
  const perRequest = shape.kind === "alertmanager" ? AM_BATCH : 1;
  const start = performance.now();
  const activity =
    o.sampler && o.measure
      ? sampleActivity(o.sampler, start + o.warmupMs, start + o.warmupMs + o.durationMs)
      : undefined;
  try {
    const r = await runLoad(
      {
        clients: o.clients,
        warmupMs: o.warmupMs,
        durationMs: o.durationMs,
        maxIterations: 10_000_000,
        cpu: o.measure ? o.cpu : undefined,
      },
      async (client, rec) => {
        const s = services[shape.hot ? 0 : client % services.length] as Service;
        const b = keys.next(client, perRequest);
        const q = request(shape.kind, s, b.keys);
        const t = await deliver(conns[client] as Connection, q.path, q.body, q.ok, refused).catch(
          (err: unknown) => {
            keys.fail(b);
            throw err;
          },
        );
        rec.add("request", t.start, t.end);
        keys.accept(client, b);
      },
    );
    return { ...r, keys, refused, perRequest, activity: await activity };
  } finally {
    for (const c of conns) c.close();
  }
}

// -- the run ---------------------------------------------------------------------------------------

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      replicas: { type: "string" },
      clients: { type: "string" },
      services: { type: "string" },
      seconds: { type: "string" },
      warmup: { type: "string" },
      duplicates: { type: "string" },
      pool: { type: "string" },
      quick: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return;
  }
  const quick = values.quick;
  const replicaCount = Math.round(positiveNumber("replicas", values.replicas, 3));
  const serviceCount = Math.round(positiveNumber("services", values.services, 50));
  const share = values.duplicates === undefined ? 0.2 : Number(values.duplicates);
  if (!(share >= 0 && share < 1)) throw new Error(`--duplicates expects 0 ≤ F < 1, got ${values.duplicates}`);
  const poolSize = Math.round(
    positiveNumber(
      "pool",
      values.pool ?? process.env.DATABASE_POOL_SIZE,
      Number(settings.DATABASE_POOL_SIZE.default),
    ),
  );
  const o: Settings = {
    clients: Math.round(positiveNumber("clients", values.clients, 50)),
    warmupMs: positiveNumber("warmup", values.warmup, quick ? 1 : 3) * 1000,
    durationMs: positiveNumber("seconds", values.seconds, quick ? 3 : 10) * 1000,
    share,
  };
  const loadStart = loadavg();
  say(`replicas: load average ${loadStart.join(" ")} on ${os.availableParallelism()} CPUs`);
  const began = performance.now();
  const cleanup = new Cleanup();
  try {
    say("starting PostgreSQL…");
    const db = await openBenchDatabase();
    cleanup.add("stop PostgreSQL", db.stop);
    const query = new pg.Pool({ connectionString: db.url, max: 2 });
    query.on("error", (err) => say(`query pool: ${err.message}`));
    cleanup.add("close the query pool", () => query.end());
    const pgPid = await postmasterPid(db.url);

    say(`starting replica 1 (DATABASE_POOL_SIZE=${poolSize})…`);
    const first = await startReplica(db.url, poolSize, cleanup);
    const replicas: Replica[] = [first];
    const cpu = (): CpuGroups => ({
      "load generator": { self: process.pid },
      ...Object.fromEntries(replicas.map((r, i) => [`replica ${i + 1}`, { tree: r.child.proc.pid ?? 0 }])),
      ...(pgPid ? { postgres: { tree: pgPid } } : {}),
    });

    const names = (phase: string, shape: Shape, i: number) =>
      shape.hot
        ? [`r${phase}${i}-hot`]
        : Array.from({ length: serviceCount }, (_, j) => `r${phase}${i}-${String(j).padStart(3, "0")}`);
    say("creating services…");
    const servicesOf: Record<string, Service[][]> = {};
    for (const phase of ["A", "B"])
      servicesOf[phase] = await Promise.all(
        shapes.map((s, i) => createServices(first.base, first.token, names(phase, s, i))),
      );
    const warm = await createServices(
      first.base,
      first.token,
      Array.from({ length: serviceCount }, (_, j) => `rwarm-${String(j).padStart(3, "0")}`),
    );
    const checkpoint = () => query.query("CHECKPOINT").catch(() => undefined);

    const warmupFailures: string[] = [];
    const phases: { name: string; replicas: number; shapes: Awaited<ReturnType<typeof measureShape>>[] }[] =
      [];
    const measureShape = async (phase: string, shape: Shape, services: Service[]) => {
      say(`  ${phase}: ${shape.name}, ${o.clients} connections over ${replicas.length} replica(s)…`);
      const r = await runShape(shape, services, replicas, { ...o, cpu, sampler: query, measure: true });
      const stored = await check(query, services);
      await checkpoint();
      return { shape, ...r, stored };
    };
    for (const phase of ["A", "B"]) {
      if (phase === "B") {
        for (let i = replicas.length; i < replicaCount; i++) {
          say(`starting replica ${i + 1}…`);
          replicas.push(await startReplica(db.url, poolSize, cleanup, first.token));
        }
      }
      say(`phase ${phase}: warming up ${replicas.length} replica(s) on spare services…`);
      for (const kind of ["events", "alertmanager"] as const) {
        const w = await runShape({ name: "warm-up", kind, hot: false }, warm, replicas, {
          ...o,
          durationMs: o.warmupMs,
          cpu,
          measure: false,
        });
        if (w.errors)
          warmupFailures.push(`${phase}, ${kind}: ${w.errors} requests failed (first: ${w.firstError})`);
      }
      await checkpoint();
      const measured = [];
      for (const [i, shape] of shapes.entries())
        measured.push(await measureShape(phase, shape, servicesOf[phase]?.[i] ?? []));
      phases.push({ name: phase, replicas: replicas.length, shapes: measured });
    }
    for (const r of replicas) await r.child.stop();
    const pgStats = (
      await query.query<{ deadlocks: number; rollbacks: number }>(
        "SELECT deadlocks::int, xact_rollback::int AS rollbacks FROM pg_stat_database WHERE datname = current_database()",
      )
    ).rows[0];
    const figures = figuresOf({
      settings: { ...o, replicas: replicaCount, services: serviceCount, pool: poolSize, quick },
      db: { kind: db.kind, version: db.version },
      load: { start: loadStart, end: loadavg() },
      runSeconds: (performance.now() - began) / 1000,
      phases,
      warmupFailures,
      serverErrors: replicas.flatMap((r, i) =>
        [...r.errors].map(([w, n]) => `replica ${i + 1}: ${n} × ${w}`),
      ),
      pgStats,
    });
    process.stdout.write(values.json ? `${JSON.stringify(figures, null, 2)}\n` : report(figures));
  } finally {
    await cleanup.run();
  }
}

// -- figures and the report ------------------------------------------------------------------------

type Measured = Awaited<ReturnType<typeof runShape>> & {
  shape: Shape;
  stored: Awaited<ReturnType<typeof check>>;
};

/** Shares of the machine grouped: all replicas together, PostgreSQL, the generator, the rest. */
function split(c: CpuShares | undefined) {
  if (!c) return null;
  let replicas = 0;
  for (const [k, v] of Object.entries(c)) if (k.startsWith("replica ")) replicas += v;
  return {
    replicas,
    postgres: c.postgres ?? 0,
    loadGenerator: c["load generator"] ?? 0,
    other: c.other + c.steal,
    idle: c.idle,
  };
}

function figuresOf(f: {
  settings: Settings & { replicas: number; services: number; pool: number; quick: boolean };
  db: { kind: string; version: string };
  load: { start: number[]; end: number[] };
  runSeconds: number;
  phases: { name: string; replicas: number; shapes: Measured[] }[];
  warmupFailures: string[];
  serverErrors: string[];
  pgStats: { deadlocks: number; rollbacks: number } | undefined;
}) {
  const of = (m: Measured) => {
    const alertsPerSecond = m.recorder.rate("request") * m.perRequest;
    const a = m.keys.accepted;
    const cpu = split(m.cpu);
    const used = cpu ? cpu.replicas + cpu.postgres + cpu.loadGenerator : 0;
    return {
      alertsPerSecond,
      request: m.recorder.stats("request"),
      accepted: a,
      failedRequests: m.errors,
      firstError: m.firstError ?? null,
      refused: m.refused,
      stored: m.stored,
      check: {
        stored: m.stored.alerts >= a.fresh && m.stored.alerts <= a.fresh + m.keys.failed.fresh,
        occurrences:
          m.stored.occurrences >= a.events && m.stored.occurrences <= a.events + m.keys.failed.events,
        oneIncidentAndPage:
          m.stored.maxOpenIncidents <= 1 && m.stored.maxPages <= 1 && m.stored.ungrouped === 0,
      },
      eventsPerTransaction: m.stored.transactions ? a.events / m.stored.transactions : null,
      cpu,
      cpuMsPerAlert: m.cpu && alertsPerSecond ? cpuPerOperation(m.cpu, alertsPerSecond) : null,
      /** If CPU per alert stayed as it is, the most the machine's spare CPU could add: × this. */
      cpuCeiling: cpu && used ? (1 - cpu.other) / used : null,
      /** Alerts per CPU-second of the bench's own processes: comparable across phases however busy the machine was. */
      alertsPerCpuSecond: used ? alertsPerSecond / (used * os.availableParallelism()) : null,
      activity: m.activity ?? null,
    };
  };
  const phases = f.phases.map((p) => ({ name: p.name, replicas: p.replicas, shapes: p.shapes.map(of) }));
  const [a, b] = phases;
  const ratios = shapes.map((_, i) => {
    const x = a?.shapes[i]?.alertsPerSecond ?? 0;
    return x ? (b?.shapes[i]?.alertsPerSecond ?? 0) / x : 0;
  });
  /** B ÷ A in alerts per CPU-second: what the ratio would be had both phases had the same CPU. */
  const perCpuRatios = shapes.map((_, i) => {
    const x = a?.shapes[i]?.alertsPerCpuSecond;
    const y = b?.shapes[i]?.alertsPerCpuSecond;
    return x && y ? y / x : null;
  });
  const cpus = os.availableParallelism();
  const unreliable = [
    ...((f.load.start[0] ?? 0) > cpus / 2
      ? [`load average ${f.load.start[0]} at the start on ${cpus} CPUs`]
      : []),
    ...phases.flatMap((p) =>
      p.shapes.flatMap((s, i) =>
        s.cpu && s.cpu.other > 0.1
          ? [`${p.name}, ${shapes[i]?.name}: other processes took ${pct(s.cpu.other)} of the machine`]
          : [],
      ),
    ),
  ];
  return {
    benchmark: "replicas",
    date: new Date().toISOString(),
    machine: { ...machine(), postgres: f.db.version, database: f.db.kind },
    source: sourceVersion(),
    load: f.load,
    runSeconds: f.runSeconds,
    settings: f.settings,
    shapes: shapes.map((s) => s.name),
    phases,
    ratios,
    perCpuRatios,
    warmupFailures: f.warmupFailures,
    serverErrors: f.serverErrors,
    postgres: f.pgStats ?? null,
    unreliable,
    target: {
      rule: `${f.settings.replicas} replicas ≥ ${target.ratio}× one replica's alerts/s, every shape`,
      met: ratios.every((r) => r >= target.ratio),
    },
  };
}

type Figures = ReturnType<typeof figuresOf>;
type ShapeFigures = Figures["phases"][number]["shapes"][number];

/** CPU when the machine had no idle time left; lock waits when backends queued on a lock. */
function bound(x: ShapeFigures): string {
  const why: string[] = [];
  if (x.cpu && x.cpu.idle < 0.1)
    why.push(`CPU (idle ${pct(x.cpu.idle)}, other processes ${pct(x.cpu.other)})`);
  const locks = x.activity?.mean["waiting on a lock"] ?? 0;
  if (locks >= 1) {
    const top = x.activity?.waits.find(([k]) => k.startsWith("Lock:"))?.[0] ?? "Lock";
    why.push(`lock waits (${locks.toFixed(1)} backends on ${top} on average)`);
  }
  const wal = x.activity?.mean["writing or flushing WAL / IO"] ?? 0;
  if (wal >= 1) why.push(`WAL flushes (${wal.toFixed(1)} backends)`);
  return why.length ? why.join(" and ") : "neither CPU nor locks: the load itself (connections × latency)";
}

function report(f: Figures): string {
  const s = f.settings;
  const m = f.machine;
  const [a, b] = f.phases;
  const lines = [
    "",
    `replicas — ${s.clients} connections round-robin over the replicas, ${s.services} services (or one hot one), ${pct(s.share)} repeated keys, ${s.durationMs / 1000} s measured after ${s.warmupMs / 1000} s warm-up per shape${s.quick ? " (--quick)" : ""}`,
    `source: ${f.source}`,
    `machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres} (${m.database}${m.database === "embedded" ? ", durable" : ""}); pool ${s.pool} a replica; run took ${f.runSeconds.toFixed(0)} s`,
    `load average (1/5/15 min): ${f.load.start.join(" ")} at the start, ${f.load.end.join(" ")} at the end`,
    "",
  ];
  const rows: string[][] = [
    [
      "",
      "replicas",
      "alerts/s",
      "p50 ms",
      "p90 ms",
      "p99 ms",
      "max ms",
      "÷ 1 replica",
      "alerts/CPU-s",
      "÷ 1 replica",
    ],
  ];
  f.shapes.forEach((name, i) => {
    for (const p of [a, b]) {
      const x = p?.shapes[i];
      if (!p || !x) continue;
      const r: Stats = x.request;
      rows.push([
        p === a ? name : "",
        String(p.replicas),
        fmtRate(x.alertsPerSecond),
        ms(r.p50),
        ms(r.p90),
        ms(r.p99),
        ms(r.max),
        p === b ? `${(f.ratios[i] ?? 0).toFixed(2)}×` : "",
        x.alertsPerCpuSecond ? fmtRate(x.alertsPerCpuSecond) : "–",
        p === b && f.perCpuRatios[i] ? `${(f.perCpuRatios[i] ?? 0).toFixed(2)}×` : "",
      ]);
    }
  });
  lines.push(
    table(rows),
    "",
    "alerts/s: alert events committed a second (every answer comes after its commit); alerts/CPU-s: per CPU-second",
    "used by the replicas, PostgreSQL and the load generator together (the ratio had both phases had the same CPU)",
    "",
  );
  lines.push("checks (SQL, each shape and phase on its own services):");
  f.shapes.forEach((name, i) => {
    for (const p of [a, b]) {
      const x = p?.shapes[i];
      if (!p || !x) continue;
      const ok = x.check.stored && x.check.occurrences && x.check.oneIncidentAndPage;
      lines.push(
        `  ${p.name} ${name}: ${int(x.stored.alerts)} alerts stored of ${int(x.accepted.fresh)} accepted${x.failedRequests ? ` (+${x.failedRequests} failed requests)` : ""}; occurrences ${int(x.stored.occurrences)} of ${int(x.accepted.events)} events; ${x.stored.services} services, open incidents ≤ ${x.stored.maxOpenIncidents}, pages ≤ ${x.stored.maxPages} each, ungrouped ${x.stored.ungrouped}; ≈ ${x.eventsPerTransaction?.toFixed(1) ?? "–"} events a transaction — ${ok ? "OK" : "FAILED"}`,
      );
    }
  });
  lines.push(
    "",
    `where the time went (CPU: all ${m.cpus} CPUs = 100%; backends: mean client backends of the database by state, sampled every ${SAMPLE_MS} ms):`,
  );
  f.shapes.forEach((name, i) => {
    lines.push(`  ${name}`);
    for (const p of [a, b]) {
      const x = p?.shapes[i];
      if (!p || !x) continue;
      const c = x.cpu;
      const per = x.cpuMsPerAlert;
      const replicaMs = per
        ? Object.entries(per)
            .filter(([k]) => k.startsWith("replica "))
            .reduce((t, [, v]) => t + v, 0)
        : 0;
      if (c)
        lines.push(
          `    ${p.name}: CPU replicas ${pct(c.replicas)} · postgres ${pct(c.postgres)} · load generator ${pct(c.loadGenerator)} · other ${pct(c.other)} · idle ${pct(c.idle)}; CPU ms an alert: replicas ${replicaMs.toFixed(3)} · postgres ${(per?.postgres ?? 0).toFixed(3)} · generator ${(per?.["load generator"] ?? 0).toFixed(3)}; spare-CPU ceiling ${x.cpuCeiling?.toFixed(2) ?? "–"}×`,
        );
      const act = x.activity;
      if (act)
        lines.push(
          `       backends: ${Object.entries(act.mean)
            .sort((u, v) => v[1] - u[1])
            .map(([k, v]) => `${k} ${v.toFixed(1)}`)
            .join(
              " · ",
            )}; runnable tasks ${act.runnable.toFixed(1)}${act.waits.length ? `; top waits: ${act.waits.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}` : ""}`,
        );
    }
  });
  lines.push("", `what bounds ${b?.replicas ?? "?"} replicas (phase B):`);
  f.shapes.forEach((name, i) => {
    const x = b?.shapes[i];
    const ceiling = a?.shapes[i]?.cpuCeiling;
    if (!x) return;
    lines.push(
      `  ${name}: ${bound(x)}; phase A left room for ${ceiling ? `${ceiling.toFixed(2)}×` : "–"} at its CPU per alert`,
    );
  });
  const problems = [
    ...f.phases.flatMap((p) =>
      p.shapes.flatMap((x, i) => [
        ...(x.failedRequests
          ? [`${p.name} ${f.shapes[i]}: ${x.failedRequests} requests failed (first: ${x.firstError})`]
          : []),
        ...(x.refused.retries
          ? [
              `${p.name} ${f.shapes[i]}: ${x.refused.retries} refusals retried (${JSON.stringify(x.refused.byStatus)})`,
            ]
          : []),
      ]),
    ),
    ...f.warmupFailures.map((e) => `warm-up ${e}`),
    ...f.serverErrors.map((e) => `the server logged ${e}`),
  ];
  lines.push("");
  if (f.postgres)
    lines.push(
      `PostgreSQL over the run: ${f.postgres.deadlocks} deadlocks, ${int(f.postgres.rollbacks)} transactions rolled back`,
    );
  for (const p of problems) lines.push(`PROBLEM: ${p}`);
  for (const u of f.unreliable) lines.push(`WARNING: figures are unreliable — ${u}`);
  lines.push(
    "",
    `target (${f.target.rule}): ${f.target.met ? "MET" : "MISSED"} — ${f.ratios.map((r) => `${r.toFixed(2)}×`).join(" · ")}`,
    "",
  );
  return lines.join("\n");
}
