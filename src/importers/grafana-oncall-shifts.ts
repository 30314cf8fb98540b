/**
 * Grafana OnCall shifts as Firebreak rotations (pure: no I/O, no clock).
 *
 * How OnCall renders a shift (engine/apps/schedules/models/custom_on_call_shift.py): `start` is a
 * wall-clock time in the shift's zone (else the schedule's, else UTC); each occurrence lasts
 * `duration` on that zone's clocks. A `rolling_users` shift hands its occurrences to the next
 * group of users every `interval` hours/days/weeks (weekly turns change at `week_start`); every user
 * of a group is on call together. `recurrent_event` is the same with one group that never changes.
 *
 * A Firebreak rotation has one person at a time, hands off every N hours/days/weeks at the start's
 * wall-clock time, and may be limited to weekly windows (restrictions). So a shift translates when
 * its occurrences either cover its whole turn, or repeat weekly (or daily) inside each turn; the
 * rest (monthly turns, by_month/by_monthday, daily turns on some weekdays only, gaps of several
 * weeks between a group's turns) is refused with the reason, never approximated.
 */
import { DAY, instantOf, MINUTE, parseLocalDateTime, weekdayOf, zoneOf } from "../oncall/localtime.ts";
import type { OnCallShift } from "./grafana-oncall-api.ts";

export type Restriction = { days: number[]; start: string; end: string };

/** A shift as a rotation whose participants are groups of OnCall user ids (slots come later). */
export type LayerPlan = {
  shiftId: string;
  name: string;
  level: number;
  timeZone: string;
  groups: string[][];
  shiftLength: { unit: "hours" | "days" | "weeks"; count: number };
  /** Local date-time "YYYY-MM-DDTHH:MM" in timeZone. */
  start: string;
  restrictions?: Restriction[];
  /** OnCall's end of the rotation, an instant; Firebreak rotations do not end. */
  until?: Date;
};

export type Translation = { ok: true; layer: LayerPlan } | { ok: false; reason: string };

/** A one-off window (override or single event) as instants. */
export type OneOff = { shiftId: string; name: string; users: string[]; start: Date; end: Date };

const ISO_DAY = { MO: 1, TU: 2, WE: 3, TH: 4, FR: 5, SA: 6, SU: 7 } as const;
const WEEK_MINUTES = 7 * 1440;

const pad = (n: number) => String(n).padStart(2, "0");
const clock = (minutes: number) => `${pad(Math.floor(minutes / 60) % 24)}:${pad(minutes % 60)}`;
const localText = (wall: number) => new Date(wall).toISOString().slice(0, 16);

/** The zone a shift's wall-clock times are read in. */
export function shiftZone(shift: OnCallShift, scheduleZone: string | null | undefined): string {
  return shift.time_zone || scheduleZone || "UTC";
}

function refuse(reason: string): Translation {
  return { ok: false, reason };
}

/** The groups in turn order: OnCall starts the rotation at `start_rotation_from_user_index`. */
function turnOrder(shift: OnCallShift): string[][] {
  if (shift.type === "recurrent_event") return [shift.users ?? []];
  const groups = (shift.rolling_users ?? []).filter((g) => g.length > 0);
  const from = shift.start_rotation_from_user_index ?? 0;
  if (groups.length === 0 || from === 0) return groups;
  const k = from % groups.length;
  return [...groups.slice(k), ...groups.slice(0, k)];
}

/**
 * Windows of `minutes` starting at `start` (minutes after midnight) on each of `days`, split into
 * pieces of at most a day (a Firebreak window ends within 24 hours of its start); pieces with the
 * same clock times share one restriction.
 */
function windows(days: number[], start: number, minutes: number): Restriction[] {
  const byClock = new Map<string, Restriction>();
  for (const day of days) {
    for (let at = 0; at < minutes; at += 1440) {
      const length = Math.min(1440, minutes - at);
      const weekday = ((day - 1 + at / 1440) % 7) + 1;
      const key = `${start}/${length}`;
      const r = byClock.get(key) ?? { days: [], start: clock(start), end: clock(start + length) };
      if (!r.days.includes(weekday)) r.days.push(weekday);
      byClock.set(key, r);
    }
  }
  return [...byClock.values()].map((r) => ({ ...r, days: r.days.sort((a, b) => a - b) }));
}

/** Translates a rolling_users or recurrent_event shift into a layer, or says why it cannot be. */
export function translateShift(shift: OnCallShift, scheduleZone: string | null | undefined): Translation {
  const timeZone = shiftZone(shift, scheduleZone);
  const zone = zoneOf(timeZone);
  if (!zone) return refuse(`unknown time zone ${JSON.stringify(timeZone)}`);
  if (shift.type !== "rolling_users" && shift.type !== "recurrent_event") {
    return refuse(`shift type ${JSON.stringify(shift.type)} is not a rotation`);
  }
  const groups = turnOrder(shift);
  if (groups.length === 0 || groups.every((g) => g.length === 0)) {
    return refuse("nobody is in this rotation");
  }
  const frequency = shift.frequency;
  if (!frequency) return refuse("a repeating shift without a frequency");
  if (shift.by_month?.length || shift.by_monthday?.length) {
    return refuse("limited to some months or days of the month; Firebreak's limits are weekly");
  }
  if (frequency === "monthly") {
    return refuse("turns change monthly; Firebreak rotations hand off every N hours, days or weeks");
  }
  let wall = parseLocalDateTime(shift.start);
  if (wall === null) return refuse(`start ${JSON.stringify(shift.start)} is not a local date-time`);
  if (wall % MINUTE !== 0 || shift.duration % 60 !== 0) {
    return refuse("starts or lasts a fraction of a minute; Firebreak works in whole minutes");
  }
  const interval = shift.interval ?? 1;
  const minutes = shift.duration / 60;
  const startDay = weekdayOf(Math.floor(wall / DAY));
  const days = [...new Set((shift.by_day ?? []).map((d) => ISO_DAY[d]))];
  const everyDay = days.length === 0 || days.length === 7;
  const until = shift.until ? parseLocalDateTime(shift.until) : null;
  const base = {
    shiftId: shift.id,
    name: shift.name.slice(0, 100) || shift.id,
    level: shift.level ?? 0,
    timeZone,
    groups,
    ...(until === null ? {} : { until: new Date(instantOf(zone, until)) }),
  };
  const layer = (
    unit: LayerPlan["shiftLength"]["unit"],
    count: number,
    at: number,
    restrictions?: Restriction[],
  ): Translation => ({
    ok: true,
    layer: {
      ...base,
      shiftLength: { unit, count },
      start: localText(at),
      ...(restrictions ? { restrictions } : {}),
    },
  });
  const period = { hourly: 60, daily: 1440, weekly: WEEK_MINUTES }[frequency] * interval;
  const unit = ({ hourly: "hours", daily: "days", weekly: "weeks" } as const)[frequency];

  // Occurrences that fill their whole turn: a plain rotation.
  const onlyStartDay = days.length === 0 || (days.length === 1 && days[0] === startDay);
  if (minutes === period && (frequency === "weekly" ? onlyStartDay : everyDay)) {
    return layer(unit, interval, wall);
  }
  if (minutes > period) return refuse("each occurrence outlasts its turn, so turns overlap");
  if (frequency === "hourly") {
    return refuse("an hourly turn on call for only part of the hour cannot be expressed");
  }
  if (interval !== 1) {
    return refuse(
      `on call for part of each turn of ${interval} ${unit}; Firebreak's limits repeat every week, not every ${interval} ${unit}`,
    );
  }
  const startMinute = Math.floor((wall % DAY) / MINUTE);
  if (frequency === "daily") {
    if (!everyDay) {
      return refuse(
        "daily turns on some weekdays only: OnCall hands each selected day to the next group, which Firebreak's day-counted turns cannot follow",
      );
    }
    return layer("days", 1, wall, windows([1, 2, 3, 4, 5, 6, 7], startMinute, minutes));
  }

  // Weekly turns change at week_start; occurrences fall on the selected days at the start's time.
  const weekStart = ISO_DAY[shift.week_start ?? "SU"];
  const offset = (d: number) => (d - weekStart + 7) % 7;
  const selected = (days.length ? days : [startDay]).sort((a, b) => offset(a) - offset(b));
  // OnCall moves a start on an unselected weekday to the week's first selected day.
  if (!selected.includes(startDay)) wall += ((selected[0]! - startDay + 7) % 7) * DAY;
  const first = selected[0]!;
  // Firebreak's turns change at the week's first selected day, at the start's time.
  const turnStart = wall - offset(weekdayOf(Math.floor(wall / DAY))) * DAY + offset(first) * DAY;
  const last = selected.at(-1)!;
  if ((offset(last) - offset(first)) * 1440 + minutes > WEEK_MINUTES) {
    return refuse("the week's last occurrence runs into the next group's turn");
  }
  return layer("weeks", 1, turnStart, windows(selected, startMinute, minutes));
}

/** An override or single event as instants: its wall-clock start and duration in its zone. */
export function oneOff(shift: OnCallShift, scheduleZone: string | null | undefined): OneOff | string {
  const timeZone = shiftZone(shift, scheduleZone);
  const zone = zoneOf(timeZone);
  if (!zone) return `unknown time zone ${JSON.stringify(timeZone)}`;
  const wall = parseLocalDateTime(shift.start);
  if (wall === null) return `start ${JSON.stringify(shift.start)} is not a local date-time`;
  const users = shift.users?.length ? shift.users : (shift.rolling_users ?? []).flat();
  if (users.length === 0) return "nobody is in it";
  return {
    shiftId: shift.id,
    name: shift.name,
    users,
    start: new Date(instantOf(zone, wall)),
    end: new Date(instantOf(zone, wall + shift.duration * 1000)),
  };
}
