/**
 * PagerDuty schedule layers as Firebreak rotations (pure). Both render later layers over earlier
 * ones and keep a restricted layer's turn order running through the hours it does not cover, so a
 * layer becomes one rotation in the schedule's time zone:
 * - `rotation_turn_length_seconds` → whole weeks, days or hours (anything else has no equivalent);
 *   days and weeks hand off at the same local time across DST changes, hours every n elapsed hours.
 * - `rotation_virtual_start` (an instant with an offset) → the local date-time in the schedule's
 *   zone at which `users[0]`'s turn starts; one in the future moves back by whole cycles, because a
 *   Firebreak rotation has nobody on call before its start.
 * - restrictions → local windows. Firebreak's start on given ISO days and last at most a day, so a
 *   weekly restriction longer than that becomes one window per day it touches.
 */
import { DateTime } from "luxon";
import type { RotationDoc } from "../config/document.ts";
import type { PdLayer, PdRestriction } from "./pagerduty-api.ts";
import type { Unmapped } from "./types.ts";

type Window = { days: number[]; start: string; end: string };

const DAY_MIN = 24 * 60;
const clock = (minutes: number) =>
  `${String(Math.floor(minutes / 60) % 24).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
/** ISO weekday `d` plus `n` days, wrapping Sunday (7) to Monday (1). */
const weekday = (d: number, n: number) => ((d - 1 + n) % 7) + 1;

/** "08:30:00" → minutes after midnight; null when not whole minutes or malformed. */
function timeOfDay(text: string): number | null {
  const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) !== 0) return null;
  return Number(m[1]) * 60 + Number(m[2]);
}

/** One restriction as windows, or the reason it has no Firebreak equivalent. */
export function restrictionWindows(r: PdRestriction): Window[] | string {
  const start = timeOfDay(r.start_time_of_day);
  if (start === null) return `starts at ${r.start_time_of_day}, not on a whole minute`;
  if (!Number.isInteger(r.duration_seconds) || r.duration_seconds <= 0 || r.duration_seconds % 60 !== 0)
    return `lasts ${r.duration_seconds} s, not whole minutes`;
  const duration = r.duration_seconds / 60;
  if (r.type === "daily_restriction") {
    if (duration > DAY_MIN) return `a daily restriction of ${duration / 60} h is longer than a day`;
    return [{ days: [1, 2, 3, 4, 5, 6, 7], start: clock(start), end: clock(start + duration) }];
  }
  if (r.type !== "weekly_restriction") return `restriction type ${JSON.stringify(r.type)} is unknown`;
  const day = r.start_day_of_week;
  if (!Number.isInteger(day) || (day as number) < 1 || (day as number) > 7)
    return `start_day_of_week ${JSON.stringify(day)} is not an ISO weekday`;
  if (duration > 7 * DAY_MIN) return "a weekly restriction longer than a week";
  const first = day as number;
  // An end at or before the start runs to the next day; start = end is a whole day.
  if (start + duration <= DAY_MIN)
    return [{ days: [first], start: clock(start), end: clock(start + duration) }];
  const windows: Window[] = [{ days: [first], start: clock(start), end: "00:00" }];
  let left = duration - (DAY_MIN - start);
  for (let n = 1; left > 0; n++) {
    const length = Math.min(left, DAY_MIN);
    windows.push({ days: [weekday(first, n)], start: "00:00", end: clock(length) });
    left -= length;
  }
  return windows;
}

/** Windows with the same hours become one window over several days. */
function joinDays(windows: Window[]): Window[] {
  const byHours = new Map<string, Window>();
  for (const w of windows) {
    const key = `${w.start}-${w.end}`;
    const same = byHours.get(key);
    if (same) same.days = [...new Set([...same.days, ...w.days])].sort((a, b) => a - b);
    else byHours.set(key, { ...w, days: [...w.days] });
  }
  return [...byHours.values()];
}

function shiftLength(seconds: number): RotationDoc["shiftLength"] | null {
  if (!Number.isInteger(seconds) || seconds <= 0 || seconds % 3600 !== 0) return null;
  if (seconds % (7 * 86400) === 0) return { unit: "weeks", count: seconds / (7 * 86400) };
  if (seconds % 86400 === 0) return { unit: "days", count: seconds / 86400 };
  return { unit: "hours", count: seconds / 3600 };
}

const at = (iso: string) => DateTime.fromISO(iso, { setZone: true });

/**
 * The rotation a layer becomes, or nothing; either way `unmapped` says what was left out and why.
 * `userRef` gives the document's reference for a PagerDuty user id (undefined: not imported).
 */
export function translateLayer(
  layer: PdLayer,
  schedule: { id: string; name: string; timeZone: string },
  userRef: (id: string) => string | undefined,
  now: Date,
): { rotation?: RotationDoc; unmapped: Unmapped[] } {
  const what = { kind: "schedule layer", id: layer.id, name: `${schedule.name} / ${layer.name}` };
  const skip = (reason: string) => ({ unmapped: [{ ...what, reason }] });
  const end = layer.end ? at(layer.end) : null;
  if (end && end.toMillis() <= now.getTime()) return skip(`ended ${layer.end}; nothing to import`);
  const start = at(layer.start);
  if (!start.isValid) return skip(`start ${JSON.stringify(layer.start)} is not a date-time`);
  if (start.toMillis() > now.getTime())
    return skip(
      `starts in the future (${layer.start}); a Firebreak rotation has no start apart from its first hand-off — add it as a layer on that day`,
    );
  const length = shiftLength(layer.rotation_turn_length_seconds);
  if (!length)
    return skip(
      `turns of ${layer.rotation_turn_length_seconds} s are not whole hours; Firebreak rotations hand off after whole hours, days or weeks`,
    );
  const participants: string[] = [];
  for (const { user } of layer.users) {
    const ref = userRef(user.id);
    if (!ref)
      return skip(`participant ${user.summary ?? user.id} (${user.id}) is not among the account's users`);
    participants.push(ref);
  }
  if (participants.length === 0) return skip("has no users");

  let virtual: DateTime = at(layer.rotation_virtual_start).setZone(schedule.timeZone);
  if (!virtual.isValid)
    return skip(`rotation_virtual_start ${layer.rotation_virtual_start} is not a date-time`);
  if (virtual.second !== 0 || virtual.millisecond !== 0)
    return skip(`rotation_virtual_start ${layer.rotation_virtual_start} is not on a whole minute`);
  // Whole cycles leave the turn order unchanged: a future virtual start moves back before now.
  const cycle = participants.length * length.count;
  const back = (d: DateTime, n: number) =>
    length.unit === "hours"
      ? d.minus({ hours: n * cycle })
      : d.minus({ days: n * cycle * (length.unit === "weeks" ? 7 : 1) });
  const cycleMs = layer.rotation_turn_length_seconds * participants.length * 1000;
  const ahead = virtual.toMillis() - now.getTime();
  if (ahead > 0) virtual = back(virtual, Math.ceil(ahead / cycleMs));
  // Calendar days across a DST change may fall an hour short of the elapsed time.
  while (virtual.toMillis() > now.getTime()) virtual = back(virtual, 1);

  const windows: Window[] = [];
  const unmapped: Unmapped[] = [];
  for (const [i, r] of (layer.restrictions ?? []).entries()) {
    const w = restrictionWindows(r);
    if (typeof w === "string") return skip(`restriction ${i + 1}: ${w}`);
    windows.push(...w);
  }
  if (end)
    unmapped.push({
      ...what,
      reason: `ends ${layer.end}; Firebreak rotations do not end — remove this layer from the schedule then`,
    });
  const rotation: RotationDoc = {
    name: layer.name,
    timeZone: schedule.timeZone,
    participants,
    shiftLength: length,
    start: virtual.toFormat("yyyy-MM-dd'T'HH:mm"),
    ...(windows.length ? { restrictions: joinDays(windows) } : {}),
  };
  return { rotation, unmapped };
}
