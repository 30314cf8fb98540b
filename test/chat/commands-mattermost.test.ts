/**
 * `/inc` from Mattermost's custom slash command: form posts as its developer documentation shows
 * (token, team_id, team_domain, channel_id, channel_name, user_id, user_name, command, text,
 * response_url, trigger_id; `Authorization: Token …`), people matched by email through a local
 * server speaking Mattermost's API (GET /api/v4/users/{id}).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  COMMAND_TOKEN,
  MATTERMOST_TOKEN,
  type MattermostServer,
  startMattermostServer,
} from "../support/mattermost.ts";

let t: TestApp;
let mm: MattermostServer;
const ids: Record<string, string> = {};
const clients: Record<string, Awaited<ReturnType<TestApp["user"]>>> = {};

beforeAll(async () => {
  mm = await startMattermostServer();
  t = await startTestApp({
    clockStart: new Date(),
    mattermost: { commandToken: COMMAND_TOKEN, url: mm.url, token: MATTERMOST_TOKEN },
  });
  await t.seedOnCall();
  for (const name of ["alice", "bob", "dave"]) {
    clients[name] = await t.user(name);
    if (name !== "dave")
      await t.admin.request("PATCH", `/api/v1/users/${clients[name].id}`, { email: `${name}@example.com` });
    ids[name] = mm.addUser({ username: name, email: `${name}@example.com` });
  }
});
afterAll(async () => {
  await t?.close();
  await mm?.close();
});

async function command(
  user: string,
  text: string,
  o: { channel?: string; token?: string | null; header?: boolean } = {},
) {
  const token = o.token === undefined ? COMMAND_TOKEN : o.token;
  const body = new URLSearchParams({
    channel_id: "jux16pkewjrkfj3ehep1psxyxc",
    channel_name: o.channel ?? "town-square",
    command: "/inc",
    response_url: "http://localhost:8065/hooks/commands/xbrkb8p393gjpq5cawei7npije",
    team_domain: "test",
    team_id: "carya1qs77bemjup96ff538snh",
    text,
    ...(token !== null && !o.header ? { token } : {}),
    trigger_id:
      "NG1kM3lyN2NqYmQxcGNyc2s0Nmo5em0xb2M6azF4NGFxZGp5MzgxM2M4NG03NzFlb2M5eG86MTU1MTIwODE5NTQyNzpNRVVD",
    user_id: ids[user] ?? user,
    user_name: user,
  }).toString();
  const res = await fetch(`${t.base}/integrations/mattermost/commands`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
      "user-agent": "Mattermost-Bot/1.1",
      ...(token !== null ? { authorization: `Token ${token}` } : {}),
    },
    body,
  });
  const raw = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), json: raw ? JSON.parse(raw) : null };
}
const incident = async (id: number) => (await t.admin.get(`/api/v1/incidents/${id}`)).body;
const idIn = (text: string) => Number(/#(\d+)/.exec(text)?.[1]);

describe("Mattermost slash commands", () => {
  it("declares as the person whose email Mattermost's API gives, in Mattermost's response shape", async () => {
    const r = await command("alice", "declare S3 GitLab.com Runners stuck @channel <b>");
    expect(r.status).toBe(200);
    expect(r.type).toContain("application/json");
    expect(r.json.response_type).toBe("in_channel");
    // Mattermost's Markdown: no escaping of <>, but no @channel notification from people's words.
    expect(r.json.text).toContain("Runners stuck @\u200bchannel <b>");
    const i = await incident(idIn(r.json.text));
    expect(i).toMatchObject({ severity: "S3", type: "GitLab.com", declaredBy: { username: "alice" } });
    expect(i.title).toBe("Runners stuck @channel <b>");
    expect(mm.requests.at(-1)).toMatchObject({
      path: `/api/v4/users/${ids.alice}`,
      authorization: `Bearer ${MATTERMOST_TOKEN}`,
    });
    const linked = (await clients.alice!.get("/api/v1/me/chat-identities")).body.identities;
    expect(linked).toEqual([expect.objectContaining({ provider: "mattermost", linkedBy: "email" })]);
  });

  it("runs commands on the incident of the channel named by the policy's template", async () => {
    const id = idIn((await command("alice", "declare S4 Cache misses")).json.text);
    const channel = `inc-${id}-cache-misses`;
    expect((await command("alice", "severity S3 more regions", { channel })).json.text).toContain(
      "is now S3",
    );
    expect((await command("alice", "assign EOC @bob", { channel })).json.text).toContain("bob is now EOC");
    const i = await incident(id);
    expect(i.severity).toBe("S3");
    expect(i.roles.EOC.username).toBe("bob");
    expect((await command("alice", "severity S1")).json.text).toContain("not an incident's channel");
  });

  it("accepts the token in the Authorization header alone, and refuses a missing or wrong one with 401", async () => {
    expect((await command("alice", "help", { header: true })).status).toBe(200);
    const before = (await t.admin.get("/api/v1/incidents")).body.incidents.length;
    for (const token of [null, "not-the-token"]) {
      const r = await command("alice", "declare S1 Forged", { token });
      expect(r.status).toBe(401);
      expect(r.type).toContain("application/problem+json");
    }
    expect((await t.admin.get("/api/v1/incidents")).body.incidents.length).toBe(before);
  });

  it("answers an unknown command with help, and declare alone with its usage (no modals)", async () => {
    const r = await command("bob", "frobnicate");
    expect(r.json).toMatchObject({ response_type: "ephemeral" });
    expect(r.json.text).toContain('Unknown command "frobnicate"');
    expect((await command("bob", "declare")).json.text).toContain(
      "Declare with /inc declare [Sev0, Sev1, S1, S2, S3, S4]",
    );
  });

  it("tells an unmapped person how to link, then links them by code", async () => {
    // dave has no email in Firebreak; his Mattermost user_name alone is not trusted.
    const r = await command("dave", "declare S4 Not yet");
    expect(r.json.response_type).toBe("ephemeral");
    expect(r.json.text).toContain(
      "not linked to a Firebreak person (no Firebreak person has the email dave@example.com)",
    );
    const code = (await clients.dave!.request("POST", "/api/v1/me/chat-identities/link-code")).body.code;
    expect((await command("dave", `link ${code}`)).json.text).toContain("now linked to dave");
    const declared = await command("dave", "declare S4 Now linked");
    expect((await incident(idIn(declared.json.text))).declaredBy.username).toBe("dave");
  });

  it("DATA-3: a private incident's command by a non-participant is refused without its title", async () => {
    const id = idIn((await command("alice", "declare S2 SIRT private Phishing wave")).json.text);
    const r = await command("bob", `#${id} note looking`);
    expect(r.json.response_type).toBe("ephemeral");
    expect(r.json.text).toContain(`incident ${id} does not exist or is not visible to you`);
    expect(r.json.text).not.toContain("Phishing");
  });
});
