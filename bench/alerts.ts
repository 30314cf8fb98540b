import http from "node:http";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { openStates } from "../src/incidents/model.ts";
import { settings } from "../src/platform/config.ts";
import {
  type BenchDatabase,
  Cleanup,
  type CpuGroups,
  type CpuShares,
  cpuPerOperation,
  rate as fmtRate,
  formatCpu,
  httpClient,
  type LoadOptions,
  machine,
  ms,
  openBenchDatabase,
  positiveNumber,
  postmasterPid,
  type Recorder,
  runLoad,
  type Stats,
  say,
  sourceVersion,
  startFirebreakServer,
  table,
} from "./lib.ts";

export const description =
  "alert intake: Alertmanager batches and Events v2 triggers over HTTP vs raw pg upserts; a 100,000-alert storm";

const targets = { singleOverBaseline: 0.5, batchOverBaseline: 1 } as const;
const AM_BATCH = 10;
/** A refused request is retried after min(Retry-After, this); a bench need not wait like a sender. */
const RETRY_CAP_MS = 1000;
const MAX_RETRIES = 120;
/** The storm is abandoned (and reported incomplete) after this long. */
const STORM_CAP_MS = 120_000;

const usage = `usage: npm run bench -- alerts [options]
  --clients N         HTTP clients in phases 1 and 2, and pg connections of the baseline (default 50)
  --services N        services per phase (default 50)
  --seconds S         measured seconds of the baseline and phases 1 and 2 (default 10; plus --warmup)
  --warmup S          warm-up before each of them, not counted (default 2)
  --duplicates F      share of alert events that repeat a key already sent, phases 0–2 (default 0.2)
  --storm N           alerts in the storm (default 100000)
  --storm-batch N     alerts per Alertmanager notification in the storm (default 100)
  --storm-clients N   concurrent senders in the storm (default 250)
  --pool N            DATABASE_POOL_SIZE of the server (default ${settings.DATABASE_POOL_SIZE.default})
  --quick             smoke run: --seconds 3 --warmup 1 --storm 10000
  --json              print the figures as JSON
`;

// -- small helpers --------------------------------------------------------------------------------

const sleep = (msec: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, msec)));
const loadedAt = performance.now();
const note = (line: string) =>
  say(`[${((performance.now() - loadedAt) / 1000).toFixed(0).padStart(3)} s] ${line}`);
const loadavg = () => os.loadavg().map((l) => Number(l.toFixed(2)));
const int = (v: number) => Math.round(v).toLocaleString("en-US");

// -- the intake client: keep-alive http.request that also reads Retry-After -------------------------

type IntakeReply = { status: number; body: string; retryAfter: number | undefined };
type IntakeClient = { post(path: string, body: string): Promise<IntakeReply>; close(): void };

function intakeClient(base: string, connections: number): IntakeClient {
  const url = new URL(base);
  if (url.hostname !== "127.0.0.1") throw new Error(`benchmarks talk to 127.0.0.1 only, not ${url.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const timeout = 30_000;
  return {
    post: (path, body) =>
      new Promise((resolve, reject) => {
        const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
        const req = http.request(
          { agent, host: "127.0.0.1", port: url.port, method: "POST", path, headers, timeout },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              const ra = Number(res.headers["retry-after"]);
              resolve({
                status: res.statusCode ?? 0,
                body: Buffer.concat(chunks).toString(),
                retryAfter: Number.isFinite(ra) ? ra : undefined,
              });
            });
            res.on("error", reject);
          },
        );
        req.on("timeout", () => req.destroy(new Error(`POST: no answer within ${timeout} ms`)));
        req.on("error", reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** 429/503 answers a phase got, and the retries they caused. */
class Refusals {
  readonly byStatus = new Map<number, number>();
  readonly retryAfter: number[] = [];
  retries = 0;
  note(status: number, retryAfter: number | undefined): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    if (retryAfter !== undefined) this.retryAfter.push(retryAfter);
    this.retries++;
  }
  toJSON() {
    return {
      byStatus: Object.fromEntries(this.byStatus),
      retries: this.retries,
      retryAfterSeconds: this.retryAfter.length
        ? { min: Math.min(...this.retryAfter), max: Math.max(...this.retryAfter) }
        : null,
    };
  }
}

/**
 * Posts until the expected status, retrying 429/503 after min(Retry-After, 1 s) until `until`
 * (performance.now()). Returns the times of the accepted attempt.
 */
async function deliver(
  c: IntakeClient,
  path: string,
  body: string,
  ok: number,
  refusals: Refusals,
  until: number,
): Promise<{ start: number; end: number }> {
  for (let attempt = 0; ; attempt++) {
    const start = performance.now();
    const reply = await c.post(path, body);
    const end = performance.now();
    if (reply.status === ok) return { start, end };
    if ((reply.status === 429 || reply.status === 503) && attempt < MAX_RETRIES && end < until) {
      refusals.note(reply.status, reply.retryAfter);
      await sleep(Math.min((reply.retryAfter ?? 1) * 1000, RETRY_CAP_MS));
      continue;
    }
    const hideKey = (t: string) => t.replace(/[0-9a-f]{32}/g, "<key>");
    throw new Error(
      `POST ${hideKey(path)}: expected ${ok}, got ${reply.status}: ${hideKey(reply.body.slice(0, 300))}`,
    );
  }
}

// -- alert keys: new ones, and repeats of committed ones -------------------------------------------

type Batch = { client: number; keys: string[]; fresh: string[] };

/**
 * Per client: its next alert keys. Event j of a client repeats one of the client's committed keys
 * when floor((j + 1)·share) > floor(j·share) — every fifth at 0.2 — and is new otherwise (also
 * when the client has nothing committed yet). Counts what was accepted, for the SQL check.
 */
class Keys {
  private readonly clients: { committed: string[]; seq: number; events: number }[];
  accepted = { events: 0, fresh: 0, repeats: 0 };
  /** Events of failed requests: each may or may not be stored (a request's events can span batches). */
  failed = { events: 0, fresh: 0 };
  constructor(
    clients: number,
    private readonly share: number,
  ) {
    this.clients = Array.from({ length: clients }, () => ({ committed: [], seq: 0, events: 0 }));
  }
  next(client: number, count: number): Batch {
    const c = this.clients[client];
    if (!c) throw new Error(`no client ${client}`);
    const keys: string[] = [];
    const fresh: string[] = [];
    for (let i = 0; i < count; i++) {
      const j = c.events++;
      const repeat = Math.floor((j + 1) * this.share) > Math.floor(j * this.share) && c.committed.length > 0;
      if (repeat) keys.push(c.committed[Math.floor(Math.random() * c.committed.length)] as string);
      else {
        // Alertmanager fingerprints are 16 hex digits; unique per client (clients may share a service).
        const k = (client * 2 ** 32 + c.seq++).toString(16).padStart(16, "0");
        keys.push(k);
        fresh.push(k);
      }
    }
    return { client, keys, fresh };
  }
  fail(b: Batch): void {
    this.failed.events += b.keys.length;
    this.failed.fresh += b.fresh.length;
  }
  accept(b: Batch): void {
    this.clients[b.client]?.committed.push(...b.fresh);
    this.accepted.events += b.keys.length;
    this.accepted.fresh += b.fresh.length;
    this.accepted.repeats += b.keys.length - b.fresh.length;
  }
}

// -- payloads --------------------------------------------------------------------------------------

const startsAt = new Date().toISOString();

function amAlert(service: string, key: string) {
  return {
    status: "firing",
    labels: {
      alertname: "HighErrorRate",
      env: "production",
      instance: `${service}-${key.slice(-6)}:8080`,
      job: service,
      service,
      severity: "critical",
    },
    annotations: {
      summary: `${service} is failing more than 5% of requests`,
      description: `${service}-${key.slice(-6)}:8080 answered 7.3% of requests with 5xx over the last 5 minutes.`,
      runbook_url: `https://runbooks.example.com/${service}/high-error-rate`,
    },
    startsAt,
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "http://prometheus.example.com:9090/graph?g0.expr=job%3Ahttp_5xx%3Aratio_rate5m+%3E+0.05",
    fingerprint: key,
  };
}

/** An Alertmanager webhook notification, payload version 4. */
function amNotification(service: string, keys: string[]): string {
  return JSON.stringify({
    version: "4",
    groupKey: `{}:{alertname="HighErrorRate", service="${service}"}`,
    truncatedAlerts: 0,
    status: "firing",
    receiver: "firebreak",
    groupLabels: { alertname: "HighErrorRate", service },
    commonLabels: { alertname: "HighErrorRate", env: "production", service, severity: "critical" },
    commonAnnotations: { summary: `${service} is failing more than 5% of requests` },
    externalURL: "http://alertmanager.example.com:9093",
    alerts: keys.map((k) => amAlert(service, k)),
  });
}

/** A PagerDuty Events v2 trigger. */
function eventTrigger(routingKey: string, service: string, key: string): string {
  return JSON.stringify({
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key: key,
    payload: {
      summary: `${service} is failing more than 5% of requests`,
      source: `${service}-${key.slice(-6)}`,
      severity: "critical",
      component: service,
      group: "production",
      class: "http-errors",
      custom_details: { ratio: 0.073, window: "5m" },
    },
    client: "bench",
    client_url: "http://monitoring.example.com/",
  });
}

// -- Firebreak in a child process ----------------------------------------------------------------

type Service = { id: number; name: string; key: string };

async function startFirebreak(url: string, poolSize: number, cleanup: Cleanup) {
  const { child, base, token } = await startFirebreakServer({
    url,
    cleanup,
    env: () => ({ DATABASE_POOL_SIZE: String(poolSize) }),
  });
  // Errors the server logs (pino JSON, level 50 and up), counted by message, for the report.
  const errors = new Map<string, number>();
  let partial = "";
  child.proc.stdout?.on("data", (b: Buffer) => {
    const text = partial + b.toString();
    const lines = text.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        if ((entry.level ?? 0) < 50) continue;
        const what = `${entry.msg ?? "?"}: ${(entry.err?.message ?? "").replace(/\s+/g, " ").slice(0, 300)}`;
        errors.set(what, (errors.get(what) ?? 0) + 1);
      } catch {
        // not a log line
      }
    }
  });
  return { child, base, token, errors };
}

/** `count` services named `<prefix>-<i>` through the API (default escalation policy), 8 at a time. */
async function createServices(base: string, token: string, prefix: string, count: number) {
  const admin = httpClient(base, { connections: 8, headers: { authorization: `Bearer ${token}` } });
  try {
    const out: Service[] = new Array(count);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < count; i = next++) {
          const name = `${prefix}-${String(i).padStart(3, "0")}`;
          const r = await admin.request("POST", "/api/v1/services", { name });
          if (r.status !== 201) throw new Error(`POST /api/v1/services: HTTP ${r.status}: ${r.body}`);
          const body = JSON.parse(r.body) as { id: number; integrationKey: string };
          out[i] = { id: body.id, name, key: body.integrationKey };
        }
      }),
    );
    return out;
  } finally {
    admin.close();
  }
}

// -- phases ------------------------------------------------------------------------------------------

type SteadyResult = {
  recorder: Recorder;
  /** Alert events per request. */
  perRequest: number;
  keys: Keys;
  refusals: Refusals;
  errors: number;
  firstError?: string;
  cpu?: CpuShares;
};

/** Phase 0: raw single-row upserts through pg into the real alerts table, for the phase's services. */
async function baseline(pool: pg.Pool, services: Service[], load: LoadOptions, share: number) {
  const keys = new Keys(load.clients, share);
  const upsert = `
    INSERT INTO alerts AS a (service_id, dedup_key, source, status, summary, severity, details,
      first_seen_at, last_seen_at)
    VALUES ($1, $2, 'alertmanager', 'firing', $3, 'critical', $4::jsonb, now(), now())
    ON CONFLICT (service_id, dedup_key) DO UPDATE SET
      occurrences = a.occurrences + 1, last_seen_at = excluded.last_seen_at`;
  const r = await runLoad(load, async (client, rec) => {
    const s = services[client % services.length] as Service;
    const b = keys.next(client, 1);
    const key = b.keys[0] as string;
    const a = amAlert(s.name, key);
    // What Firebreak stores as details for the same Alertmanager alert.
    const details = JSON.stringify({
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: a.generatorURL,
      groupKey: `{}:{alertname="HighErrorRate", service="${s.name}"}`,
      externalURL: "http://alertmanager.example.com:9093",
    });
    await rec
      .time("request", () => pool.query(upsert, [s.id, key, a.annotations.summary, details]))
      .catch((err: unknown) => {
        keys.fail(b);
        throw err;
      });
    keys.accept(b);
  });
  return { ...r, perRequest: 1, keys, refusals: new Refusals() } satisfies SteadyResult;
}

/** Phases 1 and 2: closed-loop HTTP clients, each on service (client mod services). */
async function intakePhase(
  base: string,
  services: Service[],
  load: LoadOptions,
  share: number,
  kind: "alertmanager" | "events",
): Promise<SteadyResult> {
  const keys = new Keys(load.clients, share);
  const refusals = new Refusals();
  const c = intakeClient(base, load.clients);
  const perRequest = kind === "alertmanager" ? AM_BATCH : 1;
  try {
    const r = await runLoad(load, async (client, rec) => {
      const s = services[client % services.length] as Service;
      const b = keys.next(client, perRequest);
      const t = await (kind === "alertmanager"
        ? deliver(
            c,
            `/api/v1/integrations/alertmanager/${s.key}`,
            amNotification(s.name, b.keys),
            200,
            refusals,
            rec.until,
          )
        : deliver(
            c,
            "/v2/enqueue",
            eventTrigger(s.key, s.name, b.keys[0] as string),
            202,
            refusals,
            rec.until,
          )
      ).catch((err: unknown) => {
        keys.fail(b);
        throw err;
      });
      rec.add("request", t.start, t.end);
      keys.accept(b);
    });
    return { ...r, perRequest, keys, refusals };
  } finally {
    c.close();
  }
}

/** Phase 3: `total` distinct alerts as notifications of `batch`, round-robin over the services. */
async function storm(
  base: string,
  services: Service[],
  o: { total: number; batch: number; clients: number; cpu: () => CpuGroups },
) {
  const refusals = new Refusals();
  const requests = Math.ceil(o.total / o.batch);
  const c = intakeClient(base, o.clients);
  let accepted = 0;
  let lastCommit = 0;
  const t0 = performance.now();
  try {
    const r = await runLoad(
      {
        clients: o.clients,
        warmupMs: 0,
        durationMs: STORM_CAP_MS,
        maxIterations: requests,
        // Never abandoned: failed requests are counted, and the SQL check shows what they cost.
        maxErrors: requests + 1,
        cpu: o.cpu,
      },
      async (_client, rec, n) => {
        const first = (n - 1) * o.batch;
        const count = Math.min(o.batch, o.total - first);
        const s = services[(n - 1) % services.length] as Service;
        const keys = Array.from({ length: count }, (_, i) => (first + i).toString(16).padStart(16, "0"));
        const t = await deliver(
          c,
          `/api/v1/integrations/alertmanager/${s.key}`,
          amNotification(s.name, keys),
          200,
          refusals,
          rec.until,
        );
        rec.add("request", t.start, t.end);
        accepted += count;
        lastCommit = Math.max(lastCommit, t.end);
      },
    );
    return {
      recorder: r.recorder,
      requests,
      accepted,
      drainMs: (lastCommit || performance.now()) - t0,
      refusals,
      errors: r.errors,
      firstError: r.firstError,
      cpu: r.cpu,
    };
  } finally {
    c.close();
  }
}

// -- checks through SQL ------------------------------------------------------------------------------

async function stored(pool: pg.Pool, services: Service[]) {
  const { rows } = await pool.query<{
    alerts: number;
    occurrences: string;
    ungrouped: number;
    batches: number;
  }>(
    `SELECT count(*)::int AS alerts, coalesce(sum(occurrences), 0)::text AS occurrences,
            count(*) FILTER (WHERE group_id IS NULL)::int AS ungrouped,
            count(DISTINCT first_seen_at)::int AS batches
       FROM alerts WHERE service_id = ANY ($1::bigint[])`,
    [services.map((s) => s.id)],
  );
  const r = rows[0] ?? { alerts: 0, occurrences: "0", ungrouped: 0, batches: 0 };
  return { ...r, occurrences: Number(r.occurrences) };
}

/** Per service: open incidents its alerts opened, all of them, their pages, and its alert groups. */
async function grouping(pool: pg.Pool, services: Service[]) {
  const { rows } = await pool.query<{ open: number; incidents: number; pages: number; groups: number }>(
    `SELECT (SELECT count(*) FROM incidents i
              WHERE i.title LIKE s.name || ': %' AND i.state = ANY ($2::text[]))::int AS open,
            (SELECT count(*) FROM incidents i WHERE i.title LIKE s.name || ': %')::int AS incidents,
            (SELECT count(*) FROM pages p JOIN incidents i ON i.id = p.incident_id
              WHERE i.title LIKE s.name || ': %')::int AS pages,
            (SELECT count(*) FROM alert_groups g WHERE g.service_id = s.id)::int AS groups
       FROM services s WHERE s.id = ANY ($1::bigint[])`,
    [services.map((s) => s.id), [...openStates]],
  );
  const span = (k: keyof (typeof rows)[number]) => {
    const v = rows.map((r) => r[k]);
    return { min: Math.min(...v), max: Math.max(...v), total: v.reduce((a, b) => a + b, 0) };
  };
  return {
    services: rows.length,
    openIncidents: span("open"),
    incidents: span("incidents"),
    pages: span("pages"),
    groups: span("groups"),
  };
}

// -- the run -----------------------------------------------------------------------------------------

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: "string" },
      services: { type: "string" },
      seconds: { type: "string" },
      warmup: { type: "string" },
      duplicates: { type: "string" },
      storm: { type: "string" },
      "storm-batch": { type: "string" },
      "storm-clients": { type: "string" },
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
  const clients = Math.round(positiveNumber("clients", values.clients, 50));
  const serviceCount = Math.round(positiveNumber("services", values.services, 50));
  const share = values.duplicates === undefined ? 0.2 : Number(values.duplicates);
  if (!(share >= 0 && share < 1)) throw new Error(`--duplicates expects 0 ≤ F < 1, got ${values.duplicates}`);
  const stormTotal = Math.round(positiveNumber("storm", values.storm, quick ? 10_000 : 100_000));
  const stormBatch = Math.round(positiveNumber("storm-batch", values["storm-batch"], 100));
  const stormClients = Math.round(positiveNumber("storm-clients", values["storm-clients"], 250));
  const poolSize = Math.round(
    positiveNumber(
      "pool",
      values.pool ?? process.env.DATABASE_POOL_SIZE,
      Number(settings.DATABASE_POOL_SIZE.default),
    ),
  );
  const load: LoadOptions = {
    clients,
    warmupMs: positiveNumber("warmup", values.warmup, quick ? 1 : 2) * 1000,
    durationMs: positiveNumber("seconds", values.seconds, quick ? 3 : 10) * 1000,
    maxIterations: 5_000_000,
  };

  const loadStart = loadavg();
  note(`load average (1, 5, 15 min): ${loadStart.join(" ")} on ${os.availableParallelism()} CPUs`);
  const began = performance.now();
  const cleanup = new Cleanup();
  try {
    note("starting PostgreSQL…");
    const db = await openBenchDatabase();
    cleanup.add("stop PostgreSQL", db.stop);
    const query = new pg.Pool({ connectionString: db.url, max: 2 });
    query.on("error", (err) => note(`query pool: ${err.message}`));
    cleanup.add("close the query pool", () => query.end());
    const pgPid = await postmasterPid(db.url);

    note(`starting Firebreak (DATABASE_POOL_SIZE=${poolSize})…`);
    const fb = await startFirebreak(db.url, poolSize, cleanup);
    const cpu = (): CpuGroups => ({
      "load generator": { self: process.pid },
      server: { tree: fb.child.proc.pid ?? 0 },
      ...(pgPid ? { postgres: { tree: pgPid } } : {}),
    });
    load.cpu = cpu;
    note(`creating 4 × ${serviceCount} services…`);
    const services = {
      baseline: await createServices(fb.base, fb.token, "bench-baseline", serviceCount),
      alertmanager: await createServices(fb.base, fb.token, "bench-am", serviceCount),
      events: await createServices(fb.base, fb.token, "bench-events", serviceCount),
      storm: await createServices(fb.base, fb.token, "bench-storm", serviceCount),
    };
    const serverErrors = () =>
      [...fb.errors].map(([what, n]) => `${n} × ${what}`).join("\n  ") || "none logged";
    const phase = `${load.warmupMs / 1000} s warm-up + ${load.durationMs / 1000} s`;
    const checkpoint = () => query.query("CHECKPOINT").catch(() => undefined);

    let baseConnections = clients;
    const measure = async () => {
      // As many connections as clients, unless the server has fewer to spare (a few kept free).
      const free = await query.query<{ n: number }>(
        "SELECT current_setting('max_connections')::int - (SELECT count(*) FROM pg_stat_activity)::int - 5 AS n",
      );
      baseConnections = Math.max(1, Math.min(clients, free.rows[0]?.n ?? clients));
      note(`baseline: ${baseConnections} pg connections of single-row upserts into alerts, ${phase}…`);
      const pool = new pg.Pool({ connectionString: db.url, max: baseConnections });
      pool.on("error", (err) => note(`baseline pool: ${err.message}`));
      const base = await baseline(
        pool,
        services.baseline,
        { ...load, clients: baseConnections },
        share,
      ).finally(() => pool.end());
      const baseStored = await stored(query, services.baseline);
      await checkpoint();

      note(`(1) Alertmanager: ${clients} clients, notifications of ${AM_BATCH} alerts, ${phase}…`);
      const am = await intakePhase(fb.base, services.alertmanager, load, share, "alertmanager");
      const amStored = await stored(query, services.alertmanager);
      const amGrouping = await grouping(query, services.alertmanager);
      await checkpoint();

      note(`(2) Events v2: ${clients} clients, single triggers, ${phase}…`);
      const ev = await intakePhase(fb.base, services.events, load, share, "events");
      const evStored = await stored(query, services.events);
      const evGrouping = await grouping(query, services.events);
      await checkpoint();

      note(
        `(3) storm: ${int(stormTotal)} alerts as Alertmanager notifications of ${stormBatch}, ${stormClients} senders, ${serviceCount} services…`,
      );
      const st = await storm(fb.base, services.storm, {
        total: stormTotal,
        batch: stormBatch,
        clients: stormClients,
        cpu,
      });
      note(`    drained in ${(st.drainMs / 1000).toFixed(1)} s; checking…`);
      const stStored = await stored(query, services.storm);
      const stGrouping = await grouping(query, services.storm);
      return {
        base: { ...base, stored: baseStored },
        am: { ...am, stored: amStored, grouping: amGrouping },
        ev: { ...ev, stored: evStored, grouping: evGrouping },
        storm: { ...st, stored: stStored, grouping: stGrouping },
      };
    };
    const measured = await measure().catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\nserver errors:\n  ${serverErrors()}`);
    });

    await fb.child.stop();
    if (fb.child.exitCode !== 0) note(`the server exited with ${fb.child.exitCode}:\n${fb.child.output()}`);
    // The server's backends report their statistics as they exit; then the whole run's are in.
    await sleep(500);
    const pgStats = (
      await query.query<{ deadlocks: number; rollbacks: number }>(
        `SELECT deadlocks::int, xact_rollback::int AS rollbacks
           FROM pg_stat_database WHERE datname = current_database()`,
      )
    ).rows[0] ?? { deadlocks: 0, rollbacks: 0 };

    const figures = figuresOf({
      settings: {
        clients,
        baselineConnections: baseConnections,
        services: serviceCount,
        duplicates: share,
        warmupSeconds: load.warmupMs / 1000,
        seconds: load.durationMs / 1000,
        amBatch: AM_BATCH,
        storm: stormTotal,
        stormBatch,
        stormClients,
        serverPoolSize: poolSize,
        quick,
      },
      db,
      load: { start: loadStart, end: loadavg() },
      runSeconds: (performance.now() - began) / 1000,
      ...measured,
      serverErrors: Object.fromEntries(fb.errors),
      pgStats,
    });
    process.stdout.write(values.json ? `${JSON.stringify(figures, null, 2)}\n` : report(figures));
  } finally {
    await cleanup.run();
  }
}

// -- figures and the report ----------------------------------------------------------------------------

type Stored = Awaited<ReturnType<typeof stored>>;
type Grouping = Awaited<ReturnType<typeof grouping>>;
type FigureInput = {
  settings: {
    clients: number;
    baselineConnections: number;
    services: number;
    duplicates: number;
    warmupSeconds: number;
    seconds: number;
    amBatch: number;
    storm: number;
    stormBatch: number;
    stormClients: number;
    serverPoolSize: number;
    quick: boolean;
  };
  db: BenchDatabase;
  load: { start: number[]; end: number[] };
  runSeconds: number;
  serverErrors: Record<string, number>;
  /** pg_stat_database over the whole run. */
  pgStats: { deadlocks: number; rollbacks: number };
  base: SteadyResult & { stored: Stored };
  am: SteadyResult & { stored: Stored; grouping: Grouping };
  ev: SteadyResult & { stored: Stored; grouping: Grouping };
  storm: Awaited<ReturnType<typeof storm>> & { stored: Stored; grouping: Grouping };
};

function steady(r: SteadyResult & { stored: Stored; grouping?: Grouping }, baselineRate?: number) {
  const requestsPerSecond = r.recorder.rate("request");
  const alertsPerSecond = requestsPerSecond * r.perRequest;
  const a = r.keys.accepted;
  return {
    alertsPerSecond,
    requestsPerSecond,
    alertsPerRequest: r.perRequest,
    request: r.recorder.stats("request"),
    overBaseline: baselineRate ? alertsPerSecond / baselineRate : null,
    accepted: { ...a, repeatShare: a.events ? a.repeats / a.events : 0 },
    stored: r.stored,
    /** Alerts of failed requests, which may be partly stored. */
    failedRequests: r.keys.failed,
    check: {
      // Exact, give or take what failed requests may have stored.
      distinctOk: r.stored.alerts >= a.fresh && r.stored.alerts <= a.fresh + r.keys.failed.fresh,
      occurrencesOk:
        r.stored.occurrences >= a.events && r.stored.occurrences <= a.events + r.keys.failed.events,
    },
    /** Distinct first_seen_at of new alerts: Firebreak stamps a whole batch with one time. */
    eventsPerTransaction: r.stored.batches ? a.events / r.stored.batches : null,
    grouping: r.grouping ?? null,
    refusals: r.refusals.toJSON(),
    failed: r.errors,
    firstError: r.firstError ?? null,
    cpu: r.cpu ?? null,
    cpuMsPerAlert: r.cpu && alertsPerSecond ? cpuPerOperation(r.cpu, alertsPerSecond) : null,
  };
}

function figuresOf(f: FigureInput) {
  const base = steady(f.base);
  const baseRate = base.alertsPerSecond;
  const am = steady(f.am, baseRate);
  const ev = steady(f.ev, baseRate);
  const s = f.storm;
  const drainSeconds = s.drainMs / 1000;
  const stormAlertsPerSecond = s.accepted / drainSeconds;
  const storm = {
    alerts: f.settings.storm,
    accepted: s.accepted,
    complete: s.accepted === f.settings.storm,
    drainSeconds,
    alertsPerSecond: stormAlertsPerSecond,
    overBaseline: stormAlertsPerSecond / baseRate,
    baselineDrainSeconds: f.settings.storm / baseRate,
    requests: s.requests,
    request: s.recorder.stats("request"),
    stored: s.stored,
    check: {
      everyAlertStored: s.stored.alerts === f.settings.storm && s.stored.occurrences === f.settings.storm,
      noneUngrouped: s.stored.ungrouped === 0,
      oneIncidentAndPage: s.grouping.openIncidents.max <= 1 && s.grouping.pages.max <= 1,
    },
    eventsPerTransaction: s.stored.batches ? s.accepted / s.stored.batches : null,
    grouping: s.grouping,
    refusals: s.refusals.toJSON(),
    failed: s.errors,
    firstError: s.firstError ?? null,
    cpu: s.cpu ?? null,
    cpuMsPerAlert: s.cpu ? cpuPerOperation(s.cpu, stormAlertsPerSecond) : null,
  };
  const cpus = os.availableParallelism();
  const unreliable = [
    ...(f.load.start[0]! > cpus / 2 ? [`load average ${f.load.start[0]} at the start on ${cpus} CPUs`] : []),
    ...Object.entries({
      baseline: base.cpu,
      "(1) Alertmanager": am.cpu,
      "(2) Events v2": ev.cpu,
      storm: storm.cpu,
    })
      .filter(([, c]) => c && c.other + c.steal > 0.1)
      .map(
        ([name, c]) =>
          `${name}: other processes (or the hypervisor) took ${Math.round(((c?.other ?? 0) + (c?.steal ?? 0)) * 100)}% of the machine`,
      ),
  ];
  const defaults =
    f.settings.clients === 50 &&
    f.settings.baselineConnections === 50 &&
    f.settings.services === 50 &&
    f.settings.duplicates === 0.2 &&
    !f.settings.quick;
  return {
    benchmark: "alerts",
    date: new Date().toISOString(),
    machine: { ...machine(), postgres: f.db.version, database: f.db.kind, durable: f.db.kind === "embedded" },
    source: sourceVersion(),
    load: f.load,
    unreliable,
    runSeconds: f.runSeconds,
    settings: f.settings,
    serverErrors: f.serverErrors,
    postgres: f.pgStats,
    baseline: base,
    alertmanager: am,
    events: ev,
    storm,
    targets: {
      applies: defaults && f.db.kind === "embedded",
      single: {
        rule: `single-event intake (Events v2) ≥ ${targets.singleOverBaseline}× the raw upsert baseline`,
        ratio: ev.overBaseline ?? 0,
        met: (ev.overBaseline ?? 0) >= targets.singleOverBaseline,
      },
      batch: {
        rule: `Alertmanager batches of ${f.settings.amBatch} above the raw upsert baseline`,
        ratio: am.overBaseline ?? 0,
        met: (am.overBaseline ?? 0) > targets.batchOverBaseline,
      },
    },
  };
}

type Figures = ReturnType<typeof figuresOf>;

function report(f: Figures): string {
  const m = f.machine;
  const s = f.settings;
  const st = f.storm;
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  const ratio = (v: number | null) => (v === null ? "" : `${v.toFixed(2)}×`);
  const row = (name: string, alerts: number, requests: number, r: Stats, over: number | null) => [
    name,
    fmtRate(alerts),
    fmtRate(requests),
    int(r.count),
    ms(r.p50),
    ms(r.p90),
    ms(r.p99),
    ms(r.max),
    ratio(over),
  ];
  const lines = [
    "",
    `alerts — ${s.clients} clients (the baseline: ${s.baselineConnections} pg connections), ${s.services} services per phase, ${pct(s.duplicates)} repeated keys, ${s.seconds} s measured after ${s.warmupSeconds} s warm-up${s.quick ? " (--quick)" : ""}`,
    `source: ${f.source}`,
    `machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres} (${m.database}${m.durable ? ", durable" : ""}); server pool ${s.serverPoolSize}; run took ${f.runSeconds.toFixed(0)} s`,
    `load average (1/5/15 min): ${f.load.start.join(" ")} at the start, ${f.load.end.join(" ")} at the end`,
    "",
    table([
      ["", "alerts/s", "requests/s", "requests", "p50 ms", "p90 ms", "p99 ms", "max ms", "÷ baseline"],
      row(
        "baseline: pg single-row upsert into alerts",
        f.baseline.alertsPerSecond,
        f.baseline.requestsPerSecond,
        f.baseline.request,
        null,
      ),
      row(
        `(1) Alertmanager v4, ${s.amBatch} alerts a request`,
        f.alertmanager.alertsPerSecond,
        f.alertmanager.requestsPerSecond,
        f.alertmanager.request,
        f.alertmanager.overBaseline,
      ),
      row(
        "(2) Events v2, one trigger a request",
        f.events.alertsPerSecond,
        f.events.requestsPerSecond,
        f.events.request,
        f.events.overBaseline,
      ),
      row(
        `(3) storm, Alertmanager v4, ${s.stormBatch} alerts a request`,
        st.alertsPerSecond,
        st.requests / st.drainSeconds,
        st.request,
        st.overBaseline,
      ),
    ]),
    "",
    "alerts/s: alert events committed a second (every answer comes after its commit); requests: accepted ones,",
    "timed from the accepted attempt (a refused attempt is counted below, not here)",
    "",
    `storm: ${int(st.accepted)} of ${int(st.alerts)} alerts committed ${st.complete ? "" : "(INCOMPLETE) "}in ${st.drainSeconds.toFixed(1)} s from the first request to the last commit, ${s.stormClients} senders;`,
    `       the baseline's upserts at their measured rate would take ${st.baselineDrainSeconds.toFixed(1)} s`,
    "",
    "stored (SQL, each phase on its own services):",
  ];
  const storedLine = (name: string, x: Figures["baseline"]) => {
    const a = x.accepted;
    const ok = x.check.distinctOk && x.check.occurrencesOk;
    const failed = x.failedRequests.events
      ? ` (+ up to ${int(x.failedRequests.fresh)} of failed requests: ${int(x.stored.alerts - a.fresh)} of them stored)`
      : "";
    lines.push(
      `  ${name.padEnd(16)} ${int(x.stored.alerts)} distinct alerts, expected ${int(a.fresh)}${failed}; occurrences ${int(x.stored.occurrences)}, events accepted ${int(a.events)} (${pct(a.repeatShare)} repeats) — ${ok ? "OK" : "MISMATCH"}`,
    );
  };
  storedLine("baseline", f.baseline);
  storedLine("(1) Alertmanager", f.alertmanager);
  storedLine("(2) Events v2", f.events);
  lines.push(
    `  ${"(3) storm".padEnd(16)} ${int(st.stored.alerts)} alerts, expected ${int(st.alerts)}; occurrences ${int(st.stored.occurrences)}; outside any group ${int(st.stored.ungrouped)} — ${st.check.everyAlertStored && st.check.noneUngrouped ? "OK" : "MISMATCH"}`,
  );
  const span = (x: { min: number; max: number; total: number }) =>
    x.min === x.max ? `${x.max} each (${x.total})` : `${x.min}–${x.max} (${x.total})`;
  lines.push("per service (incidents and pages opened by its alerts):");
  for (const [name, g] of [
    ["(1) Alertmanager", f.alertmanager.grouping],
    ["(2) Events v2", f.events.grouping],
    ["(3) storm", st.grouping],
  ] as const) {
    if (!g) continue;
    const ok = g.openIncidents.max <= 1 && g.pages.max <= 1;
    lines.push(
      `  ${name.padEnd(16)} ${g.services} services: open incidents ${span(g.openIncidents)}, pages ${span(g.pages)}, alert groups ${span(g.groups)} — ${ok ? "OK (at most one each)" : "MORE THAN ONE"}`,
    );
  }
  const perTx = (v: number | null) => (v === null ? "–" : v.toFixed(1));
  lines.push(
    `≈ alert events per intake transaction (events ÷ distinct first_seen_at): (1) ${perTx(f.alertmanager.eventsPerTransaction)} · (2) ${perTx(f.events.eventsPerTransaction)} · storm ${perTx(st.eventsPerTransaction)}`,
  );
  const refused = (r: Figures["storm"]["refusals"]) => {
    const by = Object.entries(r.byStatus);
    if (!by.length) return "none";
    const ra = r.retryAfterSeconds
      ? `, Retry-After ${r.retryAfterSeconds.min}–${r.retryAfterSeconds.max} s`
      : "";
    return `${by.map(([k, v]) => `${k} × ${int(v)}`).join(", ")}${ra}; ${int(r.retries)} retries`;
  };
  lines.push(
    `PostgreSQL over the whole run (pg_stat_database): ${int(f.postgres.deadlocks)} deadlocks, ${int(f.postgres.rollbacks)} transactions rolled back`,
  );
  lines.push(
    `refused (429/503, retried after min(Retry-After, 1 s)): (1) ${refused(f.alertmanager.refusals)} · (2) ${refused(f.events.refusals)} · storm ${refused(st.refusals)}`,
    "",
  );
  const cpuLines = (phase: string, c: CpuShares | null, per: Record<string, number> | null) => {
    if (!c) return;
    lines.push(`CPU, ${phase} (all ${m.cpus} CPUs = 100%): ${formatCpu(c)}`);
    if (per)
      lines.push(
        `  CPU ms per alert: ${Object.entries(per)
          .map(([k, v]) => `${k} ${v.toFixed(3)}`)
          .join(" · ")}`,
      );
  };
  cpuLines("baseline", f.baseline.cpu, f.baseline.cpuMsPerAlert);
  cpuLines("(1) Alertmanager", f.alertmanager.cpu, f.alertmanager.cpuMsPerAlert);
  cpuLines("(2) Events v2", f.events.cpu, f.events.cpuMsPerAlert);
  cpuLines("(3) storm", st.cpu, st.cpuMsPerAlert);
  const problems: string[] = [];
  for (const [name, x] of [
    ["baseline", f.baseline],
    ["(1) Alertmanager", f.alertmanager],
    ["(2) Events v2", f.events],
    ["storm", st],
  ] as const) {
    if (x.failed) problems.push(`${name}: ${x.failed} requests failed (first: ${x.firstError})`);
  }
  for (const [what, n] of Object.entries(f.serverErrors))
    problems.push(`the server logged ${int(n)} × ${what}`);
  if (!st.complete) problems.push(`the storm did not finish within ${STORM_CAP_MS / 1000} s`);
  for (const p of problems) lines.push(`PROBLEM: ${p}`);
  for (const u of f.unreliable) lines.push(`WARNING: figures are unreliable — ${u}`);
  const verdict = (t: { rule: string; ratio: number; met: boolean }) =>
    `target (${t.rule}): ${t.met ? "MET" : "MISSED"} — ${t.ratio.toFixed(2)}×`;
  lines.push("");
  if (!f.targets.applies)
    lines.push("(targets are for the default settings on the embedded database; this run is not that)");
  lines.push(verdict(f.targets.single), verdict(f.targets.batch), "");
  return lines.join("\n");
}
