/**
 * A local server speaking Slack's Web API as its documentation describes it, for tests:
 * `POST /api/<method>` with a form-encoded (nested values JSON-encoded, as @slack/web-api sends
 * them) or JSON body and `Authorization: Bearer xoxb-…`, answered HTTP 200 with `{ ok: true, … }`
 * in the method's documented shape, or `{ ok: false, error }` (`not_authed`, `invalid_auth`,
 * `channel_not_found`, `name_taken`, `users_not_found`, `already_pinned`…), or HTTP 429 with
 * Retry-After and `{ ok: false, error: "ratelimited" }`. It keeps a small workspace (channels,
 * members, messages, pins, users) so answers are consistent, records every call, lets a test
 * answer any method itself (`on`) or fail the next call (`failNext`), and receives
 * `response_url` posts. And the other direction: requests as Slack signs them to Firebreak.
 */
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const BOT_TOKEN = "xoxb-17-firebreak-test-token";
export const SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
export const TEAM_ID = "T0FIREBRK";
export const BOT_USER_ID = "U0FBBOT01";
export const BOT_ID = "B0FBBOT01";

export type SlackCall = {
  method: string;
  /** The parsed body: form fields (JSON-valued ones parsed) or the JSON body. */
  body: Record<string, unknown>;
  headers: IncomingMessage["headers"];
};

/** What a handler answers: Slack's JSON (`ok` included), optionally with an HTTP status and headers. */
export type SlackAnswer = Record<string, unknown> & { ok: boolean };
export type SlackHandler = (
  body: Record<string, unknown>,
  call: SlackCall,
) => SlackAnswer | { status: number; headers?: Record<string, string>; json: SlackAnswer };

export type Failure = { status?: number; retryAfter?: number; error?: string };

export type SlackChannel = {
  id: string;
  name: string;
  is_private: boolean;
  members: string[];
  pins: string[];
  created: number;
};
export type SlackMessage = { channel: string; ts: string; text: string; blocks?: unknown; user: string };
export type SlackUser = { id: string; name: string; real_name: string; email: string; is_bot?: boolean };

export type SlackServer = {
  /** The Web API base, e.g. http://127.0.0.1:PORT/api/ (SLACK_API_URL). */
  apiUrl: string;
  base: string;
  calls: SlackCall[];
  callsTo(method: string): SlackCall[];
  channels: Map<string, SlackChannel>;
  channelNamed(name: string): SlackChannel | undefined;
  messages: SlackMessage[];
  users: Map<string, SlackUser>;
  /** Adds a workspace member (found by users.lookupByEmail and users.info); returns its id. */
  addUser(u: { email: string; name: string; realName?: string }): string;
  /** Adds a channel the bot is a member of (an announcement channel); returns its id. */
  addChannel(name: string, opts?: { isPrivate?: boolean; botMember?: boolean }): string;
  /** Answers `method` with `handler` from now on (also for methods the server does not know). */
  on(method: string, handler: SlackHandler): void;
  /** Fails the next `times` (default 1) calls to `method`: 429 with Retry-After, or `{ok:false, error}`. */
  failNext(method: string, failure: Failure, times?: number): void;
  /** A URL that records what is posted to it (a slash command's or interaction's response_url). */
  responseUrl(name: string): string;
  responses(name: string): unknown[];
  close(): Promise<void>;
};

/** Fields @slack/web-api sends JSON-encoded inside a form body. */
const jsonFields = new Set(["blocks", "attachments", "view", "metadata", "unfurl_media"]);

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes("application/json"))
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (jsonFields.has(k) && /^[[{]/.test(v)) out[k] = JSON.parse(v);
    else out[k] = v;
  }
  return out;
}

const truthy = (v: unknown) => v === true || v === "true" || v === "1";

export async function startSlackServer(): Promise<SlackServer> {
  const calls: SlackCall[] = [];
  const channels = new Map<string, SlackChannel>();
  const messages: SlackMessage[] = [];
  const users = new Map<string, SlackUser>();
  const handlers = new Map<string, SlackHandler>();
  const failures = new Map<string, Failure[]>();
  const responses = new Map<string, unknown[]>();
  let seq = 0;
  let clock = 1_765_000_000;
  const nextTs = () => `${++clock}.${String(++seq).padStart(6, "0")}`;
  const nextId = (prefix: string) => `${prefix}0${(1000 + ++seq).toString(36).toUpperCase()}`;

  const channelObject = (c: SlackChannel) => ({
    id: c.id,
    name: c.name,
    is_channel: !c.is_private,
    is_group: c.is_private,
    is_im: false,
    is_mpim: false,
    created: c.created,
    creator: BOT_USER_ID,
    is_archived: false,
    is_general: false,
    unlinked: 0,
    name_normalized: c.name,
    is_shared: false,
    is_ext_shared: false,
    is_org_shared: false,
    pending_shared: [],
    is_pending_ext_shared: false,
    is_member: c.members.includes(BOT_USER_ID),
    is_private: c.is_private,
    topic: { value: "", creator: "", last_set: 0 },
    purpose: { value: "", creator: "", last_set: 0 },
    previous_names: [],
  });
  const userObject = (u: SlackUser) => ({
    id: u.id,
    team_id: TEAM_ID,
    name: u.name,
    deleted: false,
    real_name: u.real_name,
    tz: "Europe/Amsterdam",
    is_bot: u.is_bot ?? false,
    profile: { email: u.email, real_name: u.real_name, display_name: u.name, team: TEAM_ID },
  });
  const fail = (error: string): SlackAnswer => ({ ok: false, error });
  const channelOf = (body: Record<string, unknown>) => {
    const id = String(body.channel ?? "");
    return channels.get(id) ?? [...channels.values()].find((c) => c.name === id.replace(/^#/, ""));
  };
  const messageText = (body: Record<string, unknown>) => String(body.text ?? "");

  const builtIn: Record<string, SlackHandler> = {
    "auth.test": () => ({
      ok: true,
      url: "https://firebreak-test.slack.com/",
      team: "Firebreak test",
      user: "firebreak",
      team_id: TEAM_ID,
      user_id: BOT_USER_ID,
      bot_id: BOT_ID,
    }),
    "conversations.create": (body) => {
      const name = String(body.name ?? "");
      if (!name) return fail("invalid_name_required");
      if (name.length > 80) return fail("invalid_name_maxlength");
      if (!/^[a-z0-9_-]+$/.test(name)) return fail("invalid_name_specials");
      if ([...channels.values()].some((c) => c.name === name)) return fail("name_taken");
      const c: SlackChannel = {
        id: nextId(truthy(body.is_private) ? "G" : "C"),
        name,
        is_private: truthy(body.is_private),
        members: [BOT_USER_ID],
        pins: [],
        created: clock,
      };
      channels.set(c.id, c);
      return { ok: true, channel: channelObject(c) };
    },
    "conversations.info": (body) => {
      const c = channelOf(body);
      return c ? { ok: true, channel: channelObject(c) } : fail("channel_not_found");
    },
    "conversations.join": (body) => {
      const c = channelOf(body);
      if (!c || c.is_private) return fail("channel_not_found");
      if (!c.members.includes(BOT_USER_ID)) c.members.push(BOT_USER_ID);
      return { ok: true, channel: channelObject(c) };
    },
    "conversations.invite": (body) => {
      const c = channelOf(body);
      if (!c) return fail("channel_not_found");
      const ids = String(body.users ?? "")
        .split(",")
        .filter(Boolean);
      if (ids.length === 0) return fail("no_user");
      if (ids.some((id) => !users.has(id))) return fail("user_not_found");
      const fresh = ids.filter((id) => !c.members.includes(id));
      if (fresh.length === 0) return fail("already_in_channel");
      c.members.push(...fresh);
      return { ok: true, channel: channelObject(c) };
    },
    "chat.postMessage": (body) => {
      const c = channelOf(body);
      if (!c) return fail("channel_not_found");
      if (!c.members.includes(BOT_USER_ID)) return fail("not_in_channel");
      if (!body.text && !body.blocks) return fail("no_text");
      const m: SlackMessage = {
        channel: c.id,
        ts: nextTs(),
        text: messageText(body),
        blocks: body.blocks,
        user: BOT_USER_ID,
      };
      messages.push(m);
      return {
        ok: true,
        channel: c.id,
        ts: m.ts,
        message: {
          type: "message",
          subtype: "bot_message",
          text: m.text,
          ts: m.ts,
          user: BOT_USER_ID,
          bot_id: BOT_ID,
        },
      };
    },
    "chat.update": (body) => {
      const m = messages.find((x) => x.channel === body.channel && x.ts === body.ts);
      if (!m) return channelOf(body) ? fail("message_not_found") : fail("channel_not_found");
      m.text = messageText(body);
      m.blocks = body.blocks;
      return {
        ok: true,
        channel: m.channel,
        ts: m.ts,
        text: m.text,
        message: { text: m.text, user: BOT_USER_ID },
      };
    },
    "chat.postEphemeral": (body) => {
      const c = channelOf(body);
      if (!c) return fail("channel_not_found");
      if (!users.has(String(body.user ?? ""))) return fail("user_not_found");
      if (!c.members.includes(String(body.user))) return fail("user_not_in_channel");
      return { ok: true, message_ts: nextTs() };
    },
    "pins.add": (body) => {
      const c = channelOf(body);
      if (!c) return fail("channel_not_found");
      const ts = String(body.timestamp ?? "");
      if (!messages.some((m) => m.channel === c.id && m.ts === ts)) return fail("message_not_found");
      if (c.pins.includes(ts)) return fail("already_pinned");
      c.pins.push(ts);
      return { ok: true };
    },
    "users.lookupByEmail": (body) => {
      const email = String(body.email ?? "").toLowerCase();
      const u = [...users.values()].find((x) => x.email.toLowerCase() === email);
      return u ? { ok: true, user: userObject(u) } : fail("users_not_found");
    },
    "users.info": (body) => {
      const u = users.get(String(body.user ?? ""));
      return u ? { ok: true, user: userObject(u) } : fail("user_not_found");
    },
    "views.open": (body) => {
      if (!body.trigger_id) return fail("invalid_trigger_id");
      const view = body.view as Record<string, unknown> | undefined;
      return { ok: true, view: { id: nextId("V"), team_id: TEAM_ID, hash: `${clock}.abc`, ...view } };
    },
    "views.update": (body) => {
      const view = body.view as Record<string, unknown> | undefined;
      return { ok: true, view: { id: String(body.view_id ?? nextId("V")), team_id: TEAM_ID, ...view } };
    },
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const send = (status: number, json: unknown, headers: Record<string, string> = {}) =>
        res
          .writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers })
          .end(JSON.stringify(json));
      const hook = /^\/response\/([^/]+)$/.exec(url.pathname);
      if (hook) {
        const name = decodeURIComponent(hook[1] ?? "");
        const list = responses.get(name) ?? [];
        list.push(parseBody(raw, req.headers["content-type"] ?? "application/json"));
        responses.set(name, list);
        return send(200, { ok: true });
      }
      const m = /^\/api\/([a-zA-Z.]+)$/.exec(url.pathname);
      if (req.method !== "POST" || !m) return send(404, fail("unknown_method"));
      const method = m[1] ?? "";
      let body: Record<string, unknown>;
      try {
        body = parseBody(raw, req.headers["content-type"]);
      } catch {
        return send(200, fail("invalid_json"));
      }
      const call: SlackCall = { method, body, headers: req.headers };
      calls.push(call);
      const auth = req.headers.authorization ?? (body.token ? `Bearer ${String(body.token)}` : undefined);
      if (!auth) return send(200, fail("not_authed"));
      if (auth !== `Bearer ${BOT_TOKEN}`) return send(200, fail("invalid_auth"));
      const pending = failures.get(method);
      const failure = pending?.shift();
      if (failure) {
        if (failure.status === 429 || failure.error === "ratelimited")
          return send(429, fail("ratelimited"), { "retry-after": String(failure.retryAfter ?? 1) });
        return send(failure.status ?? 200, fail(failure.error ?? "internal_error"));
      }
      const handler = handlers.get(method) ?? builtIn[method];
      if (!handler) return send(200, fail("unknown_method"));
      const answer = handler(body, call);
      if ("json" in answer && "status" in answer && typeof answer.status === "number")
        return send(answer.status, answer.json, answer.headers as Record<string, string> | undefined);
      return send(200, answer);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  users.set(BOT_USER_ID, {
    id: BOT_USER_ID,
    name: "firebreak",
    real_name: "Firebreak",
    email: "",
    is_bot: true,
  });
  return {
    apiUrl: `${base}/api/`,
    base,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    channels,
    channelNamed: (name) => [...channels.values()].find((c) => c.name === name),
    messages,
    users,
    addUser({ email, name, realName }) {
      const id = nextId("U");
      users.set(id, { id, name, real_name: realName ?? name, email });
      return id;
    },
    addChannel(name, opts = {}) {
      const c: SlackChannel = {
        id: nextId(opts.isPrivate ? "G" : "C"),
        name,
        is_private: opts.isPrivate ?? false,
        members: opts.botMember === false ? [] : [BOT_USER_ID],
        pins: [],
        created: clock,
      };
      channels.set(c.id, c);
      return c.id;
    },
    on: (method, handler) => void handlers.set(method, handler),
    failNext(method, failure, times = 1) {
      const list = failures.get(method) ?? [];
      for (let i = 0; i < times; i++) list.push(failure);
      failures.set(method, list);
    },
    responseUrl: (name) => `${base}/response/${encodeURIComponent(name)}`,
    responses: (name) => responses.get(name) ?? [],
    close: () => new Promise((r) => server.close(() => r())),
  };
}

// -- requests as Slack makes them to Firebreak --------------------------------------------------

/** `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` under the signing secret (Slack's scheme). */
export function slackSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export type SignedPost = {
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** Replaces the computed signature (a forged request); null sends none. */
  signature?: string | null;
  secret?: string;
  contentType?: string;
  headers?: Record<string, string>;
};

/** POSTs `body` (already encoded) to Firebreak as Slack would, signed. */
export async function slackPost(
  url: string,
  body: string,
  o: SignedPost = {},
): Promise<{ status: number; body: string; type: string | null }> {
  const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const sig =
    o.signature === undefined ? slackSignature(o.secret ?? SIGNING_SECRET, timestamp, body) : o.signature;
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": o.contentType ?? "application/json",
      "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
      "x-slack-request-timestamp": timestamp,
      ...(sig === null ? {} : { "x-slack-signature": sig }),
      ...o.headers,
    },
    body,
  });
  return { status: res.status, body: await res.text(), type: res.headers.get("content-type") };
}

/** An Events API `event_callback` envelope around `event`, as Slack delivers it. */
export function eventCallback(
  event: Record<string, unknown>,
  eventId = `Ev${Date.now().toString(36).toUpperCase()}`,
) {
  return {
    token: "Jhj5dZrVaK7ZwHHjRyZWjbDl",
    team_id: TEAM_ID,
    api_app_id: "A0FIREBRK",
    event,
    type: "event_callback",
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: TEAM_ID, user_id: BOT_USER_ID, is_bot: true }],
    is_ext_shared_channel: false,
    event_context: "4-eyJldCI6Im1lc3NhZ2UiLCJ0aWQiOiJUMEZJUkVCUksifQ",
  };
}
