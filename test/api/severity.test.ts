/** Severity over HTTP: SEV-1 (changes with reasons), SEV-2 (never lowered after mitigation), SEV-4 (recurrence). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { commandKinds, completeReview, declare, expectProblem, move, read, timeline } from "./helpers.ts";

let t: TestApp;
type User = Awaited<ReturnType<TestApp["user"]>>;
let rae: User;
beforeAll(async () => {
  t = await startTestApp();
  rae = await t.user("rae", "responder");
});
afterAll(() => t?.close());
// Each test starts far past any other test's closings, so only its own incidents count for SEV-4.
beforeEach(() => t.clock.advanceMinutes(24 * 60));

const change = (id: number, body: Record<string, unknown>, c: User | TestApp["admin"] = t.admin) =>
  c.request("POST", `/api/v1/incidents/${id}/severity`, body);
/** Declares without insisting on the severity: SEV-4 is allowed to change it here. */
const declareRaw = async (severity: string, extra: Record<string, unknown> = {}, c = t.admin) => {
  const r = await c.request("POST", "/api/v1/incidents", {
    title: `new ${severity}`,
    type: "GitLab.com",
    severity,
    status: "active",
    ...extra,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
};
const closeNow = async (severity: string, extra: Record<string, unknown> = {}) => {
  const i = await declare(t.admin, { severity, ...extra });
  await move(t.admin, i.id, "resolved");
  if (severity === "S1" || severity === "S2") {
    t.clock.advanceMinutes(30);
    await completeReview(t.admin, i.id);
  }
  await move(t.admin, i.id, "closed");
  return i;
};

describe("SEV-1: every severity change has a reason", () => {
  it("SEV-1: a change without a reason (missing or empty) is 400 naming `reason`; nothing changes", async () => {
    const i = await declare(t.admin, { severity: "S3" });
    for (const body of [{ severity: "S1" }, { severity: "S1", reason: "" }]) {
      const p = expectProblem(await change(i.id, body), 400, "invalid-request");
      expect(p.detail).toContain("reason");
    }
    const after = await read(t.admin, i.id);
    expect(after.severity).toBe("S3");
    expect(commandKinds(await timeline(t.admin, i.id))).toEqual(["declared"]);
  });

  it("SEV-1: a change is a timeline event with from, to, reason, actor and time", async () => {
    const i = await declare(t.admin, { severity: "S3" });
    t.clock.advanceMinutes(7);
    const r = await change(i.id, { severity: "S1", reason: "checkout is down for everyone" }, rae);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.severity).toBe("S1");
    expect((await read(t.admin, i.id)).severity).toBe("S1");

    // The rules' reactions (pages, the PAGE-6 draft) follow it; the change itself is one event.
    const changes = (await timeline(t.admin, i.id)).filter((x) => x.kind === "severity-changed");
    expect(changes).toHaveLength(1);
    const e = changes[0];
    expect(e?.data).toMatchObject({ from: "S3", to: "S1" });
    expect([e?.body, e?.data.reason]).toContain("checkout is down for everyone");
    expect(e?.actor).toMatchObject({ id: rae.id, username: "rae" });
    expect(e?.at).toBe(t.clock.now().toISOString());
  });

  it("SEV-1: an unknown severity is 400 listing the allowed ones; the same severity is 409", async () => {
    const i = await declare(t.admin, { severity: "S3" });
    const p = expectProblem(await change(i.id, { severity: "S9", reason: "why not" }), 400);
    expect(p.field).toBe("severity");
    for (const s of ["S1", "S2", "S3", "S4"]) expect(p.detail).toContain(s);
    expectProblem(await change(i.id, { severity: "S3", reason: "again" }), 409);
  });
});

describe("SEV-2: severity records the maximum impact", () => {
  it("SEV-2: lowering is allowed before mitigation; maxSeverity keeps the highest", async () => {
    const i = await declare(t.admin, { severity: "S1" });
    await move(t.admin, i.id, "fixing");
    const r = await change(i.id, { severity: "S3", reason: "only internal tooling is affected" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ severity: "S3", maxSeverity: "S1" });
  });

  it("SEV-2: once monitoring, lowering is 409 and nothing changes; raising is still allowed", async () => {
    const i = await declare(t.admin, { severity: "S2" });
    await move(t.admin, i.id, "monitoring");
    const before = await timeline(t.admin, i.id);
    const p = expectProblem(await change(i.id, { severity: "S3", reason: "looks smaller now" }), 409);
    expect(p.detail).toContain("SEV-2");
    expect((await read(t.admin, i.id)).severity).toBe("S2");
    expect(await timeline(t.admin, i.id)).toEqual(before);

    const up = await change(i.id, { severity: "S1", reason: "data loss confirmed" });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body).toMatchObject({ severity: "S1", maxSeverity: "S1" });
    expectProblem(await change(i.id, { severity: "S2", reason: "back down" }), 409);
  });

  it("SEV-2: a resolved incident's severity is not lowered (409)", async () => {
    const i = await declare(t.admin, { severity: "S2" });
    await move(t.admin, i.id, "resolved");
    expectProblem(await change(i.id, { severity: "S4", reason: "it was minor" }), 409);
    expect((await read(t.admin, i.id)).severity).toBe("S2");
  });

  it("SEV-2: lowering stays refused after the incident is reopened or moved back from monitoring", async () => {
    const i = await declare(t.admin, { severity: "S2" });
    await move(t.admin, i.id, "resolved");
    await move(t.admin, i.id, "investigating");
    expectProblem(await change(i.id, { severity: "S3", reason: "smaller than we thought" }), 409);

    const j = await declare(t.admin, { severity: "S1" });
    await move(t.admin, j.id, "monitoring");
    await move(t.admin, j.id, "fixing");
    expectProblem(await change(j.id, { severity: "S2", reason: "fix is partial" }), 409);
    expect((await read(t.admin, j.id)).severity).toBe("S1");
  });
});

describe("SEV-4: recurrence within 3 hours upgrades to S2", () => {
  it("SEV-4: an S3 closed, then a new S3 within 3 hours is declared S2 with a severity-changed event", async () => {
    const first = await closeNow("S3");
    t.clock.advanceMinutes(170);
    const i = await declareRaw("S3", {}, rae);
    expect(i.severity).toBe("S2");
    expect(i.labels).toContain("severity::S2");
    expect(i.labels).toContain("blocks deployments");
    expect((await read(rae, i.id)).severity).toBe("S2");

    const e = (await timeline(rae, i.id)).find((x) => x.kind === "severity-changed");
    expect(e?.body).toContain("SEV-4");
    expect(e?.body).toContain(`#${first.id}`);
    expect(e?.data).toMatchObject({ from: "S3", to: "S2", rule: "SEV-4", recurrenceOf: first.id });
  });

  it("SEV-4: a closed S2 followed by an S3 (even a triage one) makes it S2", async () => {
    await closeNow("S2");
    t.clock.advanceMinutes(60);
    expect((await declareRaw("S3", { status: "triage" })).severity).toBe("S2");
  });

  it("SEV-4: after 3 hours the new S3 stays S3", async () => {
    await closeNow("S3");
    t.clock.advanceMinutes(181);
    const i = await declareRaw("S3");
    expect(i.severity).toBe("S3");
    expect(commandKinds(await timeline(t.admin, i.id))).toEqual(["declared"]);
  });

  it("SEV-4: the window runs from the closing, not the resolution", async () => {
    const i = await declare(t.admin, { severity: "S3" });
    await move(t.admin, i.id, "resolved");
    t.clock.advanceMinutes(5 * 60);
    await move(t.admin, i.id, "closed");
    t.clock.advanceMinutes(30);
    expect((await declareRaw("S3")).severity).toBe("S2");
  });

  it("SEV-4: an S4 is not upgraded, an S1 is not lowered, an S2 stays S2 with no extra event", async () => {
    await closeNow("S3");
    t.clock.advanceMinutes(10);
    expect((await declareRaw("S4")).severity).toBe("S4");
    expect((await declareRaw("S1")).severity).toBe("S1");
    const s2 = await declareRaw("S2");
    expect(s2.severity).toBe("S2");
    // Paging events (PAGE-1) may follow; no severity change may.
    expect(commandKinds(await timeline(t.admin, s2.id))).toEqual(["declared"]);
  });

  it("SEV-4: only closed S2/S3 count: a resolved S3, a closed S1 or a closed S4 does not upgrade", async () => {
    const open = await declare(t.admin, { severity: "S3" });
    await move(t.admin, open.id, "resolved");
    await closeNow("S1");
    await closeNow("S4");
    t.clock.advanceMinutes(10);
    expect((await declareRaw("S3")).severity).toBe("S3");
  });

  it("SEV-4: a private incident's recurrence upgrades without revealing it to others (DATA-3)", async () => {
    const secret = await closeNow("S3", { visibility: "private", title: "Internal credential exposure" });
    t.clock.advanceMinutes(20);
    const i = await declareRaw("S3", {}, rae);
    expect(i.severity).toBe("S2");
    const events = await timeline(rae, i.id);
    const e = events.find((x) => x.kind === "severity-changed");
    expect(e?.body).toContain("SEV-4");
    expect(e?.data.recurrenceOf ?? null).toBeNull();
    expect(JSON.stringify(events)).not.toContain(`#${secret.id}`);
    expect(JSON.stringify(events)).not.toContain("Internal credential exposure");
  });
});
