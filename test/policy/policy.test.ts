/** GET /api/v1/policy: what clients offer people comes from the loaded policy, not the handbook's defaults. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../src/policy/load.ts";
import type { Policy } from "../../src/policy/model.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

describe("GET /api/v1/policy", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it("gives any signed-in user the severities, types, roles and workflow", async () => {
    const viewer = await t.user("vera", "viewer");
    const r = await viewer.get("/api/v1/policy");
    expect(r.status).toBe(200);
    expect(r.body.severities.map((s: { id: string }) => s.id)).toEqual([
      "Sev0",
      "Sev1",
      "S1",
      "S2",
      "S3",
      "S4",
    ]);
    expect(r.body.defaultSeverity).toBe("S2");
    expect(r.body.severities.filter((s: { default: boolean }) => s.default)).toEqual([
      expect.objectContaining({ id: "S2", name: "High", blocksDeployments: true, updateCadenceMinutes: 30 }),
    ]);
    expect(r.body.incidentTypes).toContainEqual(expect.objectContaining({ name: "SIRT", security: true }));
    expect(r.body.incidentTypes).toContainEqual({
      name: "GitLab.com",
      description: "The multi-tenant SaaS platform.",
      security: false,
      severities: ["S1", "S2", "S3", "S4"],
    });
    // COMM-6: the customer type offers its own severities only.
    expect(r.body.incidentTypes).toContainEqual(
      expect.objectContaining({ name: "Self-managed customer", severities: ["Sev0", "Sev1"] }),
    );
    expect(r.body.incidentManagerRole).toBe("IM");
    expect(r.body.roles).toContainEqual(expect.objectContaining({ name: "IM", incidentManager: true }));
    expect(r.body.roles).toContainEqual(expect.objectContaining({ name: "EOC", incidentManager: false }));
    const state = (id: string) => r.body.states.find((s: { id: string }) => s.id === id);
    expect(state("triage")).toEqual({ id: "triage", open: true, next: ["investigating", "declined"] });
    expect(state("closed")).toEqual({ id: "closed", open: false, next: ["investigating"] });
    expect(state("merged")).toEqual({ id: "merged", open: false, next: [] });
  });

  it("needs a token or session like every /api/v1 route", async () => {
    const r = await fetch(`${t.base}/api/v1/policy`);
    expect(r.status).toBe(401);
    expect(r.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
  });
});

describe("an organization's own policy", () => {
  let t: TestApp;
  beforeAll(async () => {
    const base = loadPolicy();
    const policy: Policy = {
      ...base,
      severities: base.severities.map((s, i) => ({ ...s, id: `P${i + 1}` })),
      defaultSeverityWhenUnsure: "P1",
      recurrence: { ...base.recurrence, severities: ["P2", "P3"], upgradeTo: "P2" },
      paging: base.paging && { ...base.paging, weekendLowUrgency: [] },
      ownerRole: "EOC",
    };
    t = await startTestApp({ policy });
  });
  afterAll(() => t.close());

  it("is what the endpoint shows", async () => {
    const r = await t.admin.get("/api/v1/policy");
    expect(r.status).toBe(200);
    expect(r.body.severities[0]).toMatchObject({ id: "P1", default: true });
    expect(r.body.ownerRole).toBe("EOC");
    expect(r.body.roles).toContainEqual(expect.objectContaining({ name: "EOC", owner: true }));
  });
});
