/**
 * Status page subscribers, the pure part: what a valid address is, which webhook URLs are
 * refused (the addresses themselves are judged by src/platform/outbound.ts), how a client is counted for rate limits, the tokens of links, and the messages sent.
 * No I/O, no clock.
 */
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { domainToASCII } from "node:url";
import { invalid } from "../platform/errors.ts";
import { type AllowList, expandIPv6, formReason } from "../platform/outbound.ts";
import { componentStatusLabels, formatDateTime, stateLabels } from "./render.ts";
import type { ComponentStatus, IncidentState, MaintenanceState } from "./types.ts";

export type SubscriberKind = "email" | "webhook";
export type Target = { kind: SubscriberKind; address: string };

/** 32 random bytes, base64url (43 characters): what confirm and unsubscribe links carry. */
export const newLinkToken = (): string => randomBytes(32).toString("base64url");
/** A link token as it is well-formed; anything else is not looked up at all. */
export const isLinkToken = (value: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(value);

// -- email addresses ----------------------------------------------------------------------------

const MAX_ADDRESS = 254; // RFC 5321's path limit less the angle brackets
const MAX_LOCAL = 64;
// A dot-atom local part: what nearly every real address is. Quoted local parts are refused.
const localPart = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A subscriber's email address, checked and normalized (trimmed, lowercase, the domain in
 * ASCII), or an `invalid-request` naming the field. Deliberately plain: one mailbox, a dot-atom
 * local part, a domain with at least two labels and an alphabetic (or IDN) top-level label.
 */
export function parseEmail(value: string, field = "email"): string {
  const v = value.trim();
  if (v.length === 0) throw invalid(field, "enter an email address");
  if (v.length > MAX_ADDRESS) throw invalid(field, `at most ${MAX_ADDRESS} characters`);
  const at = v.lastIndexOf("@");
  if (at <= 0 || at === v.length - 1) throw invalid(field, "expected an address such as name@example.com");
  const local = v.slice(0, at);
  const domain = domainToASCII(v.slice(at + 1).toLowerCase());
  if (local.length > MAX_LOCAL) throw invalid(field, `the part before @ has at most ${MAX_LOCAL} characters`);
  if (!localPart.test(local))
    throw invalid(field, "the part before @ may hold letters, digits, dots and !#$%&'*+/=?^_`{|}~- only");
  const labels = domain.split(".");
  const top = labels[labels.length - 1] ?? "";
  if (
    domain === "" ||
    labels.length < 2 ||
    !labels.every((l) => label.test(l)) ||
    !/^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(top)
  )
    throw invalid(field, "the part after @ is not a domain name such as example.com");
  const address = `${local}@${domain}`.toLowerCase();
  if (address.length > MAX_ADDRESS) throw invalid(field, `at most ${MAX_ADDRESS} characters`);
  return address;
}

// -- webhook URLs -------------------------------------------------------------------------------

const MAX_URL = 2000;

/**
 * A webhook URL as given, checked: http(s), no credentials in it, at most 2000 characters; and not
 * naming a host that is not on the public internet (an IP literal, or a name such as localhost)
 * unless OUTBOUND_ALLOWED_HOSTS allows it. Host names are resolved by the service, and checked
 * again when each POST connects (src/platform/outbound.ts).
 */
export function parseWebhookUrl(value: string, allowed: AllowList, field = "webhookUrl"): URL {
  const v = value.trim();
  if (v.length === 0) throw invalid(field, "enter an http:// or https:// URL");
  if (v.length > MAX_URL) throw invalid(field, `at most ${MAX_URL} characters`);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw invalid(field, "not a URL; expected one such as https://example.com/hooks/status");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw invalid(field, "only http:// and https:// URLs receive webhooks");
  if (url.username || url.password)
    throw invalid(field, "no user name or password in the URL: it is shown to administrators");
  url.hash = "";
  const problem = formReason(url.hostname, allowed);
  if (problem) throw invalid(field, problem);
  return url;
}

// -- rate limits --------------------------------------------------------------------------------

/**
 * The client a rate limit counts: an IPv4 address, or an IPv6 /64 (one host usually holds a
 * whole /64, so counting single IPv6 addresses would not limit anybody).
 */
export function clientNetwork(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped) return mapped;
  if (isIP(ip) !== 6) return ip;
  const g = expandIPv6(ip.replace(/%.*$/, ""));
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(":")}::/64`;
}

// -- messages -----------------------------------------------------------------------------------

export type UpdateFacts = {
  page: { id: number; slug: string; name: string; timeZone: string };
  incident: {
    id: number;
    name: string;
    kind: "incident" | "maintenance";
    status: string;
    impact: string;
    scheduledFor: Date | null;
    scheduledUntil: Date | null;
  };
  update: {
    id: number;
    status: string;
    body: string;
    publishedAt: Date;
    affected: { componentId: number; name: string; oldStatus?: string; newStatus: string }[];
  };
  urls: { page: string; incident: string; unsubscribe: string };
};

const stateLabel = (s: string) => stateLabels[s as IncidentState | MaintenanceState] ?? s;
const componentLabel = (s: string) => componentStatusLabels[s as ComponentStatus] ?? s;

/** An update as an email: "[page] incident: status", the message, what it affects, the links. */
export function updateEmail(f: UpdateFacts) {
  const lines = [`${f.incident.name}: ${stateLabel(f.update.status)}`, "", f.update.body.trim()];
  if (f.incident.kind === "maintenance" && f.incident.scheduledFor && f.incident.scheduledUntil)
    lines.push(
      "",
      `Scheduled from ${formatDateTime(f.incident.scheduledFor, f.page.timeZone)} to ${formatDateTime(f.incident.scheduledUntil, f.page.timeZone)}.`,
    );
  if (f.update.affected.length)
    lines.push(
      "",
      "Affected components:",
      ...f.update.affected.map((a) => `- ${a.name}: ${componentLabel(a.newStatus)}`),
    );
  lines.push(
    "",
    `Posted ${formatDateTime(f.update.publishedAt, f.page.timeZone)} on the ${f.page.name} status page.`,
  );
  return {
    subject: `[${f.page.name}] ${f.incident.name}: ${stateLabel(f.update.status)}`,
    text: lines.join("\n"),
    links: [
      { label: "View the incident", url: f.urls.incident },
      { label: "Unsubscribe", url: f.urls.unsubscribe },
    ],
    headers: listHeaders(f.urls.unsubscribe, f.urls.page),
  };
}

/** An update as a webhook's JSON body (signed by the caller). */
export function updatePayload(f: UpdateFacts, idempotencyKey: string, sentAt: Date) {
  const email = updateEmail(f);
  return {
    type: "status.update" as const,
    idempotencyKey,
    subject: email.subject,
    text: email.text,
    page: { id: f.page.id, slug: f.page.slug, name: f.page.name, url: f.urls.page },
    incident: {
      id: f.incident.id,
      name: f.incident.name,
      kind: f.incident.kind,
      status: f.incident.status,
      impact: f.incident.impact,
      scheduledFor: f.incident.scheduledFor?.toISOString() ?? null,
      scheduledUntil: f.incident.scheduledUntil?.toISOString() ?? null,
      url: f.urls.incident,
    },
    update: {
      id: f.update.id,
      status: f.update.status,
      body: f.update.body,
      publishedAt: f.update.publishedAt.toISOString(),
      affectedComponents: f.update.affected.map((a) => ({
        id: a.componentId,
        name: a.name,
        oldStatus: a.oldStatus ?? a.newStatus,
        newStatus: a.newStatus,
      })),
    },
    meta: { unsubscribe: f.urls.unsubscribe },
    sentAt: sentAt.toISOString(),
  };
}

/** RFC 2369 / RFC 8058: one-click unsubscribe that mail clients offer next to the sender. */
export function listHeaders(unsubscribeUrl: string, pageUrl: string): Record<string, string> {
  return {
    "List-Unsubscribe": `<${unsubscribeUrl}>`,
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    "List-Archive": `<${pageUrl}/history>`,
    "Auto-Submitted": "auto-generated",
  };
}

export type ConfirmFacts = {
  page: { slug: string; name: string; timeZone: string };
  urls: { page: string; confirm: string; unsubscribe: string };
  expiresAt: Date;
};

/** The double opt-in mail: nothing else is sent to the address until its link is followed. */
export function confirmationEmail(f: ConfirmFacts) {
  return {
    subject: `[${f.page.name}] Confirm your subscription to status updates`,
    text: [
      `Someone, hopefully you, asked to receive the updates of the ${f.page.name} status page at this address.`,
      "",
      `To start receiving them, open the confirmation link below and press "Confirm" (the link works until ${formatDateTime(f.expiresAt, f.page.timeZone)}).`,
      "",
      "If this was not you, ignore this message: nothing more will be sent.",
    ].join("\n"),
    links: [{ label: "Confirm the subscription", url: f.urls.confirm }],
    headers: listHeaders(f.urls.unsubscribe, f.urls.page),
  };
}

/** The confirmation request POSTed to a new webhook: the receiver proves it wants updates by POSTing `confirmUrl`. */
export function confirmationPayload(f: ConfirmFacts, secret: string, idempotencyKey: string, sentAt: Date) {
  return {
    type: "subscription.confirm" as const,
    idempotencyKey,
    subject: `Confirm the subscription to the ${f.page.name} status page`,
    text: `POST to confirmUrl to receive status updates here, signed with secret (HMAC-SHA256, Firebreak-Signature). Ignore this request if you did not ask for it.`,
    page: { slug: f.page.slug, name: f.page.name, url: f.urls.page },
    confirmUrl: f.urls.confirm,
    confirmBy: f.expiresAt.toISOString(),
    secret,
    meta: { unsubscribe: f.urls.unsubscribe },
    sentAt: sentAt.toISOString(),
  };
}
