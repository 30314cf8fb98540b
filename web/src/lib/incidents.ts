/** Pure helpers for showing incidents: the workflow's order, grouping, words for states. */
import { states as allStates, openStates } from "../../../src/incidents/states.ts";
import type { Incident, IncidentState } from "../api/types.ts";

/** Every state in workflow order, and those still being worked: the server's own lists. */
export { openStates, states as allStates } from "../../../src/incidents/states.ts";

export const isOpen = (state: IncidentState) => openStates.includes(state);

export const stateLabel: Record<IncidentState, string> = {
  triage: "Triage",
  investigating: "Investigating",
  fixing: "Fixing",
  monitoring: "Monitoring",
  resolved: "Resolved",
  "post-incident": "Post-incident",
  closed: "Closed",
  declined: "Declined",
  merged: "Merged",
};

/** What the button that moves an incident from `from` to `to` says. */
export function transitionLabel(from: IncidentState, to: IncidentState): string {
  if (from === "triage" && to === "investigating") return "Accept";
  if (to === "declined") return "Decline";
  if (to === "triage") return "Back to triage";
  if ((from === "resolved" || from === "post-incident" || from === "closed") && to === "investigating")
    return "Reopen";
  if (to === "monitoring") return "Mitigated: monitor";
  if (to === "resolved") return "Resolve";
  if (to === "post-incident") return "Start post-incident";
  if (to === "closed") return "Close";
  const back = allStates.indexOf(to) < allStates.indexOf(from);
  return `${back ? "Back to" : "Move to"} ${stateLabel[to].toLowerCase()}`;
}

export type StateGroup = { state: IncidentState; incidents: Incident[] };

/**
 * Groups incidents by state: states still being worked first (in workflow order), then the ended
 * ones. Within a group the most severe come first, then the newest.
 */
export function groupByState(incidents: Incident[], severityOrder: string[]): StateGroup[] {
  const rank = (id: string) => {
    const i = severityOrder.indexOf(id);
    return i < 0 ? severityOrder.length : i;
  };
  return allStates
    .map((state) => ({
      state,
      incidents: incidents
        .filter((i) => i.state === state)
        .sort((a, b) => rank(a.severity) - rank(b.severity) || b.id - a.id),
    }))
    .filter((g) => g.incidents.length > 0);
}

/** The colour band of a severity: by its rank in the policy, so renamed severities still read right. */
export function severityTone(id: string, severityOrder: string[]): "critical" | "high" | "medium" | "low" {
  const rank = severityOrder.indexOf(id);
  if (rank === 0) return "critical";
  if (rank === 1) return "high";
  if (rank === 2) return "medium";
  return "low";
}

export const incidentTitle = (i: Pick<Incident, "title">) => i.title.trim() || "(untitled)";
