/**
 * SMS and voice calls through Twilio's REST API (2010-04-01): an SMS is `POST
 * /2010-04-01/Accounts/{AccountSid}/Messages.json`, a call `POST …/Calls.json`, both form-encoded
 * with HTTP Basic auth (account sid : auth token). Twilio then calls Firebreak back — the call's
 * TwiML, the caller's keypress, replies by SMS, status callbacks — at /integrations/twilio/…,
 * every request signed with `X-Twilio-Signature` (verified by `verifyTwilioSignature`).
 *
 * The API base is a setting (TWILIO_API_BASE) so tests can use a local server speaking Twilio's
 * format; requests go through the guarded outbound client like every other (a base on an
 * internal host must be on OUTBOUND_ALLOWED_HOSTS), without redirects and without reading the
 * answer's body, so `lastError` is the status code only (`HTTP 400 Bad Request`).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createOutbound, type Outbound } from "../platform/outbound.ts";
import { postJson } from "./http.ts";
import {
  type Channel,
  type DeliveryResult,
  type Notification,
  oneLine,
  permanent,
  retryable,
} from "./model.ts";

export type TwilioSettings = {
  accountSid: string;
  authToken: string;
  /** The sending number (E.164) or messaging sender. */
  from: string;
  /** Default https://api.twilio.com. */
  apiBase?: string;
};

export type TwilioChannelOptions = TwilioSettings & {
  /** Where Twilio reaches Firebreak back (FIREBREAK_PUBLIC_URL). */
  publicUrl: string;
  outbound?: Outbound;
  timeoutMs?: number;
  now?: () => Date;
  /**
   * Reserves a slot for one SMS to `number` (the per-number rate limit), or says how long to wait
   * (ms). Default: no limit.
   */
  reserveSms?: (number: string) => Promise<number | null>;
};

/** An E.164 phone number: `+`, a country code, at most 15 digits in all. */
export const isE164 = (value: string) => /^\+[1-9]\d{6,14}$/.test(value);

/** `X-Twilio-Signature`: base64 HMAC-SHA1 (auth token) of the full URL then each POST parameter, sorted, name and value. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac("sha1", authToken).update(Buffer.from(data, "utf8")).digest("base64");
}

/** Checks `X-Twilio-Signature` against the public URL Twilio called and the form parameters. */
export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string>,
  header: string | undefined,
): boolean {
  if (!authToken || !header) return false;
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The short text a page's SMS carries: the page number is the code to reply with. */
export function smsText(n: Notification): string {
  if (n.type === "notice" || n.pages.length === 0)
    return oneLine(`Firebreak: ${n.subject.replace(/^\[Firebreak\]\s*/, "")}`, 320);
  const first = n.pages[0]!;
  if (n.pages.length === 1)
    return oneLine(`Firebreak P${first.id}: ${first.title}. Reply ACK ${first.id} or RES ${first.id}`, 320);
  const list = n.pages.map((p) => `P${p.id}: ${oneLine(p.title, 60)}`).join("; ");
  return oneLine(`Firebreak, ${n.pages.length} pages. ${list}. Reply ACK <number> or RES <number>`, 320);
}

/** The token of a page's acknowledge link (`…/ack/<token>`), which the voice call's TwiML URL carries. */
export function ackToken(ackUrl: string | undefined): string | undefined {
  const m = ackUrl ? /\/ack\/([A-Za-z0-9_-]{10,200})$/.exec(ackUrl) : null;
  return m?.[1];
}

export function createTwilioChannels(options: TwilioChannelOptions): { sms: Channel; voice: Channel } {
  const outbound = options.outbound ?? createOutbound();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  const base = (options.apiBase ?? "https://api.twilio.com").replace(/\/$/, "");
  const publicUrl = options.publicUrl.replace(/\/$/, "");
  const auth = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString("base64")}`;
  const resource = (name: "Messages" | "Calls") =>
    `${base}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/${name}.json`;
  const post = (name: "Messages" | "Calls", form: Record<string, string>) =>
    postJson({
      outbound,
      url: resource(name),
      body: new URLSearchParams(form).toString(),
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Authorization: auth,
        Accept: "application/json",
      },
      timeoutMs,
      now,
    });
  const statusCallback = (n: Notification): Record<string, string> =>
    n.deliveryId === undefined
      ? {}
      : { StatusCallback: `${publicUrl}/integrations/twilio/status/${n.deliveryId}` };

  const sms: Channel = {
    kind: "sms",
    async send(n): Promise<DeliveryResult> {
      if (n.to.kind !== "sms") return permanent(`sms channel cannot send to ${n.to.kind}`);
      if (!isE164(n.to.number)) return permanent("expected an E.164 phone number such as +14155550100");
      const wait = await options.reserveSms?.(n.to.number);
      if (wait != null) return retryable(`rate limit for ${n.to.number}: sent later`, wait);
      return post("Messages", {
        To: n.to.number,
        From: options.from,
        Body: smsText(n),
        ...statusCallback(n),
      });
    },
  };
  const voice: Channel = {
    kind: "voice",
    async send(n): Promise<DeliveryResult> {
      if (n.to.kind !== "voice") return permanent(`voice channel cannot send to ${n.to.kind}`);
      if (!isE164(n.to.number)) return permanent("expected an E.164 phone number such as +14155550100");
      // A page: the call reads it and takes "1" to acknowledge; a notice or a test: it reads the subject.
      const token = n.type === "notice" ? undefined : ackToken(n.pages[0]?.ackUrl);
      const twiml: Record<string, string> = token
        ? { Url: `${publicUrl}/integrations/twilio/voice/${token}`, Method: "POST" }
        : { Twiml: noticeTwiml(n.subject) };
      return post("Calls", { To: n.to.number, From: options.from, ...twiml, ...statusCallback(n) });
    },
  };
  return { sms, voice };
}

/** Escapes text for XML element content. */
export const xmlText = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] ?? c,
  );

export const twiml = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>`;

function noticeTwiml(subject: string): string {
  return twiml(`<Say>${xmlText(oneLine(subject.replace(/^\[Firebreak\]\s*/, "Firebreak: "), 300))}</Say>`);
}
