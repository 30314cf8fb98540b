/**
 * Incidents page people: the EOC on declaration (DEC-3), the IM for S1/S2 (PAGE-1), the three roles
 * on raising severity (SEV-3), low urgency for S3/S4 on weekends (SEV-5).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { startSmtp } from "../support/smtp.ts";

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
type Person = Awaited<ReturnType<TestApp["user"]>>;
let alice: Person;
let bob: Person;

async function declare(who: Person, body: Record<string, unknown>) {
  const r = await who.request("POST", "/api/v1/incidents", {
    type: "GitLab.com",
    status: "active",
    title: "x",
    ...body,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await t.runJobs();
  return r.body as { id: number; severity: string };
}

const pagesOf = async (incidentId: number) =>
  (await t.admin.get(`/api/v1/pages?incident=${incidentId}`)).body.pages as {
    title: string;
    policyId: number;
    urgency: string;
    assignedTo: number[];
  }[];

/** The escalation policies an incident's pages went to, by name, in the order paged. */
const pagedPolicies = async (incidentId: number) => {
  const names = new Map(
    ((await t.admin.get("/api/v1/escalation-policies")).body.policies as { id: number; name: string }[]).map(
      (p) => [p.id, p.name],
    ),
  );
  return (await pagesOf(incidentId)).reverse().map((p) => names.get(p.policyId));
};

const policyId = async (name: string) =>
  ((await t.admin.get("/api/v1/escalation-policies")).body.policies as { id: number; name: string }[]).find(
    (p) => p.name === name,
  )!.id;

beforeAll(async () => {
  smtp = await startSmtp();
  // A Wednesday, near the wall clock's year so job back-off stays in step with the test clock.
  t = await startTestApp({ clockStart: "2026-11-18T12:00:00Z", smtpUrl: smtp.url });
  alice = await t.user("alice");
  bob = await t.user("bob");
  await t.seedOnCall();
  // Bob takes the IM rotation and is reachable by email.
  const schedules = (await t.admin.get("/api/v1/schedules")).body.schedules as {
    id: number;
    name: string;
    layers: unknown[];
  }[];
  const im = schedules.find((s) => s.name === "IM")!;
  const layer = { ...(im.layers[0] as Record<string, unknown>), participants: [bob.id] };
  const put = await t.admin.request("PUT", `/api/v1/schedules/${im.id}`, {
    name: "IM",
    timeZone: "UTC",
    layers: [layer],
  });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  const cm = await bob.request("POST", "/api/v1/me/contact-methods", {
    kind: "email",
    label: "work",
    address: "bob@example.com",
  });
  await bob.request("POST", "/api/v1/me/notification-rules", {
    contactMethodId: cm.body.id,
    urgency: "high",
    delayMinutes: 0,
  });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

describe("incidents page people", () => {
  it("the shipped default escalation policy is EOC, then IM after 15 minutes, then the Infrastructure Leader", async () => {
    const p = (await t.admin.get(`/api/v1/escalation-policies/${await policyId("Engineer On Call")}`)).body;
    const schedules = (await t.admin.get("/api/v1/schedules")).body.schedules as {
      id: number;
      name: string;
    }[];
    const name = (id: number) => schedules.find((s) => s.id === id)?.name;
    expect(
      p.levels.map((l: { timeoutMinutes: number; targets: { id: number }[] }) => [
        name(l.targets[0]!.id),
        l.timeoutMinutes,
      ]),
    ).toEqual([
      ["EOC", 15],
      ["IM", 15],
      ["Infrastructure Leader", 15],
    ]);
  });

  it("PAGE-1: declaring an S1 pages the IM rotation once; the page is on the incident's timeline", async () => {
    const i = await declare(alice, { severity: "S1", title: "checkout down" });
    const pages = await pagesOf(i.id);
    const im = await policyId("Incident Manager");
    expect(pages.filter((p) => p.policyId === im)).toHaveLength(1);
    expect(pages.find((p) => p.policyId === im)).toMatchObject({
      policyId: await policyId("Incident Manager"),
      urgency: "high",
      assignedTo: [bob.id],
    });
    expect(smtp.to("bob@example.com").at(-1)?.subject).toContain("checkout down");
    const kinds = (await alice.get(`/api/v1/incidents/${i.id}/timeline`)).body.events.map(
      (e: { kind: string }) => e.kind,
    );
    expect(kinds).toEqual(
      expect.arrayContaining(["declared", "page-triggered", "page-escalated", "page-notified"]),
    );
  });

  it("PAGE-1: an S3 declaration does not page the IM by PAGE-1 (DEC-3 pages the EOC)", async () => {
    const i = await declare(alice, { severity: "S3" });
    const titles = (await pagesOf(i.id)).map((p) => p.title);
    expect(titles).toContain(`S3 incident #${i.id} (DEC-3): x`);
    // The S1 above is still open, so PAGE-4 (two S3-or-worse at once) may page the IM; PAGE-1 not.
    expect(titles.filter((x) => x.includes("(PAGE-1)"))).toEqual([]);
  });

  it("SEV-3: raising severity pages the EOC, the IM and the CMOC", async () => {
    const i = await declare(alice, { severity: "S3" });
    const r = await alice.request("POST", `/api/v1/incidents/${i.id}/severity`, {
      severity: "S1",
      reason: "all regions",
    });
    expect(r.status).toBe(200);
    // The EOC was paged on declaring and is not paged twice; an S1 also pages the Liaison (PAGE-6).
    expect(await pagedPolicies(i.id)).toEqual([
      "Engineer On Call",
      "Incident Manager",
      "Communications Manager",
      "Infrastructure Liaison",
    ]);
  });

  it("DATA-3: someone paged for a private incident becomes a participant and can see it", async () => {
    const i = await declare(alice, { severity: "S2", visibility: "private", title: "secret" });
    const seen = await bob.get(`/api/v1/incidents/${i.id}`);
    expect(seen.status).toBe(200);
  });

  it("DATA-3: the pages of a private incident are invisible to non-participants", async () => {
    const carol = await t.user("carol");
    const i = await declare(alice, { severity: "S1", visibility: "private", title: "quiet" });
    const [page] = (await t.admin.get(`/api/v1/pages?incident=${i.id}`)).body.pages as { id: number }[];
    expect(page).toBeDefined();
    const listed = (await carol.get("/api/v1/pages")).body.pages as { id: number }[];
    expect(listed.map((p) => p.id)).not.toContain(page!.id);
    expect((await carol.get(`/api/v1/pages/${page!.id}`)).status).toBe(404);
    expect((await carol.request("POST", `/api/v1/pages/${page!.id}/acknowledge`)).status).toBe(404);
    expect((await bob.get(`/api/v1/pages/${page!.id}`)).status).toBe(200); // paged, so a participant
  });

  it("SEV-5: on a Saturday, raising an S4 to S3 pages at low urgency; S1 stays high", async () => {
    t.clock.set("2026-11-21T12:00:00Z"); // Saturday
    const i = await declare(alice, { severity: "S4" });
    await alice.request("POST", `/api/v1/incidents/${i.id}/severity`, {
      severity: "S3",
      reason: "more users",
    });
    expect((await pagesOf(i.id)).map((p) => p.urgency)).toEqual(["low", "low", "low"]);
    const s1 = await declare(alice, { severity: "S1" });
    expect(new Set((await pagesOf(s1.id)).map((p) => p.urgency))).toEqual(new Set(["high"]));
  });
});

describe("without the escalation policies", () => {
  it("PAGE-1: a missing policy is said on the timeline instead of paging nobody silently", async () => {
    const bare = await startTestApp();
    try {
      const r = await bare.admin.request("POST", "/api/v1/incidents", {
        type: "GitLab.com",
        status: "active",
        title: "x",
        severity: "S2",
      });
      const events = (await bare.admin.get(`/api/v1/incidents/${r.body.id}/timeline`)).body.events;
      const notSent = events
        .filter((e: { kind: string }) => e.kind === "page-not-sent")
        .map((e: { body: string }) => e.body);
      expect(notSent).toEqual([
        expect.stringContaining("DEC-3-eoc: no escalation policy named Engineer On Call"),
        expect.stringContaining("PAGE-1: no escalation policy named Incident Manager"),
      ]);
    } finally {
      await bare.close();
    }
  });
});
