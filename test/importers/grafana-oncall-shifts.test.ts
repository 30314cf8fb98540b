/**
 * Grafana OnCall shifts as Firebreak rotations (src/importers/grafana-oncall-shifts.ts), and the
 * reading of OnCall's page links. The property test renders random shifts the way OnCall does
 * (test/fixtures/grafana-oncall/render.ts, independent of Firebreak's rotation code) and requires
 * the translated rotation to have the same people on call over the same instants.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nextRequest, type OnCallShift } from "../../src/importers/grafana-oncall-api.ts";
import { oneOff, translateShift } from "../../src/importers/grafana-oncall-shifts.ts";
import { SourceError } from "../../src/importers/source.ts";
import { rotationShifts } from "../../src/oncall/model.ts";
import { finalShifts, renderShift } from "../fixtures/grafana-oncall/render.ts";

const shift = (fields: Partial<OnCallShift>): OnCallShift => ({
  id: "OSHIFT",
  name: "Shift",
  type: "rolling_users",
  start: "2027-03-01T09:00:00",
  duration: 604800,
  frequency: "weekly",
  interval: 1,
  week_start: "MO",
  rolling_users: [["UA"], ["UB"]],
  start_rotation_from_user_index: 0,
  ...fields,
});

const layerOf = (s: OnCallShift, zone = "Europe/Berlin") => {
  const t = translateShift(s, zone);
  if (!t.ok) throw new Error(`refused: ${t.reason}`);
  return t.layer;
};
const refusal = (s: OnCallShift) => {
  const t = translateShift(s, "UTC");
  return t.ok ? null : t.reason;
};

describe("translating shifts", () => {
  it("turns a shift filling its whole turn into a plain rotation, in the schedule's zone by default", () => {
    expect(layerOf(shift({}))).toMatchObject({
      timeZone: "Europe/Berlin",
      groups: [["UA"], ["UB"]],
      shiftLength: { unit: "weeks", count: 1 },
      start: "2027-03-01T09:00",
    });
    expect(
      layerOf(shift({ frequency: "daily", duration: 2 * 86400, interval: 2, time_zone: "Asia/Tokyo" })),
    ).toMatchObject({ timeZone: "Asia/Tokyo", shiftLength: { unit: "days", count: 2 } });
    expect(layerOf(shift({ frequency: "hourly", duration: 12 * 3600, interval: 12 })).shiftLength).toEqual({
      unit: "hours",
      count: 12,
    });
  });

  it("starts the turns at start_rotation_from_user_index", () => {
    const s = shift({ rolling_users: [["UA"], ["UB"], ["UC", "UD"]], start_rotation_from_user_index: 2 });
    expect(layerOf(s).groups).toEqual([["UC", "UD"], ["UA"], ["UB"]]);
  });

  it("limits a part-day daily turn to a window every day, past midnight when it runs over", () => {
    const nights = layerOf(shift({ frequency: "daily", start: "2027-03-01T22:00:00", duration: 10 * 3600 }));
    expect(nights).toMatchObject({
      shiftLength: { unit: "days", count: 1 },
      start: "2027-03-01T22:00",
      restrictions: [{ days: [1, 2, 3, 4, 5, 6, 7], start: "22:00", end: "08:00" }],
    });
  });

  it("limits a weekly turn to its days, splitting an occurrence longer than a day", () => {
    const weekend = layerOf(
      shift({ start: "2027-03-05T18:00:00", duration: 36 * 3600, by_day: ["FR", "SA"], week_start: "MO" }),
    );
    expect(weekend.start).toBe("2027-03-05T18:00");
    expect(weekend.restrictions).toEqual([
      { days: [5, 6], start: "18:00", end: "18:00" },
      { days: [6, 7], start: "18:00", end: "06:00" },
    ]);
  });

  it("moves a start on an unselected weekday to the week's first selected day, as OnCall does", () => {
    // Wednesday start, Monday and Friday selected, weeks from Monday: OnCall starts next Monday.
    const s = shift({ start: "2027-03-03T09:00:00", duration: 8 * 3600, by_day: ["MO", "FR"] });
    expect(layerOf(s)).toMatchObject({ start: "2027-03-08T09:00" });
    // Weeks from Sunday with Friday and Sunday selected: the turn begins on Sunday.
    const sunday = shift({
      start: "2027-03-05T09:00:00",
      duration: 3600,
      by_day: ["FR", "SU"],
      week_start: "SU",
    });
    expect(layerOf(sunday).start).toBe("2027-02-28T09:00");
  });

  it("refuses what Firebreak's rotations cannot express, saying why", () => {
    expect(refusal(shift({ frequency: "monthly", duration: 86400 }))).toMatch(/monthly/);
    expect(refusal(shift({ frequency: "daily", duration: 86400, by_monthday: [1] }))).toMatch(
      /days of the month/,
    );
    expect(refusal(shift({ frequency: "daily", duration: 86400, by_day: ["MO", "TU", "WE"] }))).toMatch(
      /some weekdays only/,
    );
    expect(refusal(shift({ frequency: "weekly", interval: 2, duration: 8 * 3600 }))).toMatch(/every week/);
    expect(refusal(shift({ frequency: "hourly", duration: 1800 }))).toMatch(/hourly/);
    expect(refusal(shift({ frequency: "daily", duration: 2 * 86400 }))).toMatch(/overlap/);
    expect(refusal(shift({ start: "2027-03-01T09:00:30" }))).toMatch(/whole minutes/);
    expect(refusal(shift({ time_zone: "Mars/Olympus" }))).toMatch(/unknown time zone/);
    expect(refusal(shift({ rolling_users: [] }))).toMatch(/nobody/);
    expect(refusal(shift({ frequency: null }))).toMatch(/without a frequency/);
    expect(refusal(shift({ by_day: ["SU"], week_start: "MO", duration: 6 * 86400 + 1 }))).not.toBeNull();
    expect(
      refusal(
        shift({ start: "2027-03-01T09:00:00", by_day: ["MO", "SU"], week_start: "MO", duration: 2 * 86400 }),
      ),
    ).toMatch(/next group's turn/);
  });

  it("reads an override's wall-clock start and duration in its zone", () => {
    const o = oneOff(
      shift({ type: "override", users: ["UC"], start: "2027-03-27T22:00:00", duration: 8 * 3600 }),
      "Europe/Berlin",
    );
    // 22:00 CET to 06:00 CEST across the change: seven hours of elapsed time.
    expect(o).toMatchObject({
      users: ["UC"],
      start: new Date("2027-03-27T21:00:00Z"),
      end: new Date("2027-03-28T04:00:00Z"),
    });
  });
});

describe("OnCall's page links", () => {
  it("keeps the path from api/v1/ on and the query, whatever the host", () => {
    expect(nextRequest("https://oncall.example.com/oncall/api/v1/users/?page=2&perpage=50")).toEqual({
      path: "api/v1/users/",
      query: { page: "2", perpage: "50" },
    });
    expect(nextRequest(null)).toBeNull();
    expect(() => nextRequest("https://oncall.example.com/elsewhere/?page=2")).toThrow(SourceError);
  });
});

const HOUR = 3_600_000;
const DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;

describe("translated rotations against OnCall's rendering", () => {
  it("have the same people on call at the same instants, across clock changes", () => {
    const zones = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"];
    const arbitrary = fc.record({
      zone: fc.constantFrom(...zones),
      daily: fc.boolean(),
      groups: fc.integer({ min: 1, max: 4 }),
      days: fc.subarray([...DAYS], { minLength: 1 }),
      weekStart: fc.constantFrom(...DAYS),
      // Starting hours 04:00-23:30 and ends off the night, so no occurrence starts or ends in a
      // clock change's gap (OnCall's pytz refuses those times; Firebreak reads them past the gap).
      startHalfHours: fc.integer({ min: 8, max: 47 }),
      halfHours: fc.integer({ min: 1, max: 48 }),
      startDay: fc.integer({ min: 0, max: 60 }),
      from: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(arbitrary, (p) => {
        const endHalfHours = (p.startHalfHours + p.halfHours) % 48;
        fc.pre(endHalfHours === 0 || endHalfHours >= 8);
        const day = new Date(Date.UTC(2027, 0, 1) + p.startDay * 24 * HOUR).toISOString().slice(0, 10);
        const clock = `${String(Math.floor(p.startHalfHours / 2)).padStart(2, "0")}:${p.startHalfHours % 2 ? "30" : "00"}`;
        const users = Array.from({ length: p.groups }, (_, i) => [`U${i + 1}`]);
        const s = shift({
          time_zone: p.zone,
          start: `${day}T${clock}:00`,
          duration: p.halfHours * 1800,
          frequency: p.daily ? "daily" : "weekly",
          by_day: p.daily ? null : [...p.days],
          week_start: p.weekStart,
          rolling_users: users,
          start_rotation_from_user_index: p.from % p.groups,
        });
        const t = translateShift(s, "UTC");
        if (!t.ok) return; // refusals are covered above; the property is about what is translated
        // From a week after the start (Firebreak's first turn may begin before OnCall's first
        // occurrence) through the spring and autumn changes of every zone.
        const lo = Date.parse(`${day}T00:00:00Z`) + 8 * 24 * HOUR;
        const hi = Date.UTC(2027, 10, 15);
        const expected = finalShifts(
          renderShift(s as unknown as Record<string, unknown>, "UTC", hi),
          lo,
          hi,
        ).map((f) => `${f.user} ${new Date(f.start).toISOString()} ${new Date(f.end).toISOString()}`);
        const ids = users.map((g) => g[0]!);
        const rotation = {
          name: t.layer.name,
          timeZone: t.layer.timeZone,
          participants: t.layer.groups.map((g) => ids.indexOf(g[0]!) + 1),
          shiftLength: t.layer.shiftLength,
          start: t.layer.start,
          ...(t.layer.restrictions ? { restrictions: t.layer.restrictions } : {}),
        };
        // Firebreak gives one shift per turn; OnCall's final shifts merge a person's touching ones.
        const actual = finalShifts(
          rotationShifts(rotation, new Date(lo), new Date(hi)).map((x) => ({
            users: [ids[x.userId - 1]!],
            start: x.start.getTime(),
            end: x.end.getTime(),
            priority: 0,
          })),
          lo,
          hi,
        ).map((f) => `${f.user} ${new Date(f.start).toISOString()} ${new Date(f.end).toISOString()}`);
        expect(actual).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });
});
