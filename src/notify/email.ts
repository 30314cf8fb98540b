/**
 * Email over SMTP with nodemailer. The Message-ID is derived from the idempotency key, so a
 * retried send carries the same Message-ID and mail systems that deduplicate on it (Gmail and
 * most clients do) show one message.
 */
import { createTransport, type NodemailerError } from "nodemailer";
import {
  type Channel,
  type DeliveryResult,
  delivered,
  escapeHtml,
  invalidKeyReason,
  isHttpUrl,
  type Notification,
  oneLine,
  permanent,
  plainText,
  retryable,
} from "./model.ts";

export type EmailChannelOptions = {
  /** `smtp://user:pass@host:587` or `smtps://…:465`; query parameters set nodemailer options. */
  smtpUrl: string;
  /** The From address, e.g. `Firebreak <pager@example.com>`. */
  from: string;
  /** Connect, greeting and per-command deadline. Default 10 000 ms (nodemailer's is minutes). */
  timeoutMs?: number;
};

export type EmailChannel = Channel & { close(): Promise<void> };

export const emailIdempotencyHeader = "X-Firebreak-Idempotency-Key";

const atext = new Set(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+/?^_`{|}~-".split(""),
);

/**
 * `<key@firebreak>`, with every character that is not allowed in a Message-ID (RFC 5322 atext),
 * and `=` and `.` themselves, written as `=XX`: the mapping stays one-to-one, so distinct keys
 * never share a Message-ID (`page:12` → `<page=3A12@firebreak>`).
 */
export function messageIdFor(key: string): string {
  const local = Array.from(Buffer.from(key, "utf8"))
    .map((b) => {
      const c = String.fromCharCode(b);
      return atext.has(c) ? c : `=${b.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
  return `<${local}@firebreak>`;
}

// Deliberately simple: one address, no display name, no spaces or separators that would let a
// stored value add recipients. The SMTP server has the final word (550 → permanent).
const addressPattern = /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\]+\.[^\s@<>(),;:"[\]\\]+$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && addressPattern.test(value);
}

/** The HTML alternative: every interpolated value escaped, only http(s) links made clickable. */
export function emailHtml(n: Notification): string {
  const paragraphs = n.text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`)
    .join("");
  const links = n.links
    .map((l) =>
      isHttpUrl(l.url)
        ? `<li><a href="${escapeHtml(l.url)}">${escapeHtml(l.label)}</a></li>`
        : `<li>${escapeHtml(l.label)}: ${escapeHtml(l.url)}</li>`,
    )
    .join("");
  const title = escapeHtml(oneLine(n.subject));
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1 style="font-size:18px">${title}</h1>${paragraphs}${links ? `<ul>${links}</ul>` : ""}</body></html>`;
}

/** Headers the channel sets itself: a caller's extra headers never replace them. */
const ownHeaders = new Set([
  "from",
  "to",
  "cc",
  "bcc",
  "sender",
  "reply-to",
  "subject",
  "date",
  "message-id",
  "mime-version",
  "content-type",
  "content-transfer-encoding",
  emailIdempotencyHeader.toLowerCase(),
]);

/** A caller's extra headers that are safe to pass on: token names, one-line bounded values. */
export function extraHeaders(headers: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(name) || ownHeaders.has(name.toLowerCase())) continue;
    if (/[\r\n]/.test(value) || value.length > 2000) continue;
    out[name] = value;
  }
  return out;
}

/** Failures no retry fixes: credentials, configuration, a message or envelope the server cannot take. */
const permanentCodes = new Set([
  "EAUTH",
  "ENOAUTH",
  "EOAUTH2",
  "ECONFIG",
  "EENVELOPE",
  "EMESSAGE",
  "EREQUIRETLS",
]);

/**
 * An SMTP failure as a DeliveryResult. A reply code decides when there is one (4xx: the server
 * asks us to come back; 5xx: it will refuse this message again). Without one, a configuration or
 * envelope problem is permanent, and anything else (refused, reset, DNS, TLS, timeouts, the
 * unforeseen) is retryable: retrying is the choice that never loses a page.
 */
export function classifySmtpError(err: NodemailerError): DeliveryResult {
  const reason = oneLine(`${err.code ?? "SMTP"}: ${err.response ?? err.message}`, 300);
  const code = err.responseCode;
  if (code !== undefined && code >= 400 && code < 500) return retryable(reason);
  if (code !== undefined && code >= 500 && code < 600) return permanent(reason);
  if (err.code !== undefined && permanentCodes.has(err.code)) return permanent(reason);
  return retryable(reason);
}

export function createEmailChannel(options: EmailChannelOptions): EmailChannel {
  const timeoutMs = options.timeoutMs ?? 10_000;
  // A pool keeps a few connections open: paging bursts skip the TCP+EHLO round trips.
  // Settings in the URL win over these defaults.
  const transport = createTransport({
    url: options.smtpUrl,
    pool: true,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs * 3,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    kind: "email",
    async send(n: Notification): Promise<DeliveryResult> {
      if (n.to.kind !== "email") return permanent(`email channel cannot send to ${n.to.kind}`);
      if (!isEmailAddress(n.to.address))
        return permanent(`invalid email address: ${oneLine(n.to.address, 100)}`);
      const badKey = invalidKeyReason(n.idempotencyKey);
      if (badKey) return permanent(badKey);
      try {
        const info = await transport.sendMail({
          from: options.from,
          to: n.to.address,
          subject: oneLine(n.subject),
          text: plainText(n),
          html: emailHtml(n),
          messageId: messageIdFor(n.idempotencyKey),
          headers: { ...extraHeaders(n.headers), [emailIdempotencyHeader]: n.idempotencyKey },
        });
        // The server's answer usually names its queue id: what an operator greps for in MTA logs.
        return delivered(info.response);
      } catch (err) {
        return classifySmtpError(err instanceof Error ? err : new Error(String(err)));
      }
    },
    async close(): Promise<void> {
      transport.close();
    },
  };
}
