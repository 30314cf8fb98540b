/**
 * What Twilio tells Firebreak back about SMS and voice pages (src/notify/twilio.ts sends them):
 * - a reply by SMS, `ACK 123` or `RES 123` (also `ack p123`, `resolve 123`), from a number that
 *   is an SMS contact method of a person the page was sent to, acknowledges or resolves it as them;
 * - a voice call's TwiML reads the page and takes `1` to acknowledge, through the page's
 *   single-use acknowledge link (the call's URL carries its token);
 * - status callbacks record what Twilio last said about a delivery's message or call;
 * - the per-number SMS rate limit.
 * Every request is checked against X-Twilio-Signature by the routes before it gets here.
 */
import { sql } from "kysely";
import { oneLine } from "../notify/model.ts";
import { twiml, xmlText } from "../notify/twilio.ts";
import { type Actor, hashToken } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { AppError } from "../platform/errors.ts";
import type { PagingService } from "./service.ts";
import type { PagingDb } from "./store.ts";
import * as store from "./store.ts";

/** At most one SMS per number per 10 s, and 30 an hour. */
export const SMS_MIN_GAP_MS = 10_000;
export const SMS_PER_HOUR = 30;

/**
 * Reserves a slot for one SMS to `number`, or answers how many ms to wait. Serialised per number
 * with an advisory lock, so replicas sending at once cannot both take the last slot.
 */
export function createSmsRateLimit(deps: { db: PagingDb; clock: Clock }) {
  return (number: string): Promise<number | null> =>
    deps.db.transaction().execute(async (tx) => {
      const now = deps.clock.now();
      const hourAgo = new Date(now.getTime() - 3600_000);
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`twilio-sms:${number}`}))`.execute(tx);
      await sql`DELETE FROM twilio_sms_sends WHERE number = ${number} AND sent_at <= ${hourAgo}`.execute(tx);
      const recent = (
        await sql<{ sent_at: Date }>`
          SELECT sent_at FROM twilio_sms_sends WHERE number = ${number} ORDER BY sent_at DESC`.execute(tx)
      ).rows.map((r) => r.sent_at.getTime());
      const last = recent[0];
      if (last !== undefined && now.getTime() - last < SMS_MIN_GAP_MS)
        return last + SMS_MIN_GAP_MS - now.getTime();
      if (recent.length >= SMS_PER_HOUR) return recent[SMS_PER_HOUR - 1]! + 3600_000 - now.getTime();
      await sql`INSERT INTO twilio_sms_sends (number, sent_at) VALUES (${number}, ${now})`.execute(tx);
      return null;
    });
}

/** `ACK 123`, `ack p123`, `Resolve 123`, `res #123`: the action and the page number, or null. */
export function parseReply(body: string): { action: "acknowledge" | "resolve"; pageId: number } | null {
  const m = /^\s*(ack|acknowledge|res|resolve)\s*[#pP]?\s*(\d{1,12})\s*[.!]?\s*$/i.exec(body);
  if (!m) return null;
  return { action: /^ack/i.test(m[1]!) ? "acknowledge" : "resolve", pageId: Number(m[2]) };
}

/** Order of Twilio's statuses: a late callback for an earlier status does not overwrite a later one. */
const statusRank: Record<string, number> = {
  accepted: 0,
  scheduled: 0,
  queued: 0,
  initiated: 0,
  sending: 1,
  ringing: 1,
  sent: 2,
  "in-progress": 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
  read: 4,
  completed: 3,
  busy: 3,
  "no-answer": 3,
  canceled: 3,
};

const message = (text: string) => twiml(`<Message>${xmlText(oneLine(text, 300))}</Message>`);
const say = (text: string) => `<Say>${xmlText(oneLine(text, 400))}</Say>`;

export function createTwilioInbound(deps: {
  db: PagingDb;
  clock: Clock;
  paging: Pick<PagingService, "acknowledge" | "resolve" | "acknowledgeByLink">;
  publicUrl: string;
}) {
  const { db } = deps;
  const publicUrl = deps.publicUrl.replace(/\/$/, "");
  const voiceUrl = (token: string) => `${publicUrl}/integrations/twilio/voice/${token}`;

  return {
    /** The TwiML answering an SMS sent to Firebreak's number. */
    async smsReply(from: string, body: string): Promise<string> {
      const reply = parseReply(body);
      if (!reply) return message("Firebreak: reply ACK <page number> or RES <page number>, e.g. ACK 123");
      const code = `P${reply.pageId}`;
      // The people whose SMS contact method is this number, and to whom this page was sent.
      const people = await sql<{ user_id: string }>`
        SELECT DISTINCT d.user_id FROM deliveries d
          JOIN contact_methods cm ON cm.user_id = d.user_id AND cm.kind = 'sms' AND cm.address = ${from}
         WHERE ${reply.pageId}::bigint = ANY (d.page_ids)`.execute(db);
      const userId = people.rows[0] ? Number(people.rows[0].user_id) : undefined;
      if (userId === undefined) return message(`Firebreak: ${code} was not sent to this number.`);
      const actor: Actor = { id: userId, username: "", role: "responder", tokenId: 0 };
      try {
        const page = await deps.paging[reply.action](actor, reply.pageId);
        const done = reply.action === "acknowledge" ? "Acknowledged" : "Resolved";
        return message(`Firebreak: ${done} ${code}: ${page.title}`);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        return message(`Firebreak: ${code} not changed: ${err.message}`);
      }
    },

    /** The TwiML a voice page's call plays: the page, and "press 1 to acknowledge". */
    async voiceAnswer(token: string): Promise<string> {
      const link = await db
        .selectFrom("ack_links")
        .selectAll()
        .where("token_hash", "=", hashToken(token))
        .executeTakeFirst();
      const page = link && (await store.getPage(db, link.page_id));
      if (!link || !page) return twiml(say("This Firebreak page is not known. Goodbye."));
      const what = `Firebreak page ${page.id}. ${page.title}. ${page.urgency} urgency.`;
      if (page.state !== "triggered") return twiml(say(`${what} It is already ${page.state}. Goodbye.`));
      if (link.used_at || link.expires_at < deps.clock.now())
        return twiml(say(`${what} Acknowledge it in Firebreak. Goodbye.`));
      return twiml(
        `<Gather numDigits="1" action="${xmlText(`${voiceUrl(token)}/gather`)}" method="POST" timeout="10">` +
          `${say(`${what} Press 1 to acknowledge.`)}</Gather>${say("No key was pressed. Goodbye.")}`,
      );
    },

    /** The Gather's action: "1" acknowledges the page as the person called. */
    async voiceGather(token: string, digits: string): Promise<string> {
      if (digits !== "1")
        return twiml(
          `${say("Press 1 to acknowledge.")}<Redirect method="POST">${xmlText(voiceUrl(token))}</Redirect>`,
        );
      try {
        const r = await deps.paging.acknowledgeByLink(token);
        return twiml(
          say(
            r.outcome === "acknowledged"
              ? `Acknowledged page ${r.page.id}. Goodbye.`
              : `Page ${r.page.id} is already ${r.page.state}. Goodbye.`,
          ),
        );
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        return twiml(say(`${err.message}. Goodbye.`));
      }
    },

    /**
     * A status callback: the message's or call's sid, status and error code on its delivery.
     * False when there is no such delivery.
     */
    async receipt(deliveryId: number, p: Record<string, string>): Promise<boolean> {
      const sid = p.MessageSid ?? p.CallSid ?? null;
      const status = (p.MessageStatus ?? p.CallStatus ?? "").toLowerCase();
      if (!status)
        return (
          (await db.selectFrom("deliveries").select("id").where("id", "=", deliveryId).executeTakeFirst()) !==
          undefined
        );
      return db.transaction().execute(async (tx) => {
        const d = await store.lockDelivery(tx, deliveryId);
        if (!d) return false;
        const before = d.receipt_status ? (statusRank[d.receipt_status] ?? 0) : -1;
        if ((statusRank[status] ?? 0) >= before)
          await tx
            .updateTable("deliveries")
            .set({
              provider_id: sid,
              receipt_status: status.slice(0, 40),
              receipt_error_code: p.ErrorCode ? p.ErrorCode.slice(0, 20) : null,
              receipt_at: deps.clock.now(),
            })
            .where("id", "=", deliveryId)
            .execute();
        return true;
      });
    },
  };
}

export type TwilioInbound = ReturnType<typeof createTwilioInbound>;
