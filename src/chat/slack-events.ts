/**
 * Slack's Events API: `POST /integrations/slack/events`.
 *
 * Every request must carry Slack's signature (v0 HMAC, 5-minute window); anything else gets 401
 * and nothing is done. Answered within milliseconds: the deliveries' work is a few database
 * writes in one transaction, and what needs Slack (a sender's name, a private reply) is a job.
 * - `url_verification`: the challenge is answered (Slack checks the Request URL with it).
 * - `message` in an incident channel: a `chat-message` event on the incident's timeline, by the
 *   Firebreak person linked to the sender's Slack account, else by their Slack name (a job asks
 *   Slack for it). Bots' messages (Firebreak's own included) and channel notices are not kept; an
 *   edit is kept as an edit. RED data (DATA-1) is not stored: the sender is told privately why.
 * - `reaction_added` 📌 (`pushpin`) on a kept message: the message is pinned into the highlights
 *   (TL-2) by the person who reacted (a person without a linked account is told how to link).
 * - A delivery Slack retries (same event_id, X-Slack-Retry-Num) is answered 200 and not taken again.
 */
import { z } from "zod";
import type { EventDraft } from "../incidents/model.ts";
import type { Clock } from "../platform/clock.ts";
import { AppError } from "../platform/errors.ts";
import type { App } from "../platform/http.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import { describeRedData, findRedData } from "../platform/reddata.ts";
import { type SlackApi, SlackCallError } from "./slack-api.ts";
import { verifySlackSignature } from "./slack-signature.ts";
import type { ChatDb } from "./store.ts";
import * as store from "./store.ts";

/** What the events need of incidents (wired in app.ts). */
export type EventIncidents = {
  /** Appends events to an incident's timeline (in the caller's transaction). */
  record(tx: ChatDb, incidentId: number, drafts: EventDraft[]): Promise<void>;
  /** The incident's timeline events of one kind whose data contains `data`. */
  find(
    tx: ChatDb,
    incidentId: number,
    kind: string,
    data: Record<string, unknown>,
  ): Promise<{ id: number; internal: boolean }[]>;
  /** Whether the event is pinned now (its last pin or unpin is a pin). */
  pinned(tx: ChatDb, incidentId: number, eventId: number): Promise<boolean>;
};

export type SlackEventsDeps = {
  db: ChatDb;
  clock: Clock;
  jobs: Jobs;
  log: Logger;
  api: SlackApi | undefined;
  signingSecret: string | undefined;
  incidents: EventIncidents;
  publicUrl: string;
};

type SlackMessageEvent = {
  type: "message";
  subtype?: string;
  channel?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  message?: { user?: string; bot_id?: string; text?: string; ts?: string; subtype?: string };
  previous_message?: { text?: string };
};
type SlackReactionEvent = {
  type: "reaction_added";
  user?: string;
  reaction?: string;
  item?: { type?: string; channel?: string; ts?: string };
};

/** Message subtypes that are people talking (others are joins, topic changes, bots…). */
const spoken = new Set([undefined, "file_share", "thread_broadcast", "me_message"]);

const ENVELOPE = z.object({
  type: z.string(),
  challenge: z.string().optional(),
  event_id: z.string().optional(),
  team_id: z.string().optional(),
  event: z.record(z.string(), z.unknown()).optional(),
});

export function createSlackEvents(deps: SlackEventsDeps) {
  const { db, clock, jobs } = deps;

  /** A message kept on the timeline; an unlinked sender's name is asked of Slack by a job. */
  async function message(tx: ChatDb, e: SlackMessageEvent): Promise<void> {
    const edited = e.subtype === "message_changed";
    const m = edited ? e.message : e;
    if (!m || !e.channel || !m.user || m.bot_id || !m.ts || (!edited && !spoken.has(e.subtype))) return;
    if (edited && (m.subtype !== undefined || m.text === e.previous_message?.text)) return;
    const room = await store.roomByChannel(tx, e.channel);
    if (!room) return;
    const text = m.text ?? "";
    const red = findRedData({ message: text });
    if (red) {
      // DATA-1: not stored anywhere, not even in the job: the job carries only why.
      await jobs.add(
        tx,
        "slack.ephemeral",
        { channel: e.channel, user: m.user, text: refusal(describeRedData(red)) },
        { maxAttempts: 5 },
      );
      return;
    }
    const userId = await store.userOfSlack(tx, m.user);
    const data = {
      provider: "slack",
      channel: e.channel,
      ts: m.ts,
      slackUser: m.user,
      ...(edited ? { edited: true } : {}),
      ...(e.thread_ts ? { threadTs: e.thread_ts } : {}),
    };
    if (userId !== undefined) {
      await deps.incidents.record(tx, room.incident_id, [
        { kind: "chat-message", body: text, data, actorId: userId },
      ]);
      return;
    }
    await jobs.add(
      tx,
      "slack.unlinked-message",
      { incidentId: room.incident_id, body: text, data },
      { maxAttempts: 10 },
    );
  }

  /** 📌 on a kept message pins it into the highlights (TL-2). */
  async function reaction(tx: ChatDb, e: SlackReactionEvent): Promise<void> {
    if (e.reaction !== "pushpin" || e.item?.type !== "message" || !e.item.channel || !e.item.ts || !e.user)
      return;
    const room = await store.roomByChannel(tx, e.item.channel);
    if (!room) return;
    const [target] = await deps.incidents.find(tx, room.incident_id, "chat-message", {
      channel: e.item.channel,
      ts: e.item.ts,
    });
    if (!target) return; // not a kept message (the header, a bot's, one from before the channel was linked)
    const userId = await store.userOfSlack(tx, e.user);
    if (userId === undefined) {
      await jobs.add(
        tx,
        "slack.ephemeral",
        {
          channel: e.item.channel,
          user: e.user,
          text: `Your Slack account is not linked to a Firebreak person, so the :pushpin: was not pinned on incident #${room.incident_id}. Link it on your profile page: ${deps.publicUrl}/profile`,
        },
        { maxAttempts: 5 },
      );
      return;
    }
    if (await deps.incidents.pinned(tx, room.incident_id, target.id)) return;
    await deps.incidents.record(tx, room.incident_id, [
      {
        kind: "pinned",
        internal: target.internal,
        data: { eventId: target.id, via: "slack" },
        actorId: userId,
      },
    ]);
  }

  const refusal = (why: string) =>
    `:no_entry: Your message was not recorded on the incident's timeline. ${why}. Delete it from this channel too.`;

  async function unlinkedMessageJob(p: Record<string, unknown>): Promise<void> {
    const data = p.data as Record<string, unknown>;
    let author = String(data.slackUser);
    if (deps.api) {
      try {
        const r = await deps.api.call("users.info", { user: author });
        const u = r.user as
          | { name?: string; real_name?: string; profile?: { display_name?: string; real_name?: string } }
          | undefined;
        author = u?.profile?.display_name || u?.real_name || u?.name || author;
      } catch (err) {
        // Slack down: retried, and the message kept once it answers. A name Slack will never give
        // (an unknown user, a missing scope): the message is kept under the Slack user id.
        if (!(err instanceof SlackCallError) || err.retryable) throw err;
      }
    }
    await db
      .transaction()
      .execute((tx) =>
        deps.incidents.record(tx, Number(p.incidentId), [
          { kind: "chat-message", body: String(p.body ?? ""), data: { ...data, author }, actorId: null },
        ]),
      );
  }

  async function ephemeralJob(p: Record<string, unknown>): Promise<void> {
    if (!deps.api) return;
    await deps.api.call("chat.postEphemeral", {
      channel: String(p.channel),
      user: String(p.user),
      text: String(p.text),
    });
  }

  /** Takes one signed delivery; returns the answer's body. */
  async function receive(raw: string): Promise<Record<string, unknown>> {
    let parsed: z.infer<typeof ENVELOPE>;
    try {
      parsed = ENVELOPE.parse(JSON.parse(raw));
    } catch {
      throw new AppError("invalid-request", "body: expected an Events API JSON envelope with a type", {
        field: "body",
      });
    }
    if (parsed.type === "url_verification") return { challenge: parsed.challenge ?? "" };
    if (parsed.type !== "event_callback" || !parsed.event || !parsed.event_id) return { ok: true };
    const event = parsed.event;
    const eventId = parsed.event_id;
    await db.transaction().execute(async (tx) => {
      if (!(await store.takeEvent(tx, eventId, clock.now()))) return;
      if (event.type === "message") await message(tx, event as SlackMessageEvent);
      else if (event.type === "reaction_added") await reaction(tx, event as SlackReactionEvent);
    });
    // Old deliveries are forgotten now and then (Slack retries within the hour).
    if (Math.random() < 0.01) await store.forgetEvents(db, new Date(clock.now().getTime() - 86_400_000));
    return { ok: true };
  }

  return {
    register(): void {
      jobs.register("slack.unlinked-message", unlinkedMessageJob);
      jobs.register("slack.ephemeral", ephemeralJob);
    },

    receive,

    routes(app: App): void {
      // The signature covers the raw bytes: the body is kept as text and parsed after checking.
      app.addContentTypeParser(
        ["application/json", "application/x-www-form-urlencoded"],
        { parseAs: "string" },
        (_req, body, done) => done(null, body),
      );
      app.post(
        "/integrations/slack/events",
        { schema: { tags: ["integrations"], security: [], hide: true, body: z.string() } },
        async (req) => {
          const raw = typeof req.body === "string" ? req.body : "";
          const check = verifySlackSignature({
            secret: deps.signingSecret,
            timestamp: req.headers["x-slack-request-timestamp"],
            signature: req.headers["x-slack-signature"],
            rawBody: raw,
            now: clock.now(),
          });
          if (!check.ok) throw new AppError("unauthenticated", check.reason);
          return receive(raw);
        },
      );
    },
  };
}
