/**
 * The status page's admin flow over HTTP and PostgreSQL: components and groups, a public incident
 * drafted by a responder and published only by an approver (COMM-3), its component statuses applied
 * and recorded (STAT-2), the workflow (STAT-1), and publishing on the internal incident's timeline.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = any;
type Person = Awaited<ReturnType<TestApp["user"]>>;

let t: TestApp;
let rita: Person; // a responder who drafts
let cmoc: Person; // the incident's communications manager
let api: Json;
let group: Json;

const path = (p: string) => `/api/v1/status-pages/default${p}`;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-18T12:00:00Z" });
  rita = await t.user("rita", "responder");
  cmoc = await t.user("carl", "responder");
  group = (await t.admin.request("POST", path("/components"), { name: "Platform", group: true })).body;
  api = (await t.admin.request("POST", path("/components"), { name: "API", groupId: group.id })).body;
  // A second member, so the group's status is its members' worst.
  await t.admin.request("POST", path("/components"), { name: "Website", groupId: group.id, position: 1 });
});
afterAll(() => t?.close());

describe("pages and components", () => {
  it("a page named default exists from the first start", async () => {
    const r = await t.admin.get("/api/v1/status-pages");
    expect(r.body.pages.map((p: Json) => p.slug)).toEqual(["default"]);
  });

  it("STAT-2: components start operational, in their group; bad input names the field", async () => {
    expect(api).toMatchObject({ name: "API", status: "operational", groupId: group.id, group: false });
    const bad = await t.admin.request("POST", path("/components"), { name: "X", status: "on fire" });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe("status");
    const dup = await t.admin.request("POST", path("/components"), { name: "API" });
    expect(dup.status).toBe(409);
    const noGroup = await t.admin.request("POST", path("/components"), { name: "Y", groupId: api.id });
    expect(noGroup.status).toBe(400);
    expect(noGroup.body.field).toBe("groupId");
    expect((await t.admin.get("/api/v1/status-pages/nope/components")).status).toBe(404);
  });

  it("STAT-2: the admin list shows a group's status as its members' worst, whatever the group row holds", async () => {
    const groupOf = async () =>
      ((await t.admin.get(path("/components"))).body.components as Json[]).find((c) => c.id === group.id);
    expect((await groupOf()).status).toBe("operational");
    const degraded = await t.admin.request("PATCH", path(`/components/${api.id}`), {
      status: "degraded_performance",
    });
    expect(degraded.status, JSON.stringify(degraded.body)).toBe(200);
    expect((await groupOf()).status).toBe("degraded_performance");
    await t.admin.request("PATCH", path(`/components/${api.id}`), { status: "operational" });
    expect((await groupOf()).status).toBe("operational");
  });

  it("only an admin adds components", async () => {
    expect((await rita.request("POST", path("/components"), { name: "Z" })).status).toBe(403);
  });
});

describe("drafts and approval", () => {
  let incidentId: number;
  let statusIncidentId: number;
  let draftId: number;

  beforeAll(async () => {
    const i = await rita.request("POST", "/api/v1/incidents", {
      title: "API errors",
      type: "GitLab.com",
      severity: "S3",
      status: "active",
    });
    expect(i.status, JSON.stringify(i.body)).toBe(201);
    incidentId = i.body.id;
    const role = await rita.request("PUT", `/api/v1/incidents/${incidentId}/roles/CMOC`, { user: cmoc.id });
    expect(role.status, JSON.stringify(role.body)).toBe(200);
  });

  it("COMM-3: a responder drafts; nothing is public and no component changes until it is approved", async () => {
    const r = await rita.request("POST", path("/incidents"), {
      name: "Elevated API errors",
      status: "investigating",
      body: "We are investigating errors on the API.",
      affected: [{ componentId: api.id, newStatus: "partial_outage" }],
      incidentId,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    statusIncidentId = r.body.statusIncidentId;
    draftId = r.body.update.id;
    expect(r.body.update.state).toBe("draft");
    expect((await t.admin.get(path("/incidents"))).body.incidents).toEqual([]);
    const drafts = (await t.admin.get(path("/drafts"))).body.drafts;
    expect(drafts.map((d: Json) => d.id)).toEqual([draftId]);
    const components = (await t.admin.get(path("/components"))).body.components;
    expect(components.find((c: Json) => c.id === api.id).status).toBe("operational");
  });

  it("COMM-3: the author, not being an approver, cannot publish it (403)", async () => {
    const r = await rita.request("POST", path(`/drafts/${draftId}/approve`));
    expect(r.status).toBe(403);
    expect(r.body.detail).toMatch(/COMM-3/);
  });

  it("STAT-3: a partial outage is not published before an incident manager is engaged", async () => {
    const r = await cmoc.request("POST", path(`/drafts/${draftId}/approve`));
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatch(/STAT-3/);
    const components = (await t.admin.get(path("/components"))).body.components;
    expect(components.find((c: Json) => c.id === api.id).status).toBe("operational");
    const im = await rita.request("PUT", `/api/v1/incidents/${incidentId}/roles/IM`, { user: rita.id });
    expect(im.status, JSON.stringify(im.body)).toBe(200);
  });

  it("COMM-3: an outage is published only once the approver says with whom (the EOC or IM) impact was confirmed", async () => {
    const none = await cmoc.request("POST", path(`/drafts/${draftId}/approve`));
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ field: "impactConfirmedWith" });
    expect(none.body.detail).toMatch(/COMM-3/);
    expect(none.body.detail).toContain(`user ${rita.id}`);
    // Nobody but the incident's EOC or IM will do, and never the approver themself.
    for (const who of [cmoc.id, "carl", 999, "admin"]) {
      const wrong = await cmoc.request("POST", path(`/drafts/${draftId}/approve`), {
        impactConfirmedWith: who,
      });
      expect(wrong.status, String(who)).toBe(400);
    }
    const components = (await t.admin.get(path("/components"))).body.components;
    expect(components.find((c: Json) => c.id === api.id).status).toBe("operational");
    expect((await t.admin.get(path("/incidents"))).body.incidents).toEqual([]);
  });

  it("COMM-3, STAT-2: the incident's CMOC publishes it: components change, the timeline says so", async () => {
    t.clock.advanceMinutes(2);
    const r = await cmoc.request("POST", path(`/drafts/${draftId}/approve`), { impactConfirmedWith: "rita" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: "investigating", published: true, impact: "major" });
    const components = (await t.admin.get(path("/components"))).body.components;
    expect(components.find((c: Json) => c.id === api.id).status).toBe("partial_outage");
    const [incident] = (await t.admin.get(path("/incidents"))).body.incidents;
    expect(incident.updates[0]).toMatchObject({
      state: "published",
      approvedBy: cmoc.id,
      impactConfirmedWith: rita.id,
      affected: [{ componentId: api.id, newStatus: "partial_outage", oldStatus: "operational" }],
    });
    const timeline = (await t.admin.get(`/api/v1/incidents/${incidentId}/timeline`)).body.events;
    const published = timeline.find((e: Json) => e.kind === "status-page-published");
    expect(published?.body).toContain("We are investigating errors on the API.");
    expect(published?.data.impactConfirmedWith).toBe(rita.id);
    expect((await t.admin.get(`/api/v1/incidents/${incidentId}`)).body.publicPostAt).toBe(
      t.clock.now().toISOString(),
    );
    expect((await cmoc.request("POST", path(`/drafts/${draftId}/approve`))).status).toBe(409);
  });

  it("STAT-1: updates move it to identified, monitoring and resolved; a resolved incident takes no more", async () => {
    for (const [status, newStatus] of [
      ["identified", "partial_outage"],
      ["monitoring", "operational"],
      ["resolved", "operational"],
    ] as const) {
      const d = await rita.request("POST", path(`/incidents/${statusIncidentId}/updates`), {
        status,
        body: `Now ${status}.`,
        affected: [{ componentId: api.id, newStatus }],
      });
      expect(d.status, JSON.stringify(d.body)).toBe(201);
      const a = await t.admin.request("POST", path(`/drafts/${d.body.id}/approve`), {
        impactConfirmedWith: "rita",
      });
      expect(a.status, JSON.stringify(a.body)).toBe(200);
      expect(a.body.status).toBe(status);
    }
    const [incident] = (await t.admin.get(path("/incidents"))).body.incidents;
    expect(incident).toMatchObject({ status: "resolved", impact: "major" });
    expect(incident.resolvedAt).not.toBeNull();
    const more = await rita.request("POST", path(`/incidents/${statusIncidentId}/updates`), {
      status: "investigating",
      body: "again",
    });
    expect(more.status).toBe(409);
    const bad = await rita.request("POST", path(`/incidents/${statusIncidentId}/updates`), {
      status: "exploded",
      body: "x",
    });
    expect(bad.status).toBe(400);
  });

  it("COMM-3: an approver corrects a published update's text; the timeline keeps both versions", async () => {
    const [incident] = (await t.admin.get(path("/incidents"))).body.incidents;
    const first = incident.updates.at(-1);
    expect((await rita.request("PATCH", path(`/updates/${first.id}`), { body: "x" })).status).toBe(403);
    const r = await cmoc.request("PATCH", path(`/updates/${first.id}`), {
      body: "We are investigating API errors.",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.body).toBe("We are investigating API errors.");
    const summary = await (await fetch(`${t.base}/status/default/api/v2/incidents.json`)).json();
    const bodies = (summary as Json).incidents[0].incident_updates.map((u: Json) => u.body);
    expect(bodies).toContain("We are investigating API errors.");
    const timeline = (await t.admin.get(`/api/v1/incidents/${incidentId}/timeline`)).body.events;
    const edit = timeline.find((e: Json) => e.kind === "status-page-update" && /edited/.test(e.body));
    expect(edit?.data.before).toBe("We are investigating errors on the API.");
    expect((await cmoc.request("PATCH", path("/updates/999999"), { body: "x" })).status).toBe(404);
  });

  it("COMM-4: a private (security) incident is not published unless drafted with security: true", async () => {
    const i = await rita.request("POST", "/api/v1/incidents", {
      title: "Credential leak",
      type: "GitLab.com",
      severity: "S2",
      status: "active",
      visibility: "private",
    });
    expect(i.status, JSON.stringify(i.body)).toBe(201);
    const d = await rita.request("POST", path("/incidents"), {
      name: "Security issue",
      status: "investigating",
      body: "We are investigating.",
      incidentId: i.body.id,
    });
    expect(d.status, JSON.stringify(d.body)).toBe(201);
    const refused = await t.admin.request("POST", path(`/drafts/${d.body.update.id}/approve`));
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/COMM-4/);
    const discard = await rita.request("POST", path(`/drafts/${d.body.update.id}/discard`));
    expect(discard.status).toBe(204);
    expect((await t.admin.get(path("/drafts"))).body.drafts).toEqual([]);
  });
});
