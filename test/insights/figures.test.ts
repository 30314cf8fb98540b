/**
 * Insights (issue 18, REV-4) against the real app and database: a month of incidents made through
 * the API with the test clock, every headline figure compared with the value computed by hand
 * below. The data set (November 2026; New York is UTC−5 throughout):
 *
 * | incident | declared (UTC) | impact start | detected | first page → first ack | mitigated | resolved |
 * | A S2 public  | Mon 2 09:00 | 08:50 | (09:00) | 09:00 → 09:12 (D's page) | 09:30 monitoring | 10:50 |
 * | D S3 public  | Mon 2 09:10, merged into A at 09:15: counted once, as A (its page, its corrective action) |
 * | B S3 public  | Tue 3 12:00 | –     | –       | –                         | 12:30 monitoring | 13:00 |
 * | C S2 private | Wed 4 01:50 | 01:30 | 01:45   | 02:00 → 02:10             | (03:30)          | 03:30 |
 * | F S4 public  | Mon 9 03:00, opened by two alerts of service "api" (one fired twice) | 03:00 → 03:15 |
 *
 * MTTD = detected − impact start: A 600, C 900. MTTA: A 720, C 600, F 900. MTTM = mitigation −
 * (impact start or declared): A 2400, B 1800, C 7200. MTTR: A 7200, B 3600, C 7200 (seconds).
 * Pages: alice by "Primary" (New York hours) at A 09:00 (04:00 NY: night), C 02:00 (21:00 NY: not
 * night), F 03:00 (Sun 22:00 NY: night and weekend); bob by "Secondary" (UTC) at D 09:10.
 * C is private: admins and its participants (admin, alice) count it; vic, a viewer, does not.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { sendEvent } from "../support/events.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = any;
type Person = Awaited<ReturnType<TestApp["user"]>>;

let t: TestApp;
let alice: Person;
let bob: Person;
let vic: Person;
const ids: Record<"A" | "B" | "C" | "D" | "F", number> = { A: 0, B: 0, C: 0, D: 0, F: 0 };
let serviceId = 0;
const window = "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";

const at = (iso: string) => t.clock.set(iso);
async function ok(r: { status: number; body: Json }, status = 200) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
}
async function declare(who: Person | TestApp["admin"], severity: string, extra: Json = {}) {
  const body = await ok(
    await who.request("POST", "/api/v1/incidents", {
      title: `incident ${severity}`,
      type: "GitLab.com",
      severity,
      status: "active",
      ...extra,
    }),
    201,
  );
  return body.id as number;
}
const status = async (id: number, s: string, who: Person | TestApp["admin"] = t.admin) =>
  ok(await who.request("POST", `/api/v1/incidents/${id}/status`, { status: s }));
const impact = async (id: number, edge: "started" | "ended", when: string) =>
  ok(await t.admin.request("POST", `/api/v1/incidents/${id}/impact`, { edge, at: when }));
/** Pages a policy for an incident through the paging service (the API's /pages takes no incident). */
const page = async (policyId: number, incidentId: number) => {
  const p = await t.services.paging.trigger(null, { policyId, incidentId, title: `incident ${incidentId}` });
  await t.runJobs();
  return p.id;
};
const ack = async (who: Person, pageId: number) =>
  ok(await who.request("POST", `/api/v1/pages/${pageId}/acknowledge`));
const policy = async (name: string, userId: number, timeZone: string) =>
  (
    await ok(
      await t.admin.request("POST", "/api/v1/escalation-policies", {
        name,
        levels: [{ timeoutMinutes: 60, targets: [{ kind: "user", id: userId }] }],
        businessHours: { timeZone, days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" },
      }),
      201,
    )
  ).id as number;
const enqueue = (key: string, dedup: string, summary: string) =>
  sendEvent(t, { key, dedup, summary, source: "api-1" });

/** A corrective action (FU-2): a follow-up marked corrective with an owner and a due date. */
const corrective = async (id: number, due: string, done: boolean) => {
  const task = await ok(
    await t.admin.request("POST", `/api/v1/incidents/${id}/tasks`, {
      kind: "follow-up",
      title: "Alert on queue depth above 1000",
    }),
    201,
  );
  await ok(
    await t.admin.request("PUT", `/api/v1/incidents/${id}/tasks/${task.id}/corrective`, {
      corrective: true,
      assignee: alice.id,
      dueAt: due,
    }),
  );
  if (done)
    await ok(await t.admin.request("PATCH", `/api/v1/incidents/${id}/tasks/${task.id}`, { state: "done" }));
};

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-02T08:00:00Z" });
  alice = await t.user("alice");
  bob = await t.user("bob");
  vic = await t.user("vic", "viewer");
  const primary = await policy("Primary", alice.id, "America/New_York");
  const secondary = await policy("Secondary", bob.id, "UTC");

  at("2026-11-02T09:00:00Z");
  ids.A = await declare(t.admin, "S2");
  await impact(ids.A, "started", "2026-11-02T08:50:00Z");
  const pA = await page(primary, ids.A);
  at("2026-11-02T09:10:00Z");
  ids.D = await declare(t.admin, "S3");
  const pD = await page(secondary, ids.D);
  await corrective(ids.D, "2026-12-31T00:00:00Z", false); // open, counted under A once merged
  at("2026-11-02T09:12:00Z");
  await ack(bob, pD);
  at("2026-11-02T09:15:00Z");
  await ok(await t.admin.request("POST", `/api/v1/incidents/${ids.D}/merge`, { into: ids.A }));
  at("2026-11-02T09:20:00Z");
  await ack(alice, pA);
  at("2026-11-02T09:30:00Z");
  await status(ids.A, "monitoring");
  at("2026-11-02T09:40:00Z");
  await impact(ids.A, "ended", "2026-11-02T09:40:00Z");
  at("2026-11-02T10:50:00Z");
  await status(ids.A, "resolved");

  at("2026-11-03T12:00:00Z");
  ids.B = await declare(bob, "S3");
  at("2026-11-03T12:30:00Z");
  await status(ids.B, "monitoring", bob);
  at("2026-11-03T13:00:00Z");
  await status(ids.B, "resolved", bob);

  at("2026-11-04T01:50:00Z");
  ids.C = await declare(t.admin, "S2", { visibility: "private" });
  await impact(ids.C, "started", "2026-11-04T01:30:00Z");
  // TL-4: how and when it was detected.
  await ok(
    await t.admin.request("PUT", `/api/v1/incidents/${ids.C}/detection`, {
      source: "monitoring",
      detectedAt: "2026-11-04T01:45:00Z",
    }),
  );
  at("2026-11-04T02:00:00Z");
  const pC = await page(primary, ids.C);
  at("2026-11-04T02:10:00Z");
  await ack(alice, pC);
  at("2026-11-04T03:30:00Z");
  await status(ids.C, "resolved");

  const svc = await ok(
    await t.admin.request("POST", "/api/v1/services", { name: "api", escalationPolicyId: primary }),
    201,
  );
  serviceId = svc.id;
  at("2026-11-09T03:00:00Z");
  await enqueue(svc.integrationKey, "cpu", "CPU high on api-1");
  const opened = await ok(await t.admin.get(`/api/v1/incidents?service=${serviceId}`));
  expect(opened.incidents).toHaveLength(1);
  ids.F = opened.incidents[0].id;
  at("2026-11-09T03:05:00Z");
  await enqueue(svc.integrationKey, "disk", "Disk full on api-1");
  at("2026-11-09T03:06:00Z");
  await enqueue(svc.integrationKey, "cpu", "CPU high on api-1");
  const pF = (await ok(await t.admin.get(`/api/v1/pages?incident=${ids.F}`))).pages[0].id;
  at("2026-11-09T03:15:00Z");
  await ack(alice, pF);

  // Reviews: the reviews capability opens them (S1/S2) with a due date from the policy; these set
  // the due and completion dates the figures below are computed from (and require F's review).
  const review = (id: number, due: string, done: string | null) =>
    sql`INSERT INTO incident_reviews (incident_id, required, reason, due_at, completed_at, created_at, updated_at)
      VALUES (${id}, true, 'severity', ${due}::timestamptz, ${done}::timestamptz, now(), now())
      ON CONFLICT (incident_id) DO UPDATE SET required = true, due_at = EXCLUDED.due_at,
        completed_at = EXCLUDED.completed_at`.execute(t.database.db);
  await review(ids.A, "2026-11-09T00:00:00Z", "2026-11-08T00:00:00Z"); // on time
  await review(ids.C, "2026-11-10T00:00:00Z", "2026-11-12T00:00:00Z"); // late
  await review(ids.B, "2026-12-20T00:00:00Z", null); // not due yet
  await review(ids.F, "2026-11-15T00:00:00Z", null); // overdue
  await corrective(ids.A, "2026-11-10T00:00:00Z", false); // overdue
  await corrective(ids.A, "2026-11-10T00:00:00Z", true); // done
  await corrective(ids.C, "2026-11-15T00:00:00Z", false); // overdue
  at("2026-11-20T12:00:00Z");
}, 120_000);
afterAll(() => t?.close());

const headline = async (who: { get(p: string): Promise<{ status: number; body: Json }> }, q = "") =>
  ok(await who.get(`/api/v1/insights?${window}${q}`));

describe("headline figures, compared with the hand-computed set", () => {
  it("admins count every incident, the private one and a merged duplicate once (DATA-3)", async () => {
    const h = await headline(t.admin);
    expect(h.incidents).toBe(4);
    expect(h.times.mttd).toEqual({ count: 2, mean: 750, p50: 750, p90: 870 });
    expect(h.times.mtta).toEqual({ count: 3, mean: 740, p50: 720, p90: 864 });
    expect(h.times.mttm).toEqual({ count: 3, mean: 3800, p50: 2400, p90: 6240 });
    expect(h.times.mttr).toEqual({ count: 3, mean: 6000, p50: 7200, p90: 7200 });
    expect(h.reviews).toEqual({ required: 4, due: 3, onTime: 1, overdue: 1, onTimeShare: 1 / 3 });
    expect(h.correctiveActions).toEqual({ open: 3, overdue: 2, done: 1 });
    expect(h.pages).toBe(4);
    expect(h.nightPages).toBe(2);
    expect(h.weekendPages).toBe(1);
    expect(h.alerts).toBe(2);
    expect(h.alertsPerIncident).toBe(2);
  });

  it("DATA-3: a viewer who does not take part in the private incident counts without it", async () => {
    const h = await headline(vic);
    expect(h.incidents).toBe(3);
    expect(h.times.mttd).toEqual({ count: 1, mean: 600, p50: 600, p90: 600 });
    expect(h.times.mtta).toEqual({ count: 2, mean: 810, p50: 810, p90: 882 });
    expect(h.times.mttm).toEqual({ count: 2, mean: 2100, p50: 2100, p90: 2340 });
    expect(h.times.mttr).toEqual({ count: 2, mean: 5400, p50: 5400, p90: 6840 });
    expect(h.reviews).toEqual({ required: 3, due: 2, onTime: 1, overdue: 1, onTimeShare: 0.5 });
    expect(h.correctiveActions).toEqual({ open: 2, overdue: 1, done: 1 });
    expect(h.pages).toBe(3);
    expect(h.nightPages).toBe(2);
    const load = await ok(await vic.get(`/api/v1/insights/on-call-load?${window}`));
    expect(load.rows.find((r: Json) => r.username === "alice")).toMatchObject({
      pages: 2,
      hoursInterrupted: 2,
    });
  });

  it("DATA-3: a participant of the private incident counts it", async () => {
    expect((await headline(alice)).incidents).toBe(4);
  });

  it("filters by severity, type and service", async () => {
    const s2 = await headline(t.admin, "&severity=S2");
    expect(s2.incidents).toBe(2);
    expect(s2.times.mttr).toEqual({ count: 2, mean: 7200, p50: 7200, p90: 7200 });
    expect(s2.pages, "D's page counts as its primary A's").toBe(3);
    const api = await headline(t.admin, `&service=${serviceId}`);
    expect(api.incidents).toBe(1);
    expect(api.times.mtta).toEqual({ count: 1, mean: 900, p50: 900, p90: 900 });
    expect(api.alerts).toBe(2);
    expect((await headline(t.admin, "&type=Dedicated")).incidents).toBe(0);
  });

  it("refuses a window that ends before it starts, naming the field", async () => {
    const r = await t.admin.get("/api/v1/insights?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z");
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toMatch(/problem\+json/);
    expect(r.body.detail).toMatch(/from/);
  });
});

describe("tables", () => {
  it("response times by severity, with histograms", async () => {
    const r = await ok(await t.admin.get(`/api/v1/insights/response-times?${window}&by=severity`));
    const s2 = r.rows.find((x: Json) => x.group === "S2");
    expect(s2.mttr).toEqual({ count: 2, mean: 7200, p50: 7200, p90: 7200 });
    expect(s2.mttd).toEqual({ count: 2, mean: 750, p50: 750, p90: 870 });
    const s3 = r.rows.find((x: Json) => x.group === "S3");
    expect(s3.mttm).toEqual({ count: 1, mean: 1800, p50: 1800, p90: 1800 });
    // Buckets ≤5 min, ≤15, ≤30, ≤1 h, ≤4 h, ≤1 day, more: MTTR 3600 (on an edge: ≤ 1 h), 7200 ×2.
    expect(r.histograms.mttr).toEqual([0, 0, 0, 1, 2, 0, 0]);
    expect(r.histograms.mtta).toEqual([0, 3, 0, 0, 0, 0, 0]);
  });

  it("response times by service and by week", async () => {
    const bySvc = await ok(await t.admin.get(`/api/v1/insights/response-times?${window}&by=service`));
    expect(bySvc.rows.find((x: Json) => x.group === "api").mtta.count).toBe(1);
    const byWeek = await ok(await t.admin.get(`/api/v1/insights/response-times?${window}&by=week`));
    expect(byWeek.rows.map((x: Json) => x.group)).toEqual(["2026-11-02", "2026-11-09"]);
  });

  it("incidents per week, empty weeks included", async () => {
    const r = await ok(await t.admin.get(`/api/v1/insights/incidents-per-week?${window}`));
    expect(r.weeks).toEqual([
      { week: "2026-10-26", incidents: 0 },
      { week: "2026-11-02", incidents: 3 },
      { week: "2026-11-09", incidents: 1 },
      { week: "2026-11-16", incidents: 0 },
      { week: "2026-11-23", incidents: 0 },
      { week: "2026-11-30", incidents: 0 },
    ]);
  });

  it("on-call load: night and weekend in each escalation policy's time zone", async () => {
    const r = await ok(await t.admin.get(`/api/v1/insights/on-call-load?${window}`));
    expect(r.rows).toEqual([
      {
        userId: alice.id,
        username: "alice",
        name: "alice",
        pages: 3,
        nightPages: 2,
        weekendPages: 1,
        hoursInterrupted: 3,
      },
      {
        userId: bob.id,
        username: "bob",
        name: "bob",
        pages: 1,
        nightPages: 0,
        weekendPages: 0,
        hoursInterrupted: 1,
      },
    ]);
  });

  it("noisiest services and alerts", async () => {
    const s = await ok(await t.admin.get(`/api/v1/insights/noisy-services?${window}`));
    expect(s.rows).toEqual([
      { serviceId, service: "api", alerts: 2, occurrences: 3, incidents: 1, alertsPerIncident: 2 },
    ]);
    const a = await ok(await t.admin.get(`/api/v1/insights/noisy-alerts?${window}`));
    expect(a.rows.map((x: Json) => [x.dedupKey, x.occurrences])).toEqual([
      ["cpu", 2],
      ["disk", 1],
    ]);
  });

  it("reviews and corrective actions by severity", async () => {
    const r = await ok(await t.admin.get(`/api/v1/insights/reviews?${window}`));
    expect(r.rows.find((x: Json) => x.severity === "S2")).toEqual({
      severity: "S2",
      required: 2,
      due: 2,
      completed: 2,
      onTime: 1,
      overdue: 0,
      onTimeShare: 0.5,
    });
    const c = await ok(await t.admin.get(`/api/v1/insights/corrective-actions?${window}`));
    expect(c.rows).toEqual([{ severity: "S2", open: 3, overdue: 2, done: 1 }]);
  });
});

describe("CSV", () => {
  it("every table answers CSV with ?format=csv or Accept: text/csv", async () => {
    for (const path of [
      "",
      "/response-times",
      "/incidents-per-week",
      "/reviews",
      "/corrective-actions",
      "/on-call-load",
      "/noisy-services",
      "/noisy-alerts",
    ]) {
      const r = await t.admin.get(`/api/v1/insights${path}?${window}&format=csv`);
      expect(r.status, path).toBe(200);
      expect(r.headers.get("content-type"), path).toMatch(/^text\/csv/);
      expect(String(r.body).split("\r\n").length, path).toBeGreaterThan(2);
    }
    const byAccept = await t.admin.request("GET", `/api/v1/insights/on-call-load?${window}`, undefined, {
      accept: "text/csv",
    });
    expect(byAccept.body).toBe(
      "userId,username,name,pages,nightPages,weekendPages,hoursInterrupted\r\n" +
        `${alice.id},alice,alice,3,2,1,3\r\n${bob.id},bob,bob,1,0,0,1\r\n`,
    );
    const head = await t.admin.get(`/api/v1/insights?${window}&format=csv`);
    expect(head.body).toContain("\r\nincidents,4\r\n");
    expect(head.body).toContain("\r\nmttr_mean_seconds,6000\r\n");
  });
});

describe("Prometheus metrics", () => {
  const scrape = async () => {
    const r = await t.admin.get("/metrics");
    expect(r.status).toBe(200);
    return String(r.body);
  };
  it("exposes the headline figures of the last 30 days", async () => {
    const text = await scrape();
    expect(text).toMatch(/^firebreak_insights_incidents 4$/m);
    expect(text).toMatch(/^firebreak_insights_response_seconds\{measure="mttr",stat="mean"\} 6000$/m);
    expect(text).toMatch(/^firebreak_insights_corrective_actions_overdue 2$/m);
  });
  // Last in this file: it declares one more incident.
  it("computes them at most once a minute, however often it is scraped", async () => {
    await declare(t.admin, "S4");
    expect(await scrape()).toMatch(/^firebreak_insights_incidents 4$/m);
    t.clock.advanceMinutes(2);
    expect(await scrape()).toMatch(/^firebreak_insights_incidents 5$/m);
  });
});
