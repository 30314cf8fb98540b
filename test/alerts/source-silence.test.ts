/**
 * Source silence, driven by the test clock: an integration key with `silenceMinutes` that hears
 * nothing for that long raises ONE alert "No alerts from <service>/<key> for N minutes" on its
 * service (more quiet adds none), an event on the key resolves it, and quiet again raises it again.
 * Events keep it quiet: a key that hears from its sender in time raises nothing. Only admins set it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
type Json = any;
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ clockStart: new Date() });
  await t.seedOnCall();
});
afterAll(() => t?.close());

async function serviceWithSilence(name: string, minutes: number) {
  const s = await t.admin.request("POST", "/api/v1/services", { name });
  expect(s.status, JSON.stringify(s.body)).toBe(201);
  const keys = (await t.admin.get(`/api/v1/services/${s.body.id}/integration-keys`)).body.keys;
  const set = await t.admin.request("PATCH", `/api/v1/services/${s.body.id}/integration-keys/${keys[0].id}`, {
    silenceMinutes: minutes,
  });
  expect(set.status, JSON.stringify(set.body)).toBe(204);
  return { id: s.body.id as number, key: s.body.integrationKey as string, keyId: keys[0].id as number };
}

async function event(key: string, dedup: string) {
  const r = await fetch(`${t.base}/v2/enqueue`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      routing_key: key,
      event_action: "trigger",
      dedup_key: dedup,
      payload: { summary: `${dedup} is failing`, source: "host-1", severity: "warning" },
    }),
  });
  expect(r.status, await r.clone().text()).toBe(202);
}

const silenceAlerts = async (serviceId: number): Promise<Json[]> =>
  (await t.admin.get(`/api/v1/alerts?service=${serviceId}&limit=500`)).body.alerts.filter(
    (a: Json) => a.source === "firebreak",
  );

describe("source silence", () => {
  it("raises one alert after the quiet, resolves it on the next event, and raises it again", async () => {
    const s = await serviceWithSilence("Billing", 10);
    await t.advanceMinutes(9);
    expect(await silenceAlerts(s.id)).toEqual([]);
    await t.advanceMinutes(2);
    let alerts = await silenceAlerts(s.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      status: "firing",
      summary: "No alerts from Billing/default for 10 minutes",
      dedupKey: `source-silence:${s.keyId}`,
    });
    expect(alerts[0].incidentId).not.toBeNull(); // it pages like any alert of the service

    await t.advanceMinutes(60); // still quiet: the same one alert
    alerts = await silenceAlerts(s.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].status).toBe("firing");

    await event(s.key, "disk-full");
    alerts = await silenceAlerts(s.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].status).toBe("resolved");
    const keys = (await t.admin.get(`/api/v1/services/${s.id}/integration-keys`)).body.keys;
    expect(keys[0]).toMatchObject({ silenceMinutes: 10, lastEventAt: t.clock.now().toISOString() });

    await t.advanceMinutes(11); // quiet again
    alerts = await silenceAlerts(s.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].status).toBe("firing");
  });

  it("stays quiet while events arrive in time; removing the rule stops it", async () => {
    const s = await serviceWithSilence("Search", 10);
    for (let i = 0; i < 3; i++) {
      await t.advanceMinutes(8);
      await event(s.key, `e${i}`);
    }
    await t.advanceMinutes(8);
    expect(await silenceAlerts(s.id)).toEqual([]);
    const off = await t.admin.request("PATCH", `/api/v1/services/${s.id}/integration-keys/${s.keyId}`, {
      silenceMinutes: null,
    });
    expect(off.status).toBe(204);
    await t.advanceMinutes(120);
    expect(await silenceAlerts(s.id)).toEqual([]);
  });

  it("is set by admins only, within 1..10080 minutes", async () => {
    const s = await serviceWithSilence("Mail", 5);
    const rita = await t.user("rita");
    const path = `/api/v1/services/${s.id}/integration-keys/${s.keyId}`;
    expect((await rita.request("PATCH", path, { silenceMinutes: 5 })).status).toBe(403);
    expect((await t.admin.request("PATCH", path, { silenceMinutes: 0 })).status).toBe(400);
    expect(
      (
        await t.admin.request("PATCH", `/api/v1/services/${s.id}/integration-keys/999999`, {
          silenceMinutes: 5,
        })
      ).status,
    ).toBe(404);
    const made = await t.admin.request("POST", `/api/v1/services/${s.id}/integration-keys`, {
      name: "second",
      silenceMinutes: 30,
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.silenceMinutes).toBe(30);
  });
});
