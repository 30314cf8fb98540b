/**
 * Clocks: durable timers the policy's rules arm in the transaction that starts them and cancel in
 * the one that stops them. Each test seeds a scenario, moves the test clock, runs what fell due,
 * and expects the page, the reminder or the recorded deadline (PAGE-3, COMM-1, COMM-2, OWN-6,
 * OWN-8, PAGE-5, STAT-5, SEV-5).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Json, type Person, type ProcessApp, startProcessApp } from "../support/process.ts";

let p: ProcessApp;
let eve: Person; // EOC on call
let ian: Person; // IM on call this week
let ivy: Person; // IM next week, and a second IM
let cat: Person; // CMOC on call
let lea: Person; // Infrastructure Leader
let rel: Person; // Release Manager
let rob: Person; // a reporter

beforeAll(async () => {
  p = await startProcessApp();
  eve = await p.person("eve");
  ian = await p.person("ian");
  ivy = await p.person("ivy");
  cat = await p.person("cat");
  lea = await p.person("lea");
  rel = await p.person("rel");
  rob = await p.person("rob");
  await p.rotation("EOC", [eve]);
  // Weekly from the Monday of last week: ivy last week, ian this week, ivy the next.
  await p.rotation("IM", [ivy, ian]);
  await p.rotation("CMOC", [cat]);
  await p.rotation("Infrastructure Leader", [lea]);
  await p.rotation("Release Managers", [rel]);
});
afterAll(() => p?.close());

const kinds = async (id: number) => (await p.timeline(id)).map((e: Json) => e.kind as string);
const pending = async (id: number) =>
  ((await p.clocks(id)).clocks as Json[]).map((c) => `${c.ruleId}@${c.dueAt}`);
const inMinutes = (m: number) => new Date(p.t.clock.now().getTime() + m * 60_000).toISOString();

async function resolve(id: number) {
  const i = await p.read(id);
  const owner = [eve, ian, ivy, cat, lea, rel, rob].find((x) => x.id === i.owner.id) ?? p.t.admin;
  expect((await owner.request("POST", `/api/v1/incidents/${id}/status`, { status: "resolved" })).status).toBe(
    200,
  );
}

describe("PAGE-3", () => {
  it("PAGE-3: still investigating 30 minutes after the EOC engaged pages the IM; fixing before then cancels it", async () => {
    const slow = await p.declare(rob, { severity: "S4", title: "slow pages", visibility: "private" });
    await p.acknowledge(eve, slow.id, "EOC"); // eve engages as EOC (and owns it: OWN-3)
    expect((await p.read(slow.id)).roles.EOC.id).toBe(eve.id);
    expect(await pending(slow.id)).toContain(`PAGE-3@${inMinutes(30)}`);
    await p.t.advanceMinutes(29);
    expect((await p.pages(slow.id)).some((x: Json) => x.role === "IM")).toBe(false);
    await p.t.advanceMinutes(1);
    const im = (await p.pages(slow.id)).find((x: Json) => x.role === "IM");
    expect(im?.title).toContain("PAGE-3");
    expect(im?.assignedTo).toEqual([ian.id]);

    const quick = await p.declare(rob, { severity: "S4", title: "quick fix", visibility: "private" });
    await p.acknowledge(eve, quick.id, "EOC");
    expect(
      (await eve.request("POST", `/api/v1/incidents/${quick.id}/status`, { status: "fixing" })).status,
    ).toBe(200);
    expect((await pending(quick.id)).some((c) => c.startsWith("PAGE-3@"))).toBe(false);
    await p.t.advanceMinutes(31);
    expect((await p.pages(quick.id)).some((x: Json) => x.role === "IM")).toBe(false);
    await resolve(slow.id);
    await resolve(quick.id);
  });
});

describe("COMM-1 and OWN-6", () => {
  it("COMM-1: when an update is due the IM and CMOC are reminded by email and on the timeline, again while overdue; an update resets it", async () => {
    const i = await p.declare(rob, { severity: "S2", title: "API latency", visibility: "private" }); // cadence 30
    await p.acknowledge(ian, i.id, "IM");
    const cmoc = await rob.request("PUT", `/api/v1/incidents/${i.id}/roles/CMOC`, { user: "cat" });
    expect(cmoc.status, JSON.stringify(cmoc.body)).toBe(200);
    const due = new RegExp(`Reminder: S2 incident #${i.id} `);
    await p.t.advanceMinutes(29);
    expect(p.mails(ian, due)).toHaveLength(0);
    await p.t.advanceMinutes(1);
    expect(p.mails(ian, due)).toHaveLength(1);
    expect(p.mails(cat, due)).toHaveLength(1);
    expect(p.mails(ian, due)[0]?.body).toContain("A status update is due.");
    const reminder = (await p.timeline(i.id)).filter((e: Json) => e.kind === "rule-reminder");
    expect(reminder).toHaveLength(1);
    expect(reminder[0].body).toContain("COMM-1");
    // Still overdue 15 minutes later: reminded again.
    await p.t.advanceMinutes(15);
    expect(p.mails(ian, due)).toHaveLength(2);
    // An update resets the cadence: the next reminder is 30 minutes after it.
    const u = await ian.request("POST", `/api/v1/incidents/${i.id}/updates`, {
      impact: "slower API",
      actions: "scaling",
    });
    expect(u.status, JSON.stringify(u.body)).toBe(201);
    expect(await pending(i.id)).toContain(`COMM-1@${inMinutes(30)}`);
    await p.t.advanceMinutes(29);
    expect(p.mails(ian, due)).toHaveLength(2);
    await p.t.advanceMinutes(1);
    expect(p.mails(ian, due)).toHaveLength(3);
    await resolve(i.id);
    await p.t.advanceMinutes(60);
    expect(p.mails(ian, due)).toHaveLength(3); // resolved: no more reminders
  });

  it("OWN-6: on an S3 the IM's reminder goes to the EOC, who handles the IM's duties", async () => {
    const i = await p.declare(rob, { severity: "S3", title: "cache misses", visibility: "private" }); // cadence 60
    await p.acknowledge(eve, i.id, "EOC");
    const before = p.mails(eve, /Reminder/).length;
    await p.t.advanceMinutes(60);
    expect(p.mails(eve, /Reminder/).length).toBe(before + 1);
    const r = (await p.timeline(i.id)).find((e: Json) => e.kind === "rule-reminder");
    expect(r.body).toContain("IM: eve (the EOC, OWN-6)");
    expect(r.body).toContain("CMOC: eve (the owner; nobody holds CMOC)");
    await resolve(i.id);
  });
});

describe("COMM-2", () => {
  it("COMM-2: customer impact lasting 5 minutes engages the CMOC", async () => {
    const i = await p.declare(rob, { severity: "S3", title: "checkout errors", visibility: "private" });
    const impact = await rob.request("POST", `/api/v1/incidents/${i.id}/impact`, {
      edge: "started",
      level: "partial",
    });
    expect(impact.status, JSON.stringify(impact.body)).toBe(200);
    await p.t.advanceMinutes(4);
    expect((await p.pages(i.id)).some((x: Json) => x.role === "CMOC")).toBe(false);
    await p.t.advanceMinutes(1);
    const cmoc = (await p.pages(i.id)).find((x: Json) => x.role === "CMOC");
    expect(cmoc?.title).toContain("COMM-2");
    expect(cmoc?.assignedTo).toEqual([cat.id]);
    await resolve(i.id);
  });

  it("COMM-2: an incident over 5 minutes must be public within the hour: reminded at 45 minutes, recorded as missed at 60", async () => {
    const i = await p.declare(rob, { severity: "S4", title: "login errors" });
    await p.acknowledge(eve, i.id, "EOC");
    const deadline = ((await p.clocks(i.id)).clocks as Json[]).filter(
      (c) => c.deadline === "public communication",
    );
    expect(deadline.map((c) => [c.kind, c.dueAt])).toEqual([
      ["remind", inMinutes(45)],
      ["deadline", inMinutes(60)],
    ]);
    await p.t.advanceMinutes(45);
    const reminders = (await p.timeline(i.id)).filter(
      (e: Json) => e.kind === "rule-reminder" && /COMM-2/.test(e.body),
    );
    expect(reminders).toHaveLength(1);
    await p.t.advanceMinutes(15);
    const missed = (await p.timeline(i.id)).find((e: Json) => e.kind === "rule-deadline-missed");
    expect(missed?.body).toContain("public communication");
    expect((await p.clocks(i.id)).deadlines).toEqual([
      expect.objectContaining({ name: "public communication", outcome: "missed" }),
    ]);
    await resolve(i.id);
  });

  it("COMM-2: publishing a post within the hour records the deadline as met and stops its clocks", async () => {
    const i = await p.declare(rob, { severity: "S4", title: "search errors" });
    await p.t.advanceMinutes(10);
    const page = "/api/v1/status-pages/default";
    const d = await rob.request("POST", `${page}/incidents`, {
      name: "Search errors",
      status: "investigating",
      body: "Search is failing for some.",
      incidentId: i.id,
    });
    expect(d.status, JSON.stringify(d.body)).toBe(201);
    const a = await p.t.admin.request("POST", `${page}/drafts/${d.body.update.id}/approve`);
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(await kinds(i.id)).toContain("rule-deadline-met");
    expect((await p.clocks(i.id)).clocks.filter((c: Json) => c.deadline)).toEqual([]);
    expect((await p.clocks(i.id)).deadlines).toEqual([expect.objectContaining({ outcome: "met" })]);
    await p.t.advanceMinutes(60);
    expect(await kinds(i.id)).not.toContain("rule-deadline-missed");
    await resolve(i.id);
  });
});

describe("OWN-8 and PAGE-5", () => {
  it("OWN-8: when the IM's shift ends, they are prompted to hand over and the incoming IM is paged; acknowledging takes the role", async () => {
    // The IM rotation hands over weekly on Mondays 09:00 UTC: ian this week, ivy next.
    const i = await p.declare(rob, { severity: "S2", title: "long outage", visibility: "private" });
    await p.acknowledge(ian, i.id, "IM");
    expect((await p.read(i.id)).roles.IM.id).toBe(ian.id);
    const handover = ((await p.clocks(i.id)).clocks as Json[]).find((c) => c.ruleId === "OWN-8");
    expect(handover?.dueAt).toBe("2026-11-23T09:00:00.000Z");
    // Keep the incident quiet meanwhile: post updates so COMM-1 does not dominate the mails.
    p.t.clock.set("2026-11-23T09:00:00Z");
    await p.t.runJobs();
    expect(p.mails(ian, new RegExp(`Hand over incident #${i.id} to ivy`))).toHaveLength(1);
    const open = (await p.pages(i.id)).filter((x: Json) => x.role === "IM" && x.state === "triggered");
    expect(open.map((x: Json) => x.assignedTo)).toEqual([[ivy.id]]);
    await p.acknowledge(ivy, i.id, "IM");
    const after = await p.read(i.id);
    expect(after.roles.IM.id).toBe(ivy.id);
    const handed = (await p.timeline(i.id)).find((e: Json) => e.kind === "role-changed" && e.data.handOver);
    expect(handed).toMatchObject({ data: { role: "IM", from: ian.id, to: ivy.id } });
    await resolve(i.id);
  });

  it("PAGE-5: with the IM on call already running an incident, the other IMs are asked; 15 minutes later Infrastructure Leadership is paged", async () => {
    // ivy is the IM on call this week now; she runs one incident as IM.
    const first = await p.declare(rob, { severity: "S2", title: "first S2", visibility: "private" });
    await p.acknowledge(ivy, first.id, "IM");
    const second = await p.declare(rob, { severity: "S1", title: "second one", visibility: "private" });
    const asked = (await p.timeline(second.id)).find((e: Json) => e.kind === "rule-asked");
    expect(asked?.body).toContain("asked 1 people of the IM rotation");
    expect(p.mails(ian, new RegExp(`Another IM is needed: S1 incident #${second.id}`))).toHaveLength(1);
    expect(p.mails(ivy, new RegExp(`Another IM is needed: S1 incident #${second.id}`))).toHaveLength(0);
    await p.t.advanceMinutes(15);
    const lead = (await p.pages(second.id)).find((x: Json) => x.role === "Infrastructure Leader");
    expect(lead?.title).toContain("PAGE-5");
    expect(lead?.assignedTo).toEqual([lea.id]);
    await resolve(first.id);
    await resolve(second.id);
  });

  it("PAGE-5: someone taking the IM role in time stops the escalation to leadership", async () => {
    const first = await p.declare(rob, { severity: "S2", title: "busy one", visibility: "private" });
    await p.acknowledge(ivy, first.id, "IM");
    const second = await p.declare(rob, { severity: "S2", title: "covered one", visibility: "private" });
    expect((await p.clocks(second.id)).clocks.some((c: Json) => c.ruleId === "PAGE-5-leadership")).toBe(true);
    const taken = await rob.request("PUT", `/api/v1/incidents/${second.id}/roles/IM`, { user: "ian" });
    expect(taken.status, JSON.stringify(taken.body)).toBe(200);
    expect((await p.clocks(second.id)).clocks.some((c: Json) => c.ruleId === "PAGE-5-leadership")).toBe(
      false,
    );
    await p.t.advanceMinutes(16);
    expect((await p.pages(second.id)).some((x: Json) => x.role === "Infrastructure Leader")).toBe(false);
    await resolve(first.id);
    await resolve(second.id);
  });
});

describe("STAT-5", () => {
  it("STAT-5: a C1 maintenance has the EOC, the release managers and the CMOC told 30 minutes before it starts; a C3 does not", async () => {
    const start = new Date(p.t.clock.now().getTime() + 120 * 60_000);
    const body = (name: string, criticality: string) => ({
      name,
      scheduledFor: start.toISOString(),
      scheduledUntil: new Date(start.getTime() + 3_600_000).toISOString(),
      body: "Planned work.",
      criticality,
    });
    const c1 = await rob.request(
      "POST",
      "/api/v1/status-pages/default/maintenances",
      body("Database failover", "C1"),
    );
    expect(c1.status, JSON.stringify(c1.body)).toBe(201);
    const c3 = await rob.request(
      "POST",
      "/api/v1/status-pages/default/maintenances",
      body("Log rotation", "C3"),
    );
    expect(c3.status, JSON.stringify(c3.body)).toBe(201);
    await p.t.advanceMinutes(89);
    expect(p.mails(rel, /maintenance/)).toHaveLength(0);
    await p.t.advanceMinutes(1);
    for (const who of [eve, rel, cat]) {
      const m = p.mails(who, /maintenance/);
      expect(
        m.map((x) => x.subject),
        who.username,
      ).toEqual([
        `[Firebreak] C1 maintenance "Database failover" starts at ${start.toISOString().slice(11, 16)} UTC`,
      ]);
    }
    expect(p.mails(ian, /maintenance/)).toHaveLength(0);
  });
});

describe("SEV-5", () => {
  it("SEV-5: repeated S3/S4 incidents of one cause on a weekend are combined into one S2", async () => {
    p.t.clock.set("2026-11-28T10:00:00Z"); // a Saturday
    const svc = await p.t.admin.request("POST", "/api/v1/services", {
      name: "weekend-db",
      incidentSeverity: "S4",
    });
    expect(svc.status, JSON.stringify(svc.body)).toBe(201);
    const fire = async (dedup: string) => {
      const r = await fetch(`${p.t.base}/v2/enqueue`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          routing_key: svc.body.integrationKey,
          event_action: "trigger",
          dedup_key: dedup,
          payload: { summary: `${dedup} lagging`, source: "db-1", severity: "warning" },
        }),
      });
      expect(r.status).toBe(202);
      const alerts: Json[] = (await p.t.admin.get(`/api/v1/alerts?service=${svc.body.id}`)).body.alerts;
      return alerts.find((a) => a.dedupKey === dedup)?.incidentId as number;
    };
    const accept = async (id: number) => {
      const r = await eve.request("POST", `/api/v1/incidents/${id}/status`, {
        status: "investigating",
        severity: "S4",
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };
    const first = await fire("replica-1");
    expect((await accept(first)).severity).toBe("S4");
    // Out of the grouping window, the same service fires again on Sunday: a second triage incident.
    p.t.clock.set("2026-11-29T11:00:00Z");
    const second = await fire("replica-2");
    expect(second).not.toBe(first);
    const combined = await accept(second);
    expect(combined.severity).toBe("S2");
    expect((await p.read(first)).state).toBe("merged");
    expect((await p.read(first)).mergedInto).toBe(second);
    const raised = (await p.timeline(second)).find((e: Json) => e.kind === "severity-changed" && e.data.rule);
    expect(raised?.body).toContain("SEV-5");
    // An S2 now: the IM is paged (PAGE-1).
    expect((await p.pages(second)).some((x: Json) => x.role === "IM")).toBe(true);
    await resolve(second);
  });
});
