/**
 * The review document generated from a real incident (REV-1, TL-3): changes recorded for the
 * incident's alerting service near its start (not older ones, not another service's), pages,
 * pinned highlights and status updates.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Json } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.seedOnCall();
});
afterAll(() => t?.close());

const post = (path: string, body: unknown) =>
  fetch(`${t.base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

async function newService(name: string): Promise<Json> {
  const r = await t.admin.request("POST", "/api/v1/services", { name });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

describe("the generated review document", () => {
  it("REV-1 TL-3: lists the service's changes near the start, pages, highlights and status updates", async () => {
    const web = await newService("review-web");
    const other = await newService("review-other");
    const now = t.clock.now().getTime();
    const change = (key: string, summary: string, minutesAgo: number) =>
      post("/v2/change/enqueue", {
        routing_key: key,
        payload: { summary, timestamp: new Date(now - minutesAgo * 60_000).toISOString(), source: "ci" },
      });
    expect((await change(web.integrationKey, "Deployed web v1.4.2", 30)).status).toBe(202);
    expect((await change(web.integrationKey, "Deployed web v1.0.0", 3 * 24 * 60)).status).toBe(202);
    expect((await change(other.integrationKey, "Deployed other v9", 10)).status).toBe(202);
    const fired = await post("/v2/enqueue", {
      routing_key: web.integrationKey,
      event_action: "trigger",
      dedup_key: "web-5xx",
      payload: { summary: "web 5xx above 5%", source: "lb-1", severity: "critical" },
    });
    expect(fired.status).toBe(202);
    await t.runJobs();
    const alerts = (await t.admin.get(`/api/v1/alerts?service=${web.id}`)).body.alerts;
    const incidentId: number = alerts[0].incidentId;

    const accepted = await t.admin.request("POST", `/api/v1/incidents/${incidentId}/status`, {
      status: "investigating",
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    const note = await t.admin.request("POST", `/api/v1/incidents/${incidentId}/notes`, {
      body: "rolled back v1.4.2",
    });
    const pin = await t.admin.request("PUT", `/api/v1/incidents/${incidentId}/timeline/${note.body.id}/pin`);
    expect(pin.status, JSON.stringify(pin.body)).toBeLessThan(300);
    const update = await t.admin.request("POST", `/api/v1/incidents/${incidentId}/updates`, {
      impact: "a third of checkouts fail",
      actions: "rolling back",
    });
    expect(update.status, JSON.stringify(update.body)).toBe(201);

    const doc: string = (await t.admin.get(`/api/v1/incidents/${incidentId}/review?format=markdown`)).body;
    const section = (name: string) => doc.split(`## ${name}\n`)[1]?.split("\n## ")[0] ?? "";
    expect(section("Changes near the start")).toContain("review-web change: Deployed web v1.4.2");
    expect(section("Changes near the start")).not.toContain("v1.0.0");
    expect(section("Changes near the start")).not.toContain("other v9");
    expect(section("Timeline highlights")).toContain("rolled back v1.4.2");
    expect(section("Pages and acknowledgements")).toMatch(/triggered/);
    expect(section("Status posts")).toContain("a third of checkouts fail");
  });
});
