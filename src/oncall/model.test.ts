import { describe, expect, it } from "vitest";
import { AppError } from "../platform/errors.ts";
import {
  finalSchedule,
  nextHandoff,
  onCallAt,
  type Rotation,
  rotationShifts,
  type Schedule,
  type Shift,
  validateRotation,
  validateSchedule,
} from "./model.ts";

const utc = (iso: string) => new Date(`${iso}Z`);
const brief = (shifts: Shift[]) =>
  shifts.map((s) => `${s.userId} ${s.start.toISOString().slice(5, 16)}–${s.end.toISOString().slice(5, 16)}`);

// Everything in UTC here, so the expectations read directly; DST has its own file.
const daily: Rotation = {
  name: "24/7",
  timeZone: "UTC",
  participants: [1, 2, 3],
  shiftLength: { unit: "days", count: 1 },
  start: "2026-03-02T09:00",
};
const daytime: Rotation = {
  name: "Business hours",
  timeZone: "UTC",
  participants: [7, 8],
  shiftLength: { unit: "weeks", count: 1 },
  start: "2026-03-02T00:00",
  restrictions: [{ days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" }],
};
const schedule = (overrides: Schedule["overrides"] = []): Schedule => ({
  name: "Infrastructure",
  timeZone: "UTC",
  layers: [daily, daytime],
  overrides,
});

describe("PAGE-7 rotations", () => {
  it("PAGE-7: turns follow the participant order; a repeated id gets more turns", () => {
    const r = { ...daily, participants: [1, 2, 1, 3] };
    const shifts = rotationShifts(r, utc("2026-03-02T09:00"), utc("2026-03-08T09:00"));
    expect(shifts.map((s) => s.userId)).toEqual([1, 2, 1, 3, 1, 2]);
  });

  it("PAGE-7: nobody is on call before the start; the window clips the first and last shift", () => {
    const shifts = rotationShifts(daily, utc("2026-03-01T00:00"), utc("2026-03-03T12:00"));
    expect(brief(shifts)).toEqual(["1 03-02T09:00–03-03T09:00", "2 03-03T09:00–03-03T12:00"]);
    expect(rotationShifts(daily, utc("2026-02-01T00:00"), utc("2026-03-02T09:00"))).toEqual([]);
  });

  it("PAGE-7: a window years after the start is found arithmetically and a year of hourly shifts is quick", () => {
    const hourly: Rotation = {
      ...daily,
      participants: [1, 2, 3, 4, 5],
      shiftLength: { unit: "hours", count: 1 },
    };
    const began = performance.now();
    const shifts = rotationShifts(hourly, utc("2036-01-01T00:00"), utc("2037-01-01T00:00"));
    expect(performance.now() - began).toBeLessThan(500);
    expect(shifts).toHaveLength(366 * 24);
    // 2026-03-02T09:00 → 2036-01-01T00:00 is 86,199 hours: turn 86,199 is participants[86,199 mod 5 = 4].
    expect(shifts[0]?.userId).toBe(5);
    const weekly: Rotation = { ...daily, shiftLength: { unit: "weeks", count: 2 } };
    expect(brief(rotationShifts(weekly, utc("2046-03-05T00:00"), utc("2046-03-06T00:00")))).toEqual([
      // Turn 521 (521 mod 3 = 2) starts 1042 weeks after 2026-03-02, on 2046-02-19; turn 522 two weeks later.
      "3 03-05T00:00–03-05T09:00",
      "1 03-05T09:00–03-06T00:00",
    ]);
  });

  it("PAGE-7: with restrictions, only the parts of a shift inside the windows are covered", () => {
    const shifts = rotationShifts(daytime, utc("2026-03-06T00:00"), utc("2026-03-10T00:00"));
    expect(brief(shifts)).toEqual(["7 03-06T09:00–03-06T17:00", "8 03-09T09:00–03-09T17:00"]);
  });

  it("PAGE-7: a window belongs to its start day; end <= start runs past midnight, end = start is a whole day", () => {
    const weekly: Rotation = {
      ...daily,
      participants: [9],
      shiftLength: { unit: "weeks", count: 1 },
      start: "2026-03-02T00:00",
    };
    const week = [utc("2026-03-02T00:00"), utc("2026-03-09T00:00")] as const;
    const fridayNight = { ...weekly, restrictions: [{ days: [5], start: "22:00", end: "06:00" }] };
    expect(brief(rotationShifts(fridayNight, ...week))).toEqual(["9 03-06T22:00–03-07T06:00"]);
    const sunday = { ...weekly, restrictions: [{ days: [7], start: "00:00", end: "00:00" }] };
    expect(brief(rotationShifts(sunday, ...week))).toEqual(["9 03-08T00:00–03-09T00:00"]);
    // An empty list is no restriction at all, not "never on call".
    expect(brief(rotationShifts({ ...weekly, restrictions: [] }, ...week))).toEqual([
      "9 03-02T00:00–03-09T00:00",
    ]);
  });

  it("an invalid rotation is refused naming the field", () => {
    const bad = { ...daily, timeZone: "Mars/Olympus" };
    expect(() => rotationShifts(bad, utc("2026-03-02T00:00"), utc("2026-03-03T00:00"))).toThrow(AppError);
    const s = { ...schedule(), layers: [daily, bad] };
    expect(() => finalSchedule(s, utc("2026-03-02T00:00"), utc("2026-03-03T00:00"))).toThrow(
      "layers[1].timeZone",
    );
  });
});

describe("rotation validation", () => {
  it("every problem of a rotation names its field and what was expected", () => {
    const problems = validateRotation({
      name: "",
      timeZone: "Europe/Berlln",
      participants: [],
      shiftLength: { unit: "months" as "days", count: 1.5 },
      start: "2026-02-30T09:00",
      restrictions: [
        { days: [], start: "9:00", end: "24:00" },
        { days: [0, 8], start: "09:00", end: "17:00" },
      ],
    });
    expect(problems.map((p) => p.field)).toEqual([
      "name",
      "timeZone",
      "participants",
      "shiftLength.unit",
      "shiftLength.count",
      "start",
      "restrictions[0].days",
      "restrictions[0].start",
      "restrictions[0].end",
      "restrictions[1].days[0]",
      "restrictions[1].days[1]",
    ]);
    for (const p of problems) expect(p.message).toMatch(/expected/);
    expect(problems[1]?.message).toContain('"Europe/Berlln"');
  });

  it("a valid rotation and schedule have no problems", () => {
    expect(validateRotation(daily)).toEqual([]);
    expect(validateRotation({ ...daytime, start: "2026-03-02T00:00:00" })).toEqual([]);
    expect(
      validateSchedule(
        schedule([{ userId: 5, start: utc("2026-03-03T10:00"), end: utc("2026-03-03T12:00") }]),
      ),
    ).toEqual([]);
  });

  it("schedule problems carry the layer or override path", () => {
    const problems = validateSchedule({
      name: "Infra",
      timeZone: "Nowhere",
      layers: [daily, { ...daily, participants: [1, 0], shiftLength: { unit: "hours", count: 0 } }],
      overrides: [{ userId: 1, start: utc("2026-03-03T10:00"), end: utc("2026-03-03T10:00") }],
    });
    expect(problems.map((p) => p.field)).toEqual([
      "timeZone",
      "layers[1].participants[1]",
      "layers[1].shiftLength.count",
      "overrides[0].end",
    ]);
    expect(validateSchedule({ ...schedule(), layers: [] })).toEqual([
      { field: "layers", message: "expected at least one rotation (layer)" },
    ]);
  });

  it("PAGE-7: an override that meets no layer's shift in its window is outside every rotation", () => {
    const nights = { ...schedule(), layers: [daytime] };
    const problems = validateSchedule({
      ...nights,
      overrides: [
        { userId: 5, start: utc("2026-03-03T20:00"), end: utc("2026-03-04T08:00") }, // weeknight: nobody
        { userId: 5, start: utc("2026-03-03T16:00"), end: utc("2026-03-03T18:00") }, // overlaps 16–17
        { userId: 5, start: utc("2026-01-01T00:00"), end: utc("2026-02-01T00:00") }, // before the start
      ],
    });
    expect(problems).toEqual([
      { field: "overrides[0]", message: expect.stringContaining("outside every rotation's shifts") },
      { field: "overrides[2]", message: expect.stringContaining("outside every rotation's shifts") },
    ]);
  });
});

describe("PAGE-7 layers and overrides", () => {
  it("PAGE-7: a weekday daytime layer takes precedence over the 24/7 layer, which fills the rest", () => {
    const shifts = finalSchedule(schedule(), utc("2026-03-06T00:00"), utc("2026-03-07T12:00"));
    expect(brief(shifts)).toEqual([
      "1 03-06T00:00–03-06T09:00", // Thursday's 24/7 shift (turn 3 → participant 1)
      "7 03-06T09:00–03-06T17:00", // Friday business hours
      "2 03-06T17:00–03-07T09:00",
      "3 03-07T09:00–03-07T12:00", // Saturday: the 24/7 layer only
    ]);
    expect(shifts.map((s) => s.source)).toEqual([
      { kind: "layer", layer: 0 },
      { kind: "layer", layer: 1 },
      { kind: "layer", layer: 0 },
      { kind: "layer", layer: 0 },
    ]);
  });

  it("PAGE-7: an override replaces one person for two hours, and the layer resumes after", () => {
    const s = schedule([
      { userId: 5, start: utc("2026-03-06T12:00"), end: utc("2026-03-06T14:00"), reason: "dentist" },
    ]);
    expect(brief(finalSchedule(s, utc("2026-03-06T08:00"), utc("2026-03-06T18:00")))).toEqual([
      "1 03-06T08:00–03-06T09:00",
      "7 03-06T09:00–03-06T12:00",
      "5 03-06T12:00–03-06T14:00",
      "7 03-06T14:00–03-06T17:00",
      "2 03-06T17:00–03-06T18:00",
    ]);
    expect(onCallAt(s, utc("2026-03-06T11:59"))).toEqual([7]);
    expect(onCallAt(s, utc("2026-03-06T12:00"))).toEqual([5]);
    expect(onCallAt(s, utc("2026-03-06T14:00"))).toEqual([7]);
  });

  it("PAGE-7: where overrides overlap, the later one wins", () => {
    const s = schedule([
      { userId: 5, start: utc("2026-03-06T10:00"), end: utc("2026-03-06T14:00") },
      { userId: 6, start: utc("2026-03-06T12:00"), end: utc("2026-03-06T13:00") },
    ]);
    expect(brief(finalSchedule(s, utc("2026-03-06T10:00"), utc("2026-03-06T14:00")))).toEqual([
      "5 03-06T10:00–03-06T12:00",
      "6 03-06T12:00–03-06T13:00",
      "5 03-06T13:00–03-06T14:00",
    ]);
  });

  it("PAGE-7: consecutive turns of the same person on the same layer merge; a gap is absent", () => {
    const solo: Schedule = { ...schedule(), layers: [{ ...daytime, participants: [9] }] };
    expect(brief(finalSchedule(solo, utc("2026-03-06T00:00"), utc("2026-03-10T00:00")))).toEqual([
      "9 03-06T09:00–03-06T17:00",
      "9 03-09T09:00–03-09T17:00",
    ]);
    expect(onCallAt(solo, utc("2026-03-07T12:00"))).toEqual([]);
    const always: Schedule = { ...schedule(), layers: [{ ...daily, participants: [4, 4] }] };
    expect(brief(finalSchedule(always, utc("2026-03-03T00:00"), utc("2026-03-06T00:00")))).toEqual([
      "4 03-03T00:00–03-06T00:00",
    ]);
  });
});

describe("PAGE-7 on call until", () => {
  it("PAGE-7: the next hand-off is the next change of person, including into and out of a gap", () => {
    const s = schedule([{ userId: 1, start: utc("2026-03-06T09:00"), end: utc("2026-03-06T10:00") }]);
    // Person 1 holds Thursday's 24/7 shift and then overrides the first daytime hour: one stretch.
    expect(nextHandoff(s, utc("2026-03-06T08:00"))).toEqual(utc("2026-03-06T10:00"));
    expect(nextHandoff(s, utc("2026-03-06T10:00"))).toEqual(utc("2026-03-06T17:00"));
    const solo: Schedule = { ...schedule(), layers: [daytime] };
    expect(nextHandoff(solo, utc("2026-03-06T12:00"))).toEqual(utc("2026-03-06T17:00")); // into a gap
    expect(nextHandoff(solo, utc("2026-03-06T17:00"))).toEqual(utc("2026-03-09T09:00")); // out of it
  });

  it("PAGE-7: with one person always on call there is no hand-off within the horizon", () => {
    const always: Schedule = { ...schedule(), layers: [{ ...daily, participants: [4] }] };
    expect(nextHandoff(always, utc("2026-03-06T08:00"))).toBeNull();
    expect(nextHandoff(always, utc("2026-03-06T08:00"), 1)).toBeNull();
    const quarterly: Schedule = {
      ...schedule(),
      layers: [{ ...daily, participants: [4, 5], shiftLength: { unit: "days", count: 90 } }],
    };
    expect(nextHandoff(quarterly, utc("2026-03-06T08:00"))).toEqual(utc("2026-05-31T09:00"));
  });
});
