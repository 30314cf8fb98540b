/** The incident workflow over HTTP: LC-1 (states), LC-3 (labels), LC-5 (waiting before close). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { completeReview, declare, expectProblem, move, read, timeline, workflowLabels } from "./helpers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());
// Each test starts well past any other test's recurrence window (SEV-4), so severities stay as declared.
beforeEach(() => t.clock.advanceMinutes(6 * 60));

const status = (id: number, body: Record<string, unknown>) =>
  t.admin.request("POST", `/api/v1/incidents/${id}/status`, body);

describe("LC-1: the workflow", () => {
  it("LC-1: a triage incident is accepted into investigating, taking the severity given", async () => {
    const i = await declare(t.admin, { status: "triage", severity: "S3" });
    expect(i.state).toBe("triage");
    expect(i.acceptedAt).toBeNull();
    expect(i.nextStates).toEqual(expect.arrayContaining(["investigating", "declined"]));

    t.clock.advanceMinutes(4);
    const accepted = await move(t.admin, i.id, "investigating", { severity: "S2" });
    expect(accepted.severity).toBe("S2");
    expect(accepted.acceptedAt).toBe(t.clock.now().toISOString());
    const again = await read(t.admin, i.id);
    expect([again.state, again.severity]).toEqual(["investigating", "S2"]);

    const kinds = (await timeline(t.admin, i.id)).map((e) => [e.kind, e.data.from, e.data.to]);
    expect(kinds).toContainEqual(["status-changed", "triage", "investigating"]);
    expect(kinds).toContainEqual(["severity-changed", "S3", "S2"]);
  });

  it("LC-1: a triage incident can be declined instead of accepted", async () => {
    const i = await declare(t.admin, { status: "triage", severity: "S4" });
    const declined = await move(t.admin, i.id, "declined", { reason: "alert was a false positive" });
    expect(declined.acceptedAt).toBeNull();
    expect((await read(t.admin, i.id)).state).toBe("declined");
    const e = (await timeline(t.admin, i.id)).find((x) => x.kind === "status-changed");
    expect(e?.data).toMatchObject({ from: "triage", to: "declined" });
    expect(e?.body).toBe("alert was a false positive");
  });

  it("LC-1: declared active → investigating → fixing → monitoring → resolved → post-incident → closed", async () => {
    const i = await declare(t.admin, { status: "active", severity: "S3" });
    expect(i.state).toBe("investigating");
    expect(i.acceptedAt).toBe(t.clock.now().toISOString());

    t.clock.advanceMinutes(5);
    await move(t.admin, i.id, "fixing");
    t.clock.advanceMinutes(5);
    const mitigated = await move(t.admin, i.id, "monitoring");
    expect(mitigated.mitigatedAt).toBe(t.clock.now().toISOString());
    expect(mitigated.resolvedAt).toBeNull();
    t.clock.advanceMinutes(5);
    const resolved = await move(t.admin, i.id, "resolved");
    expect(resolved.resolvedAt).toBe(t.clock.now().toISOString());
    expect(resolved.mitigatedAt).toBe(mitigated.mitigatedAt);
    await move(t.admin, i.id, "post-incident");
    t.clock.advanceMinutes(5);
    const closed = await move(t.admin, i.id, "closed");
    expect(closed.closedAt).toBe(t.clock.now().toISOString());

    const path = (await timeline(t.admin, i.id))
      .filter((e) => e.kind === "status-changed")
      .map((e) => `${e.data.from}→${e.data.to}`);
    expect(path).toEqual([
      "investigating→fixing",
      "fixing→monitoring",
      "monitoring→resolved",
      "resolved→post-incident",
      "post-incident→closed",
    ]);
  });

  it("LC-1: monitoring may be skipped (fixing → resolved), and a resolved S3 may close without review", async () => {
    const i = await declare(t.admin, { severity: "S3" });
    await move(t.admin, i.id, "fixing");
    const resolved = await move(t.admin, i.id, "resolved");
    // Resolving without monitoring still marks the mitigation (SEV-2 depends on it).
    expect(resolved.mitigatedAt).toBe(t.clock.now().toISOString());
    await move(t.admin, i.id, "closed");

    const j = await declare(t.admin, { severity: "S4" });
    await move(t.admin, j.id, "resolved");
    expect((await read(t.admin, j.id)).state).toBe("resolved");
  });

  it("LC-1: a closed incident is reopened into investigating and can be resolved again", async () => {
    const i = await declare(t.admin, { severity: "S3" });
    await move(t.admin, i.id, "resolved");
    await move(t.admin, i.id, "closed");
    t.clock.advanceMinutes(60);
    const reopened = await move(t.admin, i.id, "investigating", { reason: "errors are back" });
    expect(reopened.resolvedAt).toBeNull();
    expect(reopened.closedAt).toBeNull();
    const e = (await timeline(t.admin, i.id)).at(-1);
    expect(e).toMatchObject({ kind: "status-changed", body: "errors are back" });
    expect(e?.data).toMatchObject({ from: "closed", to: "investigating" });
    const again = await move(t.admin, i.id, "resolved");
    expect(again.resolvedAt).toBe(t.clock.now().toISOString());
  });

  it("LC-1: an impossible transition is 409 problem+json naming currentState and allowed; nothing changes", async () => {
    const i = await declare(t.admin, { severity: "S3" });
    const before = await timeline(t.admin, i.id);

    const r = await status(i.id, { status: "closed" });
    const p = expectProblem(r, 409);
    expect(p.currentState).toBe("investigating");
    expect(p.allowed).toEqual(i.nextStates);
    expect(p.allowed).not.toContain("closed");
    expect(p.detail).toContain("investigating");

    const triage = await declare(t.admin, { status: "triage", severity: "S4" });
    const p2 = expectProblem(await status(triage.id, { status: "fixing" }), 409);
    expect(p2.currentState).toBe("triage");
    expect(p2.allowed).toEqual(expect.arrayContaining(["investigating", "declined"]));
    expect(p2.allowed).not.toContain("fixing");

    // Refused commands leave no trace.
    expect((await read(t.admin, i.id)).state).toBe("investigating");
    expect(await timeline(t.admin, i.id)).toEqual(before);
  });

  it("LC-1: `merged` cannot be requested through the status route (400 naming the field)", async () => {
    const i = await declare(t.admin, { severity: "S4" });
    const p = expectProblem(await status(i.id, { status: "merged" }), 400);
    expect(p.detail).toContain("status");
  });
});

describe("LC-3: workflow labels follow the state", () => {
  it("LC-3: labels after every step, with `incident` always present and one workflow label at most", async () => {
    const expectLabels = (labels: string[], workflow: string[]) => {
      expect(labels).toContain("incident");
      expect(workflowLabels(labels)).toEqual(workflow);
    };
    const i = await declare(t.admin, { status: "triage", severity: "S3" });
    expectLabels(i.labels, []);
    const steps: [string, string[]][] = [
      ["investigating", ["Incident::Active"]],
      ["fixing", ["Incident::Active"]],
      ["monitoring", ["Incident::Mitigated"]],
      ["investigating", ["Incident::Active"]], // the fix did not hold
      ["monitoring", ["Incident::Mitigated"]],
      ["resolved", ["Incident::Resolved"]],
      ["post-incident", ["Incident::Resolved"]],
      ["closed", ["Incident::Resolved"]],
      ["investigating", ["Incident::Active"]], // reopened
    ];
    for (const [to, workflow] of steps) {
      const moved = await move(t.admin, i.id, to);
      expectLabels(moved.labels, workflow);
      // What a later read shows agrees with the command's answer.
      expectLabels((await read(t.admin, i.id)).labels, workflow);
    }

    const d = await declare(t.admin, { status: "triage", severity: "S4" });
    expectLabels((await move(t.admin, d.id, "declined")).labels, []);
  });
});

describe("LC-5: an S1/S2 closes only after 30 stable minutes", () => {
  it("LC-5: an S1 resolved 29 minutes ago cannot close; at 30 it can", async () => {
    const i = await declare(t.admin, { severity: "S1" });
    const resolved = await move(t.admin, i.id, "resolved");
    const closableAt = new Date(t.clock.now().getTime() + 30 * 60_000).toISOString();
    expect(resolved.closableAt).toBe(closableAt);

    t.clock.advanceMinutes(29);
    const p = expectProblem(await status(i.id, { status: "closed" }), 409);
    expect(p.closableAt).toBe(closableAt);
    expect(p.currentState).toBe("resolved");
    expect(p.detail).toContain("30");
    expect((await read(t.admin, i.id)).state).toBe("resolved");

    t.clock.advanceMinutes(1);
    await completeReview(t.admin, i.id); // LC-6: an S1 also needs its review
    const closed = await move(t.admin, i.id, "closed");
    expect(closed.closedAt).toBe(t.clock.now().toISOString());
  });

  it("LC-5: an S2 under review (post-incident) also waits the 30 minutes", async () => {
    const i = await declare(t.admin, { severity: "S2" });
    await move(t.admin, i.id, "monitoring");
    await move(t.admin, i.id, "resolved");
    const resolvedAt = t.clock.now().getTime();
    t.clock.advanceMinutes(10);
    const review = await move(t.admin, i.id, "post-incident");
    expect(review.closableAt).toBe(new Date(resolvedAt + 30 * 60_000).toISOString());
    await completeReview(t.admin, i.id); // LC-6: LC-5's wait still applies once it is reviewed
    expectProblem(await status(i.id, { status: "closed" }), 409);
    t.clock.advanceMinutes(20);
    await move(t.admin, i.id, "closed");
  });

  it("LC-5: reopening restarts the wait from the new resolution", async () => {
    const i = await declare(t.admin, { severity: "S2" });
    await move(t.admin, i.id, "resolved");
    t.clock.advanceMinutes(45);
    await move(t.admin, i.id, "investigating");
    t.clock.advanceMinutes(5);
    await move(t.admin, i.id, "resolved");
    await completeReview(t.admin, i.id); // LC-6
    t.clock.advanceMinutes(29);
    expectProblem(await status(i.id, { status: "closed" }), 409);
    t.clock.advanceMinutes(1);
    await move(t.admin, i.id, "closed");
  });

  it("LC-5: an S3 (and an S4) closes at once after resolving", async () => {
    for (const severity of ["S3", "S4"]) {
      const i = await declare(t.admin, { severity });
      const resolved = await move(t.admin, i.id, "resolved");
      expect(resolved.closableAt).toBeNull();
      await move(t.admin, i.id, "closed");
    }
  });
});
