/**
 * On-call schedules: the pure core (DESIGN.md, "Pure core, thin edges"). No I/O and no clock —
 * every instant is an argument. PAGE-7: a schedule is the one source of truth for who is on call,
 * and coverage swaps are overrides on it.
 *
 * The logic lives in rotation.ts (one rotation's shifts) and schedule.ts (layers and overrides);
 * this file holds the types and is the module other code imports.
 */

export type ShiftLength = { unit: "hours" | "days" | "weeks"; count: number };

/**
 * A local window in which a rotation's person is on call, e.g. weekdays 09:00–17:00. `days` are
 * the ISO weekdays (1 = Monday … 7 = Sunday) on which the window *starts*; an `end` at or before
 * `start` runs past midnight into the next day (22:00–06:00), and end = start is a whole day.
 */
export type Restriction = { days: number[]; start: string; end: string };

export type Rotation = {
  name: string;
  /** IANA name, e.g. "Europe/Berlin": hand-offs and restrictions follow this zone's clocks. */
  timeZone: string;
  /** User ids in turn order; an id may appear more than once to give that person more turns. */
  participants: number[];
  shiftLength: ShiftLength;
  /** Local date-time "2026-03-02T09:00" in `timeZone`: participants[0]'s first shift starts here. */
  start: string;
  /** When present, the rotation only covers the parts of its shifts inside these windows; none (or []) is 24/7. */
  restrictions?: Restriction[];
};

/** A coverage swap (PAGE-7): `userId` is on call over [start, end), whatever the layers say. */
export type Override = { userId: number; start: Date; end: Date; reason?: string };

export type Schedule = {
  name: string;
  /** The zone the schedule is shown in; each layer hands off in its own zone. */
  timeZone: string;
  /** Later layers take precedence wherever they have someone on call. */
  layers: Rotation[];
  /** Take precedence over every layer; a later override wins over an earlier one where they overlap. */
  overrides: Override[];
};

export type ShiftSource = { kind: "layer"; layer: number } | { kind: "override"; index: number };

/** Someone on call over [start, end). */
export type Shift = { userId: number; start: Date; end: Date; source: ShiftSource };

/** One thing wrong with a rotation or schedule; `field` is a path such as "layers[1].timeZone". */
export type Problem = { field: string; message: string };

export { rotationShifts, validateRotation } from "./rotation.ts";
export { finalSchedule, nextHandoff, onCallAt, validateSchedule } from "./schedule.ts";
