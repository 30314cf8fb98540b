/**
 * Who may do what, over every operation of the OpenAPI document (issue 14): without a credential
 * nothing but the public routes answers; no role reads a private incident it does not take part
 * in, through any route; a viewer changes nothing; a responder does nothing a route reserves for
 * admins. The operations and their requests come from the document, the least role of each from
 * the routes' own `config.minRole` (read as the app registers them), so a new route is covered
 * without anyone adding it here.
 */
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import type { App } from "../../src/platform/http.ts";
import { type Client, startTestApp, type TestApp } from "../support/app.ts";
import {
  type Answer,
  aimedAt,
  changedTables,
  exampleRequest,
  type Hints,
  type Json,
  type Operation,
  operationsOf,
  PRIVATE_TITLE,
  pathValuesFor,
  seedWorld,
  send,
  tableChecksums,
  type World,
} from "../support/operations.ts";

type RouteConfig = {
  minRole?: "viewer" | "responder" | "admin";
  noCredential?: boolean;
  team?: { kind: string; param?: string; list?: boolean };
  integration?: string;
};

/** Every route the app registers, `METHOD /path/{param}`, with its config, as Fastify sees it. */
const routes = vi.hoisted(() => new Map<string, RouteConfig>());

vi.mock("../../src/platform/http.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/platform/http.ts")>();
  return {
    ...real,
    async createHttp(opts: Parameters<typeof real.createHttp>[0]): Promise<App> {
      const app = await real.createHttp(opts);
      app.addHook("onRoute", (r) => {
        const path = r.url.replace(/:([\w]+)/g, "{$1}").replace(/\*$/, "{*}");
        for (const m of [r.method].flat()) routes.set(`${m} ${path}`, (r.config ?? {}) as RouteConfig);
      });
      return app;
    },
  };
});

/**
 * Operations that take no API credential, each for its reason. Everything else in the document
 * must answer 401 to a request without one.
 */
const PUBLIC: Record<string, string> = {
  "GET /healthz": "liveness probe",
  "GET /readyz": "readiness probe",
  "GET /api/openapi.json": "the API reference itself",
  "POST /api/v1/session": "signing in: the password or token is in the body",
  "DELETE /api/v1/session": "signing out: ends whatever session the cookie names, if any",
  "GET /api/v1/session/methods": "the sign-in page asks which ways of signing in exist",
  "POST /api/v1/integrations/alertmanager/{key}": "alert intake: the integration key is the credential",
  "POST /api/v1/integrations/generic/{key}": "alert intake: the integration key is the credential",
  "POST /api/v1/integrations/change/{key}": "change intake: the integration key is the credential",
  "GET /api/v1/integrations/heartbeat/{key}/{name}": "heartbeat ping: the integration key is the credential",
  "POST /api/v1/integrations/heartbeat/{key}/{name}": "heartbeat ping: the integration key is the credential",
  "POST /v2/enqueue": "Events v2 intake: the routing key in the body is the credential",
  "POST /v2/change/enqueue": "Events v2 change intake: the routing key in the body is the credential",
  "GET /status/{slug}": "the public status page",
  "GET /status/{slug}/{*}": "the public status page's history, feeds and JSON",
  "POST /status/{slug}/subscriptions": "anyone may subscribe to a public status page (confirmed by mail)",
  "GET /status/{slug}/subscriptions/confirm/{token}": "subscriber confirmation: the link's token",
  "POST /status/{slug}/subscriptions/confirm/{token}": "subscriber confirmation: the link's token",
  "GET /status/{slug}/subscriptions/unsubscribe/{token}": "unsubscribing: the link's token",
  "POST /status/{slug}/subscriptions/unsubscribe/{token}": "unsubscribing: the link's token",
  "GET /calendar/{file}": "calendar feeds: the file name holds the feed's secret",
};

/** Routes registered but not in the document, each for its reason (they must stay few). */
const UNDOCUMENTED: Record<string, string> = {
  "GET /ack/{token}": "acknowledge links in notifications: the link's own token",
  "POST /ack/{token}": "acknowledge links in notifications: the link's own token",
  "GET /{*}": "the web app's files and its client-side routes",
  "POST /integrations/twilio/sms":
    "Twilio's inbound SMS callback: refused without a valid X-Twilio-Signature",
  "POST /integrations/twilio/status/{deliveryId}":
    "Twilio's status callback: refused without a valid X-Twilio-Signature",
  "POST /integrations/twilio/voice/{token}":
    "Twilio's call callback: the call's token and X-Twilio-Signature",
  "POST /integrations/twilio/voice/{token}/gather":
    "Twilio's key-press callback: the call's token and X-Twilio-Signature",
  "POST /integrations/slack/commands": "Slack's slash commands: refused without Slack's v0 signature",
  "POST /integrations/slack/interactions": "Slack's buttons and forms: refused without Slack's v0 signature",
  "POST /integrations/slack/events": "Slack's Events API: refused without Slack's v0 signature",
  "POST /integrations/mattermost/commands": "Mattermost's slash command: refused without the command's token",
  "POST /v2/alerts": "Opsgenie Alert API (issue 19): `Authorization: GenieKey <integration key>`",
  "POST /v2/alerts/{identifier}/close": "Opsgenie Alert API: `Authorization: GenieKey <integration key>`",
  "POST /v2/alerts/{identifier}/acknowledge":
    "Opsgenie Alert API: `Authorization: GenieKey <integration key>`",
  "POST /v2/alerts/{identifier}/notes": "Opsgenie Alert API: `Authorization: GenieKey <integration key>`",
  "GET /v2/alerts/requests/{requestId}": "Opsgenie request status: the GenieKey that made the request",
  "POST /generic/2010-04-15/create_event.json":
    "PagerDuty Events API v1: `service_key` in the body is the credential",
  "POST /integrations/v1/grafana_alerting/{key}/":
    "Grafana OnCall integration URL: the integration key in the URL",
  "POST /integrations/v1/grafana_alerting/{key}":
    "Grafana OnCall integration URL: the integration key in the URL",
  "POST /integrations/v1/alertmanager/{key}/":
    "Grafana OnCall integration URL: the integration key in the URL",
  "POST /integrations/v1/alertmanager/{key}":
    "Grafana OnCall integration URL: the integration key in the URL",
  "POST /integrations/v1/grafana/{key}/": "Grafana OnCall integration URL: the integration key in the URL",
  "POST /integrations/v1/grafana/{key}": "Grafana OnCall integration URL: the integration key in the URL",
  "POST /integrations/v1/formatted_webhook/{key}/":
    "Grafana OnCall integration URL: the integration key in the URL",
  "POST /integrations/v1/formatted_webhook/{key}":
    "Grafana OnCall integration URL: the integration key in the URL",
};

/** Routes createHttp makes itself, before the hook above is in place: no config of their own. */
const PLATFORM = ["GET /healthz", "GET /readyz", "GET /metrics", "GET /api/openapi.json"];

/**
 * Not routes of the API: the reference's viewer (@fastify/swagger-ui) and Fastify's automatic
 * HEAD twins of GET routes.
 */
const notApi = (key: string) => key.startsWith("HEAD ") || / \/api\/docs/.test(key);

/**
 * Changes a viewer may make: their own credentials and how they are reached. Every other
 * POST/PUT/PATCH/DELETE is refused a viewer. Requests below name other people's rows (the target
 * user's id, the first admin's token, contact method, rule and feed), so the ones of these that
 * take an id must be refused too; the ones that create (no id) are left out of the viewer's pass,
 * as they add rows the viewer owns.
 */
const VIEWER_SELF_SERVICE: Record<string, string> = {
  "POST /api/v1/tokens": "creates the caller's own API token",
  "POST /api/v1/me/contact-methods": "adds the caller's own contact method",
  "POST /api/v1/me/notification-rules": "adds the caller's own notification rule",
  "POST /api/v1/me/calendar-feed": "creates a calendar feed of the caller's own shifts",
  "POST /api/v1/schedules/{id}/calendar-feed": "creates a secret feed URL of a schedule the caller can read",
  "PUT /api/v1/me/preferences": "the caller's own preferences (the setup guide's dismissal)",
  "POST /api/v1/me/push-subscriptions": "registers this browser for the caller's own push notifications",
  "DELETE /api/v1/me/push-subscriptions": "removes one of the caller's own push subscriptions (by endpoint)",
  "POST /api/v1/me/chat-identities/link-code": "a one-time code to link the caller's own chat account",
};

/**
 * Changes open to every role whose handler checks who may touch the row (the viewer's pass below
 * aims them at rows that are not the viewer's, so they must be refused there).
 */
const CHECKS_ITS_OWN: Record<string, string> = {
  "PATCH /api/v1/users/{id}": "one's own name and email; anything of anyone else's is for admins",
  "PUT /api/v1/users/{id}/password": "one's own password; anyone else's is for admins",
  "DELETE /api/v1/tokens/{id}": "revoking one's own token",
  "DELETE /api/v1/calendar-feeds/{id}": "removing a feed one made",
  "DELETE /api/v1/me/contact-methods/{id}": "one's own contact method",
  "DELETE /api/v1/me/notification-rules/{id}": "one's own notification rule",
  "POST /api/v1/me/contact-methods/{id}/test": "a test notification through one's own contact method",
  "POST /api/v1/me/contact-methods/{id}/verify": "verifying one's own contact method with its code",
  "POST /api/v1/me/contact-methods/{id}/verification-code": "a new code to one's own contact method",
  "DELETE /api/v1/me/chat-identities/{provider}/{externalId}": "unlinking one's own chat account",
  "POST /api/v1/users/{id}/test-page": "a test page to oneself; to anyone else it needs an admin",
  "PUT /api/v1/teams/{id}/members/{userId}": "an admin, or an admin of that team (a role within the team)",
  "DELETE /api/v1/teams/{id}/members/{userId}": "an admin, or an admin of that team (a role within the team)",
};

/** Tables a read may write to, each for its reason; the viewer's pass must change no other. */
const WRITTEN_BY_READS: Record<string, string> = {
  audit_log: "reads of private incidents and refused requests are audited",
  api_tokens: "last_used_at of the token making the request",
  web_sessions: "last seen of a session (none here, but it is activity, not data)",
  firebreak_replicas: "the replica's heartbeat",
  idempotency_keys: "swept by the clock, not by requests",
  push_vapid_keys: "the server's own VAPID key pair, made at the first read of its public key",
};

const as = (c: Client | null): Record<string, string> => (c ? { authorization: `Bearer ${c.token}` } : {});

let t: TestApp;
let doc: Json;
let ops: Operation[];
let world: World;

beforeAll(async () => {
  t = await startTestApp();
  doc = (await t.admin.get("/api/openapi.json")).body;
  ops = operationsOf(doc);
  world = await seedWorld(t);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const guarded = () => ops.filter((op) => !Object.hasOwn(PUBLIC, op.key));
const minRoleOf = (op: Operation) => {
  const config = PLATFORM.includes(op.key) ? {} : routes.get(op.key);
  if (!config) throw new Error(`${op.key}: no route registered for it`);
  if (op.key === "GET /metrics") return "admin"; // its own check: an admin or METRICS_TOKEN
  return config.minRole ?? "viewer";
};
const isWrite = (op: Operation) => op.method !== "GET";

/** Bodies and queries that name the incident a pass aims at (merge into it, list its pages, search its title). */
function hintsFor(aim: "public" | "private"): Hints {
  const id = aim === "private" ? world.ids.privateIncident : world.ids.publicIncident;
  return {
    ...world.hints,
    incidentId: id,
    into: aim === "private" ? world.ids.privateIncident : world.ids.spareIncident,
    "?incident": id,
    "?q": aim === "private" ? PRIVATE_TITLE.slice(0, 12) : "Elevated",
    "?drafts": "true",
  };
}

function requestFor(op: Operation, aim: "public" | "private") {
  return exampleRequest(doc, op, pathValuesFor(op, aimedAt(world, aim)), hintsFor(aim));
}

/** The private incident's rows, to see that nobody who may not touch it did. */
async function privateIncidentState(): Promise<string> {
  const id = world.ids.privateIncident;
  const r = await t.database.pool.query(
    `SELECT (SELECT md5(i::text) FROM incidents i WHERE id = $1) AS incident,
            (SELECT count(*) FROM timeline_events WHERE incident_id = $1) AS events,
            (SELECT count(*) FROM incident_participants WHERE incident_id = $1) AS participants,
            (SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x.id), '')) FROM incident_tasks x WHERE incident_id = $1) AS tasks`,
    [id],
  );
  return JSON.stringify(r.rows[0]);
}

/** Where an answer shows the private incident: its title, or its id in a member that names an incident. */
function showsPrivate(a: Answer): string | undefined {
  if (a.text.includes(PRIVATE_TITLE)) return "its title";
  const id = world.ids.privateIncident;
  const walk = (v: Json, path: string): string | undefined => {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`)).find(Boolean);
    if (!v || typeof v !== "object") return undefined;
    for (const [k, x] of Object.entries(v)) {
      if (/^(incidentId|incident|primaryId|mergedInto)$/.test(k) && x === id) return `${path}.${k}`;
      const deeper = walk(x, `${path}.${k}`);
      if (deeper) return deeper;
    }
    return undefined;
  };
  return typeof a.body === "object" ? walk(a.body, "body") : undefined;
}

describe("the operations", () => {
  test("the document lists every route, and the exclusions are real and public", () => {
    expect(ops.length, "operations in the document (is the list shrinking?)").toBeGreaterThanOrEqual(120);
    const documented = new Set(ops.map((o) => o.key));
    for (const key of Object.keys(PUBLIC)) {
      expect(documented.has(key), `${key} is excluded but not in the document`).toBe(true);
      expect(ops.find((o) => o.key === key)?.open, `${key} is excluded but not documented as public`).toBe(
        true,
      );
    }
    for (const key of Object.keys(VIEWER_SELF_SERVICE))
      expect(documented.has(key), `${key} is listed but not in the document`).toBe(true);
    const undocumented = [...routes.keys()].filter((k) => !notApi(k) && !documented.has(k));
    expect(undocumented.sort()).toEqual(Object.keys(UNDOCUMENTED).sort());
    for (const op of ops)
      expect(
        routes.has(op.key) || PLATFORM.includes(op.key),
        `${op.key} is documented but not registered`,
      ).toBe(true);
  });

  test("every change a viewer may make is listed; every other change needs responder or more", () => {
    const viewerWrites = guarded()
      .filter((op) => isWrite(op) && minRoleOf(op) === "viewer")
      .map((op) => op.key);
    const ownRows = Object.keys(CHECKS_ITS_OWN);
    expect(
      viewerWrites.filter((k) => !Object.hasOwn(VIEWER_SELF_SERVICE, k) && !ownRows.includes(k)),
    ).toEqual([]);
  });
});

describe("without a credential", () => {
  test("every operation but the public ones answers 401 problem+json, with no token or a bad one", async () => {
    const seen: string[] = [];
    for (const op of guarded()) {
      const r = requestFor(op, "public");
      const credentials: Record<string, string>[] = [
        {},
        { authorization: "Bearer fbk_not-a-real-token" },
        { authorization: "Basic eA==" },
      ];
      for (const headers of credentials) {
        const a = await send(t.base, r.method, r.url, r.body, headers);
        const what = `${op.key} with ${JSON.stringify(headers)}: ${a.status} ${a.text.slice(0, 200)}`;
        expect(a.status, what).toBe(401);
        expect(a.type, what).toMatch(/^application\/problem\+json/);
        expect(a.body.code, what).toBe("unauthenticated");
      }
      seen.push(op.key);
    }
    expect(seen.length).toBeGreaterThanOrEqual(100);
  }, 30_000);
});

describe.sequential("each role against a public and a private incident it does not take part in", () => {
  /** Runs every guarded operation as `who`, aimed at the incident; returns the answers by operation. */
  async function pass(
    who: Client,
    aim: "public" | "private",
    skip: (op: Operation) => boolean = () => false,
  ) {
    const answers = new Map<string, Answer & { request: string }>();
    for (const op of guarded()) {
      if (skip(op)) continue;
      const r = requestFor(op, aim);
      const a = await send(t.base, r.method, r.url, r.body, as(who));
      answers.set(op.key, { ...a, request: `${r.method} ${r.url} ${JSON.stringify(r.body) ?? ""}` });
    }
    return answers;
  }

  const describeAnswer = (key: string, a: Answer & { request: string }) =>
    `${key}: ${a.request} → ${a.status} ${a.text.slice(0, 300)}`;

  function expectNoLeaksOrFailures(answers: Map<string, Answer & { request: string }>) {
    const failures: string[] = [];
    for (const [key, a] of answers) {
      if (a.status >= 500) failures.push(`5xx: ${describeAnswer(key, a)}`);
      if (a.status >= 400 && !a.type.startsWith("application/problem+json"))
        failures.push(`not problem+json: ${describeAnswer(key, a)}`);
      const shown = a.status < 300 ? showsPrivate(a) : undefined;
      if (shown) failures.push(`shows the private incident (${shown}): ${describeAnswer(key, a)}`);
    }
    expect(failures).toEqual([]);
  }

  test("a viewer reads no private incident and changes nothing, through any operation", async () => {
    const viewer = world.users.viewer;
    // Insights reads first recompute the figures earlier changes left stale (decision 0013): done
    // here, so that whatever a viewer's requests change below is theirs.
    await t.services.insights.refresh();
    const tablesBefore = await tableChecksums(t, new Set(Object.keys(WRITTEN_BY_READS)));
    const privateBefore = await privateIncidentState();
    const failures: string[] = [];
    for (const aim of ["private", "public"] as const) {
      const answers = await pass(viewer, aim, (op) => Object.hasOwn(VIEWER_SELF_SERVICE, op.key));
      expectNoLeaksOrFailures(answers);
      for (const [key, a] of answers) {
        const op = ops.find((o) => o.key === key) as Operation;
        if (isWrite(op) && a.status !== 403 && a.status !== 404)
          failures.push(`a viewer's change was not refused: ${describeAnswer(key, a)}`);
        if (minRoleOf(op) !== "viewer" && a.status !== 403)
          failures.push(`needs ${minRoleOf(op)}, a viewer was not refused 403: ${describeAnswer(key, a)}`);
        if (
          aim === "private" &&
          op.path.startsWith("/api/v1/incidents/{id}") &&
          ![403, 404].includes(a.status)
        )
          failures.push(
            `a route of a private incident answered a non-participant: ${describeAnswer(key, a)}`,
          );
      }
    }
    expect(failures).toEqual([]);
    const tablesAfter = await tableChecksums(t, new Set(Object.keys(WRITTEN_BY_READS)));
    expect(changedTables(tablesBefore, tablesAfter), "tables a viewer's requests changed").toEqual([]);
    expect(await privateIncidentState()).toBe(privateBefore);
  }, 30_000);

  test("a responder gets 404 on every route of a private incident, reads it nowhere, and is refused the admins' operations", async () => {
    const responder = world.users.responder;
    const privateBefore = await privateIncidentState();
    const failures: string[] = [];
    for (const aim of ["private", "public"] as const) {
      const answers = await pass(responder, aim);
      expectNoLeaksOrFailures(answers);
      if (aim === "private") expect(await privateIncidentState()).toBe(privateBefore);
      for (const [key, a] of answers) {
        const op = ops.find((o) => o.key === key) as Operation;
        if (minRoleOf(op) === "admin") {
          if (a.status !== 403 || a.body?.code !== "forbidden")
            failures.push(`admin-only, a responder was not refused 403: ${describeAnswer(key, a)}`);
        } else if (aim === "private" && op.path.startsWith("/api/v1/incidents/{id}") && a.status !== 404) {
          failures.push(
            `a route of a private incident answered a non-participant: ${describeAnswer(key, a)}`,
          );
        }
      }
    }
    expect(failures).toEqual([]);
    expect(await privateIncidentState()).toBe(privateBefore);
  }, 30_000);

  test("every change to a schedule, policy, service or status page of a team they are not in is refused 403, and nothing changes", async () => {
    const other = (await t.admin.request("POST", "/api/v1/teams", { slug: "elsewhere", name: "Elsewhere" }))
      .body;
    // The seeded resources move to a team the seeded responder is not in.
    for (const table of ["schedules", "escalation_policies", "services", "status_pages"])
      await t.database.pool.query(`UPDATE ${table} SET team_id = $1`, [other.id]);
    const scoped = guarded().filter((op) => isWrite(op) && routes.get(op.key)?.team?.param !== undefined);
    expect(scoped.length, "team-scoped changes").toBeGreaterThanOrEqual(15);
    const before = await tableChecksums(t, new Set(Object.keys(WRITTEN_BY_READS)));
    const failures: string[] = [];
    for (const op of scoped) {
      const r = requestFor(op, "public");
      const a = await send(t.base, r.method, r.url, r.body, as(world.users.responder));
      if (a.status !== 403 || a.body?.team !== "Elsewhere")
        failures.push(`${op.key}: ${r.method} ${r.url} → ${a.status} ${a.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    const after = await tableChecksums(t, new Set(Object.keys(WRITTEN_BY_READS)));
    expect(changedTables(before, after), "tables an outsider's requests changed").toEqual([]);
    // An admin of that team (a responder by role) is let through the same gate.
    await t.admin.request("PUT", `/api/v1/teams/${other.id}/members/${world.users.responder.id}`, {
      role: "admin",
    });
    const let_ = [] as string[];
    for (const op of scoped) {
      const r = requestFor(op, "public");
      const a = await send(t.base, r.method, r.url, r.body, as(world.users.responder));
      if (a.status === 403 && a.body?.team === "Elsewhere")
        let_.push(`${op.key} → 403 ${a.text.slice(0, 160)}`);
    }
    expect(let_).toEqual([]);
    // Back as seeded, for the admin's pass.
    await t.admin.request("DELETE", `/api/v1/teams/${other.id}/members/${world.users.responder.id}`);
    for (const table of ["schedules", "escalation_policies", "services", "status_pages"])
      await t.database.pool.query(`UPDATE ${table} SET team_id = firebreak_default_team()`);
  }, 30_000);

  test("an admin who does not take part may do anything, and nothing answers 5xx", async () => {
    // Admins see private incidents (DATA-3): no leak check, only that every answer is sound.
    for (const aim of ["private", "public"] as const) {
      const answers = await pass(world.users.admin, aim);
      const failures = [...answers]
        .filter(
          ([, a]) => a.status >= 500 || (a.status >= 400 && !a.type.startsWith("application/problem+json")),
        )
        .map(([key, a]) => describeAnswer(key, a));
      expect(failures).toEqual([]);
      if (aim === "private")
        expect(
          [...answers.values()].some((a) => a.status < 300 && showsPrivate(a)),
          "an admin's answers show the private incident (so the leak check can see one)",
        ).toBe(true);
      const refused = [...answers]
        .filter(([, a]) => a.status === 401 || a.status === 403)
        .map(([k, a]) => describeAnswer(k, a));
      expect(refused, "an admin refused by role").toEqual([]);
    }
  }, 30_000);
});
