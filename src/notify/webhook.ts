/**
 * Outgoing webhooks, signed so the receiver can tell they come from Firebreak and are fresh:
 * `Firebreak-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The timestamp is inside the signed string, so an old request cannot be replayed with a new one.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createOutbound, type Outbound } from "../platform/outbound.ts";
import { postJson } from "./http.ts";
import {
  type Channel,
  type DeliveryResult,
  invalidKeyReason,
  isHttpUrl,
  type Notification,
  permanent,
} from "./model.ts";

export type WebhookChannelOptions = {
  /** The guarded HTTP client. Default: public internet only (no OUTBOUND_ALLOWED_HOSTS). */
  outbound?: Outbound;
  /** Whole-request deadline. Default 10 000 ms. */
  timeoutMs?: number;
  /** Clock for `sentAt`, the signature timestamp and Retry-After dates. Default: system time. */
  now?: () => Date;
};

/** What the receiver gets as the JSON body. */
export type WebhookPayload = {
  type: "page.notification" | "incident.notice";
  idempotencyKey: string;
  subject: string;
  text: string;
  links: Notification["links"];
  pages: Notification["pages"];
  sentAt: string;
};

export const signatureHeader = "Firebreak-Signature";
export const idempotencyHeader = "Firebreak-Idempotency-Key";

const hmacHex = (secret: string, t: number, rawBody: string): string =>
  createHmac("sha256", secret).update(`${t}.${rawBody}`, "utf8").digest("hex");

/** The `Firebreak-Signature` header value for `rawBody` signed at `unixSeconds`. */
export function signWebhook(rawBody: string, secret: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  return `t=${t},v1=${hmacHex(secret, t, rawBody)}`;
}

/**
 * Checks a `Firebreak-Signature` header against the raw request body (the exact bytes received,
 * before any JSON parsing). False when the header is malformed, the timestamp is more than
 * `toleranceSeconds` away from `nowSeconds` (replay protection; either direction, for clock skew),
 * or no `v1` matches. Several `v1=` entries are accepted so a receiver can rotate secrets.
 */
export function verifyWebhookSignature(
  rawBody: string,
  header: string,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  // An empty secret would make every forged signature "valid" for a misconfigured receiver.
  if (secret === "") return false;
  let t: number | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2);
    if (key === "t" && value !== undefined && /^\d{1,12}$/.test(value)) t = Number(value);
    if (key === "v1" && value !== undefined && /^[0-9a-fA-F]{64}$/.test(value)) {
      candidates.push(Buffer.from(value, "hex"));
    }
  }
  if (t === undefined || candidates.length === 0) return false;
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, t, rawBody), "hex");
  // Compare against every candidate without stopping early: timing reveals nothing about which.
  let ok = false;
  for (const c of candidates) ok = timingSafeEqual(expected, c) || ok;
  return ok;
}

export function createWebhookChannel(options: WebhookChannelOptions = {}): Channel {
  const outbound = options.outbound ?? createOutbound();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  return {
    kind: "webhook",
    async send(n: Notification): Promise<DeliveryResult> {
      if (n.to.kind !== "webhook") return permanent(`webhook channel cannot send to ${n.to.kind}`);
      if (!isHttpUrl(n.to.url)) return permanent("webhook URL must be http:// or https://");
      const badKey = invalidKeyReason(n.idempotencyKey);
      if (badKey) return permanent(badKey);
      if (n.to.secret === "") return permanent("webhook secret is empty: set one on the contact method");
      const at = now();
      const payload: WebhookPayload = {
        type: n.type === "notice" ? "incident.notice" : "page.notification",
        idempotencyKey: n.idempotencyKey,
        subject: n.subject,
        text: n.text,
        links: n.links,
        pages: n.pages,
        sentAt: at.toISOString(),
      };
      const body = JSON.stringify(payload);
      return postJson({
        outbound,
        url: n.to.url,
        body,
        timeoutMs,
        now,
        headers: {
          [idempotencyHeader]: n.idempotencyKey,
          [signatureHeader]: signWebhook(body, n.to.secret, at.getTime() / 1000),
        },
      });
    },
  };
}
