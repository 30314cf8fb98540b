/**
 * The Opsgenie Alert API at Opsgenie's paths, over HTTP and PostgreSQL: create, acknowledge, add
 * note and close by alias, id and tiny id end in the expected alert and triage incident; the
 * request-status endpoint answers each request's outcome; auth failures answer Opsgenie's error
 * shape and store nothing; bad bodies name the field. Request bodies and answers follow Opsgenie's
 * Alert API documentation (https://docs.opsgenie.com/docs/alert-api: "Create Alert" sample
 * request, "Get Request Status" sample responses) and its response page (docs/response: 202, 401,
 * 422 and the `took`/`requestId` members).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = Record<string, any>;

let t: TestApp;
let key: string;
let serviceId: number;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-18T12:00:00Z" });
  await t.seedOnCall();
  const s = await t.admin.request("POST", "/api/v1/services", { name: "checkout" });
  expect(s.status, JSON.stringify(s.body)).toBe(201);
  key = s.body.integrationKey;
  serviceId = s.body.id;
});
afterAll(() => t?.close());

async function genie(method: string, path: string, body?: unknown, auth: string | null = `GenieKey ${key}`) {
  const res = await fetch(`${t.base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(auth === null ? {} : { authorization: auth }),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
}
const requestStatus = async (requestId: string) =>
  (await genie("GET", `/v2/alerts/requests/${requestId}`)).body;
const alertsOf = async (id: number): Promise<Json[]> =>
  (await t.admin.get(`/api/v1/alerts?service=${id}`)).body.alerts;
const timelineOf = async (incidentId: number): Promise<Json[]> =>
  (await t.admin.get(`/api/v1/incidents/${incidentId}/timeline`)).body.events;

/** Opsgenie's "Create Alert" sample request body (docs.opsgenie.com/docs/alert-api). */
const sampleCreate = {
  message: "An example alert message",
  alias: "Life is too short for no alias",
  description: "Every alert needs a description",
  responders: [
    { id: "4513b7ea-3b91-438f-b7e4-e3e54af9147c", type: "team" },
    { name: "NOC", type: "team" },
    { id: "bb4d9938-c3c2-455d-aaab-727aa701c0d8", type: "user" },
    { username: "trinity@opsgenie.com", type: "user" },
    { id: "aee8a0de-c80f-4515-a232-501c0bc9d715", type: "escalation" },
    { name: "Nightwatch Escalation", type: "escalation" },
    { id: "80564037-1984-4f38-b98e-8a1f662df552", type: "schedule" },
    { name: "First Responders Schedule", type: "schedule" },
  ],
  visibleTo: [
    { id: "4513b7ea-3b91-438f-b7e4-e3e54af9147c", type: "team" },
    { name: "rocket_team", type: "team" },
  ],
  actions: ["Restart", "AnExampleAction"],
  tags: ["OverwriteQuietHours", "Critical"],
  details: { key1: "value1", key2: "value2" },
  entity: "An example entity",
  priority: "P1",
};

describe("create, acknowledge, note, close", () => {
  it("create answers 202 in Opsgenie's shape; the request status names the alert; a repeat dedups by alias", async () => {
    const r = await genie("POST", "/v2/alerts", sampleCreate);
    expect(r.status).toBe(202);
    expect(r.body).toEqual({
      result: "Request will be processed",
      took: expect.any(Number),
      requestId: expect.any(String),
    });
    expect(r.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.took).toBeLessThan(60);

    const status = await requestStatus(r.body.requestId);
    expect(status).toMatchObject({
      data: {
        success: true,
        isSuccess: true,
        action: "Create",
        status: "Created alert",
        alias: sampleCreate.alias,
        alertId: expect.stringMatching(/^\d+$/),
        processedAt: "2026-11-18T12:00:00.000Z",
      },
      took: expect.any(Number),
      requestId: expect.any(String),
    });

    const again = await genie("POST", "/v2/alerts", sampleCreate);
    expect(again.status).toBe(202);
    expect((await requestStatus(again.body.requestId)).data.alertId).toBe(status.data.alertId);

    const alerts = await alertsOf(serviceId);
    expect(alerts).toHaveLength(1);
    const [a] = alerts;
    expect(a).toMatchObject({
      id: Number(status.data.alertId),
      dedupKey: sampleCreate.alias,
      source: "opsgenie",
      status: "firing",
      summary: "An example alert message",
      severity: "critical", // P1
      occurrences: 2,
      incidentId: expect.any(Number),
    });
    // Recorded, not used for routing: the key's service and its escalation policy decide.
    expect(a?.details).toMatchObject({
      priority: "P1",
      tags: ["OverwriteQuietHours", "Critical"],
      details: { key1: "value1", key2: "value2" },
      entity: "An example entity",
      responders: sampleCreate.responders,
    });
    const incident = (await t.admin.get(`/api/v1/incidents/${a?.incidentId}`)).body;
    expect(incident).toMatchObject({ state: "triage", title: "checkout: An example alert message" });
  });

  it("acknowledge by alias, a note by id, close by tiny id: the alert follows and the incident's timeline has the note", async () => {
    const created = await genie("POST", "/v2/alerts", {
      message: "queue depth high",
      alias: "queue-depth",
      priority: "P4",
    });
    const alertId = (await requestStatus(created.body.requestId)).data.alertId as string;

    const ack = await genie("POST", "/v2/alerts/queue-depth/acknowledge?identifierType=alias", {
      user: "Monitoring Script",
      source: "AWS Lambda",
      note: "Action executed via Alert API",
    });
    expect(ack.status).toBe(202);
    expect((await requestStatus(ack.body.requestId)).data).toMatchObject({
      success: true,
      action: "Acknowledge",
      status: "Acknowledged alert",
      alertId,
      alias: "queue-depth",
    });
    let a = (await alertsOf(serviceId)).find((x) => x.id === Number(alertId));
    expect(a).toMatchObject({ status: "acknowledged", severity: "info" });

    const note = await genie("POST", `/v2/alerts/${alertId}/notes?identifierType=id`, {
      user: "Monitoring Script",
      source: "AWS Lambda",
      note: "Consumers scaled to 12",
    });
    expect(note.status).toBe(202);
    expect((await requestStatus(note.body.requestId)).data).toMatchObject({
      success: true,
      status: "Added note",
    });
    const notes = (await timelineOf(a?.incidentId)).filter((e) => e.kind === "alert-note").map((e) => e.body);
    expect(notes).toEqual(
      expect.arrayContaining(["Action executed via Alert API", "Consumers scaled to 12"]),
    );

    const close = await genie("POST", `/v2/alerts/${alertId}/close?identifierType=tiny`, {});
    expect(close.status).toBe(202);
    expect((await requestStatus(close.body.requestId)).data).toMatchObject({
      success: true,
      status: "Closed alert",
    });
    a = (await alertsOf(serviceId)).find((x) => x.id === Number(alertId));
    expect(a).toMatchObject({ status: "resolved", resolvedAt: expect.any(String) });
  });

  it("identifierType defaults to id; an unknown alert is a 202 whose request status says it does not exist", async () => {
    const r = await genie("POST", "/v2/alerts/no-such-alias/close", {});
    expect(r.status).toBe(202);
    expect((await requestStatus(r.body.requestId)).data).toMatchObject({
      success: false,
      isSuccess: false,
      action: "Close",
      status: "Alert does not exist",
      alertId: "",
      alias: "",
    });
  });

  it("an alert of another service cannot be closed with this service's key", async () => {
    const other = await t.admin.request("POST", "/api/v1/services", { name: "payments" });
    const created = await genie(
      "POST",
      "/v2/alerts",
      { message: "card declines" },
      `GenieKey ${other.body.integrationKey}`,
    );
    const alertId = (
      await genie(
        "GET",
        `/v2/alerts/requests/${created.body.requestId}`,
        undefined,
        `GenieKey ${other.body.integrationKey}`,
      )
    ).body.data.alertId;
    expect(alertId).toMatch(/^\d+$/);
    // The request is the other key's: this key cannot read it either.
    expect((await genie("GET", `/v2/alerts/requests/${created.body.requestId}`)).status).toBe(404);
    const r = await genie("POST", `/v2/alerts/${alertId}/close`, {});
    expect((await requestStatus(r.body.requestId)).data.status).toBe("Alert does not exist");
    expect((await alertsOf(other.body.id)).map((a) => a.status)).toEqual(["firing"]);
  });

  it("P1–P5 map to critical, error, warning, info, info; no priority is P3", async () => {
    const got: Record<string, string> = {};
    for (const p of ["P1", "P2", "P3", "P4", "P5", undefined]) {
      const alias = `priority-${p ?? "none"}`;
      const r = await genie("POST", "/v2/alerts", {
        message: `priority ${p}`,
        alias,
        ...(p && { priority: p }),
      });
      expect(r.status).toBe(202);
      got[p ?? "none"] = (await alertsOf(serviceId)).find((a) => a.dedupKey === alias)?.severity;
    }
    expect(got).toEqual({
      P1: "critical",
      P2: "error",
      P3: "warning",
      P4: "info",
      P5: "info",
      none: "warning",
    });
  });
});

describe("refusals", () => {
  it("no key or an unknown key: 401 in Opsgenie's shape, and nothing stored", async () => {
    const before = (await alertsOf(serviceId)).length;
    for (const auth of [null, "GenieKey 00000000000000000000000000000000", `Bearer ${key}`]) {
      const r = await genie("POST", "/v2/alerts", { message: "unauthenticated", alias: "unauth" }, auth);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({
        message: expect.stringMatching(/^Could not authenticate/),
        took: expect.any(Number),
        requestId: expect.any(String),
      });
      expect(JSON.stringify(r.body)).not.toContain(key);
    }
    expect(
      (await genie("GET", "/v2/alerts/requests/00000000-0000-4000-8000-000000000000", undefined, null))
        .status,
    ).toBe(401);
    expect((await genie("POST", "/v2/alerts/unauth/close?identifierType=alias", {}, null)).status).toBe(401);
    expect(await alertsOf(serviceId)).toHaveLength(before);
  });

  it("a bad body is a 422 naming the field, and nothing stored", async () => {
    const before = (await alertsOf(serviceId)).length;
    const cases: [unknown, string][] = [
      [{ alias: "no-message" }, "message"],
      [{ message: "" }, "message"],
      [{ message: "x".repeat(131) }, "message"],
      [{ message: "bad priority", priority: "P9" }, "priority"],
      [{ message: "bad tags", tags: "critical" }, "tags"],
      [{ message: "bad details", details: { count: 3 } }, "details.count"],
    ];
    for (const [body, field] of cases) {
      const r = await genie("POST", "/v2/alerts", body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body.message).toMatch(new RegExp(`^${field.replace(".", "\\.")}: `));
      expect(r.body.errors).toHaveProperty([field]);
      expect(r.body).toMatchObject({ took: expect.any(Number), requestId: expect.any(String) });
    }
    const badType = await genie("POST", "/v2/alerts/x/close?identifierType=name", {});
    expect(badType.status).toBe(422);
    expect(badType.body.message).toMatch(/^identifierType: /);
    const noNote = await genie("POST", "/v2/alerts/x/notes?identifierType=alias", { user: "me" });
    expect(noNote.status).toBe(422);
    expect(noNote.body.message).toMatch(/^note: /);
    const notJson = await genie("POST", "/v2/alerts", "{not json");
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ message: expect.any(String), requestId: expect.any(String) });
    expect(await alertsOf(serviceId)).toHaveLength(before);
  });

  it("an unknown request id is a 404 in Opsgenie's shape", async () => {
    const r = await genie("GET", "/v2/alerts/requests/513085b8-caf3-4f91-aa23-be5fdefc3570");
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({
      message: expect.stringMatching(/^Request not found/),
      requestId: expect.any(String),
    });
  });

  it("a request's outcome can be read back for a week, then it is gone", async () => {
    const old = await genie("POST", "/v2/alerts", { message: "kept a week", alias: "retention" });
    t.clock.advance(6 * 24 * 3600_000);
    await genie("POST", "/v2/alerts/retention/acknowledge?identifierType=alias", {});
    expect((await genie("GET", `/v2/alerts/requests/${old.body.requestId}`)).status).toBe(200);
    t.clock.advance(2 * 24 * 3600_000);
    const later = await genie("POST", "/v2/alerts/retention/close?identifierType=alias", {});
    expect((await genie("GET", `/v2/alerts/requests/${old.body.requestId}`)).status).toBe(404);
    expect((await requestStatus(later.body.requestId)).data.status).toBe("Closed alert");
  });

  it("Events API v2 at /v2/enqueue still works beside the Opsgenie paths", async () => {
    const r = await fetch(`${t.base}/v2/enqueue`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        routing_key: key,
        event_action: "trigger",
        dedup_key: "v2-beside-opsgenie",
        payload: { summary: "still here", source: "db-1", severity: "warning" },
      }),
    });
    expect(r.status).toBe(202);
    expect(await r.json()).toMatchObject({ status: "success", dedup_key: "v2-beside-opsgenie" });
  });
});
