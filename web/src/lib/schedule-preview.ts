/**
 * The schedule editor's pure side: the form's draft and the API body it becomes, the preview of
 * the final schedule for the coming weeks, who is on call at a chosen time, moving participants,
 * and sorting problems to the fields they name.
 *
 * The shift math is the server's own (src/oncall/schedule.ts, rotation.ts and localtime.ts: pure
 * TypeScript over luxon's zones), imported rather than ported, so the preview cannot disagree
 * with what the server will page.
 */

import {
  DAY,
  dayOf,
  instantOf,
  parseLocalDateTime,
  wallClock,
  weekdayOf,
  zoneOf,
} from "../../../src/oncall/localtime.ts";
import type {
  Override,
  Problem,
  Rotation,
  Schedule as ScheduleMath,
  Shift,
} from "../../../src/oncall/model.ts";
import { finalSchedule, onCallAt, validateSchedule } from "../../../src/oncall/schedule.ts";
import type { Schedule } from "../api/oncall.ts";

export type DraftRestriction = { days: number[]; start: string; end: string };
/** One layer as the form holds it: the count stays text while it is typed. */
export type DraftLayer = {
  name: string;
  timeZone: string;
  participants: number[];
  unit: "hours" | "days" | "weeks";
  count: string;
  /** Local date-time "YYYY-MM-DDTHH:mm" in `timeZone`: the first hand-off. */
  start: string;
  restrictions: DraftRestriction[];
};
export type Draft = { name: string; timeZone: string; teamId: number | null; layers: DraftLayer[] };
export type ScheduleBody = { name: string; timeZone: string; teamId?: number; layers: Rotation[] };

/** A new layer: weekly, from this week's Monday at 09:00 in `timeZone` (so the preview shows it at once). */
export function newLayer(n: number, timeZone: string, now: number): DraftLayer {
  const zone = zoneOf(timeZone) ?? zoneOf("UTC");
  const today = dayOf(zone ? wallClock(zone, now) : now);
  const monday = today - (weekdayOf(today) - 1);
  return {
    name: `Layer ${n}`,
    timeZone,
    participants: [],
    unit: "weeks",
    count: "1",
    start: `${new Date(monday * DAY).toISOString().slice(0, 10)}T09:00`,
    restrictions: [],
  };
}

export function newDraft(timeZone: string, now: number): Draft {
  return { name: "", timeZone, teamId: null, layers: [newLayer(1, timeZone, now)] };
}

/** The form's draft of a saved schedule. */
export function draftOf(s: Pick<Schedule, "name" | "timeZone" | "teamId" | "layers">): Draft {
  return {
    name: s.name,
    timeZone: s.timeZone,
    teamId: s.teamId,
    layers: s.layers.map((l) => ({
      name: l.name,
      timeZone: l.timeZone,
      participants: [...l.participants],
      unit: l.shiftLength.unit,
      count: String(l.shiftLength.count),
      start: l.start.slice(0, 16),
      restrictions: (l.restrictions ?? []).map((r) => ({ days: [...r.days], start: r.start, end: r.end })),
    })),
  };
}

/** What PUT or POST /schedules takes. A count that is not a number stays NaN, which validation refuses. */
export function bodyOf(d: Draft): ScheduleBody {
  return {
    name: d.name.trim(),
    timeZone: d.timeZone.trim(),
    ...(d.teamId === null ? {} : { teamId: d.teamId }),
    layers: d.layers.map((l) => ({
      name: l.name.trim(),
      timeZone: l.timeZone.trim(),
      participants: l.participants,
      shiftLength: { unit: l.unit, count: l.count.trim() === "" ? Number.NaN : Number(l.count) },
      start: l.start,
      ...(l.restrictions.length
        ? {
            restrictions: l.restrictions.map((r) => ({
              days: [...r.days].sort((a, b) => a - b),
              start: r.start,
              end: r.end,
            })),
          }
        : {}),
    })),
  };
}

/** The problems the server would refuse the draft with (the same validation), overrides aside. */
export function draftProblems(d: Draft): Problem[] {
  return validateSchedule({ ...bodyOf(d), overrides: [] });
}

/** The saved overrides as the shift math takes them. */
export const overridesOf = (s: Pick<Schedule, "overrides"> | undefined): Override[] =>
  (s?.overrides ?? []).map((o) => ({ userId: o.userId, start: new Date(o.start), end: new Date(o.end) }));

/** The weeks a preview shows: each from Monday 00:00 in the schedule's zone, DST-aware (167–169 hours). */
export function previewWeeks(timeZone: string, now: number, weeks: number): { start: number; end: number }[] {
  const zone = zoneOf(timeZone) ?? zoneOf("UTC");
  if (!zone) return [];
  const today = dayOf(wallClock(zone, now));
  const monday = today - (weekdayOf(today) - 1);
  return Array.from({ length: weeks }, (_, k) => ({
    start: instantOf(zone, (monday + 7 * k) * DAY),
    end: instantOf(zone, (monday + 7 * (k + 1)) * DAY),
  }));
}

export type Preview = { shifts: Shift[]; problems: Problem[] };

/**
 * The final schedule (layers, then the saved overrides on top) over [from, to) for the draft as it
 * is now, or the problems that keep it from having one.
 */
export function previewOf(d: Draft, overrides: Override[], from: number, to: number): Preview {
  const problems = draftProblems(d);
  if (problems.length) return { shifts: [], problems };
  const s: ScheduleMath = { ...bodyOf(d), overrides };
  return { shifts: finalSchedule(s, new Date(from), new Date(to)), problems: [] };
}

/** Who the draft has on call at `at` (an instant), or null when the draft is not valid. */
export function whoAt(d: Draft, overrides: Override[], at: number): number[] | null {
  if (draftProblems(d).length) return null;
  return onCallAt({ ...bodyOf(d), overrides }, new Date(at));
}

/** The instant a local date-time ("YYYY-MM-DDTHH:mm") names in `timeZone`; null when either is not valid. */
export function instantIn(timeZone: string, local: string): number | null {
  const zone = zoneOf(timeZone);
  const wall = parseLocalDateTime(local);
  return zone && wall !== null ? instantOf(zone, wall) : null;
}

/** The local date-time ("YYYY-MM-DDTHH:mm") an instant shows in `timeZone`. */
export function localIn(timeZone: string, at: number): string {
  const zone = zoneOf(timeZone) ?? zoneOf("UTC");
  return new Date(zone ? wallClock(zone, at) : at).toISOString().slice(0, 16);
}

/** The list with the item at `from` moved to `to` (both clamped); the same list when nothing moves. */
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const target = Math.max(0, Math.min(list.length - 1, to));
  if (from < 0 || from >= list.length || from === target) return [...list];
  const next = [...list];
  const [item] = next.splice(from, 1);
  next.splice(target, 0, item as T);
  return next;
}

/**
 * A field path as the form shows it: "layers[0].participants[2]" is about the participants list,
 * "layers[1].restrictions[0].days[3]" about that window's days.
 */
export function formField(path: string): string {
  return path.replace(/\.(participants|days)\[\d+\]$/, ".$1").replace(/^override\./, "");
}

/** Problems by the form field they are about; several for one field are joined. */
export function problemsByField(problems: readonly Problem[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems) {
    const f = formField(p.field);
    out[f] = out[f] ? `${out[f]}; ${p.message}` : p.message;
  }
  return out;
}

/** A shift's place in a week as fractions of its width (0..1), clipped; null when it is outside. */
export function weekSegment(
  shift: { start: Date; end: Date },
  week: { start: number; end: number },
): { left: number; width: number } | null {
  const s = Math.max(shift.start.getTime(), week.start);
  const e = Math.min(shift.end.getTime(), week.end);
  if (e <= s) return null;
  const length = week.end - week.start;
  return { left: (s - week.start) / length, width: (e - s) / length };
}

/** Hand-offs in the window: how many times the person on call changes (a gap counts as a change). */
export function handoffCount(shifts: readonly Shift[]): number {
  let n = 0;
  for (let i = 1; i < shifts.length; i++) {
    const a = shifts[i - 1];
    const b = shifts[i];
    if (a && b && (a.userId !== b.userId || a.end.getTime() !== b.start.getTime())) n++;
  }
  return n;
}
