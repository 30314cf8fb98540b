/** Post-incident reviews against the real app: closing gated on them, versions, export, reminders. */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declare, expectProblem, move, timeline } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

async function noticesFor(userId: number, incidentId: number) {
  const r = await sql<{ subject: string }>`
    SELECT subject FROM notices WHERE user_id = ${userId} AND incident_id = ${incidentId} ORDER BY id`.execute(
    t.database.db,
  );
  return r.rows.map((x) => x.subject);
}

async function resolve(id: number) {
  await move(t.admin, id, "investigating").catch(() => undefined);
  await move(t.admin, id, "resolved");
}

describe("reviews", () => {
  it("LC-6 REV-1: a resolved S2 cannot close before its review is complete; once its owner completes it, it closes", async () => {
    const i = await declare(t.admin, { severity: "S2", title: "Checkout errors" });
    await move(t.admin, i.id, "resolved");
    t.clock.advanceMinutes(31); // LC-5's stability delay is not what refuses it
    const refused = await t.admin.request("POST", `/api/v1/incidents/${i.id}/status`, { status: "closed" });
    const p = expectProblem(refused, 409);
    expect(p.detail).toMatch(/cannot close before its post-incident review is complete/);
    expect(p.detail).toMatch(/S2 incidents need a post-incident review \(LC-6, REV-1\)/);
    expect(p.detail).toMatch(/move it to post-incident/);

    await move(t.admin, i.id, "post-incident");
    const review = (await t.admin.get(`/api/v1/incidents/${i.id}/review`)).body;
    expect(review).toMatchObject({ exists: true, required: true, reason: "severity", completedAt: null });
    expect(review.ownerId).toBe(i.owner.id);
    // Due 5 business days later (2026-03-02 is a Monday): the next Monday.
    expect(new Date(review.dueAt).getUTCDay()).toBe(1);
    expectProblem(
      await t.admin.request("POST", `/api/v1/incidents/${i.id}/status`, { status: "closed" }),
      409,
    );

    const done = await t.admin.request("POST", `/api/v1/incidents/${i.id}/review/complete`);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.completedAt).toBe(t.clock.now().toISOString());
    await move(t.admin, i.id, "closed");
    const kinds = (await timeline(t.admin, i.id)).map((e: { kind: string }) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(["review-required", "review-completed"]));
  });

  it("REV-1: an S4 labelled review-requested needs a review before it closes; an S4 without closes at once", async () => {
    const plain = await declare(t.admin, { severity: "S4" });
    await resolve(plain.id);
    await move(t.admin, plain.id, "closed");

    const asked = await declare(t.admin, { severity: "S4" });
    const l = await t.admin.request("POST", `/api/v1/incidents/${asked.id}/labels`, {
      label: "review-requested",
    });
    expect(l.status, JSON.stringify(l.body)).toBe(200);
    const review = (await t.admin.get(`/api/v1/incidents/${asked.id}/review`)).body;
    expect(review).toMatchObject({ required: true, reason: "requested", exists: true });
    await resolve(asked.id);
    const p = expectProblem(
      await t.admin.request("POST", `/api/v1/incidents/${asked.id}/status`, { status: "closed" }),
      409,
    );
    expect(p.detail).toMatch(/labelled review-requested/);
  });

  it("only the review's owner (or an admin) completes it", async () => {
    const owner = await t.user("rev-owner");
    const other = await t.user("rev-other");
    const i = await declare(owner, { severity: "S1" });
    await move(owner, i.id, "resolved");
    await t.admin.request("POST", `/api/v1/incidents/${i.id}/participants`, { user: other.id });
    const r = await other.request("POST", `/api/v1/incidents/${i.id}/review/complete`);
    expect(expectProblem(r, 403).detail).toMatch(/only the review's owner/);
    expect((await owner.request("POST", `/api/v1/incidents/${i.id}/review/complete`)).status).toBe(200);
  });

  it("saving makes versions; a stale version is refused with 409 and nothing is lost; Markdown export", async () => {
    const i = await declare(t.admin, { severity: "S2", title: "Queue backlog", summary: "Jobs piled up" });
    await t.admin.request("POST", `/api/v1/incidents/${i.id}/notes`, { body: "queue depth 40k" });
    const first = (await t.admin.get(`/api/v1/incidents/${i.id}/review`)).body;
    expect(first).toMatchObject({ version: 0, generated: true });
    for (const heading of ["## Summary", "## Impact", "## Detection", "## Causes", "## Corrective actions"])
      expect(first.body).toContain(heading);
    expect(first.body).toContain("Jobs piled up");

    const v1 = await t.admin.request("PUT", `/api/v1/incidents/${i.id}/review`, {
      body: `${first.body}\nCause: a stuck consumer.`,
      version: 0,
    });
    expect(v1.status, JSON.stringify(v1.body)).toBe(200);
    expect(v1.body).toMatchObject({ version: 1, generated: false });
    // Someone else edited version 0 too: their save is refused, not silently overwriting v1.
    const stale = await t.admin.request("PUT", `/api/v1/incidents/${i.id}/review`, {
      body: "other",
      version: 0,
    });
    const p = expectProblem(stale, 409);
    expect(p.detail).toMatch(/is at version 1/);
    expect(p.currentVersion).toBe(1);
    const v2 = await t.admin.request("PUT", `/api/v1/incidents/${i.id}/review`, {
      body: "# Final\n",
      version: 1,
    });
    expect(v2.body.version).toBe(2);

    const versions = (await t.admin.get(`/api/v1/incidents/${i.id}/review/versions`)).body.versions;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(versions[1].body).toContain("Cause: a stuck consumer.");

    const md = await t.admin.get(`/api/v1/incidents/${i.id}/review?format=markdown`);
    expect(md.status).toBe(200);
    expect(md.headers.get("content-type")).toMatch(/^text\/markdown/);
    expect(md.body).toBe("# Final\n");
    const accept = await t.admin.request("GET", `/api/v1/incidents/${i.id}/review`, undefined, {
      accept: "text/markdown",
    });
    expect(accept.body).toBe("# Final\n");
  });

  it("TL-4: detection source and time give the time to detect, shown in the document and the phases (LC-7)", async () => {
    const i = await declare(t.admin, { severity: "S4" });
    const declaredAt = new Date(i.declaredAt).getTime();
    await t.admin.request("POST", `/api/v1/incidents/${i.id}/impact`, {
      edge: "started",
      at: new Date(declaredAt - 30 * 60_000).toISOString(),
    });
    const d = await t.admin.request("PUT", `/api/v1/incidents/${i.id}/detection`, {
      source: "customer",
      detectedAt: new Date(declaredAt - 10 * 60_000).toISOString(),
    });
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    const bad = await t.admin.request("PUT", `/api/v1/incidents/${i.id}/detection`, { source: "pager" });
    expectProblem(bad, 400);
    t.clock.advanceMinutes(20);
    await move(t.admin, i.id, "investigating").catch(() => undefined);
    await move(t.admin, i.id, "fixing");
    t.clock.advanceMinutes(20);
    await move(t.admin, i.id, "resolved");
    const r = (await t.admin.get(`/api/v1/incidents/${i.id}/review`)).body;
    expect(r.detection).toMatchObject({ source: "customer", timeToDetectMinutes: 20 });
    expect(r.body).toContain("Detected by: a customer report");
    expect(r.body).toContain("Time to detect: 20 min");
    expect(r.phases.map((p: { name: string }) => p.name)).toEqual([
      "detection",
      "response",
      "mitigation",
      "resolution",
      "review",
    ]);
    // Detection spans the time from the start of impact to the declaration.
    expect(r.phases[0]).toMatchObject({
      startedAt: new Date(declaredAt - 30 * 60_000).toISOString(),
      endedAt: i.declaredAt,
    });
  });

  it("a private incident's review is invisible to people who cannot see the incident", async () => {
    const outsider = await t.user("outsider");
    const i = await declare(t.admin, { severity: "S2", visibility: "private" });
    await move(t.admin, i.id, "resolved");
    expect((await outsider.get(`/api/v1/incidents/${i.id}/review`)).status).toBe(404);
    expect((await outsider.get(`/api/v1/incidents/${i.id}/review?format=markdown`)).status).toBe(404);
    expect((await outsider.get(`/api/v1/incidents/${i.id}/review/versions`)).status).toBe(404);
    const put = await outsider.request("PUT", `/api/v1/incidents/${i.id}/review`, { body: "x", version: 0 });
    expect(put.status).toBe(404);
  });

  it("REV-3: a Near Miss records the severity it would have had, and the person who noticed owns its review", async () => {
    const noticer = await t.user("noticer");
    const i = await declare(noticer, { severity: "S4", owner: "admin" });
    expect(i.owner.id).not.toBe(noticer.id);
    await noticer.request("POST", `/api/v1/incidents/${i.id}/labels`, { label: "Near Miss" });
    const d = await noticer.request("PUT", `/api/v1/incidents/${i.id}/detection`, { nearMissSeverity: "S1" });
    expect(d.body.nearMissSeverity).toBe("S1");
    const r = (await noticer.get(`/api/v1/incidents/${i.id}/review`)).body;
    expect(r).toMatchObject({
      required: true,
      reason: "near-miss",
      ownerId: noticer.id,
      nearMissSeverity: "S1",
    });
    expect(r.body).toContain("it would have been S1 (REV-3)");
    expectProblem(
      await noticer.request("PUT", `/api/v1/incidents/${i.id}/detection`, { nearMissSeverity: "S9" }),
      400,
    );
  });

  it("REV-1: the owner is reminded before the review is due and when it is overdue, on the test clock; not after it is complete", async () => {
    const owner = await t.user("reminded");
    const i = await declare(owner, { severity: "S2" });
    await move(owner, i.id, "resolved");
    const review = (await owner.get(`/api/v1/incidents/${i.id}/review`)).body;
    const due = new Date(review.dueAt).getTime();
    await t.runJobs();
    // Announced to its owner when it becomes required; no reminder yet.
    expect(await noticesFor(owner.id, i.id)).toEqual([
      expect.stringMatching(/post-incident review of incident #\d+ is yours, due/),
    ]);
    t.clock.set(new Date(due - 23 * 3_600_000));
    await t.runJobs();
    expect((await noticesFor(owner.id, i.id)).slice(1)).toEqual([
      expect.stringMatching(/review of incident #\d+ is due/),
    ]);
    t.clock.set(new Date(due + 60_000));
    await t.runJobs();
    expect((await noticesFor(owner.id, i.id))[2]).toMatch(/is overdue/);
    expect((await owner.get(`/api/v1/incidents/${i.id}/review`)).body.overdue).toBe(true);

    const later = await declare(owner, { severity: "S2" });
    await move(owner, later.id, "resolved");
    await owner.request("POST", `/api/v1/incidents/${later.id}/review/complete`);
    t.clock.advanceMinutes(30 * 24 * 60);
    await t.runJobs();
    expect(await noticesFor(owner.id, later.id)).toHaveLength(1); // the announcement only
  });
});
