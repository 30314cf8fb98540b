/**
 * "If nobody acknowledges, who is notified when": an escalation policy played forward from a start
 * time, as the paging engine runs it (src/paging/engine.ts, model.ts): level 1 at once; each level's
 * timeout later, the next; after the last level, level 1 again while repeats remain. A schedule is
 * whoever it has on call at that moment. High urgency only: low-urgency pages also wait for
 * business hours. Pure: who is on call comes in as a function.
 */

export type PreviewTarget = { kind: "user" | "schedule"; id: number };
export type PreviewLevel = { timeoutMinutes: number; targets: readonly PreviewTarget[] };
export type PreviewPolicy = { levels: readonly PreviewLevel[]; repeat: number };
/** A schedule's final shift (GET /schedules/{id}/shifts). */
export type ShiftLike = { userId: number; start: string; end: string };

/** One notification: when, which level in which round, and who it reaches. */
export type PreviewStep = {
  at: Date;
  /** Minutes after the start. */
  minutesIn: number;
  /** 0-based, as in the API. */
  level: number;
  /** 0 for the first run, 1 for the first repeat, … */
  round: number;
  /** Each target with the people it stands for then; null when a schedule's shifts are not known. */
  targets: { target: PreviewTarget; userIds: number[] | null }[];
  /** Everyone notified, each once, in the order of the targets. */
  userIds: number[];
  /** Some schedule's shifts were not known: `userIds` may be short. */
  incomplete: boolean;
};

/** Who a schedule has on call at an instant; null when not known (not loaded, or out of the window). */
export type OnCallAt = (scheduleId: number, at: Date) => number[] | null;

const MINUTE = 60_000;
/** The API's limits: repeat 0–9, and a shifts window of at most 366 days. */
const MAX_REPEAT = 9;
const MAX_WINDOW_MS = 366 * 24 * 60 * MINUTE;

/** A timeout as the preview counts it: a whole number of minutes, never negative. */
const minutesOf = (t: number) => (Number.isFinite(t) && t > 0 ? Math.floor(t) : 0);
/** Repeats as the preview counts them: 0 to 9. */
export const repeatsOf = (r: number) =>
  Number.isFinite(r) ? Math.min(MAX_REPEAT, Math.max(0, Math.floor(r))) : 0;

/** The people a schedule's shifts have on call at `at` (start ≤ at < end), each once. */
export function onCallFromShifts(shifts: readonly ShiftLike[], at: Date): number[] {
  const t = at.getTime();
  const ids: number[] = [];
  for (const s of shifts) {
    if (Date.parse(s.start) <= t && t < Date.parse(s.end) && !ids.includes(s.userId)) ids.push(s.userId);
  }
  return ids;
}

/** Every notification if nobody acknowledges: levels × (repeats + 1) steps, in time order. */
export function escalationSteps(policy: PreviewPolicy, start: Date, onCall: OnCallAt): PreviewStep[] {
  const steps: PreviewStep[] = [];
  const rounds = repeatsOf(policy.repeat) + 1;
  let minutesIn = 0;
  for (let round = 0; round < rounds; round++) {
    policy.levels.forEach((level, index) => {
      const at = new Date(start.getTime() + minutesIn * MINUTE);
      const targets = level.targets.map((target) => ({
        target,
        userIds: target.kind === "user" ? [target.id] : onCall(target.id, at),
      }));
      const userIds: number[] = [];
      for (const t of targets) for (const u of t.userIds ?? []) if (!userIds.includes(u)) userIds.push(u);
      steps.push({
        at,
        minutesIn,
        level: index,
        round,
        targets,
        userIds,
        incomplete: targets.some((t) => t.userIds === null),
      });
      minutesIn += minutesOf(level.timeoutMinutes);
    });
  }
  return steps;
}

/**
 * The window of shifts the preview needs: from the start to past its last step, in whole days (so
 * typing a timeout does not ask for new shifts at every key), at most the API's 366 days.
 */
export function previewWindow(policy: PreviewPolicy, start: Date): { from: Date; until: Date } {
  const perRound = policy.levels.reduce((sum, l) => sum + minutesOf(l.timeoutMinutes), 0);
  const lastStep = perRound * (repeatsOf(policy.repeat) + 1) * MINUTE;
  const day = 24 * 60 * MINUTE;
  const span = Math.min(MAX_WINDOW_MS, Math.max(day, Math.ceil((lastStep + MINUTE) / day) * day));
  return { from: start, until: new Date(start.getTime() + span) };
}

/** "T+0", "T+15 min", "T+1 h", "T+2 h 5 min", "T+1 d 3 h" */
export function offsetLabel(minutes: number): string {
  if (minutes === 0) return "T+0";
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const parts = [d ? `${d} d` : "", h ? `${h} h` : "", m ? `${m} min` : ""].filter(Boolean);
  return `T+${parts.join(" ")}`;
}

/** A step's local time, "10:15"; with the day ("Tue 3 Mar, 10:15") when not on the start's day. */
export function stepTimeLabel(at: Date, start: Date, locale?: string): string {
  const time = new Intl.DateTimeFormat(locale, {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(at);
  if (at.toDateString() === start.toDateString()) return time;
  const day = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short" }).format(
    at,
  );
  return `${day}, ${time}`;
}
