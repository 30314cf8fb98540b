/**
 * The incident core as pure functions: (incident, command, context) → (new incident, timeline
 * events). No I/O and no clock: `now` and the policy come in the context, so every rule here is
 * tested without a database.
 */

import { AppError } from "../platform/errors.ts";
import { type Policy, severityRank } from "../policy/model.ts";
import { endedStates, openStates, type State } from "./states.ts";

export { endedStates, openStates, type State, states } from "./states.ts";

export type Visibility = "public" | "private";
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
  labels: string[];
  roles: Record<string, number>;
  declaredAt: Date;
  acceptedAt: Date | null;
  mitigatedAt: Date | null;
  resolvedAt: Date | null;
  closedAt: Date | null;
  impactStartedAt: Date | null;
  impactEndedAt: Date | null;
  lastStatusUpdateAt: Date | null;
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
  | `page-${string}` // a page's life, written by the paging capability
  | `alert-${string}` // alerts grouping into, re-firing on and resolving for the incident
  | `status-page-${string}`; // public status page updates drafted and published for it

export type EventDraft = {
  kind: EventKind;
  body?: string;
  internal?: boolean;
  data: Record<string, unknown>;
};

export type Decision = { incident: Incident; events: EventDraft[] };
export type Context = { actor: Actor; now: Date; policy: Policy };

const refuse = (detail: string, extra: Record<string, unknown> = {}) =>
  new AppError("invalid-transition", detail, extra);

// ---------------------------------------------------------------------------------------------
// Labels (LC-3, LC-4)

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
  const labels = ["incident"];
  if (state === "investigating" || state === "fixing") labels.push("Incident::Active");
  if (state === "monitoring") labels.push("Incident::Mitigated");
  if (state === "resolved" || state === "post-incident" || state === "closed")
    labels.push("Incident::Resolved");
  labels.push(`severity::${severity}`);
  if (blocksDeploys(policy, severity, blocksDeploymentsField)) {
    labels.push("blocks deployments", "blocks feature-flags");
  }
  return labels;
}

function withLabels(policy: Policy, i: Incident): Incident {
  return { ...i, labels: deriveLabels(policy, i.state, i.severity, i.blocksDeployments) };
}

function moreSevere(policy: Policy, a: string, b: string): string {
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
    roles: {},
    declaredAt: now,
    acceptedAt: state === "triage" ? null : now,
    mitigatedAt: null,
    resolvedAt: null,
    closedAt: null,
    impactStartedAt: null,
    impactEndedAt: null,
    lastStatusUpdateAt: null,
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

export function transition(i: Incident, input: TransitionInput, ctx: Context): Decision {
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
        data: { from: i.severity, to: input.severity },
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

function applySeverity(i: Incident, to: string, policy: Policy): Incident {
  return withLabels(policy, { ...i, severity: to, maxSeverity: moreSevere(policy, i.maxSeverity, to) });
}

function assertChangeable(i: Incident, what: string): void {
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

// ---------------------------------------------------------------------------------------------
// Owner and roles (OWN-1, OWN-5)

function mayHandOver(i: Incident, actor: Actor): boolean {
  return actor.id === i.ownerId || actor.role === "admin";
}

export function changeOwner(i: Incident, ownerId: number, reason: string, ctx: Context): Decision {
  assertChangeable(i, "owner");
  if (!mayHandOver(i, ctx.actor)) {
    throw new AppError(
      "forbidden",
      `only the owner (user ${i.ownerId}) or an admin can hand incident ${i.id} over (OWN-1)`,
    );
  }
  if (ownerId === i.ownerId) throw new AppError("conflict", `user ${ownerId} already owns incident ${i.id}`);
  return {
    incident: { ...i, ownerId, updatedAt: ctx.now },
    events: [{ kind: "owner-changed", body: reason, data: { from: i.ownerId, to: ownerId } }],
  };
}

/** OWN-1: the owner may escalate ownership to the incident's IM at any time. */
export function escalateToIncidentManager(i: Incident, reason: string, ctx: Context): Decision {
  const role = ctx.policy.incidentManagerRole;
  const im = i.roles[role];
  if (im === undefined) {
    throw new AppError(
      "conflict",
      `incident ${i.id} has no ${role} assigned; assign the ${role} role first, then escalate`,
    );
  }
  const d = changeOwner(i, im, reason || `escalated to the ${role}`, ctx);
  d.events[0]!.data.escalatedTo = role;
  return d;
}

export function assignRole(i: Incident, role: string, userId: number | null, ctx: Context): Decision {
  assertChangeable(i, "roles");
  if (!ctx.policy.roles.some((r) => r.name === role)) {
    throw new AppError(
      "invalid-request",
      `role: unknown role ${JSON.stringify(role)}; the policy's roles are ${ctx.policy.roles.map((r) => r.name).join(", ")}`,
      { field: "role" },
    );
  }
  // OWN-1: the owner role is ownership itself, so there is never a second "lead".
  if (role === ctx.policy.ownerRole) {
    if (userId === null) {
      throw new AppError("conflict", `an incident always has one ${role}; hand it to someone else instead`);
    }
    return changeOwner(i, userId, `given the ${role} role`, ctx);
  }
  const from = i.roles[role] ?? null;
  if (from === userId) throw new AppError("conflict", `role ${role} on incident ${i.id} is already so`);
  const roles = { ...i.roles };
  if (userId === null) delete roles[role];
  else roles[role] = userId;
  return {
    incident: { ...i, roles, updatedAt: ctx.now },
    events: [{ kind: "role-changed", data: { role, from, to: userId } }],
  };
}

/** Roles as people see them: the owner role (if the policy names one) always shows the owner. */
export function rolesWithOwner(policy: Policy, i: Incident): Record<string, number> {
  return policy.ownerRole ? { ...i.roles, [policy.ownerRole]: i.ownerId } : i.roles;
}

// ---------------------------------------------------------------------------------------------
// Fields, impact, merge

export type FieldChanges = { title?: string; summary?: string; blocksDeployments?: boolean };

export function editFields(i: Incident, changes: FieldChanges, ctx: Context): Decision {
  assertChangeable(i, "fields");
  const changed: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of ["title", "summary", "blocksDeployments"] as const) {
    const to = changes[key];
    if (to !== undefined && to !== i[key]) changed[key] = { from: i[key], to };
  }
  if (Object.keys(changed).length === 0)
    throw new AppError("conflict", "nothing to change: the values are the same");
  const next = withLabels(ctx.policy, { ...i, ...changes, updatedAt: ctx.now });
  return { incident: next, events: [{ kind: "fields-changed", data: { changed } }] };
}

/** TL-3: the timeline records when customer impact started and ended. */
export function recordImpact(i: Incident, edge: "started" | "ended", at: Date, ctx: Context): Decision {
  if (edge === "ended" && !i.impactStartedAt) {
    throw new AppError("conflict", `incident ${i.id} has no customer impact start; record the start first`);
  }
  if (edge === "ended" && i.impactStartedAt && at < i.impactStartedAt) {
    throw new AppError(
      "invalid-request",
      `at: impact cannot end (${at.toISOString()}) before it started (${i.impactStartedAt.toISOString()})`,
      { field: "at" },
    );
  }
  const next =
    edge === "started"
      ? { ...i, impactStartedAt: at, impactEndedAt: null, updatedAt: ctx.now }
      : { ...i, impactEndedAt: at, updatedAt: ctx.now };
  return {
    incident: next,
    events: [
      { kind: edge === "started" ? "impact-started" : "impact-ended", data: { at: at.toISOString() } },
    ],
  };
}

/** COMM-1: a status update states current customer impact and actions; it resets the cadence. */
export function postStatusUpdate(
  i: Incident,
  input: { impact: string; actions: string; nextUpdateAt?: Date },
  ctx: Context,
): Decision {
  if (i.state === "merged") {
    throw refuse(`incident ${i.id} is merged into ${i.mergedInto}; post updates there`, {
      currentState: i.state,
      allowed: [],
    });
  }
  return {
    incident: { ...i, lastStatusUpdateAt: ctx.now, updatedAt: ctx.now },
    events: [
      {
        kind: "status-update",
        body: input.impact,
        data: {
          impact: input.impact,
          actions: input.actions,
          nextUpdateAt: input.nextUpdateAt?.toISOString() ?? null,
        },
      },
    ],
  };
}

/** COMM-1: when the next status update is due by the policy's cadence (null once no longer open). */
export function nextUpdateDue(policy: Policy, i: Incident): Date | null {
  if (!openStates.includes(i.state) || i.state === "triage") return null;
  const cadence = policy.severities.find((s) => s.id === i.severity)?.updateCadenceMinutes;
  if (!cadence) return null;
  const from = i.lastStatusUpdateAt ?? i.acceptedAt ?? i.declaredAt;
  return new Date(from.getTime() + cadence * 60_000);
}

/** LC-2: a duplicate ends as `merged` into an open primary; the primary's timeline shows both. */
export function merge(
  duplicate: Incident,
  primary: Incident,
  reason: string,
  ctx: Context,
): { duplicate: Decision; primary: Decision } {
  if (duplicate.id === primary.id) {
    throw new AppError("invalid-request", "into: an incident cannot be merged into itself", {
      field: "into",
    });
  }
  if (!openStates.includes(primary.state)) {
    throw refuse(
      `incident ${primary.id} is ${primary.state}; merge only into an open incident (reopen it first) (LC-2)`,
      { currentState: primary.state, allowed: openStates },
    );
  }
  if (duplicate.state === "merged") {
    throw refuse(`incident ${duplicate.id} is already merged into ${duplicate.mergedInto}`, {
      currentState: duplicate.state,
      allowed: [],
    });
  }
  if (duplicate.visibility === "private" && primary.visibility === "public") {
    throw new AppError(
      "conflict",
      `incident ${duplicate.id} is private and ${primary.id} is public; merging would expose it (DATA-3) — make the primary private or merge the other way`,
    );
  }
  const now = ctx.now;
  return {
    duplicate: {
      incident: withLabels(ctx.policy, {
        ...duplicate,
        state: "merged",
        mergedInto: primary.id,
        updatedAt: now,
      }),
      events: [{ kind: "merged", body: reason, data: { into: primary.id, from: duplicate.state } }],
    },
    primary: {
      incident: { ...primary, updatedAt: now },
      events: [{ kind: "duplicate-merged", body: reason, data: { duplicate: duplicate.id } }],
    },
  };
}
