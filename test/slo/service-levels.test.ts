/**
 * Status from service levels against a REAL Prometheus (test/support/prometheus.ts) scraping a
 * target whose error ratio and latency the test sets. The schedule is Firebreak's durable job, run
 * by the test clock; since Prometheus keeps real time, each cycle sets the clock to the real now
 * before running what is due, and the sustain window is 2 s (not 5 minutes) so the tests judge a
 * whole window of real samples within seconds. The app allows no internal hosts
 * (`outboundAllowedHosts: []`): PROMETHEUS_URL is reachable because it is the configured one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/alertmanager.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  type RunningPrometheus,
  type ServiceTarget,
  serviceLevelQueries,
  startPrometheus,
  startServiceTarget,
} from "../support/prometheus.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = any;

let target: ServiceTarget;
let prometheus: RunningPrometheus;
let t: TestApp;
let api: Json;
let web: Json;

const page = "/api/v1/status-pages/default";
const objectivesOf = async (c: Json): Promise<Json> => {
  const r = await t.admin.get(`${page}/components/${c.id}/objectives`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};
const drafts = async (): Promise<Json[]> => (await t.admin.get(`${page}/drafts`)).body.drafts;
const pagesOf = async (incidentId: number): Promise<Json[]> =>
  (await t.admin.get(`/api/v1/pages?incident=${incidentId}`)).body.pages;
const timelineOf = async (incidentId: number): Promise<Json[]> =>
  (await t.admin.get(`/api/v1/incidents/${incidentId}/timeline`)).body.events;

/** One cycle at the real now (Prometheus's time): the job runs when it is due. */
async function cycle(): Promise<void> {
  t.clock.set(new Date());
  await t.runJobs();
}
/** Cycles until `check` holds for the component's service levels. */
const until = (c: Json, what: string, check: (v: Json) => boolean) =>
  waitFor(
    async () => {
      await cycle();
      const v = await objectivesOf(c);
      return check(v) ? v : undefined;
    },
    { timeoutMs: 25_000, intervalMs: 250, message: () => `${what}\n${prometheus.output()}` },
  );

beforeAll(async () => {
  target = await startServiceTarget(["api"]);
  prometheus = await startPrometheus({ targets: [target.address] });
  t = await startTestApp({
    clockStart: new Date(),
    outboundAllowedHosts: [],
    serviceLevels: {
      prometheusUrl: prometheus.url,
      settings: { intervalMs: 1000, sustainMs: 2000, stepMs: 250 },
    },
  });
  await t.seedOnCall();
  for (const name of ["API", "Website"]) {
    const r = await t.admin.request("POST", `${page}/components`, { name });
    expect(r.status).toBe(201);
    if (name === "API") api = r.body;
    else web = r.body;
  }
}, 60_000);
afterAll(async () => {
  await t?.close();
  await prometheus?.stop();
  await target?.close();
});

describe("service-level objectives (real Prometheus)", () => {
  it("STAT-4, COMM-2, COMM-3: degraded after the error ratio stays above its objective for the whole window — a triage incident, the CMOC paged, the status change drafted once; an outage drafts once more; recovery drafts the all-clear", async () => {
    const q = serviceLevelQueries("api");
    const put = await t.admin.request("PUT", `${page}/components/${api.id}/objectives`, {
      objectives: [
        { kind: "apdex", query: q.apdex, threshold: 0.8 },
        { kind: "error_ratio", query: q.errorRatio, threshold: 0.05 },
        { kind: "outage", query: q.outage, threshold: 0.3 },
      ],
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.evaluation).toEqual({ prometheus: true, intervalSeconds: 1, sustainSeconds: 2 });

    // Healthy: every objective met, nothing drafted.
    await until(api, "all objectives met", (v) => v.objectives.every((o: Json) => o.lastState === "met"));
    expect(await drafts()).toEqual([]);

    // Errors start: the window still holds healthy samples, so it is not sustained yet.
    target.set("api", { errorRatio: 0.1 });
    await cycle();
    expect((await objectivesOf(api)).breaches).toEqual([]);

    const degraded = await until(api, "a degraded breach", (v) => v.breaches.length > 0);
    const breach = degraded.breaches[0];
    expect(breach).toMatchObject({ source: "objectives", status: "degraded_performance", endedAt: null });
    expect(breach.reasons).toEqual([
      expect.stringMatching(/^error ratio 0\.1 above the error-ratio objective 0\.05/),
    ]);
    const byKind = Object.fromEntries(degraded.objectives.map((o: Json) => [o.kind, o]));
    expect(byKind.error_ratio.lastState).toBe("breached");
    expect(byKind.error_ratio.lastValue).toBeCloseTo(0.1, 9);
    expect(byKind.apdex.lastState).toBe("met");
    expect(byKind.outage.lastState).toBe("met");

    // A triage incident for the component, the CMOC paged for it (COMM-2).
    const incident = (await t.admin.get(`/api/v1/incidents/${breach.incidentId}`)).body;
    expect(incident).toMatchObject({ state: "triage" });
    expect(incident.title).toContain("API");
    const cmocPages = (await pagesOf(breach.incidentId)).filter((p) => p.role === "CMOC");
    expect(cmocPages).toHaveLength(1);
    const kinds = (await timelineOf(breach.incidentId)).map((e: Json) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(["status-page-breach", "status-page-update"]));

    // The status change is a draft for approval (COMM-3); the component is unchanged until then.
    const first = await drafts();
    expect(first).toHaveLength(1);
    expect(first[0].affected).toEqual([{ componentId: api.id, newStatus: "degraded_performance" }]);
    expect(breach.draftUpdateIds).toEqual([first[0].id]);
    expect(
      (await t.admin.get(`${page}/components`)).body.components.find((c: Json) => c.id === api.id).status,
    ).toBe("operational");

    // More cycles of the same breach draft nothing more and page nobody again.
    const seen = byKind.error_ratio.lastEvaluatedAt;
    await until(api, "two more cycles", (v) => v.objectives[0].lastEvaluatedAt > seen);
    await until(api, "another cycle", (v) => v.objectives[0].lastEvaluatedAt > seen);
    expect(await drafts()).toHaveLength(1);
    expect((await objectivesOf(api)).breaches).toHaveLength(1);
    expect((await pagesOf(breach.incidentId)).filter((p) => p.role === "CMOC")).toHaveLength(1);

    // An approver publishes the automation's draft (COMM-3: someone else than who drafted it).
    const approved = await t.admin.request("POST", `${page}/drafts/${first[0].id}/approve`, {});
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(
      (await t.admin.get(`${page}/components`)).body.components.find((c: Json) => c.id === api.id).status,
    ).toBe("degraded_performance");

    // Someone takes the CMOC role: a worsening tells the timeline so instead of paging again.
    const carol = await t.user("cmoc-carol", "responder");
    const took = await t.admin.request("PUT", `/api/v1/incidents/${breach.incidentId}/roles/CMOC`, {
      user: carol.id,
    });
    expect(took.status, JSON.stringify(took.body)).toBe(200);

    // Worse: above the outage line for the window — one more draft on the same public incident.
    target.set("api", { errorRatio: 0.5 });
    const outage = await until(api, "an outage", (v) => v.breaches[0].status === "major_outage");
    expect(outage.breaches).toHaveLength(1);
    expect(outage.breaches[0].draftUpdateIds).toHaveLength(2);
    const second = await drafts();
    expect(second).toHaveLength(1); // the first one is published
    expect(second[0].statusIncidentId).toBe(breach.statusIncidentId);
    expect((await pagesOf(breach.incidentId)).filter((p) => p.role === "CMOC")).toHaveLength(1);
    expect((await timelineOf(breach.incidentId)).map((e: Json) => e.body)).toContain(
      "COMM-2: the CMOC holds the role already",
    );
    expect(second.find((d: Json) => d.id === outage.breaches[0].draftUpdateIds[1]).affected).toEqual([
      { componentId: api.id, newStatus: "major_outage" },
    ]);

    // Recovery: the all-clear is drafted, the breach ends, the incident stays for people to close.
    target.set("api", { errorRatio: 0 });
    const recovered = await until(api, "recovery", (v) => v.breaches[0].endedAt !== null);
    expect(recovered.breaches[0].draftUpdateIds).toHaveLength(3);
    const allClear = (await drafts()).find((d: Json) => d.id === recovered.breaches[0].draftUpdateIds[2]);
    expect(allClear).toMatchObject({
      status: "resolved",
      affected: [{ componentId: api.id, newStatus: "operational" }],
    });
    expect((await timelineOf(breach.incidentId)).map((e: Json) => e.kind)).toContain("status-page-recovery");
  }, 120_000);

  it("STAT-4: apdex below its objective for the window is degraded too", async () => {
    const q = serviceLevelQueries("api");
    target.set("api", { errorRatio: 0, satisfied: 0.4, tolerating: 0.2 }); // apdex 0.5
    await t.admin.request("PUT", `${page}/components/${api.id}/objectives`, {
      objectives: [{ kind: "apdex", query: q.apdex, threshold: 0.8 }],
    });
    const v = await until(api, "an apdex breach", (x) => x.breaches.some((b: Json) => b.endedAt === null));
    const open = v.breaches.find((b: Json) => b.endedAt === null);
    expect(open.status).toBe("degraded_performance");
    expect(open.reasons).toEqual([expect.stringMatching(/^apdex 0\.5 below the apdex objective 0\.8/)]);
    target.set("api", { satisfied: 1 });
    await until(api, "apdex recovered", (x) => x.breaches.every((b: Json) => b.endedAt !== null));
  }, 60_000);

  it("a query Prometheus refuses, or one giving several series, is unknown with Prometheus's reason and opens nothing", async () => {
    target.set("other", {}); // a second series of http_requests_total
    const r = await t.admin.request("PUT", `${page}/components/${web.id}/objectives`, {
      objectives: [
        { kind: "error_ratio", query: "sum(rate(http_requests_total[", threshold: 0.01 },
        { kind: "apdex", query: "http_requests_total", threshold: 0.9 },
      ],
    });
    expect(r.status).toBe(200);
    const v = await until(web, "both unknown", (x) =>
      x.objectives.every((o: Json) => o.lastState === "unknown"),
    );
    const byKind = Object.fromEntries(v.objectives.map((o: Json) => [o.kind, o]));
    expect(byKind.error_ratio.lastState).toBe("unknown");
    expect(byKind.error_ratio.lastReason).toMatch(/Prometheus refused the query \(400 bad_data\)/);
    expect(byKind.apdex.lastReason).toMatch(/returns 2 series; an objective needs one/);
    expect(v.breaches).toEqual([]);
    await t.admin.request("PUT", `${page}/components/${web.id}/objectives`, { objectives: [] });
  }, 60_000);
});

describe("alerts mapped to components", () => {
  it("a mapped service's open alerts draft the component's proposed status, linked to the alerts' triage incident; resolving them drafts the all-clear", async () => {
    const service = (await t.admin.request("POST", "/api/v1/services", { name: "web-frontend" })).body;
    const mapped = await t.admin.request("PUT", `${page}/components/${web.id}/alert-services`, {
      services: [{ serviceId: service.id, status: "partial_outage" }],
    });
    expect(mapped.status, JSON.stringify(mapped.body)).toBe(200);
    expect(mapped.body.alertServices).toEqual([
      { serviceId: service.id, serviceName: "web-frontend", status: "partial_outage" },
    ]);
    const before = (await drafts()).length;
    const enqueue = (action: string) =>
      fetch(`${t.base}/v2/enqueue`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          routing_key: service.integrationKey,
          event_action: action,
          dedup_key: "web-5xx",
          payload: { summary: "web 5xx", source: "lb-1", severity: "critical" },
        }),
      });
    expect((await enqueue("trigger")).status).toBe(202);
    const v = await until(web, "an alerts breach", (x) =>
      x.breaches.some((b: Json) => b.source === "alerts"),
    );
    const b = v.breaches[0];
    expect(b).toMatchObject({ source: "alerts", status: "partial_outage", endedAt: null });
    expect(b.reasons).toEqual(["1 open alert(s) of the service web-frontend"]);
    const alerts = (await t.admin.get(`/api/v1/alerts?service=${service.id}`)).body.alerts;
    expect(b.incidentId).toBe(alerts[0].incidentId);
    const now = await drafts();
    expect(now).toHaveLength(before + 1);
    expect(now.find((d: Json) => d.id === b.draftUpdateIds[0]).affected).toEqual([
      { componentId: web.id, newStatus: "partial_outage" },
    ]);
    // Alerts do not page the CMOC here: their own escalation policy pages.
    expect((await pagesOf(b.incidentId)).filter((p) => p.role === "CMOC")).toEqual([]);

    expect((await enqueue("resolve")).status).toBe(202);
    const ended = await until(web, "alerts resolved", (x) => x.breaches[0].endedAt !== null);
    expect(ended.breaches[0].draftUpdateIds).toHaveLength(2);
    expect((await drafts()).find((d: Json) => d.id === ended.breaches[0].draftUpdateIds[1])).toMatchObject({
      status: "resolved",
      affected: [{ componentId: web.id, newStatus: "operational" }],
    });
  }, 60_000);
});

describe("the objectives API", () => {
  it("admin only; unknown components 404; lines that contradict each other are 400 naming the field", async () => {
    const responder = await t.user("slo-responder", "responder");
    expect((await responder.get(`${page}/components/${api.id}/objectives`)).status).toBe(403);
    expect(
      (await responder.request("PUT", `${page}/components/${api.id}/objectives`, { objectives: [] })).status,
    ).toBe(403);
    expect((await t.admin.get(`${page}/components/999999/objectives`)).status).toBe(404);
    const bad = await t.admin.request("PUT", `${page}/components/${api.id}/objectives`, {
      objectives: [
        { kind: "error_ratio", query: "x", threshold: 0.2 },
        { kind: "outage", query: "x", threshold: 0.1 },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(
      /outage error line \(0\.1\) must be above the error-ratio objective \(0\.2\)/,
    );
    const apdex = await t.admin.request("PUT", `${page}/components/${api.id}/objectives`, {
      objectives: [{ kind: "apdex", query: "x", threshold: 1.5 }],
    });
    expect(apdex.status).toBe(400);
    expect(apdex.body.field).toBe("objectives.0.threshold");
    const unknownService = await t.admin.request("PUT", `${page}/components/${api.id}/alert-services`, {
      services: [{ serviceId: 987654, status: "major_outage" }],
    });
    expect(unknownService.status).toBe(400);
    expect(unknownService.body.detail).toContain("no service with id 987654");
  });
});
