/**
 * LC-4 over HTTP: which incidents carry the blocking labels, and the deploy gate pipelines query.
 * The gate is global, so these tests run in order on their own database and each one leaves no
 * blocking incident open behind it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { declare, move, read } from "./helpers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());
beforeEach(() => t.clock.advanceMinutes(6 * 60));

const gate = async (query = "", c = t.admin) => {
  const r = await c.get(`/api/v1/deploy-gate${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};
const BLOCKING = ["blocks deployments", "blocks feature-flags"];

describe("LC-4: blocking labels", () => {
  it("LC-4: every S1 and S2 carries `blocks deployments` and `blocks feature-flags`; S3/S4 do not", async () => {
    for (const severity of ["S1", "S2", "S3", "S4"]) {
      const i = await declare(t.admin, { severity, status: "triage" });
      const blocks = severity === "S1" || severity === "S2";
      for (const label of BLOCKING) expect(i.labels.includes(label), `${severity} ${label}`).toBe(blocks);
      expect(i.blocks).toEqual({ deployments: blocks, featureFlags: blocks });
      await move(t.admin, i.id, "declined");
    }
  });

  it("LC-4: an S3 whose 'Blocks Deployments' field is yes carries both labels; clearing the field drops them", async () => {
    const i = await declare(t.admin, { severity: "S3", blocksDeployments: true });
    expect(i.blocksDeployments).toBe(true);
    expect(i.labels).toEqual(expect.arrayContaining(BLOCKING));

    const cleared = await t.admin.request("PATCH", `/api/v1/incidents/${i.id}`, { blocksDeployments: false });
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    for (const label of BLOCKING) expect(cleared.body.labels).not.toContain(label);

    const set = await t.admin.request("PATCH", `/api/v1/incidents/${i.id}`, { blocksDeployments: true });
    expect(set.body.labels).toEqual(expect.arrayContaining(BLOCKING));
    expect((await read(t.admin, i.id)).labels).toEqual(expect.arrayContaining(BLOCKING));
    await move(t.admin, i.id, "resolved");
  });

  it("LC-4: raising an S3 to S2 adds the labels; an S2 lowered to S3 before mitigation drops them", async () => {
    const i = await declare(t.admin, { severity: "S3" });
    const up = await t.admin.request("POST", `/api/v1/incidents/${i.id}/severity`, {
      severity: "S2",
      reason: "more customers affected",
    });
    expect(up.body.labels).toEqual(expect.arrayContaining(BLOCKING));
    const down = await t.admin.request("POST", `/api/v1/incidents/${i.id}/severity`, {
      severity: "S3",
      reason: "only one region after all",
    });
    for (const label of BLOCKING) expect(down.body.labels).not.toContain(label);
    await move(t.admin, i.id, "resolved");
  });
});

describe("LC-4: the deploy gate", () => {
  it("LC-4: blocked while an S2 is open (triage through monitoring), unblocked once it is resolved", async () => {
    expect(await gate()).toMatchObject({ blocked: false, incidents: [] });

    const i = await declare(t.admin, { severity: "S2", status: "triage", title: "Database failover" });
    for (const step of [null, "investigating", "fixing", "monitoring"]) {
      if (step) await move(t.admin, i.id, step);
      const g = await gate();
      expect(g.blocked, `while ${step ?? "triage"}`).toBe(true);
      expect(g.kind).toBe("deployments");
      expect(g.incidents).toEqual([
        { id: i.id, title: "Database failover", severity: "S2", state: step ?? "triage", private: false },
      ]);
    }
    await move(t.admin, i.id, "resolved");
    expect(await gate()).toMatchObject({ blocked: false, incidents: [] });
    expect(await gate("?for=feature-flags")).toMatchObject({ blocked: false, incidents: [] });
  });

  it("LC-4: `?for=feature-flags` answers for feature-flag changes", async () => {
    const i = await declare(t.admin, { severity: "S1" });
    const g = await gate("?for=feature-flags");
    expect(g).toMatchObject({ blocked: true, kind: "feature-flags" });
    expect(g.incidents.map((x: { id: number }) => x.id)).toEqual([i.id]);
    await move(t.admin, i.id, "resolved");
    expect(await gate("?for=feature-flags")).toMatchObject({ blocked: false, kind: "feature-flags" });
    const bad = await t.admin.get("/api/v1/deploy-gate?for=everything");
    expect(bad.status).toBe(400);
  });

  it("LC-4: an S3 with the field set blocks the gate; an S4 without it does not", async () => {
    const s4 = await declare(t.admin, { severity: "S4" });
    expect((await gate()).blocked).toBe(false);
    const s3 = await declare(t.admin, { severity: "S3", blocksDeployments: true });
    const g = await gate();
    expect(g.blocked).toBe(true);
    expect(g.incidents.map((x: { id: number }) => x.id)).toEqual([s3.id]);
    await move(t.admin, s3.id, "resolved");
    await move(t.admin, s4.id, "resolved");
    expect((await gate()).blocked).toBe(false);
  });

  it("LC-4: declined and merged incidents do not block", async () => {
    const a = await declare(t.admin, { severity: "S1", status: "triage" });
    await move(t.admin, a.id, "declined");
    // A merged duplicate blocking by its field does not block; its primary does not take the field.
    const primary = await declare(t.admin, { severity: "S4" });
    const dup = await declare(t.admin, { severity: "S4", blocksDeployments: true });
    const m = await t.admin.request("POST", `/api/v1/incidents/${dup.id}/merge`, { into: primary.id });
    expect(m.status, JSON.stringify(m.body)).toBe(200);
    expect((await gate()).blocked).toBe(false);
    await move(t.admin, primary.id, "resolved");
  });

  it("LC-4: a private blocking incident blocks for everyone, but a non-participant sees no id or title", async () => {
    const outsider = await t.user("gate-outsider", "responder");
    const viewer = await t.user("gate-viewer", "viewer");
    const lead = await t.user("gate-lead", "responder");
    const i = await declare(lead, { severity: "S1", visibility: "private", title: "Leaked signing key" });

    for (const c of [outsider, viewer]) {
      for (const q of ["", "?for=feature-flags"]) {
        const g = await gate(q, c);
        expect(g.blocked).toBe(true);
        expect(g.incidents).toEqual([
          { id: null, title: null, severity: "S1", state: "investigating", private: true },
        ]);
        expect(JSON.stringify(g)).not.toContain("Leaked signing key");
      }
    }
    for (const c of [lead, t.admin]) {
      const g = await gate("", c);
      expect(g.incidents).toEqual([
        { id: i.id, title: "Leaked signing key", severity: "S1", state: "investigating", private: true },
      ]);
    }
    await move(lead, i.id, "resolved");
    expect((await gate("", outsider)).blocked).toBe(false);
  });
});
