/**
 * Approvals that cannot be bypassed (COMM-3, STAT-3): a public status change goes through a post
 * and its approval unless the policy lets that person set it directly; the approver is never the
 * drafter; the approver role comes from the policy. RED data never leaves Firebreak (DATA-1), and
 * an incident can be made private after declaring (DATA-3).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../src/policy/load.ts";
import { type Json, type Person, type ProcessApp, startProcessApp } from "../support/process.ts";

const AWS_KEY = `AKIA${"Q".repeat(16)}`;
const page = (rest: string) => `/api/v1/status-pages/default${rest}`;

let p: ProcessApp;
let rita: Person; // a responder
let carl: Person; // the CMOC
let api: Json;

const statusOfApi = async () =>
  ((await p.t.admin.get(page("/components"))).body.components as Json[]).find((c) => c.id === api.id).status;
const publicSummary = async () =>
  (await fetch(`${p.t.base}/status/default/api/v2/status.json`)).json() as Promise<Json>;

beforeAll(async () => {
  p = await startProcessApp();
  rita = await p.person("rita");
  carl = await p.person("carl");
  await p.person("ivan"); // the IM: a user the confirmations name
  api = (await p.t.admin.request("POST", page("/components"), { name: "API" })).body;
});
afterAll(() => p?.close());

describe("COMM-3: a public status change is approved like a post", () => {
  it("COMM-3: a responder cannot set a component to major outage directly; nothing changes publicly", async () => {
    const r = await rita.request("PATCH", page(`/components/${api.id}`), { status: "major_outage" });
    expect(r.status).toBe(403);
    expect(r.body.detail).toContain("COMM-3");
    expect(r.body.detail).toContain("statusPage.setDirectly");
    expect(await statusOfApi()).toBe("operational");
    expect((await publicSummary()).status.description).toBe("All Systems Operational");
  });

  it("STAT-3, COMM-3: not even an admin sets an outage directly; an admin may mark degraded performance", async () => {
    for (const status of ["partial_outage", "major_outage"]) {
      const r = await p.t.admin.request("PATCH", page(`/components/${api.id}`), { status });
      expect(r.status, status).toBe(403);
    }
    const ok = await p.t.admin.request("PATCH", page(`/components/${api.id}`), {
      status: "degraded_performance",
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(
      (await p.t.admin.request("PATCH", page(`/components/${api.id}`), { status: "operational" })).status,
    ).toBe(200);
    // A new component cannot start in an outage either.
    const born = await p.t.admin.request("POST", page("/components"), {
      name: "Web",
      status: "major_outage",
    });
    expect(born.status).toBe(403);
  });

  it("COMM-3: the drafter never approves their own post, even holding the CMOC and IM roles, even as an admin", async () => {
    const i = await p.declare(rita, { severity: "S2", title: "API down", owner: "rita" });
    for (const role of ["CMOC", "EOC"])
      expect(
        (await rita.request("PUT", `/api/v1/incidents/${i.id}/roles/${role}`, { user: "rita" })).status,
      ).toBe(200);
    expect((await rita.request("PUT", `/api/v1/incidents/${i.id}/roles/IM`, { user: "ivan" })).status).toBe(
      200,
    );
    const d = await rita.request("POST", page("/incidents"), {
      name: "API down",
      status: "investigating",
      body: "The API is down.",
      incidentId: i.id,
      affected: [{ componentId: api.id, newStatus: "major_outage" }],
    });
    expect(d.status, JSON.stringify(d.body)).toBe(201);
    const own = await rita.request("POST", page(`/drafts/${d.body.update.id}/approve`), {
      impactConfirmedWith: "ivan",
    });
    expect(own.status).toBe(403);
    expect(own.body.detail).toMatch(/you drafted update/);
    expect(await statusOfApi()).toBe("operational");

    const adminDraft = await p.t.admin.request(
      "POST",
      page(`/incidents/${d.body.statusIncidentId}/updates`),
      {
        status: "identified",
        body: "Found it.",
      },
    );
    expect(adminDraft.status).toBe(201);
    expect((await p.t.admin.request("POST", page(`/drafts/${adminDraft.body.id}/approve`))).status).toBe(403);

    // Someone else with the right does publish it.
    await rita.request("PUT", `/api/v1/incidents/${i.id}/roles/CMOC`, { user: "carl" });
    const ok = await carl.request("POST", page(`/drafts/${d.body.update.id}/approve`), {
      impactConfirmedWith: "ivan",
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(await statusOfApi()).toBe("major_outage");
  });

  it("COMM-3: who approves comes from the policy (here: the IM, not the CMOC)", async () => {
    const policy = loadPolicy();
    const imApproves = {
      ...policy,
      statusPage: { ...(policy.statusPage as NonNullable<typeof policy.statusPage>), approverRoles: ["IM"] },
    };
    const q = await startProcessApp({ policy: imApproves });
    try {
      const [ann, bo, cy] = [await q.person("ann"), await q.person("bo"), await q.person("cy")];
      const i = await q.declare(ann, { severity: "S3", owner: "ann" });
      await ann.request("PUT", `/api/v1/incidents/${i.id}/roles/CMOC`, { user: "bo" });
      await ann.request("PUT", `/api/v1/incidents/${i.id}/roles/IM`, { user: "cy" });
      const d = await ann.request("POST", "/api/v1/status-pages/default/incidents", {
        name: "Slow",
        status: "investigating",
        body: "Things are slow.",
        incidentId: i.id,
      });
      expect(d.status).toBe(201);
      const byCmoc = await bo.request(
        "POST",
        `/api/v1/status-pages/default/drafts/${d.body.update.id}/approve`,
      );
      expect(byCmoc.status).toBe(403);
      expect(byCmoc.body.detail).toContain("the incident's IM");
      const byIm = await cy.request(
        "POST",
        `/api/v1/status-pages/default/drafts/${d.body.update.id}/approve`,
      );
      expect(byIm.status, JSON.stringify(byIm.body)).toBe(200);
    } finally {
      await q.close();
    }
  });
});

describe("DATA-1: RED data never leaves Firebreak", () => {
  it("DATA-1: refused in status page posts, further updates, maintenance notices and corrections, with nothing stored", async () => {
    const i = await p.declare(rita, { severity: "S4", owner: "rita" });
    const leak = {
      name: "Errors",
      status: "investigating",
      body: `keys rotated, old one ${AWS_KEY}`,
      incidentId: i.id,
    };
    const r = await rita.request("POST", page("/incidents"), leak);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "red-data", field: "body" });
    const m = await rita.request("POST", page("/maintenances"), {
      name: `upgrade ${AWS_KEY}`,
      scheduledFor: "2026-12-01T10:00:00Z",
      scheduledUntil: "2026-12-01T11:00:00Z",
      body: "Upgrading.",
    });
    expect(m.status).toBe(400);
    expect(m.body.field).toBe("name");
    const drafts = (await p.t.admin.get(page("/drafts"))).body.drafts as Json[];
    expect(JSON.stringify(drafts)).not.toContain(AWS_KEY);

    // A published post: its correction and its next update are checked too.
    const d = await rita.request("POST", page("/incidents"), { ...leak, body: "Errors on the API." });
    expect(d.status).toBe(201);
    expect((await carl.request("POST", page(`/drafts/${d.body.update.id}/approve`))).status).toBe(403); // not CMOC here
    expect((await p.t.admin.request("POST", page(`/drafts/${d.body.update.id}/approve`))).status).toBe(200);
    const fix = await p.t.admin.request("PATCH", page(`/updates/${d.body.update.id}`), {
      body: `oops ${AWS_KEY}`,
    });
    expect(fix.status).toBe(400);
    const next = await rita.request("POST", page(`/incidents/${d.body.statusIncidentId}/updates`), {
      status: "identified",
      body: `found ${AWS_KEY}`,
    });
    expect(next.status).toBe(400);
    const html = await (await fetch(`${p.t.base}/status/default`)).text();
    expect(html).toContain("Errors on the API.");
    expect(html).not.toContain(AWS_KEY);
  });

  it("DATA-1: refused in component names, page names and page titles sent to people", async () => {
    const c = await p.t.admin.request("POST", page("/components"), { name: `db ${AWS_KEY}` });
    expect(c.status).toBe(400);
    const sp = await p.t.admin.request("POST", "/api/v1/status-pages", {
      slug: "leaky",
      name: `Status ${AWS_KEY}`,
    });
    expect(sp.status).toBe(400);
    const policies: Json[] = (await p.t.admin.get("/api/v1/escalation-policies")).body.policies;
    const pg = await rita.request("POST", "/api/v1/pages", {
      policyId: policies[0].id,
      title: `help ${AWS_KEY}`,
    });
    expect(pg.status).toBe(400);
    expect(pg.body.code).toBe("red-data");
    expect(JSON.stringify((await p.t.admin.get("/api/v1/pages?limit=500")).body)).not.toContain(AWS_KEY);
  });
});

describe("DATA-3: private after declaring", () => {
  it("DATA-3: a responder makes an incident private; only participants see it; only an admin makes it public again", async () => {
    const outsider = await p.person("olga");
    const i = await p.declare(rita, { severity: "S4", title: "customer data in a log", owner: "rita" });
    expect((await outsider.get(`/api/v1/incidents/${i.id}`)).status).toBe(200);
    const r = await rita.request("POST", `/api/v1/incidents/${i.id}/visibility`, {
      visibility: "private",
      reason: "a log excerpt has customer emails",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.visibility).toBe("private");
    expect((await outsider.get(`/api/v1/incidents/${i.id}`)).status).toBe(404);
    expect(
      ((await outsider.get("/api/v1/incidents?limit=500")).body.incidents as Json[]).some(
        (x) => x.id === i.id,
      ),
    ).toBe(false);
    const back = await rita.request("POST", `/api/v1/incidents/${i.id}/visibility`, { visibility: "public" });
    expect(back.status).toBe(403);
    const admin = await p.t.admin.request("POST", `/api/v1/incidents/${i.id}/visibility`, {
      visibility: "public",
    });
    expect(admin.status).toBe(200);
    const changes = (await p.timeline(i.id)).filter((e: Json) => e.kind === "visibility-changed");
    expect(changes.map((e: Json) => [e.data.from, e.data.to])).toEqual([
      ["public", "private"],
      ["private", "public"],
    ]);
  });
});
