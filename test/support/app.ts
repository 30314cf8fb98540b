/** Starts the real HTTP server on a fresh database with a test clock, and gives typed API clients. */
import { type AppDeps, buildApp } from "../../src/app.ts";
import { syncOnCallWithPolicy } from "../../src/defaults.ts";
import { TestClock } from "../../src/platform/clock.ts";
import { openDatabase } from "../../src/platform/db.ts";
import { createLogger } from "../../src/platform/logger.ts";
import type { Resolve } from "../../src/platform/outbound.ts";
import { loadPolicy } from "../../src/policy/load.ts";
import type { Policy } from "../../src/policy/model.ts";
import type { PolicySource } from "../../src/policy/source.ts";
import { createTestDatabase } from "./database.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
type Json = any;
export type Reply = { status: number; body: Json; headers: Headers };

export type Client = {
  token: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  get(path: string): Promise<Reply>;
};

export function client(base: string, token: string): Client {
  const request = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(base + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return { token, request, get: (path: string) => request("GET", path) };
}

/** What the test apps allow by default: their local receivers listen on loopback. */
export const LOOPBACK = ["127.0.0.1", "::1", "localhost"];

export type TestApp = Awaited<ReturnType<typeof startTestApp>>;

export async function startTestApp(
  opts: {
    policy?: Policy | PolicySource;
    bodyLimitBytes?: number;
    /** Where the test clock starts; jobs' retry back-off uses the database's clock, so paging tests start near now. */
    clockStart?: Date | string;
    smtpUrl?: string;
    /** Alert intake's group commit limits (tests of overload make the queue tiny). */
    intake?: { maxBatch?: number; maxConcurrent?: number; maxQueued?: number };
    statusPageAtRoot?: string;
    /** Another app's database (a restart, or a second replica); a fresh one otherwise. */
    databaseUrl?: string;
    /** Whether this app creates the first admin (false when another app on the database did). */
    bootstrap?: boolean;
    /**
     * OUTBOUND_ALLOWED_HOSTS. Default: loopback, where the tests' webhook and chat receivers
     * listen; SSRF tests pass `[]`, as a server is configured by default.
     */
    outboundAllowedHosts?: string[];
    /** TWILIO_* (a local server speaking Twilio's format as TWILIO_API_BASE). */
    twilio?: AppDeps["twilio"];
    /** SLACK_* (a local server speaking Slack's Web API as SLACK_API_URL, test/support/slack.ts). */
    slack?: AppDeps["slack"];
    /** MATTERMOST_* (the slash command's token; a local server speaking its API as MATTERMOST_URL). */
    mattermost?: AppDeps["mattermost"];
    /** GITLAB_*, GITHUB_* (local servers speaking their REST formats). */
    trackers?: AppDeps["trackers"];
    /** Resolves host names for outgoing HTTP (a DNS the test controls). */
    resolve?: Resolve;
    /** Single sign-on and whether passwords still open browser sessions. */
    oidc?: AppDeps["oidc"];
    localSignIn?: AppDeps["localSignIn"];
    trustedProxies?: string[];
    /** PROMETHEUS_URL (a real Prometheus, test/support/prometheus.ts) and a short schedule. */
    serviceLevels?: AppDeps["serviceLevels"];
    /**
     * The insights figures' background refresh. Default: off, so what a test finds stale stays so
     * until it reads insights (which refresh first) or calls `services.insights.refresh()`.
     */
    insightsRefreshMs?: number;
  } = {},
) {
  const url = opts.databaseUrl ?? (await createTestDatabase());
  const database = openDatabase(url, 10);
  const clock = new TestClock(opts.clockStart ?? "2026-03-02T10:00:00Z");
  const { app, services, jobs, policy } = await buildApp({
    database,
    clock,
    policy: opts.policy ?? loadPolicy(),
    log: createLogger(process.env.TEST_LOG_LEVEL ?? "silent"),
    bodyLimitBytes: opts.bodyLimitBytes ?? 1024 * 1024,
    publicUrl: "http://firebreak.test",
    smtpUrl: opts.smtpUrl,
    emailFrom: "Firebreak <firebreak@test>",
    intake: opts.intake,
    statusPageAtRoot: opts.statusPageAtRoot,
    outboundAllowedHosts: opts.outboundAllowedHosts ?? LOOPBACK,
    resolve: opts.resolve,
    twilio: opts.twilio,
    slack: opts.slack,
    mattermost: opts.mattermost,
    trackers: opts.trackers,
    oidc: opts.oidc,
    localSignIn: opts.localSignIn,
    trustedProxies: opts.trustedProxies,
    serviceLevels: opts.serviceLevels,
    insightsRefreshMs: opts.insightsRefreshMs ?? 0,
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const boot = opts.bootstrap === false ? null : await services.users.bootstrap();
  const admin = client(base, boot?.secret ?? "");

  /** Creates a user with the given role through the API and returns a client holding its token. */
  async function user(username: string, role: "viewer" | "responder" | "admin" = "responder") {
    const created = await admin.request("POST", "/api/v1/users", { username, name: username, role });
    if (created.status !== 201) throw new Error(`creating ${username}: ${JSON.stringify(created.body)}`);
    const t = await admin.request("POST", `/api/v1/users/${created.body.id}/tokens`, {
      name: `${username}-test`,
    });
    if (t.status !== 201) throw new Error(`token for ${username}: ${JSON.stringify(t.body)}`);
    return { id: created.body.id as number, username, ...client(base, t.body.token) };
  }

  return {
    base,
    url,
    clock,
    admin,
    user,
    services,
    database,
    policy,
    /**
     * The on-call set-up the policy file describes (rotations with the admin on call, the
     * handbook's escalation policies), as `firebreak serve` makes it on start.
     */
    seedOnCall: () => syncOnCallWithPolicy({ db: database.db, ...services }, policy.current()),
    /** Fast-forward: run every job due at the test clock's time (escalations, notifications). */
    runJobs: () => jobs.runDue(clock.now()),
    /** Moves the clock and runs what became due. */
    async advanceMinutes(minutes: number) {
      clock.advanceMinutes(minutes);
      await jobs.runDue(clock.now());
    },
    async close() {
      await app.close();
      await database.close();
    },
  };
}
