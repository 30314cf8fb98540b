import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSlackApi, SlackCallError } from "../../src/chat/slack-api.ts";
import { createLogger } from "../../src/platform/logger.ts";
import { createOutbound } from "../../src/platform/outbound.ts";
import { BOT_TOKEN, type SlackServer, startSlackServer } from "../support/slack.ts";

let slack: SlackServer;
const log = createLogger("silent");
const allowed = createOutbound({ allowedHosts: ["127.0.0.1"] });

beforeAll(async () => {
  slack = await startSlackServer();
});
afterAll(() => slack.close());

const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a SlackCallError"),
    (e: unknown) => e,
  );

describe("the Slack Web API client", () => {
  it("calls a method with the bot token and returns Slack's answer", async () => {
    const api = createSlackApi({ botToken: BOT_TOKEN, apiUrl: slack.apiUrl }, allowed, log);
    const created = await api.call("conversations.create", { name: "inc-1-api", is_private: false });
    expect(created.channel).toMatchObject({ name: "inc-1-api" });
    const call = slack.callsTo("conversations.create").at(-1);
    expect(call?.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`);
    const posted = await api.call("chat.postMessage", {
      channel: (created.channel as { id: string }).id,
      text: "hello",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "hello" } }],
    });
    expect(posted.ts).toMatch(/^\d+\.\d+$/);
    expect(slack.callsTo("chat.postMessage").at(-1)?.body.blocks).toEqual([
      { type: "section", text: { type: "mrkdwn", text: "hello" } },
    ]);
  });

  it("turns Slack's errors into SlackCallError: retryable or not, and a 429's Retry-After", async () => {
    const api = createSlackApi({ botToken: BOT_TOKEN, apiUrl: slack.apiUrl }, allowed, log);
    slack.failNext("chat.postMessage", { status: 429, retryAfter: 7 });
    const limited = await failure(api.call("chat.postMessage", { channel: "C1", text: "x" }));
    expect(limited).toBeInstanceOf(SlackCallError);
    expect(limited).toMatchObject({ error: "ratelimited", retryable: true, retryAfterSeconds: 7 });
    // Exactly one request: the client's own retries are off.
    expect(slack.callsTo("chat.postMessage").filter((c) => c.body.channel === "C1")).toHaveLength(1);
    const missing = await failure(api.call("chat.postMessage", { channel: "C404", text: "x" }));
    expect(missing).toMatchObject({ error: "channel_not_found", retryable: true });
    const bad = createSlackApi({ botToken: "xoxb-wrong", apiUrl: slack.apiUrl }, allowed, log);
    expect(await failure(bad.call("auth.test"))).toMatchObject({ error: "invalid_auth", retryable: false });
  });

  it("refuses an internal Slack API address unless OUTBOUND_ALLOWED_HOSTS names it", async () => {
    const before = slack.calls.length;
    const api = createSlackApi({ botToken: BOT_TOKEN, apiUrl: slack.apiUrl }, createOutbound(), log);
    const refused = await failure(api.call("auth.test"));
    expect(refused).toMatchObject({ retryable: true });
    expect(String((refused as Error).message)).toContain("not on the public internet");
    expect(slack.calls.length).toBe(before);
  });
});
