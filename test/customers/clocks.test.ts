/**
 * COMM-6's clocks against the real app, on the test clock: the stages' deadlines of a customer
 * incident (reminded before, recorded met or missed), the promised next update reminded when due
 * and moved by the next update, and a second affected customer making a Sev1 a Sev0.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Json, type Person, type ProcessApp, startProcessApp } from "../support/process.ts";

let p: ProcessApp;
let cat: Person; // CMOC on call
let cody: Person; // the Incident Coordinator
let rob: Person; // a reporter

beforeAll(async () => {
  p = await startProcessApp();
  cat = await p.person("cat");
  cody = await p.person("cody");
  rob = await p.person("rob");
  await p.rotation("CMOC", [cat]);
});
afterAll(() => p?.close());

const type = "Self-managed customer";
const inMinutes = (m: number) => new Date(p.t.clock.now().getTime() + m * 60_000).toISOString();
const pending = async (id: number) =>
  ((await p.clocks(id)).clocks as Json[]).map((c) => `${c.ruleId}@${c.dueAt}`);
const events = async (id: number, kind: string, rule?: RegExp) =>
  (await p.timeline(id)).filter((e: Json) => e.kind === kind && (!rule || rule.test(e.body)));

async function customerIncident(severity: string, title: string) {
  const i = await p.declare(rob, { type, severity, title });
  const role = await p.t.admin.request(
    "PUT",
    `/api/v1/incidents/${i.id}/roles/${encodeURIComponent("Incident Coordinator")}`,
    { user: cody.id },
  );
  expect(role.status, JSON.stringify(role.body)).toBe(200);
  return i;
}

async function affect(id: number, name: string) {
  const r = await p.t.admin.request("POST", `/api/v1/incidents/${id}/customers`, {
    name,
    contacts: [`ops@${name.toLowerCase().replace(/\W/g, "")}.example`],
    ticket: `ZD-${id}-${name.length}`,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

async function update(id: number, nextUpdateInMinutes: number, who: Person = cody) {
  const r = await who.request("POST", `/api/v1/incidents/${id}/customer-updates`, {
    body: "We are restoring service and will write again.",
    nextUpdateInMinutes,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await p.t.runJobs();
  return r.body;
}

async function resolve(id: number) {
  // rob declared it and owns it (OWN-2: only the owner resolves).
  const r = await rob.request("POST", `/api/v1/incidents/${id}/status`, { status: "resolved" });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

describe("COMM-6 stages", () => {
  it("COMM-6: a Sev0's customers must hear within 30 minutes: reminded at 20, recorded as missed at 30", async () => {
    const i = await customerIncident("Sev0", "installs down for many");
    await affect(i.id, "Acme");
    const first = ((await p.clocks(i.id)).clocks as Json[]).filter(
      (c) => c.deadline === "first customer update",
    );
    expect(first.map((c) => [c.kind, c.dueAt])).toEqual([
      ["remind", inMinutes(20)],
      ["deadline", inMinutes(30)],
    ]);
    await p.t.advanceMinutes(20);
    const reminders = await events(i.id, "rule-reminder", /COMM-6/);
    expect(reminders.some((e: Json) => /first update/.test(e.body))).toBe(true);
    expect(p.mails(cody, /Reminder: Sev0 incident/).length).toBeGreaterThan(0);
    await p.t.advanceMinutes(10);
    const missed = await events(i.id, "rule-deadline-missed");
    expect(missed.map((e: Json) => e.data.deadline).sort()).toEqual([
      "first customer update",
      "first internal update",
    ]);
    expect((await p.clocks(i.id)).deadlines).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "first customer update", outcome: "missed" })]),
    );
    await resolve(i.id);
  });

  it("COMM-6: an update within the half hour records the stage as met and stops its clocks", async () => {
    const i = await customerIncident("Sev0", "upgrade breaks logins");
    await affect(i.id, "Globex");
    await p.t.advanceMinutes(12);
    await update(i.id, 60);
    const met = await events(i.id, "rule-deadline-met");
    expect(met.map((e: Json) => e.data.deadline)).toEqual(["first customer update"]);
    expect(
      ((await p.clocks(i.id)).clocks as Json[]).filter((c) => c.deadline === "first customer update"),
    ).toEqual([]);
    await p.t.advanceMinutes(30);
    const missed = (await events(i.id, "rule-deadline-missed")).map((e: Json) => e.data.deadline);
    expect(missed).not.toContain("first customer update");
    await resolve(i.id);
  });
});

describe("COMM-6 cadence", () => {
  it("COMM-6: the promised update is reminded when due and every 15 minutes after; the next update moves it; resolving stops it", async () => {
    const i = await customerIncident("Sev0", "backups fail");
    await affect(i.id, "Initech");
    await update(i.id, 60);
    expect(await pending(i.id)).toContain(`COMM-6-next-update@${inMinutes(60)}`);
    await p.t.advanceMinutes(59);
    expect(await events(i.id, "rule-reminder", /promised an update/)).toHaveLength(0);
    await p.t.advanceMinutes(1);
    expect(await events(i.id, "rule-reminder", /promised an update/)).toHaveLength(1);
    await p.t.advanceMinutes(15);
    expect(await events(i.id, "rule-reminder", /promised an update/)).toHaveLength(2);

    // The next update promises 45 minutes: the clock follows it.
    await update(i.id, 45);
    const due = (await pending(i.id)).filter((c) => c.startsWith("COMM-6-next-update@"));
    expect(due).toEqual([`COMM-6-next-update@${inMinutes(45)}`]);
    await p.t.advanceMinutes(44);
    expect(await events(i.id, "rule-reminder", /promised an update/)).toHaveLength(2);

    await resolve(i.id);
    await p.t.advanceMinutes(60);
    expect(await events(i.id, "rule-reminder", /promised an update/)).toHaveLength(2);
    expect((await pending(i.id)).some((c) => c.startsWith("COMM-6-next-update"))).toBe(false);
  });

  it("COMM-6: a second affected customer makes a Sev1 a Sev0 (rule affectedCustomers)", async () => {
    const i = await customerIncident("Sev1", "one customer down");
    await affect(i.id, "Hooli");
    expect((await p.read(i.id)).severity).toBe("Sev1");
    await affect(i.id, "Pied Piper");
    const after = await p.read(i.id);
    expect(after.severity).toBe("Sev0");
    const raised = (await p.timeline(i.id)).find((e: Json) => e.kind === "severity-changed");
    expect(raised.data).toMatchObject({ from: "Sev1", to: "Sev0", rule: "COMM-6-many" });
    await resolve(i.id);
  });
});

describe("COMM-5 briefings", () => {
  it("COMM-5: the executive summary is filled from the incident and sent to its audience by someone on it", async () => {
    const lea = await p.person("lea");
    const exa = await p.person("exa");
    const bystander = await p.person("bystander");
    await p.rotation("Infrastructure Leader", [lea]);
    const i = await customerIncident("Sev0", "installs fail after upgrade");
    const sponsor = await p.t.admin.request(
      "PUT",
      `/api/v1/incidents/${i.id}/roles/${encodeURIComponent("Executive Sponsor")}`,
      { user: exa.id },
    );
    expect(sponsor.status, JSON.stringify(sponsor.body)).toBe(200);

    const preview = await bystander.get(`/api/v1/incidents/${i.id}/briefings/executiveSummary`);
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.text).toContain(
      `Status of Sev0 incident #${i.id}, installs fail after upgrade: investigating`,
    );
    expect(preview.body.text).toContain(`Incident: http://firebreak.test/incidents/${i.id}`);
    expect(preview.body.audience).toEqual(["Infrastructure Leader", "Executive Sponsor", "Incident Manager"]);
    expect((await bystander.get(`/api/v1/incidents/${i.id}/briefings/nope`)).status).toBe(404);

    const refused = await bystander.request("POST", `/api/v1/incidents/${i.id}/briefings/executiveSummary`);
    expect(refused.status, JSON.stringify(refused.body)).toBe(403);
    const sent = await cody.request("POST", `/api/v1/incidents/${i.id}/briefings/executiveSummary`);
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body.sentTo.sort()).toEqual(["exa", "lea"]);
    await p.t.runJobs();
    for (const who of [lea, exa]) {
      const mail = p.mails(who, /Executive summary: Sev0 incident/).at(-1);
      expect(mail?.body).toContain("installs fail after upgrade");
    }
    expect(p.mails(bystander, /Executive summary/)).toEqual([]);
    const recorded = (await p.timeline(i.id)).filter((e: Json) => e.kind === "notice-briefing-sent");
    expect(recorded).toHaveLength(1);
    expect(recorded[0].body).toMatch(/^executiveSummary sent to (exa, lea|lea, exa)/);
    await resolve(i.id);
  });
});
