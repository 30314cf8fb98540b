/**
 * Slack's Events API into Firebreak, against the real app: signed deliveries as Slack makes them
 * (payloads in the shapes of Slack's event reference), messages onto the timeline, 📌 into the
 * highlights, RED data refused privately, retries taken once, unsigned or stale requests refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declare, expectProblem, type Json, timeline } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  BOT_ID,
  BOT_TOKEN,
  eventCallback,
  SIGNING_SECRET,
  type SlackServer,
  slackPost,
  startSlackServer,
} from "../support/slack.ts";

let t: TestApp;
let slack: SlackServer;
let alice: Awaited<ReturnType<TestApp["user"]>>;
let aliceSlack: string;
let carolSlack: string;
let incident: Json;
let channel: string;
let seq = 0;

const url = () => `${t.base}/integrations/slack/events`;
const now = () => Math.floor(t.clock.now().getTime() / 1000);
const ts = () => `${now()}.${String(++seq).padStart(6, "0")}`;
/** Delivers an event as Slack does: signed with the app clock's time. */
const deliver = (
  event: Record<string, unknown>,
  eventId = `Ev0${++seq}`,
  headers: Record<string, string> = {},
) => slackPost(url(), JSON.stringify(eventCallback(event, eventId)), { timestamp: now(), headers });
const said = (text: string, user = aliceSlack, extra: Record<string, unknown> = {}) => ({
  type: "message",
  channel,
  user,
  text,
  ts: ts(),
  event_ts: ts(),
  channel_type: "channel",
  ...extra,
});
const chatEvents = async () =>
  (await timeline(alice, incident.id)).filter((e: Json) => e.kind === "chat-message");

beforeAll(async () => {
  slack = await startSlackServer();
  for (const name of ["incidents", "incidents-dotcom"]) slack.addChannel(name);
  t = await startTestApp({
    slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl },
  });
  alice = await t.user("alice");
  await t.admin.request("PATCH", `/api/v1/users/${alice.id}`, { email: "alice@example.com" });
  aliceSlack = slack.addUser({ email: "alice@example.com", name: "alice" });
  carolSlack = slack.addUser({
    email: "carol@elsewhere.example",
    name: "carol",
    realName: "Carol Contractor",
  });
  incident = await declare(alice, { title: "Checkout errors", severity: "S2" });
  await t.runJobs();
  channel = slack.channelNamed(`inc-${incident.id}-checkout-errors`)!.id;
  slack.channels.get(channel)!.members.push(carolSlack);
});
afterAll(async () => {
  await t?.close();
  await slack?.close();
});

describe("Slack's Events API", () => {
  it("answers the url_verification challenge", async () => {
    const body = JSON.stringify({
      token: "Jhj5dZrVaK7ZwHHjRyZWjbDl",
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
      type: "url_verification",
    });
    const r = await slackPost(url(), body, { timestamp: now() });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
  });

  it("refuses unsigned, wrongly signed and stale deliveries with 401, storing nothing", async () => {
    const body = JSON.stringify(eventCallback(said("forged message"), "EvForged1"));
    const unsigned = await slackPost(url(), body, { timestamp: now(), signature: null });
    const wrong = await slackPost(url(), body, { timestamp: now(), secret: "not-the-signing-secret" });
    const stale = await slackPost(url(), body, { timestamp: now() - 6 * 60 });
    for (const r of [unsigned, wrong, stale]) {
      expectProblem(
        {
          status: r.status,
          body: JSON.parse(r.body),
          headers: new Headers({ "content-type": r.type ?? "" }),
        },
        401,
        "unauthenticated",
      );
    }
    expect(JSON.parse(stale.body).detail).toContain("5 minutes");
    await t.runJobs();
    expect((await chatEvents()).filter((e: Json) => e.body === "forged message")).toHaveLength(0);
    // Not even taken as seen: the genuine delivery of the same event is kept.
    expect((await slackPost(url(), body, { timestamp: now() })).status).toBe(200);
    expect((await chatEvents()).filter((e: Json) => e.body === "forged message")).toHaveLength(1);
  });

  it("a message in the incident channel is a chat event by the linked person", async () => {
    const r = await deliver(said("rolling back the deploy"));
    expect(r.status).toBe(200);
    const [e] = (await chatEvents()).filter((x: Json) => x.body === "rolling back the deploy");
    expect(e).toMatchObject({
      actor: { id: alice.id },
      data: { provider: "slack", channel, slackUser: aliceSlack },
    });
  });

  it("a message by someone without a linked account is kept, by their Slack name", async () => {
    expect((await deliver(said("seeing 502s from eu-west", carolSlack))).status).toBe(200);
    await t.runJobs();
    const [e] = (await chatEvents()).filter((x: Json) => x.body === "seeing 502s from eu-west");
    expect(e).toMatchObject({ actor: null, data: { author: "carol", slackUser: carolSlack } });
  });

  it("a sender Slack cannot name is kept under their Slack id", async () => {
    expect((await deliver(said("who am I", "U0GHOST01"))).status).toBe(200);
    await t.runJobs();
    const [e] = (await chatEvents()).filter((x: Json) => x.body === "who am I");
    expect(e).toMatchObject({ actor: null, data: { author: "U0GHOST01" } });
  });

  it("bots' messages and channel notices are not kept; an edit is kept as an edit", async () => {
    const before = (await chatEvents()).length;
    await deliver({ ...said("header text"), bot_id: BOT_ID, subtype: "bot_message" });
    await deliver({ ...said("<@U1> has joined the channel"), subtype: "channel_join" });
    await t.runJobs();
    expect(await chatEvents()).toHaveLength(before);
    const original = said("rollback done");
    await deliver(original);
    await deliver({
      type: "message",
      subtype: "message_changed",
      hidden: true,
      channel,
      ts: ts(),
      message: {
        type: "message",
        user: aliceSlack,
        text: "rollback done in eu-west",
        ts: original.ts,
        edited: { user: aliceSlack, ts: ts() },
      },
      previous_message: { type: "message", user: aliceSlack, text: "rollback done", ts: original.ts },
    });
    const edits = (await chatEvents()).filter((x: Json) => x.data.ts === original.ts);
    expect(edits.map((x: Json) => [x.body, x.data.edited ?? false])).toEqual([
      ["rollback done", false],
      ["rollback done in eu-west", true],
    ]);
  });

  it("a delivery Slack retries (same event_id) is kept once", async () => {
    const event = said("retried once");
    expect((await deliver(event, "EvRetry1")).status).toBe(200);
    expect(
      (await deliver(event, "EvRetry1", { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" }))
        .status,
    ).toBe(200);
    expect(
      (await deliver(event, "EvRetry1", { "x-slack-retry-num": "2", "x-slack-retry-reason": "http_timeout" }))
        .status,
    ).toBe(200);
    await t.runJobs();
    expect((await chatEvents()).filter((x: Json) => x.body === "retried once")).toHaveLength(1);
  });

  it("RED data in a message is not stored, and the sender is told privately why (DATA-1)", async () => {
    const secret = "AKIAIOSFODNN7EXAMPLE";
    const before = slack.callsTo("chat.postEphemeral").length;
    expect((await deliver(said(`try the key ${secret} from the vault`))).status).toBe(200);
    await t.runJobs();
    const all = JSON.stringify(await timeline(alice, incident.id));
    expect(all).not.toContain(secret);
    const told = slack.callsTo("chat.postEphemeral").slice(before);
    expect(told).toHaveLength(1);
    expect(told[0]!.body).toMatchObject({ channel, user: aliceSlack });
    expect(String(told[0]!.body.text)).toContain("AWS access key");
    expect(String(told[0]!.body.text)).not.toContain(secret);
  });

  it("📌 on a kept message pins it into the highlights (TL-2); once, and only for a linked person", async () => {
    const message = said("root cause: expired certificate");
    await deliver(message);
    const [kept] = (await chatEvents()).filter((x: Json) => x.data.ts === message.ts);
    const pin = {
      type: "reaction_added",
      user: aliceSlack,
      reaction: "pushpin",
      item_user: aliceSlack,
      item: { type: "message", channel, ts: message.ts },
      event_ts: ts(),
    };
    expect((await deliver(pin)).status).toBe(200);
    await deliver({ ...pin, event_ts: ts() }); // a second 📌 by someone else changes nothing
    const events = await timeline(alice, incident.id);
    const pins = events.filter((e: Json) => e.kind === "pinned" && e.data.eventId === kept.id);
    expect(pins).toHaveLength(1);
    expect(pins[0].actor.id).toBe(alice.id);
    expect(events.find((e: Json) => e.id === kept.id).pinned).toBe(true);
    // Someone without a linked account is told how to link, and nothing is pinned.
    const other = said("another clue");
    await deliver(other);
    const before = slack.callsTo("chat.postEphemeral").length;
    await deliver({ ...pin, user: carolSlack, item: { type: "message", channel, ts: other.ts } });
    await t.runJobs();
    expect(slack.callsTo("chat.postEphemeral").slice(before)[0]?.body.text).toContain("not linked");
    expect((await timeline(alice, incident.id)).filter((e: Json) => e.kind === "pinned")).toHaveLength(1);
  });

  it("messages in channels that are no incident's are ignored", async () => {
    const before = (await chatEvents()).length;
    const elsewhere = slack.addChannel("random");
    expect((await deliver({ ...said("lunch?"), channel: elsewhere })).status).toBe(200);
    await t.runJobs();
    expect(await chatEvents()).toHaveLength(before);
  });
});
