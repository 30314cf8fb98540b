/**
 * The systems catalogue, an incident's systems and the support settings through the API of the
 * real app: who may change what, the refusals' words, a re-rated system re-rating its open
 * incidents, and level 1 posting in the team's Slack channel (a local server speaking Slack's Web
 * API) when Slack is set up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { BOT_TOKEN, SIGNING_SECRET, type SlackServer, startSlackServer } from "../support/slack.ts";

let t: TestApp;
let slack: SlackServer;
let responder: Awaited<ReturnType<TestApp["user"]>>;
let viewer: Awaited<ReturnType<TestApp["user"]>>;

beforeAll(async () => {
  slack = await startSlackServer();
  slack.addChannel("support-operations");
  slack.addChannel("support-ops-2");
  t = await startTestApp({
    clockStart: "2026-11-18T12:00:00Z",
    slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl },
  });
  await t.seedOnCall();
  responder = await t.user("rhea");
  viewer = await t.user("vic", "viewer");
});
afterAll(async () => {
  await t?.close();
  await slack?.close();
});

async function declare() {
  const r = await responder.request("POST", "/api/v1/incidents", {
    type: "Gameday",
    status: "active",
    title: "support case",
    severity: "S3",
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await t.runJobs();
  return r.body as { id: number };
}

describe("the systems catalogue", () => {
  it("admins add systems by level name, id or rank; everyone signed in reads them with their level", async () => {
    const a = await t.admin.request("POST", "/api/v1/systems", {
      name: "Zendesk Global",
      criticality: "Mission Critical",
    });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    expect(a.body).toMatchObject({
      name: "Zendesk Global",
      criticality: "mission-critical",
      criticalityName: "Mission Critical",
      criticalityRank: 1,
    });
    expect(
      (await t.admin.request("POST", "/api/v1/systems", { name: "Calendly", criticality: "administrative" }))
        .body.criticality,
    ).toBe("administrative");
    expect(
      (await t.admin.request("POST", "/api/v1/systems", { name: "Slack", criticality: 3 })).body
        .criticalityName,
    ).toBe("Business Operational");
    const list = await viewer.get("/api/v1/systems");
    expect(list.status).toBe(200);
    expect(list.body.systems.map((s: { name: string }) => s.name)).toEqual([
      "Calendly",
      "Slack",
      "Zendesk Global",
    ]);
    expect(list.body.criticalities.map((c: { name: string }) => c.name)).toEqual([
      "Mission Critical",
      "Business Critical",
      "Business Operational",
      "Administrative",
    ]);
  });

  it("refuses an unknown level naming the four, a name taken in another case, and non-admins", async () => {
    const bad = expectProblem(
      await t.admin.request("POST", "/api/v1/systems", { name: "X", criticality: "Critical" }),
      400,
    );
    expect(bad.detail).toContain('"Mission Critical"');
    expect(bad.detail).toContain('"Administrative"');
    const taken = expectProblem(
      await t.admin.request("POST", "/api/v1/systems", { name: "zendesk global", criticality: 2 }),
      409,
    );
    expect(taken.detail).toContain("Zendesk Global");
    expectProblem(await responder.request("POST", "/api/v1/systems", { name: "Y", criticality: 1 }), 403);
    expect(
      (await viewer.get("/api/v1/systems")).body.systems.some((s: { name: string }) => s.name === "Y"),
    ).toBe(false);
  });

  it("PAGE-8: re-rating a system re-rates the open incidents touching it, and REV-2 follows", async () => {
    const i = await declare();
    const linked = await responder.request("PUT", `/api/v1/incidents/${i.id}/systems`, {
      systems: ["Calendly"],
    });
    expect(linked.body.criticality.id).toBe("administrative");
    expect(linked.body.escalation.reviewRequired).toBe(false);
    const calendly = linked.body.systems[0].id;
    expectProblem(await responder.request("PATCH", `/api/v1/systems/${calendly}`, { criticality: 1 }), 403);
    const r = await t.admin.request("PATCH", `/api/v1/systems/${calendly}`, {
      criticality: "Business Critical",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const v = (await viewer.get(`/api/v1/incidents/${i.id}/systems`)).body;
    expect(v.criticality.id).toBe("business-critical");
    expect(v.escalation).toMatchObject({ reviewRequired: true, resolveBy: "2026-11-18T16:00:00.000Z" });
    expect((await t.admin.get(`/api/v1/incidents/${i.id}/review`)).body.reason).toBe("support-criticality");
    // Put back for the tests below.
    await t.admin.request("PATCH", `/api/v1/systems/${calendly}`, { criticality: "Administrative" });
    await responder.request("POST", `/api/v1/incidents/${i.id}/status`, { status: "resolved" });
  });

  it("a viewer reads an incident's systems but cannot change them", async () => {
    const i = await declare();
    expectProblem(
      await viewer.request("PUT", `/api/v1/incidents/${i.id}/systems`, { systems: ["Slack"] }),
      403,
    );
    expect((await viewer.get(`/api/v1/incidents/${i.id}/systems`)).body).toMatchObject({
      systems: [],
      criticality: null,
      escalation: null,
    });
    await responder.request("POST", `/api/v1/incidents/${i.id}/status`, { status: "resolved" });
  });
});

describe("support settings and level 1 in Slack", () => {
  it("admins pick the team channel and the roles of levels 2 and 3; roles must be the policy's", async () => {
    expect((await viewer.get("/api/v1/support/settings")).body).toEqual({
      teamChannel: "support-operations",
      specialistRole: "Support Operations Specialist",
      engineerRole: "Support Fullstack Engineer",
    });
    expectProblem(await responder.request("PUT", "/api/v1/support/settings", { teamChannel: "x" }), 403);
    const bad = expectProblem(
      await t.admin.request("PUT", "/api/v1/support/settings", { engineerRole: "Wizard" }),
      400,
    );
    expect(bad.detail).toContain("Support Fullstack Engineer");
    expect((await t.admin.get("/api/v1/support/settings")).body.engineerRole).toBe(
      "Support Fullstack Engineer",
    );
    const ok = await t.admin.request("PUT", "/api/v1/support/settings", { teamChannel: "#support-ops-2" });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.teamChannel).toBe("support-ops-2");
  });

  it("PAGE-8: level 1 posts in the team's Slack channel asking for assistance", async () => {
    const i = await declare();
    await responder.request("PUT", `/api/v1/incidents/${i.id}/systems`, { systems: ["Slack"] });
    t.clock.advanceMinutes(8 * 60 - 1);
    await t.runJobs();
    const channel = slack.channelNamed("support-ops-2")?.id;
    const inChannel = () => slack.messages.filter((m) => m.channel === channel);
    expect(inChannel()).toHaveLength(0);
    await t.advanceMinutes(1);
    expect(inChannel()).toHaveLength(1);
    expect(inChannel()[0]?.text).toContain(`Business Operational incident #${i.id} support case`);
    expect(inChannel()[0]?.text).toContain("Can you help?");
    const v = (await t.admin.get(`/api/v1/incidents/${i.id}/systems`)).body;
    expect(v.escalation.history).toMatchObject([{ level: 1, target: "#support-ops-2" }]);
  });
});
