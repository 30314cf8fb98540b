/**
 * The incident core as pure functions (owner and roles in people.ts, fields, labels, impact and
 * merging in fields.ts): (incident, command, context) → (new incident, timeline
 * events). No I/O and no clock: `now` and the policy come in the context, so every rule here is
 * tested without a database.
 */

import { AppError } from "../platform/errors.ts";
import { type Policy, severityRank } from "../policy/model.ts";
import { closeRefusal, type Requirement } from "../reviews/model.ts";
import { endedStates, type State } from "./states.ts";

export { endedStates, openStates, type State, states } from "./states.ts";

export type Visibility = "public" | "private";
/** TL-3: how badly customers are affected while impact lasts (COMM-2 engages the CMOC for any). */
export type ImpactLevel = "degraded" | "partial" | "full";
export const impactLevels: readonly ImpactLevel[] = ["degraded", "partial", "full"];
export type UserRole = "viewer" | "responder" | "admin";
export type Actor = { id: number; role: UserRole };

export type Incident = {
  id: number;
  title: string;
  type: string;
  severity: string;
  maxSeverity: string;
  state: State;
  visibility: Visibility;
  summary: string;
  ownerId: number;
  declaredBy: number;
  blocksDeployments: boolean;
  /** Derived (LC-3, LC-4) and added labels together. */
  labels: string[];
  /** Labels people (or rules) added, e.g. "path blocked", "Near Miss". */
  extraLabels: string[];
  roles: Record<string, number>;
  /** When each role first had a holder ("the EOC engaged", PAGE-3). */
  engagedAt: Record<string, Date>;
  /** Since when each current holder holds their role (OWN-8: the shift they were on then). */
  roleSince: Record<string, Date>;
  /** OWN-3: false while the owner is the default one; true once a person chose the owner. */
  ownerDeliberate: boolean;
  declaredAt: Date;
  acceptedAt: Date | null;
  mitigatedAt: Date | null;
  resolvedAt: Date | null;
  closedAt: Date | null;
  impactStartedAt: Date | null;
  impactEndedAt: Date | null;
  impactLevel: ImpactLevel | null;
  lastStatusUpdateAt: Date | null;
  /** When the first post about it was published on a status page (COMM-2). */
  publicPostAt: Date | null;
  mergedInto: number | null;
  updatedAt: Date;
};

export type EventKind =
  | "declared"
  | "status-changed"
  | "severity-changed"
  | "owner-changed"
  | "role-changed"
  | "fields-changed"
  | "note"
  | "status-update"
  | "pinned"
  | "unpinned"
  | "impact-started"
  | "impact-ended"
  | "merged"
  | "duplicate-merged"
  | "action-added"
  | "action-changed"
  | "participant-added"
  | "labeled"
  | "unlabeled"
  | "visibility-changed"
  | "escalation-requested"
  | `rule-${string}` // what the policy's rules did, and why
  | `chat-${string}` // messages from the incident's chat channel; the chat integration failing, answering again
  | `page-${string}` // a page's life, written by the paging capability
  | `alert-${string}` // alerts grouping into, re-firing on and resolving for the incident
  | `status-page-${string}` // public status page updates drafted and published for it
  | `notice-${string}` // reminders and notices reaching (or failing to reach) people
  | `tracker-${string}` // the incident's GitLab/GitHub issue opened, failing, answering again
  | `review-${string}` // its post-incident review required, saved, completed (src/reviews)
  | `customer-${string}`; // affected customers added, removed, updated by mail (src/customers)

export type EventDraft = {
  kind: EventKind;
  body?: string;
  internal?: boolean;
  data: Record<string, unknown>;
  /** Who did it, when not the command's actor (a page's trigger and first level, written together). */
  actorId?: number | null;
};

export type Decision = { incident: Incident; events: EventDraft[] };
export type Context = { actor: Actor; now: Date; policy: Policy };

export const refuse = (detail: string, extra: Record<string, unknown> = {}) =>
  new AppError("invalid-transition", detail, extra);

// ---------------------------------------------------------------------------------------------
// Labels (LC-3, LC-4)

/** Label names when the policy has no `labels` section: the handbook's. */
export const defaultLabelNames: NonNullable<Policy["labels"]> = {
  incident: "incident",
  active: "Incident::Active",
  mitigated: "Incident::Mitigated",
  resolved: "Incident::Resolved",
  severityPrefix: "severity::",
  blocksDeployments: "blocks deployments",
  blocksFeatureFlags: "blocks feature-flags",
};
export const labelNames = (policy: Policy) => policy.labels ?? defaultLabelNames;

export function blocksDeploys(policy: Policy, severity: string, field: boolean): boolean {
  return field || policy.severities.some((s) => s.id === severity && s.blocksDeployments);
}

/** Workflow labels follow the state; deploy-blocking labels follow severity and the field. */
export function deriveLabels(
  policy: Policy,
  state: State,
  severity: string,
  blocksDeploymentsField: boolean,
): string[] {
  const names = labelNames(policy);
  const labels = [names.incident];
  if (state === "investigating" || state === "fixing") labels.push(names.active);
  if (state === "monitoring") labels.push(names.mitigated);
  if (state === "resolved" || state === "post-incident" || state === "closed") labels.push(names.resolved);
  labels.push(`${names.severityPrefix}${severity}`);
  if (blocksDeploys(policy, severity, blocksDeploymentsField)) {
    labels.push(names.blocksDeployments, names.blocksFeatureFlags);
  }
  return labels;
}

/** The labels an incident shows under `policy`: derived ones, then those people added. */
export function labelsOf(
  policy: Policy,
  i: Pick<Incident, "state" | "severity" | "blocksDeployments" | "extraLabels">,
) {
  const derived = deriveLabels(policy, i.state, i.severity, i.blocksDeployments);
  return [...derived, ...i.extraLabels.filter((l) => !derived.includes(l))];
}

export function withLabels(policy: Policy, i: Incident): Incident {
  return { ...i, labels: labelsOf(policy, i) };
}

export function moreSevere(policy: Policy, a: string, b: string): string {
  return severityRank(policy, a) <= severityRank(policy, b) ? a : b;
}

// ---------------------------------------------------------------------------------------------
// Declaring (DEC-1, SEV-4)

export type DeclareInput = {
  title: string;
  type: string;
  severity: string;
  status: "triage" | "active";
  summary: string;
  visibility: Visibility;
  ownerId: number;
  /** The declarer named the owner (OWN-3 then leaves ownership alone). */
  ownerChosen: boolean;
  blocksDeployments: boolean;
};

/** A closed incident the recurrence rule looks at (SEV-4). */
export type ClosedIncident = { id: number; severity: string; closedAt: Date; visibility: Visibility };

/** SEV-4: a closed S2/S3 followed within the window by another S2/S3 makes the later one S2. */
export function recurrenceUpgrade(
  policy: Policy,
  severity: string,
  now: Date,
  recentlyClosed: ClosedIncident[],
): { to: string; because: ClosedIncident } | null {
  const r = policy.recurrence;
  if (!r.severities.includes(severity)) return null;
  if (severityRank(policy, severity) <= severityRank(policy, r.upgradeTo)) return null;
  const since = now.getTime() - r.windowMinutes * 60_000;
  const because = recentlyClosed
    .filter((c) => r.severities.includes(c.severity) && c.closedAt.getTime() >= since)
    .sort((a, b) => b.closedAt.getTime() - a.closedAt.getTime())[0];
  return because ? { to: r.upgradeTo, because } : null;
}

export function declare(
  input: DeclareInput,
  ctx: Context,
  recentlyClosed: ClosedIncident[],
): Omit<Decision, "incident"> & { incident: Omit<Incident, "id"> } {
  const { policy, now, actor } = ctx;
  const upgrade = recurrenceUpgrade(policy, input.severity, now, recentlyClosed);
  const severity = upgrade ? upgrade.to : input.severity;
  const state: State = input.status === "triage" ? "triage" : "investigating";
  const incident: Omit<Incident, "id"> = {
    title: input.title,
    type: input.type,
    severity,
    maxSeverity: severity,
    state,
    visibility: input.visibility,
    summary: input.summary,
    ownerId: input.ownerId,
    declaredBy: actor.id,
    blocksDeployments: input.blocksDeployments,
    labels: deriveLabels(policy, state, severity, input.blocksDeployments),
    extraLabels: [],
    roles: {},
    engagedAt: {},
    roleSince: {},
    ownerDeliberate: input.ownerChosen,
    declaredAt: now,
    acceptedAt: state === "triage" ? null : now,
    mitigatedAt: null,
    resolvedAt: null,
    closedAt: null,
    impactStartedAt: null,
    impactEndedAt: null,
    impactLevel: null,
    lastStatusUpdateAt: null,
    publicPostAt: null,
    mergedInto: null,
    updatedAt: now,
  };
  const events: EventDraft[] = [
    {
      kind: "declared",
      body: input.title,
      data: {
        type: input.type,
        severity: input.severity,
        state,
        visibility: input.visibility,
        ownerId: input.ownerId,
      },
    },
  ];
  if (upgrade) {
    const ref = upgrade.because.visibility === "public" ? `#${upgrade.because.id}` : "a private incident";
    events.push({
      kind: "severity-changed",
      body: `SEV-4: raised to ${severity} because ${ref} (${upgrade.because.severity}) closed within the last ${policy.recurrence.windowMinutes} minutes`,
      data: {
        from: input.severity,
        to: severity,
        rule: "SEV-4",
        raised: true,
        recurrenceOf: upgrade.because.visibility === "public" ? upgrade.because.id : null,
      },
    });
  }
  return { incident, events };
}

// ---------------------------------------------------------------------------------------------
// Lifecycle (LC-1, LC-5, OWN-2)

const transitions: Record<State, readonly State[]> = {
  triage: ["investigating", "declined"],
  // Moving back is allowed: a fix that did not hold returns to fixing or investigating.
  investigating: ["fixing", "monitoring", "resolved"],
  fixing: ["investigating", "monitoring", "resolved"],
  monitoring: ["investigating", "fixing", "resolved"],
  resolved: ["post-incident", "closed", "investigating"],
  "post-incident": ["closed", "investigating"],
  closed: ["investigating"],
  declined: ["triage"],
  merged: [],
};

/** The states this incident may move to now, by the workflow alone (before who-may-do-it checks). */
export function nextStates(i: Pick<Incident, "state">): readonly State[] {
  return transitionsFrom(i.state);
}

/** The workflow (LC-1): the states an incident in `state` may move to next. */
export function transitionsFrom(state: State): readonly State[] {
  return transitions[state];
}

/** LC-5: when an incident resolved at `resolvedAt` may close, or null if it may close now. */
export function earliestClose(policy: Policy, i: Incident, now: Date): Date | null {
  const delay = policy.severities.find((s) => s.id === i.severity)?.closeDelayMinutes ?? 0;
  if (!i.resolvedAt || delay === 0) return null;
  const at = new Date(i.resolvedAt.getTime() + delay * 60_000);
  return at.getTime() > now.getTime() ? at : null;
}

export type TransitionInput = { to: State; severity?: string; reason?: string };
/** LC-6: the incident's review, as closing needs it (src/reviews). */
export type ReviewGate = { requirement: Requirement; completedAt: Date | null };

export function transition(i: Incident, input: TransitionInput, ctx: Context, review?: ReviewGate): Decision {
  const { policy, now, actor } = ctx;
  const { to } = input;
  const allowed = nextStates(i);
  if (!allowed.includes(to)) {
    throw refuse(
      `incident ${i.id} is ${i.state}; it can move to ${allowed.length ? allowed.join(", ") : "no other state"}, not ${to}`,
      { currentState: i.state, allowed },
    );
  }
  if (to === "resolved" && actor.id !== i.ownerId) {
    throw new AppError(
      "forbidden",
      `only the incident's owner (user ${i.ownerId}) can resolve incident ${i.id} (OWN-2); ask them, or have ownership handed to you first`,
    );
  }
  if (to === "closed") {
    const at = earliestClose(policy, i, now);
    if (at) {
      const minutes = (at.getTime() - (i.resolvedAt?.getTime() ?? 0)) / 60_000;
      throw refuse(
        `incident ${i.id} is ${i.severity}: it can close only after being stable for ${minutes} minutes past its resolution, at ${at.toISOString()} (LC-5)`,
        { currentState: i.state, allowed, closableAt: at.toISOString() },
      );
    }
  }
  // LC-6: after LC-5's wait (which says when), a required review must be complete.
  if (to === "closed" && review) {
    const refusal = closeRefusal(i, review);
    if (refusal) throw refuse(refusal, { currentState: i.state, allowed, review: review.requirement.reason });
  }
  const reopening = endedStates.includes(i.state) && !endedStates.includes(to);
  let next: Incident = { ...i, state: to, updatedAt: now };
  const events: EventDraft[] = [];
  if (i.state === "triage" && to === "investigating") {
    next.acceptedAt = now;
    if (input.severity && input.severity !== i.severity) {
      next = applySeverity(next, input.severity, policy);
      events.push({
        kind: "severity-changed",
        body: input.reason ?? "set when accepting the triage incident",
        // Not a raise (SEV-3): a triage incident's severity was provisional; accepting sets it.
        data: { from: i.severity, to: input.severity, accepting: true },
      });
    }
  }
  if (to === "monitoring" || to === "resolved") next.mitigatedAt ??= now;
  if (to === "resolved") next.resolvedAt = now;
  if (to === "closed") next.closedAt = now;
  if (reopening) {
    next.resolvedAt = null;
    next.closedAt = null;
  }
  const verb =
    i.state === "triage" && to === "investigating"
      ? "accepted"
      : to === "declined"
        ? "declined"
        : reopening
          ? "reopened"
          : "moved";
  events.unshift({ kind: "status-changed", body: input.reason ?? "", data: { from: i.state, to, verb } });
  return { incident: withLabels(policy, next), events };
}

// ---------------------------------------------------------------------------------------------
// Severity (SEV-1, SEV-2)

export function applySeverity(i: Incident, to: string, policy: Policy): Incident {
  return withLabels(policy, { ...i, severity: to, maxSeverity: moreSevere(policy, i.maxSeverity, to) });
}

export function assertChangeable(i: Incident, what: string): void {
  if (endedStates.includes(i.state)) {
    throw refuse(`incident ${i.id} is ${i.state}; reopen it before changing its ${what}`, {
      currentState: i.state,
      allowed: nextStates(i),
    });
  }
}

export function changeSeverity(i: Incident, to: string, reason: string, ctx: Context): Decision {
  const { policy, now } = ctx;
  assertChangeable(i, "severity");
  if (to === i.severity) throw new AppError("conflict", `incident ${i.id} is already ${to}`);
  const lowering = severityRank(policy, to) > severityRank(policy, i.severity);
  if (lowering && i.mitigatedAt) {
    throw refuse(
      `incident ${i.id} was mitigated at ${i.mitigatedAt.toISOString()}; severity records the maximum impact and is not lowered after mitigation (SEV-2): it stays ${i.severity} or goes higher`,
      { currentState: i.state, currentSeverity: i.severity },
    );
  }
  return {
    incident: { ...applySeverity(i, to, policy), updatedAt: now },
    events: [{ kind: "severity-changed", body: reason, data: { from: i.severity, to, raised: !lowering } }],
  };
}
