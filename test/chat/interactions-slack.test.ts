/**
 * Slack buttons and modals: signed `payload=` posts to /integrations/slack/interactions in the
 * shapes Slack's documentation gives (block_actions, view_submission), outcomes read in the API.
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

beforeAll(async () => {
  slack = await startSlackServer();
  t = await startTestApp({
    clockStart: new Date(),
    slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl },
  });
  await t.seedOnCall();
  for (const name of ["alice", "bob"]) {
    const u = await t.user(name);
    await t.admin.request("PATCH", `/api/v1/users/${u.id}`, { email: `${name}@example.com` });
    ids[name] = slack.addUser({ email: `${name}@example.com`, name });
  }
  const vera = await t.user("vera", "viewer");
  await t.admin.request("PATCH", `/api/v1/users/${vera.id}`, { email: "vera@example.com" });
  ids.vera = slack.addUser({ email: "vera@example.com", name: "vera" });
  const me = (await t.admin.get("/api/v1/me")).body;
  await t.admin.request("PATCH", `/api/v1/users/${me.id}`, { email: "admin@example.com" });
  ids.admin = slack.addUser({ email: "admin@example.com", name: "admin" });
  // The general channel, with everyone in it (declare tells the declarer there).
  slack.channels.set("C0GENERAL1", {
    id: "C0GENERAL1",
    name: "general",
    is_private: false,
    members: Object.values(ids),
    pins: [],
    created: 1,
  });
});
afterAll(async () => {
  await t?.close();
  await slack?.close();
});

let seq = 0;
const user = (name: string) => ({ id: ids[name], username: name, name, team_id: TEAM_ID });

async function interact(payload: Record<string, unknown>) {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const r = await slackPost(`${t.base}/integrations/slack/interactions`, body, {
    contentType: "application/x-www-form-urlencoded",
  });
  return { ...r, json: r.body ? JSON.parse(r.body) : null };
}

/** A button click (block_actions), as https://api.slack.com/reference/interaction-payloads/block-actions shows. */
async function click(who: string, actionId: string, value: string) {
  const name = `btn-${++seq}`;
  const r = await interact({
    type: "block_actions",
    user: user(who),
    api_app_id: "A0FIREBRK",
    token: "9s8d9as89d8as9d8as989",
    container: {
      type: "message",
      message_ts: "1548261231.000200",
      channel_id: "C0GENERAL1",
      is_ephemeral: false,
    },
    trigger_id: `12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3-${seq}`,
    team: { id: TEAM_ID, domain: "firebreak-test" },
    channel: { id: "C0GENERAL1", name: "general" },
    response_url: slack.responseUrl(name),
    actions: [
      {
        action_id: actionId,
        block_id: "incident-actions",
        text: { type: "plain_text", text: "Go", emoji: true },
        value,
        type: "button",
        action_ts: "1548426417.840180",
      },
    ],
  });
  expect(r.status).toBe(200);
  return name;
}

/** Waits for the click's outcome at its response_url (posted by a job). */
async function outcome(name: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (slack.responses(name).length === 0 && Date.now() < deadline) {
    await t.runJobs();
    await new Promise((r) => setTimeout(r, 20));
  }
  const [first] = slack.responses(name) as { text: string; response_type: string }[];
  expect(first?.response_type).toBe("ephemeral");
  return first?.text ?? "";
}

/** A modal's submission (view_submission), values in Slack's `view.state.values` shape. */
function submit(who: string, view: Record<string, unknown>, values: Record<string, Record<string, unknown>>) {
  return interact({
    type: "view_submission",
    team: { id: TEAM_ID, domain: "firebreak-test" },
    user: user(who),
    api_app_id: "A0FIREBRK",
    token: "9s8d9as89d8as9d8as989",
    trigger_id: "12466734323.1395872398.b0e2c2e94e4d4ba2cbd1ce1b2e4c1ca5",
    view: {
      id: "VNHU13V36",
      team_id: TEAM_ID,
      type: "modal",
      private_metadata: view.private_metadata,
      callback_id: view.callback_id,
      state: { values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v }])) },
      hash: "156663117.cd33ad1f",
    },
    response_urls: [],
  });
}

const text = (value: string) => ({ type: "plain_text_input", value });
const select = (value: string) => ({
  type: "static_select",
  selected_option: { text: { type: "plain_text", text: value }, value },
});
const declareValues = (title: string, severity = "S3", checked: string[] = []) => ({
  title: text(title),
  type: select("Dedicated"),
  severity: select(severity),
  summary: text("Seen from the EU"),
  private: { type: "checkboxes", selected_options: checked.map((v) => ({ value: v })) },
});
const declareView = {
  callback_id: "declare_incident",
  private_metadata: JSON.stringify({ channel: "C0GENERAL1" }),
};
const incidents = async () =>
  (await t.admin.get("/api/v1/incidents")).body.incidents as Record<string, unknown>[];

describe("Slack interactions", () => {
  it("declares from the form, telling the declarer privately in the channel", async () => {
    const r = await submit(
      "alice",
      declareView,
      declareValues("Checkout errors from the form", "S3", ["private"]),
    );
    expect(r.status).toBe(200);
    expect(r.body).toBe("");
    const i = (await incidents()).find((x) => x.title === "Checkout errors from the form");
    expect(i).toMatchObject({
      severity: "S3",
      type: "Dedicated",
      summary: "Seen from the EU",
      visibility: "private",
    });
    const told = slack.callsTo("chat.postEphemeral").at(-1)!;
    expect(told.body).toMatchObject({ channel: "C0GENERAL1", user: ids.alice });
    expect(String(told.body.text)).toContain(`incident #${i?.id} declared (private)`);
  });

  it("returns the form's mistakes in Slack's errors shape, next to the field, and declares nothing", async () => {
    const before = (await incidents()).length;
    expect((await submit("alice", declareView, declareValues("   "))).json).toEqual({
      response_action: "errors",
      errors: { title: "The incident needs a title" },
    });
    const badSeverity = await submit("alice", declareView, declareValues("Bad severity", "S9"));
    expect(badSeverity.json.response_action).toBe("errors");
    expect(badSeverity.json.errors.severity).toContain("expected one of S1, S2, S3, S4");
    const red = await submit("alice", declareView, declareValues("Card 4111 1111 1111 1111 leaked"));
    expect(red.json.response_action).toBe("errors");
    expect(Object.keys(red.json.errors)).toEqual(["title"]);
    expect((await incidents()).length).toBe(before);
  });

  it("acknowledges a page from its button", async () => {
    const declared = await t.admin.request("POST", "/api/v1/incidents", {
      title: "Paging button",
      type: "GitLab.com",
      severity: "S1",
      status: "active",
    });
    const pages = (await t.admin.get(`/api/v1/pages?incident=${declared.body.id}`)).body.pages as {
      id: number;
      state: string;
    }[];
    const page = pages.find((p) => p.state === "triggered")!;
    const said = await outcome(await click("admin", "ack_page", String(page.id)));
    expect(said).toContain(`You acknowledged page ${page.id}`);
    const after = (await t.admin.get(`/api/v1/pages/${page.id}`)).body;
    expect(after.state).not.toBe("triggered");
  });

  it("accepts and declines triage incidents from their buttons", async () => {
    const triage = async (title: string) =>
      (
        await t.admin.request("POST", "/api/v1/incidents", {
          title,
          type: "GitLab.com",
          severity: "S3",
          status: "triage",
        })
      ).body.id as number;
    const a = await triage("Accept me");
    const d = await triage("Decline me");
    expect(await outcome(await click("alice", "accept_incident", String(a)))).toContain(
      "it is now investigating",
    );
    expect(await outcome(await click("bob", "decline_incident", String(d)))).toContain(
      `You declined incident #${d}`,
    );
    expect((await t.admin.get(`/api/v1/incidents/${a}`)).body.state).toBe("investigating");
    // A viewer reads; the button changes nothing for them.
    const v = await triage("Viewer click");
    expect(await outcome(await click("vera", "accept_incident", String(v)))).toContain(
      "lets you read incidents",
    );
    expect((await t.admin.get(`/api/v1/incidents/${v}`)).body.state).toBe("triage");
    expect((await t.admin.get(`/api/v1/incidents/${d}`)).body.state).toBe("declined");
  });

  it("opens the status update form from its button and posts the update on submission (COMM-1)", async () => {
    const id = (
      await t.admin.request("POST", "/api/v1/incidents", {
        title: "Update due",
        type: "GitLab.com",
        severity: "S3",
        status: "active",
      })
    ).body.id as number;
    const opened = slack.callsTo("views.open").length;
    await click("alice", "post_status_update", String(id));
    const open = slack.callsTo("views.open")[opened]!;
    const view = open.body.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe("post_status_update");
    const missing = await submit("alice", view, { impact: text("Some uploads fail"), actions: text("") });
    expect(missing.json).toEqual({
      response_action: "errors",
      errors: { actions: "Say what is being done" },
    });
    const r = await submit("alice", view, {
      impact: text("Some uploads fail"),
      actions: text("Failing over"),
    });
    expect(r.status).toBe(200);
    expect((await t.admin.get(`/api/v1/incidents/${id}`)).body.lastStatusUpdateAt).not.toBeNull();
    const tl = (await t.admin.get(`/api/v1/incidents/${id}/timeline`)).body.events as {
      kind: string;
      actor: { username: string } | null;
    }[];
    expect(tl.find((e) => e.kind === "status-update")?.actor?.username).toBe("alice");
  });

  it("DATA-3: buttons on a private incident tell a non-participant nothing about it", async () => {
    const id = (
      await t.admin.request("POST", "/api/v1/incidents", {
        title: "Secret triage",
        type: "SIRT",
        severity: "S3",
        status: "triage",
        visibility: "private",
      })
    ).body.id as number;
    const opened = slack.callsTo("views.open").length;
    const said = await outcome(await click("bob", "post_status_update", String(id)));
    expect(said).toContain(`incident ${id} does not exist or is not visible to you`);
    expect(slack.callsTo("views.open").length).toBe(opened);
    const accept = await outcome(await click("bob", "accept_incident", String(id)));
    expect(accept).toContain("not visible to you");
    expect(accept).not.toContain("Secret");
    expect((await t.admin.get(`/api/v1/incidents/${id}`)).body.state).toBe("triage");
    const view = { callback_id: "post_status_update", private_metadata: JSON.stringify({ incidentId: id }) };
    const r = await submit("bob", view, { impact: text("x"), actions: text("y") });
    expect(r.json.errors.impact).toContain("not visible to you");
  });

  it("refuses an unsigned interaction with 401", async () => {
    const body = new URLSearchParams({ payload: JSON.stringify({ type: "block_actions" }) }).toString();
    const r = await slackPost(`${t.base}/integrations/slack/interactions`, body, {
      contentType: "application/x-www-form-urlencoded",
      signature: null,
    });
    expect(r.status).toBe(401);
    expect(r.type).toContain("application/problem+json");
  });
});
