/**
 * Notification channels: the one small interface every provider (email, webhook, chat; later SMS,
 * voice, push) implements, and the pure helpers they share. No I/O here.
 */
import { STATUS_CODES } from "node:http";

export type ContactMethod =
  | { kind: "email"; address: string }
  | { kind: "webhook"; url: string; secret: string }
  /** A browser's Web Push subscription (the web app installed on a device): its endpoint and keys. */
  | { kind: "push"; endpoint: string; keys: { p256dh: string; auth: string } }
  /** Slack incoming-webhook compatible (Slack, Mattermost, Rocket.Chat, …). */
  | { kind: "chat"; url: string }
  /** An ntfy topic URL; `token` is sent as `Authorization: Bearer` when the topic needs one. */
  | { kind: "ntfy"; url: string; token: string | null }
  /** A phone number (E.164) texted or called through Twilio. */
  | { kind: "sms"; number: string }
  | { kind: "voice"; number: string };

export type PageRef = {
  id: number;
  title: string;
  urgency: "high" | "low";
  ackUrl?: string;
  /** Where to look at it in Firebreak: its incident, or the alerts screen. */
  url?: string;
};
export type Link = { label: string; url: string };

export type Notification = {
  /** The same key twice never produces two deliveries where the provider can deduplicate. */
  idempotencyKey: string;
  /** The delivery this is (providers that call back with receipts name it: Twilio). */
  deliveryId?: number;
  to: ContactMethod;
  subject: string;
  text: string;
  links: Link[];
  /** What this notification is about: one page, or several when the throttle batched them. */
  pages: PageRef[];
  /**
   * A page (to acknowledge) or a notice: a reminder or notification from the process that asks
   * for no acknowledgement (COMM-1 reminders, PAGE-6 notices). Pages when absent.
   */
  type?: "page" | "notice";
  /**
   * Extra message headers, for channels that have headers (email): e.g. `List-Unsubscribe` and
   * `List-Unsubscribe-Post` (RFC 8058) on status page mail. Others ignore them.
   */
  headers?: Record<string, string>;
};

export type DeliveryResult =
  | { status: "delivered"; providerId?: string }
  | { status: "failed-retryable"; reason: string; retryAfterMs?: number }
  | { status: "failed-permanent"; reason: string };

/** A provider. `send` never throws: every outcome is a DeliveryResult the engine can act on. */
export interface Channel {
  kind: ContactMethod["kind"];
  send(n: Notification): Promise<DeliveryResult>;
}

export const delivered = (providerId?: string): DeliveryResult =>
  providerId === undefined ? { status: "delivered" } : { status: "delivered", providerId };
export const retryable = (reason: string, retryAfterMs?: number): DeliveryResult =>
  retryAfterMs === undefined
    ? { status: "failed-retryable", reason }
    : { status: "failed-retryable", reason, retryAfterMs };
export const permanent = (reason: string): DeliveryResult => ({ status: "failed-permanent", reason });

/**
 * Identifies a contact method for throttling and logs. The webhook secret is left out on purpose:
 * keys end up in job keys and log lines, secrets must not.
 */
export function contactKey(to: ContactMethod): string {
  switch (to.kind) {
    case "email":
      return `email:${to.address.trim().toLowerCase()}`;
    case "webhook":
      return `webhook:${to.url}`;
    case "push":
      return `push:${to.endpoint}`;
    case "chat":
      return `chat:${to.url}`;
    case "ntfy":
      return `ntfy:${to.url}`;
    case "sms":
    case "voice":
      return `${to.kind}:${to.number}`;
  }
}

/**
 * Keys travel in headers and Message-IDs: printable ASCII, bounded. The engine builds them from
 * what they are about (`page:12:rule:3:step:1`), so anything else is a bug worth failing loudly on.
 */
export function invalidKeyReason(key: string): string | undefined {
  if (!/^[\x21-\x7e]{1,200}$/.test(key)) {
    return "idempotency key must be 1-200 printable ASCII characters without spaces";
  }
  return undefined;
}

/** Only http(s): a stored `file:` or `javascript:` URL must never be fetched or rendered as a link. */
export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

/** One line, bounded: subjects go into headers and chat titles where newlines break things. */
export function oneLine(value: string, max = 200): string {
  const flat = value.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** Escapes text for HTML element content and quoted attribute values (one helper for every page). */
export { escapeHtml } from "../platform/html.ts";

/** The plain-text body every text-based channel sends: the text, then one line per link. */
export function plainText(n: Notification): string {
  if (n.links.length === 0) return n.text;
  return `${n.text}\n\n${n.links.map((l) => `${oneLine(l.label, 80)}: ${l.url}`).join("\n")}`;
}

/** A receiver's Retry-After is capped: a page must not sit for hours on a receiver's say-so. */
export const maxRetryAfterMs = 60 * 60_000;

/**
 * `Retry-After` (RFC 9110 §10.2.3) as milliseconds from `now`: delta-seconds or an HTTP-date.
 * Undefined when absent or unparseable, so the engine's own back-off applies.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  let ms: number;
  if (/^\d+$/.test(v)) {
    ms = Number(v) * 1000;
  } else if (/^[A-Za-z]{3}/.test(v)) {
    // Every HTTP-date form starts with a day name; V8's Date.parse would also take "-5".
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = at - now.getTime();
  } else {
    return undefined;
  }
  return Math.min(Math.max(ms, 0), maxRetryAfterMs);
}

/**
 * The HTTP answer of a webhook-style receiver as a DeliveryResult. 408, 429 and 5xx are the
 * receiver's temporary trouble; any other 4xx (and a redirect, which we do not follow so the
 * signed body is never re-sent elsewhere) will fail the same way next time. The reason is the
 * code and its standard name (`HTTP 404 Not Found`), never the receiver's own text.
 */
export function classifyHttpStatus(status: number, retryAfter: string | null, now: Date): DeliveryResult {
  const name = STATUS_CODES[status];
  const reason = name ? `HTTP ${status} ${name}` : `HTTP ${status}`;
  if (status >= 200 && status < 300) return delivered();
  if (status === 408 || status === 429 || status >= 500)
    return retryable(reason, parseRetryAfter(retryAfter, now));
  if (status >= 300 && status < 400)
    return permanent(`${reason} (redirects are not followed: use the final URL)`);
  return permanent(reason);
}
