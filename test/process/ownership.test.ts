/**
 * Ownership and roles as the process runs them: escalating with no IM pages the IM on call, who
 * takes the role and ownership by acknowledging (OWN-1); the default owner (OWN-3); the IM is not
 * also the EOC (OWN-7), unless the policy allows it and says so.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../src/policy/load.ts";
import { type Json, type Person, type ProcessApp, startProcessApp } from "../support/process.ts";

let p: ProcessApp;
let eve: Person;
let ian: Person;
let rob: Person;

beforeAll(async () => {
  p = await startProcessApp();
  eve = await p.person("eve");
  ian = await p.person("ian");
  rob = await p.person("rob");
  await p.rotation("EOC", [eve]);
  await p.rotation("IM", [ian]);
});
afterAll(() => p?.close());

describe("OWN-1", () => {
  it("OWN-1: escalating with nobody in the IM role pages the IM on call, who takes the role and ownership on acknowledging", async () => {
    const i = await p.declare(rob, { severity: "S4", title: "odd billing numbers", owner: "rob" });
    const r = await rob.request("POST", `/api/v1/incidents/${i.id}/escalate`, {});
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.owner.id).toBe(rob.id); // until the IM engages
    await p.t.runJobs();
    const requested = (await p.timeline(i.id)).find((e: Json) => e.kind === "escalation-requested");
    expect(requested?.body).toContain("takes ownership on acknowledging");
    expect(p.mails(ian, /Escalated to you/)).toHaveLength(1);
    await p.acknowledge(ian, i.id, "IM");
    const after = await p.read(i.id);
    expect(after.owner.id).toBe(ian.id);
    expect(after.roles.IM.id).toBe(ian.id);
    const handed = (await p.timeline(i.id)).find((e: Json) => e.kind === "owner-changed");
    expect(handed?.data).toMatchObject({ from: rob.id, to: ian.id, escalatedTo: "IM" });
    // The page did its work: resolved, so its acknowledgement timeout never re-pages the IM.
    expect((await p.pages(i.id)).find((x: Json) => x.role === "IM")?.state).toBe("resolved");
  });

  it("OWN-1: only the owner (or an admin) escalates", async () => {
    const i = await p.declare(rob, { severity: "S4", owner: "rob" });
    expect((await eve.request("POST", `/api/v1/incidents/${i.id}/escalate`, {})).status).toBe(403);
  });
});

describe("OWN-3", () => {
  it("OWN-3: when another party declared it, the EOC owns it once engaged", async () => {
    const i = await p.declare(rob, { severity: "S3", title: "flaky runners" });
    expect(i.owner.id).toBe(rob.id);
    await p.acknowledge(eve, i.id, "EOC");
    const after = await p.read(i.id);
    expect(after.owner.id).toBe(eve.id);
    const moved = (await p.timeline(i.id)).find((e: Json) => e.kind === "owner-changed");
    expect(moved).toMatchObject({ actor: null, data: { from: rob.id, to: eve.id, rule: "OWN-3-eoc" } });
  });

  it("OWN-3: an owner a person chose stays when the EOC engages", async () => {
    const i = await p.declare(rob, { severity: "S3", title: "chosen owner", owner: "rob" });
    await p.acknowledge(eve, i.id, "EOC");
    expect((await p.read(i.id)).owner.id).toBe(rob.id);
  });

  it("OWN-3: the IM owns an externally facing S1/S2 once engaged, even after the EOC", async () => {
    const i = await p.declare(rob, { severity: "S2", title: "registry down" });
    await p.acknowledge(eve, i.id, "EOC");
    expect((await p.read(i.id)).owner.id).toBe(eve.id);
    await p.acknowledge(ian, i.id, "IM");
    expect((await p.read(i.id)).owner.id).toBe(ian.id);
  });

  it("OWN-3: an internal incident type stays with the EOC", async () => {
    const i = await p.declare(rob, { severity: "S2", title: "exercise", type: "Gameday" });
    const eoc = await rob.request("PUT", `/api/v1/incidents/${i.id}/roles/EOC`, { user: "eve" });
    expect(eoc.status).toBe(200);
    const im = await rob.request("PUT", `/api/v1/incidents/${i.id}/roles/IM`, { user: "ian" });
    expect(im.status).toBe(200);
    expect((await p.read(i.id)).owner.id).toBe(eve.id);
  });
});

describe("OWN-7", () => {
  it("OWN-7: one person is not IM and EOC of one incident: refused, naming the rule", async () => {
    const i = await p.declare(rob, { severity: "S3", owner: "rob" });
    expect((await rob.request("PUT", `/api/v1/incidents/${i.id}/roles/EOC`, { user: "eve" })).status).toBe(
      200,
    );
    const r = await rob.request("PUT", `/api/v1/incidents/${i.id}/roles/IM`, { user: "eve" });
    expect(r.status).toBe(409);
    expect(r.body.detail).toContain("OWN-7");
    expect(r.body.detail).toContain("coordinates");
    expect((await p.read(i.id)).roles.IM).toBeUndefined();
  });

  it("OWN-7: acknowledging an IM page while EOC of the incident leaves the role free, and says why", async () => {
    await p.rotation("IM", [eve]);
    try {
      const i = await p.declare(rob, { severity: "S2", title: "both hats", owner: "rob" });
      await p.acknowledge(eve, i.id, "EOC");
      await p.acknowledge(eve, i.id, "IM");
      expect((await p.read(i.id)).roles.IM).toBeUndefined();
      const why = (await p.timeline(i.id)).find((e: Json) => e.kind === "page-role-not-taken");
      expect(why?.body).toContain("OWN-7");
    } finally {
      await p.rotation("IM", [ian]);
    }
  });

  it("OWN-7: a policy that allows both says so on the timeline", async () => {
    const policy = loadPolicy();
    const allowing = { ...policy, roleConflicts: [{ roles: ["IM", "EOC"], allowed: true }] };
    const q = await startProcessApp({ policy: allowing });
    try {
      const sue = await q.person("sue");
      const i = await q.declare(sue, { severity: "S3", owner: "sue" });
      expect((await sue.request("PUT", `/api/v1/incidents/${i.id}/roles/EOC`, { user: "sue" })).status).toBe(
        200,
      );
      const r = await sue.request("PUT", `/api/v1/incidents/${i.id}/roles/IM`, { user: "sue" });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const e = (await q.timeline(i.id)).filter((x: Json) => x.kind === "role-changed").at(-1);
      expect(e.body).toContain("also holds EOC, which the policy allows (OWN-7)");
    } finally {
      await q.close();
    }
  });
});
