/**
 * Alert intake end to end over HTTP and PostgreSQL: Events v2 and Alertmanager payloads become
 * deduplicated alerts, grouped into one triage incident that pages the service's policy (DEC-3,
 * SEV-6); resolutions settle the page; bad input is refused precisely and stores nothing.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = Record<string, any>;

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), "utf8")) as Json;

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-18T12:00:00Z" });
  await t.seedOnCall();
});
afterAll(() => t?.close());

async function newService(name: string, extra: Json = {}) {
  const r = await t.admin.request("POST", "/api/v1/services", { name, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as Json & { id: number; integrationKey: string };
}

const enqueue = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${t.base}/v2/enqueue`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const trigger = (key: string, dedup: string | undefined, summary = "disk full on db-1") => ({
  routing_key: key,
  event_action: "trigger",
  ...(dedup === undefined ? {} : { dedup_key: dedup }),
  payload: { summary, source: "db-1", severity: "critical" },
});

const alertsOf = async (serviceId: number): Promise<Json[]> =>
  (await t.admin.get(`/api/v1/alerts?service=${serviceId}`)).body.alerts;
const incidentsOf = async (): Promise<Json[]> =>
  (await t.admin.get("/api/v1/incidents?limit=500")).body.incidents;
const pagesOf = async (incidentId: number): Promise<Json[]> =>
  (await t.admin.get(`/api/v1/pages?incident=${incidentId}`)).body.pages;
const timelineOf = async (incidentId: number): Promise<Json[]> =>
  (await t.admin.get(`/api/v1/incidents/${incidentId}/timeline`)).body.events;

describe("services", () => {
  it("POST /services answers 201 with the service and its first integration key, on the default policy", async () => {
    const s = await newService("web");
    expect(s.integrationKey).toMatch(/^[0-9a-f]{32}$/);
    const policies: Json[] = (await t.admin.get("/api/v1/escalation-policies")).body.policies;
    expect(s.escalationPolicyId).toBe(policies.find((p) => p.name === "Engineer On Call")?.id);
    const keys = (await t.admin.get(`/api/v1/services/${s.id}/integration-keys`)).body.keys as Json[];
    expect(keys).toHaveLength(1);
    expect(keys[0]?.keyHint).toBe(s.integrationKey.slice(-4));
    expect(JSON.stringify(keys)).not.toContain(s.integrationKey);
  });

  it("refuses an unknown policy, a duplicate name and a non-admin", async () => {
    const bad = await t.admin.request("POST", "/api/v1/services", { name: "x", escalationPolicyId: 999999 });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe("escalationPolicyId");
    const dup = await t.admin.request("POST", "/api/v1/services", { name: "web" });
    expect(dup.status).toBe(409);
    const alice = await t.user("alice-svc", "responder");
    expect((await alice.request("POST", "/api/v1/services", { name: "y" })).status).toBe(403);
  });
});

describe("Events API v2", () => {
  let api: Json & { id: number; integrationKey: string };
  let incidentId: number;

  beforeAll(async () => {
    api = await newService("api");
  });

  it("DEC-3: a trigger answers 202 as Events v2 does, opens a triage incident and pages the service's policy", async () => {
    const before = (await incidentsOf()).length;
    const res = await enqueue(trigger(api.integrationKey, "db-1/disk"));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({
      status: "success",
      message: "Event processed",
      dedup_key: "db-1/disk",
    });

    const [alert] = await alertsOf(api.id);
    expect(alert).toMatchObject({
      dedupKey: "db-1/disk",
      status: "firing",
      severity: "critical",
      occurrences: 1,
    });
    const incidents = await incidentsOf();
    expect(incidents).toHaveLength(before + 1);
    const incident = incidents.find((i) => i.id === alert?.incidentId);
    expect(incident).toMatchObject({ state: "triage", title: "api: disk full on db-1" });
    incidentId = incident?.id;
    const pages = await pagesOf(incidentId);
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ state: "triggered", policyId: api.escalationPolicyId });
    expect((await timelineOf(incidentId)).map((e) => e.kind)).toContain("alert-grouped");
  });

  it("SEV-6: the alert's severity does not set the incident's", async () => {
    const incident = (await t.admin.get(`/api/v1/incidents/${incidentId}`)).body;
    expect(incident.severity).toBe("S4");
  });

  it("a repeated trigger updates one alert (occurrences, last seen) and pages no one again", async () => {
    t.clock.advanceMinutes(1);
    expect((await enqueue(trigger(api.integrationKey, "db-1/disk"))).status).toBe(202);
    const alerts = await alertsOf(api.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ occurrences: 2, lastSeenAt: t.clock.now().toISOString() });
    expect(await pagesOf(incidentId)).toHaveLength(1);
  });

  it("many alerts, one incident: another alert of the service within the window joins it", async () => {
    const before = (await incidentsOf()).length;
    expect((await enqueue(trigger(api.integrationKey, "db-2/disk", "disk full on db-2"))).status).toBe(202);
    const alerts = await alertsOf(api.id);
    expect(alerts).toHaveLength(2);
    expect(new Set(alerts.map((a) => a.incidentId))).toEqual(new Set([incidentId]));
    expect(await incidentsOf()).toHaveLength(before);
    expect(await pagesOf(incidentId)).toHaveLength(1);
  });

  it("a trigger without dedup_key gets one, and two such triggers are two alerts", async () => {
    const a = (await (await enqueue(trigger(api.integrationKey, undefined, "same text"))).json()) as Json;
    const b = (await (await enqueue(trigger(api.integrationKey, undefined, "same text"))).json()) as Json;
    expect(a.dedup_key).toMatch(/^[0-9a-f]{32}$/);
    expect(b.dedup_key).not.toBe(a.dedup_key);
    for (const key of [a.dedup_key, b.dedup_key]) {
      const r = await enqueue({ routing_key: api.integrationKey, event_action: "resolve", dedup_key: key });
      expect(r.status).toBe(202);
    }
  });

  it("DEC-3: when every alert resolves, the triage incident's page resolves and the timeline says so", async () => {
    for (const key of ["db-1/disk", "db-2/disk"]) {
      const r = await enqueue({ routing_key: api.integrationKey, event_action: "resolve", dedup_key: key });
      expect(r.status).toBe(202);
    }
    expect((await alertsOf(api.id)).every((a) => a.status === "resolved")).toBe(true);
    const [page] = await pagesOf(incidentId);
    expect(page?.state).toBe("resolved");
    const incident = (await t.admin.get(`/api/v1/incidents/${incidentId}`)).body;
    expect(incident.state).toBe("triage");
    expect((await timelineOf(incidentId)).map((e) => e.kind)).toContain("alert-resolved");
  });

  it("a resolved alert firing again within the window re-pages its still-open incident", async () => {
    t.clock.advanceMinutes(1);
    expect((await enqueue(trigger(api.integrationKey, "db-1/disk"))).status).toBe(202);
    const pages = await pagesOf(incidentId);
    expect(pages.map((p) => p.state).sort()).toEqual(["resolved", "triggered"]);
  });

  it("acknowledge for a key acknowledges the alert; when no alert is unacknowledged the page is acknowledged", async () => {
    const r = await enqueue({
      routing_key: api.integrationKey,
      event_action: "acknowledge",
      dedup_key: "db-1/disk",
    });
    expect(r.status).toBe(202);
    const alert = (await alertsOf(api.id)).find((a) => a.dedupKey === "db-1/disk");
    expect(alert?.status).toBe("acknowledged");
    expect((await pagesOf(incidentId)).map((p) => p.state).sort()).toEqual(["acknowledged", "resolved"]);
  });

  it("acknowledge and resolve of an unknown dedup_key are accepted and change nothing", async () => {
    const before = await alertsOf(api.id);
    const r = await enqueue({
      routing_key: api.integrationKey,
      event_action: "resolve",
      dedup_key: "never-seen",
    });
    expect(r.status).toBe(202);
    expect(await alertsOf(api.id)).toEqual(before);
  });

  it("bad events get 400 with Events v2's error shape, and nothing is stored", async () => {
    const before = await alertsOf(api.id);
    const cases: [unknown, RegExp][] = [
      [{ ...trigger(api.integrationKey, "x"), routing_key: "0".repeat(32) }, /routing_key/],
      [{ routing_key: api.integrationKey, event_action: "trigger", dedup_key: "x" }, /payload/],
      [{ routing_key: api.integrationKey, event_action: "resolve" }, /dedup_key/],
      [{ ...trigger(api.integrationKey, "x"), event_action: "explode" }, /event_action/],
      [
        { ...trigger(api.integrationKey, "x"), payload: { summary: "s", source: "x", severity: "bad" } },
        /severity/,
      ],
      [{ ...trigger(api.integrationKey, "x"), payload: { source: "x", severity: "info" } }, /summary/],
    ];
    for (const [body, error] of cases) {
      const res = await enqueue(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const answer = (await res.json()) as Json;
      expect(answer.status).toBe("invalid event");
      expect(answer.message).toBe("Event object is invalid");
      expect(answer.errors.join("\n")).toMatch(error);
    }
    const malformed = await enqueue("{not json");
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as Json).errors.join()).toMatch(/JSON/);
    const text = await fetch(`${t.base}/v2/enqueue`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "hi",
    });
    expect(text.status).toBe(415);
    const big = await enqueue({
      ...trigger(api.integrationKey, "big"),
      payload: { summary: "s", source: "x", severity: "info", custom_details: { x: "a".repeat(600_000) } },
    });
    expect(big.status).toBe(413);
    expect(await alertsOf(api.id)).toEqual(before);

    const metrics = await (
      await fetch(`${t.base}/metrics`, { headers: { authorization: `Bearer ${t.admin.token}` } })
    ).text();
    expect(metrics).toMatch(/firebreak_alert_intake_total\{integration="events",outcome="invalid"\} (\d+)/);
    expect(metrics).toMatch(/firebreak_alert_intake_total\{integration="events",outcome="accepted"\} \d+/);
  });
});

describe("Alertmanager webhook", () => {
  let svc: Json & { id: number; integrationKey: string };
  const post = (body: unknown, key = svc.integrationKey) =>
    fetch(`${t.base}/api/v1/integrations/alertmanager/${key}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    svc = await newService("checkout");
  });

  it("firing alerts are stored by fingerprint and open one triage incident with one page", async () => {
    const res = await post(fixture("alertmanager-webhook-firing"));
    expect(res.status).toBe(200);
    const alerts = await alertsOf(svc.id);
    expect(alerts.map((a) => a.dedupKey).sort()).toEqual(["2aa120c7ceb89c67", "da1d4572b2eb646c"].sort());
    expect(new Set(alerts.map((a) => a.incidentId)).size).toBe(1);
    expect(await pagesOf(alerts[0]?.incidentId)).toHaveLength(1);
  });

  it("the same notification again (Alertmanager retries, HA peers) changes no incident or page", async () => {
    const before = await incidentsOf();
    const alertsBefore = await alertsOf(svc.id);
    expect((await post(fixture("alertmanager-webhook-firing"))).status).toBe(200);
    expect(await incidentsOf()).toEqual(before);
    const after = await alertsOf(svc.id);
    expect(after.map((a) => a.status)).toEqual(alertsBefore.map((a) => a.status));
    expect(await pagesOf(after[0]?.incidentId)).toHaveLength(1);
  });

  it("the resolved notification resolves the alerts and the page", async () => {
    expect((await post(fixture("alertmanager-webhook-resolved"))).status).toBe(200);
    const alerts = await alertsOf(svc.id);
    expect(alerts.every((a) => a.status === "resolved")).toBe(true);
    expect((await pagesOf(alerts[0]?.incidentId))[0]?.state).toBe("resolved");
  });

  it("an unknown key is 404 and a wrong payload version 400, naming the field", async () => {
    const unknown = await post(fixture("alertmanager-webhook-firing"), "f".repeat(32));
    expect(unknown.status).toBe(404);
    const v3 = await post({ ...fixture("alertmanager-webhook-firing"), version: "3" });
    expect(v3.status).toBe(400);
    expect(((await v3.json()) as Json).field).toBe("version");
    const url = `${t.base}/api/v1/integrations/alertmanager/${svc.integrationKey}`;
    const xml = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/xml" },
      body: "<a/>",
    });
    expect(xml.status).toBe(415);
    const broken = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(broken.status).toBe(400);
    const huge = await post({ ...fixture("alertmanager-webhook-firing"), padding: "x".repeat(600 * 1024) });
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as Json).detail).toContain("524288 bytes");

    const metrics = await (
      await fetch(`${t.base}/metrics`, { headers: { authorization: `Bearer ${t.admin.token}` } })
    ).text();
    for (const outcome of ["unknown-key", "invalid-request", "unsupported-media-type", "body-too-large"]) {
      expect(metrics).toMatch(
        new RegExp(`firebreak_alert_intake_total{integration="alertmanager",outcome="${outcome}"} [1-9]`),
      );
    }
  });
});

describe("accepting a triage incident opened by alerts", () => {
  it("DEC-3, OWN-1, PAGE-1: the responder who accepts it (with a severity) owns it; accepted as an S2 it pages the IM", async () => {
    const svc = await newService("registry");
    expect((await enqueue(trigger(svc.integrationKey, "registry/5xx", "registry 5xx"))).status).toBe(202);
    const [alert] = await alertsOf(svc.id);
    const incidentId = alert?.incidentId as number;
    const before = (await t.admin.get(`/api/v1/incidents/${incidentId}`)).body;
    expect(before.owner.username).toBe("@alerts");

    const carol = await t.user("carol-accepts", "responder");
    const accepted = await carol.request("POST", `/api/v1/incidents/${incidentId}/status`, {
      status: "investigating",
      severity: "S2",
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toMatchObject({ state: "investigating", severity: "S2" });
    expect(accepted.body.owner.username).toBe("carol-accepts");
    const kinds = (await timelineOf(incidentId)).map((e) => e.kind);
    expect(kinds).toContain("owner-changed");
    // Someone is on it: the alerts' page stops escalating. Accepted as an S2, it pages the IM (PAGE-1).
    const pages = await pagesOf(incidentId);
    expect(pages.filter((p) => p.role === null).map((p) => p.state)).toEqual(["acknowledged"]);
    const im = pages.filter((p) => p.role === "IM");
    expect(im).toHaveLength(1);
    expect(im[0]).toMatchObject({ state: "triggered", urgency: "high" });
    expect(im[0]?.title).toContain("PAGE-1");
  });

  it("a person cannot sign in as the automation actor: no username may start with @", async () => {
    const r = await t.admin.request("POST", "/api/v1/users", {
      username: "@alerts",
      name: "x",
      role: "admin",
    });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe("username");
  });
});
