/**
 * REV-2 through the function the customer-support capability (issue 20) calls, and review settings
 * people change (owner, reviewers, due date, meeting), against the real app.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IncidentDb } from "../../src/incidents/store.ts";
import { loadPolicy } from "../../src/policy/load.ts";
import { declare, expectProblem } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

let t: TestApp;
beforeAll(async () => {
  const policy = loadPolicy();
  // Any role can be the senior manager: the IM stands in here, so the test needs no support rotation.
  t = await startTestApp({
    policy: { ...policy, reviews: { dueBusinessDays: 5, remindBeforeHours: 24, seniorManagerRole: "IM" } },
  });
});
afterAll(() => t?.close());

describe("REV-2 and review settings", () => {
  it("REV-2: a support-criticality review is required; when it is complete the senior manager is told", async () => {
    const manager = await t.user("senior");
    const i = await declare(t.admin, { severity: "S4", title: "Support escalation" });
    const role = await t.admin.request("PUT", `/api/v1/incidents/${i.id}/roles/IM`, { user: manager.id });
    expect(role.status, JSON.stringify(role.body)).toBe(200);
    await t.database.db
      .transaction()
      .execute((tx) => t.services.reviews.requireSupportReview(tx as unknown as IncidentDb, i.id));
    const review = (await t.admin.get(`/api/v1/incidents/${i.id}/review`)).body;
    expect(review).toMatchObject({ required: true, reason: "support-criticality" });

    const done = await t.admin.request("POST", `/api/v1/incidents/${i.id}/review/complete`);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    const notices = await sql<{ subject: string }>`
      SELECT subject FROM notices WHERE user_id = ${manager.id} AND incident_id = ${i.id}`.execute(
      t.database.db,
    );
    expect(notices.rows.map((r) => r.subject)).toContain(
      `[Firebreak] The review of incident #${i.id} is complete`,
    );
  });

  it("the owner, reviewers, due date and meeting can be set; reviewers take part in the incident", async () => {
    const reviewer = await t.user("rita");
    const i = await declare(t.admin, { severity: "S1" });
    await t.admin.request("POST", `/api/v1/incidents/${i.id}/labels`, { label: "review-requested" });
    const r = await t.admin.request("PATCH", `/api/v1/incidents/${i.id}/review`, {
      owner: "rita",
      reviewers: ["rita", "admin"],
      dueAt: "2026-03-20T12:00:00Z",
      meetingAt: "2026-03-18T15:00:00Z",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      ownerId: reviewer.id,
      dueAt: "2026-03-20T12:00:00.000Z",
      meetingAt: "2026-03-18T15:00:00.000Z",
    });
    expect(r.body.reviewerIds).toHaveLength(2);
    const people = (await t.admin.get(`/api/v1/incidents/${i.id}/participants`)).body.participants;
    expect(people.map((p: { id: number }) => p.id)).toContain(reviewer.id);
    expectProblem(
      await t.admin.request("PATCH", `/api/v1/incidents/${i.id}/review`, { owner: "nobody-here" }),
      400,
    );
    // The new owner (not the admin who asked) completes it.
    expect((await reviewer.request("POST", `/api/v1/incidents/${i.id}/review/complete`)).status).toBe(200);
  });
});
