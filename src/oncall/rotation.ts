import type { IANAZone } from "luxon";
import { invalid } from "../platform/errors.ts";
import {
  DAY,
  dayOf,
  HOUR,
  instantOf,
  MINUTE,
  parseClock,
  parseLocalDateTime,
  wallClock,
  weekdayOf,
  zoneOf,
} from "./localtime.ts";
import type { Problem, Rotation, Shift, ShiftLength } from "./model.ts";

/** Large enough for any real rotation, small enough that hand-off arithmetic stays within Date's range. */
export const MAX_SHIFT_COUNT = 10_000;

/** Someone on call over [start, end), in epoch milliseconds; the internal form of a Shift. */
export type Piece = { userId: number; start: number; end: number };

type Window = { start: number; end: number };
type Hours = { days: Set<number>; start: number; end: number }; // minutes after local midnight

/** A rotation checked once and reduced to numbers, so the per-shift loop does no parsing. */
type Compiled = {
  zone: IANAZone;
  participants: number[];
  unit: "hours" | "days" | "weeks";
  count: number;
  startWall: number;
  first: number; // the instant participants[0]'s first shift starts
  restrictions: Hours[] | null;
};

const units = ["hours", "days", "weeks"] as const;
const isUserId = (id: unknown) => Number.isInteger(id) && (id as number) > 0;

function compile(r: Rotation): { rotation: Compiled | null; problems: Problem[] } {
  const problems: Problem[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });

  if (typeof r.name !== "string" || r.name.trim() === "") problem("name", "expected a non-empty name");
  const zone = zoneOf(r.timeZone);
  if (!zone) {
    problem(
      "timeZone",
      `unknown time zone ${JSON.stringify(r.timeZone)}; expected an IANA name such as "Europe/Berlin"`,
    );
  }
  if (!Array.isArray(r.participants) || r.participants.length === 0) {
    problem("participants", "expected at least one participant (a user id)");
  } else {
    r.participants.forEach((id, i) => {
      if (!isUserId(id)) problem(`participants[${i}]`, "expected a user id (a whole number >= 1)");
    });
  }
  // Typed input may still come from JSON, so the shape is checked rather than trusted.
  const length: Partial<ShiftLength> = r.shiftLength ?? {};
  const unit = units.find((u) => u === length.unit);
  const count = length.count ?? Number.NaN;
  if (!unit) problem("shiftLength.unit", 'expected "hours", "days" or "weeks"');
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHIFT_COUNT) {
    problem("shiftLength.count", `expected a whole number from 1 to ${MAX_SHIFT_COUNT}`);
  }
  const startWall = parseLocalDateTime(r.start);
  if (startWall === null) {
    problem("start", 'expected a local date-time "YYYY-MM-DDTHH:MM" without offset, e.g. "2026-03-02T09:00"');
  }
  const restrictions = compileRestrictions(r, problem);

  if (problems.length > 0 || !zone || !unit || startWall === null) return { rotation: null, problems };
  return {
    rotation: {
      zone,
      participants: r.participants,
      unit,
      count,
      startWall,
      first: instantOf(zone, startWall),
      restrictions,
    },
    problems,
  };
}

function compileRestrictions(r: Rotation, problem: (field: string, message: string) => void): Hours[] | null {
  // Absent, null (from JSON) and empty all mean "no restrictions": an empty list meaning "never on
  // call" would only ever be an accident of removing the last window in a form.
  if (r.restrictions === undefined || r.restrictions === null) return null;
  if (!Array.isArray(r.restrictions)) {
    problem("restrictions", "expected a list of windows { days, start, end }");
    return null;
  }
  if (r.restrictions.length === 0) return null;
  const clock = 'expected a local time "HH:MM" from 00:00 to 23:59';
  return r.restrictions.map((x, i) => {
    const at = `restrictions[${i}]`;
    const days = Array.isArray(x.days) ? x.days : [];
    if (days.length === 0)
      problem(`${at}.days`, "expected at least one ISO weekday (1 = Monday … 7 = Sunday)");
    days.forEach((d, j) => {
      if (!Number.isInteger(d) || d < 1 || d > 7) {
        problem(`${at}.days[${j}]`, "expected an ISO weekday from 1 (Monday) to 7 (Sunday)");
      }
    });
    const start = parseClock(x.start);
    const end = parseClock(x.end);
    if (start === null) problem(`${at}.start`, clock);
    if (end === null) problem(`${at}.end`, clock);
    return { days: new Set(days), start: start ?? 0, end: end ?? 0 };
  });
}

/** Problems with a rotation, each naming its field and what was expected; empty when it is valid. */
export function validateRotation(r: Rotation): Problem[] {
  return compile(r).problems;
}

function compiled(r: Rotation, layer?: number): Compiled {
  const { rotation, problems } = compile(r);
  const [first] = problems;
  if (!rotation || first) {
    const prefix = layer === undefined ? "" : `layers[${layer}].`;
    throw invalid(`${prefix}${first?.field ?? "rotation"}`, first?.message ?? "invalid rotation");
  }
  return rotation;
}

/** Days between hand-offs for days/weeks rotations. */
const stepDays = (c: Compiled) => (c.unit === "weeks" ? 7 * c.count : c.count);

/**
 * When turn `k` starts. `hours` rotations hand off every count hours of elapsed time; days and
 * weeks at the start's wall-clock time, always counted from `start` itself so that one hand-off
 * moved by a DST gap does not drag the later ones along.
 */
function turnStart(c: Compiled, k: number): number {
  if (c.unit === "hours") return c.first + k * c.count * HOUR;
  return instantOf(c.zone, c.startWall + k * stepDays(c) * DAY);
}

/** The turn in progress at `at` (at >= c.first), found arithmetically, not by walking from the start. */
function turnAt(c: Compiled, at: number): number {
  if (c.unit === "hours") return Math.floor((at - c.first) / (c.count * HOUR));
  // Wall-clock days get within one turn; offsets differ by hours, so nudge to the exact one.
  let k = Math.max(0, Math.floor((wallClock(c.zone, at) - c.startWall) / (stepDays(c) * DAY)));
  while (k > 0 && turnStart(c, k) > at) k--;
  while (turnStart(c, k + 1) <= at) k++;
  return k;
}

/**
 * The merged restriction windows that meet [lo, hi), clipped to it. A window starting on a local
 * day is measured on that zone's clocks, so 22:00–06:00 across a fall-back night lasts 9 hours.
 */
function restrictionWindows(c: Compiled, hours: Hours[], lo: number, hi: number): Window[] {
  const raw: Window[] = [];
  // A window lasts at most a day, so one that meets lo started at most a day before lo's date.
  for (let day = dayOf(wallClock(c.zone, lo)) - 1; day <= dayOf(wallClock(c.zone, hi)); day++) {
    for (const h of hours) {
      if (!h.days.has(weekdayOf(day))) continue;
      const endDay = h.end <= h.start ? day + 1 : day;
      const start = Math.max(lo, instantOf(c.zone, day * DAY + h.start * MINUTE));
      const end = Math.min(hi, instantOf(c.zone, endDay * DAY + h.end * MINUTE));
      if (start < end) raw.push({ start, end });
    }
  }
  raw.sort((a, b) => a.start - b.start);
  const merged: Window[] = [];
  for (const w of raw) {
    const last = merged.at(-1);
    if (last && w.start <= last.end) last.end = Math.max(last.end, w.end);
    else merged.push({ ...w });
  }
  return merged;
}

/** The rotation's pieces in [lo, hi), clipped and in order, produced lazily so callers may stop early. */
function* pieces(c: Compiled, lo: number, hi: number): Generator<Piece> {
  lo = Math.max(lo, c.first); // before its start a rotation has nobody on call
  if (!(lo < hi)) return;
  const windows = c.restrictions ? restrictionWindows(c, c.restrictions, lo, hi) : [{ start: lo, end: hi }];
  let w = 0;
  let k = turnAt(c, lo);
  let start = turnStart(c, k);
  while (start < hi && w < windows.length) {
    const end = turnStart(c, k + 1);
    const userId = c.participants[k % c.participants.length]!;
    while (w < windows.length && windows[w]!.end <= start) w++;
    // A window may outlast this turn; it stays current for the next one.
    for (let i = w; i < windows.length && windows[i]!.start < end; i++) {
      const piece = {
        userId,
        start: Math.max(start, windows[i]!.start),
        end: Math.min(end, windows[i]!.end),
      };
      if (piece.start < piece.end) yield piece;
    }
    k++;
    start = end;
  }
}

function millis(name: string, d: Date): number {
  const t = d instanceof Date ? d.getTime() : Number.NaN;
  if (Number.isNaN(t)) throw invalid(name, "expected a valid date-time");
  return t;
}

/**
 * The shifts of one rotation that meet [from, to), clipped to it, in order: one per turn (or per
 * restriction window within a turn), even when consecutive turns have the same person.
 * `layer` is recorded as the source and names the field if the rotation is invalid (which throws).
 */
export function rotationShifts(r: Rotation, from: Date, to: Date, layer?: number): Shift[] {
  const source = { kind: "layer", layer: layer ?? 0 } as const;
  return layerPieces(r, millis("from", from), millis("to", to), layer).map((p) => ({
    userId: p.userId,
    start: new Date(p.start),
    end: new Date(p.end),
    source,
  }));
}

/** rotationShifts in epoch milliseconds, for schedule.ts. */
export function layerPieces(r: Rotation, lo: number, hi: number, layer?: number): Piece[] {
  return [...pieces(compiled(r, layer), lo, hi)];
}

/** Whether anyone is on call in the rotation at some point of [lo, hi); stops at the first shift. */
export function coversAny(r: Rotation, lo: number, hi: number): boolean {
  const c = compiled(r);
  // In month-sized steps so a decade-long window does not compute a decade of restriction windows.
  for (let from = Math.max(lo, c.first); from < hi; from += 31 * DAY) {
    if (!pieces(c, from, Math.min(hi, from + 31 * DAY)).next().done) return true;
  }
  return false;
}
