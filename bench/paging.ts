/**
 * `npm run bench -- paging`: the two paging figures of issue 4, against a real `firebreak serve` in
 * a child process on a durable embedded PostgreSQL, with a real SMTP server on loopback.
 *
 * 1. Page-to-delivery latency: `POST /api/v1/pages` at a steady rate until the SMTP server has the
 *    message (each page for its own user, so the per-contact-method throttle never batches two).
 *    Baseline, same run: direct nodemailer sends (one pooled transport, same rate) to the same
 *    SMTP server. Target: Firebreak p99 < 250 ms.
 * 2. Timer precision: N (10,000) pages on a two-level policy, triggered as fast as the API allows,
 *    so their level-1 timers fall due within the same minute; lateness = the level-1
 *    `page-escalated` event's time minus the timer's due time (the level-0 escalation + 1 minute,
 *    which is exactly the job's run_at). Baseline, same run: N no-op graphile-worker jobs due with
 *    the same spread, run by a runner in this process with Firebreak's concurrency (4) and poll
 *    interval. Target: Firebreak p99 < 1 s.
 * 3. Phones (issue 16): the same pages to verified ntfy topics and SMS numbers, until a local
 *    server speaking ntfy's publish API / Twilio's Messages API has the request. Baseline, same
 *    run: a bare HTTP POST of the same shape to that server. Target: p99 < 100 ms each.
 *
 * Everything stays on 127.0.0.1; every loop is bounded by count and by time.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Logger as GraphileLogger, type Runner, run as runWorker } from "graphile-worker";
import { createTransport } from "nodemailer";
import pg from "pg";
import { SMTPServer } from "smtp-server";
import {
  type BenchDatabase,
  type Child,
  Cleanup,
  type CpuGroups,
  type CpuShares,
  cpuWindow,
  rate as fmtRate,
  formatCpu,
  type HttpClient,
  type HttpReply,
  httpClient,
  machine,
  ms,
  openBenchDatabase,
  positiveNumber,
  postmasterPid,
  runLoad,
  type Stats,
  say,
  startFirebreakServer,
  summarize,
  table,
} from "./lib.ts";
import { barePost, closeBaselineAgent, startReceiver } from "./receiver.ts";

export const description =
  "page → SMTP delivery latency vs direct nodemailer; page → ntfy publish and page → SMS request at Twilio's API, each vs a bare POST; 10,000 escalation timers' lateness vs no-op graphile-worker jobs";

const targets = { deliveryP99Ms: 250, timerP99Ms: 1000, phoneP99Ms: 100 } as const;
/** Firebreak's worker: `jobs.start()` in src/platform/jobs.ts (concurrency 4, pollInterval 200). */
const WORKER = { concurrency: 4, pollInterval: 200 } as const;
const WARMUP_MS = 2000;
const LEVEL_TIMEOUT_MS = 60_000;

const usage = `usage: npm run bench -- paging [options]
  --rate R        delivery phase: pages a second (default 10)
  --seconds S     delivery phase: measured seconds (default 30; plus ${WARMUP_MS / 1000} s warm-up)
  --timers N      timer phase: escalations due in the same minute (default 10000)
  --clients N     timer phase: concurrent clients triggering the pages (default 16)
  --quick         smoke run: --seconds 5 --timers 500 (still waits the timers' minute)
  --json          print the figures as JSON
`;

// -- small helpers --------------------------------------------------------------------------------

const sleep = (msec: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, msec)));
const wallNow = () => performance.timeOrigin + performance.now();
const loadedAt = performance.now();
/** Progress on stderr, stamped with the seconds since the start. */
const note = (line: string) =>
  say(`[${((performance.now() - loadedAt) / 1000).toFixed(0).padStart(3)} s] ${line}`);
const loadavg = () => os.loadavg().map((l) => Number(l.toFixed(2)));

function expectStatus(reply: HttpReply, status: number, what: string): void {
  if (reply.status !== status) {
    throw new Error(`${what}: expected HTTP ${status}, got ${reply.status}: ${reply.body.slice(0, 300)}`);
  }
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function eachLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
    }),
  );
  return out;
}

// -- the SMTP server on loopback ------------------------------------------------------------------

/** Where messages arrive, with when each did (performance.now()), by key. */
type Receiver = { arrivals: Map<string, number> };

type Smtp = {
  url: string;
  /** performance.now() when the DATA of a message ended, by "page:<n>" or "baseline:<n>". */
  arrivals: Map<string, number>;
  unmatched: number;
  close(): Promise<void>;
};

async function startSmtp(): Promise<Smtp> {
  const arrivals = new Map<string, number>();
  const smtp: Smtp = { url: "", arrivals, unmatched: 0, close: async () => undefined };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    size: 1 << 20,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const at = performance.now();
        const raw = Buffer.concat(chunks).toString("utf8");
        const headers = raw.slice(0, raw.indexOf("\r\n\r\n"));
        const m = /^Subject: .*\bbench (page|baseline) (\d+)\b/im.exec(headers);
        if (m) arrivals.set(`${m[1]}:${m[2]}`, at);
        else smtp.unmatched++;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  smtp.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  smtp.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return smtp;
}

/** Waits until every key has arrived, or `timeoutMs`; returns the keys still missing. */
async function awaitArrivals(smtp: Receiver, keys: string[], timeoutMs: number): Promise<string[]> {
  const deadline = performance.now() + timeoutMs;
  let missing = keys.filter((k) => !smtp.arrivals.has(k));
  while (missing.length && performance.now() < deadline) {
    await sleep(100);
    missing = missing.filter((k) => !smtp.arrivals.has(k));
  }
  return missing;
}

// -- Firebreak in a child process, and driving its API --------------------------------------------

type Server = { child: Child; base: string; admin: HttpClient; token: string };

/** Twilio as the bench's receiver answers it: any account, the number texts come from. */
const TWILIO = { sid: `AC${"0".repeat(32)}`, token: "bench-auth-token", from: "+15005550006" } as const;

async function startFirebreak(
  url: string,
  smtpUrl: string,
  phones: string,
  cleanup: Cleanup,
): Promise<Server> {
  const { child, base, token } = await startFirebreakServer({
    url,
    cleanup,
    env: (base) => ({
      FIREBREAK_PUBLIC_URL: base,
      SMTP_URL: smtpUrl,
      TWILIO_ACCOUNT_SID: TWILIO.sid,
      TWILIO_AUTH_TOKEN: TWILIO.token,
      TWILIO_FROM: TWILIO.from,
      TWILIO_API_BASE: phones,
      OUTBOUND_ALLOWED_HOSTS: new URL(phones).hostname,
    }),
  });
  const admin = httpClient(base, { connections: 32, headers: { authorization: `Bearer ${token}` } });
  cleanup.add("close the HTTP client", () => admin.close());
  return { child, base, admin, token };
}

/** Setup only (not measured): a request with someone else's token. */
async function callAs(token: string, s: Server, method: string, path: string, body: unknown, status: number) {
  const res = await fetch(`${s.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  expectStatus({ status: res.status, body: text }, status, `${method} ${path}`);
  return JSON.parse(text) as { id: number; token?: string };
}

type Pageable = { userId: number; policyId: number };

/**
 * A user with one contact method (email unless told), a high-urgency rule with delay 0, and a
 * single-level policy of their own: paging it sends one message at once, never throttled by
 * another page. A phone method is verified with the code it was sent (`code` reads it).
 */
async function pageableUser(
  s: Server,
  tag: string,
  i: number,
  contact: { kind: string; address: string; code?: () => string | undefined } = {
    kind: "email",
    address: `${tag}-${i}@bench.test`,
  },
): Promise<Pageable> {
  const u = await callAs(
    s.token,
    s,
    "POST",
    "/api/v1/users",
    {
      username: `bench-${tag}-${i}`,
      name: `Bench ${tag} ${i}`,
      role: "responder",
    },
    201,
  );
  const t = await callAs(s.token, s, "POST", `/api/v1/users/${u.id}/tokens`, { name: "bench" }, 201);
  const userToken = t.token ?? "";
  const cm = await callAs(
    userToken,
    s,
    "POST",
    "/api/v1/me/contact-methods",
    { kind: contact.kind, address: contact.address, label: "work" },
    201,
  );
  if (contact.code) {
    let code = contact.code();
    for (const until = Date.now() + 10_000; !code && Date.now() < until; code = contact.code())
      await sleep(20);
    if (!code) throw new Error(`no verification code reached ${contact.address}`);
    await callAs(userToken, s, "POST", `/api/v1/me/contact-methods/${cm.id}/verify`, { code }, 200);
  }
  await callAs(
    userToken,
    s,
    "POST",
    "/api/v1/me/notification-rules",
    {
      contactMethodId: cm.id,
      urgency: "high",
      delayMinutes: 0,
    },
    201,
  );
  const p = await callAs(
    s.token,
    s,
    "POST",
    "/api/v1/escalation-policies",
    {
      name: `bench ${tag} ${i}`,
      levels: [{ timeoutMinutes: 30, targets: [{ kind: "user", id: u.id }] }],
    },
    201,
  );
  return { userId: u.id, policyId: p.id };
}

/** A policy of two levels, each a user without notification rules: escalation alone, no email. */
async function timerPolicy(s: Server): Promise<number> {
  const ids: number[] = [];
  for (const level of [0, 1]) {
    const u = await callAs(
      s.token,
      s,
      "POST",
      "/api/v1/users",
      {
        username: `bench-timer-l${level}`,
        name: `Bench timer level ${level}`,
        role: "responder",
      },
      201,
    );
    ids.push(u.id);
  }
  const p = await callAs(
    s.token,
    s,
    "POST",
    "/api/v1/escalation-policies",
    {
      name: "bench timers",
      levels: ids.map((id) => ({
        timeoutMinutes: LEVEL_TIMEOUT_MS / 60_000,
        targets: [{ kind: "user", id }],
      })),
    },
    201,
  );
  return p.id;
}

// -- 1. delivery ------------------------------------------------------------------------------------

type DeliveryResult = {
  /** From the API call (or sendMail) to the SMTP server having the message, pages started in the window. */
  delivery: Stats;
  /** The API's answer (Firebreak) or sendMail's resolution after the server's 250 (baseline). */
  call: Stats;
  sent: number;
  missing: number;
  errors: number;
  firstError?: string;
  late: number;
  cpu?: CpuShares;
};

type DeliveryOpts = { rate: number; seconds: number; cpu: () => CpuGroups };

/** Open loop at `rate`; `send(n)` starts item n; its arrival at the SMTP server is `key(n)`. */
async function deliveryLoad(
  smtp: Receiver,
  o: DeliveryOpts,
  maxItems: number,
  key: (n: number) => string,
  send: (n: number) => Promise<void>,
): Promise<DeliveryResult & { measured: Set<number> }> {
  const started = new Map<number, number>();
  let from = 0;
  const r = await runLoad(
    {
      clients: 4,
      warmupMs: WARMUP_MS,
      durationMs: o.seconds * 1000,
      maxIterations: maxItems,
      maxErrors: 20,
      rate: o.rate,
      cpu: o.cpu,
    },
    async (_c, rec, n) => {
      from = rec.from;
      const start = performance.now();
      started.set(n, start);
      await rec.time("call", () => send(n));
    },
  );
  // Wait for every message sent (warm-up ones too, so none arrives during the next phase).
  const keys = [...started.keys()].map(key);
  const missing = await awaitArrivals(smtp, keys, 30_000);
  const latencies: number[] = [];
  const measured = new Set<number>();
  for (const [n, start] of started) {
    if (start < from) continue;
    measured.add(n);
    const at = smtp.arrivals.get(key(n));
    if (at !== undefined) latencies.push(at - start);
  }
  return {
    delivery: summarize(latencies),
    call: r.recorder.stats("call"),
    sent: started.size,
    missing: missing.length,
    errors: r.errors,
    firstError: r.firstError,
    late: r.late,
    cpu: r.cpu,
    measured,
  };
}

/** Where a Firebreak delivery's time went, from the rows it wrote (wall clock, ms). */
async function deliveryStages(pool: pg.Pool, pageIds: number[]) {
  const { rows } = await pool.query<{ id: number; c: string; e0: string; d: string; s: string; t: string }>(
    `SELECT p.id,
            extract(epoch FROM p.created_at) * 1000 AS c,
            extract(epoch FROM e0.at) * 1000 AS e0,
            extract(epoch FROM d.created_at) * 1000 AS d,
            extract(epoch FROM d.attempt_started_at) * 1000 AS s,
            extract(epoch FROM d.sent_at) * 1000 AS t
       FROM pages p
       JOIN page_events e0 ON e0.page_id = p.id AND e0.kind = 'page-escalated' AND e0.data->>'level' = '0'
       JOIN deliveries d ON p.id = ANY (d.page_ids)
      WHERE p.id = ANY ($1::bigint[])`,
    [pageIds],
  );
  const stage = (f: (r: (typeof rows)[number]) => number) => summarize(rows.map(f));
  return {
    rows: rows.length,
    escalateJob: stage((r) => Number(r.e0) - Number(r.c)),
    flushJob: stage((r) => Number(r.d) - Number(r.e0)),
    sendJob: stage((r) => Number(r.s) - Number(r.d)),
    smtpSend: stage((r) => Number(r.t) - Number(r.s)),
  };
}

async function firebreakDelivery(
  s: Server,
  smtp: Receiver,
  users: Pageable[],
  pool: pg.Pool,
  o: DeliveryOpts,
  kind = "page",
) {
  const pageIdOf = new Map<number, number>();
  const r = await deliveryLoad(
    smtp,
    o,
    users.length,
    (n) => `${kind}:${n}`,
    async (n) => {
      const u = users[n - 1];
      if (!u) throw new Error(`no user left for page ${n}`);
      const reply = await s.admin.request("POST", "/api/v1/pages", {
        policyId: u.policyId,
        title: `bench ${kind} ${n}`,
        urgency: "high",
      });
      expectStatus(reply, 201, "POST /api/v1/pages");
      pageIdOf.set(n, (JSON.parse(reply.body) as { id: number }).id);
    },
  );
  // Where the time of the measured pages went (the warm-up's are left out, as above).
  const measuredIds = [...r.measured].flatMap((n) => pageIdOf.get(n) ?? []);
  const stages = await deliveryStages(pool, measuredIds);
  const { measured: _, ...rest } = r;
  return { ...rest, measuredPages: measuredIds.length, stages };
}

async function baselineDelivery(smtp: Smtp, o: DeliveryOpts, maxItems: number) {
  // As src/notify/email.ts builds its transport: pooled connections, the same server.
  const transport = createTransport({ url: smtp.url, pool: true });
  const text = `• bench baseline (high urgency) — acknowledge: http://127.0.0.1/ack/${randomBytes(24).toString("base64url")}`;
  try {
    const r = await deliveryLoad(
      smtp,
      o,
      maxItems,
      (n) => `baseline:${n}`,
      async (n) => {
        await transport.sendMail({
          from: "Firebreak <firebreak@localhost>",
          to: `baseline-${n}@bench.test`,
          subject: `[Firebreak] Page: bench baseline ${n}`,
          text,
          html: `<!doctype html><html><body><p>${text}</p></body></html>`,
        });
      },
    );
    const { measured: _, ...rest } = r;
    return rest;
  } finally {
    transport.close();
  }
}

// -- 2. timers --------------------------------------------------------------------------------------

type TimerResult = {
  lateness: Stats;
  count: number;
  missing: number;
  /** First to last due time, ms. */
  spreadMs: number;
  cpu?: CpuShares;
};

async function escalationCounts(pool: pg.Pool, policyId: number) {
  const { rows } = await pool.query<{ l0: number; l1: number }>(
    `SELECT count(*) FILTER (WHERE e.data->>'level' = '0')::int AS l0,
            count(*) FILTER (WHERE e.data->>'level' = '1')::int AS l1
       FROM page_events e JOIN pages p ON p.id = e.page_id
      WHERE p.policy_id = $1 AND e.kind = 'page-escalated'`,
    [policyId],
  );
  return rows[0] ?? { l0: 0, l1: 0 };
}

async function timerRows(pool: pg.Pool, policyId: number) {
  const { rows } = await pool.query<{ c: string; l0: string; l1: string | null }>(
    `SELECT extract(epoch FROM p.created_at) * 1000 AS c,
            extract(epoch FROM e0.at) * 1000 AS l0,
            extract(epoch FROM e1.at) * 1000 AS l1
       FROM pages p
       JOIN page_events e0 ON e0.page_id = p.id AND e0.kind = 'page-escalated' AND e0.data->>'level' = '0'
       LEFT JOIN page_events e1 ON e1.page_id = p.id AND e1.kind = 'page-escalated' AND e1.data->>'level' = '1'
      WHERE p.policy_id = $1`,
    [policyId],
  );
  return rows.map((r) => ({
    created: Number(r.c),
    l0: Number(r.l0),
    l1: r.l1 === null ? null : Number(r.l1),
  }));
}

/**
 * Triggers `count` pages as fast as `clients` closed-loop clients can, waits for their level-0
 * escalations, then for every level-1 escalation.
 */
async function firebreakTimers(
  s: Server,
  pool: pg.Pool,
  o: { count: number; clients: number; cpu: () => CpuGroups },
) {
  const policyId = await timerPolicy(s);
  const t0 = performance.now();
  // Where the CPU goes while pages are triggered: seconds 2 to 12 (a sample; --quick ends sooner).
  const triggerCpu = cpuWindow(o.cpu, 2000, 10_000);
  const trig = await runLoad(
    { clients: o.clients, warmupMs: 0, durationMs: 150_000, maxIterations: o.count, maxErrors: 20 },
    async (_c, rec, n) => {
      const reply = await rec.time("trigger", () =>
        s.admin.request("POST", "/api/v1/pages", { policyId, title: `bench timer ${n}`, urgency: "high" }),
      );
      expectStatus(reply, 201, "POST /api/v1/pages");
    },
  );
  const triggerSeconds = (performance.now() - t0) / 1000;
  const triggered = trig.iterations - trig.errors;
  note(
    `  triggered ${triggered} pages in ${triggerSeconds.toFixed(1)} s; waiting for their level-0 escalations…`,
  );
  let counts = await escalationCounts(pool, policyId);
  for (
    const deadline = performance.now() + 120_000;
    counts.l0 < triggered && performance.now() < deadline;
  ) {
    await sleep(500);
    counts = await escalationCounts(pool, policyId);
  }
  const level0Done = performance.now();
  const { rows: spanRows } = await pool.query<{ first: string; last: string }>(
    `SELECT extract(epoch FROM min(e.at)) * 1000 AS first, extract(epoch FROM max(e.at)) * 1000 AS last
       FROM page_events e JOIN pages p ON p.id = e.page_id
      WHERE p.policy_id = $1 AND e.kind = 'page-escalated' AND e.data->>'level' = '0'`,
    [policyId],
  );
  const firstDue = Number(spanRows[0]?.first) + LEVEL_TIMEOUT_MS;
  const lastDue = Number(spanRows[0]?.last) + LEVEL_TIMEOUT_MS;
  note(
    `  timers due from ${new Date(firstDue).toISOString()} to ${new Date(lastDue).toISOString()}; waiting…`,
  );
  // CPU over the window in which the timers fall due (and 2 s after).
  const cpuPromise = cpuWindow(o.cpu, firstDue - wallNow(), lastDue - firstDue + 2000);
  await sleep(lastDue - wallNow() + 500);
  for (const deadline = performance.now() + 60_000; counts.l1 < counts.l0 && performance.now() < deadline; ) {
    counts = await escalationCounts(pool, policyId);
    if (counts.l1 < counts.l0) await sleep(500);
  }
  const cpu = await cpuPromise;
  const rows = await timerRows(pool, policyId);
  const lateness = rows.flatMap((r) => (r.l1 === null ? [] : [r.l1 - (r.l0 + LEVEL_TIMEOUT_MS)]));
  // Timers that fell due while level-0 escalations were still queued wait behind them (the worker
  // takes the earliest run_at first); the others compete only with each other.
  const level0End = Math.max(...rows.map((r) => r.l0));
  const split = (behind: boolean) =>
    summarize(
      rows.flatMap((r) => {
        const due = r.l0 + LEVEL_TIMEOUT_MS;
        const wasBehind = due < level0End;
        return r.l1 !== null && wasBehind === behind ? [r.l1 - due] : [];
      }),
    );
  const level1 = rows.flatMap((r) => (r.l1 === null ? [] : [r.l1]));
  return {
    timers: {
      lateness: summarize(lateness),
      count: rows.length,
      missing: rows.filter((r) => r.l1 === null).length + (o.count - rows.length),
      spreadMs: lastDue - firstDue,
      cpu,
    } satisfies TimerResult,
    trigger: trig.recorder.stats("trigger"),
    triggersPerSecond: triggered / triggerSeconds,
    triggerErrors: trig.errors,
    triggerCpu: await triggerCpu,
    latenessDueBeforeLevel0Drained: split(true),
    latenessDueAfterLevel0Drained: split(false),
    triggerFirstError: trig.firstError,
    /** Trigger to level-0 escalation (the immediate job) while the pages were being triggered. */
    level0: summarize(rows.map((r) => r.l0 - r.created)),
    level0DrainSeconds: (level0Done - t0) / 1000 - triggerSeconds,
    /** Due times relative to the first, for the baseline to reproduce. */
    dueOffsets: rows.map((r) => r.l0 + LEVEL_TIMEOUT_MS - firstDue),
    /** The worker's pace: level-0 escalations a second while pages were triggered, level-1 ones after. */
    level0PerSecond: rows.length / (Math.max(1, lastDue - firstDue) / 1000),
    level1PerSecond: level1.length / (Math.max(1, Math.max(...level1) - Math.min(...level1)) / 1000),
  };
}

/** N no-op jobs due at `dueOffsets` after a moment a few seconds ahead, run by a runner like Firebreak's. */
async function baselineTimers(url: string, dueOffsets: number[], cpu: () => CpuGroups): Promise<TimerResult> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // Its idle clients see PostgreSQL stop at the end (57P01): expected, not worth a line.
  pool.on("error", (err) => {
    if ((err as { code?: string }).code !== "57P01") note(`baseline worker pool: ${err.message}`);
  });
  const lateness: number[] = [];
  let runner: Runner | undefined;
  try {
    runner = await runWorker(
      {
        pgPool: pool,
        concurrency: WORKER.concurrency,
        pollInterval: WORKER.pollInterval,
        noHandleSignals: true,
        logger: new GraphileLogger(() => () => undefined),
      },
      {
        bench_noop: async (_payload, helpers) => {
          lateness.push(Date.now() - helpers.job.run_at.getTime());
        },
      },
    );
    const sorted = [...dueOffsets].sort((a, b) => a - b);
    const spreadMs = sorted.at(-1) ?? 0;
    const lead = 5000;
    const base = Date.now() + lead;
    // One add_jobs call (one statement, one NOTIFY): 10,000 add_job calls would take longer than the lead.
    await pool.query(
      `SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(
         SELECT ROW('bench_noop', '{}'::json, NULL, t, NULL, NULL, NULL, NULL)::graphile_worker.job_spec
           FROM unnest($1::timestamptz[]) AS t))`,
      [sorted.map((o) => new Date(base + o).toISOString())],
    );
    if (Date.now() > base)
      note("  WARNING: adding the baseline jobs took longer than their lead; the first ones started late");
    const cpuPromise = cpuWindow(cpu, base - Date.now(), spreadMs + 2000);
    await sleep(base + spreadMs - Date.now() + 500);
    for (
      const deadline = performance.now() + 60_000;
      lateness.length < sorted.length && performance.now() < deadline;
    )
      await sleep(200);
    return {
      lateness: summarize(lateness),
      count: sorted.length,
      missing: sorted.length - lateness.length,
      spreadMs,
      cpu: await cpuPromise,
    };
  } finally {
    await runner?.stop();
    await pool.end();
  }
}

// -- the run ------------------------------------------------------------------------------------------

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rate: { type: "string" },
      seconds: { type: "string" },
      timers: { type: "string" },
      clients: { type: "string" },
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
  const rate = positiveNumber("rate", values.rate, 10);
  const seconds = positiveNumber("seconds", values.seconds, quick ? 5 : 30);
  const timers = Math.round(positiveNumber("timers", values.timers, quick ? 500 : 10_000));
  const clients = Math.round(positiveNumber("clients", values.clients, 16));
  // One user per page: a page every 1/rate s over warm-up + measured time, and a little slack.
  const userCount = Math.ceil(rate * (seconds + WARMUP_MS / 1000)) + 5;
  if (userCount > 5000) throw new Error(`--rate × --seconds needs ${userCount} users; keep it under 5,000`);

  const loadStart = loadavg();
  note(`load average (1, 5, 15 min): ${loadStart.join(" ")} on ${os.availableParallelism()} CPUs`);
  const began = performance.now();
  const cleanup = new Cleanup();
  try {
    note("starting PostgreSQL and the SMTP server…");
    const db = await openBenchDatabase();
    cleanup.add("stop PostgreSQL", db.stop);
    const smtp = await startSmtp();
    cleanup.add("stop the SMTP server", smtp.close);
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    pool.on("error", (err) => note(`query pool: ${err.message}`));
    cleanup.add("close the query pool", () => pool.end());
    const pgPid = await postmasterPid(db.url);
    const ours = (): CpuGroups => ({
      bench: { self: process.pid },
      ...(pgPid ? { postgres: { tree: pgPid } } : {}),
    });

    // Phones: a local server speaking ntfy's publish API and Twilio's Messages API.
    const receiver = await startReceiver();
    cleanup.add("stop the phone receiver", receiver.close);
    cleanup.add("close the baseline's connections", async () => closeBaselineAgent());

    note("starting Firebreak…");
    const s = await startFirebreak(db.url, smtp.url, receiver.base, cleanup);
    const withServer = (): CpuGroups => ({ ...ours(), server: { tree: s.child.proc.pid ?? 0 } });
    note(`creating ${userCount} users, each with an email contact method, a rule and a policy…`);
    const users = await eachLimit(
      Array.from({ length: userCount }, (_, i) => i),
      8,
      (i) => pageableUser(s, "d", i),
    );

    // Both sides at once, each at the rate, the baseline half an interval behind: the machine's
    // other load (it is shared) then weighs on both alike, and the run is 30 s shorter. The
    // baseline's sends cost the shared SMTP server and this process next to nothing.
    const deliveryOpts = { rate, seconds, cpu: withServer };
    note(
      `delivery: Firebreak pages and baseline nodemailer sends, each ${rate}/s, ${WARMUP_MS / 1000} s warm-up + ${seconds} s…`,
    );
    const [fbDelivery, baseDelivery] = await Promise.all([
      firebreakDelivery(s, smtp, users, pool, deliveryOpts),
      sleep(500 / rate).then(() => baselineDelivery(smtp, deliveryOpts, userCount)),
    ]);
    await pool.query("CHECKPOINT").catch(() => undefined);

    // Phones: the same pages to ntfy topics on a local server, beside bare POSTs to that server.
    note(
      `creating ${userCount} users, each with a verified ntfy topic on the local server, a rule and a policy…`,
    );
    const ntfyUsers = await eachLimit(
      Array.from({ length: userCount }, (_, i) => i),
      8,
      (i) =>
        pageableUser(s, "n", i, {
          kind: "ntfy",
          address: `${receiver.base}/bench-topic-${i}`,
          code: () => receiver.codes.get(`/bench-topic-${i}`),
        }),
    );
    note(
      `ntfy: Firebreak pages and baseline bare POSTs, each ${rate}/s, ${WARMUP_MS / 1000} s warm-up + ${seconds} s…`,
    );
    const [fbNtfy, baseNtfy] = await Promise.all([
      firebreakDelivery(s, receiver, ntfyUsers, pool, deliveryOpts, "ntfy"),
      sleep(500 / rate).then(async () => {
        const { measured: _, ...rest } = await deliveryLoad(
          receiver,
          deliveryOpts,
          userCount,
          (n) => `baseline:${n}`,
          (n) =>
            barePost(
              `${receiver.base}/bench-baseline`,
              { title: `bench baseline ${n}`, priority: "5", tags: "rotating_light" },
              `bench baseline ${n} (high urgency) — acknowledge: http://127.0.0.1/ack/${randomBytes(24).toString("base64url")}`,
            ),
        );
        return rest;
      }),
    ]);
    await pool.query("CHECKPOINT").catch(() => undefined);

    // SMS: the same pages texted through Twilio's Messages API (the receiver answers as Twilio
    // does), beside bare POSTs of the same form to it.
    note(`creating ${userCount} users, each with a verified SMS number, a rule and a policy…`);
    const numberOf = (i: number) => `+1555${String(1_000_000 + i)}`;
    const smsUsers = await eachLimit(
      Array.from({ length: userCount }, (_, i) => i),
      8,
      (i) =>
        pageableUser(s, "s", i, {
          kind: "sms",
          address: numberOf(i),
          code: () => receiver.codes.get(numberOf(i)),
        }),
    );
    await sleep(11_000); // each number takes one text per 10 s: the code was the last
    note(
      `SMS: Firebreak pages and baseline bare POSTs, each ${rate}/s, ${WARMUP_MS / 1000} s warm-up + ${seconds} s…`,
    );
    const messages = `${receiver.base}/2010-04-01/Accounts/${TWILIO.sid}/Messages.json`;
    const basic = `Basic ${Buffer.from(`${TWILIO.sid}:${TWILIO.token}`).toString("base64")}`;
    const [fbSms, baseSms] = await Promise.all([
      firebreakDelivery(s, receiver, smsUsers, pool, deliveryOpts, "sms"),
      sleep(500 / rate).then(async () => {
        const { measured: _, ...rest } = await deliveryLoad(
          receiver,
          deliveryOpts,
          userCount,
          (n) => `smsbase:${n}`,
          (n) =>
            barePost(
              messages,
              { "content-type": "application/x-www-form-urlencoded", authorization: basic },
              new URLSearchParams({
                To: numberOf(n),
                From: TWILIO.from,
                Body: `Firebreak P${n}: bench smsbase ${n}. Reply ACK ${n} or RES ${n}`,
              }).toString(),
            ),
        );
        return rest;
      }),
    ]);
    await pool.query("CHECKPOINT").catch(() => undefined);

    note(`timers, Firebreak: triggering ${timers.toLocaleString("en-US")} pages with ${clients} clients…`);
    const fbTimers = await firebreakTimers(s, pool, { count: timers, clients, cpu: withServer });
    await s.child.stop();
    if (s.child.exitCode !== 0) note(`the server exited with ${s.child.exitCode}:\n${s.child.output()}`);
    await pool.query("CHECKPOINT").catch(() => undefined);

    note(
      `timers, baseline: ${timers.toLocaleString("en-US")} no-op graphile-worker jobs with the same due times…`,
    );
    const baseTimers = await baselineTimers(db.url, fbTimers.dueOffsets, ours);

    const figures = figuresOf({
      settings: { rate, seconds, warmupSeconds: WARMUP_MS / 1000, timers, clients, quick },
      db,
      load: { start: loadStart, end: loadavg() },
      runSeconds: (performance.now() - began) / 1000,
      fbDelivery,
      baseDelivery,
      fbTimers,
      baseTimers,
      unmatchedMail: smtp.unmatched,
      fbNtfy,
      baseNtfy,
      fbSms,
      baseSms,
      unmatchedPhone: receiver.unmatched,
    });
    process.stdout.write(values.json ? `${JSON.stringify(figures, null, 2)}\n` : report(figures));
  } finally {
    await cleanup.run();
  }
}

// -- figures and the report -----------------------------------------------------------------------------

type FigureInput = {
  settings: {
    rate: number;
    seconds: number;
    warmupSeconds: number;
    timers: number;
    clients: number;
    quick: boolean;
  };
  db: BenchDatabase;
  load: { start: number[]; end: number[] };
  runSeconds: number;
  fbDelivery: Awaited<ReturnType<typeof firebreakDelivery>>;
  baseDelivery: Awaited<ReturnType<typeof baselineDelivery>>;
  fbTimers: Awaited<ReturnType<typeof firebreakTimers>>;
  baseTimers: TimerResult;
  unmatchedMail: number;
  fbNtfy: Awaited<ReturnType<typeof firebreakDelivery>>;
  baseNtfy: Omit<DeliveryResult, "measured">;
  fbSms: Awaited<ReturnType<typeof firebreakDelivery>>;
  baseSms: Omit<DeliveryResult, "measured">;
  unmatchedPhone: number;
};

function figuresOf(f: FigureInput) {
  const { dueOffsets: _, ...fbTimers } = f.fbTimers;
  const cpus = os.availableParallelism();
  const windows = {
    "delivery (both sides)": f.fbDelivery.cpu,
    "ntfy (both sides)": f.fbNtfy.cpu,
    "SMS (both sides)": f.fbSms.cpu,
    "timers due, Firebreak": f.fbTimers.timers.cpu,
    "timers due, baseline": f.baseTimers.cpu,
  };
  const busyOthers = Object.entries(windows).flatMap(([name, c]) =>
    c && c.other + c.steal > 0.1
      ? [`${name}: other processes took ${Math.round((c.other + c.steal) * 100)}%`]
      : [],
  );
  const unreliable = [
    ...(f.load.start[0]! > cpus / 2 ? [`load average ${f.load.start[0]} at the start on ${cpus} CPUs`] : []),
    ...busyOthers,
  ];
  const dP99 = f.fbDelivery.delivery.p99;
  const tP99 = f.fbTimers.timers.lateness.p99;
  return {
    benchmark: "paging",
    date: new Date().toISOString(),
    machine: { ...machine(), postgres: f.db.version, database: f.db.kind, durable: f.db.kind === "embedded" },
    load: f.load,
    unreliable,
    runSeconds: f.runSeconds,
    settings: f.settings,
    delivery: { firebreak: f.fbDelivery, baseline: f.baseDelivery, unmatchedMail: f.unmatchedMail },
    timers: { firebreak: fbTimers, baseline: f.baseTimers },
    ntfy: { firebreak: f.fbNtfy, baseline: f.baseNtfy, unmatched: f.unmatchedPhone },
    sms: { firebreak: f.fbSms, baseline: f.baseSms },
    ratios: {
      deliveryP99OverBaselineP99: dP99 / f.baseDelivery.delivery.p99,
      ntfyP99OverBaselineP99: f.fbNtfy.delivery.p99 / f.baseNtfy.delivery.p99,
      smsP99OverBaselineP99: f.fbSms.delivery.p99 / f.baseSms.delivery.p99,
      timerP99OverBaselineP99: tP99 / f.baseTimers.lateness.p99,
    },
    targets: {
      delivery: {
        rule: `delivery p99 < ${targets.deliveryP99Ms} ms`,
        p99: dP99,
        met: dP99 < targets.deliveryP99Ms,
      },
      timers: {
        rule: `timer lateness p99 < ${targets.timerP99Ms} ms`,
        p99: tP99,
        met: tP99 < targets.timerP99Ms,
      },
      ntfy: {
        rule: `page → ntfy publish p99 < ${targets.phoneP99Ms} ms`,
        p99: f.fbNtfy.delivery.p99,
        met: f.fbNtfy.delivery.p99 < targets.phoneP99Ms,
      },
      sms: {
        rule: `page → SMS request at the provider p99 < ${targets.phoneP99Ms} ms`,
        p99: f.fbSms.delivery.p99,
        met: f.fbSms.delivery.p99 < targets.phoneP99Ms,
      },
    },
  };
}

type Figures = ReturnType<typeof figuresOf>;

function report(f: Figures): string {
  const m = f.machine;
  const s = f.settings;
  const fd = f.delivery.firebreak;
  const bd = f.delivery.baseline;
  const ft = f.timers.firebreak;
  const bt = f.timers.baseline;
  const row = (name: string, st: Stats) => [
    name,
    st.count.toLocaleString("en-US"),
    ms(st.p50),
    ms(st.p90),
    ms(st.p99),
    ms(st.max),
  ];
  const sec = (v: number) => (v / 1000).toFixed(1);
  const lines = [
    "",
    `paging — delivery: ${s.rate} pages/s for ${s.seconds} s (after ${s.warmupSeconds} s warm-up), one user per page; timers: ${s.timers.toLocaleString("en-US")} level-1 escalations due within ${sec(ft.timers.spreadMs)} s${s.quick ? " (--quick)" : ""}`,
    `machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres} (${m.database}${m.durable ? ", durable" : ""}); run took ${f.runSeconds.toFixed(0)} s`,
    `load average (1/5/15 min): ${f.load.start.join(" ")} at the start, ${f.load.end.join(" ")} at the end`,
    "",
    table([
      ["", "samples", "p50 ms", "p90 ms", "p99 ms", "max ms"],
      row("page → delivery: POST /pages → SMTP server has it", fd.delivery),
      row("  POST /pages answered (201)", fd.call),
      row("  stage: trigger → level-0 escalation job ran", fd.stages.escalateJob),
      row("  stage: escalation → flush job ran", fd.stages.flushJob),
      row("  stage: flush → send job ran", fd.stages.sendJob),
      row("  stage: send job → SMTP 250 (nodemailer)", fd.stages.smtpSend),
      row("baseline: nodemailer sendMail → SMTP server has it", bd.delivery),
      row("  sendMail resolved", bd.call),
      [""],
      row("page → ntfy: POST /pages → the ntfy server has the publish", f.ntfy.firebreak.delivery),
      row("  stage: send job → publish answered", f.ntfy.firebreak.stages.smtpSend),
      row("baseline: a bare HTTP POST → the same server has it", f.ntfy.baseline.delivery),
      [""],
      row("page → SMS: POST /pages → Twilio's Messages API has the request", f.sms.firebreak.delivery),
      row("  stage: send job → Messages API answered (201)", f.sms.firebreak.stages.smtpSend),
      row("baseline: a bare form POST → the same API has it", f.sms.baseline.delivery),
      [""],
      row("timer lateness: level-1 escalation after its due time", ft.timers.lateness),
      row("  due while level-0 escalations were still queued", ft.latenessDueBeforeLevel0Drained),
      row("  due after the last level-0 escalation", ft.latenessDueAfterLevel0Drained),
      row("  (trigger → level-0 escalation, during triggering)", ft.level0),
      row("baseline: graphile-worker no-op job after its run_at", bt.lateness),
    ]),
    "",
    `timers: ${s.timers.toLocaleString("en-US")} pages triggered at ${fmtRate(ft.triggersPerSecond)}/s with ${s.clients} clients (POST p50 ${ms(ft.trigger.p50)} ms, p99 ${ms(ft.trigger.p99)} ms); level-0 escalations finished ${ft.level0DrainSeconds.toFixed(1)} s after the last trigger`,
    `        due within ${sec(ft.timers.spreadMs)} s; baseline jobs due with the same offsets; worker concurrency ${WORKER.concurrency}, poll interval ${WORKER.pollInterval} ms on both sides`,
    `        Firebreak's worker ran ${fmtRate(ft.level0PerSecond)} level-0 escalations/s while pages were triggered, ${fmtRate(ft.level1PerSecond)} level-1 escalations/s as they fell due`,
    "delivery: both sides ran at the same time, the baseline half an interval behind",
    "",
    `ratio: delivery p99, Firebreak ÷ baseline       = ${f.ratios.deliveryP99OverBaselineP99.toFixed(2)}`,
    `       ntfy p99, Firebreak ÷ baseline           = ${f.ratios.ntfyP99OverBaselineP99.toFixed(2)}`,
    `       SMS p99, Firebreak ÷ baseline            = ${f.ratios.smsP99OverBaselineP99.toFixed(2)}`,
    `       timer lateness p99, Firebreak ÷ baseline = ${f.ratios.timerP99OverBaselineP99.toFixed(2)}`,
    "",
  ];
  const cpuLine = (name: string, c: CpuShares | undefined) => {
    if (c) lines.push(`CPU, ${name} (all ${m.cpus} CPUs = 100%): ${formatCpu(c)}`);
  };
  cpuLine("delivery (both sides)", fd.cpu);
  cpuLine("triggering the timer pages (s 2–12), Firebreak", ft.triggerCpu);
  cpuLine("timers falling due, Firebreak", ft.timers.cpu);
  cpuLine("timers falling due, baseline", bt.cpu);
  const problems: string[] = [];
  if (fd.missing) problems.push(`${fd.missing} Firebreak messages never arrived`);
  if (bd.missing) problems.push(`${bd.missing} baseline messages never arrived`);
  if (fd.errors) problems.push(`${fd.errors} page requests failed (first: ${fd.firstError})`);
  if (bd.errors) problems.push(`${bd.errors} baseline sends failed (first: ${bd.firstError})`);
  if (fd.late || bd.late)
    problems.push(`iterations started late (rate not held): Firebreak ${fd.late}, baseline ${bd.late}`);
  if (fd.stages.rows !== fd.measuredPages)
    problems.push(`${fd.measuredPages} measured pages but ${fd.stages.rows} delivery rows for them`);
  if (f.ntfy.firebreak.missing) problems.push(`${f.ntfy.firebreak.missing} ntfy publishes never arrived`);
  if (f.ntfy.firebreak.errors)
    problems.push(
      `${f.ntfy.firebreak.errors} ntfy page requests failed (first: ${f.ntfy.firebreak.firstError})`,
    );
  if (f.sms.firebreak.missing)
    problems.push(`${f.sms.firebreak.missing} texts never reached the Messages API`);
  if (f.sms.firebreak.errors)
    problems.push(
      `${f.sms.firebreak.errors} SMS page requests failed (first: ${f.sms.firebreak.firstError})`,
    );
  if (f.ntfy.unmatched) problems.push(`${f.ntfy.unmatched} unexpected requests at the phone server`);
  if (f.delivery.unmatchedMail)
    problems.push(`${f.delivery.unmatchedMail} unexpected messages at the SMTP server`);
  if (ft.triggerErrors)
    problems.push(`${ft.triggerErrors} timer page triggers failed (first: ${ft.triggerFirstError})`);
  if (ft.timers.missing) problems.push(`${ft.timers.missing} level-1 escalations never happened`);
  if (bt.missing) problems.push(`${bt.missing} baseline jobs never ran`);
  if (ft.timers.spreadMs > 60_000)
    problems.push(
      `the timers fell due over ${sec(ft.timers.spreadMs)} s, not within one minute: the level-0 escalations that arm them took that long`,
    );
  for (const p of problems) lines.push(`PROBLEM: ${p}`);
  for (const u of f.unreliable) lines.push(`WARNING: figures are unreliable — ${u}`);
  const verdict = (t: { rule: string; p99: number; met: boolean }) =>
    `target (${t.rule}): ${t.met ? "MET" : "MISSED"} — p99 ${ms(t.p99)} ms`;
  lines.push(
    "",
    verdict(f.targets.delivery),
    verdict(f.targets.ntfy),
    verdict(f.targets.sms),
    verdict(f.targets.timers),
    "",
  );
  return lines.join("\n");
}
