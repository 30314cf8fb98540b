/**
 * Post-incident reviews and corrective actions as pure functions (LC-6, LC-7, REV-1..3, FU-2,
 * TL-3, TL-4): whether an incident needs a review, when it is due, its phases, the generated
 * document, and whether a corrective action is SMART. No I/O and no clock.
 */
import type { Incident } from "../incidents/model.ts";
import { type Policy, severityRank, weekdays } from "../policy/model.ts";

export type ReviewReason = "severity" | "requested" | "near-miss" | "support-criticality";
export const reviewReasons: readonly ReviewReason[] = [
  "severity",
  "requested",
  "near-miss",
  "support-criticality",
];
export type DetectionSource = "monitoring" | "customer" | "team" | "security";
export const detectionSources: readonly DetectionSource[] = ["monitoring", "customer", "team", "security"];

/** The labels people put on an incident to ask for a review (REV-1) or mark a near miss (REV-3). */
export const REVIEW_REQUESTED = "review-requested";
export const NEAR_MISS = "Near Miss";
/** FU-2: a corrective action carries this label, which adds `infradev`. */
export const CORRECTIVE_LABELS = ["corrective action", "infradev"] as const;

export type StoredRequirement = { required: boolean; reason: ReviewReason } | null;
export type Requirement = { required: boolean; reason: ReviewReason | null };

/**
 * Whether the incident needs a review and why: its severity asks for one (LC-6, REV-1), someone
 * labelled it `review-requested`, it is a `Near Miss` (REV-3), or a requirement was recorded for
 * it (REV-2's support criticality). The first that applies names the reason.
 */
export function requirementOf(
  policy: Policy,
  i: Pick<Incident, "severity" | "labels" | "extraLabels">,
  stored: StoredRequirement,
): Requirement {
  const labels = new Set([...i.labels, ...i.extraLabels]);
  if (stored?.required && stored.reason === "support-criticality")
    return { required: true, reason: stored.reason };
  if (policy.severities.find((s) => s.id === i.severity)?.requiresReview)
    return { required: true, reason: "severity" };
  if (labels.has(NEAR_MISS)) return { required: true, reason: "near-miss" };
  if (labels.has(REVIEW_REQUESTED)) return { required: true, reason: "requested" };
  if (stored?.required) return { required: true, reason: stored.reason };
  return { required: false, reason: null };
}

const reasonWords: Record<ReviewReason, (i: Pick<Incident, "severity">) => string> = {
  severity: (i) => `${i.severity} incidents need a post-incident review (LC-6, REV-1)`,
  requested: () => `it is labelled ${REVIEW_REQUESTED} (REV-1)`,
  "near-miss": () => `it is a ${NEAR_MISS} (REV-3)`,
  "support-criticality": () => "it is a support incident of criticality 1–2 or escalated to level 3 (REV-2)",
};

/**
 * LC-6: the refusal to close an incident whose required review is not complete, or null when it
 * may close. Says why and what would be right.
 */
export function closeRefusal(
  i: Pick<Incident, "id" | "severity" | "state">,
  gate: { requirement: Requirement; completedAt: Date | null },
): string | null {
  const { requirement, completedAt } = gate;
  if (!requirement.required || !requirement.reason || completedAt) return null;
  const next =
    i.state === "post-incident"
      ? "have the review's owner mark it complete"
      : "move it to post-incident, then have the review's owner mark the review complete";
  return `incident ${i.id} cannot close before its post-incident review is complete: ${reasonWords[requirement.reason](i)}; ${next} (POST /api/v1/incidents/${i.id}/review/complete), then close it`;
}

// ---------------------------------------------------------------------------------------------
// Due dates

const dayIndex = (d: Date) => (d.getUTCDay() + 6) % 7; // Mon = 0 … Sun = 6

/**
 * `from` plus `n` business days (the policy's business days, else Monday to Friday), at the same
 * time of day (UTC). A start on a day off counts from the next business day.
 */
export function addBusinessDays(from: Date, n: number, days: readonly string[] = weekdays.slice(0, 5)): Date {
  const open = new Set(days.map((d) => weekdays.indexOf(d as (typeof weekdays)[number])));
  if (open.size === 0) return new Date(from.getTime() + n * 86_400_000);
  const at = new Date(from.getTime());
  let left = n;
  while (left > 0) {
    at.setUTCDate(at.getUTCDate() + 1);
    if (open.has(dayIndex(at))) left--;
  }
  return at;
}

export function reviewSettings(policy: Policy) {
  return {
    dueBusinessDays: policy.reviews?.dueBusinessDays ?? 5,
    remindBeforeHours: policy.reviews?.remindBeforeHours ?? 24,
    seniorManagerRole: policy.reviews?.seniorManagerRole ?? null,
  };
}

export function reviewDueAt(policy: Policy, from: Date): Date {
  return addBusinessDays(from, reviewSettings(policy).dueBusinessDays, policy.businessHours?.days);
}

/** When the owner is reminded: before it is due (if that is still ahead) and when it is overdue. */
export function reminderTimes(
  policy: Policy,
  dueAt: Date,
  now: Date,
): { before: Date | null; overdue: Date } {
  const hours = reviewSettings(policy).remindBeforeHours;
  const before = new Date(dueAt.getTime() - hours * 3_600_000);
  return { before: hours > 0 && before.getTime() > now.getTime() ? before : null, overdue: dueAt };
}

// ---------------------------------------------------------------------------------------------
// Corrective actions (FU-2)

export type SmartReason = "no measurable outcome" | "no owner" | "no date" | `vague verb: ${string}`;

const vagueVerbs = [
  "investigate",
  "look into",
  "consider",
  "monitor",
  "explore",
  "review",
  "think about",
  "check",
  "try to",
  "maybe",
  "improve",
  "better",
] as const;

// A measurable outcome names a number, a limit, a test or a concrete artefact that shows it is done.
const measurable =
  /\d|\b(alert|alarm|test|runbook|dashboard|limit|timeout|threshold|add|remove|delete|enable|disable|migrate|upgrade|rotate|automate|document|block|fail|page|deploy|configure|set|replace|rename|write|create)s?\b/i;

/** FU-2: why a corrective action is not specific, measurable, owned and time-bound (empty: it is). */
export function smartReasons(a: {
  title: string;
  assigneeId: number | null;
  dueAt: Date | null;
}): SmartReason[] {
  const reasons: SmartReason[] = [];
  const title = a.title.toLowerCase();
  for (const verb of vagueVerbs) {
    if (new RegExp(`(^|[^a-z])${verb.replace(" ", "\\s+")}([^a-z]|$)`).test(title))
      reasons.push(`vague verb: ${verb}`);
  }
  if (!measurable.test(a.title)) reasons.push("no measurable outcome");
  if (a.assigneeId === null) reasons.push("no owner");
  if (a.dueAt === null) reasons.push("no date");
  return reasons;
}

/** FU-2: a corrective action's severity is the highest of its related incidents'. */
export function highestSeverity(policy: Policy, severities: readonly string[]): string | null {
  const known = severities.filter((s) => policy.severities.some((d) => d.id === s));
  if (known.length === 0) return null;
  return known.reduce((a, b) => (severityRank(policy, b) < severityRank(policy, a) ? b : a));
}

// ---------------------------------------------------------------------------------------------
// Phases (LC-7)

export type PhaseName = "detection" | "response" | "mitigation" | "resolution" | "review";
export const phaseNames: readonly PhaseName[] = [
  "detection",
  "response",
  "mitigation",
  "resolution",
  "review",
];
export type Phase = { name: PhaseName; startedAt: Date; endedAt: Date | null };

export type PhaseFacts = {
  /** When the problem began to be noticed (TL-4), else when impact began, else the declaration. */
  detectedAt: Date | null;
  impactStartedAt: Date | null;
  declaredAt: Date;
  acceptedAt: Date | null;
  mitigatedAt: Date | null;
  resolvedAt: Date | null;
  reviewCompletedAt: Date | null;
  closedAt: Date | null;
  /** Status changes from the timeline, oldest first (the first move to `fixing` starts mitigation). */
  transitions: { at: Date; to: string }[];
};

/**
 * LC-7: identification/detection, investigation/response, containment/mitigation,
 * remediation/resolution, learnings/review — consecutive, non-overlapping spans in time order, each
 * ending where the next begins; the phases not reached yet are absent and the last is open.
 */
export function phasesOf(f: PhaseFacts): Phase[] {
  const fixingAt = f.transitions.find(
    (t) => t.to === "fixing" && t.at.getTime() >= f.declaredAt.getTime(),
  )?.at;
  const starts = [f.detectedAt, f.impactStartedAt, f.declaredAt].filter((d): d is Date => d !== null);
  const start = new Date(Math.min(...starts.map((d) => d.getTime())));
  // Each phase ends at the milestone that begins the next: declared, fixing, mitigated, resolved.
  const marks: { name: PhaseName; at: Date | null }[] = [
    { name: "detection", at: start },
    { name: "response", at: f.declaredAt },
    { name: "mitigation", at: fixingAt ?? f.mitigatedAt },
    { name: "resolution", at: f.mitigatedAt },
    { name: "review", at: f.resolvedAt },
  ];
  const phases: Phase[] = [];
  let last = start.getTime();
  for (const m of marks) {
    if (!m.at) break;
    const at = new Date(Math.max(last, m.at.getTime()));
    const prev = phases[phases.length - 1];
    if (prev) prev.endedAt = at;
    phases.push({ name: m.name, startedAt: at, endedAt: null });
    last = at.getTime();
  }
  const final = phases[phases.length - 1];
  const reviewEnd = f.reviewCompletedAt ?? f.closedAt;
  if (final?.name === "review" && reviewEnd) final.endedAt = new Date(Math.max(last, reviewEnd.getTime()));
  return phases;
}

/** TL-4: minutes from the start of impact (else the detection) to detection; null when unknown. */
export function timeToDetectMinutes(i: {
  impactStartedAt: Date | null;
  detectedAt: Date | null;
}): number | null {
  if (!i.impactStartedAt || !i.detectedAt) return null;
  return Math.max(0, Math.round((i.detectedAt.getTime() - i.impactStartedAt.getTime()) / 60_000));
}
