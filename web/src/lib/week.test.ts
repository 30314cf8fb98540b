import { afterAll, describe, expect, it } from "vitest";
import {
  addDays,
  clockRange,
  dragSpan,
  fromLocalInput,
  instantAt,
  SLOT_MS,
  segmentsOfDay,
  spanLabel,
  startOfWeek,
  toLocalInput,
  weekDays,
} from "./week.ts";

// A zone with a DST change: the week of 2026-10-25 has a 25-hour Sunday. Set before the suites
// are collected, since they build their dates then.
const savedTz = process.env.TZ;
process.env.TZ = "Europe/Berlin";
afterAll(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

const local = (y: number, m: number, d: number, h = 0, mi = 0) => new Date(y, m - 1, d, h, mi);
const iso = (d: Date) => d.toISOString();

describe("the week grid", () => {
  it("starts on the local Monday at midnight", () => {
    expect(startOfWeek(local(2026, 11, 25, 15, 10))).toEqual(local(2026, 11, 23));
    expect(startOfWeek(local(2026, 11, 23, 0, 0))).toEqual(local(2026, 11, 23));
    expect(startOfWeek(local(2026, 11, 29, 23, 59))).toEqual(local(2026, 11, 23));
    expect(startOfWeek(local(2026, 3, 1, 12))).toEqual(local(2026, 2, 23));
  });

  it("has seven days from local midnight to local midnight, 25 hours on the day DST ends", () => {
    const days = weekDays(local(2026, 10, 19));
    expect(days).toHaveLength(7);
    expect(days.map((d) => d.start.getHours())).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(days[0]?.start).toEqual(local(2026, 10, 19));
    expect(days[6]?.end).toEqual(local(2026, 10, 26));
    const hours = days.map((d) => (d.end.getTime() - d.start.getTime()) / 3_600_000);
    expect(hours).toEqual([24, 24, 24, 24, 24, 24, 25]);
    expect(addDays(local(2026, 10, 24, 9), 1)).toEqual(local(2026, 10, 25, 9));
  });

  it("clips shifts to each day and places them as fractions of it", () => {
    const day = { start: local(2026, 11, 24), end: local(2026, 11, 25) };
    const shifts = [
      { start: iso(local(2026, 11, 24, 18)), end: iso(local(2026, 11, 25, 9)), who: "b" },
      { start: iso(local(2026, 11, 23, 9)), end: iso(local(2026, 11, 24, 6)), who: "a" },
      { start: iso(local(2026, 11, 25, 9)), end: iso(local(2026, 11, 26, 9)), who: "c" },
    ];
    const segments = segmentsOfDay(shifts, day);
    expect(segments.map((s) => s.item.who)).toEqual(["a", "b"]);
    expect(segments[0]?.left).toBe(0);
    expect(segments[0]?.width).toBeCloseTo(6 / 24);
    expect(segments[1]?.left).toBeCloseTo(18 / 24);
    expect(segments[1]?.width).toBeCloseTo(6 / 24);
  });
});

describe("dragging across the grid", () => {
  const mon = { start: local(2026, 11, 23), end: local(2026, 11, 24) };
  const tue = { start: local(2026, 11, 24), end: local(2026, 11, 25) };

  it("turns a pointer's position into an instant, clamped to the day", () => {
    expect(instantAt(mon, 0.5)).toBe(local(2026, 11, 23, 12).getTime());
    expect(instantAt(mon, -0.2)).toBe(mon.start.getTime());
    expect(instantAt(mon, 1.7)).toBe(mon.end.getTime());
  });

  it("selects whole 30-minute slots from the first touched to the last touched", () => {
    const a = { day: mon, at: local(2026, 11, 23, 9, 10).getTime() };
    const b = { day: mon, at: local(2026, 11, 23, 11, 40).getTime() };
    const span = { start: local(2026, 11, 23, 9).getTime(), end: local(2026, 11, 23, 12).getTime() };
    expect(dragSpan(a, b)).toEqual(span);
    expect(dragSpan(b, a)).toEqual(span);
  });

  it("spans days when the drag crosses them", () => {
    const a = { day: mon, at: local(2026, 11, 23, 18, 5).getTime() };
    const b = { day: tue, at: local(2026, 11, 24, 8, 59).getTime() };
    expect(dragSpan(a, b)).toEqual({
      start: local(2026, 11, 23, 18).getTime(),
      end: local(2026, 11, 24, 9).getTime(),
    });
  });

  it("selects one slot on a click, and never runs past the day's end", () => {
    const at = { day: mon, at: local(2026, 11, 23, 14, 45).getTime() };
    expect(dragSpan(at, at)).toEqual({
      start: local(2026, 11, 23, 14, 30).getTime(),
      end: local(2026, 11, 23, 15).getTime(),
    });
    const late = { day: mon, at: mon.end.getTime() - 1 };
    const span = dragSpan(late, late);
    expect(span.end).toBe(mon.end.getTime());
    expect(span.end - span.start).toBe(SLOT_MS);
  });

  it("snaps to the local half hours on the 25-hour day", () => {
    const sun = { start: local(2026, 10, 25), end: local(2026, 10, 26) };
    // Half way through a 25-hour day is 11:30 local (the clock went back at 03:00).
    const mid = instantAt(sun, 0.5);
    expect(new Date(mid).getHours()).toBe(11);
    expect(new Date(mid).getMinutes()).toBe(30);
    const span = dragSpan({ day: sun, at: mid + 60_000 }, { day: sun, at: mid + 60_000 });
    expect(new Date(span.start).getMinutes()).toBe(30);
    expect(span.end - span.start).toBe(SLOT_MS);
  });
});

describe("datetime-local values", () => {
  it("round-trips an instant in local time", () => {
    const t = local(2026, 3, 2, 9, 30);
    expect(toLocalInput(t)).toBe("2026-03-02T09:30");
    expect(fromLocalInput("2026-03-02T09:30")).toEqual(t);
  });

  it("refuses what is not a date and time", () => {
    expect(fromLocalInput("")).toBeNull();
    expect(fromLocalInput("2026-02-30T09:00")).toBeNull();
    expect(fromLocalInput("tomorrow")).toBeNull();
  });

  it("gives a segment's clock times within its day", () => {
    const day = { start: local(2026, 11, 23), end: local(2026, 11, 24) };
    expect(
      clockRange(local(2026, 11, 23, 9).getTime(), local(2026, 11, 23, 17, 30).getTime(), day, "en-GB"),
    ).toBe("09:00–17:30");
    expect(clockRange(local(2026, 11, 23, 18).getTime(), day.end.getTime(), day, "en-US")).toBe(
      "18:00–24:00",
    );
  });

  it("labels a span with the date of an end on another day", () => {
    const s = local(2026, 11, 23, 9).getTime();
    expect(spanLabel(s, local(2026, 11, 23, 17).getTime(), "en-GB")).toBe("Mon 23 Nov, 09:00–17:00");
    expect(spanLabel(s, local(2026, 11, 24, 9).getTime(), "en-GB")).toBe(
      "Mon 23 Nov, 09:00 – Tue 24 Nov, 09:00",
    );
  });
});
