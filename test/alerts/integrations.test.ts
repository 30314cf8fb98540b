/**
 * The other intake integrations end to end over HTTP and PostgreSQL: the generic JSON webhook and
 * its per-key mapping, change events ("what changed?"), heartbeats (dead man's switch), revoking a
 * key, overload (429/503 with Retry-After, never accepted and dropped), RED data (DATA-1) and
 * who may see and act on alerts (DATA-3, roles). Time is the test clock's; nothing sleeps.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/alertmanager.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = Record<string, any>;
type Service = Json & { id: number; integrationKey: string };

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-18T12:00:00Z" });
  await t.seedOnCall();
});
afterAll(() => t?.close());

async function newService(app: TestApp, name: string, extra: Json = {}): Promise<Service> {
  const r = await app.admin.request("POST", "/api/v1/services", { name, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as Service;
}

const post = (base: string, path: string, body: unknown) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const generic = (key: string, body: unknown) => post(t.base, `/api/v1/integrations/generic/${key}`, body);
const enqueue = (body: unknown, base = t.base) => post(base, "/v2/enqueue", body);
const trigger = (key: string, dedup: string, summary = `${dedup} is failing`) => ({
  routing_key: key,
  event_action: "trigger",
  dedup_key: dedup,
  payload: { summary, source: "host-1", severity: "error" },
});
const amPayload = (alerts: { fingerprint: string; summary: string; status?: "firing" | "resolved" }[]) => ({
  version: "4",
  groupKey: '{}:{alertname="Probe"}',
  status: "firing",
  receiver: "firebreak",
  alerts: alerts.map((a) => ({
    status: a.status ?? "firing",
    labels: { alertname: "Probe", instance: a.fingerprint },
    annotations: { summary: a.summary },
    fingerprint: a.fingerprint,
  })),
});

const alertsOf = async (s: Service, app: TestApp = t): Promise<Json[]> =>
  (await app.admin.get(`/api/v1/alerts?service=${s.id}&limit=500`)).body.alerts;
const alertOf = async (s: Service, dedup: string): Promise<Json> => {
  const a = (await alertsOf(s)).find((x) => x.dedupKey === dedup);
  expect(a, `alert ${dedup}`).toBeDefined();
  return a as Json;
};
const pagesOf = async (incidentId: number): Promise<Json[]> =>
  (await t.admin.get(`/api/v1/pages?incident=${incidentId}`)).body.pages;
const metric = async (app: TestApp, integration: string, outcome: string): Promise<number> => {
  const text = await (
    await fetch(`${app.base}/metrics`, { headers: { authorization: `Bearer ${app.admin.token}` } })
  ).text();
  const m = text.match(
    new RegExp(
      `^firebreak_alert_intake_total\\{integration="${integration}",outcome="${outcome}"\\} (\\d+)`,
      "m",
    ),
  );
  return m ? Number(m[1]) : 0;
};

describe("generic JSON webhook", () => {
  let s: Service;
  beforeAll(async () => {
    s = await newService(t, "generic-default");
  });

  it("with the default mapping (id, title, severity, status) it triggers and resolves an alert", async () => {
    const r = await generic(s.integrationKey, {
      id: "backup-1",
      title: "Nightly backup failed",
      severity: "WARNING",
      status: "firing",
      extra: { host: "db-1" },
    });
    expect(r.status).toBe(202);
    expect(await r.json()).toEqual({ status: "accepted", dedupKeys: ["backup-1"] });
    const a = await alertOf(s, "backup-1");
    expect(a).toMatchObject({
      source: "generic",
      status: "firing",
      summary: "Nightly backup failed",
      severity: "warning",
      occurrences: 1,
    });
    expect(a.details.body.extra).toEqual({ host: "db-1" });
    expect(a.incidentId).not.toBeNull();
    expect(await pagesOf(a.incidentId)).toHaveLength(1);

    // A numeric id is a dedup key too; "resolved" (any case) resolves.
    expect((await generic(s.integrationKey, { id: 42, title: "Queue backlog" })).status).toBe(202);
    expect((await alertOf(s, "42")).severity).toBe("unknown");
    for (const id of ["backup-1", 42]) {
      const done = await generic(s.integrationKey, { id, title: "ok now", status: "Resolved" });
      expect(done.status).toBe(202);
    }
    expect((await alertsOf(s)).map((x) => x.status)).toEqual(["resolved", "resolved"]);
    expect((await pagesOf(a.incidentId)).map((p) => p.state)).toEqual(["resolved"]);
  });

  it("an array body is several alerts in one request", async () => {
    const r = await generic(s.integrationKey, [
      { id: "arr-1", title: "first" },
      { id: "arr-2", title: "second", severity: "critical" },
    ]);
    expect(r.status).toBe(202);
    expect(((await r.json()) as Json).dedupKeys).toEqual(["arr-1", "arr-2"]);
    const [one, two] = [await alertOf(s, "arr-1"), await alertOf(s, "arr-2")];
    expect(two.severity).toBe("critical");
    expect(one.incidentId).toBe(two.incidentId);
  });

  it("missing mapped fields are a 400 naming each field (with its index in an array); nothing is stored", async () => {
    const before = await alertsOf(s);
    const missingTitle = await generic(s.integrationKey, { id: "no-title" });
    expect(missingTitle.status).toBe(400);
    expect(missingTitle.headers.get("content-type")).toMatch(/application\/problem\+json/);
    const p1 = (await missingTitle.json()) as Json;
    expect(p1).toMatchObject({ code: "invalid-request", field: "title" });
    expect(p1.detail).toMatch(/^title: /);

    const neither = (await (await generic(s.integrationKey, { title: { nested: true } })).json()) as Json;
    expect(neither.errors.map((e: Json) => e.field)).toEqual(["title", "id"]);

    const inArray = await generic(s.integrationKey, [{ id: "ok-1", title: "fine" }, { title: "no id here" }]);
    expect(inArray.status).toBe(400);
    const p2 = (await inArray.json()) as Json;
    expect(p2.field).toBe("[1].id");
    expect(p2.detail).toMatch(/\[1\]\.id: /);

    // A JSON body that is neither an object nor an array of objects is refused by the schema.
    expect((await generic(s.integrationKey, "just text")).status).toBe(400);
    expect(await alertsOf(s)).toEqual(before);
    expect(await metric(t, "generic", "invalid-request")).toBeGreaterThanOrEqual(4);
  });

  it("a key with a custom mapping reads its own fields (dotted paths), severity and resolve condition", async () => {
    const created = await t.admin.request("POST", `/api/v1/services/${s.id}/integration-keys`, {
      name: "grafana",
      mapping: {
        summary: "alert.title",
        dedupKey: "alert.uid",
        severity: "labels.sev",
        resolveWhen: { field: "state", equals: ["ok", "normal"] },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const key = created.body.integrationKey as string;
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(created.body.mapping.dedupKey).toBe("alert.uid");
    const keys: Json[] = (await t.admin.get(`/api/v1/services/${s.id}/integration-keys`)).body.keys;
    expect(keys.find((k) => k.name === "grafana")?.mapping).toEqual(created.body.mapping);

    const body = (state: string) => ({
      alert: { uid: 9001, title: "Latency SLO burn" },
      labels: { sev: "High" },
      state,
    });
    const fired = await generic(key, body("alerting"));
    expect(fired.status).toBe(202);
    expect(((await fired.json()) as Json).dedupKeys).toEqual(["9001"]);
    expect(await alertOf(s, "9001")).toMatchObject({
      summary: "Latency SLO burn",
      severity: "high",
      status: "firing",
    });
    expect((await generic(key, body("OK"))).status).toBe(202);
    expect((await alertOf(s, "9001")).status).toBe("resolved");

    // The default mapping's fields mean nothing to this key.
    const wrong = await generic(key, { id: "x", title: "y" });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as Json).errors.map((e: Json) => e.field)).toEqual([
      "alert.title",
      "alert.uid",
    ]);
  });

  it("refuses a mapping with unknown members or without a dedup key path", async () => {
    for (const mapping of [{ summary: "a" }, { summary: "a", dedupKey: "b", colour: "red" }]) {
      const r = await t.admin.request("POST", `/api/v1/services/${s.id}/integration-keys`, {
        name: "bad",
        mapping,
      });
      expect(r.status, JSON.stringify(mapping)).toBe(400);
    }
  });
});

describe("change events: what changed", () => {
  let web: Service;
  let other: Service;
  let incidentId: number;

  beforeAll(async () => {
    web = await newService(t, "changes-web");
    other = await newService(t, "changes-other");
  });

  it("Events v2 change events answer 202 as that API does; the change webhook answers 202 with the change's id", async () => {
    const now = t.clock.now().getTime();
    const deploy = await post(t.base, "/v2/change/enqueue", {
      routing_key: web.integrationKey,
      payload: {
        summary: "Deployed web v1.4.2",
        timestamp: new Date(now - 30 * 60_000).toISOString(),
        source: "ci",
        custom_details: { build: 812 },
      },
      links: [{ href: "https://ci.example.com/812", text: "build 812" }],
    });
    expect(deploy.status).toBe(202);
    expect(await deploy.json()).toEqual({ status: "success", message: "Change event processed" });

    const old = await post(t.base, "/v2/change/enqueue", {
      routing_key: web.integrationKey,
      payload: { summary: "Deployed web v1.4.1", timestamp: new Date(now - 3 * 3_600_000).toISOString() },
    });
    expect(old.status).toBe(202);

    const flag = await post(t.base, `/api/v1/integrations/change/${web.integrationKey}`, {
      summary: "Feature flag new_checkout enabled for 50%",
      kind: "feature-flag",
      source: "flags",
      links: [{ href: "https://flags.example.com/new_checkout" }],
    });
    expect(flag.status).toBe(202);
    const flagBody = (await flag.json()) as Json;
    expect(flagBody).toMatchObject({ status: "accepted" });
    expect(typeof flagBody.id).toBe("number");

    const elsewhere = await post(t.base, `/api/v1/integrations/change/${other.integrationKey}`, {
      summary: "Deployed other v9",
      kind: "deploy",
    });
    expect(elsewhere.status).toBe(202);
  });

  it("bad change events are refused: Events v2 shape for /v2/change/enqueue, problem+json for the webhook", async () => {
    const noSummary = await post(t.base, "/v2/change/enqueue", {
      routing_key: web.integrationKey,
      payload: {},
    });
    expect(noSummary.status).toBe(400);
    const b = (await noSummary.json()) as Json;
    expect(b).toMatchObject({ status: "invalid event", message: "Event object is invalid" });
    expect(b.errors.join()).toMatch(/summary/);
    const unknown = await post(t.base, "/v2/change/enqueue", {
      routing_key: "0".repeat(32),
      payload: { summary: "x" },
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as Json).errors.join()).toMatch(/routing_key/);
    const badTime = await post(t.base, "/v2/change/enqueue", {
      routing_key: web.integrationKey,
      payload: { summary: "x", timestamp: "yesterday-ish" },
    });
    expect(badTime.status).toBe(400);
    const badKind = await post(t.base, `/api/v1/integrations/change/${web.integrationKey}`, {
      summary: "x",
      kind: "reboot",
    });
    expect(badKind.status).toBe(400);
    expect(((await badKind.json()) as Json).field).toBe("kind");
    const unknownKey = await post(t.base, `/api/v1/integrations/change/${"0".repeat(32)}`, { summary: "x" });
    expect(unknownKey.status).toBe(404);
  });

  it("an incident of the service shows the service's changes within the last N hours, newest first, and no older ones", async () => {
    expect((await enqueue(trigger(web.integrationKey, "web-5xx"))).status).toBe(202);
    incidentId = (await alertOf(web, "web-5xx")).incidentId;

    const within2h: Json[] = (await t.admin.get(`/api/v1/incidents/${incidentId}/changes?hours=2`)).body
      .changes;
    expect(within2h.map((c) => c.summary)).toEqual([
      "Feature flag new_checkout enabled for 50%",
      "Deployed web v1.4.2",
    ]);
    expect(within2h[0]).toMatchObject({
      serviceId: web.id,
      service: "changes-web",
      kind: "feature-flag",
      source: "flags",
      at: t.clock.now().toISOString(),
      links: [{ href: "https://flags.example.com/new_checkout" }],
    });
    expect(within2h[1]).toMatchObject({
      kind: "change",
      source: "ci",
      details: { build: 812 },
      links: [{ href: "https://ci.example.com/812", text: "build 812" }],
    });

    const within4h: Json[] = (await t.admin.get(`/api/v1/incidents/${incidentId}/changes?hours=4`)).body
      .changes;
    expect(within4h.map((c) => c.summary)).toEqual([
      "Feature flag new_checkout enabled for 50%",
      "Deployed web v1.4.2",
      "Deployed web v1.4.1",
    ]);
    // The default look-back is 24 hours; another service's changes never show.
    const byDefault: Json[] = (await t.admin.get(`/api/v1/incidents/${incidentId}/changes`)).body.changes;
    expect(byDefault).toHaveLength(3);
    expect(byDefault.every((c) => c.serviceId === web.id)).toBe(true);

    // Later, the window moves: 3 hours on, the 2-hour view is empty.
    t.clock.advanceMinutes(180);
    expect((await t.admin.get(`/api/v1/incidents/${incidentId}/changes?hours=2`)).body.changes).toEqual([]);
    // The service's own view says the same.
    expect((await t.admin.get(`/api/v1/services/${web.id}/changes?hours=7`)).body.changes).toHaveLength(3);
  });

  it("a manually declared incident has no services and so no changes; an unknown incident is 404", async () => {
    const declared = await t.admin.request("POST", "/api/v1/incidents", {
      title: "Manual incident",
      type: "GitLab.com",
      severity: "S4",
      status: "triage",
    });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    expect((await t.admin.get(`/api/v1/incidents/${declared.body.id}/changes`)).body.changes).toEqual([]);
    expect((await t.admin.get("/api/v1/incidents/999999/changes")).status).toBe(404);
  });
});

describe("heartbeats (dead man's switch)", () => {
  let s: Service;
  beforeAll(async () => {
    s = await newService(t, "backups");
  });
  const ping = (name: string, method: "GET" | "POST" = "GET", key = s.integrationKey) =>
    fetch(`${t.base}/api/v1/integrations/heartbeat/${key}/${name}`, { method });

  it("expects a ping every intervalMinutes; GET and POST both ping and say when the next is due", async () => {
    const created = await t.admin.request("POST", `/api/v1/services/${s.id}/heartbeats`, {
      name: "nightly-backup",
      intervalMinutes: 10,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ serviceId: s.id, name: "nightly-backup", intervalMinutes: 10 });
    expect(created.body.lastPingAt).toBeNull();
    const dup = await t.admin.request("POST", `/api/v1/services/${s.id}/heartbeats`, {
      name: "nightly-backup",
      intervalMinutes: 5,
    });
    expect(dup.status).toBe(409);

    const g = await ping("nightly-backup", "GET");
    expect(g.status).toBe(200);
    expect(await g.json()).toEqual({
      status: "ok",
      nextPingBy: new Date(t.clock.now().getTime() + 10 * 60_000).toISOString(),
    });
    await t.advanceMinutes(5);
    const p = await ping("nightly-backup", "POST");
    expect(p.status).toBe(200);
    const listed: Json[] = (await t.admin.get(`/api/v1/services/${s.id}/heartbeats`)).body.heartbeats;
    expect(listed[0]?.lastPingAt).toBe(t.clock.now().toISOString());

    // 9 minutes after the last ping: not yet missed (the timer was re-armed by the ping).
    await t.advanceMinutes(9);
    expect(await alertsOf(s)).toEqual([]);
    expect((await ping("nope")).status).toBe(404);
    expect((await ping("nightly-backup", "GET", "f".repeat(32))).status).toBe(404);
  });

  it("a missed ping raises a firing alert heartbeat:<name> and a triage incident; the next ping resolves it", async () => {
    await t.advanceMinutes(2); // 11 minutes since the last ping
    const [a] = await alertsOf(s);
    expect(a).toMatchObject({
      dedupKey: "heartbeat:nightly-backup",
      source: "heartbeat",
      status: "firing",
      severity: "critical",
    });
    expect(a?.summary).toMatch(/No heartbeat "nightly-backup" for 10 minutes/);
    const incident = (await t.admin.get(`/api/v1/incidents/${a?.incidentId}`)).body;
    expect(incident.state).toBe("triage");
    expect(incident.title).toMatch(/^backups: No heartbeat/);
    expect((await pagesOf(a?.incidentId)).map((x) => x.state)).toEqual(["triggered"]);

    // Time passing without a ping raises nothing more.
    await t.advanceMinutes(30);
    expect(await alertsOf(s)).toHaveLength(1);

    expect((await ping("nightly-backup", "POST")).status).toBe(200);
    const [after] = await alertsOf(s);
    expect(after?.status).toBe("resolved");
    expect((await pagesOf(a?.incidentId)).map((x) => x.state)).toEqual(["resolved"]);

    // Re-armed: pinging on time raises nothing; missing again fires the same alert again.
    await t.advanceMinutes(9);
    expect((await ping("nightly-backup")).status).toBe(200);
    await t.advanceMinutes(9);
    expect((await alertsOf(s))[0]?.status).toBe("resolved");
    await t.advanceMinutes(2);
    const [again] = await alertsOf(s);
    expect(again).toMatchObject({ dedupKey: "heartbeat:nightly-backup", status: "firing", occurrences: 2 });
  });

  it("a deleted heartbeat raises nothing and its pings are 404", async () => {
    const h = await t.admin.request("POST", `/api/v1/services/${s.id}/heartbeats`, {
      name: "hourly-report",
      intervalMinutes: 60,
    });
    expect(h.status).toBe(201);
    const del = await t.admin.request("DELETE", `/api/v1/services/${s.id}/heartbeats/${h.body.id}`);
    expect(del.status).toBe(204);
    await t.advanceMinutes(61);
    expect((await alertsOf(s)).map((a) => a.dedupKey)).toEqual(["heartbeat:nightly-backup"]);
    expect((await ping("hourly-report")).status).toBe(404);
  });
});

describe("revoking an integration key", () => {
  it("a deleted key stops working at once on the replica that deleted it; the service's other keys still work", async () => {
    const s = await newService(t, "revocable");
    const extra = await t.admin.request("POST", `/api/v1/services/${s.id}/integration-keys`, {
      name: "temp",
    });
    expect(extra.status).toBe(201);
    const key = extra.body.integrationKey as string;

    // Used once, so this replica has it cached.
    expect((await enqueue(trigger(key, "via-temp"))).status).toBe(202);
    expect((await post(t.base, `/api/v1/integrations/alertmanager/${key}`, amPayload([]))).status).toBe(200);

    const del = await t.admin.request("DELETE", `/api/v1/services/${s.id}/integration-keys/${extra.body.id}`);
    expect(del.status).toBe(204);
    const keys: Json[] = (await t.admin.get(`/api/v1/services/${s.id}/integration-keys`)).body.keys;
    expect(keys.map((k) => k.name)).toEqual(["default"]);

    const before = await alertsOf(s);
    const v2 = await enqueue(trigger(key, "after-revoke"));
    expect(v2.status).toBe(400);
    expect(((await v2.json()) as Json).errors).toEqual(["'routing_key' is not a known integration key"]);
    const unknownBefore = await metric(t, "alertmanager", "unknown-key");
    const am = await post(
      t.base,
      `/api/v1/integrations/alertmanager/${key}`,
      amPayload([{ fingerprint: "f1", summary: "x" }]),
    );
    expect(am.status).toBe(404);
    expect(await metric(t, "alertmanager", "unknown-key")).toBe(unknownBefore + 1);
    expect((await generic(key, { id: "g", title: "g" })).status).toBe(404);
    expect((await fetch(`${t.base}/api/v1/integrations/heartbeat/${key}/x`)).status).toBe(404);
    expect(
      (await post(t.base, "/v2/change/enqueue", { routing_key: key, payload: { summary: "deploy" } })).status,
    ).toBe(400);
    expect(await alertsOf(s)).toEqual(before);

    expect((await enqueue(trigger(s.integrationKey, "via-default"))).status).toBe(202);
    expect((await t.admin.request("DELETE", `/api/v1/services/${s.id}/integration-keys/999999`)).status).toBe(
      404,
    );
  });
});

describe("RED data (DATA-1)", () => {
  it("DATA-1: RED data in an alert or a change is a 400 from every integration, and nothing is stored", async () => {
    const s = await newService(t, "red-data");
    const v2 = await enqueue(trigger(s.integrationKey, "leak", "login failed with key AKIAIOSFODNN7EXAMPLE"));
    expect(v2.status).toBe(400);
    const v2Body = (await v2.json()) as Json;
    expect(v2Body).toMatchObject({ status: "invalid event", message: "Event object is invalid" });
    expect(v2Body.errors.join()).toMatch(/payload\.summary.*AWS access key/);
    expect(JSON.stringify(v2Body)).not.toContain("AKIAIOSFODNN7EXAMPLE");

    const am = await post(
      t.base,
      `/api/v1/integrations/alertmanager/${s.integrationKey}`,
      amPayload([
        { fingerprint: "fine", summary: "all good" },
        { fingerprint: "card", summary: "charge failed for 4111 1111 1111 1111" },
      ]),
    );
    expect(am.status).toBe(400);
    const amBody = (await am.json()) as Json;
    // The summary is an annotation: every annotation and label is scanned.
    expect(amBody).toMatchObject({ code: "red-data", field: "alerts[1].annotations", found: "card-number" });
    expect(JSON.stringify(amBody)).not.toContain("4111 1111 1111 1111");

    const g = await generic(s.integrationKey, {
      id: "url",
      title: "cannot reach postgres://app:hunter2secret@db-1:5432/app",
    });
    expect(g.status).toBe(400);
    expect(((await g.json()) as Json).code).toBe("red-data");

    const details = await enqueue({
      ...trigger(s.integrationKey, "details", "login failures"),
      payload: {
        summary: "login failures",
        source: "auth",
        severity: "error",
        custom_details: { env: "DATABASE_URL=postgres://app:hunter2secret@db-1:5432/app" },
      },
    });
    expect(details.status).toBe(400);
    expect(((await details.json()) as Json).errors.join()).toMatch(/payload\.custom_details/);

    const change = await post(t.base, `/api/v1/integrations/change/${s.integrationKey}`, {
      summary: "rotated key AKIAIOSFODNN7EXAMPLE",
      kind: "deploy",
    });
    expect(change.status).toBe(400);
    expect((await t.admin.get(`/api/v1/services/${s.id}/changes`)).body.changes).toEqual([]);

    expect(await alertsOf(s)).toEqual([]);
    expect(await metric(t, "alertmanager", "red-data")).toBeGreaterThanOrEqual(1);
    expect(await metric(t, "generic", "red-data")).toBeGreaterThanOrEqual(1);
  });
});

describe("who sees and acts on alerts (DATA-3, roles)", () => {
  it("an alert on a private incident is invisible to a non-participant, until they take part", async () => {
    // Triage incidents opened by alerts take their service's incident type; a security type (SIRT)
    // makes them private (DEC-5). Visibility cannot be changed after declaration, so this is the
    // only way an alert's incident is private.
    const s = await newService(t, "security-alerts", { incidentType: "SIRT" });
    expect(
      (await enqueue(trigger(s.integrationKey, "intrusion", "suspicious logins on bastion"))).status,
    ).toBe(202);
    const [alert] = await alertsOf(s);
    const incident = (await t.admin.get(`/api/v1/incidents/${alert?.incidentId}`)).body;
    expect(incident).toMatchObject({ visibility: "private", type: "SIRT", state: "triage" });

    const bob = await t.user("bob-outsider", "responder");
    expect((await bob.get(`/api/v1/alerts?service=${s.id}`)).body.alerts).toEqual([]);
    expect((await bob.get("/api/v1/alerts?limit=500")).body.alerts.map((a: Json) => a.id)).not.toContain(
      alert?.id,
    );
    expect((await bob.get(`/api/v1/alerts?incident=${incident.id}`)).body.alerts).toEqual([]);
    expect((await bob.get(`/api/v1/alerts/${alert?.id}`)).status).toBe(404);
    expect((await bob.request("POST", `/api/v1/alerts/${alert?.id}/acknowledge`)).status).toBe(404);
    expect((await bob.request("POST", `/api/v1/incidents/${incident.id}/acknowledge`)).status).toBe(404);
    expect((await bob.get(`/api/v1/incidents/${incident.id}/changes`)).status).toBe(404);
    expect((await alertOf(s, "intrusion")).status).toBe("firing"); // bob changed nothing

    const added = await t.admin.request("POST", `/api/v1/incidents/${incident.id}/participants`, {
      user: "bob-outsider",
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect((await bob.get(`/api/v1/alerts?service=${s.id}`)).body.alerts.map((a: Json) => a.id)).toEqual([
      alert?.id,
    ]);
    expect((await bob.request("POST", `/api/v1/alerts/${alert?.id}/acknowledge`)).body.status).toBe(
      "acknowledged",
    );
  });

  it("a viewer lists and reads alerts but cannot acknowledge or resolve them, nor acknowledge an incident", async () => {
    const s = await newService(t, "viewer-visible");
    expect((await enqueue(trigger(s.integrationKey, "cpu"))).status).toBe(202);
    const [alert] = await alertsOf(s);
    const vic = await t.user("vic-viewer", "viewer");
    const listed = await vic.get(`/api/v1/alerts?service=${s.id}`);
    expect(listed.status).toBe(200);
    expect(listed.body.alerts.map((a: Json) => a.id)).toEqual([alert?.id]);
    expect((await vic.get(`/api/v1/alerts/${alert?.id}`)).status).toBe(200);
    expect((await vic.request("POST", `/api/v1/alerts/${alert?.id}/acknowledge`)).status).toBe(403);
    expect((await vic.request("POST", `/api/v1/alerts/${alert?.id}/resolve`)).status).toBe(403);
    expect((await vic.request("POST", `/api/v1/incidents/${alert?.incidentId}/acknowledge`)).status).toBe(
      403,
    );
    expect((await alertOf(s, "cpu")).status).toBe("firing");
    expect((await pagesOf(alert?.incidentId)).map((p) => p.state)).toEqual(["triggered"]);
  });
});

describe("overload", () => {
  let small: TestApp;
  beforeAll(async () => {
    // One transaction at a time, one event each, two waiting: a burst must overflow.
    small = await startTestApp({
      clockStart: "2026-11-18T12:00:00Z",
      intake: { maxQueued: 2, maxConcurrent: 1, maxBatch: 1 },
    });
    await small.seedOnCall();
  });
  afterAll(() => small?.close());

  it("a burst beyond the queue gets 429 (Events v2) / 503 (Alertmanager) with Retry-After; every 2xx is stored and counted", async () => {
    const s = await newService(small, "overloaded");
    const n = 40;
    const v2 = Array.from({ length: n }, (_, i) => `ev-${i}`);
    const am = Array.from({ length: n }, (_, i) => `am-${i}`);
    const answers = await Promise.all([
      ...v2.map(async (k) => {
        const r = await enqueue(trigger(s.integrationKey, k), small.base);
        return { kind: "events", key: k, r, body: (await r.json()) as Json };
      }),
      ...am.map(async (k) => {
        const r = await post(
          small.base,
          `/api/v1/integrations/alertmanager/${s.integrationKey}`,
          amPayload([{ fingerprint: k, summary: `probe ${k} failed` }]),
        );
        return { kind: "alertmanager", key: k, r, body: (await r.json()) as Json };
      }),
    ]);
    const events = answers.filter((a) => a.kind === "events");
    const alertmanager = answers.filter((a) => a.kind === "alertmanager");
    expect(events.every((a) => a.r.status === 202 || a.r.status === 429)).toBe(true);
    expect(alertmanager.every((a) => a.r.status === 200 || a.r.status === 503)).toBe(true);
    const throttled = events.filter((a) => a.r.status === 429);
    const unavailable = alertmanager.filter((a) => a.r.status === 503);
    expect(throttled.length + unavailable.length, "some requests were refused").toBeGreaterThan(0);
    expect(answers.filter((a) => a.r.status < 300).length, "some requests were accepted").toBeGreaterThan(0);

    for (const a of throttled) {
      expect(Number(a.r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(a.body).toEqual({
        status: "throttle event",
        message: expect.stringMatching(/overloaded/),
        errors: [],
      });
    }
    for (const a of unavailable) {
      expect(Number(a.r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(a.r.headers.get("content-type")).toMatch(/application\/problem\+json/);
      expect(a.body).toMatchObject({ status: 503, code: "unavailable" });
    }

    // Accepted means committed: exactly the accepted alerts are stored, none of the refused.
    const accepted = answers.filter((a) => a.r.status < 300).map((a) => a.key);
    const stored = (await alertsOf(s, small)).map((a) => a.dedupKey);
    expect(stored.sort()).toEqual(accepted.sort());

    expect(await metric(small, "events", "accepted")).toBe(events.length - throttled.length);
    expect(await metric(small, "events", "rate-limited")).toBe(throttled.length);
    expect(await metric(small, "alertmanager", "accepted")).toBe(alertmanager.length - unavailable.length);
    expect(await metric(small, "alertmanager", "unavailable")).toBe(unavailable.length);

    // Once the burst has drained, the refused senders' retries are accepted.
    for (const a of throttled)
      expect((await enqueue(trigger(s.integrationKey, a.key), small.base)).status).toBe(202);
    expect((await alertsOf(s, small)).length).toBe(accepted.length + throttled.length);
  });

  it("while the queue is full a request is refused before its body is read (a body that is not even JSON gets 429/503, not 400)", async () => {
    const s = await newService(small, "full-queue");
    // Writes wait for this lock: the one transaction in flight blocks and the queue fills up.
    const lock = new pg.Client({ connectionString: small.url });
    await lock.connect();
    try {
      await lock.query("BEGIN");
      await lock.query("LOCK TABLE alerts IN SHARE MODE");
      const waiting = ["held-1", "held-2", "held-3"].map((k) =>
        enqueue(trigger(s.integrationKey, k), small.base),
      );
      await waitFor(() => small.services.alerts.queued === 2, { message: "the queue never filled" });

      const notJson = (path: string) =>
        fetch(`${small.base}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{ not json",
        });
      const ev = await notJson("/v2/enqueue");
      expect(ev.status).toBe(429);
      expect(Number(ev.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await ev.json()).toMatchObject({
        status: "throttle event",
        message: expect.stringMatching(/overloaded/),
      });
      const am = await notJson(`/api/v1/integrations/alertmanager/${s.integrationKey}`);
      expect(am.status).toBe(503);
      expect(Number(am.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      // Requests that do not queue are still read.
      const change = await notJson(`/api/v1/integrations/change/${s.integrationKey}`);
      expect(change.status).toBe(400);

      await lock.query("COMMIT");
      expect((await Promise.all(waiting)).map((r) => r.status)).toEqual([202, 202, 202]);
    } finally {
      await lock.end();
    }
    // Drained: the same malformed body is read again, and refused for what it is.
    expect((await enqueue("{ not json", small.base)).status).toBe(400);
  });
});
