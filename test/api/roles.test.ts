/** Ownership and roles over HTTP: OWN-1 (one owner, hand-over, escalate), OWN-2 (owner resolves), OWN-5 (roles). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { declare, expectProblem, move, read, timeline } from "./helpers.ts";

let t: TestApp;
type User = Awaited<ReturnType<TestApp["user"]>>;
let ana: User;
let ben: User;
let cai: User;
let dee: User;
beforeAll(async () => {
  t = await startTestApp();
  ana = await t.user("ana", "responder");
  ben = await t.user("ben", "responder");
  cai = await t.user("cai", "responder");
  dee = await t.user("dee", "responder");
});
afterAll(() => t?.close());
beforeEach(() => t.clock.advanceMinutes(6 * 60));

const path = (id: number, rest = "") => `/api/v1/incidents/${id}${rest}`;
const handOver = (c: User | TestApp["admin"], id: number, owner: string | number, reason?: string) =>
  c.request("POST", path(id, "/owner"), { owner, ...(reason ? { reason } : {}) });
const assign = (c: User | TestApp["admin"], id: number, role: string, user: string | number) =>
  c.request("PUT", path(id, `/roles/${encodeURIComponent(role)}`), { user });
const unassign = (c: User | TestApp["admin"], id: number, role: string) =>
  c.request("DELETE", path(id, `/roles/${encodeURIComponent(role)}`));

describe("OWN-1: exactly one owner", () => {
  it("OWN-1: the owner defaults to the declarer; the declarer may name someone else", async () => {
    const own = await declare(ana);
    expect(own.owner).toMatchObject({ id: ana.id, username: "ana" });
    expect(own.declaredBy).toMatchObject({ id: ana.id });

    const other = await declare(ana, { owner: "ben" });
    expect(other.owner).toMatchObject({ id: ben.id, username: "ben" });
    expect(other.declaredBy).toMatchObject({ id: ana.id });

    const byId = await declare(ana, { owner: cai.id });
    expect(byId.owner.id).toBe(cai.id);

    const r = await ana.request("POST", "/api/v1/incidents", {
      title: "x",
      type: "GitLab.com",
      severity: "S4",
      status: "active",
      owner: "nobody-here",
    });
    expect(expectProblem(r, 400).field).toBe("owner");
  });

  it("OWN-1: the owner hands ownership over; the old owner no longer can", async () => {
    const i = await declare(ana);
    t.clock.advanceMinutes(2);
    const r = await handOver(ana, i.id, "ben", "Ben knows this service");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.owner).toMatchObject({ id: ben.id, username: "ben" });
    expect((await read(t.admin, i.id)).owner.id).toBe(ben.id);

    const e = (await timeline(t.admin, i.id)).at(-1);
    expect(e).toMatchObject({ kind: "owner-changed", body: "Ben knows this service" });
    expect(e?.data).toMatchObject({ from: ana.id, to: ben.id });
    expect(e?.actor).toMatchObject({ id: ana.id, username: "ana" });
    expect(e?.at).toBe(t.clock.now().toISOString());

    const again = expectProblem(await handOver(ana, i.id, "cai"), 403);
    expect(again.detail).toContain("owner");
    expect((await read(t.admin, i.id)).owner.id).toBe(ben.id);
  });

  it("OWN-1: another responder cannot hand over (403, nothing changes); an admin can", async () => {
    const i = await declare(ana);
    const before = await timeline(t.admin, i.id);
    expectProblem(await handOver(cai, i.id, "cai"), 403, "forbidden");
    expect((await read(t.admin, i.id)).owner.id).toBe(ana.id);
    expect(await timeline(t.admin, i.id)).toEqual(before);

    const r = await handOver(t.admin, i.id, "dee");
    expect(r.status).toBe(200);
    expect(r.body.owner.id).toBe(dee.id);
    expect((await timeline(t.admin, i.id)).at(-1)?.actor?.username).toBe("admin");
  });

  it("OWN-1: two hand-overs at once by the owner: exactly one wins and there is one owner", async () => {
    const i = await declare(ana);
    const [toBen, toCai] = await Promise.all([handOver(ana, i.id, "ben"), handOver(ana, i.id, "cai")]);
    expect([toBen.status, toCai.status].sort()).toEqual([200, 403]);
    const winner = toBen.status === 200 ? ben : cai;
    expect((await read(t.admin, i.id)).owner.id).toBe(winner.id);
    const handOvers = (await timeline(t.admin, i.id)).filter((e) => e.kind === "owner-changed");
    expect(handOvers.map((e) => e.data.to)).toEqual([winner.id]);
  });

  it("OWN-1: handing over to the current owner is 409; to an unknown person 400 naming `owner`", async () => {
    const i = await declare(ana);
    expectProblem(await handOver(ana, i.id, "ana"), 409);
    expect(expectProblem(await handOver(ana, i.id, "ghost"), 400).field).toBe("owner");
    expect((await read(t.admin, i.id)).owner.id).toBe(ana.id);
  });

  it("OWN-1: escalating hands ownership to the IM holder (with no IM and nobody to page: a 409 saying so)", async () => {
    // Ana chooses to own it: OWN-3 would otherwise give an S2's ownership to the IM on engaging.
    const i = await declare(ana, { severity: "S2", owner: "ana" });
    // This app has no escalation policies (see test/paging/roles.test.ts for the page to the IM).
    const none = expectProblem(await ana.request("POST", path(i.id, "/escalate"), {}), 409);
    expect(none.detail).toContain("IM");
    expect(none.detail).toContain("Incident Manager");
    expect((await read(t.admin, i.id)).owner.id).toBe(ana.id);

    expect((await assign(ana, i.id, "IM", "dee")).status).toBe(200);
    expectProblem(await cai.request("POST", path(i.id, "/escalate"), {}), 403);

    const r = await ana.request("POST", path(i.id, "/escalate"), { reason: "needs coordination" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.owner).toMatchObject({ id: dee.id, username: "dee" });
    const e = (await timeline(t.admin, i.id)).at(-1);
    expect(e).toMatchObject({ kind: "owner-changed", body: "needs coordination" });
    expect(e?.data).toMatchObject({ from: ana.id, to: dee.id, escalatedTo: "IM" });
    expect(e?.actor?.id).toBe(ana.id);
  });

  // SERVER BUG (reported to the lead): the Incident Lead role and the owner are kept apart.
  it("OWN-1: the Incident Lead role never names someone other than the owner", async () => {
    const consistent = async (id: number) => {
      const i = await read(t.admin, id);
      const lead = i.roles["Incident Lead"];
      expect(lead === undefined || lead.id === i.owner.id, JSON.stringify({ owner: i.owner, lead })).toBe(
        true,
      );
    };
    const i = await declare(ana);
    await consistent(i.id);
    await assign(ana, i.id, "Incident Lead", "ben");
    await consistent(i.id);
    await handOver(t.admin, i.id, "cai");
    await consistent(i.id);
  });
});

describe("OWN-2: only the owner resolves", () => {
  it("OWN-2: another responder gets 403, and so does an admin; the owner resolves", async () => {
    const i = await declare(ana, { severity: "S2" });
    await move(ana, i.id, "monitoring");
    for (const c of [ben, t.admin]) {
      const p = expectProblem(await c.request("POST", path(i.id, "/status"), { status: "resolved" }), 403);
      expect(p.detail).toContain("owner");
    }
    expect((await read(t.admin, i.id)).state).toBe("monitoring");
    const done = await move(ana, i.id, "resolved");
    expect(done.resolvedAt).toBe(t.clock.now().toISOString());
  });

  it("OWN-2: after a hand-over the new owner resolves, the old one cannot", async () => {
    const i = await declare(ana);
    expect((await handOver(ana, i.id, "ben")).status).toBe(200);
    expectProblem(await ana.request("POST", path(i.id, "/status"), { status: "resolved" }), 403);
    await move(ben, i.id, "resolved");
  });

  it("OWN-2: others may still move the workflow short of resolving", async () => {
    const i = await declare(ana);
    await move(ben, i.id, "fixing");
    await move(cai, i.id, "monitoring");
    expect((await read(t.admin, i.id)).state).toBe("monitoring");
  });
});

describe("OWN-5: roles from the policy, one holder each", () => {
  it("OWN-5: roles named in the policy can be given, names with spaces included", async () => {
    const i = await declare(ana);
    for (const [role, who] of [
      ["EOC", "ana"],
      ["CMOC", "ben"],
      ["Security EOC", "cai"],
      ["Incident Coordinator", "dee"],
    ] as const) {
      const r = await assign(ana, i.id, role, who);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.roles[role]).toMatchObject({ username: who });
    }
    const roles = (await read(t.admin, i.id)).roles;
    // The owner role always shows the owner (OWN-1), beside the roles given here.
    expect(Object.keys(roles).sort()).toEqual([
      "CMOC",
      "EOC",
      "Incident Coordinator",
      "Incident Lead",
      "Security EOC",
    ]);
  });

  it("OWN-5: an unknown role is 400 naming the policy's roles; an unknown person 400 naming `user`", async () => {
    const i = await declare(ana);
    const p = expectProblem(await assign(ana, i.id, "Chief Firefighter", "ben"), 400, "invalid-request");
    for (const role of ["EOC", "IM", "CMOC", "Incident Manager", "Executive Sponsor"]) {
      expect(p.detail).toContain(role);
    }
    expect(p.detail).toContain("Chief Firefighter");
    expect(expectProblem(await assign(ana, i.id, "IM", "ghost"), 400).field).toBe("user");
    expect(Object.keys((await read(t.admin, i.id)).roles)).toEqual(["Incident Lead"]);
  });

  it("OWN-5: one holder per role: giving it to another replaces the holder; DELETE leaves it unheld", async () => {
    const i = await declare(ana);
    expect((await assign(ana, i.id, "IM", "ben")).body.roles.IM.id).toBe(ben.id);
    t.clock.advanceMinutes(1);
    const replaced = await assign(cai, i.id, "IM", "dee");
    expect(replaced.status).toBe(200);
    expect(replaced.body.roles.IM.id).toBe(dee.id);
    expectProblem(await assign(ana, i.id, "IM", "dee"), 409);

    const cleared = await unassign(ben, i.id, "IM");
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    expect(cleared.body.roles).not.toHaveProperty("IM");
    expect(Object.keys((await read(t.admin, i.id)).roles)).toEqual(["Incident Lead"]);
    expectProblem(await unassign(ben, i.id, "IM"), 409);

    const changes = (await timeline(t.admin, i.id)).filter((e) => e.kind === "role-changed");
    expect(changes.map((e) => [e.data.role, e.data.from, e.data.to, e.actor?.username])).toEqual([
      ["IM", null, ben.id, "ana"],
      ["IM", ben.id, dee.id, "cai"],
      ["IM", dee.id, null, "ben"],
    ]);
    for (const e of changes) expect(typeof e.at).toBe("string");
  });

  it("OWN-5: every owner and role change is its own timeline event, in order", async () => {
    const i = await declare(ana);
    await assign(ana, i.id, "IM", "ben");
    await ana.request("POST", path(i.id, "/escalate"), {});
    await handOver(ben, i.id, "cai");
    await assign(cai, i.id, "EOC", "cai");
    const kinds = (await timeline(t.admin, i.id))
      .filter((e) => e.kind === "role-changed" || e.kind === "owner-changed")
      .map((e) => `${e.kind}:${e.actor?.username}`);
    expect(kinds).toEqual(["role-changed:ana", "owner-changed:ana", "owner-changed:ben", "role-changed:cai"]);
  });
});
