/**
 * Status from service levels (STAT-4), as pure functions: whether an objective's samples show a
 * sustained breach, what that makes of a component, and what a change of it asks Firebreak to do.
 * No I/O and no clock: the samples come from Prometheus's range query ending at the evaluation
 * instant, so "5 minutes sustained" is judged from Prometheus's own data, never from waiting.
 */
import type { ComponentStatus } from "../statuspage/types.ts";

/** STAT-4's three lines: the apdex objective, the error-ratio objective and the outage error line. */
export const objectiveKinds = ["apdex", "error_ratio", "outage"] as const;
export type ObjectiveKind = (typeof objectiveKinds)[number];

export const objectiveWords: Record<ObjectiveKind, string> = {
  apdex: "apdex objective",
  error_ratio: "error-ratio objective",
  outage: "outage error line",
};

/** A sample of an objective's expression: milliseconds since the epoch, and its value. */
export type Sample = readonly [at: number, value: number];

/** The sustain window: `sustainMs` back from `at`, sampled every `stepMs` (Prometheus's range query). */
export type Window = { at: number; sustainMs: number; stepMs: number };

/** The evaluation instants of a window, oldest first: at − sustain, …, at (as Prometheus steps them). */
export function instants(w: Window): number[] {
  const out: number[] = [];
  for (let t = w.at - w.sustainMs; t <= w.at; t += w.stepMs) out.push(t);
  return out;
}

/** Whether a value is on the wrong side of the line: apdex below it, error ratios above it. */
export function isBad(kind: ObjectiveKind, threshold: number, value: number): boolean {
  if (Number.isNaN(value)) return false;
  return kind === "apdex" ? value < threshold : value > threshold;
}

export type Judgement =
  /** Every instant of the window has a sample and every one is on the wrong side. */
  | { state: "breached"; value: number }
  /** At least one instant has a sample on the right side (or none is bad). */
  | { state: "met"; value: number | null }
  /** Nothing to judge by: no samples at all, or Prometheus did not answer. */
  | { state: "unknown"; value: null; reason: string };

/**
 * STAT-4: breached only when the whole window is covered (a sample at every step) and every sample
 * is bad. A gap (no traffic, a target down, a series that started inside the window) is not
 * "sustained", so it never opens a breach; a window with no samples at all is unknown, which
 * changes nothing (a Prometheus outage must not read as a recovery either). `value` is the latest.
 */
export function judge(
  kind: ObjectiveKind,
  threshold: number,
  samples: readonly Sample[],
  w: Window,
): Judgement {
  const inside = samples.filter(([t]) => t >= w.at - w.sustainMs && t <= w.at);
  const latest = inside.reduce<Sample | undefined>((a, s) => (!a || s[0] > a[0] ? s : a), undefined);
  if (!latest)
    return { state: "unknown", value: null, reason: "the query returned no samples in the window" };
  const value = Number.isNaN(latest[1]) ? null : latest[1];
  const byTime = new Map(inside.map(([t, v]) => [t, v]));
  // Prometheus steps from the range's start; allow for its rounding to the millisecond.
  const covered = instants(w).every((t) => {
    const v = byTime.get(t) ?? byTime.get(t - 1) ?? byTime.get(t + 1);
    return v !== undefined && isBad(kind, threshold, v);
  });
  return covered ? { state: "breached", value: latest[1] } : { state: "met", value };
}

/** What a component's judgements make of it: an outage, degraded, fine, or unknown. */
export type Level = "outage" | "degraded" | "ok" | "unknown";

export function componentLevel(judgements: { kind: ObjectiveKind; judgement: Judgement }[]): Level {
  const breached = (k: ObjectiveKind) =>
    judgements.some((j) => j.kind === k && j.judgement.state === "breached");
  if (breached("outage")) return "outage";
  if (breached("apdex") || breached("error_ratio")) return "degraded";
  if (judgements.length > 0 && judgements.every((j) => j.judgement.state === "unknown")) return "unknown";
  return "ok";
}

/** The component status a level proposes on the status page. */
export function statusOfLevel(level: "degraded" | "outage"): ComponentStatus {
  return level === "outage" ? "major_outage" : "degraded_performance";
}

/** How bad a proposed status is, for "worse than before". */
const rank: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 0,
  degraded_performance: 1,
  partial_outage: 2,
  major_outage: 3,
};

/**
 * What a fresh judgement asks of a component's open breach (null: none open). A breach is opened
 * once, drafted once per worsening, and closed with an all-clear once: the same judgement again
 * asks for nothing, so repeated cycles never duplicate drafts. "unknown" asks for nothing.
 */
export type Step =
  | { kind: "none" }
  | { kind: "open"; status: ComponentStatus }
  | { kind: "worsen"; status: ComponentStatus }
  | { kind: "recover" };

export function nextStep(open: ComponentStatus | null, proposed: ComponentStatus | "ok" | "unknown"): Step {
  if (proposed === "unknown") return { kind: "none" };
  if (proposed === "ok" || proposed === "operational")
    return open === null ? { kind: "none" } : { kind: "recover" };
  if (open === null) return { kind: "open", status: proposed };
  return rank[proposed] > rank[open] ? { kind: "worsen", status: proposed } : { kind: "none" };
}

/** The worst status the open alerts of a component's mapped services propose (null: none firing). */
export function alertProposal(
  mappings: { status: ComponentStatus; openAlerts: number }[],
): ComponentStatus | null {
  let worst: ComponentStatus | null = null;
  for (const m of mappings) {
    if (m.openAlerts === 0) continue;
    if (worst === null || rank[m.status] > rank[worst]) worst = m.status;
  }
  return worst;
}

/**
 * The next cycle after one due at `due` ran at `now`: one interval on, or — when the cycle ran
 * more than an interval late — the first slot after `now` on the same grid (missed cycles are
 * skipped, not run back to back: the next one judges the same window anyway).
 */
export function nextDue(due: number, now: number, intervalMs: number): number {
  const next = due + intervalMs;
  if (next > now) return next;
  return due + intervalMs * (Math.floor((now - due) / intervalMs) + 1);
}

/** The first words of a drafted post, in the status page's own words. */
export function draftWords(component: string, status: ComponentStatus, source: "objectives" | "alerts") {
  const what =
    status === "major_outage"
      ? "is unavailable"
      : status === "partial_outage"
        ? "is partly unavailable"
        : "is slower or failing more often than usual";
  const seen = source === "objectives" ? "Our monitoring shows" : "Alerts show";
  return {
    name: `${component} ${status === "degraded_performance" ? "degraded" : "outage"}`,
    body: `${seen} that ${component} ${what}. We are investigating.`,
    allClear: `${component} is working normally again. We will keep watching it.`,
  };
}
