/**
 * A channel that keeps failing raises ONE alert for the admins: three pages whose webhook answers
 * 500 give exactly one firing alert on the internal "Firebreak self-monitoring" service (deduplicated
 * by the contact method; a fourth failure adds none), which groups and pages like any alert; the
 * method's next delivered page resolves it. Real server, real webhook receiver on loopback.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SELF_MONITORING_SERVICE } from "../../src/alerts/self-monitor.ts";
import { channelAlertKey } from "../../src/paging/channel-health.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

let t: TestApp;
let receiver: Server;
let hooks = "";
let failing = true;
const messages = new Set<string>(); // idempotency keys: one per delivery, however often retried

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      messages.add(String(req.headers["firebreak-idempotency-key"]));
      res.writeHead(failing ? 500 : 200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  hooks = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  t = await startTestApp({ clockStart: new Date() });
  await t.seedOnCall();
});
afterAll(async () => {
  await t?.close();
  await new Promise((r) => receiver?.close(r));
});

async function selfAlerts() {
  const services = (await t.admin.get("/api/v1/services")).body.services as { id: number; name: string }[];
  const self = services.find((s) => s.name === SELF_MONITORING_SERVICE);
  if (!self) return [];
  const r = await t.admin.get(`/api/v1/alerts?service=${self.id}&status=firing,acknowledged,resolved`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.alerts as {
    dedupKey: string;
    status: string;
    summary: string;
    source: string;
    incidentId: number | null;
  }[];
}

describe("a contact method that fails for three pages in a row", () => {
  it("raises one alert, and its next delivered page resolves it", async () => {
    const vic = await t.user("vic");
    const cm = await vic.request("POST", "/api/v1/me/contact-methods", {
      kind: "webhook",
      label: "Vic's bridge",
      address: `${hooks}/hook`,
    });
    expect(cm.status, JSON.stringify(cm.body)).toBe(201);
    const rule = await vic.request("POST", "/api/v1/me/notification-rules", {
      contactMethodId: cm.body.id,
      urgency: "high",
      delayMinutes: 0,
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    const policy = await t.admin.request("POST", "/api/v1/escalation-policies", {
      name: "Vic only",
      levels: [{ timeoutMinutes: 30, targets: [{ kind: "user", id: vic.id }] }],
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);

    const page = async (title: string) => {
      const r = await t.admin.request("POST", "/api/v1/pages", {
        policyId: policy.body.id,
        title,
        urgency: "high",
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      await t.runJobs();
      await t.advanceMinutes(2); // past the one-message-a-minute throttle: each page is its own delivery
    };

    await page("one");
    await page("two");
    expect(await selfAlerts()).toEqual([]); // two failures: no alert yet
    await page("three");
    let alerts = await selfAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      dedupKey: channelAlertKey(cm.body.id),
      status: "firing",
      source: "firebreak",
    });
    expect(alerts[0]!.incidentId).not.toBeNull(); // grouped into an incident that pages, like any alert
    expect(alerts[0]!.summary).toMatch(/Vic's bridge.*vic failed 3 deliveries in a row: HTTP 500/);

    await page("four"); // still failing: the same alert, not another
    alerts = await selfAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.status).toBe("firing");
    expect(messages.size).toBe(4);

    failing = false;
    await page("five");
    alerts = await selfAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.status).toBe("resolved");
  });
});
