/**
 * Fields, labels, visibility, customer impact, status updates and merging, as pure functions of
 * (incident, change, context) → (new incident, timeline events).
 */
import { AppError } from "../platform/errors.ts";
import { severityRank } from "../policy/model.ts";
import {
  applySeverity,
  assertChangeable,
  type Context,
  type Decision,
  type ImpactLevel,
  type Incident,
  labelNames,
  openStates,
  refuse,
  type Visibility,
  withLabels,
} from "./model.ts";

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

/**
 * Adds a label (e.g. "path blocked", which engages an IM by PAGE-4). Labels Firebreak derives from
 * the state and severity are not set by hand: they would disagree with the incident.
 */
export function addLabel(i: Incident, label: string, ctx: Context, rule?: string): Decision {
  if (i.state === "merged") throw refuse(`incident ${i.id} is merged into ${i.mergedInto}; label it there`);
  const name = label.trim();
  if (name === "")
    throw new AppError("invalid-request", "label: expected a non-empty label", { field: "label" });
  const names = labelNames(ctx.policy);
  const derived = [
    names.incident,
    names.active,
    names.mitigated,
    names.resolved,
    names.blocksDeployments,
    names.blocksFeatureFlags,
  ];
  if (derived.includes(name) || name.startsWith(names.severityPrefix))
    throw new AppError(
      "invalid-request",
      `label: "${name}" follows the incident's state, severity or "Blocks Deployments" field and is not set by hand; change those instead`,
      { field: "label" },
    );
  if (i.extraLabels.includes(name))
    throw new AppError("conflict", `incident ${i.id} is already labelled "${name}"`);
  const next = withLabels(ctx.policy, { ...i, extraLabels: [...i.extraLabels, name], updatedAt: ctx.now });
  return {
    incident: next,
    events: [{ kind: "labeled", body: name, data: { label: name, ...(rule ? { rule } : {}) } }],
  };
}

export function removeLabel(i: Incident, label: string, ctx: Context): Decision {
  if (!i.extraLabels.includes(label))
    throw new AppError("not-found", `incident ${i.id} has no label "${label}" that was added by hand`);
  const next = withLabels(ctx.policy, {
    ...i,
    extraLabels: i.extraLabels.filter((l) => l !== label),
    updatedAt: ctx.now,
  });
  return { incident: next, events: [{ kind: "unlabeled", body: label, data: { label } }] };
}

/**
 * DATA-3: an incident can be made private after declaring (by anyone who may change it); making a
 * private incident public again exposes what was kept confidential, so only an admin may.
 */
export function setVisibility(i: Incident, to: Visibility, reason: string, ctx: Context): Decision {
  if (i.visibility === to) throw new AppError("conflict", `incident ${i.id} is already ${to}`);
  if (i.state === "merged") throw refuse(`incident ${i.id} is merged into ${i.mergedInto}; change that one`);
  if (to === "public" && ctx.actor.role !== "admin")
    throw new AppError(
      "forbidden",
      `only an admin can make private incident ${i.id} public again (DATA-3): it may hold what was kept confidential`,
    );
  return {
    incident: { ...i, visibility: to, updatedAt: ctx.now },
    events: [{ kind: "visibility-changed", body: reason, data: { from: i.visibility, to } }],
  };
}

/** TL-3: the timeline records when customer impact started (and how bad it is) and ended. */
export function recordImpact(
  i: Incident,
  edge: "started" | "ended",
  at: Date,
  ctx: Context,
  level: ImpactLevel = "degraded",
): Decision {
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
  const next: Incident =
    edge === "started"
      ? { ...i, impactStartedAt: at, impactEndedAt: null, impactLevel: level, updatedAt: ctx.now }
      : { ...i, impactEndedAt: at, updatedAt: ctx.now };
  return {
    incident: next,
    events: [
      edge === "started"
        ? { kind: "impact-started", data: { at: at.toISOString(), level } }
        : { kind: "impact-ended", data: { at: at.toISOString() } },
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

/** COMM-2: the first post about the incident on a public status page. */
export function recordPublicPost(i: Incident, at: Date): Incident {
  return i.publicPostAt ? i : { ...i, publicPostAt: at, updatedAt: at };
}

/** COMM-1: when the next status update is due by the policy's cadence (null once no longer open). */
export function nextUpdateDue(policy: Context["policy"], i: Incident): Date | null {
  if (!openStates.includes(i.state) || i.state === "triage") return null;
  const cadence = policy.severities.find((s) => s.id === i.severity)?.updateCadenceMinutes;
  if (!cadence) return null;
  const from = i.lastStatusUpdateAt ?? i.acceptedAt ?? i.declaredAt;
  return new Date(from.getTime() + cadence * 60_000);
}

/**
 * LC-2: a duplicate ends as `merged` into an open primary; the primary's timeline shows both. The
 * primary takes the duplicate's severity when that is higher (SEV-2: severity is the maximum impact
 * known), which pages as any raise does (SEV-3).
 */
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
  const raise = severityRank(ctx.policy, duplicate.severity) < severityRank(ctx.policy, primary.severity);
  const primaryEvents: Decision["events"] = [
    { kind: "duplicate-merged", body: reason, data: { duplicate: duplicate.id } },
  ];
  let nextPrimary: Incident = { ...primary, updatedAt: now };
  if (raise) {
    nextPrimary = applySeverity(nextPrimary, duplicate.severity, ctx.policy);
    primaryEvents.push({
      kind: "severity-changed",
      body: `raised to ${duplicate.severity}: merged duplicate #${duplicate.id} was ${duplicate.severity}`,
      data: { from: primary.severity, to: duplicate.severity, raised: true, mergedFrom: duplicate.id },
    });
  }
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
    primary: { incident: nextPrimary, events: primaryEvents },
  };
}
