/**
 * The on-call week grid's arithmetic, in the viewer's own time zone: which week, its days (a day
 * is local midnight to local midnight, so 23 or 25 hours across a DST change), where a shift falls
 * on each day, and turning a pointer drag into a start and end snapped to 30 minutes.
 */

export const SLOT_MS = 30 * 60_000;

export type Day = { start: Date; end: Date };
export type Span = { start: number; end: number };
/** A shift's part inside one day, as fractions of that day's width (0..1). */
export type Segment<T> = { item: T; start: number; end: number; left: number; width: number };

/** Local midnight of the Monday on or before `at`. */
export function startOfWeek(at: Date): Date {
  const offset = (at.getDay() + 6) % 7;
  return new Date(at.getFullYear(), at.getMonth(), at.getDate() - offset);
}

/** The same local time of day `n` calendar days later (not n × 24 hours: DST changes stay out). */
export function addDays(d: Date, n: number): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + n, d.getHours(), d.getMinutes());
}

/** The seven local days of the week that starts at `weekStart`. */
export function weekDays(weekStart: Date): Day[] {
  return Array.from({ length: 7 }, (_, i) => ({
    start: addDays(weekStart, i),
    end: addDays(weekStart, i + 1),
  }));
}

/** The parts of `items` (each with ISO start and end) that fall in `day`, left to right. */
export function segmentsOfDay<T extends { start: string; end: string }>(items: T[], day: Day): Segment<T>[] {
  const from = day.start.getTime();
  const to = day.end.getTime();
  const length = to - from;
  return items
    .map((item) => ({
      item,
      start: Math.max(Date.parse(item.start), from),
      end: Math.min(Date.parse(item.end), to),
    }))
    .filter((s) => s.end > s.start)
    .sort((a, b) => a.start - b.start)
    .map((s) => ({ ...s, left: (s.start - from) / length, width: (s.end - s.start) / length }));
}

/** The instant at `fraction` (0..1, clamped) across `day`. */
export function instantAt(day: Day, fraction: number): number {
  const from = day.start.getTime();
  const f = Math.min(1, Math.max(0, fraction));
  return from + f * (day.end.getTime() - from);
}

/** Slots count from the day's local midnight, so 09:00 and 09:30 are edges even across DST. */
const floorSlot = (t: number, day: Day) =>
  day.start.getTime() + Math.floor((t - day.start.getTime()) / SLOT_MS) * SLOT_MS;

/**
 * The window a drag selects: from the slot where it started to the end of the slot where it is
 * now, in either direction; a click without moving selects that one slot.
 */
export function dragSpan(a: { day: Day; at: number }, b: { day: Day; at: number }): Span {
  const [first, last] = a.at <= b.at ? [a, b] : [b, a];
  const start = floorSlot(first.at, first.day);
  const lastSlot = floorSlot(last.at, last.day);
  const end = Math.min(lastSlot + SLOT_MS, last.day.end.getTime());
  return { start, end: Math.max(end, start + SLOT_MS) };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A `<input type="datetime-local">` value for an instant, in local time ("2026-03-02T09:30"). */
export function toLocalInput(t: number | Date): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The instant of a `datetime-local` value read as local time, or null when it is not one. */
export function fromLocalInput(value: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const date = new Date(y, mo - 1, d, h, mi);
  return date.getMonth() === mo - 1 && date.getDate() === d ? date : null;
}

/** "Mon 23 Nov – Sun 29 Nov 2026" */
export function weekLabel(weekStart: Date, locale?: string): string {
  const last = addDays(weekStart, 6);
  const short = new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short" });
  const long = new Intl.DateTimeFormat(locale, {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
  });
  return `${short.format(weekStart)} – ${long.format(last)}`;
}

/** "09:00–17:30", with the date of an end on another day ("Mon 09:00 – Tue 09:00"). */
export function spanLabel(start: string | number, end: string | number, locale?: string): string {
  const s = new Date(start);
  const e = new Date(end);
  const time = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });
  const dayTime = new Intl.DateTimeFormat(locale, {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
  const sameDay = s.toDateString() === e.toDateString();
  return sameDay ? `${dayTime.format(s)}–${time.format(e)}` : `${dayTime.format(s)} – ${dayTime.format(e)}`;
}

/** A segment's times within its day: "09:00–17:30", "18:00–24:00" for one running past midnight. */
export function clockRange(start: number, end: number, day: Day, locale?: string): string {
  const time = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const until = end >= day.end.getTime() ? "24:00" : time.format(end);
  return `${time.format(start)}–${until}`;
}

/** The viewer's time zone, to say which zone the times are in. */
export const viewerTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;
