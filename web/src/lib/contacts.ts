/**
 * The contact method and notification rule forms' checks, as the API makes them (so a mistake is
 * shown at its field before a round trip), and how an outcome reads.
 */

export type ContactKind = "email" | "webhook" | "chat" | "ntfy" | "sms" | "voice";
/** `accessToken`: ntfy only, optional. */
export type ContactDraft = { kind: ContactKind; label: string; address: string; accessToken?: string };
export type ContactField = "kind" | "label" | "address" | "accessToken";
export type RuleDraft = { contactMethodId: string; urgency: string; delayMinutes: string };
export type RuleField = "contactMethodId" | "urgency" | "delayMinutes";

export const kindNames: Record<ContactKind, string> = {
  email: "Email",
  webhook: "Webhook (signed)",
  chat: "Chat (Slack-compatible incoming webhook)",
  ntfy: "ntfy (push notifications on your phone)",
  sms: "SMS (text message)",
  voice: "Voice call",
};

/** Kinds whose address is a phone number. */
export const isPhoneKind = (kind: ContactKind) => kind === "sms" || kind === "voice";

/** Problems with a new contact method, by field (empty: send it). */
export function contactProblems(d: ContactDraft): Partial<Record<ContactField, string>> {
  const p: Partial<Record<ContactField, string>> = {};
  const label = d.label.trim();
  const address = d.address.trim();
  if (!label) p.label = "give it a name, e.g. Work phone mail";
  else if (label.length > 100) p.label = `at most 100 characters (it has ${label.length})`;
  if (isPhoneKind(d.kind)) {
    if (!/^\+[1-9]\d{6,14}$/.test(address))
      p.address = "expected a phone number in E.164 form: + and country code, e.g. +14155550100";
  } else if (address.length < 3)
    p.address = d.kind === "email" ? "expected an email address" : "expected a URL";
  else if (address.length > 2000) p.address = "at most 2000 characters";
  else if (d.kind === "email" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(address))
    p.address = "expected an email address like oncall@example.com";
  else if (d.kind !== "email" && !isHttpUrl(address)) p.address = "expected an http:// or https:// URL";
  else if (d.kind === "ntfy") {
    const problem = ntfyTopicProblem(address);
    if (problem) p.address = problem;
  }
  const token = d.accessToken ?? "";
  if (d.kind === "ntfy" && token !== "" && !/^[\x21-\x7e]{1,200}$/.test(token))
    p.accessToken = "at most 200 characters, no spaces (ntfy's tokens look like tk_…)";
  return p;
}

/** As the server checks an ntfy topic URL: no credentials, query or fragment; the topic last. */
function ntfyTopicProblem(address: string): string | undefined {
  const url = new URL(address);
  if (url.username || url.password) return "put no credentials in the URL: use an access token";
  if (url.search || url.hash) return "expected the topic URL without ?query or #fragment";
  const topic = url.pathname.split("/").pop() ?? "";
  if (!/^[-_A-Za-z0-9]{1,64}$/.test(topic))
    return "expected the topic at the end, e.g. https://ntfy.sh/firebreak-alice (letters, digits, - and _)";
  return undefined;
}

function isHttpUrl(text: string): boolean {
  if (!/^https?:\/\/\S+$/.test(text)) return false;
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/** Problems with a new notification rule, by field, or the rule to send. */
export function parseRule(
  d: RuleDraft,
):
  | { ok: true; rule: { contactMethodId: number; urgency: "high" | "low"; delayMinutes: number } }
  | { ok: false; problems: Partial<Record<RuleField, string>> } {
  const problems: Partial<Record<RuleField, string>> = {};
  const id = Number(d.contactMethodId);
  if (!d.contactMethodId || !Number.isInteger(id) || id <= 0)
    problems.contactMethodId = "choose a contact method";
  if (d.urgency !== "high" && d.urgency !== "low") problems.urgency = "choose high or low";
  const delay = d.delayMinutes.trim() === "" ? Number.NaN : Number(d.delayMinutes);
  if (!Number.isInteger(delay) || delay < 0 || delay > 1440)
    problems.delayMinutes = "expected a whole number of minutes from 0 to 1440";
  if (Object.keys(problems).length) return { ok: false, problems };
  return {
    ok: true,
    rule: { contactMethodId: id, urgency: d.urgency as "high" | "low", delayMinutes: delay },
  };
}

/** "at once", "after 5 minutes", "after 1 minute". */
export function delayText(minutes: number): string {
  if (minutes === 0) return "at once";
  return `after ${minutes} ${minutes === 1 ? "minute" : "minutes"}`;
}

/** Rules in the order they fire: high urgency first, then by delay. */
export function sortRules<T extends { urgency: "high" | "low"; delayMinutes: number; id: number }>(
  rules: T[],
): T[] {
  const rank = (u: "high" | "low") => (u === "high" ? 0 : 1);
  return [...rules].sort(
    (a, b) => rank(a.urgency) - rank(b.urgency) || a.delayMinutes - b.delayMinutes || a.id - b.id,
  );
}

/** How a delivery went, in words: "Delivered", "Failed: HTTP 500 Internal Server Error", "Sending…". */
export function outcomeWords(o: { status: "delivered" | "failed" | "pending"; error?: string }): string {
  if (o.status === "delivered") return "Delivered";
  if (o.status === "pending") return "Sending… (the channel is slow; the outcome will show here)";
  return `Failed: ${o.error ?? "no reason given"}`;
}
