import { IANAZone } from "luxon";

/**
 * Wall-clock arithmetic for schedules. A "wall" time is the UTC timestamp that has the same digits
 * as a zone's clock (2026-03-08 09:00 in New York → Date.UTC(2026, 2, 8, 9)): adding days to it is
 * calendar arithmetic with no DST in the way, and `instantOf` turns it back into a real instant.
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

// luxon's validity check builds an Intl formatter on every call (~0.1 ms) and zones do not change
// while we run. Only valid names are kept, so arbitrary input cannot grow the map without bound.
const validZones = new Map<string, IANAZone>();

/** The zone for an IANA name ("Europe/Berlin"), or null when the name is unknown. */
export function zoneOf(name: string): IANAZone | null {
  const known = validZones.get(name);
  if (known) return known;
  if (typeof name !== "string" || !IANAZone.isValidZone(name)) return null;
  const zone = IANAZone.create(name);
  validZones.set(name, zone);
  return zone;
}

/** What the zone's clocks show at `instant`, as a wall time. */
export function wallClock(zone: IANAZone, instant: number): number {
  return instant + zone.offset(instant) * MINUTE;
}

/**
 * The instant at which the zone's clocks show `wall`.
 * - In a spring-forward gap (02:30 on a day that jumps 02:00 → 03:00) the time is read with the
 *   offset in force before the jump, so it lands as far past the gap as it was into it (03:30).
 *   This is RFC 5545 §3.3.5, java.time and luxon; calendar clients show recurring events the same way.
 * - In a fall-back overlap (01:30 happens twice) it is the first occurrence, the earlier offset.
 *   luxon alone is not consistent here (it depends on its offset guess), hence this function.
 * Assumes at most one offset change within a day either side, which holds for every real zone.
 */
export function instantOf(zone: IANAZone, wall: number): number {
  const before = wall - zone.offset(wall - DAY) * MINUTE;
  const after = wall - zone.offset(wall + DAY) * MINUTE;
  const beforeFits = wallClock(zone, before) === wall;
  const afterFits = wallClock(zone, after) === wall;
  if (beforeFits && afterFits) return Math.min(before, after);
  if (afterFits) return after;
  return before; // it fits, or wall is in a gap and this is the pre-jump reading
}

/** Days since 1970-01-01 of a wall time. */
export const dayOf = (wall: number) => Math.floor(wall / DAY);

/** ISO weekday (1 = Monday … 7 = Sunday) of a day number; 1970-01-01 was a Thursday. */
export const weekdayOf = (day: number) => ((((day + 3) % 7) + 7) % 7) + 1;

const localDateTime = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** "2026-03-02T09:00" (seconds optional, no offset) → wall time, or null if malformed or not a real date. */
export function parseLocalDateTime(text: string): number | null {
  const m = typeof text === "string" ? localDateTime.exec(text) : null;
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (hour > 23 || minute > 59 || second > 59) return null;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2026-02-30 over into March (and reads year 0050 as 1950); a real date survives.
  const back = new Date(wall);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    return null;
  }
  return wall;
}

/** "HH:MM" (00:00 to 23:59) → minutes after midnight, or null. */
export function parseClock(text: string): number | null {
  const m = typeof text === "string" ? /^(\d{2}):(\d{2})$/.exec(text) : null;
  if (!m) return null;
  const hours = Number(m[1]);
  const minutes = Number(m[2]);
  return hours > 23 || minutes > 59 ? null : hours * 60 + minutes;
}
