/**
 * PagerDuty Events API v1 over HTTP and PostgreSQL: trigger, acknowledge and resolve by
 * incident_key end in one alert and its triage incident; answers and errors in v1's shapes; an
 * unknown service key or a bad event stores nothing. The events are the trigger, acknowledge and
 * resolve examples of PagerDuty's "Events API v1" documentation (developer.pagerduty.com, "Trigger
 * events" / "Acknowledge events" / "Resolve events"), answers as its sample responses.
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
  const s = await t.admin.request("POST", "/api/v1/services", { name: "web" });
  expect(s.status, JSON.stringify(s.body)).toBe(201);
  key = s.body.integrationKey;
  serviceId = s.body.id;
});
afterAll(() => t?.close());

async function createEvent(body: unknown) {
  const res = await fetch(`${t.base}/generic/2010-04-15/create_event.json`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}
const alertsOf = async (id: number): Promise<Json[]> =>
  (await t.admin.get(`/api/v1/alerts?service=${id}`)).body.alerts;

// PagerDuty's v1 examples, with a Firebreak integration key as the service key.
const triggerExample = () => ({
  service_key: key,
  incident_key: "srv01/HTTP",
  event_type: "trigger",
  description: "FAILURE for production/HTTP on machine srv01.acme.com",
  client: "Sample Monitoring Service",
  client_url: "https://monitoring.service.com",
  details: { "ping time": "1500ms", "load avg": 0.75 },
  contexts: [
    { type: "link", href: "http://acme.pagerduty.com" },
    {
      type: "image",
      src: "https://chart.googleapis.com/chart?chs=600x400&chd=t:6,2,9,5,2,5,7,4,8,2,1&cht=lc",
    },
  ],
});

describe("PagerDuty Events API v1", () => {
  it("trigger (twice), acknowledge, resolve by incident_key: one alert, one triage incident", async () => {
    const first = await createEvent(triggerExample());
    expect(first).toEqual({
      status: 200,
      body: { status: "success", message: "Event processed", incident_key: "srv01/HTTP" },
    });
    expect((await createEvent(triggerExample())).status).toBe(200);
    let [a, ...rest] = await alertsOf(serviceId);
    expect(rest).toEqual([]);
    expect(a).toMatchObject({
      dedupKey: "srv01/HTTP",
      source: "events-v1",
      status: "firing",
      summary: "FAILURE for production/HTTP on machine srv01.acme.com",
      occurrences: 2,
      incidentId: expect.any(Number),
    });
    expect(a?.details).toMatchObject({
      details: { "ping time": "1500ms", "load avg": 0.75 },
      client: "Sample Monitoring Service",
      clientUrl: "https://monitoring.service.com",
    });
    const incident = (await t.admin.get(`/api/v1/incidents/${a?.incidentId}`)).body;
    expect(incident).toMatchObject({ state: "triage" });

    const ack = await createEvent({
      service_key: key,
      incident_key: "srv01/HTTP",
      event_type: "acknowledge",
      description: "Andrew now working on the problem.",
      details: { "work started": "2010-06-10 05:43" },
    });
    expect(ack.body).toMatchObject({ status: "success", incident_key: "srv01/HTTP" });
    [a] = await alertsOf(serviceId);
    expect(a?.status).toBe("acknowledged");

    const resolve = await createEvent({
      service_key: key,
      incident_key: "srv01/HTTP",
      event_type: "resolve",
      description: "Andrew fixed the problem.",
      details: { "fixed at": "2010-06-10 06:00" },
    });
    expect(resolve.status).toBe(200);
    [a] = await alertsOf(serviceId);
    expect(a).toMatchObject({
      status: "resolved",
      summary: "FAILURE for production/HTTP on machine srv01.acme.com",
    });
  });

  it("a trigger without incident_key gets one, and answers it", async () => {
    const r = await createEvent({
      ...triggerExample(),
      incident_key: undefined,
      description: "no key given",
    });
    expect(r.status).toBe(200);
    expect(r.body.incident_key).toMatch(/^[0-9a-f]{32}$/);
    expect((await alertsOf(serviceId)).some((x) => x.dedupKey === r.body.incident_key)).toBe(true);
  });

  it("an unknown service key or a bad event: 400 in v1's shape naming the field, and nothing stored", async () => {
    const before = (await alertsOf(serviceId)).length;
    const cases: [unknown, RegExp][] = [
      [{ ...triggerExample(), service_key: "00000000000000000000000000000000" }, /^'service_key' /],
      [{ ...triggerExample(), service_key: undefined }, /^'service_key' /],
      [{ ...triggerExample(), event_type: "page" }, /^'event_type' /],
      [{ ...triggerExample(), description: undefined }, /^'description' .*required for trigger/],
      [{ service_key: key, event_type: "resolve" }, /^'incident_key' .*required for resolve/],
      [{ ...triggerExample(), details: "ping time 1500ms" }, /^'details' /],
    ];
    for (const [body, error] of cases) {
      const r = await createEvent(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body).toMatchObject({ status: "invalid event", message: "Event object is invalid" });
      expect(r.body.errors[0]).toMatch(error);
    }
    const notJson = await createEvent("{nope");
    expect(notJson.status).toBe(400);
    expect(notJson.body.status).toBe("invalid event");
    expect(await alertsOf(serviceId)).toHaveLength(before);
  });
});
