/**
 * Web Push (RFC 8030) to the web app installed on a device: the message is encrypted for the
 * browser's subscription (RFC 8291, `aes128gcm`) and signed with Firebreak's VAPID key (RFC 8292),
 * both by the `web-push` package's `generateRequestDetails`. The push service's endpoint is an
 * address the browser vendor chose, so the request itself goes through the guarded outbound POST
 * (src/platform/outbound.ts) like every other outgoing request: `web-push`'s own sender uses
 * `https.request` with an agent or proxy of its own, which would skip the connect-time address
 * check; building the request with `web-push` and sending it ourselves keeps that check.
 *
 * A push service answering 404 or 410 says the subscription is gone for good (the person
 * unsubscribed, or the browser dropped it): `onGone` removes it so it is not tried again.
 */
import webpush from "web-push";
import { createOutbound, type Outbound } from "../platform/outbound.ts";
import { postJson } from "./http.ts";
import {
  type Channel,
  type DeliveryResult,
  invalidKeyReason,
  isHttpUrl,
  type Notification,
  oneLine,
  permanent,
} from "./model.ts";

export type VapidKeys = { publicKey: string; privateKey: string; subject: string };

/** A browser's PushSubscription as `toJSON()` gives it: the endpoint and its two keys (base64url). */
export type PushSubscriptionKeys = { p256dh: string; auth: string };

export type PushChannelOptions = {
  /** Firebreak's VAPID key pair and contact (settings, or the pair kept in the database). */
  vapid: () => Promise<VapidKeys>;
  /** Called with the endpoint when the push service says the subscription no longer exists. */
  onGone?: (endpoint: string) => Promise<void>;
  outbound?: Outbound;
  /** Whole-request deadline. Default 10 000 ms. */
  timeoutMs?: number;
  now?: () => Date;
  /** How long the push service keeps an undelivered message, in seconds. Default 1 hour. */
  ttlSeconds?: number;
};

/** What the service worker (web/public/sw.js) receives, as JSON. */
export type PushPayload = {
  type: "page" | "notice";
  title: string;
  body: string;
  /** Groups a page's messages on the device: a re-notification replaces the earlier one. */
  tag: string;
  pageId: number | null;
  /** POST here to acknowledge the page (the notification's "Acknowledge" action). */
  ackUrl: string | null;
  /** Opened when the notification is clicked. */
  url: string;
  urgency: "high" | "low";
};

/** A push service accepts at most 4096 bytes of encrypted payload; keep the text well inside. */
const maxBodyChars = 1000;

export function pushPayload(n: Notification): PushPayload {
  const page = n.pages[0];
  const ackUrl = n.pages.length === 1 && page?.ackUrl && isHttpUrl(page.ackUrl) ? page.ackUrl : null;
  const origin = ackUrl ? new URL(ackUrl).origin : "";
  const title = n.subject.replace(/^\[Firebreak\]\s*/, "");
  return {
    type: n.type === "notice" ? "notice" : "page",
    title: oneLine(title, 120),
    body: n.text.length > maxBodyChars ? `${n.text.slice(0, maxBodyChars - 1)}…` : n.text,
    tag: page ? `firebreak-page-${page.id}` : `firebreak-${n.idempotencyKey.slice(0, 60)}`,
    pageId: n.pages.length === 1 && page ? page.id : null,
    ackUrl,
    // The page's incident (or the alerts screen, for a page without one).
    url: (n.pages.length === 1 && page?.url && isHttpUrl(page.url) ? page.url : null) ?? `${origin}/alerts`,
    urgency: n.pages.some((p) => p.urgency === "high") ? "high" : "low",
  };
}

export function createPushChannel(options: PushChannelOptions): Channel {
  const outbound = options.outbound ?? createOutbound();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  const ttl = options.ttlSeconds ?? 3600;
  return {
    kind: "push",
    async send(n: Notification): Promise<DeliveryResult> {
      if (n.to.kind !== "push") return permanent(`push channel cannot send to ${n.to.kind}`);
      if (!isHttpUrl(n.to.endpoint)) return permanent("push endpoint must be an https:// URL");
      const badKey = invalidKeyReason(n.idempotencyKey);
      if (badKey) return permanent(badKey);
      const payload = pushPayload(n);
      let details: webpush.RequestDetails;
      try {
        const vapid = await options.vapid();
        details = webpush.generateRequestDetails(
          { endpoint: n.to.endpoint, keys: n.to.keys },
          JSON.stringify(payload),
          {
            vapidDetails: vapid,
            TTL: ttl,
            urgency: payload.urgency === "high" ? "high" : "normal",
            contentEncoding: "aes128gcm",
          },
        );
      } catch (err) {
        // Malformed subscription keys: the browser has to subscribe again.
        return permanent(`cannot encrypt for this subscription: ${err instanceof Error ? err.message : err}`);
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(details.headers)) {
        if (name.toLowerCase() !== "content-length") headers[name] = String(value);
      }
      const result = await postJson({
        outbound,
        url: details.endpoint,
        body: details.body ?? new Uint8Array(),
        headers,
        timeoutMs,
        now,
      });
      if (result.status === "failed-permanent" && /^HTTP (404|410)\b/.test(result.reason)) {
        await options.onGone?.(n.to.endpoint);
        return permanent(`${result.reason}: the subscription has expired and was removed`);
      }
      return result.status === "failed-permanent" && /^HTTP 413\b/.test(result.reason)
        ? permanent(`${result.reason}: the message is too large for the push service`)
        : result;
    },
  };
}
