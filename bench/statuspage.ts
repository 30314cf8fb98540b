import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { settings } from "../src/platform/config.ts";
import { freePort } from "../src/platform/embedded.ts";
import {
  type BenchDatabase,
  type Child,
  Cleanup,
  type CpuGroups,
  type CpuShares,
  cpuMsSoFar,
  formatCpu,
  type HttpClient,
  httpClient,
  type LoadOptions,
  machine,
  ms,
  openBenchDatabase,
  positiveNumber,
  postmasterPid,
  rate,
  responderToken,
  runLoad,
  type Stats,
  say,
  sourceVersion,
  spawnNode,
  startFirebreakServer,
  summarize,
  table,
  topSelfTime,
  waitForOk,
} from "./lib.ts";

export const description =
  "public status page HTML and summary.json at 50 and 200 connections vs a bare node:http server with the same bytes; publishing every second";

const targets = {
  /** Issue 21: at both connection counts, Firebreak quiet ÷ the baseline in the same phase. */
  overBaseline: 0.8,
  /** Issue 21: Firebreak's p99 at most this times the baseline's, in the same phase (closed loop, quiet). */
  p99OverBaseline: 1.5,
  p99Ms: 20,
  publishingOverQuiet: 0.95,
  connections: 200,
  /** A second closed-loop phase (baseline and Firebreak quiet in turn) at this many connections. */
  fewConnections: 50,
  /** The open-loop phases run at this share of Firebreak's closed-loop requests/s, or at less so that its server uses no more of a CPU. */
  openShare: 0.5,
} as const;
const SLUG = "default";
const paths = { html: `/status/${SLUG}`, json: `/status/${SLUG}/api/v2/summary.json` } as const;
type Resource = keyof typeof paths;
const resourceName: Record<Resource, string> = { html: "HTML", json: "summary.json" };

const usage = `usage: npm run bench -- statuspage [options]
  --connections N   concurrent keep-alive connections (default 200; a second closed-loop phase
                    runs at 50, baseline and Firebreak quiet in turn)
  --seconds S       measured seconds of each kind of slice in a phase (default 10: closed-loop
                    phases and open-loop ones take 3 × S each; plus --warmup)
  --warmup S        warm-up before each phase, not counted (default 2)
  --slice S         length of the slices that take turns (default 2)
  --publish-every S seconds between publishes in publishing slices (default 1)
  --aa              publish nothing: an A/A run, whose "publishing" ÷ quiet is the noise left
  --open-share F    the open-loop phases offer F × Firebreak's closed-loop requests/s, or less so that
                    its server uses at most F of a CPU (default 0.5)
  --pool N          DATABASE_POOL_SIZE of the server (default ${settings.DATABASE_POOL_SIZE.default})
  --profile         write a V8 CPU profile of the server (to a temp dir) and print its top functions
  --json            print the figures as JSON
`;

const sleep = (msec: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, msec)));
const loadedAt = performance.now();
const note = (line: string) =>
  say(`[${((performance.now() - loadedAt) / 1000).toFixed(0).padStart(3)} s] ${line}`);
const loadavg = () => os.loadavg().map((l) => Number(l.toFixed(2)));
const int = (v: number) => Math.round(v).toLocaleString("en-US");

// -- the load client: raw HTTP/1.1 GETs on keep-alive sockets ----------------------------------------

type RawReply = { status: number; etag: string | undefined; bodyBytes: number };

/**
 * One keep-alive connection sending one GET at a time and reading the answer by its Content-Length
 * (both servers send one; chunked answers are refused). Reads go into one reused buffer (`onread`),
 * so a large body costs the kernel's copy and no allocation; the header block is parsed once and
 * the body is counted, not kept. Reconnects on the next request after a close or an error.
 */
class RawConnection {
  private socket: net.Socket | undefined;
  private header: Buffer | undefined;
  private received = 0;
  private head: { status: number; etag: string | undefined; total: number; bodyStart: number } | undefined;
  private waiting: { resolve: (r: RawReply) => void; reject: (err: Error) => void } | undefined;
  private readonly buffer = Buffer.allocUnsafe(256 * 1024);

  constructor(
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  get(request: Buffer): Promise<RawReply> {
    if (this.waiting) return Promise.reject(new Error("a request is already in flight on this connection"));
    this.socket ??= this.connect();
    this.header = undefined;
    this.received = 0;
    this.head = undefined;
    const socket = this.socket;
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      socket.write(request);
    });
  }

  /** Connects now, so that connecting is not timed as part of the first request. */
  open(): Promise<void> {
    const s = this.socket ?? this.connect();
    this.socket = s;
    if (!s.connecting) return Promise.resolve();
    return new Promise((resolve, reject) => {
      s.once("connect", () => resolve());
      s.once("error", reject);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connect(): net.Socket {
    const s: net.Socket = net.connect({
      host: "127.0.0.1",
      port: this.port,
      noDelay: true,
      onread: {
        buffer: this.buffer,
        callback: (n: number, buf: Uint8Array): boolean => {
          this.data(s, n, buf);
          return true;
        },
      },
    });
    s.setTimeout(this.timeoutMs, () => s.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
    s.on("error", (err) => this.fail(s, err));
    s.on("close", () => this.fail(s, new Error("the server closed the connection")));
    return s;
  }

  private fail(s: net.Socket, err: Error): void {
    if (this.socket === s) this.socket = undefined;
    s.destroy();
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(err);
  }

  /** `buf` is the reused buffer: whatever is kept of it must be copied now. */
  private data(s: net.Socket, n: number, buf: Uint8Array): void {
    if (this.socket !== s) return;
    if (!this.waiting) {
      this.fail(s, new Error("bytes arrived with no request in flight"));
      return;
    }
    this.received += n;
    if (!this.head) {
      const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
      const all = this.header ? Buffer.concat([this.header, chunk]) : chunk;
      const end = all.indexOf("\r\n\r\n");
      if (end < 0) {
        this.header = Buffer.from(all); // a copy: the chunk's memory is reused by the next read
        return;
      }
      const text = all.toString("latin1", 0, end);
      const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(text)?.[1];
      if (length === undefined) {
        this.fail(s, new Error(`an answer without Content-Length: ${text.slice(0, 200)}`));
        return;
      }
      this.head = {
        status: Number(text.slice(9, 12)),
        etag: /\r\netag:[ \t]*([^\r\n]*)/i.exec(text)?.[1],
        bodyStart: end + 4,
        total: end + 4 + Number(length),
      };
      this.header = undefined;
    }
    if (this.received < this.head.total) return;
    if (this.received > this.head.total) {
      this.fail(s, new Error("more bytes than Content-Length"));
      return;
    }
    const w = this.waiting;
    this.waiting = undefined;
    w.resolve({
      status: this.head.status,
      etag: this.head.etag,
      bodyBytes: this.head.total - this.head.bodyStart,
    });
  }
}

const getRequest = (p: string, port: number) =>
  Buffer.from(
    `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: firebreak-bench\r\nAccept: */*\r\n\r\n`,
    "latin1",
  );

// -- the servers ------------------------------------------------------------------------------------

const startFirebreak = (url: string, poolSize: number, cleanup: Cleanup, profileDir?: string) =>
  startFirebreakServer({
    url,
    cleanup,
    nodeArgs: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
    env: () => ({ DATABASE_POOL_SIZE: String(poolSize) }),
  });

/** What the baseline answers on a path: Firebreak's bytes and the headers Firebreak sent with them. */
type Fixed = { path: string; body: Buffer; headers: Record<string, string> };

/**
 * The headers of a Firebreak answer that a server sets, security headers included (Date, Connection and Keep-Alive are node's
 * own, added by both servers alike). Cached answers carry no X-Request-Id unless the request had one
 * (this load sends none), so the baseline sends none either.
 */
const ownHeaders = [
  // The status page's own security headers: the same bytes means these too.
  "content-security-policy",
  "x-content-type-options",
  "x-frame-options",
  "referrer-policy",
  "content-type",
  "etag",
  "last-modified",
  "cache-control",
  "access-control-allow-origin",
  "vary",
];

async function fetchFixed(base: string, p: string): Promise<Fixed> {
  const res = await fetch(`${base}${p}`);
  if (res.status !== 200) throw new Error(`GET ${p}: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const h of ownHeaders) {
    const v = res.headers.get(h);
    if (v !== null) headers[h] = v;
  }
  headers["content-length"] = String(body.length);
  return { path: p, body, headers };
}

/** The baseline's whole program: `node:http`, a map from path to bytes, `writeHead` + `end` as Fastify does. */
const baselineProgram = `
const http = require("node:http");
const fs = require("node:fs");
const routes = new Map(JSON.parse(process.env.BENCH_ROUTES).map((r) => [r.path, { body: fs.readFileSync(r.file), headers: r.headers }]));
const server = http.createServer((req, res) => {
  const r = routes.get(req.url);
  if (!r) { res.writeHead(404, { "content-length": "0" }); res.end(); return; }
  res.writeHead(200, r.headers);
  res.end(r.body);
});
server.keepAliveTimeout = 72000;
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGINT", () => server.close(() => process.exit(0)));
`;

async function startBaseline(
  fixed: Fixed[],
  cleanup: Cleanup,
  profileDir?: string,
): Promise<{ child: Child; port: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "firebreak-bench-bytes-"));
  cleanup.add("remove the baseline's files", () => rmSync(dir, { recursive: true, force: true }));
  const routes = fixed.map((f, i) => {
    const file = path.join(dir, `${i}.bin`);
    writeFileSync(file, f.body);
    return { path: f.path, file, headers: f.headers };
  });
  const port = await freePort();
  const child = spawnNode(["-e", baselineProgram], {
    nodeArgs: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
    env: { ...process.env, PORT: String(port), BENCH_ROUTES: JSON.stringify(routes) },
  });
  cleanup.add("stop the baseline server", () => child.stop());
  try {
    await waitForOk(`http://127.0.0.1:${port}${fixed[0]?.path ?? "/"}`, 10_000, child);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- baseline output ---\n${child.output()}`);
  }
  return { child, port };
}

// -- a realistic page --------------------------------------------------------------------------------

const groups: Record<string, string[]> = {
  Website: ["Marketing site", "Dashboard", "Sign-in", "Documentation", "Checkout", "CDN"],
  API: ["REST API", "GraphQL API", "Webhooks", "Search", "File uploads", "Rate limiting"],
  Infrastructure: ["Database", "Object storage", "Job queue", "DNS", "Email delivery", "Background workers"],
};
const ungrouped = ["Support portal", "Billing"];

type Setup = {
  components: number;
  groups: number;
  incidents: number;
  maintenances: number;
  updates: number;
  historyRows: number;
  live: Live;
};

/** The component the publisher flips, and the public incident it has open on it (null: none). */
type Live = {
  /** A responder who drafts the posts the admin approves (COMM-3: never the same person). */
  writer: HttpClient;
  componentId: number;
  componentName: string;
  open: number | null;
  published: number;
};

function ok(r: { status: number; body: string }, status: number, what: string) {
  if (r.status !== status)
    throw new Error(`${what}: expected HTTP ${status}, got ${r.status}: ${r.body.slice(0, 300)}`);
  return JSON.parse(r.body) as Record<string, unknown>;
}

/**
 * 3 groups of 6 components and 2 components alone, with 90-day uptime bars; two resolved incidents
 * and one open, a maintenance done yesterday and one tomorrow, all through the admin API. Published
 * incidents only degrade performance: an outage needs a linked internal incident with an incident
 * manager (STAT-3), which the page does not need to be realistic. A few past outages go straight
 * into the status history with SQL (the API records changes only as they happen), so the bars are
 * not all green.
 */
async function buildPage(admin: HttpClient, writer: HttpClient, db: pg.Pool): Promise<Setup> {
  const api = `/api/v1/status-pages/${SLUG}`;
  const start = new Date(Date.now() - 89 * 86_400_000).toISOString().slice(0, 10);
  const ids = new Map<string, number>();
  let position = 0;
  const component = async (name: string, extra: Record<string, unknown>) => {
    const body = { name, position: position++, startDate: start, ...extra };
    const c = ok(await admin.request("POST", `${api}/components`, body), 201, `component ${name}`);
    ids.set(name, c.id as number);
    return c.id as number;
  };
  for (const [group, members] of Object.entries(groups)) {
    const g = await component(group, {
      group: true,
      description: `Everything behind ${group.toLowerCase()}`,
    });
    for (const m of members) await component(m, { groupId: g, description: `${m} for all customers` });
  }
  for (const name of ungrouped) await component(name, {});
  const id = (name: string) => ids.get(name) as number;

  let updates = 0;
  const approve = async (updateId: number) => {
    ok(await admin.request("POST", `${api}/drafts/${updateId}/approve`), 200, "approve");
    updates++;
  };
  const incident = async (
    name: string,
    steps: { status: string; body: string; affected: [string, string][] }[],
  ): Promise<number> => {
    const [first, ...rest] = steps;
    if (!first) throw new Error("no steps");
    const affected = (a: [string, string][]) => a.map(([c, s]) => ({ componentId: id(c), newStatus: s }));
    const d = ok(
      await writer.request("POST", `${api}/incidents`, {
        name,
        status: first.status,
        body: first.body,
        affected: affected(first.affected),
      }),
      201,
      `incident ${name}`,
    );
    const incidentId = d.statusIncidentId as number;
    await approve((d.update as { id: number }).id);
    for (const s of rest) {
      const u = ok(
        await writer.request("POST", `${api}/incidents/${incidentId}/updates`, {
          status: s.status,
          body: s.body,
          affected: affected(s.affected),
        }),
        201,
        "update",
      );
      await approve(u.id as number);
    }
    return incidentId;
  };
  await incident("Delayed webhook deliveries", [
    {
      status: "investigating",
      body: "Webhook deliveries are delayed by up to 15 minutes. We are investigating.",
      affected: [["Webhooks", "degraded_performance"]],
    },
    {
      status: "identified",
      body: "A queue consumer stalled after a deploy; we are rolling it back.",
      affected: [],
    },
    {
      status: "resolved",
      body: "Deliveries are back to normal and the backlog has drained. See https://example.com/postmortems/42",
      affected: [["Webhooks", "operational"]],
    },
  ]);
  await incident("Sign-in errors for SSO users", [
    {
      status: "investigating",
      body: "Some customers using single sign-on cannot log in.",
      affected: [
        ["Sign-in", "degraded_performance"],
        ["Dashboard", "degraded_performance"],
      ],
    },
    {
      status: "monitoring",
      body: "A fix is out; we are watching the error rate.",
      affected: [
        ["Sign-in", "operational"],
        ["Dashboard", "operational"],
      ],
    },
    { status: "resolved", body: "Sign-in has been healthy for an hour.", affected: [] },
  ]);
  await incident("Delayed email delivery", [
    {
      status: "investigating",
      body: "Some notification emails arrive up to 30 minutes late.",
      affected: [["Email delivery", "degraded_performance"]],
    },
    {
      status: "identified",
      body: "One of our email providers is throttling us; we are moving traffic to the other.",
      affected: [],
    },
  ]);
  const liveName = "Search";
  const hour = 3_600_000;
  const day = 24 * hour;
  const maintenance = async (name: string, from: number, until: number, components: string[]) => {
    const d = ok(
      await writer.request("POST", `${api}/maintenances`, {
        name,
        scheduledFor: new Date(from).toISOString(),
        scheduledUntil: new Date(until).toISOString(),
        body: `${name}: we do not expect downtime, but requests may be slower during the window.`,
        components: components.map(id),
      }),
      201,
      `maintenance ${name}`,
    );
    await approve((d.update as { id: number }).id);
  };
  const today = Math.floor(Date.now() / day) * day;
  await maintenance("Object storage migration", today - day + 2 * hour, today - day + 4 * hour, [
    "Object storage",
  ]);
  await maintenance("Database upgrade to PostgreSQL 18", today + day + 2 * hour, today + day + 4 * hour, [
    "Database",
    "Job queue",
  ]);

  // Past outages for the bars: each a bad status for some hours, then operational again.
  const past: [string, string, number, number][] = [
    ["REST API", "partial_outage", 12, 3],
    ["Database", "major_outage", 40, 1],
    ["CDN", "degraded_performance", 5, 6],
    ["Email delivery", "degraded_performance", 63, 10],
    ["Checkout", "partial_outage", 77, 2],
    ["Background workers", "degraded_performance", 21, 4],
    ["GraphQL API", "major_outage", 30, 1],
    ["Job queue", "degraded_performance", 84, 8],
  ];
  const rows = past.flatMap(([name, status, daysAgo, hours]) => {
    const at = Date.now() - daysAgo * day;
    return [
      [id(name), "operational", new Date(Date.now() - 89 * day)],
      [id(name), status, new Date(at)],
      [id(name), "operational", new Date(at + hours * hour)],
    ];
  });
  for (const [componentId, status, at] of rows)
    await db.query("INSERT INTO status_component_changes (component_id, status, at) VALUES ($1, $2, $3)", [
      componentId,
      status,
      at,
    ]);
  // The cache holds bytes from before these rows: a component change makes it rebuild.
  ok(
    await admin.request("PATCH", `${api}/components/${id("Billing")}`, {
      description: "Invoices and payments",
    }),
    200,
    "touch",
  );
  return {
    components: Object.values(groups).flat().length + ungrouped.length,
    groups: Object.keys(groups).length,
    incidents: 3,
    maintenances: 2,
    updates,
    historyRows: rows.length,
    live: { writer, componentId: id(liveName), componentName: liveName, open: null, published: 0 },
  };
}

/** A responder with an API token, who drafts what the admin publishes. */
async function responderClient(admin: HttpClient, base: string): Promise<HttpClient> {
  return httpClient(base, {
    connections: 1,
    headers: { authorization: `Bearer ${await responderToken(admin, "bench-writer")}` },
    idempotencyKeys: true,
  });
}

// -- the publisher -----------------------------------------------------------------------------------

type Publish = { start: number; approveStart: number; end: number; draftMs: number; approveMs: number };

/**
 * One publish, a draft and its approval. Without an open incident: a new public incident that
 * degrades the live component; with one: its resolving update, the component operational again.
 * So the page alternates between two states and does not grow with every publish (the main page
 * and summary.json show only unresolved incidents).
 */
async function publishOnce(admin: HttpClient, live: Live): Promise<Publish> {
  const api = `/api/v1/status-pages/${SLUG}`;
  const n = ++live.published;
  const start = performance.now();
  let updateId: number;
  if (live.open === null) {
    const d = ok(
      await live.writer.request("POST", `${api}/incidents`, {
        name: `Elevated ${live.componentName.toLowerCase()} latency`,
        status: "investigating",
        body: `${live.componentName} requests are slower than usual for some customers. (${n})`,
        affected: [{ componentId: live.componentId, newStatus: "degraded_performance" }],
      }),
      201,
      "draft incident",
    );
    live.open = d.statusIncidentId as number;
    updateId = (d.update as { id: number }).id;
  } else {
    const u = ok(
      await live.writer.request("POST", `${api}/incidents/${live.open}/updates`, {
        status: "resolved",
        body: `${live.componentName} latency is back to normal. (${n})`,
        affected: [{ componentId: live.componentId, newStatus: "operational" }],
      }),
      201,
      "draft update",
    );
    live.open = null;
    updateId = u.id as number;
  }
  const approveStart = performance.now();
  ok(await admin.request("POST", `${api}/drafts/${updateId}/approve`), 200, "approve");
  const end = performance.now();
  return { start, approveStart, end, draftMs: approveStart - start, approveMs: end - approveStart };
}

/**
 * Publishes on the ticks `origin + k·everyMs` for which `at(tick)` holds, until `stop()`; a publish
 * never overlaps the last (a tick missed meanwhile is skipped and counted late).
 */
function publisher(
  admin: HttpClient,
  live: Live,
  o: { everyMs: number; origin: number; at: (tick: number) => boolean },
) {
  const done: Publish[] = [];
  let late = 0;
  let stopped = false;
  let failure: Error | undefined;
  const loop = (async () => {
    let k = Math.ceil((performance.now() - o.origin) / o.everyMs);
    while (!stopped) {
      const tick = o.origin + k * o.everyMs;
      const wait = tick - performance.now();
      if (wait > 0) await sleep(wait);
      else if (-wait > o.everyMs) late++;
      k = Math.max(k + 1, Math.ceil((performance.now() - o.origin) / o.everyMs));
      if (stopped) break;
      if (o.at(tick)) done.push(await publishOnce(admin, live));
    }
  })().catch((err: unknown) => {
    failure = err instanceof Error ? err : new Error(String(err));
  });
  return {
    async stop() {
      stopped = true;
      await loop;
      return { done, late, failure };
    },
  };
}

/**
 * Without load: after each of `n` publishes, the first GET of each resource (which rebuilds it from
 * the database) and a second one (from the cache), one request at a time.
 */
async function rebuildProbe(admin: HttpClient, live: Live, n: number, cpuOf: CpuGroups) {
  const times = {
    htmlRebuild: [] as number[],
    jsonRebuild: [] as number[],
    htmlCached: [] as number[],
    jsonCached: [] as number[],
    publish: [] as number[],
  };
  const get = async (p: string) => {
    const t = performance.now();
    const r = await admin.request("GET", p);
    if (r.status !== 200) throw new Error(`GET ${p}: HTTP ${r.status}`);
    return performance.now() - t;
  };
  for (let i = 0; i < n; i++) {
    const p = await publishOnce(admin, live);
    times.publish.push(p.end - p.start);
    times.htmlRebuild.push(await get(paths.html));
    times.htmlCached.push(await get(paths.html));
    times.jsonRebuild.push(await get(paths.json));
    times.jsonCached.push(await get(paths.json));
  }
  // Then publishes back to back (both resources cached and asked for, so each publish rebuilds
  // them before it answers): the CPU one publish costs the server and PostgreSQL.
  const before = cpuMsSoFar(cpuOf);
  const cpuPublishes = 4 * n;
  for (let i = 0; i < cpuPublishes; i++) await publishOnce(admin, live);
  const after = cpuMsSoFar(cpuOf);
  const cpuMsPerPublish =
    before && after
      ? Object.fromEntries(
          Object.keys(after).map((k) => [k, ((after[k] ?? 0) - (before[k] ?? 0)) / cpuPublishes]),
        )
      : null;
  return {
    publishes: n,
    cpuPublishes,
    cpuMsPerPublish,
    publish: summarize(times.publish),
    htmlRebuild: summarize(times.htmlRebuild),
    htmlCached: summarize(times.htmlCached),
    jsonRebuild: summarize(times.jsonRebuild),
    jsonCached: summarize(times.jsonCached),
  };
}

// -- phases ------------------------------------------------------------------------------------------

/**
 * What a slice measures: the baseline server, Firebreak with nothing published, or Firebreak while
 * an update is published every second.
 */
type Mode = "baseline" | "quiet" | "publishing";
const modeName: Record<Mode, string> = {
  baseline: "baseline node:http",
  quiet: "Firebreak",
  publishing: "Firebreak, publishing",
};
type Stalls = { count: number; longestMs: number; totalMs: number };

/** What one mode of a phase measured, over the slices it had. */
type Figure = {
  seconds: number;
  requestsPerSecond: number;
  mbPerSecond: number;
  /** Closed loop: from sending to the last byte; open loop: from when the request was due. */
  latency: Stats;
  /** Gaps of ≥ STALL_MS in which no connection got an answer (counted in the slice where they end). */
  stalls: Stalls;
  etags: number;
  bodyBytes: { min: number; max: number };
};

type PhaseResult = {
  resource: Resource;
  connections: number;
  /** Open loop: the requests a second offered (paced over all connections); null: closed loop. */
  offered: number | null;
  sliceMs: number;
  modes: Partial<Record<Mode, Figure>>;
  errors: number;
  firstError: string | null;
  /** Answers other than 200, or with other bytes than expected. */
  wrong: number;
  firstWrong: string | null;
  /** Open loop: requests that started more than one interval after they were due. */
  late: number;
  cpu: CpuShares | null;
  /** CPU ms per request each process group spent: the servers per request they answered. */
  cpuMsPerRequest: Record<string, number> | null;
  publishes: {
    measured: number;
    all: number;
    late: number;
    draft: Stats;
    approve: Stats;
    /** From sending the approval to the first answer with other bytes than those served before it. */
    visible: Stats;
    /** Publishes whose bytes were not seen before the next publish or the end of their slice. */
    unseen: number;
  } | null;
};

const STALL_MS = 20;

/** Completions, bytes, latencies, stalls and ETags of one mode of a phase. */
class Tally {
  count = 0;
  bytes = 0;
  minBytes = Number.POSITIVE_INFINITY;
  maxBytes = 0;
  readonly etags = new Set<string | undefined>();
  readonly latencies: number[] = [];
  readonly stalls: Stalls = { count: 0, longestMs: 0, totalMs: 0 };
  stall(gap: number): void {
    this.stalls.count++;
    this.stalls.totalMs += gap;
    this.stalls.longestMs = Math.max(this.stalls.longestMs, gap);
  }
  figure(seconds: number): Figure {
    return {
      seconds,
      requestsPerSecond: this.count / seconds,
      mbPerSecond: this.bytes / seconds / 1e6,
      latency: summarize(this.latencies),
      stalls: this.stalls,
      etags: this.etags.size,
      bodyBytes: { min: Number.isFinite(this.minBytes) ? this.minBytes : 0, max: this.maxBytes },
    };
  }
}

/**
 * One phase: `load` over the connections, time cut into slices of `sliceMs` that cycle through
 * `modes`, so that the modes share the machine's drift. Each connection sends to the server of the
 * slice it starts a request in (the baseline's connections and Firebreak's are separate sockets).
 */
async function phase(o: {
  resource: Resource;
  modes: Mode[];
  ports: Record<"baseline" | "firebreak", number>;
  load: LoadOptions;
  sliceMs: number;
  /** The length of every answer of the baseline (always) and of Firebreak (until a publish). */
  expectBytes: number;
  /** `publish: false`: publishing slices publish nothing (an A/A run). */
  publish: { admin: HttpClient; live: Live; everyMs: number; publish: boolean };
  /** Firebreak's bytes have changed since the baseline took them: do not expect their length. */
  published: boolean;
}): Promise<PhaseResult> {
  const requests = {
    baseline: getRequest(paths[o.resource], o.ports.baseline),
    firebreak: getRequest(paths[o.resource], o.ports.firebreak),
  };
  const conns = {
    baseline: Array.from({ length: o.load.clients }, () => new RawConnection(o.ports.baseline, 10_000)),
    firebreak: Array.from({ length: o.load.clients }, () => new RawConnection(o.ports.firebreak, 10_000)),
  };
  // Connected before the clock starts (200 connections at once may meet a full accept queue).
  await Promise.all([...conns.baseline, ...conns.firebreak].map((c) => c.open()));
  const tallies = new Map(o.modes.map((m) => [m, new Tally()]));
  // runLoad's window starts after the warm-up; slices count from the same instant.
  const origin = performance.now() + o.load.warmupMs;
  const modeAt = (t: number): Mode => {
    const i = Math.floor((t - origin) / o.sliceMs);
    return o.modes[((i % o.modes.length) + o.modes.length) % o.modes.length] as Mode;
  };
  // Firebreak's bytes over time (answers in completion order), to see when a publish shows.
  const etagChanges: { at: number; etag: string | undefined }[] = [];
  let lastEtag: string | undefined;
  let wrong = 0;
  let firstWrong: string | undefined;
  let lastEnd: number | undefined;
  let published = o.published;
  const pub =
    o.modes.includes("publishing") && o.publish.publish
      ? publisher(o.publish.admin, o.publish.live, {
          everyMs: o.publish.everyMs,
          origin,
          at: (tick) => modeAt(tick) === "publishing",
        })
      : undefined;
  let result: Awaited<ReturnType<typeof runLoad>>;
  try {
    result = await runLoad(o.load, async (client, rec, _n, scheduled) => {
      const mode = modeAt(performance.now());
      const server = mode === "baseline" ? "baseline" : "firebreak";
      const r = await (conns[server][client] as RawConnection).get(requests[server]);
      const end = performance.now();
      const t = tallies.get(mode) as Tally;
      if (scheduled >= rec.from && scheduled < rec.until) t.latencies.push(end - scheduled);
      if (end >= rec.from && end < rec.until) {
        t.count++;
        t.bytes += r.bodyBytes;
        const gap = lastEnd === undefined ? 0 : end - lastEnd;
        if (gap >= STALL_MS) tallies.get(modeAt(end))?.stall(gap);
        lastEnd = end;
      }
      t.minBytes = Math.min(t.minBytes, r.bodyBytes);
      t.maxBytes = Math.max(t.maxBytes, r.bodyBytes);
      t.etags.add(r.etag);
      if (server === "firebreak" && (r.etag !== lastEtag || etagChanges.length === 0)) {
        etagChanges.push({ at: end, etag: r.etag });
        lastEtag = r.etag;
      }
      if (mode === "publishing" && o.publish.publish) published = true;
      const expect = server === "baseline" || !published ? o.expectBytes : undefined;
      if (r.status !== 200 || (expect !== undefined && r.bodyBytes !== expect)) {
        wrong++;
        firstWrong ??= `${modeName[mode]}: HTTP ${r.status}, ${r.bodyBytes} bytes`;
      }
    });
  } finally {
    for (const c of [...conns.baseline, ...conns.firebreak]) c.close();
  }
  const stopped = await pub?.stop();
  if (stopped?.failure) throw new Error(`the publisher failed: ${stopped.failure.message}`);
  // The next phase starts from the quiet state: no incident of the publisher's open.
  if (o.publish.live.open !== null) await publishOnce(o.publish.admin, o.publish.live);
  const rec = result.recorder;
  let publishes: PhaseResult["publishes"] = null;
  if (stopped) {
    const visible: number[] = [];
    let unseen = 0;
    for (const [i, p] of stopped.done.entries()) {
      // The bytes served when the approval was sent, and the first answer with others after it,
      // before the next approval (whose bytes those may be) and before the publishing slice ends
      // (a baseline slice may follow, in which Firebreak is not asked at all).
      const before = etagChanges.filter((c) => c.at <= p.approveStart).at(-1)?.etag;
      const sliceEnd = origin + (Math.floor((p.approveStart - origin) / o.sliceMs) + 1) * o.sliceMs;
      const until = Math.min(stopped.done[i + 1]?.approveStart ?? Number.POSITIVE_INFINITY, sliceEnd);
      const change = etagChanges.find((c) => c.at > p.approveStart && c.at < until && c.etag !== before);
      if (change) visible.push(change.at - p.approveStart);
      else unseen++;
    }
    publishes = {
      measured: stopped.done.filter((p) => p.start >= rec.from && p.start < rec.until).length,
      all: stopped.done.length,
      late: stopped.late,
      draft: summarize(stopped.done.map((p) => p.draftMs)),
      approve: summarize(stopped.done.map((p) => p.approveMs)),
      visible: summarize(visible),
      unseen,
    };
  }
  // How much of the window each mode's slices cover.
  const covered = new Map<Mode, number>();
  const sliceIndex = (t: number) => Math.floor((t - origin) / o.sliceMs);
  for (let i = sliceIndex(rec.from); i <= sliceIndex(rec.until); i++) {
    // Slice i, clipped to the window; counted by index (float edges could repeat a slice).
    const from = Math.max(rec.from, origin + i * o.sliceMs);
    const to = Math.min(rec.until, origin + (i + 1) * o.sliceMs);
    if (to <= from) continue;
    const mode = o.modes[((i % o.modes.length) + o.modes.length) % o.modes.length] as Mode;
    covered.set(mode, (covered.get(mode) ?? 0) + to - from);
  }
  const modes: PhaseResult["modes"] = {};
  for (const [m, t] of tallies) modes[m] = t.figure((covered.get(m) ?? 0) / 1000);
  // CPU per request: each server over the requests it answered, the rest over all of them.
  let cpuMsPerRequest: Record<string, number> | null = null;
  if (result.cpu) {
    const cpuMs = (share: number) => share * os.availableParallelism() * (rec.until - rec.from);
    const served = (ms: Mode[]) => ms.reduce((n, m) => n + (tallies.get(m)?.count ?? 0), 0);
    const all = served(o.modes);
    const fb = served(["quiet", "publishing"]);
    const bl = served(["baseline"]);
    cpuMsPerRequest = {};
    for (const [name, share] of Object.entries(result.cpu)) {
      if (name === "other" || name === "idle" || name === "steal") continue;
      const n = name === "firebreak server" ? fb : name === "baseline server" ? bl : all;
      if (n) cpuMsPerRequest[name] = cpuMs(share) / n;
    }
  }
  return {
    resource: o.resource,
    connections: o.load.clients,
    offered: o.load.rate ?? null,
    sliceMs: o.sliceMs,
    modes,
    errors: result.errors,
    firstError: result.firstError ?? null,
    wrong,
    firstWrong: firstWrong ?? null,
    late: result.late,
    cpu: result.cpu ?? null,
    cpuMsPerRequest,
    publishes,
  };
}

// -- the run -----------------------------------------------------------------------------------------

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      connections: { type: "string" },
      seconds: { type: "string" },
      warmup: { type: "string" },
      "publish-every": { type: "string" },
      slice: { type: "string" },
      "open-share": { type: "string" },
      pool: { type: "string" },
      aa: { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return;
  }
  const connections = Math.round(positiveNumber("connections", values.connections, targets.connections));
  const everyMs = positiveNumber("publish-every", values["publish-every"], 1) * 1000;
  const sliceMs = positiveNumber("slice", values.slice, 2) * 1000;
  const openShare = positiveNumber("open-share", values["open-share"], targets.openShare);
  const seconds = positiveNumber("seconds", values.seconds, 10);
  const poolSize = Math.round(
    positiveNumber(
      "pool",
      values.pool ?? process.env.DATABASE_POOL_SIZE,
      Number(settings.DATABASE_POOL_SIZE.default),
    ),
  );
  const load: LoadOptions = {
    clients: connections,
    warmupMs: positiveNumber("warmup", values.warmup, 2) * 1000,
    durationMs: seconds * 1000,
    maxIterations: 20_000_000,
    maxErrors: 1000,
  };

  // Profiles go to a fresh temp directory (they are large), named in the output.
  const profileDir = values.profile ? mkdtempSync(path.join(os.tmpdir(), "firebreak-profile-")) : undefined;
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
    const fb = await startFirebreak(db.url, poolSize, cleanup, profileDir);
    // Writers send an Idempotency-Key on every POST, as the web app does: the server runs as it would
    // once anyone has used the web app (what that costs a server's other requests: docs/benchmarks.md).
    const admin = httpClient(fb.base, {
      connections: 1,
      headers: { authorization: `Bearer ${fb.token}` },
      idempotencyKeys: true,
    });
    cleanup.add("close the admin client", () => admin.close());
    note("building the page: components, groups, incidents, maintenance…");
    const writer = await responderClient(admin, fb.base);
    cleanup.add("close the writer's client", () => writer.close());
    const setup = await buildPage(admin, writer, query);
    note(
      "unloaded: 10 publishes, each followed by GETs that rebuild and then hit the cache; then 40 more for their CPU…",
    );
    const probe = await rebuildProbe(admin, setup.live, 10, {
      "firebreak server": { tree: fb.child.proc.pid ?? 0 },
      ...(pgPid ? { postgres: { tree: pgPid } } : {}),
    });
    const fixed = {
      html: await fetchFixed(fb.base, paths.html),
      json: await fetchFixed(fb.base, paths.json),
    };
    note(
      `page: ${setup.components} components in ${setup.groups} groups; HTML ${int(fixed.html.body.length)} bytes, summary.json ${int(fixed.json.body.length)} bytes`,
    );
    note("starting the baseline node:http server…");
    const bl = await startBaseline([fixed.html, fixed.json], cleanup, profileDir);

    load.cpu = (): CpuGroups => ({
      "load generator": { self: process.pid },
      "firebreak server": { tree: fb.child.proc.pid ?? 0 },
      "baseline server": { tree: bl.child.proc.pid ?? 0 },
      ...(pgPid ? { postgres: { tree: pgPid } } : {}),
    });
    const slices = `${sliceMs / 1000} s slices`;
    // Each mode gets the same number of whole slices: at least --seconds of them.
    const perMode = Math.ceil(load.durationMs / sliceMs) * sliceMs;
    const results: PhaseResult[] = [];
    const calibrations: Partial<Record<Resource, Calibration>> = {};
    let published = false;
    for (const resource of ["html", "json"] as const) {
      // Closed loop: the baseline, Firebreak quiet and Firebreak publishing in turn.
      const closedModes: Mode[] = ["baseline", "quiet", "publishing"];
      const closedMs = closedModes.length * perMode;
      note(
        `${resourceName[resource]}, closed loop: ${connections} connections, ${slices} in turn ${closedModes.join(" → ")}, ${load.warmupMs / 1000} s warm-up + ${closedMs / 1000} s…`,
      );
      const closed = await phase({
        resource,
        modes: closedModes,
        ports: { baseline: bl.port, firebreak: fb.port },
        load: { ...load, durationMs: closedMs },
        sliceMs,
        expectBytes: fixed[resource].body.length,
        publish: { admin, live: setup.live, everyMs, publish: !values.aa },
        published,
      });
      published = true;
      results.push(closed);
      // The same closed loop at fewer connections: the baseline and Firebreak quiet in turn.
      const few = Math.min(targets.fewConnections, connections);
      const fewModes: Mode[] = ["baseline", "quiet"];
      note(
        `${resourceName[resource]}, closed loop: ${few} connections, ${slices} in turn ${fewModes.join(" → ")}, ${load.warmupMs / 1000} s warm-up + ${(fewModes.length * perMode) / 1000} s…`,
      );
      results.push(
        await phase({
          resource,
          modes: fewModes,
          ports: { baseline: bl.port, firebreak: fb.port },
          load: { ...load, clients: few, durationMs: fewModes.length * perMode },
          sliceMs,
          expectBytes: fixed[resource].body.length,
          publish: { admin, live: setup.live, everyMs, publish: false },
          published,
        }),
      );
      // Open loop at a share of what Firebreak's server can answer, quiet and publishing in turn.
      // Try that share of its closed-loop rate; answering one by one costs more CPU per answer than
      // in the closed loop's bursts, so if the server is busier than the share there, lower the rate
      // until it would not be (CPU per answer as measured at the trial rate).
      const trial = Math.round((closed.modes.quiet?.requestsPerSecond ?? 1000) * openShare);
      note(
        `${resourceName[resource]}, open loop: how busy the server is at ${int(trial)}/s, 1 s warm-up + ${sliceMs / 1000} s…`,
      );
      const probeRun = await phase({
        resource,
        modes: ["quiet"],
        ports: { baseline: bl.port, firebreak: fb.port },
        load: { ...load, warmupMs: 1000, durationMs: sliceMs, rate: trial },
        sliceMs,
        expectBytes: fixed[resource].body.length,
        publish: { admin, live: setup.live, everyMs, publish: false },
        published,
      });
      const busy = (probeRun.cpu?.["firebreak server"] ?? 0) * os.availableParallelism();
      const offered = busy > openShare ? Math.round((trial * openShare) / busy) : trial;
      calibrations[resource] = { trialRate: trial, serverCpusAtTrial: busy, offered };
      const openModes: Mode[] = ["baseline", "quiet", "publishing"];
      const openMs = openModes.length * perMode;
      note(
        `${resourceName[resource]}, open loop at ${int(offered)}/s: ${slices} in turn ${openModes.join(" → ")}, ${load.warmupMs / 1000} s warm-up + ${openMs / 1000} s…`,
      );
      results.push(
        await phase({
          resource,
          modes: openModes,
          ports: { baseline: bl.port, firebreak: fb.port },
          load: { ...load, durationMs: openMs, rate: offered },
          sliceMs,
          expectBytes: fixed[resource].body.length,
          publish: { admin, live: setup.live, everyMs, publish: !values.aa },
          published,
        }),
      );
    }
    const after = {
      html: await fetchFixed(fb.base, paths.html),
      json: await fetchFixed(fb.base, paths.json),
    };
    const figures = figuresOf({
      settings: {
        connections,
        warmupSeconds: load.warmupMs / 1000,
        seconds: perMode / 1000,
        publishEverySeconds: everyMs / 1000,
        sliceSeconds: sliceMs / 1000,
        openShare,
        aa: values.aa,
        serverPoolSize: poolSize,
      },
      db,
      setup,
      probe,
      calibrations,
      bytes: {
        html: { before: fixed.html.body.length, after: after.html.body.length },
        json: { before: fixed.json.body.length, after: after.json.body.length },
      },
      load: { start: loadStart, end: loadavg() },
      runSeconds: (performance.now() - began) / 1000,
      results,
    });
    process.stdout.write(values.json ? `${JSON.stringify(figures, null, 2)}\n` : report(figures));
    if (profileDir) {
      await fb.child.stop();
      await bl.child.stop();
      const names = new Map([
        [fb.child.proc.pid, "Firebreak server"],
        [bl.child.proc.pid, "baseline server"],
      ]);
      // Only the main thread's profile (thread id 0); the others are the module loader's worker.
      for (const f of readdirSync(profileDir).filter((n) => /\.0\.\d+\.cpuprofile$/.test(n))) {
        const file = path.join(profileDir, f);
        const who = names.get(Number(f.split(".")[3])) ?? "server";
        say(`\n${who} CPU profile: ${file} (the whole run, start-up included); top self time:`);
        for (const line of topSelfTime(file, 40)) say(`  ${line}`);
      }
    }
  } finally {
    await cleanup.run();
  }
}

// -- figures and the report ------------------------------------------------------------------------------

/** How the open-loop rate of a resource was chosen. */
type Calibration = {
  /** openShare × Firebreak's closed-loop requests/s. */
  trialRate: number;
  /** The server's CPU use at the trial rate, in CPUs (1 = one busy core). */
  serverCpusAtTrial: number;
  /** The rate offered: the trial rate, lowered when the server used more than openShare of a CPU. */
  offered: number;
};

type FigureInput = {
  settings: {
    connections: number;
    warmupSeconds: number;
    seconds: number;
    publishEverySeconds: number;
    sliceSeconds: number;
    openShare: number;
    aa: boolean;
    serverPoolSize: number;
  };
  db: BenchDatabase;
  setup: Setup;
  probe: Awaited<ReturnType<typeof rebuildProbe>>;
  calibrations: Partial<Record<Resource, Calibration>>;
  bytes: Record<Resource, { before: number; after: number }>;
  load: { start: number[]; end: number[] };
  runSeconds: number;
  results: PhaseResult[];
};

const phaseLabel = (r: PhaseResult) =>
  `${resourceName[r.resource]}, ${r.offered === null ? `closed loop, ${r.connections} connections` : `open loop at ${int(r.offered)}/s`}`;

function figuresOf(f: FigureInput) {
  const byResource = (resource: Resource) => {
    const closed = f.results.find(
      (r) => r.resource === resource && r.offered === null && r.connections === f.settings.connections,
    );
    const fewer = f.results.find(
      (r) => r.resource === resource && r.offered === null && r.connections !== f.settings.connections,
    );
    const open = f.results.find((r) => r.resource === resource && r.offered !== null);
    const b = closed?.modes.baseline;
    const q = closed?.modes.quiet;
    const p = closed?.modes.publishing;
    const ob = open?.modes.baseline;
    const oq = open?.modes.quiet;
    const op = open?.modes.publishing;
    const fb = fewer?.modes.baseline;
    const fq = fewer?.modes.quiet;
    if (!closed || !open || !b || !q || !p || !ob || !oq || !op)
      throw new Error(`${resource}: a phase is missing`);
    return {
      closed,
      /** The closed loop at fewer connections (none when --connections is that few already). */
      fewer:
        fewer && fb && fq
          ? {
              connections: fewer.connections,
              phase: fewer,
              baseline: fb,
              quiet: fq,
              overBaseline: fq.requestsPerSecond / fb.requestsPerSecond,
              p99OverBaseline: fq.latency.p99 / fb.latency.p99,
            }
          : null,
      open,
      baseline: b,
      quiet: q,
      publishing: p,
      openBaseline: ob,
      openQuiet: oq,
      openPublishing: op,
      ratios: {
        overBaseline: q.requestsPerSecond / b.requestsPerSecond,
        publishingOverBaseline: p.requestsPerSecond / b.requestsPerSecond,
        publishingOverQuiet: p.requestsPerSecond / q.requestsPerSecond,
        p99OverBaseline: q.latency.p99 / b.latency.p99,
      },
    };
  };
  const html = byResource("html");
  const json = byResource("json");
  const cpus = os.availableParallelism();
  const unreliable = [
    ...(f.load.start[0]! > cpus / 2 ? [`load average ${f.load.start[0]} at the start on ${cpus} CPUs`] : []),
    ...f.results
      .filter((r) => r.cpu && r.cpu.other + r.cpu.steal > 0.1)
      .map(
        (r) =>
          `${phaseLabel(r)}: other processes (or the hypervisor) took ${Math.round(((r.cpu?.other ?? 0) + (r.cpu?.steal ?? 0)) * 100)}% of the machine`,
      ),
  ];
  // One event loop can use one CPU: 1/cpus of the machine. Near it, the client sets the pace.
  const generatorBound = f.results
    .filter((r) => r.offered === null && (r.cpu?.["load generator"] ?? 0) * cpus > 0.9)
    .map(
      (r) =>
        `${phaseLabel(r)}: the load generator used ${Math.round((r.cpu?.["load generator"] ?? 0) * cpus * 100)}% of a CPU`,
    );
  const applies =
    f.settings.connections === targets.connections && f.db.kind === "embedded" && !f.settings.aa;
  const verdicts = (["html", "json"] as const).map((resource) => {
    const x = resource === "html" ? html : json;
    const closedP99 = Math.max(x.quiet.latency.p99, x.publishing.latency.p99);
    const openP99 = Math.max(x.openQuiet.latency.p99, x.openPublishing.latency.p99);
    // Issue 21: throughput and p99 against the baseline at each connection count.
    const atCounts = [
      {
        connections: f.settings.connections,
        overBaseline: x.ratios.overBaseline,
        p99OverBaseline: x.ratios.p99OverBaseline,
      },
      ...(x.fewer ? [x.fewer] : []),
    ];
    const worstThroughput = Math.min(...atCounts.map((c) => c.overBaseline));
    const worstP99 = Math.max(...atCounts.map((c) => c.p99OverBaseline));
    const counts = atCounts.map((c) => c.connections).join(" and ");
    return {
      resource,
      throughput: {
        rule: `Firebreak ${resourceName[resource]} ≥ ${targets.overBaseline}× the baseline's requests/s at ${counts} connections`,
        value: worstThroughput,
        each: atCounts.map((c) => ({ connections: c.connections, value: c.overBaseline })),
        met: worstThroughput >= targets.overBaseline,
      },
      p99OverBaseline: {
        rule: `p99 ≤ ${targets.p99OverBaseline}× the baseline's p99 at ${counts} connections (closed loop, quiet)`,
        value: worstP99,
        each: atCounts.map((c) => ({ connections: c.connections, value: c.p99OverBaseline })),
        met: worstP99 <= targets.p99OverBaseline,
      },
      p99: {
        rule: `p99 < ${targets.p99Ms} ms at ${f.settings.connections} connections flat out, quiet and publishing`,
        value: closedP99,
        baseline: x.baseline.latency.p99,
        met: closedP99 < targets.p99Ms,
      },
      openP99: {
        rule: `p99 < ${targets.p99Ms} ms in the open loop at ${f.settings.openShare} of the server's capacity, quiet and publishing`,
        value: openP99,
        baseline: x.openBaseline.latency.p99,
        met: openP99 < targets.p99Ms,
      },
      publishing: {
        rule: `requests/s while publishing ≥ ${targets.publishingOverQuiet}× quiet (closed loop), and the bytes change (≥ 2 ETags)`,
        value: x.ratios.publishingOverQuiet,
        etags: x.publishing.etags,
        met: x.ratios.publishingOverQuiet >= targets.publishingOverQuiet && x.publishing.etags >= 2,
      },
    };
  });
  return {
    benchmark: "statuspage",
    date: new Date().toISOString(),
    machine: { ...machine(), postgres: f.db.version, database: f.db.kind, durable: f.db.kind === "embedded" },
    source: sourceVersion(),
    load: f.load,
    unreliable,
    generatorBound,
    runSeconds: f.runSeconds,
    settings: f.settings,
    page: { ...f.setup, bytes: f.bytes },
    unloaded: f.probe,
    openLoopRates: f.calibrations,
    html,
    json,
    targets: { applies, verdicts },
  };
}

type Figures = ReturnType<typeof figuresOf>;

/** How each open-loop rate was chosen, for the report. */
function openRates(f: Figures): string {
  return (["html", "json"] as const)
    .flatMap((r) => {
      const c = f.openLoopRates[r];
      if (!c) return [];
      const how =
        c.offered === c.trialRate
          ? `${int(c.trialRate)}/s used ${c.serverCpusAtTrial.toFixed(2)} CPU`
          : `${int(c.trialRate)}/s used ${c.serverCpusAtTrial.toFixed(2)} CPU, so ${int(c.offered)}/s`;
      return [`${resourceName[r]}: ${how}`];
    })
    .join("; ");
}

function report(f: Figures): string {
  const m = f.machine;
  const s = f.settings;
  const u = f.unloaded;
  const x = (v: number) => `${v.toFixed(2)}×`;
  const phases = [
    f.html.closed,
    f.html.fewer?.phase,
    f.html.open,
    f.json.closed,
    f.json.fewer?.phase,
    f.json.open,
  ].filter((r): r is PhaseResult => r !== undefined);
  const row = (name: string, r: Figure, over: number | null) => [
    name,
    rate(r.requestsPerSecond),
    r.mbPerSecond.toFixed(0),
    int(r.latency.count),
    ms(r.latency.p50),
    ms(r.latency.p90),
    ms(r.latency.p99),
    ms(r.latency.max),
    r.stalls.count ? `${r.stalls.count} · ${r.stalls.longestMs.toFixed(0)} · ${int(r.stalls.totalMs)}` : "0",
    String(r.etags),
    over === null ? "" : x(over),
  ];
  const rows = (resource: "html" | "json") => {
    const g = f[resource];
    const name = resourceName[resource];
    const open = `open loop ${int(g.open.offered ?? 0)}/s`;
    return [
      row(`${name}: baseline node:http`, g.baseline, null),
      row(`  Firebreak`, g.quiet, g.ratios.overBaseline),
      row(`  Firebreak, publishing`, g.publishing, g.ratios.publishingOverBaseline),
      ...(g.fewer
        ? [
            row(`  baseline node:http, ${g.fewer.connections} connections`, g.fewer.baseline, null),
            row(`  Firebreak, ${g.fewer.connections} connections`, g.fewer.quiet, g.fewer.overBaseline),
          ]
        : []),
      row(`  baseline node:http, ${open}`, g.openBaseline, null),
      row(`  Firebreak, ${open}`, g.openQuiet, null),
      row(`  Firebreak, ${open}, publishing`, g.openPublishing, null),
    ];
  };
  const lines = [
    "",
    `statuspage${s.aa ? " (--aa: publishing slices published nothing)" : ""} — ${s.connections} keep-alive connections; per resource a closed-loop phase of ${3 * s.seconds} s and an open-loop one of ${3 * s.seconds} s (each after ${s.warmupSeconds} s warm-up), in ${s.sliceSeconds} s slices taking turns; publishing every ${s.publishEverySeconds} s in publishing slices`,
    `source: ${f.source}`,
    `machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres} (${m.database}${m.durable ? ", durable" : ""}); server pool ${s.serverPoolSize}; run took ${f.runSeconds.toFixed(0)} s`,
    `load average (1/5/15 min): ${f.load.start.join(" ")} at the start, ${f.load.end.join(" ")} at the end`,
    `page: ${f.page.components} components (${f.page.groups} groups of 6, 2 alone), ${f.page.incidents} incidents (1 open), ${f.page.maintenances} maintenances, ${f.page.updates} updates published while building it, ${f.page.historyRows} past status changes`,
    `      HTML ${int(f.page.bytes.html.before)} bytes (${int(f.page.bytes.html.after)} at the end), summary.json ${int(f.page.bytes.json.before)} bytes (${int(f.page.bytes.json.after)} at the end)`,
    "",
    `unloaded, one request at a time (${u.publishes} publishes): a publish (draft + approve) p50 ${ms(u.publish.p50)} ms;`,
    `  first GET after a publish (rebuilt from the database): HTML p50 ${ms(u.htmlRebuild.p50)} / max ${ms(u.htmlRebuild.max)} ms, summary.json p50 ${ms(u.jsonRebuild.p50)} / max ${ms(u.jsonRebuild.max)} ms`,
    `  the next GET (cached bytes): HTML p50 ${ms(u.htmlCached.p50)} ms, summary.json p50 ${ms(u.jsonCached.p50)} ms`,
    ...(u.cpuMsPerPublish
      ? [
          `  CPU per publish (${u.cpuPublishes} back to back, each rebuilding both resources): ${Object.entries(
            u.cpuMsPerPublish,
          )
            .map(([k, v]) => `${k} ${ms(v)} ms`)
            .join(" · ")}`,
        ]
      : []),
    "",
    table([
      [
        "",
        "requests/s",
        "MB/s",
        "requests",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "stalls · longest · total ms",
        "ETags",
        "÷ baseline",
      ],
      ...rows("html"),
      ...rows("json"),
    ]),
    "",
    "closed loop: every connection sends again as soon as it has an answer; latency from sending to the last byte.",
    `open loop: paced over the ${s.connections} connections at ${s.openShare}× Firebreak's closed-loop rate, or lower so that its server uses at most ${s.openShare} of a CPU (${openRates(f)}); latency from when a request was due.`,
    `Each row is the slices of its kind (${s.seconds} s in all); a row's requests/s is over those slices.`,
    `stalls: gaps of ≥ ${STALL_MS} ms in which no connection got an answer.`,
    "",
    `publishing ÷ quiet (closed loop, requests/s): HTML ${x(f.html.ratios.publishingOverQuiet)} · summary.json ${x(f.json.ratios.publishingOverQuiet)}`,
    `p99 ÷ baseline p99 (closed loop, quiet), ${s.connections} connections: HTML ${x(f.html.ratios.p99OverBaseline)} · summary.json ${x(f.json.ratios.p99OverBaseline)}`,
    ...(f.html.fewer && f.json.fewer
      ? [
          `p99 ÷ baseline p99 (closed loop, quiet), ${f.html.fewer.connections} connections: HTML ${x(f.html.fewer.p99OverBaseline)} · summary.json ${x(f.json.fewer.p99OverBaseline)}`,
        ]
      : []),
  ];
  for (const r of phases) {
    const p = r.publishes;
    if (!p) continue;
    lines.push(
      `publishing, ${phaseLabel(r)}: ${p.measured} publishes in the measured window (${p.all} in all${p.late ? `, ${p.late} late` : ""}); draft p50/max ${ms(p.draft.p50)}/${ms(p.draft.max)} ms, approve p50/max ${ms(p.approve.p50)}/${ms(p.approve.max)} ms;`,
      `  approve sent → other bytes first served: p50 ${ms(p.visible.p50)} ms, max ${ms(p.visible.max)} ms (${p.visible.count} of ${p.all} publishes${p.unseen ? `; ${p.unseen} not seen before the next publish or the end of their slice` : ""})`,
    );
  }
  lines.push("");
  for (const r of phases) {
    if (!r.cpu) continue;
    const per = r.cpuMsPerRequest
      ? Object.entries(r.cpuMsPerRequest)
          .filter(([, v]) => v >= 0.0005)
          .map(([k, v]) => `${k} ${v.toFixed(3)}`)
          .join(" · ")
      : "";
    lines.push(`CPU, ${phaseLabel(r)}: ${formatCpu(r.cpu)}`, `  CPU ms per request answered: ${per}`);
  }
  lines.push(`(CPU shares are of all ${m.cpus} CPUs = 100%)`);
  const problems: string[] = [];
  for (const r of phases) {
    if (r.errors)
      problems.push(`${phaseLabel(r)}: ${int(r.errors)} requests failed (first: ${r.firstError})`);
    if (r.wrong)
      problems.push(`${phaseLabel(r)}: ${int(r.wrong)} unexpected answers (first: ${r.firstWrong})`);
    if ((r.modes.baseline?.etags ?? 0) > 1)
      problems.push(`${phaseLabel(r)}: the baseline served several ETags`);
    if (r.publishes?.late) problems.push(`${phaseLabel(r)}: ${r.publishes.late} publishes started late`);
  }
  for (const g of ["html", "json"] as const)
    if (!s.aa && f[g].publishing.etags < 2)
      problems.push(`${resourceName[g]}: the bytes did not change while publishing`);
  for (const p of problems) lines.push(`PROBLEM: ${p}`);
  for (const r of phases.filter((r) => r.late))
    lines.push(
      `late: ${phaseLabel(r)}: ${int(r.late)} requests started more than one interval after they were due (behind a slow answer on their connection); their latency counts from when they were due`,
    );
  for (const g of f.generatorBound)
    lines.push(`WARNING: ${g}: it may have set the pace, so requests/s there is a lower bound`);
  for (const w of f.unreliable) lines.push(`WARNING: figures are unreliable — ${w}`);
  lines.push("");
  if (!f.targets.applies)
    lines.push(
      `(targets are for ${targets.connections} connections on the embedded database, publishing; this run is not that)`,
    );
  const verdict = (met: boolean) => (met ? "MET" : "MISSED");
  for (const v of f.targets.verdicts) {
    const name = resourceName[v.resource];
    lines.push(
      `target (${v.throughput.rule}): ${verdict(v.throughput.met)} — ${v.throughput.each.map((e) => `${x(e.value)} at ${e.connections}`).join(", ")}`,
      `target (${name} ${v.p99OverBaseline.rule}): ${verdict(v.p99OverBaseline.met)} — ${v.p99OverBaseline.each.map((e) => `${x(e.value)} at ${e.connections}`).join(", ")}`,
      `target (${name} ${v.p99.rule}): ${verdict(v.p99.met)} — worst p99 ${ms(v.p99.value)} ms (the baseline's: ${ms(v.p99.baseline)} ms)`,
      `target (${name} ${v.openP99.rule}): ${verdict(v.openP99.met)} — worst p99 ${ms(v.openP99.value)} ms (the baseline's: ${ms(v.openP99.baseline)} ms)`,
      `target (${name} ${v.publishing.rule}): ${verdict(v.publishing.met)} — ${x(v.publishing.value)}, ${v.publishing.etags} ETags`,
    );
  }
  lines.push("");
  return lines.join("\n");
}
