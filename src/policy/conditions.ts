/**
 * What rules look at, and their conditions as pure functions. A condition that needs something
 * beyond the incident itself (other incidents, who is on call) asks for it as a fact; the caller
 * loads the facts asked for and evaluates again, so nothing is read that no rule needs.
 */
import { DateTime } from "luxon";
import type { State } from "../incidents/states.ts";
import { type Policy, weekdays } from "./model.ts";
import { type Conditions, MAX_OPEN_COUNT, type Rule } from "./rules-schema.ts";

export type ImpactLevel = "degraded" | "partial" | "full";

/** An incident as the rules see it. */
export type IncidentSubject = {
  kind: "incident";
  id: number;
  type: string;
  severity: string;
  state: State;
  visibility: "public" | "private";
  declaredByAutomation: boolean;
  ownerId: number;
  /** False while the owner is the default one (OWN-3 may hand it over); true once a person chose. */
  ownerDeliberate: boolean;
  roles: Record<string, number>;
  /** When each role first had a holder. */
  engagedAt: Record<string, Date>;
  /** Since when each current holder holds their role. */
  roleSince: Record<string, Date>;
  labels: string[];
  declaredAt: Date;
  acceptedAt: Date | null;
  resolvedAt: Date | null;
  impactStartedAt: Date | null;
  impactEndedAt: Date | null;
  impactLevel: ImpactLevel | null;
  lastStatusUpdateAt: Date | null;
  publicPostAt: Date | null;
};

/** A scheduled maintenance as the rules see it (STAT-5). */
export type MaintenanceSubject = {
  kind: "maintenance";
  id: number;
  name: string;
  criticality: string | null;
  scheduledFor: Date;
  /** False once it was discarded or completed: nothing is owed for it any more. */
  active: boolean;
};

export type Subject = IncidentSubject | MaintenanceSubject;

/** What the rules asked for beyond the subject. Missing entries are "not loaded", not "no". */
export type Facts = {
  /** Firings so far: rule id → when it first fired. */
  firstFired?: Map<string, Date>;
  /** Keys of clocks (and event firings) that already fired, for repeats and deadline outcomes. */
  firedKeys?: Set<string>;
  /** `openIncidents:<severities>` → how many open, accepted incidents have one of them. */
  openIncidents?: Map<string, number>;
  /** Role → whether everyone on call in its rotation runs another incident in that role. */
  onCallBusy?: Map<string, boolean>;
  /**
   * Role → when the shift ends that its holder was on (in the role's rotation) when they took the
   * role; null when they were not on call in it then.
   */
  shiftEnd?: Map<string, Date | null>;
  /** COMM-6: how many customers are affected, and the last mass update's time and promise. */
  customers?: CustomerFacts;
};

export type CustomerFacts = { affected: number; lastUpdateAt: Date | null; nextUpdateAt: Date | null };

export type FactNeed =
  | { kind: "fired" }
  | { kind: "openIncidents"; severities: string[] }
  | { kind: "onCallBusy"; role: string }
  | { kind: "shiftEnd"; role: string }
  | { kind: "customers" };

export const openIncidentsKey = (severities: string[]) => [...severities].sort().join(",");

/** One condition's verdict: true, false, or undefined while a fact it needs is not loaded. */
export type Check = { key: string; ok: boolean | undefined; text: string; need?: FactNeed };

/** Without `businessHours` in the policy: Monday to Friday, 09:00–17:00 UTC. */
export const defaultBusinessHours: NonNullable<Policy["businessHours"]> = {
  timeZone: "UTC",
  days: ["Mon", "Tue", "Wed", "Thu", "Fri"],
  start: "09:00",
  end: "17:00",
};

const activeStates: readonly State[] = ["investigating", "fixing", "monitoring"];
const list = (v: readonly string[]) => v.join(", ");

/** Saturday and Sunday — or rather, the days business hours do not list — in their time zone. */
export function isWeekend(policy: Policy, at: Date): boolean {
  const hours = policy.businessHours ?? defaultBusinessHours;
  const weekday = DateTime.fromJSDate(at, { zone: hours.timeZone }).weekday; // 1 = Monday
  return !hours.days.includes(weekdays[weekday - 1] ?? "Mon");
}

/** The incident's start for rules: impact start if known, else acceptance, else declaration. */
export const startOf = (i: IncidentSubject): Date => i.impactStartedAt ?? i.acceptedAt ?? i.declaredAt;

export const impactOngoing = (i: IncidentSubject): boolean =>
  i.impactStartedAt !== null && i.impactEndedAt === null && i.impactLevel !== null;

/**
 * Every condition of a rule, checked at `at` (a clock's conditions are checked for the moment it
 * falls due). `event` is the event being handled, for `engagedRole`.
 */
export function checkConditions(
  policy: Policy,
  rule: Pick<Rule, "if">,
  subject: Subject,
  facts: Facts,
  at: Date,
  event?: { role?: string },
): Check[] {
  const c: Conditions = rule.if ?? {};
  const checks: Check[] = [];
  const add = (key: string, ok: boolean | undefined, text: string, need?: FactNeed) =>
    checks.push({ key, ok, text, ...(need ? { need } : {}) });

  if (c.weekend !== undefined) {
    const weekend = isWeekend(policy, at);
    add("weekend", weekend === c.weekend, c.weekend ? "on a weekend" : "on a weekday");
  }
  if (subject.kind === "maintenance") {
    if (c.criticality)
      add(
        "criticality",
        subject.criticality !== null && c.criticality.includes(subject.criticality),
        `criticality is ${list(c.criticality)} (it is ${subject.criticality ?? "not set"})`,
      );
    return checks;
  }
  const i = subject;
  const type = policy.incidentTypes.find((t) => t.name === i.type);
  if (c.severity)
    add("severity", c.severity.includes(i.severity), `severity is ${list(c.severity)} (it is ${i.severity})`);
  if (c.type) add("type", c.type.includes(i.type), `type is ${list(c.type)} (it is ${i.type})`);
  if (c.state) add("state", c.state.includes(i.state), `state is ${list(c.state)} (it is ${i.state})`);
  if (c.visibility)
    add(
      "visibility",
      c.visibility.includes(i.visibility),
      `visibility is ${list(c.visibility)} (it is ${i.visibility})`,
    );
  if (c.security !== undefined)
    add(
      "security",
      (type?.security ?? false) === c.security,
      c.security ? "a security incident type" : "not a security incident type",
    );
  if (c.externallyFacing !== undefined)
    add(
      "externallyFacing",
      (type?.externallyFacing ?? false) === c.externallyFacing,
      c.externallyFacing ? "an externally facing incident type" : "an internal incident type",
    );
  if (c.pagesIncidentManager !== undefined) {
    const flag = policy.severities.find((sv) => sv.id === i.severity)?.pagesIncidentManager ?? false;
    add(
      "pagesIncidentManager",
      flag === c.pagesIncidentManager,
      c.pagesIncidentManager
        ? `its severity pages the incident manager (${i.severity} ${flag ? "does" : "does not"})`
        : `its severity does not page the incident manager (${i.severity} ${flag ? "does" : "does not"})`,
    );
  }
  if (c.declaredBy)
    add(
      "declaredBy",
      (c.declaredBy === "automation") === i.declaredByAutomation,
      `declared by ${c.declaredBy === "person" ? "a person" : "automation (alerts)"}`,
    );
  for (const role of c.roleHeld ?? [])
    add(`roleHeld:${role}`, i.roles[role] !== undefined, `someone holds ${role}`);
  for (const role of c.roleVacant ?? [])
    add(`roleVacant:${role}`, i.roles[role] === undefined, `nobody holds ${role}`);
  if (c.engagedRole)
    add(
      "engagedRole",
      event?.role !== undefined && c.engagedRole.includes(event.role),
      `the role just engaged is ${list(c.engagedRole)}`,
    );
  if (c.ownerHoldsNone)
    add(
      "ownerHoldsNone",
      !c.ownerHoldsNone.some((role) => i.roles[role] === i.ownerId),
      `the owner holds none of ${list(c.ownerHoldsNone)}`,
    );
  if (c.label)
    add(
      "label",
      c.label.some((l) => i.labels.includes(l)),
      `labelled ${c.label.map((l) => `"${l}"`).join(" or ")}`,
    );
  if (c.impact)
    add(
      "impact",
      impactOngoing(i) && c.impact.includes(i.impactLevel as ImpactLevel),
      `customer impact is ongoing at ${list(c.impact)}${impactOngoing(i) ? ` (it is ${i.impactLevel})` : " (there is none now)"}`,
    );
  if (c.lastedMinutes !== undefined) {
    const end = i.resolvedAt && i.resolvedAt < at ? i.resolvedAt : at;
    const lasted = (end.getTime() - startOf(i).getTime()) / 60_000;
    add("lastedMinutes", lasted >= c.lastedMinutes, `it lasted at least ${c.lastedMinutes} minutes`);
  }
  if (c.openIncidents) {
    const key = openIncidentsKey(c.openIncidents.severity);
    const count = facts.openIncidents?.get(key);
    add(
      "openIncidents",
      count === undefined ? undefined : count >= c.openIncidents.atLeast,
      `at least ${c.openIncidents.atLeast} open incidents of ${list(c.openIncidents.severity)}${count === undefined ? "" : ` (there are ${count >= MAX_OPEN_COUNT ? `${MAX_OPEN_COUNT} or more` : count})`}`,
      { kind: "openIncidents", severities: c.openIncidents.severity },
    );
  }
  if (c.affectedCustomers) {
    const n = facts.customers?.affected;
    add(
      "affectedCustomers",
      n === undefined ? undefined : n >= c.affectedCustomers.atLeast,
      `at least ${c.affectedCustomers.atLeast} affected customer${c.affectedCustomers.atLeast === 1 ? "" : "s"}${n === undefined ? "" : ` (there ${n === 1 ? "is" : "are"} ${n})`}`,
      { kind: "customers" },
    );
  }
  if (c.onCallBusy) {
    const busy = facts.onCallBusy?.get(c.onCallBusy);
    add("onCallBusy", busy, `the ${c.onCallBusy} on call already runs another incident`, {
      kind: "onCallBusy",
      role: c.onCallBusy,
    });
  }
  return checks;
}

/** All checks passed (false if one failed, undefined if one is waiting for a fact). */
export function verdict(checks: Check[]): boolean | undefined {
  if (checks.some((c) => c.ok === false)) return false;
  if (checks.some((c) => c.ok === undefined)) return undefined;
  return true;
}

/** The incident is open and accepted (the states rules usually act in). */
export const isActive = (i: IncidentSubject) => activeStates.includes(i.state);
