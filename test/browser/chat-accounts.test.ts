/**
 * Profile → "Link a chat account" in a real browser: the code shown is typed in Slack (a signed
 * slash command as Slack sends it), the account then shows as linked by code, and Unlink removes it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserApp, browserTest, type Person, startBrowserApp, visible } from "../support/browser.ts";
import {
  BOT_TOKEN,
  SIGNING_SECRET,
  type SlackServer,
  slackPost,
  startSlackServer,
  TEAM_ID,
} from "../support/slack.ts";

let b: BrowserApp;
let slack: SlackServer;
let kim: Person;

beforeAll(async () => {
  slack = await startSlackServer();
  b = await startBrowserApp({
    slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl },
  });
  kim = await b.person("kim", "responder", "Kim Chat");
}, 120_000);
afterAll(async () => {
  await b?.close();
  await slack?.close();
});

describe("profile: chat accounts", browserTest, () => {
  it("links a Slack account with the code shown, lists it, and unlinks it", async () => {
    const slackId = slack.addUser({ email: "kim@elsewhere.test", name: "kim" });
    const page = await b.signedIn(kim);
    await page.goto("/profile");
    const section = page.getByRole("region", { name: "Chat accounts" });
    await visible(section.getByText("No chat account is linked to you yet."));
    await section.getByRole("button", { name: "Link a chat account" }).click();
    const shown = section.locator("output code");
    await visible(shown);
    const command = (await shown.textContent()) ?? "";
    expect(command).toMatch(/^\/inc link [A-Z0-9]{4}-[A-Z0-9]{4}$/);

    const form = new URLSearchParams({
      team_id: TEAM_ID,
      channel_id: "C0GENERAL1",
      user_id: slackId,
      user_name: "kim",
      command: "/inc",
      text: command.replace(/^\/inc /, ""),
      response_url: slack.responseUrl("link"),
      trigger_id: "1.2.3",
    }).toString();
    const r = await slackPost(`${b.t.base}/integrations/slack/commands`, form, {
      contentType: "application/x-www-form-urlencoded",
    });
    expect(JSON.parse(r.body).text).toContain("now linked to kim");

    await page.reload();
    const list = section.getByRole("list", { name: "Your chat accounts" });
    await visible(list.getByText(`Slack ${slackId}`));
    await visible(list.getByText("(linked by code)"));
    await list.getByRole("button", { name: `Unlink Slack ${slackId}` }).click();
    await visible(section.getByText("No chat account is linked to you yet."));
  });
});
