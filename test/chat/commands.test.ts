/**
 * Chat commands run as a Firebreak person against the real app: every outcome is read back through
 * the API. The same module serves Slack, Mattermost and the built-in room (commands-slack.test.ts
 * goes through Slack's endpoint).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChatCommands, createChatCommands } from "../../src/chat/commands.ts";
import type { IncidentDb } from "../../src/incidents/store.ts";
import type { Actor } from "../../src/platform/auth.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

let t: TestApp;
let chat: ChatCommands;
let alice: Actor;
let bob: Actor;
let viewer: Actor;
const admin: Actor = { id: 1, username: "admin", role: "admin", tokenId: null };

beforeAll(async () => {
  t = await startTestApp({ clockStart: new Date() });
  await t.seedOnCall();
  const mk = async (name: string, role: "responder" | "viewer" = "responder") => {
    const u = await t.user(name, role);
    return { id: u.id, username: name, role, tokenId: null } satisfies Actor;
  };
  alice = await mk("alice");
  bob = await mk("bob");
  viewer = await mk("vera", "viewer");
  admin.id = (await t.admin.get("/api/v1/me")).body.id;
  chat = createChatCommands({
    db: t.database.db as unknown as IncidentDb,
    incidents: t.services.incidents,
    paging: t.services.paging,
    policy: t.policy,
    publicUrl: "http://firebreak.test",
  });
});
afterAll(async () => {
  await t?.close();
});

const run = (actor: Actor, text: string, incidentId: number | null = null) =>
  chat.run({ actor, text, incidentId });
const incident = async (id: number) => (await t.admin.get(`/api/v1/incidents/${id}`)).body;
const idIn = (text: string) => Number(/#(\d+)/.exec(text)?.[1]);

describe("chat commands", () => {
  it("declares with the given severity, type and title, as the sender", async () => {
    const r = await run(alice, "declare S3 Dedicated Checkout errors <script>");
    expect(r.visibility).toBe("in_channel");
    expect(r.text).toContain("Checkout errors <script>");
    expect(JSON.stringify(r.blocks)).toContain("Checkout errors &lt;script&gt;");
    const i = await incident(idIn(r.text));
    expect(i).toMatchObject({
      title: "Checkout errors <script>",
      severity: "S3",
      type: "Dedicated",
      state: "investigating",
      declaredBy: { username: "alice" },
    });
  });

  it("changes severity, status, roles, notes and status updates on the channel's incident", async () => {
    const id = idIn((await run(alice, "declare S4 Disk filling")).text);
    expect((await run(alice, "severity S3 more hosts now", id)).text).toContain("is now S3 (was S4)");
    expect(await incident(id)).toMatchObject({ severity: "S3" });

    expect((await run(alice, "status fixing", id)).text).toContain("is now fixing");
    expect(await incident(id)).toMatchObject({ state: "fixing" });

    expect((await run(alice, "assign EOC @bob", id)).text).toContain("bob is now EOC");
    // The EOC owns the incident by default (OWN-3): only the owner hands it over.
    expect((await run(alice, "assign Incident Lead me", id)).text).toContain("only the owner");
    expect((await run(bob, "assign Incident Lead @alice", id)).text).toContain("alice is now Incident Lead");
    const i = await incident(id);
    expect(i.roles.EOC.username).toBe("bob");
    expect(i.owner.username).toBe("alice");
    const roles = await run(bob, "roles", id);
    expect(roles.visibility).toBe("ephemeral");
    expect(roles.text).toContain("• EOC: bob");

    await run(bob, "note rolled back the deploy", id);
    await run(alice, "update Uploads slow for 2% | Moving tenants off the full disk", id);
    const tl = (await t.admin.get(`/api/v1/incidents/${id}/timeline`)).body.events as {
      kind: string;
      body: string;
      actor: { username: string } | null;
      data: Record<string, unknown>;
    }[];
    expect(tl.find((e) => e.kind === "note")).toMatchObject({
      body: "rolled back the deploy",
      actor: { username: "bob" },
    });
    expect((await incident(id)).lastStatusUpdateAt).not.toBeNull();
  });

  it("resolves only as the owner (OWN-2), saying who can", async () => {
    const id = idIn((await run(alice, "declare S4 Flaky test")).text);
    const refused = await run(bob, "resolve", id);
    expect(refused.visibility).toBe("ephemeral");
    expect(refused.text).toContain("only the incident's owner");
    expect(await incident(id)).toMatchObject({ state: "investigating" });
    expect((await run(alice, "resolve fixed", id)).text).toContain("is now resolved");
    expect(await incident(id)).toMatchObject({ state: "resolved" });
  });

  it("pages a role's on-call and acknowledges the incident's pages as the sender", async () => {
    const id = idIn((await run(alice, "declare S4 Queue backlog")).text);
    const paged = await run(alice, "page IM", id);
    expect(paged.text).toContain("Paged the IM on call");
    const pageId = Number(/page (\d+)/.exec(paged.text)?.[1]);
    expect((await t.admin.get(`/api/v1/pages/${pageId}`)).body).toMatchObject({ state: "triggered" });
    expect((await run(alice, "page IM", id)).text).toContain("already paged");

    const ack = await run(admin, "ack", id);
    expect(ack.text).toMatch(new RegExp(`admin acknowledged pages? [0-9, ]*\\b${pageId}\\b`));
    const page = (await t.admin.get(`/api/v1/pages/${pageId}`)).body;
    expect(page.state).not.toBe("triggered");
    expect(page.acknowledgedBy).toBe(admin.id);
    expect((await run(admin, "ack", id)).text).toContain("No page");
  });

  it("answers help for an unknown command and errors that say what would be right", async () => {
    const r = await run(alice, "frobnicate");
    expect(r.text).toContain('Unknown command "frobnicate"');
    expect(r.text).toContain("/inc declare");
    expect((await run(alice, "severity S1")).text).toContain(
      "not an incident's channel; name the incident: /inc #123",
    );
    const id = idIn((await run(alice, "declare S4 Bad input")).text);
    expect((await run(alice, "assign EOC @nobody", id)).text).toContain('no active user "nobody"');
    expect((await run(alice, "status closed", id)).text).toContain("it can move to");
  });

  it("keeps viewers to reading", async () => {
    const id = idIn((await run(alice, "declare S4 Viewer check")).text);
    expect((await run(viewer, "note hello", id)).text).toContain("lets you read incidents, not change them");
    expect((await run(viewer, "roles", id)).text).toContain("Roles on");
  });

  it("DATA-3: a private incident's command by a non-participant is refused without its title", async () => {
    const r = await run(alice, "declare S2 SIRT private Leaked signing key");
    expect(r.visibility).toBe("ephemeral");
    const id = idIn(r.text);
    expect(await incident(id)).toMatchObject({ visibility: "private" });
    for (const text of [
      `#${id} note hi`,
      `#${id} roles`,
      `#${id} severity S1`,
      `#${id} ack`,
      `#${id} page IM`,
    ]) {
      const reply = await run(bob, text);
      expect(reply.visibility).toBe("ephemeral");
      expect(reply.text).toContain(`incident ${id} does not exist or is not visible to you`);
      expect(reply.text).not.toContain("signing key");
    }
    // From another channel, the participant's outcome stays private to them.
    const own = await run(alice, `#${id} note checked`);
    expect(own.visibility).toBe("ephemeral");
    expect((await run(alice, "note checked", id)).visibility).toBe("in_channel");
  });
});
