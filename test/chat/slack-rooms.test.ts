/**
 * Incident channels in Slack, against the real app and a local server speaking Slack's Web API:
 * the channel and its invitations, the pinned header kept current, announcements, Slack failing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../src/policy/load.ts";
import type { Policy } from "../../src/policy/model.ts";
import { declare, type Json, move, timeline } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { BOT_TOKEN, SIGNING_SECRET, type SlackServer, startSlackServer } from "../support/slack.ts";

let t: TestApp;
let slack: SlackServer;
let alice: Awaited<ReturnType<TestApp["user"]>>;
let aliceSlack: string;
let bob: Awaited<ReturnType<TestApp["user"]>>;
let bobSlack: string;

beforeAll(async () => {
  slack = await startSlackServer();
  for (const name of ["incidents", "incidents-dotcom", "incident-management"]) slack.addChannel(name);
  t = await startTestApp({
    slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl },
  });
  alice = await t.user("alice");
  bob = await t.user("bob");
  for (const [u, email] of [
    [alice, "alice@example.com"],
    [bob, "bob@example.com"],
  ] as const) {
    const r = await t.admin.request("PATCH", `/api/v1/users/${u.id}`, { email });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }
  aliceSlack = slack.addUser({ email: "Alice@Example.com", name: "alice", realName: "Alice Archer" });
  bobSlack = slack.addUser({ email: "bob@example.com", name: "bob", realName: "Bob Baker" });
});
afterAll(async () => {
  await t?.close();
  await slack?.close();
});

const text = (blocks: unknown) => JSON.stringify(blocks);
const postsTo = (channel: string) =>
  slack.callsTo("chat.postMessage").filter((c) => c.body.channel === channel);

describe("the incident channel (DEC-2)", () => {
  let incident: Json;
  let channelId: string;

  it("a declared incident gets its channel, its responders invited and a pinned header", async () => {
    incident = await declare(alice, { title: "Checkout errors", severity: "S2" });
    await t.runJobs();
    const channel = slack.channelNamed(`inc-${incident.id}-checkout-errors`);
    expect(channel, [...slack.channels.values()].map((c) => c.name).join(", ")).toBeDefined();
    channelId = channel!.id;
    expect(channel!.is_private).toBe(false);
    expect(channel!.members).toContain(aliceSlack);
    // The email match is kept: the next sync does not ask Slack again.
    expect(slack.callsTo("users.lookupByEmail").map((c) => c.body.email)).toContain("alice@example.com");
    const header = slack.messages.find((m) => m.channel === channelId)!;
    expect(header).toBeDefined();
    expect(channel!.pins).toEqual([header.ts]);
    const said = text(header.blocks);
    expect(said).toContain(`#${incident.id} Checkout errors`);
    expect(said).toContain("*Severity:* S2");
    expect(said).toContain(`http://firebreak.test/incidents/${incident.id}`);
    expect(said).toContain(`https://meet.jit.si/firebreak-${incident.id}-checkout-errors`);
    expect(said).toContain(`<@${aliceSlack}>`); // the owner, mentioned
  });

  it("announces the incident in the policy's and the type's channels, once (DEC-2, COMM-7)", async () => {
    for (const target of ["incidents", "incidents-dotcom"]) {
      const posts = postsTo(target);
      expect(posts, target).toHaveLength(1);
      const said = text(posts[0]!.body.blocks);
      expect(said).toContain(`#${incident.id} Checkout errors`);
      expect(said).toContain(`<#${channelId}>`);
    }
    await t.runJobs();
    expect(postsTo("incidents")).toHaveLength(1);
  });

  it("edits the header when the severity changes, and invites a new role holder", async () => {
    const before = slack.callsTo("chat.update").length;
    const r = await alice.request("POST", `/api/v1/incidents/${incident.id}/severity`, {
      severity: "S1",
      reason: "all regions",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const role = await alice.request("PUT", `/api/v1/incidents/${incident.id}/roles/CMOC`, { user: bob.id });
    expect(role.status, JSON.stringify(role.body)).toBe(200);
    await t.runJobs();
    const updates = slack.callsTo("chat.update").slice(before);
    expect(updates.length).toBeGreaterThanOrEqual(1);
    const last = updates.at(-1)!;
    const header = slack.messages.find((m) => m.channel === channelId)!;
    expect(last.body.ts).toBe(header.ts);
    expect(text(last.body.blocks)).toContain("*Severity:* S1");
    expect(text(last.body.blocks)).toContain(`*CMOC:* <@${bobSlack}>`);
    expect(slack.channels.get(channelId)!.members).toContain(bobSlack);
    expect(slack.callsTo("pins.add").filter((c) => c.body.channel === channelId)).toHaveLength(1);
    // Nothing changed since: no further edit.
    const count = slack.callsTo("chat.update").length;
    await alice.request("POST", `/api/v1/incidents/${incident.id}/notes`, {
      body: "looking",
      internal: false,
    });
    await t.runJobs();
    expect(slack.callsTo("chat.update")).toHaveLength(count);
  });

  it("a taken channel name gets a suffix", async () => {
    const next = await declare(alice, { title: "Taken name", severity: "S3" });
    // Someone made a channel with the name first.
    const made = await fetch(`${slack.apiUrl}conversations.create`, {
      method: "POST",
      headers: { authorization: `Bearer ${BOT_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: `inc-${next.id}-taken-name` }),
    });
    expect(((await made.json()) as { ok: boolean }).ok).toBe(true);
    await t.runJobs();
    expect(slack.channelNamed(`inc-${next.id}-taken-name-2`)).toBeDefined();
  });
});

describe("Slack failing", () => {
  it("429 then channel_not_found: the incident is declared, the failure is said once, and the retry succeeds later", async () => {
    slack.failNext("conversations.create", { status: 429, retryAfter: 120 });
    const incident = await declare(alice, { title: "Slack is down", severity: "S3" });
    await t.runJobs();
    const failed = () =>
      timeline(alice, incident.id).then((es) => es.filter((e: Json) => e.kind === "chat-failed"));
    expect(await failed()).toHaveLength(1);
    expect((await failed())[0].body).toContain("ratelimited");
    expect(slack.channelNamed(`inc-${incident.id}-slack-is-down`)).toBeUndefined();
    // Retry-After is honoured: a minute later nothing is tried.
    const tries = slack.callsTo("conversations.create").length;
    await t.advanceMinutes(1);
    expect(slack.callsTo("conversations.create")).toHaveLength(tries);
    // Next try: the channel is made, but the announcement's channel is gone.
    slack.failNext("chat.postMessage", { error: "channel_not_found" }, 1);
    await t.advanceMinutes(2);
    expect(slack.channelNamed(`inc-${incident.id}-slack-is-down`)).toBeDefined();
    expect(await failed()).toHaveLength(1); // said once, not per retry
    await t.advanceMinutes(5);
    const events = await timeline(alice, incident.id);
    expect(events.filter((e: Json) => e.kind === "chat-failed")).toHaveLength(1);
    expect(events.filter((e: Json) => e.kind === "chat-recovered")).toHaveLength(1);
    expect(
      postsTo("incidents").filter((p) => text(p.body.blocks).includes(`#${incident.id} Slack is down`)),
    ).toHaveLength(1);
    // One channel, one header, however many tries.
    expect([...slack.channels.values()].filter((c) => c.name.startsWith(`inc-${incident.id}-`))).toHaveLength(
      1,
    );
  });
});

describe("private incidents (DATA-3)", () => {
  it("get a private channel, and the announcement names no title, type or channel", async () => {
    const incident = await declare(alice, {
      title: "Leaked customer list",
      severity: "S2",
      visibility: "private",
    });
    await t.runJobs();
    const channel = slack.channelNamed(`inc-${incident.id}-leaked-customer-list`);
    expect(channel?.is_private).toBe(true);
    const said = postsTo("incidents").map((p) => text(p.body.blocks) + String(p.body.text));
    const mine = said.filter((s) => s.includes(`incidents/${incident.id}`));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toContain("private");
    expect(mine[0]).not.toContain("Leaked");
    expect(mine[0]).not.toContain(channel!.id);
  });
});

describe("once resolved", () => {
  it("the follow-ups still open are posted in the incident channel, with their owners", async () => {
    const incident = await declare(alice, { title: "Queue backlog", severity: "S3" });
    await t.runJobs();
    const channel = slack.channelNamed(`inc-${incident.id}-queue-backlog`)!;
    for (const body of [
      { kind: "follow-up", title: "Alert on queue age, not length", assignee: bob.id },
      { kind: "follow-up", title: "Runbook for draining the queue" },
      { kind: "action", title: "Restart the consumers" },
    ]) {
      const r = await alice.request("POST", `/api/v1/incidents/${incident.id}/tasks`, body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    await move(alice, incident.id, "resolved");
    await t.runJobs();
    const said = postsTo(channel.id).map((p) => text(p.body.blocks));
    const resolved = said.find((s) => s.includes("is resolved"));
    expect(resolved, said.join("\n")).toBeDefined();
    expect(resolved).toContain("Follow-ups still open (2)");
    expect(resolved).toContain(`Alert on queue age, not length — <@${bobSlack}>`);
    expect(resolved).toContain("Runbook for draining the queue — _no owner yet_");
    expect(resolved).not.toContain("Restart the consumers"); // an action, not a follow-up
  });
});

describe("status update reminders (COMM-1)", () => {
  it("are posted in the incident channel with the Post status update button", async () => {
    const incident = await declare(alice, { title: "Slow search", severity: "S3" });
    await t.runJobs();
    const channel = slack.channelNamed(`inc-${incident.id}-slow-search`)!;
    await t.advanceMinutes(61);
    const reminder = postsTo(channel.id).find((p) => text(p.body.blocks).includes("status update is due"));
    expect(reminder, JSON.stringify(postsTo(channel.id).map((p) => p.body.text))).toBeDefined();
    const actions = (reminder!.body.blocks as Json[]).find((b) => b.type === "actions");
    expect(actions.elements[0]).toMatchObject({
      action_id: "post_status_update",
      value: String(incident.id),
    });
  });
});

describe("another incident manager (PAGE-5)", () => {
  it("is asked for in the policy's incident manager channel; a private incident without its title", async () => {
    const policy = loadPolicy();
    const asking = {
      ...policy,
      rules: [
        ...(policy.rules ?? []),
        {
          id: "PAGE-5-chat",
          rule: "PAGE-5",
          description: "Ask for another IM on every S2 (a test rule).",
          when: ["declared"],
          if: { severity: ["S2"] },
          do: [{ ask: "IM", message: "Can you take it?" }],
        },
      ],
    } as Policy;
    const server = await startSlackServer();
    const imChannel = server.addChannel("incident-management");
    for (const name of ["incidents", "incidents-dotcom"]) server.addChannel(name);
    const app = await startTestApp({
      policy: asking,
      slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: server.apiUrl },
    });
    try {
      const ann = await app.user("ann");
      const open = await declare(ann, { title: "Payments down", severity: "S2" });
      const hidden = await declare(ann, { title: "Stolen laptop", severity: "S2", visibility: "private" });
      await app.runJobs();
      const asks = server.callsTo("chat.postMessage").filter((c) => c.body.channel === "incident-management");
      const about = (id: number) =>
        asks.map((c) => text(c.body.blocks)).filter((s) => s.includes(`incidents/${id}|`));
      expect(about(open.id)).toHaveLength(1);
      expect(about(open.id)[0]).toContain("Another IM is needed");
      expect(about(open.id)[0]).toContain("Payments down");
      expect(about(hidden.id)).toHaveLength(1);
      expect(about(hidden.id)[0]).not.toContain("Stolen");
      expect(server.messages.filter((m) => m.channel === imChannel)).toHaveLength(2);
    } finally {
      await app.close();
      await server.close();
    }
  });
});

describe("incidents declared by any path", () => {
  it("a triage incident opened by alerts gets its channel too", async () => {
    await t.seedOnCall();
    const s = await t.admin.request("POST", "/api/v1/services", { name: "checkout-api" });
    expect(s.status, JSON.stringify(s.body)).toBe(201);
    const sent = await fetch(`${t.base}/v2/enqueue`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        routing_key: s.body.integrationKey,
        event_action: "trigger",
        dedup_key: "checkout-5xx",
        payload: { summary: "checkout 5xx above 5%", source: "checkout-api", severity: "critical" },
      }),
    });
    expect(sent.status).toBe(202);
    // Intake commits in small batches: wait for the alert's incident.
    const deadline = Date.now() + 10_000;
    let incidentId: number | null = null;
    while (incidentId === null && Date.now() < deadline) {
      const alerts: Json[] = (await t.admin.get(`/api/v1/alerts?service=${s.body.id}`)).body.alerts ?? [];
      incidentId = alerts.find((a) => a.incidentId !== null)?.incidentId ?? null;
      if (incidentId === null) await new Promise((r) => setTimeout(r, 50));
    }
    expect(incidentId, "the alert opened a triage incident").not.toBeNull();
    await t.runJobs();
    const channel = [...slack.channels.values()].find((c) => c.name.startsWith(`inc-${incidentId}-`));
    expect(channel, [...slack.channels.values()].map((c) => c.name).join(", ")).toBeDefined();
    const header = slack.messages.find((m) => m.channel === channel!.id)!;
    expect(text(header.blocks)).toContain("*State:* triage");
  });
});
