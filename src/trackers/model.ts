/**
 * Tracker issues as pure functions: what the issue of an incident (or of a follow-up) should say,
 * and which labels to add and remove so Firebreak's labels follow the incident while the labels
 * people added in the tracker stay (DEC-2, FU-1, LC-3, LC-4).
 */
import type { Incident } from "../incidents/model.ts";
import { labelsOf } from "../incidents/model.ts";
import type { Task } from "../incidents/tasks-store.ts";
import { findType, type Policy } from "../policy/model.ts";

export type TrackerKind = "gitlab" | "github";
export type TrackerTarget = { kind: TrackerKind; project: string };

/** The tracker an incident of this type gets its issue in, or null. */
export function trackerOf(policy: Policy, type: string): TrackerTarget | null {
  return findType(policy, type)?.tracker ?? null;
}

/** What an issue should be; `reason` says why a closed one is closed (GitHub's state_reason). */
export type IssueContent = {
  title: string;
  description: string;
  labels: string[];
  open: boolean;
  reason: "completed" | "not_planned" | null;
  /** GitLab's confidential issues (GitHub has none: the text then says nothing but the link). */
  confidential: boolean;
};

export const incidentUrl = (publicUrl: string, id: number) => `${publicUrl}/incidents/${id}`;

/**
 * A line hidden in the rendered issue that names what it is for. A retried create looks for it
 * (with the incident's link, which makes it unique per Firebreak) before creating anything.
 */
export const markerOf = (url: string, taskId?: number) =>
  taskId === undefined ? `<!-- firebreak: ${url} -->` : `<!-- firebreak: ${url} follow-up ${taskId} -->`;

const closedStates = new Set<Incident["state"]>(["closed", "merged", "declined"]);

/**
 * The incident's issue. A private incident's issue is confidential on GitLab, and on both
 * trackers says only "Private incident #id" and the link: its title and summary stay in Firebreak,
 * where only its participants see them (DATA-3).
 */
export function incidentIssue(policy: Policy, i: Incident, publicUrl: string): IssueContent {
  const url = incidentUrl(publicUrl, i.id);
  const open = !closedStates.has(i.state);
  const reason = open ? null : i.state === "closed" ? "completed" : "not_planned";
  const shared = { labels: labelsOf(policy, i), open, reason } as const;
  if (i.visibility === "private")
    return {
      ...shared,
      title: `Private incident #${i.id}`,
      description: `A private incident: its details are in Firebreak, for its participants.\n\n${url}\n\n${markerOf(url)}`,
      confidential: true,
    };
  const summary = i.summary.trim() ? `${i.summary.trim()}\n\n` : "";
  return {
    ...shared,
    title: i.title.trim() ? `Incident #${i.id}: ${i.title.trim()}` : `Incident #${i.id}`,
    description: `${summary}${i.type} incident declared in Firebreak: ${url}\n\n${markerOf(url)}`,
    confidential: false,
  };
}

/**
 * A follow-up's issue, linked to the incident's (`incidentRef` is how the tracker writes a
 * reference to it: `#12` in the same project). A private incident's follow-ups say nothing but
 * where they come from.
 */
export function followUpIssue(
  i: Incident,
  task: Task,
  publicUrl: string,
  incidentRef: string,
  labels: readonly string[] = [],
): IssueContent {
  const url = incidentUrl(publicUrl, i.id);
  const isPrivate = i.visibility === "private";
  return {
    title: isPrivate ? `Follow-up ${task.id} of private incident #${i.id}` : task.title,
    description: `Follow-up of incident ${incidentRef} (${url}).\n\n${markerOf(url, task.id)}`,
    labels: [...labels],
    open: task.state === "open",
    reason: task.state === "open" ? null : task.state === "done" ? "completed" : "not_planned",
    confidential: isPrivate,
  };
}

/**
 * The label change that makes an issue carry `wanted` when Firebreak last put `managed` on it:
 * add what is wanted, remove only what Firebreak put there and no longer wants.
 */
export function labelChange(managed: readonly string[], wanted: readonly string[]) {
  const want = new Set(wanted);
  return { add: [...want], remove: [...new Set(managed)].filter((l) => !want.has(l)) };
}

/** An issue's labels after the change: people's labels kept, Firebreak's brought in step. */
export function applyLabels(
  current: readonly string[],
  managed: readonly string[],
  wanted: readonly string[],
) {
  const { add, remove } = labelChange(managed, wanted);
  const gone = new Set(remove);
  return [...new Set([...current.filter((l) => !gone.has(l)), ...add])];
}
