/**
 * No serious incident goes unpaged: every way an incident becomes S1/S2 pages as the shipped
 * policy says (PAGE-1, SEV-3), declaring has the EOC paged (DEC-3), security engages the Security
 * EOC (DEC-5), PAGE-4's four triggers, PAGE-6's verified S1. Real server, database and SMTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Json, type Person, type ProcessApp, startProcessApp } from "../support/process.ts";

let p: ProcessApp;
let eve: Person; // EOC on call
let ian: Person; // IM on call
let cat: Person; // CMOC on call
let lea: Person; // Infrastructure Leader on call
let liz: Person; // Infrastructure Liaison on call
let sam: Person; // Security EOC on call
let rob: Person; // a reporter, on call for nothing

beforeAll(async () => {
  p = await startProcessApp();
  eve = await p.person("eve");
  ian = await p.person("ian");
  cat = await p.person("cat");
  lea = await p.person("lea");
  liz = await p.person("liz");
  sam = await p.person("sam");
  rob = await p.person("rob");
  await p.rotation("EOC", [eve]);
  await p.rotation("IM", [ian]);
  await p.rotation("CMOC", [cat]);
  await p.rotation("Infrastructure Leader", [lea]);
  await p.rotation("Infrastructure Liaison", [liz]);
  await p.rotation("Security EOC", [sam]);
});
afterAll(() => p?.close());

/** Ends an incident so it does not count as open for the next test (PAGE-4, PAGE-5). */
async function finish(id: number) {
  const i = await p.read(id);
  const owner = [eve, ian, cat, lea, liz, sam, rob].find((x) => x.id === i.owner.id);
  const who = owner ?? p.t.admin;
  const r = await who.request("POST", `/api/v1/incidents/${id}/status`, { status: "resolved" });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

describe("declaring", () => {
  it("DEC-3: a reporter declaring an S3 has the EOC on call paged, by email, and nobody else", async () => {
    const i = await p.declare(rob, { severity: "S3", title: "checkout slow" });
    expect(await p.paged(i.id)).toEqual([`EOC:${eve.id}`]);
    expect(p.mails(eve, /checkout slow/)).toHaveLength(1);
    expect(p.mails(ian, /checkout slow/)).toHaveLength(0);
    const paged = (await p.timeline(i.id)).find((e: Json) => e.kind === "page-triggered");
    expect(paged?.body).toContain("DEC-3");
    await finish(i.id);
  });

  it("DEC-3: the EOC on call who declares it is engaged as EOC instead of paging themself", async () => {
    const i = await p.declare(eve, { severity: "S4", title: "minor glitch" });
    expect(await p.paged(i.id)).toEqual([]);
    expect((await p.read(i.id)).roles.EOC?.id).toBe(eve.id);
    await finish(i.id);
  });

  it("DEC-3: exercises (Gameday) page nobody", async () => {
    const i = await p.declare(rob, { severity: "S3", type: "Gameday" });
    expect(await p.paged(i.id)).toEqual([]);
    await finish(i.id);
  });
});

describe("every way to become S1/S2 pages", () => {
  it("PAGE-1: declaring an S2 pages the IM on call (and the EOC)", async () => {
    const i = await p.declare(rob, { severity: "S2", title: "registry errors" });
    expect((await p.paged(i.id)).sort()).toEqual([`EOC:${eve.id}`, `IM:${ian.id}`].sort());
    const im = (await p.pages(i.id)).find((x: Json) => x.role === "IM");
    expect(im.title).toBe(`S2 incident #${i.id} (PAGE-1): registry errors`);
    expect(p.mails(ian, /registry errors/)).toHaveLength(1);
    await finish(i.id);
  });

  it("SEV-3: raising S3 → S1 pages the CMOC and IM, and tells the EOC who holds the role already", async () => {
    const i = await p.declare(rob, { severity: "S3", title: "api 5xx" });
    await p.acknowledge(eve, i.id, "EOC"); // eve engages as EOC
    expect((await p.read(i.id)).roles.EOC?.id).toBe(eve.id);
    const r = await rob.request("POST", `/api/v1/incidents/${i.id}/severity`, {
      severity: "S1",
      reason: "all regions",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await p.t.runJobs();
    const open = await p.paged(i.id);
    expect(open).toContain(`IM:${ian.id}`);
    expect(open).toContain(`CMOC:${cat.id}`);
    // The EOC holds the role: told by a notice, not paged again.
    expect(p.mails(eve, /Firebreak\] S1 incident/)).toHaveLength(1);
    expect((await p.pages(i.id)).filter((x: Json) => x.role === "EOC")).toHaveLength(1);
    await finish(i.id);
  });

  it("PAGE-1, SEV-3: merging an S1 duplicate into an S3 primary raises the primary, which pages", async () => {
    const primary = await p.declare(rob, { severity: "S3", title: "search slow", owner: "rob" });
    const dup = await p.declare(rob, { severity: "S1", status: "triage", title: "search down" });
    const m = await rob.request("POST", `/api/v1/incidents/${dup.id}/merge`, { into: primary.id });
    expect(m.status, JSON.stringify(m.body)).toBe(200);
    expect(m.body.primary.severity).toBe("S1");
    await p.t.runJobs();
    expect(await p.paged(primary.id)).toContain(`IM:${ian.id}`);
    const raised = (await p.timeline(primary.id)).find((e: Json) => e.kind === "severity-changed");
    expect(raised?.data).toMatchObject({ from: "S3", to: "S1", mergedFrom: dup.id });
    await finish(primary.id);
  });

  it("SEV-4, PAGE-1: a recurrence raised to S2 pages the IM", async () => {
    const first = await p.declare(rob, { severity: "S3", title: "queue backlog", owner: "rob" });
    await finish(first.id);
    expect(
      (await rob.request("POST", `/api/v1/incidents/${first.id}/status`, { status: "closed" })).status,
    ).toBe(200);
    p.t.clock.advanceMinutes(30);
    const again = await p.declare(rob, { severity: "S3", title: "queue backlog again" });
    expect(again.severity).toBe("S2");
    expect(await p.paged(again.id)).toContain(`IM:${ian.id}`);
    await finish(again.id);
  });
});

describe("security, PAGE-4 and PAGE-6", () => {
  it("DEC-5, PAGE-4: a security incident is private, pages the Security EOC and engages an IM", async () => {
    const i = await p.declare(rob, { type: "SIRT", severity: "S3", title: "odd logins" });
    expect(i.visibility).toBe("private");
    const open = await p.paged(i.id);
    expect(open).toContain(`Security EOC:${sam.id}`);
    expect(open).toContain(`IM:${ian.id}`);
    // Paged people take part, so they see the private incident.
    expect((await sam.get(`/api/v1/incidents/${i.id}`)).status).toBe(200);
    await finish(i.id);
  });

  it("PAGE-4: labelling an incident 'path blocked' or 'unauthorized access' engages an IM", async () => {
    for (const label of ["path blocked", "unauthorized access"]) {
      const i = await p.declare(rob, { severity: "S4", title: `needs ${label}` });
      expect(await p.paged(i.id)).not.toContain(`IM:${ian.id}`);
      const r = await rob.request("POST", `/api/v1/incidents/${i.id}/labels`, { label });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.labels).toContain(label);
      await p.t.runJobs();
      const im = (await p.pages(i.id)).find((x: Json) => x.role === "IM");
      expect(im?.title, label).toContain("PAGE-4");
      await finish(i.id);
    }
  });

  it("PAGE-4: two S3-or-worse incidents open at once engage an IM for the second", async () => {
    p.t.clock.advanceMinutes(200); // past SEV-4's window after the recurrence test's close
    const one = await p.declare(rob, { severity: "S3", title: "first of two" });
    expect((await p.pages(one.id)).some((x: Json) => x.role === "IM")).toBe(false);
    const two = await p.declare(rob, { severity: "S3", title: "second of two" });
    const im = (await p.pages(two.id)).find((x: Json) => x.role === "IM");
    expect(im?.title).toContain("PAGE-4");
    await finish(one.id);
    await finish(two.id);
  });

  it("PAGE-6, COMM-5: a verified S1 notifies the leader, pages the Liaison and drafts the executive notice", async () => {
    const i = await p.declare(rob, {
      severity: "S1",
      title: "GitLab.com down",
      summary: "Every request fails with 503.",
    });
    expect(await p.paged(i.id)).toContain(`Infrastructure Liaison:${liz.id}`);
    const notice = new RegExp(`Notice: S1 incident #${i.id} `);
    expect(p.mails(lea, notice)).toHaveLength(1);
    expect(p.mails(lea, notice)[0]?.body).toContain("A verified S1 incident is under way.");
    const draft = (await p.timeline(i.id)).find((e: Json) => e.kind === "rule-draft");
    expect(draft?.internal).toBe(true);
    expect(draft?.body).toContain("S1 incident on GitLab.com: GitLab.com down");
    expect(draft?.body).toContain("Summary: Every request fails with 503.");
    expect(draft?.body).toContain(`Incident: http://firebreak.test/incidents/${i.id}`);
    // Once per incident: a second raise to S1 does not notify again.
    await rob.request("POST", `/api/v1/incidents/${i.id}/severity`, {
      severity: "S2",
      reason: "fewer users",
    });
    await rob.request("POST", `/api/v1/incidents/${i.id}/severity`, { severity: "S1", reason: "again" });
    await p.t.runJobs();
    expect(p.mails(lea, notice)).toHaveLength(1);
    await finish(i.id);
  });

  it("PAGE-6: a triage S1 is not verified until it is accepted", async () => {
    const i = await p.declare(rob, { severity: "S1", status: "triage", title: "maybe down" });
    expect(await p.paged(i.id)).not.toContain(`Infrastructure Liaison:${liz.id}`);
    const r = await rob.request("POST", `/api/v1/incidents/${i.id}/status`, { status: "investigating" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await p.t.runJobs();
    expect(await p.paged(i.id)).toContain(`Infrastructure Liaison:${liz.id}`);
    await finish(i.id);
  });
});

describe("PAGE-2: the escalation policies are the policy file's", () => {
  it("PAGE-2: an unacknowledged EOC page reaches the IM after the file's 15 minutes; the policy cannot be edited by hand", async () => {
    const i = await p.declare(rob, { severity: "S4", title: "disk filling" });
    expect(await p.paged(i.id)).toEqual([`EOC:${eve.id}`]);
    await p.t.advanceMinutes(15);
    expect(await p.paged(i.id)).toEqual([`EOC:${ian.id}`]); // level 2 of Engineer On Call: the IM
    const policies: Json[] = (await p.t.admin.get("/api/v1/escalation-policies")).body.policies;
    const eoc = policies.find((x) => x.name === "Engineer On Call");
    expect(eoc).toMatchObject({ managed: true, ackTimeoutMinutes: 30 });
    expect(eoc.levels.map((l: Json) => l.timeoutMinutes)).toEqual([15, 15, 15]);
    const edit = await p.t.admin.request("PUT", `/api/v1/escalation-policies/${eoc.id}`, {
      name: "Engineer On Call",
      levels: eoc.levels,
    });
    expect(edit.status).toBe(409);
    expect(edit.body.detail).toContain("policy file");
    await finish(i.id);
  });
});
