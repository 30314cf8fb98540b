/**
 * Database faults as `firebreak serve` meets them (issue 14, hole 2): PostgreSQL frozen (every
 * one of its processes stopped with SIGSTOP: sockets open, nothing answers), then stopped outright
 * (connections refused). Each request must answer 503 with Retry-After within seconds, never
 * hang and never 500; the status page keeps serving; and Firebreak recovers without a restart.
 *
 * The test runs a PostgreSQL of its own (never the machine's, nor the shared test server) and real
 * processes, so it waits in real time where it must: about 40 s in all.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedServer, freePort, startEmbedded } from "../../src/platform/embedded.ts";
import { createLogger } from "../../src/platform/logger.ts";
import { type Running, startServe, waitReady } from "../support/serve.ts";

const token = "fault-test-admin-token-0123456789abcdef";
const metricsToken = "fault-test-metrics-token-0123456789";
/** Short deadlines, so the faults show within seconds (the defaults are 5 s and 10 s). */
const settings = {
  DATABASE_CONNECT_TIMEOUT_MS: "1000",
  DATABASE_STATEMENT_TIMEOUT_MS: "1500",
  READYZ_TIMEOUT_MS: "1000",
};
/** How long any request may take while the database is away: the deadlines plus slack. */
const ANSWER_WITHIN_MS = 6_000;

const log = createLogger("warn");
let dir: string;
let pgPort: number;
let database: EmbeddedServer | undefined;
let serve: Running;
let metricsPort: number;
let frozen: number[] = [];

/** The postmaster and every process it started (backends, checkpointer, WAL writer…). */
function postgresProcesses(): number[] {
  const postmaster = Number(readFileSync(path.join(dir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
  const children = readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after ")".
        const stat = readFileSync(`/proc/${p}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === postmaster;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

function signalAll(pids: number[], signal: NodeJS.Signals) {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // exited meanwhile
    }
  }
}

const base = () => `http://127.0.0.1:${serve.port}`;

/** A request that gives up after 15 s, with how long it took. */
async function timed(method: string, p: string, body?: unknown) {
  const started = Date.now();
  const res = await fetch(base() + p, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, ms: Date.now() - started };
}

const declareBody = (title: string) => ({ title, type: "GitLab.com", severity: "S3", status: "active" });

/** The API's answers while the database is away: 503 problem+json with Retry-After, in time. */
async function expectUnavailable(what: string) {
  const answers = await Promise.all([
    timed("GET", "/readyz"),
    timed("GET", "/api/v1/incidents"),
    timed("POST", "/api/v1/incidents", declareBody(`during ${what}`)),
  ]);
  for (const [i, r] of answers.entries()) {
    const label = `${what}: ${["/readyz", "list", "declare"][i]} ${r.text}`;
    expect(r.status, label).toBe(503);
    expect(r.headers.get("retry-after"), label).toMatch(/^\d+$/);
    expect(r.headers.get("content-type"), label).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(r.text).code, label).toBe("unavailable");
    expect(r.ms, label).toBeLessThan(ANSWER_WITHIN_MS);
  }
}

/** The status page still answers 200 with the page, from what it rendered last. */
async function expectStatusPageServes(what: string) {
  const r = await timed("GET", "/status/default");
  expect(r.status, `${what}: the status page`).toBe(200);
  expect(r.text).toContain("<!doctype html>");
  expect(r.ms, `${what}: the status page`).toBeLessThan(ANSWER_WITHIN_MS);
}

/** Polls until a declare succeeds and /readyz is 200: the recovery, without a restart. */
async function expectRecovery(what: string, limitMs = 15_000) {
  const deadline = Date.now() + limitMs;
  let last = "";
  while (Date.now() < deadline) {
    const ready = await timed("GET", "/readyz").catch((e) => ({ status: 0, text: String(e) }));
    const declared = await timed("POST", "/api/v1/incidents", declareBody(`after ${what}`)).catch((e) => ({
      status: 0,
      text: String(e),
    }));
    if (ready.status === 200 && declared.status === 201) return;
    last = `readyz ${ready.status} ${ready.text}; declare ${declared.status} ${declared.text}`;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no recovery within ${limitMs} ms after ${what}: ${last}\n${serve.output()}`);
}

async function expectJobsRun(what: string) {
  const admin = new pg.Client({ connectionString: database?.url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ id: string }>(
      "SELECT id FROM graphile_worker.add_job('heartbeat.check', '{\"heartbeatId\": -1}'::json)",
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const left = await admin.query("SELECT 1 FROM graphile_worker._private_jobs WHERE id = $1", [
        rows[0]?.id,
      ]);
      if (left.rowCount === 0) return;
      if (Date.now() > deadline) throw new Error(`no job ran after ${what}:\n${serve.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.end();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "firebreak-faults-"));
  pgPort = await freePort();
  database = await startEmbedded(dir, log, { durable: false, port: pgPort });
  metricsPort = await freePort();
  serve = await startServe({
    DATABASE_URL: database.url,
    FIREBREAK_DATA_DIR: path.join(dir, "app"),
    FIREBREAK_BOOTSTRAP_TOKEN: token,
    METRICS_TOKEN: metricsToken,
    METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
    ...settings,
  });
  await waitReady(serve);
}, 90_000);

afterAll(async () => {
  signalAll(frozen, "SIGCONT");
  serve?.child.kill("SIGTERM");
  await serve?.exited;
  await database?.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe("a frozen or stopped database", () => {
  it("answers 503 with Retry-After at once, keeps the status page, and recovers without a restart", {
    timeout: 90_000,
  }, async () => {
    // Traffic first: an incident, and the status page rendered and cached.
    expect((await timed("POST", "/api/v1/incidents", declareBody("before the faults"))).status).toBe(201);
    expect((await timed("GET", "/api/v1/incidents")).status).toBe(200);
    await expectStatusPageServes("before the faults");

    // Frozen: every PostgreSQL process stopped; connections stay open and nothing answers.
    frozen = postgresProcesses();
    expect(frozen.length).toBeGreaterThan(3);
    signalAll(frozen, "SIGSTOP");
    await expectUnavailable("the freeze");
    await expectStatusPageServes("the freeze");
    // Again, after the connections that were open have timed out and been dropped.
    await expectUnavailable("the freeze, later");
    signalAll(frozen, "SIGCONT");
    frozen = [];
    await expectRecovery("the freeze");

    // The job runner survived it: a job added now runs (a check of a heartbeat that does not exist
    // finishes at once, and a finished job's row is deleted).
    await expectJobsRun("the freeze");

    // Stopped: connections refused. 503, not 500.
    await database?.stop();
    await expectUnavailable("the stop");
    await expectStatusPageServes("the stop");
    database = await startEmbedded(dir, log, { durable: false, port: pgPort });
    await expectRecovery("the restart of PostgreSQL");
    await expectJobsRun("the restart of PostgreSQL");
    expect(serve.child.exitCode).toBeNull();
  });

  it("serves /metrics on METRICS_LISTEN without a token, and on the main port only with METRICS_TOKEN", async () => {
    const open = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(open.status).toBe(200);
    expect(await open.text()).toContain("firebreak_http_request_duration_seconds");
    const main = (headers: Record<string, string>) => fetch(`${base()}/metrics`, { headers });
    expect((await main({})).status).toBe(401);
    // With METRICS_LISTEN set, an admin's token does not read them on the main port.
    expect((await main({ authorization: `Bearer ${token}` })).status).toBe(401);
    expect((await main({ authorization: `Bearer ${metricsToken}` })).status).toBe(200);
  });
});
