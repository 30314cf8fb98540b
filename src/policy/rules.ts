/**
 * The rule engine, pure: which rules an event fires, and which clocks a subject should have right
 * now. Clocks are not remembered by the engine; they are a function of the subject, the policy and
 * what already fired, so every command can recompute them and the store only keeps the difference
 * (a clock no longer wanted is cancelled, a new one armed, a stale one never fires).
 */

import {
  type Check,
  checkConditions,
  type FactNeed,
  type Facts,
  type IncidentSubject,
  type Subject,
  startOf,
  verdict,
} from "./conditions.ts";
import type { Policy } from "./model.ts";
import type { Rule, RuleAction, RuleEventKind } from "./rules-schema.ts";

export type RuleEvent = { kind: RuleEventKind; role?: string; label?: string };

const MINUTE = 60_000;

/** The rules that apply to a subject of this kind. */
const rulesOn = (policy: Policy, subject: Subject): Rule[] =>
  (policy.rules ?? []).filter((r) => (r.on ?? "incident") === subject.kind);

function needsOf(checks: Check[]): FactNeed[] {
  return checks.filter((c) => c.ok === undefined && c.need).map((c) => c.need as FactNeed);
}

const alreadyFired = (rule: Rule, facts: Facts) =>
  rule.once === true && facts.firstFired?.has(rule.id) === true;

/**
 * The event rules that fire for these events, at most once each. When a condition needs a fact
 * that is not loaded, `needs` says which; load them and call again. `once` rules need `fired`.
 */
export function eventRules(
  policy: Policy,
  subject: Subject,
  events: RuleEvent[],
  facts: Facts,
  now: Date,
): { fire: { rule: Rule; event: RuleEvent }[]; needs: FactNeed[] } {
  const fire: { rule: Rule; event: RuleEvent }[] = [];
  const needs: FactNeed[] = [];
  for (const rule of rulesOn(policy, subject)) {
    if (!rule.when) continue;
    for (const event of events) {
      if (!rule.when.includes(event.kind)) continue;
      const checks = checkConditions(policy, rule, subject, facts, now, event);
      const ok = verdict(checks);
      if (ok === false) continue;
      if (rule.once && !facts.firstFired) {
        needs.push({ kind: "fired" });
        break;
      }
      if (ok === undefined) {
        needs.push(...needsOf(checks));
        break;
      }
      if (!alreadyFired(rule, facts)) fire.push({ rule, event });
      break; // one firing per rule per command
    }
  }
  return { fire, needs };
}

/** A clock a subject should have: when it falls due and what it does then. */
export type DesiredClock = {
  key: string;
  ruleId: string;
  /** The handbook rule (RULES.md id) it implements. */
  rule: string | null;
  /** `clock`: the rule's actions; `remind`: a deadline's reminder; `deadline`: met or missed. */
  kind: "clock" | "remind" | "deadline";
  dueAt: Date;
  /** What happens then, in words. */
  fires: string;
  /** Why it exists, in words. */
  why: string;
  deadline?: { name: string; dueAt: Date };
};

const encode = (s: string) => encodeURIComponent(s);
export const clockKey = (subject: Subject, ruleId: string, variant: string, at: Date) =>
  `${subject.kind === "incident" ? "i" : "m"}${subject.id}:${encode(ruleId)}:${variant}:${at.getTime()}`;
export const firingKey = (subject: Subject, ruleId: string, at: Date, seq: number) =>
  `${subject.kind === "incident" ? "i" : "m"}${subject.id}:${encode(ruleId)}:fired:${at.getTime()}:${seq}`;
export const deadlineOutcomeKey = (subject: Subject, ruleId: string, due: Date) =>
  `${subject.kind === "incident" ? "i" : "m"}${subject.id}:${encode(ruleId)}:outcome:${due.getTime()}`;

/** When an anchor happened for this subject, or null while it has not (or cannot be known yet). */
export function anchorTime(
  from: string,
  subject: Subject,
  facts: Facts,
): { at: Date | null; need?: FactNeed; text: string } {
  if (subject.kind === "maintenance")
    return { at: from === "maintenance-start" ? subject.scheduledFor : null, text: "the maintenance starts" };
  const i = subject;
  const [kind, name = ""] = from.includes(":")
    ? [from.slice(0, from.indexOf(":")), from.slice(from.indexOf(":") + 1)]
    : [from];
  switch (kind) {
    case "declared":
      return { at: i.declaredAt, text: "it was declared" };
    case "accepted":
      return { at: i.acceptedAt, text: "it was accepted" };
    case "started":
      return { at: startOf(i), text: "it started" };
    case "impact-started":
      return { at: i.impactStartedAt, text: "customer impact started" };
    case "last-update":
      return {
        at: i.lastStatusUpdateAt ?? i.acceptedAt ?? i.declaredAt,
        text: i.lastStatusUpdateAt ? "the last status update" : "it became active",
      };
    case "resolved":
      return { at: i.resolvedAt, text: "it was resolved" };
    case "last-customer-update":
    case "next-customer-update": {
      // COMM-6: from the affected customers' last mass update (src/customers); none before the first.
      if (!facts.customers) return { at: null, need: { kind: "customers" }, text: "" };
      return kind === "last-customer-update"
        ? { at: facts.customers.lastUpdateAt, text: "the last update to the customers" }
        : { at: facts.customers.nextUpdateAt, text: "the customers were promised the next update" };
    }
    case "engaged":
      return { at: i.engagedAt[name] ?? null, text: `the ${name} engaged` };
    case "fired":
      if (!facts.firstFired) return { at: null, need: { kind: "fired" }, text: `${name} fired` };
      return { at: facts.firstFired.get(name) ?? null, text: `${name} fired` };
    case "shift-end": {
      if (i.roles[name] === undefined) return { at: null, text: `the ${name}'s shift ends` };
      const ends = facts.shiftEnd?.get(name);
      if (ends === undefined) return { at: null, need: { kind: "shiftEnd", role: name }, text: "" };
      return { at: ends, text: `the ${name}'s shift ends` };
    }
    default:
      return { at: null, text: from };
  }
}

function cadenceOf(policy: Policy, i: IncidentSubject): number | null {
  return policy.severities.find((s) => s.id === i.severity)?.updateCadenceMinutes ?? null;
}

const hhmm = (d: Date) => d.toISOString().slice(11, 16);

/** The clocks the subject should have now (pending ones; fired ones are left out). */
export function desiredClocks(
  policy: Policy,
  subject: Subject,
  facts: Facts,
  now: Date,
): { clocks: DesiredClock[]; needs: FactNeed[] } {
  const clocks: DesiredClock[] = [];
  const needs: FactNeed[] = [];
  // Nothing is owed for a maintenance that was discarded or is over.
  if (subject.kind === "maintenance" && !subject.active) return { clocks, needs };
  const fired = (key: string) => facts.firedKeys?.has(key) ?? false;
  for (const rule of rulesOn(policy, subject)) {
    const timer = rule.clock ?? rule.deadline;
    if (!timer) continue;
    if (rule.once && !facts.firstFired) {
      needs.push({ kind: "fired" });
      continue;
    }
    if (alreadyFired(rule, facts)) continue;
    const anchor = anchorTime(timer.from, subject, facts);
    if (anchor.need) needs.push(anchor.need);
    if (!anchor.at) continue;
    let after: number | null;
    if (rule.clock?.after === "cadence")
      after = subject.kind === "incident" ? cadenceOf(policy, subject) : null;
    else after = timer.after as number;
    if (after === null) continue;
    const first = new Date(anchor.at.getTime() + after * MINUTE);
    const base = {
      ruleId: rule.id,
      rule: rule.rule ?? null,
      why:
        after === 0
          ? `when ${anchor.text} (${hhmm(anchor.at)} UTC)`
          : `${Math.abs(after)} minutes ${after < 0 ? "before" : "after"} ${anchor.text} (${hhmm(anchor.at)} UTC)`,
    };
    const holds = (at: Date) => {
      const checks = checkConditions(policy, rule, subject, facts, at);
      needs.push(...needsOf(checks));
      return verdict(checks) === true;
    };

    if (rule.deadline) {
      const d = rule.deadline;
      if (!holds(first)) continue;
      // Nothing about a deadline fires before its reminder: until then, nothing to look up.
      const earliest = first.getTime() - (d.remindBefore ?? 0) * MINUTE;
      if (earliest <= now.getTime() && facts.firedKeys === undefined) {
        needs.push({ kind: "fired" });
        continue;
      }
      const outcome = deadlineOutcomeKey(subject, rule.id, first);
      if (fired(outcome)) continue;
      const met = deadlineMetAt(rule, subject, facts);
      if (met === undefined) {
        needs.push({ kind: "customers" });
        continue;
      }
      const deadline = { name: d.name, dueAt: first };
      if (!met && d.remindBefore !== undefined) {
        const remindAt = new Date(first.getTime() - d.remindBefore * MINUTE);
        const key = clockKey(subject, rule.id, "remind", remindAt);
        if (!fired(key) && remindAt.getTime() < first.getTime() && remindAt >= anchor.at)
          clocks.push({
            ...base,
            key,
            kind: "remind",
            dueAt: remindAt,
            fires: `${describeActions(rule.do)} (${d.remindBefore} minutes before the ${d.name} deadline)`,
            deadline,
          });
      }
      clocks.push({
        ...base,
        // Its key is the outcome's: once met or missed is recorded, the deadline wants no clock.
        key: outcome,
        kind: "deadline",
        dueAt: first,
        fires: `record the ${d.name} deadline as met or missed`,
        deadline,
      });
      continue;
    }

    // A clock due already may have fired: that is only known from what fired.
    if (first <= now && facts.firedKeys === undefined) {
      needs.push({ kind: "fired" });
      continue;
    }
    const every = rule.clock?.every;
    let due = first;
    if (every) {
      // After downtime, one catch-up firing for all missed repeats, then the regular rhythm.
      const n = now >= first ? Math.floor((now.getTime() - first.getTime()) / (every * MINUTE)) : 0;
      due = new Date(first.getTime() + n * every * MINUTE);
      if (fired(clockKey(subject, rule.id, "at", due))) due = new Date(due.getTime() + every * MINUTE);
    }
    const key = clockKey(subject, rule.id, "at", due);
    if (fired(key)) continue;
    if (!holds(due)) continue;
    clocks.push({
      ...base,
      key,
      kind: "clock",
      dueAt: due,
      fires: describeActions(rule.do),
      why: every && due > first ? `${base.why}, repeated every ${every} minutes while it holds` : base.why,
    });
  }
  return { clocks, needs: dedupeNeeds(needs) };
}

/**
 * When a deadline rule's `metBy` happened, if it did after its anchor; undefined while the
 * customers' facts it needs are not loaded.
 */
export function deadlineMetAt(rule: Rule, subject: Subject, facts: Facts = {}): Date | null | undefined {
  if (!rule.deadline || subject.kind !== "incident") return null;
  if (rule.deadline.metBy === "customer-update")
    return facts.customers ? facts.customers.lastUpdateAt : undefined;
  return rule.deadline.metBy === "public-post" ? subject.publicPostAt : subject.lastStatusUpdateAt;
}

export function dedupeNeeds(needs: FactNeed[]): FactNeed[] {
  const seen = new Map<string, FactNeed>();
  for (const n of needs) seen.set(JSON.stringify(n), n);
  return [...seen.values()];
}

const listWords = (items: string[]) =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
const roles = (v: string | string[]) => listWords([v].flat().map((r) => `the ${r}`));

/** An action in words, as the clocks API and `policy explain` show it. */
export function describeAction(a: RuleAction): string {
  if (a.page !== undefined) return `page the ${a.page}`;
  if (a.notify !== undefined) return `notify ${roles(a.notify)}`;
  if (a.remind !== undefined) return `remind ${roles(a.remind)}`;
  if (a.ask !== undefined) return `ask the ${a.ask} rotation for another ${a.ask}`;
  if (a.own !== undefined) return `hand ownership to the ${a.own}`;
  if (a.handOver !== undefined)
    return `prompt the ${a.handOver} to hand over and page the incoming ${a.handOver}`;
  if (a.label !== undefined) return `label it "${a.label}"`;
  if (a.task !== undefined) return `open the ${a.task.kind} "${a.task.title}"`;
  if (a.draft !== undefined) return `draft the ${a.draft}`;
  if (a.note !== undefined) return "note it on the timeline";
  if (a.raise !== undefined) return `raise it to ${a.raise}`;
  if (a.combine !== undefined) return `combine incidents of the same cause into one ${a.combine.into}`;
  return "nothing";
}

export const describeActions = (actions: RuleAction[]) => listWords(actions.map(describeAction));
