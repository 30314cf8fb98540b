/**
 * One Opsgenie rotation as a Firebreak layer (issue 19). Both hand off daily and weekly rotations
 * at the start's wall-clock time in the schedule's zone and hourly ones every so many elapsed
 * hours, so type and length carry over. What needs translating is the week: Opsgenie's time
 * restrictions (every day, or from one weekday and time to another) and its `none` participants,
 * turns in which nobody is on call. Both become Firebreak restriction windows, worked out on a
 * minute-by-minute mask of the local week; a gap pattern that does not repeat every week cannot
 * be written as weekly windows, and is reported instead.
 */
import { DateTime, IANAZone } from "luxon";
import type { RotationDoc } from "../config/document.ts";
import type { OgParticipant, OgRestriction, OgRotation } from "./opsgenie-api.ts";

const DAY = 1440; // minutes
const WEEK = 7 * DAY;
const weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/** A local week, minute by minute from Monday 00:00: whether the rotation may have someone on call. */
type Mask = boolean[];

const clockOf = (m: number) =>
  `${String(Math.floor(m / 60) % 24).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;

function paint(mask: Mask, from: number, to: number) {
  for (let m = from; m < to; m++) mask[((m % WEEK) + WEEK) % WEEK] = true;
}

/** The week a rotation's time restriction allows, or null when it has none (24/7). */
export function restrictionMask(tr: OgRotation["timeRestriction"]): { mask: Mask | null; problem?: string } {
  if (!tr) return { mask: null };
  const mask: Mask = new Array(WEEK).fill(false);
  const minutes = (h: number, m: number) => h * 60 + m;
  if (tr.type === "time-of-day") {
    const r: OgRestriction | undefined = tr.restriction ?? tr.restrictions?.[0];
    if (!r) return { mask: null, problem: "time-of-day restriction without hours" };
    const start = minutes(r.startHour, r.startMin);
    let end = minutes(r.endHour, r.endMin);
    if (end <= start) end += DAY; // 22:00–06:00 runs past midnight; equal means the whole day
    for (let day = 0; day < 7; day++) paint(mask, day * DAY + start, day * DAY + end);
    return { mask };
  }
  if (tr.type === "weekday-and-time-of-day") {
    for (const r of tr.restrictions ?? []) {
      const sd = weekdays.indexOf(String(r.startDay).toLowerCase());
      const ed = weekdays.indexOf(String(r.endDay).toLowerCase());
      if (sd < 0 || ed < 0) {
        return { mask: null, problem: `restriction days ${r.startDay}–${r.endDay} are not weekdays` };
      }
      const start = sd * DAY + minutes(r.startHour, r.startMin);
      let end = ed * DAY + minutes(r.endHour, r.endMin);
      if (end <= start) end += WEEK; // Saturday 20:00 to Monday 08:00 wraps the week
      paint(mask, start, end);
    }
    return { mask };
  }
  return {
    mask: null,
    problem: `time restriction type ${JSON.stringify(tr.type)} is not one Opsgenie documents`,
  };
}

/**
 * Firebreak windows for a mask: each run of allowed minutes in pieces of at most a day, so
 * "Monday 08:00 to Friday 18:00" is four whole days from 08:00 and Friday 08:00–18:00 (Firebreak
 * joins touching windows). Windows with the same hours are listed once with their days.
 */
export function maskToRestrictions(mask: Mask): RotationDoc["restrictions"] {
  const firstOff = mask.indexOf(false);
  if (firstOff < 0) return undefined; // always allowed: no restriction
  const pieces: { day: number; start: number; end: number }[] = [];
  let m = firstOff;
  while (m < firstOff + WEEK) {
    if (!mask[m % WEEK]) {
      m++;
      continue;
    }
    let end = m;
    while (end < firstOff + WEEK && mask[end % WEEK]) end++;
    for (let s = m; s < end; s += DAY) {
      const e = Math.min(end, s + DAY);
      pieces.push({ day: Math.floor((s % WEEK) / DAY), start: s % DAY, end: e % DAY });
    }
    m = end;
  }
  const grouped = new Map<string, { days: number[]; start: string; end: string }>();
  for (const p of pieces) {
    const key = `${p.start}-${p.end}`;
    const g = grouped.get(key) ?? { days: [], start: clockOf(p.start), end: clockOf(p.end) };
    g.days.push(p.day + 1);
    grouped.set(key, g);
  }
  return [...grouped.values()].map((g) => ({ ...g, days: [...new Set(g.days)].sort((a, b) => a - b) }));
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Whether the zone's offset never changes (so elapsed hours keep to the wall clock). */
function fixedOffset(zone: string, around: Date): boolean {
  const z = IANAZone.create(zone);
  const year = DateTime.fromJSDate(around, { zone }).year;
  const offsets = new Set<number>();
  for (let month = 1; month <= 12; month++) {
    offsets.add(z.offset(DateTime.fromObject({ year, month, day: 1 }, { zone }).toMillis()));
  }
  return offsets.size === 1;
}

/**
 * The week of a rotation with gaps, when its turns repeat every week: turn k covers wall minutes
 * [k·L, (k+1)·L) after the start, so the mask holds when shifting by a week maps every turn with
 * someone on call onto another such turn. Null when the pattern drifts from week to week.
 */
function gapMask(active: boolean[], turnMinutes: number, startMinuteOfWeek: number): Mask | null {
  const n = active.length;
  const cycle = n * turnMinutes;
  const step = gcd(turnMinutes, WEEK);
  const span = (cycle / gcd(cycle, WEEK)) * WEEK; // lcm(cycle, week)
  if (span / step > 1_000_000) return null;
  const on = (t: number) => active[Math.floor(t / turnMinutes) % n]!;
  for (let t = 0; t < span; t += step) if (on(t) !== on(t + WEEK)) return null;
  const mask: Mask = new Array(WEEK).fill(false);
  for (let t = 0; t < WEEK; t++) if (on(t)) mask[(startMinuteOfWeek + t) % WEEK] = true;
  return mask;
}

export type RotationTranslation = {
  layer: RotationDoc | null;
  /** What did not carry over, in words for the unmapped list. */
  notes: string[];
};

/**
 * `person` turns a participant into the document's reference for them (an email), or says why it
 * cannot; such turns are gaps. `from` is when the import's check starts (a rotation that ended
 * before it is not imported).
 */
export function translateRotation(
  r: OgRotation,
  timeZone: string,
  person: (p: OgParticipant) => { ref: string } | { reason: string },
  from: Date,
): RotationTranslation {
  const notes: string[] = [];
  const unit = ({ hourly: "hours", daily: "days", weekly: "weeks" } as const)[r.type as "hourly"];
  if (!unit)
    return { layer: null, notes: [`rotation type ${JSON.stringify(r.type)} is not hourly, daily or weekly`] };
  const start = DateTime.fromISO(r.startDate, { setZone: true });
  if (!start.isValid)
    return { layer: null, notes: [`start date ${JSON.stringify(r.startDate)} is not a date-time`] };
  if (r.endDate) {
    const end = DateTime.fromISO(r.endDate);
    if (end.isValid && end.toMillis() <= from.getTime()) {
      return { layer: null, notes: [`ended ${r.endDate}; nobody is on call in it any more`] };
    }
    notes.push(
      `ends ${r.endDate}, and Firebreak rotations do not end: remove this layer then (until then it matches)`,
    );
  }

  const slots = r.participants.map((p) => {
    if (p.type === "none") return null;
    const who = person(p);
    if ("reason" in who) {
      notes.push(`${who.reason}; its turns are left without anyone on call`);
      return null;
    }
    return who.ref;
  });
  const people = slots.filter((s): s is string => s !== null);
  if (people.length === 0) return { layer: null, notes: [...notes, "nobody in it can be on call"] };

  const local = start.setZone(timeZone);
  const startMinuteOfWeek = (local.weekday - 1) * DAY + local.hour * 60 + local.minute;
  let { mask, problem } = restrictionMask(r.timeRestriction);
  if (problem) notes.push(`${problem}; imported without the restriction`);

  let participants = slots as (string | null)[];
  if (slots.some((s) => s === null)) {
    const turnMinutes = r.length * (unit === "hours" ? 60 : unit === "days" ? DAY : WEEK);
    const wallAligned = unit !== "hours" || fixedOffset(timeZone, from);
    const gaps = wallAligned
      ? gapMask(
          slots.map((s) => s !== null),
          turnMinutes,
          startMinuteOfWeek,
        )
      : null;
    if (gaps) {
      mask = mask ? mask.map((allowed, m) => allowed && gaps[m]!) : gaps;
    } else {
      notes.push(
        wallAligned
          ? "its turns without anyone (none) do not fall on the same hours every week, which Firebreak's weekly windows need; the person before each gap covers it"
          : `its turns without anyone (none) are counted in elapsed hours and ${timeZone} changes its clocks, so they move against weekly windows; the person before each gap covers it`,
      );
    }
    // A gap's turn is outside every window (or covered by the person before it): any name fits.
    let last = people.at(-1)!;
    participants = slots.map((s) => {
      if (s !== null) last = s;
      return last;
    });
  }

  const restrictions = mask ? maskToRestrictions(mask) : undefined;
  if (restrictions && restrictions.length === 0) {
    return { layer: null, notes: [...notes, "its restrictions and gaps leave no time on call"] };
  }
  return {
    layer: {
      name: (r.name || r.id).slice(0, 100),
      timeZone,
      participants: participants as string[],
      shiftLength: { unit, count: r.length },
      start: local.toFormat("yyyy-MM-dd'T'HH:mm"),
      ...(restrictions ? { restrictions } : {}),
    },
    notes,
  };
}
