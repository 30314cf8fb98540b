/**
 * Owner and roles as pure functions (OWN-1, OWN-3, OWN-5, OWN-7): who owns the incident, who holds
 * which role, and the changes Firebreak makes itself when someone engages by acknowledging a page.
 */
import { AppError } from "../platform/errors.ts";
import type { Policy } from "../policy/model.ts";
import {
  type Actor,
  assertChangeable,
  type Context,
  type Decision,
  type EventDraft,
  type Incident,
} from "./model.ts";

function mayHandOver(i: Incident, actor: Actor): boolean {
  return actor.id === i.ownerId || actor.role === "admin";
}

/** A person hands ownership over (OWN-1): deliberate, so OWN-3's defaults leave it alone after. */
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
    incident: { ...i, ownerId, ownerDeliberate: true, updatedAt: ctx.now },
    events: [{ kind: "owner-changed", body: reason, data: { from: i.ownerId, to: ownerId } }],
  };
}

/**
 * OWN-1: the owner may escalate ownership to the incident's IM at any time. With nobody in the IM
 * role this returns null: the caller pages the IM on call, who takes ownership on acknowledging.
 */
export function escalateToIncidentManager(i: Incident, reason: string, ctx: Context): Decision | null {
  const role = ctx.policy.incidentManagerRole;
  const im = i.roles[role];
  if (im === undefined) {
    assertChangeable(i, "owner");
    if (!mayHandOver(i, ctx.actor))
      throw new AppError(
        "forbidden",
        `only the owner (user ${i.ownerId}) or an admin can escalate incident ${i.id} (OWN-1)`,
      );
    return null;
  }
  const d = changeOwner(i, im, reason || `escalated to the ${role}`, ctx);
  d.events[0]!.data.escalatedTo = role;
  return d;
}

/** OWN-7: the roles `userId` would hold together with `role` that the policy keeps apart. */
export function roleConflict(
  policy: Policy,
  i: Pick<Incident, "roles" | "ownerId">,
  role: string,
  userId: number,
): { withRole: string; allowed: boolean } | null {
  for (const c of policy.roleConflicts ?? []) {
    if (!c.roles.includes(role)) continue;
    const other = c.roles.find((r) => r !== role && i.roles[r] === userId);
    if (other) return { withRole: other, allowed: c.allowed };
  }
  return null;
}

function conflictError(i: Incident, role: string, userId: number, withRole: string, policy: Policy) {
  const coordinating = role === policy.incidentManagerRole || withRole === policy.incidentManagerRole;
  return new AppError(
    "conflict",
    `user ${userId} already holds ${withRole} on incident ${i.id} and cannot also hold ${role} (OWN-7)${
      coordinating ? ": the incident manager coordinates and does not do the technical work" : ""
    }; choose someone else, or set allowed: true for these roles under roleConflicts in the policy`,
    { field: "user", role, conflictsWith: withRole },
  );
}

/** Gives `role` to `userId` (or nobody), with OWN-7's check; records when the role was first held. */
function setRole(i: Incident, role: string, userId: number | null, ctx: Context, reason?: string): Decision {
  const from = i.roles[role] ?? null;
  if (from === userId) throw new AppError("conflict", `role ${role} on incident ${i.id} is already so`);
  const data: Record<string, unknown> = { role, from, to: userId };
  let body = reason ?? "";
  if (userId !== null) {
    const conflict = roleConflict(ctx.policy, i, role, userId);
    if (conflict && !conflict.allowed) throw conflictError(i, role, userId, conflict.withRole, ctx.policy);
    if (conflict) {
      data.alsoHolds = conflict.withRole;
      body = `${body ? `${body}; ` : ""}also holds ${conflict.withRole}, which the policy allows (OWN-7)`;
    }
  }
  const roles = { ...i.roles };
  if (userId === null) delete roles[role];
  else roles[role] = userId;
  const engagedAt = userId !== null && !i.engagedAt[role] ? { ...i.engagedAt, [role]: ctx.now } : i.engagedAt;
  const roleSince = { ...i.roleSince };
  if (userId === null) delete roleSince[role];
  else roleSince[role] = ctx.now;
  return {
    incident: { ...i, roles, engagedAt, roleSince, updatedAt: ctx.now },
    events: [{ kind: "role-changed", body, data }],
  };
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
  return setRole(i, role, userId, ctx);
}

/**
 * Someone engaged by acknowledging a page for a role takes it, if it is free (or, for a hand-over,
 * from the person handing over). Returns why not instead of throwing: an acknowledgement stands
 * even when the role cannot follow, and the reason goes on the timeline.
 */
export function engage(
  i: Incident,
  role: string,
  userId: number,
  ctx: Context,
  opts: { handOverFrom?: number | null; reason: string },
): { decision: Decision } | { refused: string } {
  if (i.state === "merged" || i.state === "declined" || i.state === "closed")
    return { refused: `incident ${i.id} is ${i.state}` };
  const holder = i.roles[role];
  if (holder === userId) return { refused: `user ${userId} already holds ${role}` };
  if (holder !== undefined && holder !== opts.handOverFrom)
    return { refused: `${role} is already held by user ${holder}` };
  const conflict = roleConflict(ctx.policy, i, role, userId);
  if (conflict && !conflict.allowed)
    return {
      refused: `user ${userId} holds ${conflict.withRole}, which the policy keeps apart from ${role} (OWN-7)`,
    };
  const d = setRole(i, role, userId, ctx, opts.reason);
  if (opts.handOverFrom != null) d.events[0]!.data.handOver = true;
  return { decision: d };
}

/**
 * OWN-3: a rule hands ownership to a role's holder — never over a person's deliberate choice.
 * Null when nothing changes.
 */
export function ownByRule(i: Incident, userId: number, rule: string, ctx: Context): Decision | null {
  if (i.ownerDeliberate || i.ownerId === userId) return null;
  if (i.state === "merged" || i.state === "declined" || i.state === "closed") return null;
  const event: EventDraft = {
    kind: "owner-changed",
    body: `${rule}: the owner by default`,
    data: { from: i.ownerId, to: userId, rule },
  };
  return { incident: { ...i, ownerId: userId, updatedAt: ctx.now }, events: [event] };
}

/** Roles as people see them: the owner role (if the policy names one) always shows the owner. */
export function rolesWithOwner(policy: Policy, i: Incident): Record<string, number> {
  return policy.ownerRole ? { ...i.roles, [policy.ownerRole]: i.ownerId } : i.roles;
}
