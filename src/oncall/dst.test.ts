import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { type Rotation, rotationShifts } from "./model.ts";

/**
 * Time-zone bugs are the most reported schedule defect in peer tools, so every expectation here is
 * written out in UTC by hand rather than recomputed with the code under test.
 */

const utc = (iso: string) => new Date(`${iso}Z`);
const hours = (s: { start: Date; end: Date }) => (s.end.getTime() - s.start.getTime()) / 3_600_000;
const local = (d: Date, zone: string) => DateTime.fromJSDate(d, { zone }).toFormat("yyyy-MM-dd HH:mm ZZ");

function rotation(timeZone: string, start: string, extra: Partial<Rotation> = {}): Rotation {
  return {
    name: "Primary",
    timeZone,
    participants: [1, 2, 3],
    shiftLength: { unit: "days", count: 1 },
    start,
    ...extra,
  };
}

/** The shift that starts at `at` (UTC, no Z), found in a window around it. */
function shiftFrom(r: Rotation, at: string) {
  const t = utc(at).getTime();
  const shifts = rotationShifts(r, new Date(t - 86_400_000), new Date(t + 8 * 86_400_000));
  const found = shifts.find((s) => s.start.getTime() === t);
  if (!found)
    throw new Error(`no shift starts at ${at}Z: ${shifts.map((s) => s.start.toISOString()).join(", ")}`);
  return found;
}

// The day before each change, 09:00 local, in UTC; then the next hand-off, 09:00 local again.
const nineOClock = [
  ["America/New_York", "spring forward 2026-03-08", "2026-03-07T14:00", "2026-03-08T13:00", 23],
  ["America/New_York", "fall back 2026-11-01", "2026-10-31T13:00", "2026-11-01T14:00", 25],
  ["Europe/Berlin", "spring forward 2026-03-29", "2026-03-28T08:00", "2026-03-29T07:00", 23],
  ["Europe/Berlin", "fall back 2026-10-25", "2026-10-24T07:00", "2026-10-25T08:00", 25],
  ["Australia/Sydney", "fall back 2026-04-05", "2026-04-03T22:00", "2026-04-04T23:00", 25],
  ["Australia/Sydney", "spring forward 2026-10-04", "2026-10-02T23:00", "2026-10-03T22:00", 23],
] as const;

describe("PAGE-7 daily hand-offs keep local wall-clock time across DST", () => {
  for (const [zone, change, before, after, length] of nineOClock) {
    it(`PAGE-7: ${zone} ${change}: 09:00 → 09:00 local is a ${length}-hour shift`, () => {
      const r = rotation(zone, "2026-01-05T09:00");
      const shift = shiftFrom(r, before);
      expect(shift.end).toEqual(utc(after));
      expect(hours(shift)).toBe(length);
      expect(local(shift.start, zone).slice(11, 16)).toBe("09:00");
      expect(local(shift.end, zone).slice(11, 16)).toBe("09:00");
      // and the day after is an ordinary 24 hours, still at 09:00
      const next = shiftFrom(r, after);
      expect(hours(next)).toBe(24);
      expect(local(next.end, zone).slice(11, 16)).toBe("09:00");
    });
  }

  it("PAGE-7: weekly rotations hand off at the same local time, the week holding the change is 167 or 169 h", () => {
    const r = rotation("Europe/Berlin", "2026-03-02T09:00", { shiftLength: { unit: "weeks", count: 1 } });
    expect(hours(shiftFrom(r, "2026-03-23T08:00"))).toBe(167); // Mon 09:00 CET → Mon 09:00 CEST
    expect(hours(shiftFrom(r, "2026-10-19T07:00"))).toBe(169); // Mon 09:00 CEST → Mon 09:00 CET
  });
});

describe("PAGE-7 a hand-off time that does not exist or happens twice", () => {
  it("PAGE-7: New York, 02:30 on 2026-03-08 does not exist: the hand-off is at 03:30 EDT, the next day back at 02:30", () => {
    const r = rotation("America/New_York", "2026-03-01T02:30");
    const saturday = shiftFrom(r, "2026-03-07T07:30"); // 02:30 EST
    expect(saturday.end).toEqual(utc("2026-03-08T07:30")); // 03:30 EDT: 24 elapsed hours
    const sunday = shiftFrom(r, "2026-03-08T07:30");
    expect(sunday.end).toEqual(utc("2026-03-09T06:30")); // 02:30 EDT: not dragged to 03:30
    expect(hours(sunday)).toBe(23);
    expect([saturday.userId, sunday.userId]).toEqual([1, 2]);
  });

  it("PAGE-7: Berlin, 02:30 on 2026-03-29 does not exist: the hand-off is at 03:30 CEST", () => {
    const r = rotation("Europe/Berlin", "2026-03-01T02:30");
    expect(shiftFrom(r, "2026-03-28T01:30").end).toEqual(utc("2026-03-29T01:30"));
    expect(shiftFrom(r, "2026-03-29T01:30").end).toEqual(utc("2026-03-30T00:30"));
  });

  it("PAGE-7: an ambiguous fall-back hand-off (01:30 New York, 02:30 Berlin) uses the earlier offset", () => {
    const ny = rotation("America/New_York", "2026-10-01T01:30");
    expect(shiftFrom(ny, "2026-10-31T05:30").end).toEqual(utc("2026-11-01T05:30")); // 01:30 EDT
    expect(hours(shiftFrom(ny, "2026-11-01T05:30"))).toBe(25); // to 01:30 EST
    const berlin = rotation("Europe/Berlin", "2026-10-01T02:30");
    expect(shiftFrom(berlin, "2026-10-24T00:30").end).toEqual(utc("2026-10-25T00:30")); // 02:30 CEST
    const sydney = rotation("Australia/Sydney", "2026-03-01T02:30");
    expect(shiftFrom(sydney, "2026-04-03T15:30").end).toEqual(utc("2026-04-04T15:30")); // 02:30 AEDT
  });

  it("PAGE-7: a rotation whose start itself falls in the gap begins at the shifted instant", () => {
    const r = rotation("America/New_York", "2026-03-08T02:30");
    const [first] = rotationShifts(r, utc("2026-03-08T00:00"), utc("2026-03-10T00:00"));
    expect(first?.start).toEqual(utc("2026-03-08T07:30"));
    expect(first?.userId).toBe(1);
  });
});

describe("PAGE-7 hours rotations count elapsed time", () => {
  it("PAGE-7: a 12-hour rotation stays 12 elapsed hours across spring forward; local hand-offs move by an hour", () => {
    const r = rotation("America/New_York", "2026-03-07T08:00", {
      participants: [1, 2],
      shiftLength: { unit: "hours", count: 12 },
    });
    const shifts = rotationShifts(r, utc("2026-03-07T13:00"), utc("2026-03-09T13:00"));
    expect(shifts.map(hours)).toEqual([12, 12, 12, 12]);
    expect(shifts.map((s) => local(s.start, "America/New_York").slice(11, 16))).toEqual([
      "08:00",
      "20:00",
      "09:00",
      "21:00",
    ]);
    expect(shifts.map((s) => s.userId)).toEqual([1, 2, 1, 2]);
  });

  it("PAGE-7: a 12-hour rotation stays 12 elapsed hours across fall back in Berlin", () => {
    const r = rotation("Europe/Berlin", "2026-10-24T08:00", { shiftLength: { unit: "hours", count: 12 } });
    const shifts = rotationShifts(r, utc("2026-10-24T06:00"), utc("2026-10-26T06:00"));
    expect(shifts.map(hours)).toEqual([12, 12, 12, 12]);
    expect(shifts.map((s) => local(s.start, "Europe/Berlin").slice(11, 16))).toEqual([
      "08:00",
      "20:00",
      "07:00",
      "19:00",
    ]);
  });
});

describe("PAGE-7 restrictions are local windows", () => {
  const weekdays = [{ days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" }];
  const spans = (r: Rotation, from: string, to: string) =>
    rotationShifts(r, utc(from), utc(to)).map((s) => [s.start.toISOString(), s.end.toISOString()]);

  it("PAGE-7: weekdays 09:00–17:00 in New York stay 09:00–17:00 local across both changes", () => {
    const r = rotation("America/New_York", "2026-01-05T09:00", { restrictions: weekdays });
    expect(spans(r, "2026-03-06T00:00", "2026-03-10T00:00")).toEqual([
      ["2026-03-06T14:00:00.000Z", "2026-03-06T22:00:00.000Z"], // Friday, EST
      ["2026-03-09T13:00:00.000Z", "2026-03-09T21:00:00.000Z"], // Monday, EDT
    ]);
    expect(spans(r, "2026-10-30T00:00", "2026-11-03T00:00")).toEqual([
      ["2026-10-30T13:00:00.000Z", "2026-10-30T21:00:00.000Z"], // Friday, EDT
      ["2026-11-02T14:00:00.000Z", "2026-11-02T22:00:00.000Z"], // Monday, EST
    ]);
  });

  it("PAGE-7: weekdays 09:00–17:00 in Berlin stay 09:00–17:00 local across both changes", () => {
    const r = rotation("Europe/Berlin", "2026-01-05T09:00", { restrictions: weekdays });
    expect(spans(r, "2026-03-27T00:00", "2026-03-31T00:00")).toEqual([
      ["2026-03-27T08:00:00.000Z", "2026-03-27T16:00:00.000Z"],
      ["2026-03-30T07:00:00.000Z", "2026-03-30T15:00:00.000Z"],
    ]);
    expect(spans(r, "2026-10-23T00:00", "2026-10-27T00:00")).toEqual([
      ["2026-10-23T07:00:00.000Z", "2026-10-23T15:00:00.000Z"],
      ["2026-10-26T08:00:00.000Z", "2026-10-26T16:00:00.000Z"],
    ]);
  });

  it("PAGE-7: a night window across fall back is measured on the wall clock: 22:00–06:00 lasts 9 hours", () => {
    const r = rotation("America/New_York", "2026-10-05T00:00", {
      participants: [4],
      shiftLength: { unit: "weeks", count: 1 },
      restrictions: [{ days: [6], start: "22:00", end: "06:00" }], // Saturday night
    });
    const nights = rotationShifts(r, utc("2026-10-31T00:00"), utc("2026-11-02T00:00"));
    expect(nights).toHaveLength(1);
    expect(nights.map(hours)).toEqual([9]);
    expect(nights[0]?.start).toEqual(utc("2026-11-01T02:00"));
    expect(nights[0]?.end).toEqual(utc("2026-11-01T11:00"));
  });

  it("PAGE-7: a window that contains the spring-forward gap loses the missing hour", () => {
    const r = rotation("Europe/Berlin", "2026-03-01T00:00", {
      restrictions: [{ days: [7], start: "01:00", end: "04:00" }],
    });
    const [sunday] = rotationShifts(r, utc("2026-03-28T00:00"), utc("2026-03-30T00:00"));
    expect(sunday && [sunday.start, sunday.end]).toEqual([utc("2026-03-29T00:00"), utc("2026-03-29T02:00")]);
  });
});
