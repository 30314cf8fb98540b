/**
 * Customer support operations (issue 20, PAGE-8, REV-2), pure: the four criticality levels of a
 * system, an incident's criticality as the highest of the systems it touches, and the escalation
 * timetable — a level every interval while the incident has no resolution path, up to the
 * criticality's last level, and level 3 for the lower two once past their time to resolve.
 */
import type { State } from "../incidents/states.ts";

export const criticalityIds = [
  "mission-critical",
  "business-critical",
  "business-operational",
  "administrative",
] as const;
export type CriticalityId = (typeof criticalityIds)[number];

export type Criticality = {
  /** Stable: stored and sent on the wire; the name may be re-worded, the id never. */
  id: CriticalityId;
  /** 1 is the most critical. */
  rank: 1 | 2 | 3 | 4;
  name: string;
  /** The time to resolve, a range in hours; the clock runs to its upper end. */
  resolveWithinHours: { from: number; to: number };
  /** Escalate one level after this long without a resolution path. */
  escalateEveryMinutes: number;
  /** The last level reached by time without a resolution path. */
  escalateUpTo: 2 | 3 | 4;
  /** Past the time to resolve, go straight to level 3 (the seed's "move to level 3"). */
  level3WhenLate: boolean;
};

export const criticalities: readonly Criticality[] = [
  {
    id: "mission-critical",
    rank: 1,
    name: "Mission Critical",
    resolveWithinHours: { from: 1, to: 2 },
    escalateEveryMinutes: 10,
    escalateUpTo: 4,
    level3WhenLate: false,
  },
  {
    id: "business-critical",
    rank: 2,
    name: "Business Critical",
    resolveWithinHours: { from: 2, to: 4 },
    escalateEveryMinutes: 30,
    escalateUpTo: 3,
    level3WhenLate: false,
  },
  {
    id: "business-operational",
    rank: 3,
    name: "Business Operational",
    resolveWithinHours: { from: 24, to: 48 },
    escalateEveryMinutes: 8 * 60,
    escalateUpTo: 2,
    level3WhenLate: true,
  },
  {
    id: "administrative",
    rank: 4,
    name: "Administrative",
    resolveWithinHours: { from: 48, to: 72 },
    escalateEveryMinutes: 24 * 60,
    escalateUpTo: 2,
    level3WhenLate: true,
  },
];

export const criticalityById = (id: CriticalityId): Criticality => {
  const c = criticalities.find((x) => x.id === id);
  if (!c) throw new Error(`unknown criticality ${id}`);
  return c;
};

const squash = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, "");

/** What people type: the id, the name in any case or spacing, or the rank (1–4). */
export function parseCriticality(input: string | number): Criticality | undefined {
  const s = String(input).trim();
  return criticalities.find((c) => String(c.rank) === s || squash(c.id) === squash(s));
}

/** For error messages: what `parseCriticality` accepts. */
export const criticalityChoices = criticalities.map((c) => `"${c.name}" (${c.id}, ${c.rank})`).join(", ");

/** An incident touching several systems takes the highest criticality among them (PAGE-8). */
export function highestCriticality(ids: readonly CriticalityId[]): Criticality | null {
  let best: Criticality | null = null;
  for (const id of ids) {
    const c = criticalityById(id);
    if (!best || c.rank < best.rank) best = c;
  }
  return best;
}

export const escalationLevels = [
  { level: 1, action: "post in the team channel asking for assistance" },
  { level: 2, action: "page the support operations specialist on call" },
  { level: 3, action: "page the fullstack engineer on call" },
  { level: 4, action: "page the senior manager" },
] as const;

/**
 * "Without a resolution path": while the incident is in triage or investigating. Moving it to
 * fixing (the cause is known and a fix is under way), or mitigating or resolving it, is the path;
 * going back to investigating loses it again.
 */
export const hasResolutionPath = (state: State): boolean => state !== "triage" && state !== "investigating";

/** The incident no longer needs resolving: nothing more escalates. */
export const isEnded = (state: State): boolean =>
  state === "resolved" || state === "post-incident" || state === "closed" || state === "declined";

/** An incident's escalation clock, as stored. */
export type SupportClock = {
  criticality: CriticalityId;
  criticalityAt: Date;
  level: number;
  /** When the last level was reached (or the clock started, or the path was lost). */
  levelAt: Date;
  resolveBy: Date;
  resolveOutcome: "met" | "missed" | null;
  /** Since when the incident has a resolution path; null while it has none. */
  pathAt: Date | null;
  reviewRequired: boolean;
};

export type IncidentFacts = { state: State; declaredAt: Date; resolvedAt: Date | null };

const minutes = (m: number) => m * 60_000;

export const resolveByOf = (declaredAt: Date, c: Criticality): Date =>
  new Date(declaredAt.getTime() + c.resolveWithinHours.to * 3_600_000);

/** When the next level is reached by time, or null when no level is coming. */
export function nextLevelAt(s: SupportClock, i: IncidentFacts): Date | null {
  const c = criticalityById(s.criticality);
  if (isEnded(i.state) || s.pathAt !== null || s.level >= c.escalateUpTo) return null;
  return new Date(s.levelAt.getTime() + minutes(c.escalateEveryMinutes));
}

/** When the clock must next be looked at: a level, or the time to resolve running out. */
export function dueAtOf(s: SupportClock, i: IncidentFacts): Date | null {
  const times = [nextLevelAt(s, i)];
  if (!isEnded(i.state) && s.resolveOutcome === null) times.push(s.resolveBy);
  const set = times.filter((t): t is Date => t !== null);
  return set.length ? new Date(Math.min(...set.map((t) => t.getTime()))) : null;
}

/** A new clock for an incident that just touched its first system. */
export function startClock(c: Criticality, i: IncidentFacts, now: Date): SupportClock {
  return follow(
    {
      criticality: c.id,
      criticalityAt: now,
      level: 0,
      levelAt: now,
      resolveBy: resolveByOf(i.declaredAt, c),
      resolveOutcome: null,
      pathAt: null,
      reviewRequired: false,
    },
    i,
    now,
  ).clock;
}

export type Change =
  | { kind: "path-found" }
  | { kind: "path-lost" }
  | { kind: "resolved"; outcome: "met" | "missed" };

/**
 * The clock after the incident changed: a resolution path found (levels stop) or lost (levels
 * resume an interval from now), and the time to resolve met or missed on resolving.
 */
export function follow(
  s: SupportClock,
  i: IncidentFacts,
  now: Date,
): { clock: SupportClock; changes: Change[] } {
  const next = { ...s };
  const changes: Change[] = [];
  const path = hasResolutionPath(i.state);
  if (path && next.pathAt === null) {
    next.pathAt = now;
    if (!isEnded(i.state)) changes.push({ kind: "path-found" });
  } else if (!path && next.pathAt !== null) {
    next.pathAt = null;
    next.levelAt = now;
    changes.push({ kind: "path-lost" });
  }
  if (isEnded(i.state) && next.resolveOutcome === null && i.resolvedAt) {
    next.resolveOutcome = i.resolvedAt.getTime() <= next.resolveBy.getTime() ? "met" : "missed";
    changes.push({ kind: "resolved", outcome: next.resolveOutcome });
  }
  return { clock: next, changes };
}

/**
 * The clock under another criticality (a system linked or unlinked, or re-rated): the time to
 * resolve is counted again from the declaration, and the next level an interval of the new
 * criticality after the last one.
 */
export function recriticize(s: SupportClock, c: Criticality, i: IncidentFacts, now: Date): SupportClock {
  const resolveBy = resolveByOf(i.declaredAt, c);
  let resolveOutcome = s.resolveOutcome;
  if (isEnded(i.state) && i.resolvedAt)
    resolveOutcome = i.resolvedAt.getTime() <= resolveBy.getTime() ? "met" : "missed";
  else if (!isEnded(i.state)) {
    const late = now.getTime() >= resolveBy.getTime();
    // Left unset when past due, the next step records it missed (and moves a lower one to level 3).
    resolveOutcome = late && !(c.level3WhenLate && s.level < 3) ? s.resolveOutcome : null;
  }
  return { ...s, criticality: c.id, resolveBy, resolveOutcome };
}

export type Step =
  | { kind: "level"; level: number; reason: "no-resolution-path" | "past-time-to-resolve" }
  | { kind: "resolve-missed" };

/**
 * What falls due at `now`, one step at a time (the runner comes back while more is due): the time
 * to resolve running out first (and, for the lower two criticalities, level 3 with it), else the
 * next level. A level reached by time counts from when it was due, so the timetable holds even
 * when a replica ran it late.
 */
export function nextStep(
  s: SupportClock,
  i: IncidentFacts,
  now: Date,
): { step: Step; clock: SupportClock } | null {
  if (isEnded(i.state)) return null;
  const c = criticalityById(s.criticality);
  if (s.resolveOutcome === null && now.getTime() >= s.resolveBy.getTime()) {
    const clock = { ...s, resolveOutcome: "missed" as const };
    if (c.level3WhenLate && s.level < 3)
      return {
        step: { kind: "level", level: 3, reason: "past-time-to-resolve" },
        clock: { ...clock, level: 3, levelAt: now },
      };
    return { step: { kind: "resolve-missed" }, clock };
  }
  const at = nextLevelAt(s, i);
  if (at && at.getTime() <= now.getTime())
    return {
      step: { kind: "level", level: s.level + 1, reason: "no-resolution-path" },
      clock: { ...s, level: s.level + 1, levelAt: at },
    };
  return null;
}

/** REV-2: criticality 1–2, or escalated to level 3 or beyond, requires an after-incident review. */
export const needsReview = (s: SupportClock): boolean =>
  criticalityById(s.criticality).rank <= 2 || s.level >= 3;

/** The whole timetable of a criticality, for the docs and the UI: minutes after the start per level. */
export function timetable(c: Criticality): { level: number; afterMinutes: number }[] {
  const out: { level: number; afterMinutes: number }[] = [];
  for (let l = 1; l <= c.escalateUpTo; l++) out.push({ level: l, afterMinutes: l * c.escalateEveryMinutes });
  if (c.level3WhenLate) out.push({ level: 3, afterMinutes: c.resolveWithinHours.to * 60 });
  return out;
}
