/**
 * From what a command wrote to what rules react to, pure: timeline events become rule events,
 * an incident becomes the subject rules look at.
 */
import type { Incident } from "../incidents/model.ts";
import type { IncidentSubject } from "./conditions.ts";
import type { RuleEvent } from "./rules.ts";

/** The rule events a command's timeline events mean, in order, each kind once (role/label apart). */
export function toRuleEvents(drafts: { kind: string; data?: Record<string, unknown> }[]): RuleEvent[] {
  const out: RuleEvent[] = [];
  const push = (e: RuleEvent) => {
    if (!out.some((o) => o.kind === e.kind && o.role === e.role && o.label === e.label)) out.push(e);
  };
  for (const d of drafts) {
    const data = d.data ?? {};
    switch (d.kind) {
      case "declared":
        push({ kind: "declared" });
        break;
      case "status-changed":
        if (data.verb === "accepted") push({ kind: "accepted" });
        push({ kind: "state-changed" });
        break;
      case "severity-changed":
        if (data.raised === true) push({ kind: "severity-raised" });
        break;
      case "role-changed":
        if (typeof data.to === "number" && data.to !== data.from)
          push({ kind: "role-engaged", role: String(data.role) });
        break;
      case "labeled":
        push({ kind: "labeled", label: String(data.label) });
        break;
      case "impact-started":
        push({ kind: "impact-started" });
        break;
      case "status-update":
        push({ kind: "status-update" });
        break;
      case "status-page-published":
        push({ kind: "public-post" });
        break;
      case "duplicate-merged":
        push({ kind: "merged" });
        break;
      case "alert-grouped":
        push({ kind: "alert-grouped" });
        break;
      case "alert-refired":
        push({ kind: "alert-refired" });
        break;
      case "customer-added":
        push({ kind: "customer-added" });
        break;
      case "customer-removed":
        push({ kind: "customer-removed" });
        break;
      case "customer-update-sent":
        push({ kind: "customer-update" });
        break;
    }
  }
  return out;
}

export function subjectOf(i: Incident, declaredByAutomation: boolean): IncidentSubject {
  return {
    kind: "incident",
    id: i.id,
    type: i.type,
    severity: i.severity,
    state: i.state,
    visibility: i.visibility,
    declaredByAutomation,
    ownerId: i.ownerId,
    ownerDeliberate: i.ownerDeliberate,
    roles: i.roles,
    engagedAt: i.engagedAt,
    roleSince: i.roleSince,
    labels: i.labels,
    declaredAt: i.declaredAt,
    acceptedAt: i.acceptedAt,
    resolvedAt: i.resolvedAt,
    impactStartedAt: i.impactStartedAt,
    impactEndedAt: i.impactEndedAt,
    impactLevel: i.impactLevel,
    lastStatusUpdateAt: i.lastStatusUpdateAt,
    publicPostAt: i.publicPostAt,
  };
}
