/**
 * Chat commands as data: the text typed after `/inc` (the policy's `chat.command`) parsed into a
 * command, with no I/O and no knowledge of Slack. Slack, Mattermost and the built-in incident room
 * all parse here; commands.ts runs the result as a Firebreak person.
 */

import { type State, states } from "../incidents/states.ts";
import { type Policy, severitiesOf } from "../policy/model.ts";

/** Someone named in a command: the sender, a Firebreak username, or a chat user (a Slack mention). */
export type PersonRef =
  | { kind: "me" }
  | { kind: "username"; name: string }
  | { kind: "chat-user"; id: string };

export type ChatCommand =
  | {
      kind: "declare";
      title: string;
      severity: string;
      type: string;
      visibility?: "private";
    }
  /** `declare` with nothing after it: Slack opens the declare form, elsewhere the usage is shown. */
  | { kind: "declare-form" }
  | { kind: "update"; impact: string; actions: string }
  | { kind: "severity"; severity: string; reason: string }
  | { kind: "status"; to: Exclude<State, "merged">; reason: string }
  | { kind: "assign"; role: string; who: PersonRef }
  | { kind: "roles" }
  | { kind: "page"; role: string }
  | { kind: "ack" }
  | { kind: "note"; text: string }
  | { kind: "link"; code: string }
  | { kind: "help"; unknown?: string };

/** A parsed command, the incident `#123` named in it (if any), or what was wrong and what would be right. */
export type Parsed =
  | { ok: true; command: ChatCommand; incidentId: number | null }
  | { ok: false; error: string };

/** The states a person may move an incident to by name (merging has its own command in the API). */
export const settableStates = states.filter((s) => s !== "merged") as Exclude<State, "merged">[];

const verbs = [
  "declare",
  "update",
  "severity",
  "status",
  "assign",
  "role",
  "roles",
  "page",
  "ack",
  "resolve",
  "note",
  "link",
  "help",
] as const;

const fail = (error: string): Parsed => ({ ok: false, error });

/** Splits off the first word (runs of whitespace separate words; the rest keeps its own spacing). */
function firstWord(s: string): [string, string] {
  const t = s.trimStart();
  const m = /^(\S+)\s*([\s\S]*)$/.exec(t);
  return m ? [m[1]!, m[2]!] : ["", ""];
}

/** `#123` (an incident), taken only as a whole word. */
function incidentRef(word: string): number | null {
  const m = /^#(\d{1,12})$/.exec(word);
  return m ? Number(m[1]) : null;
}

/**
 * A person: `me`, `@username`, `username`, Slack's escaped mention `<@U123|name>` or `<@U123>`,
 * or Mattermost's `@username`.
 */
export function parsePerson(word: string): PersonRef | null {
  if (/^me$/i.test(word)) return { kind: "me" };
  const slack = /^<@([A-Z0-9]+)(?:\|[^>]*)?>$/.exec(word);
  if (slack) return { kind: "chat-user", id: slack[1]! };
  const name = /^@?([A-Za-z0-9._-]{1,64})$/.exec(word);
  return name ? { kind: "username", name: name[1]! } : null;
}

/** The longest name from `names` that `text` starts with (case-insensitive, whole words). */
export function leadingName(names: readonly string[], text: string): { name: string; rest: string } | null {
  const lower = text.trimStart();
  let best: { name: string; rest: string } | null = null;
  for (const name of names) {
    const n = name.length;
    const head = lower.slice(0, n);
    const after = lower.slice(n);
    if (head.toLowerCase() === name.toLowerCase() && (after === "" || /^\s/.test(after))) {
      if (!best || n > best.name.length) best = { name, rest: after.trim() };
    }
  }
  return best;
}

function severityOf(policy: Policy, word: string): string | null {
  return policy.severities.find((s) => s.id.toLowerCase() === word.toLowerCase())?.id ?? null;
}

const severityList = (p: Policy) => p.severities.map((s) => s.id).join(", ");
const roleList = (p: Policy) => p.roles.map((r) => r.name).join(", ");

/** Parses the text after the command's name (`/inc <text>`). */
export function parseCommand(text: string, policy: Policy): Parsed {
  const command = `/${policy.chat?.command ?? "inc"}`;
  let [verb, rest] = firstWord(text);
  let incidentId = incidentRef(verb);
  if (incidentId !== null) [verb, rest] = firstWord(rest);
  const v = verb.toLowerCase();
  if (v === "" || v === "help") return { ok: true, command: { kind: "help" }, incidentId };
  if (!(verbs as readonly string[]).includes(v))
    return { ok: true, command: { kind: "help", unknown: verb }, incidentId };
  // `#123` may also come right after the verb: `/inc severity #12 S1`.
  if (incidentId === null) {
    const [w, after] = firstWord(rest);
    const ref = incidentRef(w);
    if (ref !== null) {
      incidentId = ref;
      rest = after;
    }
  }
  const ok = (c: ChatCommand): Parsed => ({ ok: true, command: c, incidentId });
  rest = rest.trim();
  switch (v) {
    case "declare":
      return rest === "" ? ok({ kind: "declare-form" }) : parseDeclare(rest, policy, command);
    case "update": {
      const bar = rest.indexOf("|");
      const impact = bar < 0 ? "" : rest.slice(0, bar).trim();
      const actions = bar < 0 ? "" : rest.slice(bar + 1).trim();
      if (!impact || !actions)
        return fail(
          `a status update needs the customer impact and the actions under way, separated by |: ${command} update <impact> | <actions> (COMM-1)`,
        );
      return ok({ kind: "update", impact, actions });
    }
    case "severity": {
      const [word, reason] = firstWord(rest);
      const severity = severityOf(policy, word);
      if (!severity)
        return fail(
          `${word ? `unknown severity ${word}` : "no severity given"}; write ${command} severity <${severityList(policy)}> [reason]`,
        );
      return ok({ kind: "severity", severity, reason: reason.trim() });
    }
    case "status": {
      const [word, reason] = firstWord(rest);
      const to = settableStates.find((s) => s === word.toLowerCase());
      if (!to)
        return fail(
          `${word ? `unknown status ${word}` : "no status given"}; write ${command} status <${settableStates.join("|")}> [reason]`,
        );
      return ok({ kind: "status", to, reason: reason.trim() });
    }
    case "resolve":
      return ok({ kind: "status", to: "resolved", reason: rest });
    case "assign": {
      const found = leadingName(
        policy.roles.map((r) => r.name),
        rest,
      );
      const usage = `write ${command} assign <role> <@person|me>; roles: ${roleList(policy)}`;
      if (!found) return fail(`${rest ? `no role at the start of "${rest}"` : "no role given"}; ${usage}`);
      const who = parsePerson(found.rest);
      if (!who)
        return fail(`${found.rest ? `"${found.rest}" is not a person` : "no person given"}; ${usage}`);
      return ok({ kind: "assign", role: found.name, who });
    }
    case "role":
    case "roles":
      return ok({ kind: "roles" });
    case "page": {
      const found = leadingName(
        policy.roles.map((r) => r.name),
        rest,
      );
      if (found?.rest !== "")
        return fail(
          `${rest ? `unknown role ${rest}` : "no role given"}; write ${command} page <role>; roles: ${roleList(policy)}`,
        );
      return ok({ kind: "page", role: found.name });
    }
    case "ack":
      return ok({ kind: "ack" });
    case "note":
      return rest
        ? ok({ kind: "note", text: rest })
        : fail(`the note is empty; write ${command} note <text>`);
    case "link":
      return /^[A-Za-z0-9-]{6,64}$/.test(rest)
        ? ok({ kind: "link", code: rest.toUpperCase() })
        : fail(
            `write ${command} link <code>, with the code from "Link chat account" on your Firebreak profile`,
          );
  }
  return ok({ kind: "help", unknown: verb });
}

/** `declare [severity] [type] [private] title…`; missing ones take the policy's defaults. */
function parseDeclare(rest: string, policy: Policy, command: string): Parsed {
  let text = rest;
  let severity = policy.defaultSeverityWhenUnsure;
  let severityGiven = false;
  let type = policy.incidentTypes[0]!.name;
  let visibility: "private" | undefined;
  for (let i = 0; i < 3; i++) {
    const [word, after] = firstWord(text);
    const sev = severityOf(policy, word);
    if (sev) {
      severity = sev;
      severityGiven = true;
      text = after;
      continue;
    }
    const t = leadingName(
      policy.incidentTypes.map((x) => x.name),
      text,
    );
    if (t) {
      type = t.name;
      text = t.rest;
      continue;
    }
    if (word.toLowerCase() === "private") {
      visibility = "private";
      text = after;
      continue;
    }
    break;
  }
  // A type with its own severities (COMM-6: Sev0/Sev1) leans to its most severe when none is given.
  const own = severitiesOf(policy, type);
  if (!severityGiven && !own.some((s) => s.id === severity)) severity = own[0]?.id ?? severity;
  const title = text.trim();
  if (!title)
    return fail(
      `the incident needs a title; write ${command} declare [${severityList(policy)}] [type] [private] <title>`,
    );
  if (title.length > 200) return fail(`the title is ${title.length} characters; at most 200`);
  return { ok: true, command: { kind: "declare", title, severity, type, visibility }, incidentId: null };
}

/** What `/inc help` says: every command, with the policy's command name, severities and roles. */
export function helpText(policy: Policy): string {
  const c = `/${policy.chat?.command ?? "inc"}`;
  return [
    `${c} commands (in an incident's channel, or name the incident: ${c} #123 …):`,
    `• ${c} declare [${severityList(policy)}] [type] [private] <title> — declare an incident (no arguments: the form)`,
    `• ${c} update <customer impact> | <actions under way> — post a status update (COMM-1)`,
    `• ${c} severity <${severityList(policy)}> [reason] — change the severity`,
    `• ${c} status <${settableStates.join("|")}> [reason] — move the incident through its workflow`,
    `• ${c} assign <role> <@person|me> — give a role`,
    `• ${c} roles — the roles and who holds them`,
    `• ${c} page <role> — page the role's on-call`,
    `• ${c} ack — acknowledge this incident's pages`,
    `• ${c} resolve [reason] — resolve the incident (its owner)`,
    `• ${c} note <text> — add a note to the timeline`,
    `• ${c} link <code> — link your chat account to Firebreak (code from your profile)`,
    `Types: ${policy.incidentTypes.map((t) => t.name).join(", ")}. Roles: ${roleList(policy)}.`,
  ].join("\n");
}

/**
 * The incident whose channel this is, read from the channel's name by the policy's `channelName`
 * template (`inc-{id}-{slug}` names `inc-12-checkout-errors` after incident 12); null otherwise.
 * For chats whose channels Firebreak did not create itself (Mattermost).
 */
export function incidentOfChannelName(template: string, name: string): number | null {
  if (!template.includes("{id}")) return null;
  const parts = template
    .toLowerCase()
    .split(/(\{id\}|\{slug\})/)
    .map((p) =>
      p === "{id}" ? "(\\d{1,12})" : p === "{slug}" ? "[a-z0-9_-]*" : p.replace(/[^a-z0-9]/g, "[^a-z0-9]?"),
    );
  const m = new RegExp(`^${parts.join("")}$`).exec(name.toLowerCase());
  return m ? Number(m[1]) : null;
}
