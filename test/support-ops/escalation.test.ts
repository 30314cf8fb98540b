/**
 * Customer support operations against the real app (database, paging, SMTP): an incident's
 * criticality from its systems, PAGE-8's levels on their own clocks as the test clock moves, a
 * resolution path stopping them, the time to resolve met or missed, and REV-2's review with the
 * senior manager told when it is complete.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Json, type Person, type ProcessApp, startProcessApp } from "../support/process.ts";

let p: ProcessApp;
let spec: Person; // support operations specialist on call
let eng: Person; // support fullstack engineer on call
let boss: Person; // senior support manager
let rep: Person; // a responder who declares and works incidents

beforeAll(async () => {
  p = await startProcessApp();
  spec = await p.person("spec");
  eng = await p.person("eng");
  boss = await p.person("boss");
  rep = await p.person("rep");
  await p.rotation("Support Operations Specialists", [spec]);
  await p.rotation("Support Fullstack Engineers", [eng]);
  await p.rotation("Senior Support Manager", [boss]);
  for (const [name, criticality] of [
    ["Zendesk", "Mission Critical"],
    ["Support portal", "Business Critical"],
    ["Ticket exports", "Business Operational"],
    ["Macros", "Administrative"],
  ])
    expect((await p.t.admin.request("POST", "/api/v1/systems", { name, criticality })).status).toBe(201);
});
afterAll(() => p?.close());

const systems = async (id: number): Promise<Json> =>
  (await p.t.admin.get(`/api/v1/incidents/${id}/systems`)).body;
/** The support pages of an incident, as "role → who", oldest first. */
const supportPages = async (id: number) =>
  (await p.pages(id))
    .filter((x: Json) => x.title.includes("PAGE-8"))
    .reverse()
    .map((x: Json) => `${x.role}:${x.assignedTo.join(",")}`);
const events = async (id: number, kind: string) =>
  (await p.timeline(id)).filter((e: Json) => e.kind === kind);

async function declare(title: string, linked: string[]) {
  const i = await p.declare(rep, { title, type: "Gameday" });
  const r = await rep.request("PUT", `/api/v1/incidents/${i.id}/systems`, { systems: linked });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  await p.t.runJobs();
  return { i, view: r.body };
}

async function setState(id: number, status: string) {
  const r = await rep.request("POST", `/api/v1/incidents/${id}/status`, { status });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  await p.t.runJobs();
}

describe("criticality", () => {
  it("PAGE-8: an incident touching several systems takes the highest criticality among them", async () => {
    const { i, view } = await declare("exports and macros", ["Macros", "ticket exports"]);
    expect(view.criticality).toMatchObject({
      id: "business-operational",
      name: "Business Operational",
      rank: 3,
    });
    expect(view.systems.map((s: Json) => s.name)).toEqual(["Macros", "Ticket exports"]);
    const added = await rep.request("POST", `/api/v1/incidents/${i.id}/systems`, { system: "Zendesk" });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.criticality.id).toBe("mission-critical");
    // Unlinking the highest falls back to the highest left.
    const back = await rep.request("PUT", `/api/v1/incidents/${i.id}/systems`, { systems: ["Macros"] });
    expect(back.body.criticality.id).toBe("administrative");
    const linked = (await events(i.id, "fields-changed")).map((e: Json) => e.body);
    expect(linked.some((b: string) => b.includes("linked Zendesk (Mission Critical)"))).toBe(true);
    expect(linked.some((b: string) => b.includes("unlinked Ticket exports, Zendesk"))).toBe(true);
    await setState(i.id, "resolved");
  });

  it("an unknown system is refused naming the catalogue; nothing is linked", async () => {
    const i = await p.declare(rep, { title: "unknown", type: "Gameday" });
    const r = await rep.request("PUT", `/api/v1/incidents/${i.id}/systems`, { systems: ["Macros", "Nope"] });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain('no system named "Nope"');
    expect((await systems(i.id)).systems).toEqual([]);
    await setState(i.id, "resolved");
  });
});

describe("PAGE-8 escalation on its own clocks", () => {
  it("PAGE-8: Mission Critical escalates every 10 minutes without a resolution path, up to level 4", async () => {
    const { i } = await declare("Zendesk down", ["Zendesk"]);
    await p.t.advanceMinutes(9);
    expect((await systems(i.id)).escalation.level).toBe(0);
    await p.t.advanceMinutes(1);
    // Level 1: no Slack here, so the team (both rotations' people) is asked by notice.
    expect((await systems(i.id)).escalation.level).toBe(1);
    expect(p.mails(spec, /can you help with incident/)).toHaveLength(1);
    expect(p.mails(eng, /can you help with incident/)).toHaveLength(1);
    expect(await supportPages(i.id)).toEqual([]);
    await p.t.advanceMinutes(10);
    expect(await supportPages(i.id)).toEqual([`Support Operations Specialist:${spec.id}`]);
    expect(p.mails(spec, /Support escalation level 2/)).toHaveLength(1);
    await p.t.advanceMinutes(10);
    expect(await supportPages(i.id)).toEqual([
      `Support Operations Specialist:${spec.id}`,
      `Support Fullstack Engineer:${eng.id}`,
    ]);
    await p.t.advanceMinutes(10);
    expect((await supportPages(i.id)).at(-1)).toBe(`Senior Support Manager:${boss.id}`);
    expect(p.mails(boss, /Support escalation level 4/)).toHaveLength(1);
    // Level 4 is the last: nothing more, however long it runs.
    await p.t.advanceMinutes(30);
    const v = await systems(i.id);
    expect(v.escalation).toMatchObject({ level: 4, nextLevelAt: null });
    expect(v.escalation.history.map((h: Json) => [h.level, h.reason])).toEqual([
      [1, "no-resolution-path"],
      [2, "no-resolution-path"],
      [3, "no-resolution-path"],
      [4, "no-resolution-path"],
    ]);
    expect(await supportPages(i.id)).toHaveLength(3);
    await setState(i.id, "resolved");
    expect((await systems(i.id)).escalation.timeToResolve).toBe("met");
  });

  it("PAGE-8: a resolution path (fixing) stops the levels; back to investigating they resume", async () => {
    const { i } = await declare("portal errors", ["Support portal"]);
    await p.t.advanceMinutes(30);
    expect((await systems(i.id)).escalation.level).toBe(1);
    await setState(i.id, "fixing");
    expect((await systems(i.id)).escalation).toMatchObject({ resolutionPath: true, nextLevelAt: null });
    await p.t.advanceMinutes(60);
    expect((await systems(i.id)).escalation.level).toBe(1);
    await setState(i.id, "investigating");
    const resumed = await systems(i.id);
    expect(resumed.escalation.resolutionPath).toBe(false);
    expect(resumed.escalation.nextLevelAt).toBe(
      new Date(p.t.clock.now().getTime() + 30 * 60_000).toISOString(),
    );
    await p.t.advanceMinutes(30);
    expect(await supportPages(i.id)).toEqual([`Support Operations Specialist:${spec.id}`]);
    await p.t.advanceMinutes(30);
    expect((await systems(i.id)).escalation.level).toBe(3);
    // Business Critical goes no further than level 3.
    await p.t.advanceMinutes(120);
    expect((await systems(i.id)).escalation.level).toBe(3);
    const ttr = await events(i.id, "rule-support-time-to-resolve");
    expect(ttr.map((e: Json) => e.data.outcome)).toEqual(["missed"]);
    await setState(i.id, "resolved");
    expect((await systems(i.id)).escalation.timeToResolve).toBe("missed");
  });

  it("PAGE-8: Business Operational goes to level 2 by time, then to level 3 once past its time to resolve", async () => {
    const { i } = await declare("exports slow", ["Ticket exports"]);
    await p.t.advanceMinutes(8 * 60);
    expect((await systems(i.id)).escalation.level).toBe(1);
    await p.t.advanceMinutes(8 * 60);
    expect((await systems(i.id)).escalation.level).toBe(2);
    await p.t.advanceMinutes(31 * 60);
    expect((await systems(i.id)).escalation).toMatchObject({
      level: 2,
      nextLevelAt: null,
      reviewRequired: false,
    });
    await p.t.advanceMinutes(60);
    const v = await systems(i.id);
    expect(v.escalation).toMatchObject({ level: 3, timeToResolve: "missed", reviewRequired: true });
    expect(v.escalation.history.at(-1)).toMatchObject({ level: 3, reason: "past-time-to-resolve" });
    expect((await supportPages(i.id)).at(-1)).toBe(`Support Fullstack Engineer:${eng.id}`);
    // REV-2: reaching level 3 requires the review.
    expect((await p.t.admin.get(`/api/v1/incidents/${i.id}/review`)).body).toMatchObject({
      required: true,
      reason: "support-criticality",
    });
    await setState(i.id, "resolved");
  });
});

describe("REV-2", () => {
  it("REV-2: criticality 1–2 requires the review at once; the senior manager is told when it is complete", async () => {
    const { i } = await declare("portal login loop", ["Support portal"]);
    const review = (await p.t.admin.get(`/api/v1/incidents/${i.id}/review`)).body;
    expect(review).toMatchObject({ required: true, reason: "support-criticality" });
    // The senior manager on call holds the role the review's completion is told to.
    expect((await p.read(i.id)).roles["Senior Support Manager"]?.id).toBe(boss.id);
    expect(p.mails(boss, /is complete/)).toHaveLength(0);
    await setState(i.id, "resolved");
    const done = await p.t.admin.request("POST", `/api/v1/incidents/${i.id}/review/complete`);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    await p.t.runJobs();
    const notices = await sql<{ subject: string }>`
      SELECT subject FROM notices WHERE user_id = ${boss.id} AND incident_id = ${i.id}`.execute(
      p.t.database.db,
    );
    expect(notices.rows.map((r) => r.subject)).toContain(
      `[Firebreak] The review of incident #${i.id} is complete`,
    );
    expect(p.mails(boss, new RegExp(`review of incident #${i.id} is complete`))).toHaveLength(1);
  });

  it("REV-2: an Administrative incident that never reaches level 3 needs no review", async () => {
    const { i } = await declare("macro typo", ["Macros"]);
    await p.t.advanceMinutes(48 * 60);
    expect((await systems(i.id)).escalation).toMatchObject({ level: 2, reviewRequired: false });
    await setState(i.id, "resolved");
    expect((await p.t.admin.get(`/api/v1/incidents/${i.id}/review`)).body.required).toBe(false);
  });
});
