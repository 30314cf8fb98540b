/**
 * `firebreak policy simulate`: a recorded incident's timeline replayed under a policy, pure. The
 * replay follows what people did (state, severity, roles, updates, posts) and lists what the
 * policy's rules would have done and when: event rules at each event, clocks as they fall due in
 * between. Changes rules made on the real incident are left out and the replayed policy's own are
 * applied instead (ownership, labels, raises), so two policies are compared on the same footing.
 */
import { z } from "zod";
import type { Incident } from "../incidents/model.ts";
import { endedStates, type State } from "../incidents/states.ts";
import type { CustomerFacts, Facts, IncidentSubject } from "./conditions.ts";
import { subjectOf, toRuleEvents } from "./events.ts";
import { type Policy, severityRank } from "./model.ts";
import { deadlineMetAt, describeActions, desiredClocks, eventRules } from "./rules.ts";

export type RecordedEvent = { kind: string; at: Date; data: Record<string, unknown> };
/** Other incidents, for "at least N open incidents" (PAGE-4): their lifetimes. */
export type OtherIncident = { severity: string; acceptedAt: Date | null; endedAt: Date | null };

export type SimAction = { at: Date; ruleId: string; rule: string | null; does: string; trigger: string };

const MAX_ACTIONS = 500;

const simActionSchema = z.object({
  at: z.string(),
  ruleId: z.string(),
  rule: z.string().nullable(),
  does: z.string(),
  trigger: z.string(),
});
export const simulationSchema = z
  .object({
    incidentId: z.number(),
    from: z.string(),
    until: z.string(),
    inForce: z.array(simActionSchema).describe("what the policy in force would have done"),
    other: z.array(simActionSchema).describe("what the given policy would have done"),
    onlyInForce: z.array(simActionSchema),
    onlyOther: z.array(simActionSchema),
    notes: z.array(z.string()),
  })
  .meta({ id: "PolicySimulation" });

/** Replays `events` (oldest first, starting with `declared`) under `policy` until `until`. */
export function replay(
  policy: Policy,
  incident: Incident,
  declaredByAutomation: boolean,
  events: RecordedEvent[],
  others: OtherIncident[],
  until: Date,
): { actions: SimAction[]; truncated: boolean } {
  const declared = events.find((e) => e.kind === "declared");
  if (!declared) return { actions: [], truncated: false };
  let s: IncidentSubject = {
    ...subjectOf(incident, declaredByAutomation),
    severity: String(declared.data.severity ?? incident.severity),
    state: (declared.data.state as State) ?? "investigating",
    visibility: (declared.data.visibility as "public" | "private") ?? incident.visibility,
    ownerId: Number(declared.data.ownerId ?? incident.declaredBy),
    ownerDeliberate: Number(declared.data.ownerId) !== incident.declaredBy,
    roles: {},
    engagedAt: {},
    roleSince: {},
    labels: [],
    declaredAt: declared.at,
    acceptedAt: declared.data.state === "triage" ? null : declared.at,
    resolvedAt: null,
    impactStartedAt: null,
    impactEndedAt: null,
    impactLevel: null,
    lastStatusUpdateAt: null,
    publicPostAt: null,
  };
  const facts: Facts = {
    firedKeys: new Set(),
    firstFired: new Map(),
    onCallBusy: new Map(),
    shiftEnd: new Map(),
  };
  const actions: SimAction[] = [];
  let seq = 0;

  const openAt = (at: Date, severities: string[], self: IncidentSubject) =>
    others.filter(
      (o) =>
        severities.includes(o.severity) &&
        o.acceptedAt &&
        o.acceptedAt <= at &&
        (!o.endedAt || o.endedAt > at),
    ).length +
    (severities.includes(self.severity) && ["investigating", "fixing", "monitoring"].includes(self.state)
      ? 1
      : 0);

  const factsAt = (at: Date): Facts => {
    const open = new Map<string, number>();
    for (const r of policy.rules ?? []) {
      const sev = r.if?.openIncidents?.severity;
      if (sev) open.set([...sev].sort().join(","), openAt(at, sev, s));
    }
    for (const r of policy.rules ?? []) if (r.if?.onCallBusy) facts.onCallBusy?.set(r.if.onCallBusy, false);
    return { ...facts, openIncidents: open, customers };
  };
  // COMM-6: the affected customers and their updates, as the timeline tells them.
  let customers: CustomerFacts = { affected: 0, lastUpdateAt: null, nextUpdateAt: null };

  const record = (at: Date, ruleId: string, does: string, trigger: string) => {
    const rule = (policy.rules ?? []).find((r) => r.id === ruleId);
    actions.push({ at, ruleId, rule: rule?.rule ?? null, does, trigger });
    if (!facts.firstFired?.has(ruleId)) facts.firstFired?.set(ruleId, at);
  };

  /** What a replayed policy's own actions change: ownership, labels, severity. */
  const applyActions = (ruleId: string) => {
    const rule = (policy.rules ?? []).find((r) => r.id === ruleId);
    for (const a of rule?.do ?? []) {
      if (a.own !== undefined && !s.ownerDeliberate && s.roles[a.own] !== undefined)
        s = { ...s, ownerId: s.roles[a.own]! };
      if (a.label !== undefined && !s.labels.includes(a.label)) s = { ...s, labels: [...s.labels, a.label] };
      if (a.raise !== undefined && severityRank(policy, a.raise) < severityRank(policy, s.severity))
        s = { ...s, severity: a.raise };
    }
  };

  /** Fires the clocks that fall due up to `to` (exclusive), soonest first. */
  const runClocks = (to: Date) => {
    for (let guard = 0; guard < MAX_ACTIONS * 2 && actions.length < MAX_ACTIONS; guard++) {
      const now = new Date(to.getTime() - 1);
      const due = desiredClocks(policy, s, factsAt(now), now)
        .clocks.filter((c) => c.dueAt < to)
        .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())[0];
      if (!due) return;
      facts.firedKeys?.add(due.key);
      if (due.kind === "deadline") {
        const rule = (policy.rules ?? []).find((r) => r.id === due.ruleId);
        const met = rule ? deadlineMetAt(rule, s, factsAt(due.dueAt)) : null;
        record(
          due.dueAt,
          due.ruleId,
          `the ${due.deadline?.name} deadline is ${met && met <= due.dueAt ? "met" : "missed"}`,
          due.why,
        );
      } else {
        record(due.dueAt, due.ruleId, due.fires, due.why);
        applyActions(due.ruleId);
      }
    }
  };

  for (const e of events) {
    runClocks(e.at);
    if (typeof e.data.rule === "string" && e.kind !== "declared") continue; // a rule's doing, replayed instead
    s = applyEvent(s, e);
    if (e.kind === "customer-added" || e.kind === "customer-removed")
      customers = { ...customers, affected: Number(e.data.affected ?? customers.affected) };
    if (e.kind === "customer-update-sent")
      customers = {
        ...customers,
        lastUpdateAt: e.at,
        nextUpdateAt: typeof e.data.nextUpdateAt === "string" ? new Date(e.data.nextUpdateAt) : null,
      };
    const ruleEvents = e.kind === "declared" ? [{ kind: "declared" as const }] : toRuleEvents([e]);
    if (ruleEvents.length === 0) continue;
    const { fire } = eventRules(policy, s, ruleEvents, factsAt(e.at), e.at);
    for (const f of fire) {
      facts.firedKeys?.add(`sim:${seq++}`);
      record(e.at, f.rule.id, describeActions(f.rule.do), `on ${f.event.kind}`);
      applyActions(f.rule.id);
    }
  }
  runClocks(until);
  return { actions: actions.slice(0, MAX_ACTIONS), truncated: actions.length >= MAX_ACTIONS };
}

/** The recorded change `e` applied to the replayed incident. */
function applyEvent(s: IncidentSubject, e: RecordedEvent): IncidentSubject {
  const d = e.data;
  switch (e.kind) {
    case "status-changed": {
      const to = d.to as State;
      const reopening = endedStates.includes(s.state) && !endedStates.includes(to);
      return {
        ...s,
        state: to,
        acceptedAt: d.verb === "accepted" ? e.at : s.acceptedAt,
        resolvedAt: to === "resolved" ? e.at : reopening ? null : s.resolvedAt,
      };
    }
    case "severity-changed":
      return { ...s, severity: String(d.to) };
    case "role-changed": {
      const roles = { ...s.roles };
      const role = String(d.role);
      if (typeof d.to === "number") roles[role] = d.to;
      else delete roles[role];
      const engagedAt =
        typeof d.to === "number" && !s.engagedAt[role] ? { ...s.engagedAt, [role]: e.at } : s.engagedAt;
      return { ...s, roles, engagedAt };
    }
    case "owner-changed":
      return { ...s, ownerId: Number(d.to), ownerDeliberate: true };
    case "impact-started":
      return {
        ...s,
        impactStartedAt: new Date(String(d.at ?? e.at.toISOString())),
        impactEndedAt: null,
        impactLevel: (d.level as IncidentSubject["impactLevel"]) ?? "degraded",
      };
    case "impact-ended":
      return { ...s, impactEndedAt: new Date(String(d.at ?? e.at.toISOString())) };
    case "status-update":
      return { ...s, lastStatusUpdateAt: e.at };
    case "status-page-published":
      return { ...s, publicPostAt: s.publicPostAt ?? e.at };
    case "labeled":
      return { ...s, labels: [...s.labels, String(d.label)] };
    case "unlabeled":
      return { ...s, labels: s.labels.filter((l) => l !== d.label) };
    case "visibility-changed":
      return { ...s, visibility: d.to as "public" | "private" };
    case "merged":
      return { ...s, state: "merged" };
    default:
      return s;
  }
}

const signature = (a: SimAction) => `${a.at.toISOString().slice(0, 16)}|${a.does}`;

/** The actions of `a` that `b` does not have (by minute and what is done), multiset-wise. */
export function difference(a: SimAction[], b: SimAction[]): SimAction[] {
  const left = new Map<string, number>();
  for (const x of b) left.set(signature(x), (left.get(signature(x)) ?? 0) + 1);
  return a.filter((x) => {
    const n = left.get(signature(x)) ?? 0;
    if (n > 0) {
      left.set(signature(x), n - 1);
      return false;
    }
    return true;
  });
}
