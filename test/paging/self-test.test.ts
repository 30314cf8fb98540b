/**
 * The scheduled self-test, on the test clock: a policy with `selfTest` sends a test page at `at` to
 * whoever is on call in the named rotation (the admin, after the on-call set-up); the contact method
 * whose webhook answers 500 raises ONE failing-channel alert for the admins on "Firebreak
 * self-monitoring", the one that delivers raises none; the next day's self-test, delivered, resolves
 * it. And the schedule maths: `at` and every `every` hours from it, in UTC.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SELF_MONITORING_SERVICE } from "../../src/alerts/self-monitor.ts";
import { channelAlertKey } from "../../src/paging/channel-health.ts";
import { nextSelfTest } from "../../src/paging/self-test.ts";
import { loadPolicy } from "../../src/policy/load.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

let t: TestApp;
let receiver: Server;
let hooks = "";
let failing = true;
const start = new Date();
const at = new Date(start.getTime() + 30 * 60_000);
const hhmm = `${String(at.getUTCHours()).padStart(2, "0")}:${String(at.getUTCMinutes()).padStart(2, "0")}`;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(req.url === "/flaky" && failing ? 500 : 200).end());
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  hooks = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const policy = { ...loadPolicy(), selfTest: { every: "24h", at: hhmm, rotations: ["EOC"] } };
  t = await startTestApp({ clockStart: start, policy });
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
  return (await t.admin.get(`/api/v1/alerts?service=${self.id}`)).body.alerts as {
    dedupKey: string;
    status: string;
    summary: string;
  }[];
}

describe("scheduled self-test", () => {
  it("pages whoever is on call at `at`; a failing method alerts the admins once, the next delivered test resolves it", async () => {
    const method = async (label: string, path: string) => {
      const r = await t.admin.request("POST", "/api/v1/me/contact-methods", {
        kind: "webhook",
        label,
        address: `${hooks}${path}`,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as number;
    };
    const flaky = await method("Flaky bridge", "/flaky");
    await method("Good bridge", "/ok");

    await t.advanceMinutes(29);
    expect(await selfAlerts()).toEqual([]); // not yet
    await t.advanceMinutes(2); // the self-test runs; its receipts are read a deadline later
    await t.advanceMinutes(1);
    let alerts = await selfAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ dedupKey: channelAlertKey(flaky), status: "firing" });
    expect(alerts[0]!.summary).toBe(
      'Scheduled self-test: contact method "Flaky bridge" (webhook) of admin, on call in EOC: failed: HTTP 500 Internal Server Error',
    );

    failing = false;
    await t.advanceMinutes(24 * 60); // the next day's self-test is delivered
    await t.advanceMinutes(1);
    alerts = await selfAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.status).toBe("resolved");
  });

  it("an on-call person left with only an unverified method is reported as unreachable", async () => {
    const mine = (await t.admin.get("/api/v1/me/contact-methods")).body.contactMethods as { id: number }[];
    for (const m of mine) await t.admin.request("DELETE", `/api/v1/me/contact-methods/${m.id}`);
    const sms = await t.admin.request("POST", "/api/v1/me/contact-methods", {
      kind: "sms",
      label: "Mobile",
      address: "+14155550199",
    });
    expect(sms.body).toMatchObject({ verified: false });
    await t.advanceMinutes(24 * 60); // the next day's self-test
    await t.advanceMinutes(1);
    const unreachable = (await selfAlerts()).filter((a) =>
      a.dedupKey.startsWith("self-test:no-contact-methods:"),
    );
    expect(unreachable).toHaveLength(1);
    expect(unreachable[0]).toMatchObject({ status: "firing" });
    expect(unreachable[0]!.summary).toBe(
      "Scheduled self-test: admin, on call in EOC, has no verified contact method; pages cannot reach them",
    );
  });

  it("runs at `at` and every `every` hours from it (UTC)", () => {
    const cfg = { every: "24h", at: "09:00", rotations: ["EOC"] };
    expect(nextSelfTest(cfg, new Date("2026-03-02T08:00:00Z")).toISOString()).toBe(
      "2026-03-02T09:00:00.000Z",
    );
    expect(nextSelfTest(cfg, new Date("2026-03-02T09:00:00Z")).toISOString()).toBe(
      "2026-03-02T09:00:00.000Z",
    );
    expect(nextSelfTest(cfg, new Date("2026-03-02T09:01:00Z")).toISOString()).toBe(
      "2026-03-03T09:00:00.000Z",
    );
    const six = { ...cfg, every: "6h" };
    expect(nextSelfTest(six, new Date("2026-03-02T00:00:00Z")).toISOString()).toBe(
      "2026-03-02T03:00:00.000Z",
    );
    expect(nextSelfTest(six, new Date("2026-03-02T21:30:00Z")).toISOString()).toBe(
      "2026-03-03T03:00:00.000Z",
    );
  });
});
