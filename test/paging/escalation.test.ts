/**
 * The paging engine as stories: seed people and a policy, trigger, fast-forward the clock, and
 * expect the emails a real SMTP server on loopback received.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { ackLinks, startSmtp } from "../support/smtp.ts";

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
type Person = Awaited<ReturnType<TestApp["user"]>>;
let alice: Person;
let bob: Person;
let carol: Person;

async function reachableByEmail(p: Person, delays: number[] = [0]) {
  const cm = await p.request("POST", "/api/v1/me/contact-methods", {
    kind: "email",
    label: "work",
    address: `${p.username}@example.com`,
  });
  expect(cm.status, JSON.stringify(cm.body)).toBe(201);
  for (const delayMinutes of delays) {
    const rule = await p.request("POST", "/api/v1/me/notification-rules", {
      contactMethodId: cm.body.id,
      urgency: "high",
      delayMinutes,
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
  }
}

let seq = 0;
async function policy(
  levels: { users: Person[]; timeoutMinutes?: number }[],
  extra: Record<string, unknown> = {},
) {
  const r = await t.admin.request("POST", "/api/v1/escalation-policies", {
    name: `policy ${++seq}`,
    levels: levels.map((l) => ({
      timeoutMinutes: l.timeoutMinutes ?? 15,
      targets: l.users.map((u) => ({ kind: "user", id: u.id })),
    })),
    ...extra,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as number;
}

async function trigger(policyId: number, title = `disk full ${++seq}`) {
  const r = await alice.request("POST", "/api/v1/pages", { policyId, title });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await t.runJobs();
  return r.body as { id: number; title: string };
}

async function resolvePage(p: Person, id: number) {
  const r = await p.request("POST", `/api/v1/pages/${id}/resolve`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

const mailsTo = (p: Person) => smtp.to(`${p.username}@example.com`);

beforeAll(async () => {
  smtp = await startSmtp();
  t = await startTestApp({ clockStart: new Date(), smtpUrl: smtp.url });
  alice = await t.user("alice");
  bob = await t.user("bob");
  carol = await t.user("carol");
  await reachableByEmail(alice);
  await reachableByEmail(bob);
  await reachableByEmail(carol, [0, 5]);
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

describe("escalation", () => {
  it("PAGE-2: an unacknowledged page escalates to the next level after its timeout", async () => {
    const before = { alice: mailsTo(alice).length, bob: mailsTo(bob).length };
    const p = await policy([{ users: [alice] }, { users: [bob] }]);
    const page = await trigger(p, "web 5xx above 5%");
    expect(mailsTo(alice).length).toBe(before.alice + 1);
    expect(mailsTo(alice).at(-1)?.subject).toContain("web 5xx above 5%");
    expect(ackLinks(mailsTo(alice).at(-1)!)).toHaveLength(1);
    expect(mailsTo(bob).length).toBe(before.bob);

    await t.advanceMinutes(14);
    expect(mailsTo(bob).length).toBe(before.bob);
    await t.advanceMinutes(1);
    expect(mailsTo(bob).length).toBe(before.bob + 1);
    const read = await alice.get(`/api/v1/pages/${page.id}`);
    expect(read.body).toMatchObject({ state: "triggered", level: 1, assignedTo: [bob.id] });
    expect(read.body.deliveries.map((d: { status: string }) => d.status)).toEqual(["delivered", "delivered"]);
    await resolvePage(alice, page.id);
  });

  it("PAGE-2: acknowledging from the link stops escalation; the link works once and only by POST", async () => {
    const p = await policy([{ users: [alice] }, { users: [bob] }]);
    const bobBefore = mailsTo(bob).length;
    const page = await trigger(p);
    const link = ackLinks(mailsTo(alice).at(-1)!)[0]!.replace("http://firebreak.test", t.base);

    const shown = await fetch(link);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain('<form method="post"');
    expect((await alice.get(`/api/v1/pages/${page.id}`)).body.state).toBe("triggered"); // a GET changes nothing

    const acked = await fetch(link, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "",
    });
    expect(acked.status).toBe(200);
    expect(await acked.text()).toContain("Acknowledged");
    const read = await alice.get(`/api/v1/pages/${page.id}`);
    expect(read.body).toMatchObject({ state: "acknowledged", acknowledgedBy: alice.id });

    const again = await fetch(link, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "",
    });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("already used");

    await t.advanceMinutes(20);
    expect(mailsTo(bob).length).toBe(bobBefore); // no escalation after the ack
    await resolvePage(alice, page.id);
  });

  it("PAGE-2: acknowledging cancels every pending notification at once", async () => {
    const p = await policy([{ users: [carol] }]);
    const before = mailsTo(carol).length;
    const page = await trigger(p);
    expect(mailsTo(carol).length).toBe(before + 1); // the at-once rule; the 5-minute one is pending
    const ack = await carol.request("POST", `/api/v1/pages/${page.id}/acknowledge`);
    expect(ack.status).toBe(200);
    await t.advanceMinutes(6);
    expect(mailsTo(carol).length).toBe(before + 1);
    await resolvePage(carol, page.id);
  });

  it("an acknowledged page not resolved within its acknowledgement timeout re-opens and pages again", async () => {
    const p = await policy([{ users: [alice] }], { ackTimeoutMinutes: 30 });
    const page = await trigger(p);
    await alice.request("POST", `/api/v1/pages/${page.id}/acknowledge`);
    const before = mailsTo(alice).length;
    await t.advanceMinutes(29);
    expect(mailsTo(alice).length).toBe(before);
    await t.advanceMinutes(2);
    const read = await alice.get(`/api/v1/pages/${page.id}`);
    expect(read.body.state).toBe("triggered");
    expect(read.body.events.map((e: { kind: string }) => e.kind)).toContain("page-reopened");
    expect(mailsTo(alice).length).toBe(before + 1);
    await resolvePage(alice, page.id);
  });

  it("escalate now notifies a chosen level at once", async () => {
    const p = await policy([{ users: [alice] }, { users: [bob] }, { users: [carol] }]);
    const page = await trigger(p);
    const carolBefore = mailsTo(carol).length;
    const r = await alice.request("POST", `/api/v1/pages/${page.id}/escalate`, { level: 2 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await t.runJobs();
    expect(mailsTo(carol).length).toBe(carolBefore + 1);
    expect((await alice.get(`/api/v1/pages/${page.id}`)).body.level).toBe(2);
    const bad = await alice.request("POST", `/api/v1/pages/${page.id}/escalate`, { level: 7 });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain("levels 0 to 2");
    await resolvePage(alice, page.id);
  });

  it("reassigning starts over at the first level of another policy", async () => {
    const first = await policy([{ users: [alice] }]);
    const other = await policy([{ users: [carol] }]);
    const page = await trigger(first);
    const before = mailsTo(carol).length;
    const r = await alice.request("POST", `/api/v1/pages/${page.id}/reassign`, { policyId: other });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ policyId: other, level: 0, state: "triggered" });
    await t.advanceMinutes(1); // carol was mailed in the last minute: the throttle holds this one back
    expect(mailsTo(carol).length).toBe(before + 1);
    const missing = await alice.request("POST", `/api/v1/pages/${page.id}/reassign`, {});
    expect(missing.status).toBe(400);
    expect(missing.body.field).toBe("policyId");
    await resolvePage(alice, page.id);
  });

  it("the throttle: several pages within a minute reach one person as one message listing them", async () => {
    await t.advanceMinutes(5); // clear the throttle window of earlier tests
    const p = await policy([{ users: [bob] }]);
    const before = mailsTo(bob).length;
    await trigger(p, "first");
    await trigger(p, "second");
    await trigger(p, "third");
    expect(mailsTo(bob).length).toBe(before + 1); // the first goes at once
    await t.advanceMinutes(1);
    expect(mailsTo(bob).length).toBe(before + 2);
    const batch = mailsTo(bob).at(-1)!;
    expect(batch.subject).toContain("2 pages");
    expect(batch.body).toContain("second");
    expect(batch.body).toContain("third");
    expect(ackLinks(batch)).toHaveLength(2);
  });
});

describe("bad input", () => {
  it("policies name the field that is wrong", async () => {
    const noTargets = await t.admin.request("POST", "/api/v1/escalation-policies", {
      name: "empty",
      levels: [{ timeoutMinutes: 15, targets: [] }],
    });
    expect(noTargets.status).toBe(400);
    expect(noTargets.body.field).toBe("levels[0].targets");
    const zero = await t.admin.request("POST", "/api/v1/escalation-policies", {
      name: "zero",
      levels: [{ timeoutMinutes: 0, targets: [{ kind: "user", id: alice.id }] }],
    });
    expect(zero.status).toBe(400);
    expect(zero.body.detail).toContain("levels[0].timeoutMinutes");
    const ghost = await t.admin.request("POST", "/api/v1/escalation-policies", {
      name: "ghost",
      levels: [{ timeoutMinutes: 5, targets: [{ kind: "user", id: 9999 }] }],
    });
    expect(ghost.status).toBe(400);
    expect(ghost.body.field).toBe("levels[0].targets[0]");
    const noLevels = await t.admin.request("POST", "/api/v1/escalation-policies", {
      name: "none",
      levels: [],
    });
    expect(noLevels.status).toBe(400);
    expect(noLevels.body.field).toBe("levels");
  });

  it("a responder cannot change escalation policies; contact methods are checked", async () => {
    const r = await alice.request("POST", "/api/v1/escalation-policies", { name: "mine", levels: [] });
    expect(r.status).toBe(403);
    const bad = await alice.request("POST", "/api/v1/me/contact-methods", {
      kind: "email",
      label: "x",
      address: "not-an-email",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe("address");
  });
});
