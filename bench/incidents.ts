import { mkdtempSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { settings } from "../src/platform/config.ts";
import { migrate } from "../src/platform/migrate.ts";
import { loadPolicy } from "../src/policy/load.ts";
import {
  type BenchDatabase,
  Cleanup,
  type CpuShares,
  cpuPerOperation,
  formatCpu,
  type HttpReply,
  httpClient,
  type LoadOptions,
  machine,
  ms,
  openBenchDatabase,
  positiveNumber,
  postmasterPid,
  type Recorder,
  rate,
  responderToken,
  runLoad,
  type Stats,
  say,
  sourceVersion,
  startFirebreakServer,
  summarize,
  table,
  topSelfTime,
} from "./lib.ts";

export const description =
  "each incident command (declare, update, severity, status, assign, note) and a read over HTTP (child `firebreak serve`) vs raw pg INSERTs";

/** Issue 21: every incident command p99 < 25 ms at 50 clients, closed loop, embedded database. */
const target = { p99Ms: 25, clients: 50, database: "embedded" } as const;

/**
 * The commands of a round trip, in order, each on the incident the round trip declared: what a
 * responder does in an incident's first minutes. The read is timed too but is not a command.
 */
const commands = [
  { kind: "declare", route: "POST /incidents", what: "S3, active" },
  { kind: "update", route: "POST /incidents/:id/updates", what: "impact and actions (COMM-1)" },
  { kind: "severity", route: "POST /incidents/:id/severity", what: "S3 → S4, with a reason" },
  { kind: "status", route: "POST /incidents/:id/status", what: "investigating → fixing" },
  { kind: "assign", route: "PUT /incidents/:id/roles/CMOC", what: "the CMOC role to the caller" },
  { kind: "note", route: "POST /incidents/:id/notes", what: "a timeline note" },
] as const;
type CommandKind = (typeof commands)[number]["kind"];
const requestKinds = [...commands.map((c) => c.kind), "read"];

const usage = `usage: npm run bench -- incidents [options]
  --clients N     concurrent clients (default 50)
  --seconds S     measured duration of each phase (default 10; plus --warmup)
  --warmup S      warm-up before each phase, not counted (default 2)
  --rate R        open loop: R round trips (R inserts for the baseline) a second over all clients,
                  instead of each client going flat out (the default, closed loop)
  --pool N        DATABASE_POOL_SIZE of the server (default ${settings.DATABASE_POOL_SIZE.default})
  --web           as a responder in the web app: a responder's token (no audit entry, which an
                  admin's changes get) and a fresh Idempotency-Key on every POST
  --profile       write a V8 CPU profile of the server (to a temp dir) and print its top functions
  --json          print the figures as JSON
`;

function expectStatus(reply: HttpReply, status: number, what: string): void {
  if (reply.status !== status) {
    throw new Error(`${what}: expected HTTP ${status}, got ${reply.status}: ${reply.body.slice(0, 300)}`);
  }
}

/** Baseline: N connections, each looping one single-row INSERT (autocommit, so one fsync'd commit each). */
async function baseline(pool: pg.Pool, load: LoadOptions) {
  await pool.query("DROP TABLE IF EXISTS bench_baseline");
  await pool.query(
    "CREATE TABLE bench_baseline (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text NOT NULL, body text NOT NULL, at timestamptz NOT NULL)",
  );
  try {
    const { recorder, errors, firstError, late, cpu } = await runLoad(load, async (_client, rec, n) => {
      await rec.time("insert", () =>
        pool.query("INSERT INTO bench_baseline (title, body, at) VALUES ($1, $2, now())", [
          `bench incident ${n}`,
          "Checkout latency is elevated for some customers; rolling back the last deploy.",
        ]),
      );
    });
    return {
      insert: recorder.stats("insert"),
      insertsPerSecond: recorder.rate("insert"),
      errors,
      firstError,
      late,
      cpu,
    };
  } finally {
    await pool.query("DROP TABLE IF EXISTS bench_baseline");
  }
}

async function firebreak(
  url: string,
  load: LoadOptions,
  opts: { poolSize: number; profileDir?: string; web: boolean },
  cleanup: Cleanup,
) {
  const {
    child: server,
    base,
    token,
  } = await startFirebreakServer({
    url,
    cleanup,
    nodeArgs: opts.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.profileDir}`] : [],
    env: () => ({ DATABASE_POOL_SIZE: String(opts.poolSize) }),
  });
  const type = loadPolicy().incidentTypes.find((t) => !t.security)?.name ?? "GitLab.com";
  const client = httpClient(base, {
    connections: load.clients,
    headers: { authorization: `Bearer ${opts.web ? await responderOf(base, token) : token}` },
    idempotencyKeys: opts.web,
  });
  say(
    `load: ${load.clients} clients${opts.web ? " as a responder with keyed POSTs" : ""}, ${describeLoad(load)}`,
  );
  const cpu = () => ({ ...(load.cpu?.() ?? {}), server: { tree: server.proc.pid ?? 0 } });
  const me = JSON.parse((await client.request("GET", "/api/v1/me")).body) as { id: number };
  const result = await runLoad({ ...load, cpu }, async (_client, rec, n) => {
    const declared = await rec.time("declare", () =>
      client.request("POST", "/api/v1/incidents", {
        title: `Bench incident ${n}: checkout errors`,
        type,
        severity: "S3",
        status: "active",
      }),
    );
    expectStatus(declared, 201, "declare");
    const { id } = JSON.parse(declared.body) as { id: number };
    const at = `/api/v1/incidents/${id}`;
    const steps: [CommandKind, string, string, unknown, number][] = [
      [
        "update",
        "POST",
        `${at}/updates`,
        {
          impact: "Some customers see errors at checkout.",
          actions: `Rolling back deploy ${n}; watching the error rate.`,
        },
        201,
      ],
      [
        "severity",
        "POST",
        `${at}/severity`,
        { severity: "S4", reason: "Only a few customers are affected." },
        200,
      ],
      ["status", "POST", `${at}/status`, { status: "fixing" }, 200],
      ["assign", "PUT", `${at}/roles/CMOC`, { user: me.id }, 200],
      ["note", "POST", `${at}/notes`, { body: `Error rate back under 1% after rollback ${n}.` }, 201],
    ];
    for (const [kind, method, url, body, status] of steps) {
      expectStatus(await rec.time(kind, () => client.request(method, url, body)), status, kind);
    }
    const read = await rec.time("read", () => client.request("GET", at));
    expectStatus(read, 200, "read");
  }).finally(() => client.close());
  await server.stop();
  if (server.exitCode !== 0) say(`the server exited with ${server.exitCode}:\n${server.output()}`);
  return { ...result, overall: overall(result.recorder) };
}

/** A responder's token, made through the admin's. */
async function responderOf(base: string, adminToken: string): Promise<string> {
  const admin = httpClient(base, { connections: 1, headers: { authorization: `Bearer ${adminToken}` } });
  try {
    return await responderToken(admin, "bench-responder");
  } finally {
    admin.close();
  }
}

/** Every request of a round trip together. */
function overall(rec: Recorder): { stats: Stats; requestsPerSecond: number } {
  return {
    stats: summarize(requestKinds.flatMap((k) => rec.samples.get(k) ?? [])),
    requestsPerSecond: requestKinds.reduce((sum, k) => sum + rec.rate(k), 0),
  };
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: "string" },
      seconds: { type: "string" },
      warmup: { type: "string" },
      rate: { type: "string" },
      pool: { type: "string" },
      web: { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return;
  }
  const clients = Math.round(positiveNumber("clients", values.clients, 50));
  const load: LoadOptions = {
    clients,
    warmupMs: positiveNumber("warmup", values.warmup, 2) * 1000,
    durationMs: positiveNumber("seconds", values.seconds, 10) * 1000,
    maxIterations: 2_000_000,
    rate: values.rate === undefined ? undefined : positiveNumber("rate", values.rate, 1),
  };
  const defaultPool = Number(settings.DATABASE_POOL_SIZE.default);
  const poolSize = Math.round(
    positiveNumber("pool", values.pool ?? process.env.DATABASE_POOL_SIZE, defaultPool),
  );
  // Profiles go to a fresh temp directory (they are large), named in the output.
  const profileDir = values.profile ? mkdtempSync(path.join(os.tmpdir(), "firebreak-profile-")) : undefined;

  const cleanup = new Cleanup();
  try {
    say("starting PostgreSQL…");
    const db = await openBenchDatabase();
    cleanup.add("stop PostgreSQL", db.stop);
    const pool = new pg.Pool({ connectionString: db.url, max: clients });
    let poolOpen = true;
    const endPool = async () => {
      if (poolOpen) await pool.end();
      poolOpen = false;
    };
    cleanup.add("close the baseline pool", endPool);
    await migrate(pool);
    const pgPid = await postmasterPid(db.url);
    load.cpu = () => ({
      "load generator": { self: process.pid },
      ...(pgPid ? { postgres: { tree: pgPid } } : {}),
    });

    say(`baseline: ${clients} connections of single-row INSERTs, ${describeLoad(load)}`);
    const base = await baseline(pool, load);
    // Start the next phase from a clean slate: no dirty pages of the baseline left to write.
    await pool.query("CHECKPOINT").catch(() => undefined);
    await endPool();

    say(`firebreak: starting the server (DATABASE_POOL_SIZE=${poolSize})…`);
    const fb = await firebreak(db.url, load, { poolSize, profileDir, web: values.web }, cleanup);
    const figures = figuresOf(load, poolSize, db, base, fb);
    process.stdout.write(values.json ? `${JSON.stringify(figures, null, 2)}\n` : report(figures));

    if (profileDir) {
      // Only the main thread's profile (thread id 0); the others are the module loader's worker.
      const fresh = readdirSync(profileDir).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f));
      for (const f of fresh) {
        const file = path.join(profileDir, f);
        say(`\nserver CPU profile: ${file} (includes start-up); top self time:`);
        for (const line of topSelfTime(file)) say(`  ${line}`);
      }
    }
  } finally {
    await cleanup.run();
  }
}

const describeLoad = (l: LoadOptions) =>
  `${l.rate ? `open loop at ${l.rate}/s` : "closed loop"}, ${l.warmupMs / 1000} s warm-up + ${l.durationMs / 1000} s measured`;

type Figures = ReturnType<typeof figuresOf>;

function figuresOf(
  load: LoadOptions,
  poolSize: number,
  db: BenchDatabase,
  base: Awaited<ReturnType<typeof baseline>>,
  fb: Awaited<ReturnType<typeof firebreak>>,
) {
  const rec = fb.recorder;
  const perCommand = Object.fromEntries(commands.map((c) => [c.kind, rec.stats(c.kind)])) as Record<
    CommandKind,
    Stats
  >;
  const worst = commands.reduce(
    (a, c) => (perCommand[c.kind].p99 > perCommand[a].p99 ? c.kind : a),
    "declare" as CommandKind,
  );
  const { requestsPerSecond } = fb.overall;
  return {
    benchmark: "incidents",
    date: new Date().toISOString(),
    machine: { ...machine(), postgres: db.version, database: db.kind, durable: db.kind === "embedded" },
    source: sourceVersion(),
    settings: {
      clients: load.clients,
      loop: load.rate ? "open" : "closed",
      rate: load.rate ?? null,
      warmupSeconds: load.warmupMs / 1000,
      seconds: load.durationMs / 1000,
      serverPoolSize: poolSize,
    },
    firebreak: {
      roundTripsPerSecond: rec.rate("iteration"),
      requestsPerSecond,
      roundTrip: rec.stats("iteration"),
      commands: perCommand,
      read: rec.stats("read"),
      allRequests: fb.overall.stats,
      failedRoundTrips: fb.errors,
      firstError: fb.firstError ?? null,
      lateStarts: fb.late,
      cpu: fb.cpu ?? null,
      cpuMsPerRequest: fb.cpu ? cpuPerOperation(fb.cpu, requestsPerSecond) : null,
    },
    baseline: {
      insertsPerSecond: base.insertsPerSecond,
      insert: base.insert,
      failed: base.errors,
      firstError: base.firstError ?? null,
      lateStarts: base.late,
      cpu: base.cpu ?? null,
      cpuMsPerInsert: base.cpu ? cpuPerOperation(base.cpu, base.insertsPerSecond) : null,
    },
    ratios: {
      requestsPerSecondOverInsertsPerSecond: requestsPerSecond / base.insertsPerSecond,
      roundTripsPerSecondOverInsertsPerSecond: rec.rate("iteration") / base.insertsPerSecond,
      commandP99OverInsertP99: Object.fromEntries(
        commands.map((c) => [c.kind, perCommand[c.kind].p99 / base.insert.p99]),
      ) as Record<CommandKind, number>,
    },
    target: {
      rule: `every command's p99 < ${target.p99Ms} ms at ${target.clients} clients (closed loop) on the embedded database`,
      applies: load.clients === target.clients && db.kind === target.database && !load.rate,
      met: commands.every((c) => perCommand[c.kind].p99 < target.p99Ms),
      verdicts: Object.fromEntries(
        commands.map((c) => [
          c.kind,
          { p99: perCommand[c.kind].p99, met: perCommand[c.kind].p99 < target.p99Ms },
        ]),
      ) as Record<CommandKind, { p99: number; met: boolean }>,
      worst: { command: worst, p99: perCommand[worst].p99 },
      /**
       * Little's law for the closed loop: each client always waits on one request, so mean latency
       * = clients ÷ requests/s. A p99 under the target needs a mean under it (at least this rate),
       * and with a p99 about twice the mean (the baseline's shape), twice that rate.
       */
      littlesLaw: {
        requestsPerSecondForMeanAtTarget: load.clients / (target.p99Ms / 1000),
        requestsPerSecondForMeanAtHalfTarget: load.clients / (target.p99Ms / 2000),
        meanLatencyMsAtMeasuredRate: (load.clients / requestsPerSecond) * 1000,
        baselineMeanLatencyMs: (load.clients / base.insertsPerSecond) * 1000,
      },
    },
  };
}

function report(f: Figures): string {
  const m = f.machine;
  const s = f.settings;
  const fb = f.firebreak;
  const row = (name: string, st: Stats, perSecond = "") => [
    name,
    perSecond,
    st.count.toLocaleString("en-US"),
    ms(st.p50),
    ms(st.p90),
    ms(st.p99),
    ms(st.max),
  ];
  const lines = [
    "",
    `incidents — ${s.clients} clients, ${s.loop} loop${s.rate ? ` at ${s.rate}/s` : ""}, ${s.seconds} s measured after ${s.warmupSeconds} s warm-up`,
    `source: ${f.source}`,
    `machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres} (${m.database}${m.durable ? ", durable" : ""}); server pool ${s.serverPoolSize}`,
    "",
    table([
      ["", "per second", "samples", "p50 ms", "p90 ms", "p99 ms", "max ms"],
      row(
        `Firebreak round trip (${requestKinds.length} requests)`,
        fb.roundTrip,
        rate(fb.roundTripsPerSecond),
      ),
      ...commands.map((c) => row(`  ${c.kind.padEnd(9)} ${c.route}`, fb.commands[c.kind])),
      row("  read      GET /incidents/:id", fb.read),
      row("  all requests", fb.allRequests, rate(fb.requestsPerSecond)),
      row("baseline: pg single-row INSERT", f.baseline.insert, rate(f.baseline.insertsPerSecond)),
    ]),
    "",
    ...(s.rate
      ? ["ratio: (open loop: both sides ran at the given rate, so only latencies compare)"]
      : [
          `ratio: Firebreak requests/s ÷ baseline inserts/s = ${f.ratios.requestsPerSecondOverInsertsPerSecond.toFixed(3)}`,
          `       round trips/s ÷ baseline inserts/s       = ${f.ratios.roundTripsPerSecondOverInsertsPerSecond.toFixed(3)}`,
        ]),
    `       command p99 ÷ insert p99: ${commands.map((c) => `${c.kind} ${f.ratios.commandP99OverInsertP99[c.kind].toFixed(1)}`).join(" · ")}`,
    "",
  ];
  const cpuLines = (phase: string, c: CpuShares | null, per: Record<string, number> | null, op: string) => {
    if (!c || !per) return;
    lines.push(`CPU, ${phase} (all ${m.cpus} CPUs = 100%): ${formatCpu(c)}`);
    lines.push(
      `  CPU ms per ${op}: ${Object.entries(per)
        .map(([k, v]) => `${k} ${ms(v)}`)
        .join(" · ")}`,
    );
    if (c.other > 0.1 || c.steal > 0.1) {
      const taken = Math.round((c.other + c.steal) * 100);
      lines.push(
        `  WARNING: other processes (or the hypervisor) took ${taken}% of the machine: figures are unreliable`,
      );
    }
  };
  cpuLines("Firebreak phase", fb.cpu, fb.cpuMsPerRequest, "request");
  cpuLines("baseline phase", f.baseline.cpu, f.baseline.cpuMsPerInsert, "insert");
  if (fb.failedRoundTrips) lines.push(`FAILED round trips: ${fb.failedRoundTrips} (first: ${fb.firstError})`);
  if (f.baseline.failed)
    lines.push(`FAILED baseline inserts: ${f.baseline.failed} (first: ${f.baseline.firstError})`);
  for (const [what, late] of [
    ["Firebreak", fb.lateStarts],
    ["baseline", f.baseline.lateStarts],
  ] as const) {
    if (late) lines.push(`${what}: ${late} iterations started late: the rate of ${s.rate}/s was not held`);
  }
  const t = f.target;
  const verdict = (met: boolean) => (met ? "MET" : "MISSED");
  lines.push(
    "",
    t.applies
      ? `target (${t.rule}): ${verdict(t.met)}`
      : `target (${t.rule}): not applicable to this run (the verdicts below are what they would be)`,
    ...commands.map(
      (c) =>
        `  ${c.kind.padEnd(9)} p99 ${ms(t.verdicts[c.kind].p99).padStart(7)} ms  ${verdict(t.verdicts[c.kind].met)}`,
    ),
    `Little's law (closed loop): mean latency = ${s.clients} clients ÷ requests/s = ${ms(t.littlesLaw.meanLatencyMsAtMeasuredRate)} ms at this run's rate;`,
    `  a p99 under ${target.p99Ms} ms needs more than ${rate(t.littlesLaw.requestsPerSecondForMeanAtTarget)} requests/s (mean ${target.p99Ms} ms), about ${rate(t.littlesLaw.requestsPerSecondForMeanAtHalfTarget)}/s with a p99 twice the mean;`,
    `  the baseline's mean at its own rate is ${ms(t.littlesLaw.baselineMeanLatencyMs)} ms`,
    "",
  );
  return lines.join("\n");
}
