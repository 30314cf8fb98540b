/**
 * Alert intake end to end with a REAL Prometheus Alertmanager (test/support/alertmanager.ts): one
 * receiver with both a `webhook_configs` entry (Firebreak's Alertmanager endpoint, service A's key)
 * and a `pagerduty_configs` entry (Firebreak's Events v2 `/v2/enqueue`, service B's key). Alerts
 * posted to Alertmanager's API become deduplicated alerts in Firebreak, one triage incident per
 * service that pages its policy (DEC-3, SEV-6); Alertmanager's repeats change nothing; resolving
 * through Alertmanager resolves the alerts and pages. An overloaded Firebreak answers 503/429,
 * Alertmanager retries, and the alerts are stored once the overload passes.
 *
 * Alertmanager runs on real time, so the Firebreak test clock starts at the real now (paging jobs
 * use the database's time) and every wait polls; nothing sleeps a fixed time.
 */
import { createHash } from "node:crypto";
import type { PoolClient } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../src/policy/load.ts";
import {
  hasAlertmanager,
  type PostableAlert,
  type RunningAlertmanager,
  startAlertmanager,
  waitFor,
} from "../support/alertmanager.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = Record<string, any>;
type Service = Json & { id: number; name: string; integrationKey: string; escalationPolicyId: number };

const available = hasAlertmanager();
const SKIPPED = " (SKIPPED: no Alertmanager binary; install prometheus-alertmanager or set ALERTMANAGER_BIN)";
if (!available) console.warn(`test/alerts/alertmanager.test.ts${SKIPPED}`);

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
/** SEV-6: triage incidents start at the policy's least severe level, whatever the alerts say. */
const leastSevere = loadPolicy().severities.at(-1)?.id;

/** API helpers bound to one running test app. */
function api(t: TestApp) {
  return {
    async newService(name: string): Promise<Service> {
      const r = await t.admin.request("POST", "/api/v1/services", { name });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body as Service;
    },
    alertsOf: async (serviceId: number): Promise<Json[]> =>
      (await t.admin.get(`/api/v1/alerts?service=${serviceId}`)).body.alerts,
    incidents: async (): Promise<Json[]> => (await t.admin.get("/api/v1/incidents?limit=500")).body.incidents,
    incident: async (id: number): Promise<Json> => (await t.admin.get(`/api/v1/incidents/${id}`)).body,
    pagesOf: async (incidentId: number): Promise<Json[]> =>
      (await t.admin.get(`/api/v1/pages?incident=${incidentId}`)).body.pages,
    timelineOf: async (incidentId: number): Promise<Json[]> =>
      (await t.admin.get(`/api/v1/incidents/${incidentId}/timeline`)).body.events,
    /** A counter of firebreak_alert_intake_total from /metrics (0 when never counted). */
    async intakeCount(integration: string, outcome: string): Promise<number> {
      const text = await (
        await fetch(`${t.base}/metrics`, { headers: { authorization: `Bearer ${t.admin.token}` } })
      ).text();
      const m = text.match(
        new RegExp(
          `^firebreak_alert_intake_total\\{integration="${integration}",outcome="${outcome}"\\} (\\d+)`,
          "m",
        ),
      );
      return m ? Number(m[1]) : 0;
    },
  };
}

/** Starts an app on the real now with the on-call defaults (so "Engineer On Call" exists). */
async function startApp(intake?: NonNullable<Parameters<typeof startTestApp>[0]>["intake"]) {
  const t = await startTestApp({ clockStart: new Date(), intake });
  await t.seedOnCall();
  return t;
}

/** Alertmanager sending its webhook to service A and its PagerDuty events to service B. */
function startFor(t: TestApp, a: Service, b: Service, opts: { repeatInterval?: string } = {}) {
  return startAlertmanager({
    webhookUrl: `${t.base}/api/v1/integrations/alertmanager/${a.integrationKey}`,
    pagerdutyUrl: `${t.base}/v2/enqueue`,
    routingKey: b.integrationKey,
    groupBy: ["alertname"],
    groupWait: "100ms",
    groupInterval: "1s",
    repeatInterval: opts.repeatInterval ?? "1h",
  });
}

/** The alerts Alertmanager holds, with their fingerprints (GET /api/v2/alerts). */
async function alertmanagerAlerts(am: RunningAlertmanager): Promise<Json[]> {
  const r = await fetch(`${am.url}/api/v2/alerts`);
  expect(r.status).toBe(200);
  return (await r.json()) as Json[];
}

/** Two instances of one alert, grouped by alertname into one Alertmanager group. */
const latency = (instance: string): PostableAlert => ({
  labels: { alertname: "CheckoutLatencyHigh", instance, job: "checkout", severity: "critical" },
  annotations: { summary: "Checkout p99 latency above 2s", description: `${instance} is slow` },
  generatorURL: "http://prometheus.test/graph?g0.expr=checkout_latency",
});

describe.skipIf(!available)(`Alertmanager → Firebreak (real Alertmanager)${available ? "" : SKIPPED}`, () => {
  let t: TestApp;
  let c: ReturnType<typeof api>;
  let am: RunningAlertmanager;
  let a: Service; // webhook_configs
  let b: Service; // pagerduty_configs (Events v2)
  const alerts = [latency("checkout-0:8080"), latency("checkout-1:8080")];
  let incidentA: number;
  let incidentB: number;

  const wait = <T>(
    what: string,
    predicate: () => Promise<T | undefined | false | null>,
    timeoutMs = 15_000,
  ) =>
    waitFor(predicate, {
      timeoutMs,
      intervalMs: 50,
      message: () => `${what}\nalertmanager config:\n${am?.config}\nalertmanager output:\n${am?.output()}`,
    });

  beforeAll(async () => {
    t = await startApp();
    c = api(t);
    a = await c.newService("am-webhook");
    b = await c.newService("am-pagerduty");
    // Repeats every 2 s while firing, so the idempotence test can wait for a real re-send.
    am = await startFor(t, a, b, { repeatInterval: "2s" });
  });
  afterAll(async () => {
    await am?.stop();
    await t?.close();
  });

  it("DEC-3, SEV-6: a firing group through the webhook is two alerts by fingerprint, one triage incident, one page", {
    timeout: 40_000,
  }, async () => {
    await am.postAlerts(alerts);
    const stored = await wait("service A's two alerts, placed on an incident", async () => {
      const as = await c.alertsOf(a.id);
      return as.length === 2 && as.every((x) => x.incidentId !== null) && as;
    });

    // Deduplicated by Alertmanager's own fingerprints of the label sets.
    const fingerprints = (await alertmanagerAlerts(am)).map((x) => x.fingerprint as string);
    expect(fingerprints).toHaveLength(2);
    expect(stored.map((x) => x.dedupKey).sort()).toEqual([...fingerprints].sort());
    for (const x of stored) {
      expect(x).toMatchObject({
        source: "alertmanager",
        status: "firing",
        severity: "critical",
        summary: "Checkout p99 latency above 2s",
        flapping: false,
        suppressed: false,
      });
      expect(x.details.groupKey).toBe('{}:{alertname="CheckoutLatencyHigh"}');
    }

    // Many alerts, one incident (SEV-6).
    const ids = new Set(stored.map((x) => x.incidentId));
    expect(ids.size).toBe(1);
    incidentA = stored[0]?.incidentId;
    const incident = await c.incident(incidentA);
    expect(incident).toMatchObject({ state: "triage", title: "am-webhook: Checkout p99 latency above 2s" });
    // SEV-6: "critical" alerts do not make a severe incident; a responder sets the real severity.
    expect(incident.severity).toBe(leastSevere);

    const pages = await c.pagesOf(incidentA);
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ state: "triggered", policyId: a.escalationPolicyId });
    expect((await c.timelineOf(incidentA)).map((e) => e.kind)).toContain("alert-grouped");
  });

  it("DEC-3, SEV-6: the same group through pagerduty_configs is one alert keyed sha256(groupKey), one triage incident, one page", {
    timeout: 40_000,
  }, async () => {
    const [alert] = await wait("service B's alert, placed on an incident", async () => {
      const as = await c.alertsOf(b.id);
      return as.length >= 1 && as.every((x) => x.incidentId !== null) && as;
    });
    expect(await c.alertsOf(b.id)).toHaveLength(1);
    const groupKey = (await c.alertsOf(a.id))[0]?.details.groupKey as string;
    expect(alert).toMatchObject({
      dedupKey: sha256(groupKey),
      source: "events",
      status: "firing",
      severity: "error", // pagerduty_configs' default severity
    });
    expect(alert?.summary).toMatch(/^\[FIRING:\d+\] CheckoutLatencyHigh\b/);
    expect(alert?.details).toMatchObject({ source: "Alertmanager", client: "Alertmanager" });

    incidentB = alert?.incidentId;
    expect(incidentB).not.toBe(incidentA);
    const incident = await c.incident(incidentB);
    expect(incident.state).toBe("triage");
    expect(incident.title).toMatch(/^am-pagerduty: \[FIRING:\d+\] CheckoutLatencyHigh\b/);
    expect(incident.severity).toBe(leastSevere);
    const pages = await c.pagesOf(incidentB);
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ state: "triggered", policyId: b.escalationPolicyId });

    // Nothing else was opened: one incident per service.
    expect((await c.incidents()).map((i) => i.id).sort()).toEqual([incidentA, incidentB].sort());
  });

  it("Alertmanager's repeats (repeat_interval) and Prometheus re-posting the alerts open no incident and page no one again", {
    timeout: 40_000,
  }, async () => {
    const before = await c.incidents();
    // Prometheus re-sends firing alerts every evaluation; Alertmanager merges them into the same alerts.
    await am.postAlerts(alerts);
    // Wait for real re-sends of the whole group to both integrations: each bumps occurrences.
    await wait(
      "a repeated notification to both integrations",
      async () => {
        const [as, bs] = [await c.alertsOf(a.id), await c.alertsOf(b.id)];
        return as.every((x) => x.occurrences >= 2) && bs.every((x) => x.occurrences >= 2);
      },
      20_000,
    );

    const as = await c.alertsOf(a.id);
    const bs = await c.alertsOf(b.id);
    expect(as).toHaveLength(2);
    expect(bs).toHaveLength(1);
    expect([...as, ...bs].every((x) => x.status === "firing")).toBe(true);
    expect(new Set(as.map((x) => x.incidentId))).toEqual(new Set([incidentA]));
    expect(bs[0]?.incidentId).toBe(incidentB);
    expect((await c.incidents()).map((i) => [i.id, i.state])).toEqual(before.map((i) => [i.id, i.state]));
    for (const id of [incidentA, incidentB]) {
      const pages = await c.pagesOf(id);
      expect(pages).toHaveLength(1);
      expect(pages[0]?.state).toBe("triggered");
    }
  });

  it("DEC-3: resolving through Alertmanager resolves the alerts and the pages; the incidents stay in triage and say so", {
    timeout: 40_000,
  }, async () => {
    await am.resolveAlerts(alerts);
    await wait("every alert of A and B resolved", async () => {
      const all = [...(await c.alertsOf(a.id)), ...(await c.alertsOf(b.id))];
      return all.length === 3 && all.every((x) => x.status === "resolved");
    });

    for (const x of [...(await c.alertsOf(a.id)), ...(await c.alertsOf(b.id))]) {
      expect(x.resolvedAt).not.toBeNull();
    }
    for (const id of [incidentA, incidentB]) {
      const pages = await c.pagesOf(id);
      expect(pages).toHaveLength(1);
      expect(pages[0]?.state).toBe("resolved");
      expect((await c.incident(id)).state).toBe("triage");
      expect((await c.timelineOf(id)).map((e) => e.kind)).toContain("alert-resolved");
    }
    expect(await c.incidents()).toHaveLength(2);
  });
});

describe.skipIf(!available)(`Alertmanager retries an overloaded Firebreak${available ? "" : SKIPPED}`, () => {
  // One write at a time and at most 2 events queued: while a write is held up, a queue of 2 makes
  // every further request "overloaded" (the webhook 503, Events v2 429), and Alertmanager retries.
  let t: TestApp;
  let c: ReturnType<typeof api>;
  let am: RunningAlertmanager | undefined;
  let lock: PoolClient | undefined;
  const blockers: Promise<Response>[] = [];

  const release = async () => {
    if (!lock) return;
    const l = lock;
    lock = undefined;
    await l.query("COMMIT");
    l.release();
  };

  beforeAll(async () => {
    t = await startApp({ maxConcurrent: 1, maxQueued: 2 });
    c = api(t);
  });
  afterAll(async () => {
    await release();
    await Promise.allSettled(blockers);
    await am?.stop();
    await t?.close();
  });

  it("503 (webhook) and 429 (Events v2) while overloaded are retried by Alertmanager; each alert is stored once afterwards", {
    timeout: 40_000,
  }, async () => {
    const a = await c.newService("overload-webhook");
    const b = await c.newService("overload-pagerduty");
    const other = await c.newService("overload-busy");

    // Hold up alert writes: a SHARE lock on `alerts` blocks the intake's INSERT (reads still work).
    lock = await t.database.pool.connect();
    await lock.query("BEGIN");
    await lock.query("LOCK TABLE alerts IN SHARE MODE");
    // Three events of another service: one write in flight (blocked), two queued: the queue is full.
    for (const n of [1, 2, 3]) {
      blockers.push(
        fetch(`${t.base}/v2/enqueue`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            routing_key: other.integrationKey,
            event_action: "trigger",
            dedup_key: `busy-${n}`,
            payload: { summary: `busy ${n}`, source: "test", severity: "info" },
          }),
        }),
      );
    }
    await waitFor(() => t.services.alerts.queued === 2, {
      message: "two events queued behind the held write",
    });

    am = await startFor(t, a, b);
    const running = am;
    const alerts = [latency("checkout-0:8080"), latency("checkout-1:8080")];
    await running.postAlerts(alerts);

    // Alertmanager is refused, and tries again (at least twice each), while nothing is stored.
    await waitFor(
      async () =>
        (await c.intakeCount("alertmanager", "unavailable")) >= 2 &&
        (await c.intakeCount("events", "rate-limited")) >= 2,
      {
        timeoutMs: 8_000,
        message: () => `refused retries\nalertmanager output:\n${running.output()}`,
      },
    );
    expect(await c.alertsOf(a.id)).toEqual([]);
    expect(await c.alertsOf(b.id)).toEqual([]);

    // The overload passes: the held write commits, the queue drains, Alertmanager's retries land.
    await release();
    for (const r of await Promise.all(blockers)) expect(r.status).toBe(202);
    await waitFor(
      async () => {
        const [as, bs] = [await c.alertsOf(a.id), await c.alertsOf(b.id)];
        return (
          as.length === 2 && bs.length === 1 && [...as, ...bs].every((x) => x.incidentId !== null) && [as, bs]
        );
      },
      {
        timeoutMs: 20_000,
        message: () => `alerts stored after the overload\nalertmanager output:\n${running.output()}`,
      },
    );

    const as = await c.alertsOf(a.id);
    const [alertB] = await c.alertsOf(b.id);
    const fingerprints = (await alertmanagerAlerts(running)).map((x) => x.fingerprint as string);
    expect(as.map((x) => x.dedupKey).sort()).toEqual([...fingerprints].sort());
    expect(alertB?.dedupKey).toBe(sha256(as[0]?.details.groupKey));
    for (const [svc, stored] of [
      [a, as],
      [b, [alertB]],
    ] as const) {
      const ids = new Set(stored.map((x) => x?.incidentId));
      expect(ids.size).toBe(1);
      const [id] = [...ids];
      expect((await c.incident(id)).state).toBe("triage");
      const pages = await c.pagesOf(id);
      expect(pages).toHaveLength(1);
      expect(pages[0]).toMatchObject({ state: "triggered", policyId: svc.escalationPolicyId });
    }
    // The busy service's incident, A's and B's: nothing twice.
    expect(await c.incidents()).toHaveLength(3);
    expect(await c.intakeCount("alertmanager", "accepted")).toBeGreaterThanOrEqual(1);
  });
});
