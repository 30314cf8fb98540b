/** Corrective actions (FU-2) against the real app: labels, severity, SMART flags, overdue reminders. */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declare, expectProblem } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

async function followUp(incidentId: number, title: string): Promise<number> {
  const r = await t.admin.request("POST", `/api/v1/incidents/${incidentId}/tasks`, {
    kind: "follow-up",
    title,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

const corrective = (incidentId: number, taskId: number, body: Record<string, unknown>) =>
  t.admin.request("PUT", `/api/v1/incidents/${incidentId}/tasks/${taskId}/corrective`, {
    corrective: true,
    ...body,
  });

describe("corrective actions", () => {
  it("FU-2: owner and due date are required; the labels, the severity of the highest related incident, priority defaulting to it", async () => {
    const owner = await t.user("fixer");
    const primary = await declare(t.admin, { severity: "S3", title: "Slow checkout" });
    const dup = await declare(t.admin, { severity: "S1", title: "Checkout down" });
    const m = await t.admin.request("POST", `/api/v1/incidents/${dup.id}/merge`, { into: primary.id });
    expect(m.status, JSON.stringify(m.body)).toBe(200);
    const task = await followUp(primary.id, "Add an alert when checkout p99 exceeds 2 s");

    const noOwner = expectProblem(await corrective(primary.id, task, { dueAt: "2026-03-20T17:00:00Z" }), 400);
    expect(JSON.stringify(noOwner)).toMatch(/assignee/);
    const noDate = expectProblem(await corrective(primary.id, task, { assignee: owner.id }), 400);
    expect(JSON.stringify(noDate)).toMatch(/dueAt/);

    const r = await corrective(primary.id, task, { assignee: "fixer", dueAt: "2026-03-20T17:00:00Z" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      corrective: true,
      assignee: owner.id,
      dueAt: "2026-03-20T17:00:00.000Z",
      labels: ["corrective action", "infradev"],
      severity: "S1",
      priority: "S1",
      vagueReasons: [],
    });
    const explicit = await corrective(primary.id, task, { priority: "S2" });
    expect(explicit.body).toMatchObject({ severity: "S1", priority: "S2" });

    const list = (await t.admin.get(`/api/v1/incidents/${primary.id}/corrective-actions`)).body
      .correctiveActions;
    expect(list.map((c: { id: number }) => c.id)).toEqual([task]);
    const review = (await t.admin.get(`/api/v1/incidents/${primary.id}/review`)).body;
    expect(review.body).toContain(`#${task} Add an alert when checkout p99 exceeds 2 s`);

    const off = await t.admin.request("PUT", `/api/v1/incidents/${primary.id}/tasks/${task}/corrective`, {
      corrective: false,
    });
    expect(off.body).toMatchObject({ corrective: false, labels: [] });
  });

  it("FU-2: vague corrective actions are flagged with the reasons, in the API and the review document", async () => {
    const i = await declare(t.admin, { severity: "S4" });
    const task = await followUp(i.id, "Investigate the database");
    const r = await corrective(i.id, task, { assignee: "admin", dueAt: "2026-03-20T17:00:00Z" });
    expect(r.body.vagueReasons).toEqual(["vague verb: investigate", "no measurable outcome"]);
    const review = (await t.admin.get(`/api/v1/incidents/${i.id}/review`)).body;
    expect(review.correctiveActions[0].vagueReasons).toEqual([
      "vague verb: investigate",
      "no measurable outcome",
    ]);
    expect(review.body).toContain("flagged: vague verb: investigate; no measurable outcome");
  });

  it("only follow-ups can be corrective actions", async () => {
    const i = await declare(t.admin, { severity: "S4" });
    const a = await t.admin.request("POST", `/api/v1/incidents/${i.id}/tasks`, {
      kind: "action",
      title: "Roll back",
    });
    const p = expectProblem(
      await corrective(i.id, a.body.id, { assignee: "admin", dueAt: "2026-03-20T17:00:00Z" }),
      400,
    );
    expect(p.detail ?? JSON.stringify(p)).toMatch(/only follow-ups/);
  });

  it("FU-2: an overdue corrective action reminds its owner once, on the test clock; a done one does not", async () => {
    const owner = await t.user("late-fixer");
    const i = await declare(t.admin, { severity: "S4" });
    const late = await followUp(i.id, "Add a timeout of 5 s to the payment client");
    const done = await followUp(i.id, "Add a retry limit of 3 to the payment client");
    const due = new Date(t.clock.now().getTime() + 2 * 86_400_000).toISOString();
    for (const task of [late, done]) await corrective(i.id, task, { assignee: owner.id, dueAt: due });
    const d = await t.admin.request("PATCH", `/api/v1/incidents/${i.id}/tasks/${done}`, { state: "done" });
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    const subjects = async () =>
      (
        await sql<{
          subject: string;
        }>`SELECT subject FROM notices WHERE user_id = ${owner.id} ORDER BY id`.execute(t.database.db)
      ).rows.map((r) => r.subject);
    await t.advanceMinutes(60);
    expect(await subjects()).toEqual([]);
    await t.advanceMinutes(2 * 24 * 60);
    expect(await subjects()).toEqual([
      "[Firebreak] Overdue corrective action: Add a timeout of 5 s to the payment client",
    ]);
    await t.advanceMinutes(24 * 60);
    expect(await subjects()).toHaveLength(1);
  });
});
