/**
 * `/inc` from Slack: signed form posts to /integrations/slack/commands as Slack sends them (fields
 * from Slack's documentation), people mapped by email through the local Slack server's users.info,
 * every outcome read back through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  BOT_TOKEN,
  SIGNING_SECRET,
  type SlackServer,
  slackPost,
  startSlackServer,
  TEAM_ID,
} from "../support/slack.ts";

let t: TestApp;
let slack: SlackServer;
const ids: Record<string, string> = {};
const clients: Record<string, Awaited<ReturnType<TestApp["user"]>>> = {};

beforeAll(async () => {
  slack = await startSlackServer();
  t = await startTestApp({
    clockStart: new Date(),
    slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl },
  });
  await t.seedOnCall();
  for (const name of ["alice", "bob", "carol"]) {
    clients[name] = await t.user(name);
    // alice and bob have the same email in Slack and Firebreak; carol's Slack email is another.
    if (name !== "carol")
      await t.admin.request("PATCH", `/api/v1/users/${clients[name].id}`, { email: `${name}@example.com` });
    ids[name] = slack.addUser({
      email: name === "carol" ? "carol@elsewhere.test" : `${name}@example.com`,
      name,
    });
  }
});
afterAll(async () => {
  await t?.close();
  await slack?.close();
});

let seq = 0;
/** A slash command as Slack posts it (https://api.slack.com/interactivity/slash-commands). */
function commandForm(user: string, text: string, channel = "C0GENERAL1") {
  seq++;
  return new URLSearchParams({
    token: "gIkuvaNzQIHg97ATvDxqgjtO",
    team_id: TEAM_ID,
    team_domain: "firebreak-test",
    channel_id: channel,
    channel_name: "general",
    user_id: ids[user] ?? user,
    user_name: user,
    command: "/inc",
    text,
    api_app_id: "A0FIREBRK",
    is_enterprise_install: "false",
    response_url: slack.responseUrl(`cmd-${seq}`),
    trigger_id: `13345224609.738474920.8088930838d88f008e0${seq}`,
  }).toString();
}

async function command(user: string, text: string, o: Parameters<typeof slackPost>[2] = {}) {
  const body = commandForm(user, text);
  const r = await slackPost(`${t.base}/integrations/slack/commands`, body, {
    contentType: "application/x-www-form-urlencoded",
    ...o,
  });
  return { ...r, json: r.body ? JSON.parse(r.body) : null, responseName: `cmd-${seq}` };
}
const incident = async (id: number) => (await t.admin.get(`/api/v1/incidents/${id}`)).body;
const idIn = (text: string) => Number(/#(\d+)/.exec(text)?.[1]);

describe("Slack slash commands", () => {
  it("declares as the person with the same email, and keeps the match", async () => {
    const r = await command("alice", "declare S3 Dedicated Checkout <errors> & timeouts");
    expect(r.status).toBe(200);
    expect(r.json.response_type).toBe("in_channel");
    expect(r.json.text).toContain("Checkout &lt;errors&gt; &amp; timeouts");
    const i = await incident(idIn(r.json.text));
    expect(i).toMatchObject({ severity: "S3", type: "Dedicated", declaredBy: { username: "alice" } });
    const linked = await clients.alice!.get("/api/v1/me/chat-identities");
    expect(linked.body.identities).toEqual([
      expect.objectContaining({
        provider: "slack",
        externalId: ids.alice,
        teamId: TEAM_ID,
        linkedBy: "email",
      }),
    ]);
  });

  it("changes severity, assigns a mentioned person and acknowledges pages", async () => {
    const id = idIn((await command("alice", "declare S4 Disk full")).json.text);
    expect((await command("alice", `#${id} severity S2 customers affected`)).json.text).toContain(
      "is now S2",
    );
    expect(await incident(id)).toMatchObject({ severity: "S2" });
    const assigned = await command("alice", `#${id} assign EOC <@${ids.bob}|bob>`);
    expect(assigned.json.text).toContain("bob is now EOC");
    expect((await incident(id)).roles.EOC.username).toBe("bob");
    // S2 paged the IM (PAGE-1); alice acknowledges the incident's pages.
    const pages = (await t.admin.get(`/api/v1/pages?incident=${id}`)).body.pages as {
      id: number;
      state: string;
    }[];
    expect(pages.some((p) => p.state === "triggered")).toBe(true);
    expect((await command("alice", `#${id} ack`)).json.text).toMatch(/alice acknowledged pages? /);
    const after = (await t.admin.get(`/api/v1/pages?incident=${id}`)).body.pages as { state: string }[];
    expect(after.some((p) => p.state === "triggered")).toBe(false);
  });

  it("acts on the incident whose channel the command is typed in", async () => {
    const id = idIn((await command("alice", "declare S4 GitLab.com Queue stuck")).json.text);
    // The incident's channel is made by a job (src/chat/slack-rooms.ts).
    const deadline = Date.now() + 10_000;
    while (!slack.channelNamed(`inc-${id}-queue-stuck`) && Date.now() < deadline) {
      await t.runJobs();
      await new Promise((r) => setTimeout(r, 20));
    }
    const channel = slack.channelNamed(`inc-${id}-queue-stuck`)!.id;
    const body = commandForm("alice", "severity S3 two queues now", channel);
    const r = await slackPost(`${t.base}/integrations/slack/commands`, body, {
      contentType: "application/x-www-form-urlencoded",
    });
    expect(JSON.parse(r.body)).toMatchObject({ response_type: "in_channel" });
    expect(await incident(id)).toMatchObject({ severity: "S3" });
  });

  it("answers an unknown command with the help text, privately", async () => {
    const r = await command("alice", "frobnicate");
    expect(r.json).toMatchObject({ response_type: "ephemeral" });
    expect(r.json.text).toContain('Unknown command "frobnicate"');
    expect(r.json.text).toContain("/inc declare");
  });

  it("tells an unmapped person privately how to link, and does nothing", async () => {
    const before = (await t.admin.get("/api/v1/incidents")).body.incidents.length;
    const r = await command("carol", "declare S1 Should not exist");
    expect(r.json.response_type).toBe("ephemeral");
    expect(r.json.text).toContain(
      "not linked to a Firebreak person (no Firebreak person has the email carol@elsewhere.test)",
    );
    expect(r.json.text).toContain("/inc link CODE");
    expect((await t.admin.get("/api/v1/incidents")).body.incidents.length).toBe(before);
  });

  it("links by a one-time code from the profile, used once", async () => {
    const code = await clients.carol!.request("POST", "/api/v1/me/chat-identities/link-code");
    expect(code.status).toBe(201);
    expect(code.body.command).toBe(`/inc link ${code.body.code}`);
    expect((await command("carol", `link ${code.body.code.toLowerCase()}`)).json.text).toContain(
      "now linked to carol",
    );
    expect((await command("carol", `link ${code.body.code}`)).json.text).toContain(
      "unknown, used or expired",
    );
    const r = await command("carol", "declare S4 Carol's incident");
    expect((await incident(idIn(r.json.text))).declaredBy.username).toBe("carol");
    const listed = (await clients.carol!.get("/api/v1/me/chat-identities")).body.identities;
    expect(listed).toEqual([
      expect.objectContaining({ provider: "slack", externalId: ids.carol, linkedBy: "manual" }),
    ]);
    const del = await clients.carol!.request("DELETE", `/api/v1/me/chat-identities/slack/${ids.carol}`);
    expect(del.status).toBe(204);
    expect((await command("carol", "roles")).json.text).toContain("not linked");
  });

  it("refuses unsigned, forged and stale requests with 401 and does nothing", async () => {
    const before = (await t.admin.get("/api/v1/incidents")).body.incidents.length;
    const form = { contentType: "application/x-www-form-urlencoded" };
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    for (const o of [
      { ...form, signature: null },
      { ...form, signature: "v0=0000000000000000000000000000000000000000000000000000000000000000" },
      { ...form, secret: "not-the-signing-secret" },
      { ...form, timestamp: stale },
    ]) {
      const r = await command("alice", "declare S1 Forged", o);
      expect(r.status).toBe(401);
      expect(r.type).toContain("application/problem+json");
      expect(r.json.detail).toMatch(/X-Slack-(Signature|Request-Timestamp)/);
    }
    expect((await t.admin.get("/api/v1/incidents")).body.incidents.length).toBe(before);
  });

  it("answers long work at once and posts the outcome to response_url", async () => {
    const id = idIn((await command("alice", "declare S4 Slow database")).json.text);
    // Another transaction holds the incident: the note waits for it, past the acknowledgement.
    const blocker = await t.database.pool.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("SELECT id FROM incidents WHERE id = $1 FOR UPDATE", [id]);
      const r = await command("alice", `#${id} note checked replication lag`);
      expect(r.json).toMatchObject({ response_type: "ephemeral" });
      expect(r.json.text).toContain("Working on it");
      await blocker.query("COMMIT");
      const deadline = Date.now() + 10_000;
      while (slack.responses(r.responseName).length === 0 && Date.now() < deadline) {
        await t.runJobs();
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(slack.responses(r.responseName)).toEqual([
        expect.objectContaining({
          response_type: "in_channel",
          replace_original: false,
          text: expect.stringContaining("Note added to #"),
        }),
      ]);
    } finally {
      blocker.release();
    }
    const tl = (await t.admin.get(`/api/v1/incidents/${id}/timeline`)).body.events as {
      kind: string;
      body: string;
    }[];
    expect(tl.some((e) => e.kind === "note" && e.body === "checked replication lag")).toBe(true);
  });

  it("DATA-3: a private incident's command by a non-participant is refused without its title", async () => {
    const r = await command("alice", "declare S2 SIRT private Stolen laptop");
    expect(r.json.response_type).toBe("ephemeral");
    const id = idIn(r.json.text);
    for (const text of [`#${id} roles`, `#${id} severity S1`, `#${id} note hello`]) {
      const refused = await command("bob", text);
      expect(refused.json.response_type).toBe("ephemeral");
      expect(refused.json.text).toContain(`incident ${id} does not exist or is not visible to you`);
      expect(refused.json.text).not.toContain("laptop");
    }
    expect(await incident(id)).toMatchObject({ severity: "S2" });
  });

  it("opens the declare form with the policy's types and severities for a bare declare", async () => {
    const r = await command("alice", "declare");
    expect(r.status).toBe(200);
    expect(r.body).toBe("");
    const open = slack.callsTo("views.open").at(-1)!;
    expect(open.body.trigger_id).toMatch(/^13345224609\./);
    const view = open.body.view as {
      callback_id: string;
      blocks: { block_id: string; element: Record<string, unknown> }[];
    };
    expect(view.callback_id).toBe("declare_incident");
    const options = (block: string) =>
      ((view.blocks.find((b) => b.block_id === block)?.element.options ?? []) as { value: string }[]).map(
        (o) => o.value,
      );
    expect(options("type")).toEqual(["GitLab.com", "Dedicated", "SIRT", "Gameday", "Self-managed customer"]);
    expect(options("severity")).toEqual(["Sev0", "Sev1", "S1", "S2", "S3", "S4"]);
    expect(view.blocks.find((b) => b.block_id === "severity")?.element.initial_option).toMatchObject({
      value: "S2",
    });
  });
});
