/**
 * ntfy (https://ntfy.sh or a self-hosted server): one HTTP POST to the topic URL with the message
 * as the body and ntfy's publish headers — Title, Priority, Tags, Click (the page in Firebreak) and
 * Actions (an `http` button that POSTs to the page's acknowledge link, so the page is acknowledged
 * from the phone's notification without opening anything).
 *
 * An ntfy server usually sits on the team's own network, so topics are sent with the guarded
 * client's `private-network` reach: loopback and private addresses pass, link-local, metadata and
 * unspecified addresses do not (src/platform/outbound.ts). Redirects are not followed and the
 * answer's body is never read, as for webhooks.
 */
import { createOutbound, type Outbound } from "../platform/outbound.ts";
import { postJson } from "./http.ts";
import {
  type Channel,
  type DeliveryResult,
  isHttpUrl,
  type Notification,
  oneLine,
  permanent,
} from "./model.ts";

export type NtfyChannelOptions = {
  /** The guarded HTTP client. Default: no OUTBOUND_ALLOWED_HOSTS (not needed for ntfy's reach). */
  outbound?: Outbound;
  /** Whole-request deadline. Default 10 000 ms. */
  timeoutMs?: number;
  now?: () => Date;
};

/** ntfy's own limit: longer messages become attachments on ntfy.sh. */
const maxMessageBytes = 4000;
/** ntfy shows at most three action buttons. */
const maxActions = 3;

/**
 * A header value as ntfy reads it: ASCII as is, anything else RFC 2047 encoded
 * (`=?UTF-8?B?…?=`), which ntfy decodes; Node refuses raw non-ASCII header values.
 */
export function headerValue(value: string): string {
  const flat = oneLine(value, 250);
  return /^[\x20-\x7e]*$/.test(flat) ? flat : `=?UTF-8?B?${Buffer.from(flat, "utf8").toString("base64")}?=`;
}

/** An access token goes into a header: printable ASCII without spaces (ntfy's are `tk_…`). */
export function invalidTokenReason(token: string): string | undefined {
  return /^[\x21-\x7e]{1,200}$/.test(token)
    ? undefined
    : "access token must be 1-200 printable ASCII characters without spaces";
}

function truncateBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let cut = text.slice(0, max);
  while (Buffer.byteLength(cut) > max - 3) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** ntfy's publish headers for a notification (exported for tests and docs). */
export function ntfyHeaders(n: Notification): Record<string, string> {
  const notice = n.type === "notice";
  const high = !notice && n.pages.some((p) => p.urgency === "high");
  const headers: Record<string, string> = {
    "Content-Type": "text/plain; charset=utf-8",
    Title: headerValue(n.subject),
    // 5 = urgent (long vibration, bypasses Do Not Disturb where allowed), 3 = default.
    Priority: high ? "5" : "3",
    Tags: notice ? "firebreak,information_source" : high ? "firebreak,rotating_light" : "firebreak,warning",
  };
  const click = n.pages.find((p) => p.url && isHttpUrl(p.url))?.url;
  if (click) headers.Click = click;
  const actions = notice
    ? []
    : n.pages
        .filter((p) => p.ackUrl && isHttpUrl(p.ackUrl) && !/[,;]/.test(p.ackUrl))
        .slice(0, maxActions)
        .map((p) => {
          const label = n.pages.length === 1 ? "Acknowledge" : `Ack page ${p.id}`;
          return `http, ${label}, ${p.ackUrl}, method=POST, clear=true`;
        });
  if (actions.length > 0) headers.Actions = actions.join("; ");
  return headers;
}

export function createNtfyChannel(options: NtfyChannelOptions = {}): Channel {
  const outbound = options.outbound ?? createOutbound();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  return {
    kind: "ntfy",
    async send(n: Notification): Promise<DeliveryResult> {
      if (n.to.kind !== "ntfy") return permanent(`ntfy channel cannot send to ${n.to.kind}`);
      if (!isHttpUrl(n.to.url)) return permanent("ntfy topic URL must be http:// or https://");
      const headers = ntfyHeaders(n);
      if (n.to.token) {
        const bad = invalidTokenReason(n.to.token);
        if (bad) return permanent(bad);
        headers.Authorization = `Bearer ${n.to.token}`;
      }
      const body = truncateBytes(n.text, maxMessageBytes);
      return postJson({ outbound, url: n.to.url, body, headers, timeoutMs, now, reach: "private-network" });
    },
  };
}

/**
 * Why `address` is not an ntfy topic URL (null when it is): http(s), no credentials, query or
 * fragment, and a last path segment that is a topic name (ntfy allows letters, digits, `-`, `_`,
 * at most 64). Where it points is checked separately (the private-network reach).
 */
export function ntfyTopicProblem(address: string): string | null {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return "expected an ntfy topic URL such as https://ntfy.sh/firebreak-alice";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "expected an http:// or https:// URL";
  if (url.username || url.password) return "put no credentials in the URL: use an access token";
  if (url.search || url.hash) return "expected the topic URL without ?query or #fragment";
  const topic = url.pathname.split("/").pop() ?? "";
  if (!/^[-_A-Za-z0-9]{1,64}$/.test(topic))
    return "expected the topic as the URL's last part: letters, digits, - and _ (at most 64)";
  return null;
}

/** An access token as shown back: its last four characters only. */
export function maskToken(token: string): string {
  return token.length >= 12 ? `••••${token.slice(-4)}` : "••••";
}
