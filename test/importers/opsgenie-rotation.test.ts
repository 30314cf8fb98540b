/**
 * Opsgenie rotations as Firebreak layers: restrictions and gap turns (participant type none) as
 * weekly windows, what cannot be written that way; the windows checked by fast-check against an
 * independent reading of Firebreak's restriction semantics, and random rotations checked against
 * Opsgenie's rules read directly, half hour by half hour, with the on-call core's final schedule.
 */
import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import type { RotationDoc } from "../../src/config/document.ts";
import type { OgParticipant, OgRotation } from "../../src/importers/opsgenie-api.ts";
import {
  maskToRestrictions,
  restrictionMask,
  translateRotation,
} from "../../src/importers/opsgenie-rotation.ts";
import { finalSchedule } from "../../src/oncall/model.ts";

const WEEK = 7 * 1440;
const from = new Date("2027-03-08T00:00:00Z");
const person = (p: OgParticipant) =>
  p.type === "user" && p.username
    ? { ref: p.username }
    : { reason: `${p.type} ${p.name ?? p.id} is not a person` };
const u = (username: string): OgParticipant => ({ type: "user", username });
const none: OgParticipant = { type: "none" };
const rotation = (r: Partial<OgRotation>): OgRotation => ({
  id: "r1",
  name: "Primary",
  startDate: "2027-01-04T09:00:00Z",
  type: "daily",
  length: 1,
  participants: [u("a@example.com")],
  ...r,
});

/** Firebreak's reading of restrictions: a window starts on its days at `start` and lasts until `end` (next day when end <= start). */
function paintRestrictions(rs: NonNullable<RotationDoc["restrictions"]>): boolean[] {
  const mask = new Array<boolean>(WEEK).fill(false);
  const min = (c: string) => Number(c.slice(0, 2)) * 60 + Number(c.slice(3));
  for (const r of rs) {
    for (const d of r.days) {
      const s = (d - 1) * 1440 + min(r.start);
      let e = (d - 1) * 1440 + min(r.end);
      if (e <= s) e += 1440;
      for (let m = s; m < e; m++) mask[m % WEEK] = true;
    }
  }
  return mask;
}

describe("restriction windows", () => {
  it("writes any week of half-hour windows so that Firebreak reads back the same week", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 336, maxLength: 336 }), (halfHours) => {
        const mask = halfHours.flatMap((on) => new Array<boolean>(30).fill(on));
        const rs = maskToRestrictions(mask);
        if (halfHours.every(Boolean)) return expect(rs).toBeUndefined();
        expect(paintRestrictions(rs ?? [])).toEqual(mask);
        for (const r of rs ?? []) expect(r.days.length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it("reads time-of-day across midnight and weekday-and-time-of-day across the week's end", () => {
    const night = restrictionMask({
      type: "time-of-day",
      restriction: { startHour: 22, startMin: 0, endHour: 6, endMin: 30 },
    });
    expect(maskToRestrictions(night.mask!)).toEqual([
      { days: [1, 2, 3, 4, 5, 6, 7], start: "22:00", end: "06:30" },
    ]);
    const weekend = restrictionMask({
      type: "weekday-and-time-of-day",
      restrictions: [
        { startDay: "saturday", startHour: 20, startMin: 0, endDay: "monday", endHour: 8, endMin: 0 },
      ],
    });
    expect(maskToRestrictions(weekend.mask!)).toEqual([
      { days: [6], start: "20:00", end: "20:00" },
      { days: [7], start: "20:00", end: "08:00" },
    ]);
    expect(
      restrictionMask({
        type: "weekday-and-time-of-day",
        restrictions: [{ startDay: "funday", startHour: 1, startMin: 0, endHour: 2, endMin: 0 }],
      }).problem,
    ).toMatch(/not weekdays/);
  });
});

describe("translateRotation", () => {
  it("keeps type, length and the start's wall-clock time in the schedule's zone", () => {
    const t = translateRotation(
      rotation({ type: "weekly", length: 2, participants: [u("a@example.com"), u("b@example.com")] }),
      "Asia/Tokyo",
      person,
      from,
    );
    expect(t).toEqual({
      layer: {
        name: "Primary",
        timeZone: "Asia/Tokyo",
        participants: ["a@example.com", "b@example.com"],
        shiftLength: { unit: "weeks", count: 2 },
        start: "2027-01-04T18:00",
      },
      notes: [],
    });
  });

  it("turns gaps that repeat weekly into windows (five weekdays on, the weekend off)", () => {
    const t = translateRotation(
      rotation({
        startDate: "2027-01-04T08:00:00Z", // Monday 09:00 in Berlin
        participants: [
          u("a@example.com"),
          u("b@example.com"),
          u("a@example.com"),
          u("b@example.com"),
          u("a@example.com"),
          none,
          none,
        ],
      }),
      "Europe/Berlin",
      person,
      from,
    );
    expect(t.notes).toEqual([]);
    expect(t.layer?.restrictions).toEqual([{ days: [1, 2, 3, 4, 5], start: "09:00", end: "09:00" }]);
    expect(t.layer?.participants).toHaveLength(7);
  });

  it("says so when gaps do not fall on the same hours every week, and lets the person before cover them", () => {
    const t = translateRotation(
      rotation({ participants: [u("a@example.com"), none, u("b@example.com")] }),
      "Europe/Berlin",
      person,
      from,
    );
    expect(t.layer?.participants).toEqual(["a@example.com", "a@example.com", "b@example.com"]);
    expect(t.notes).toEqual([expect.stringMatching(/do not fall on the same hours every week/)]);
  });

  it("maps hourly gaps in a zone without clock changes, and reports them in one with", () => {
    const hourly = rotation({
      type: "hourly",
      length: 12,
      startDate: "2027-01-04T08:00:00Z",
      participants: [u("a@example.com"), none],
    });
    const tokyo = translateRotation(hourly, "Asia/Tokyo", person, from);
    expect(tokyo.notes).toEqual([]);
    expect(tokyo.layer?.restrictions).toEqual([
      { days: [1, 2, 3, 4, 5, 6, 7], start: "17:00", end: "05:00" },
    ]);
    const berlin = translateRotation(hourly, "Europe/Berlin", person, from);
    expect(berlin.notes).toEqual([
      expect.stringMatching(/elapsed hours and Europe\/Berlin changes its clocks/),
    ]);
  });

  it("treats a team's turns as gaps and says why", () => {
    const t = translateRotation(
      rotation({ participants: [u("a@example.com"), { type: "team", name: "Ops" }] }),
      "UTC",
      person,
      from,
    );
    expect(t.notes[0]).toMatch(/team Ops is not a person; its turns are left without anyone on call/);
  });

  it("leaves out a rotation that has ended, notes one that will end, and refuses one with nobody in it", () => {
    expect(translateRotation(rotation({ endDate: "2027-03-01T00:00:00Z" }), "UTC", person, from)).toEqual({
      layer: null,
      notes: [expect.stringMatching(/^ended 2027-03-01/)],
    });
    const ending = translateRotation(rotation({ endDate: "2027-06-01T00:00:00Z" }), "UTC", person, from);
    expect(ending.layer).not.toBeNull();
    expect(ending.notes).toEqual([expect.stringMatching(/Firebreak rotations do not end/)]);
    expect(translateRotation(rotation({ participants: [none] }), "UTC", person, from).layer).toBeNull();
    expect(translateRotation(rotation({ type: "monthly" }), "UTC", person, from).notes[0]).toMatch(
      /not hourly, daily or weekly/,
    );
  });
});

/** Opsgenie's rules read directly: who a rotation has on call at each half hour of [from, until). */
function opsgenieHalfHours(r: OgRotation, zone: string, from: number, until: number): (string | null)[] {
  const start = DateTime.fromISO(r.startDate).setZone(zone);
  const unit = ({ hourly: "hours", daily: "days", weekly: "weeks" } as const)[r.type as "daily"];
  const handOff = (k: number) => start.plus({ [unit]: k * r.length }).toMillis();
  const mask = restrictionWindowsOf(r);
  const out: (string | null)[] = [];
  let k = 0;
  for (let t = from; t < until; t += HALF_HOUR) {
    if (t < start.toMillis()) {
      out.push(null);
      continue;
    }
    while (handOff(k + 1) <= t) k++;
    const p = r.participants[k % r.participants.length]!;
    const local = DateTime.fromMillis(t, { zone });
    const minuteOfWeek = (local.weekday - 1) * 1440 + local.hour * 60 + local.minute;
    out.push(p.type === "user" && (mask === null || mask(minuteOfWeek)) ? p.username! : null);
  }
  return out;
}

/** The restriction as a predicate on the local minute of the week, read from Opsgenie's fields. */
function restrictionWindowsOf(r: OgRotation): ((minuteOfWeek: number) => boolean) | null {
  const tr = r.timeRestriction;
  if (!tr) return null;
  // An end at or before the start runs past midnight (or the week's end); equal is the whole span.
  const within = (m: number, s: number, e: number) => (s < e ? m >= s && m < e : m >= s || m < e);
  if (tr.type === "time-of-day") {
    const x = tr.restriction!;
    return (m) => within(m % 1440, x.startHour * 60 + x.startMin, x.endHour * 60 + x.endMin);
  }
  const days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
  return (m) =>
    (tr.restrictions ?? []).some((x) =>
      within(
        m,
        days.indexOf(x.startDay!) * 1440 + x.startHour * 60 + x.startMin,
        days.indexOf(x.endDay!) * 1440 + x.endHour * 60 + x.endMin,
      ),
    );
}

const HALF_HOUR = 30 * 60_000;

describe("a translated rotation has Opsgenie's people on call", () => {
  const people = ["a@example.com", "b@example.com", "c@example.com"];
  const participantArb = fc.oneof(
    {
      arbitrary: fc.constantFrom(...people).map((username): OgParticipant => ({ type: "user", username })),
      weight: 4,
    },
    { arbitrary: fc.constant(none), weight: 1 },
  );
  // Not in the hour the clocks skip (02:00–03:00 in Berlin and New York in March): a window edge
  // that does not exist that night is read differently by each side, which the import's check shows.
  const timeArb = fc.record({
    hour: fc.integer({ min: 0, max: 22 }).map((h) => (h >= 2 ? h + 1 : h)),
    half: fc.boolean(),
  });
  const restrictionArb = fc.oneof(
    fc.constant(undefined),
    fc.tuple(timeArb, timeArb).map(([s, e]) => ({
      type: "time-of-day",
      restriction: { startHour: s.hour, startMin: s.half ? 30 : 0, endHour: e.hour, endMin: e.half ? 30 : 0 },
    })),
    fc
      .array(fc.tuple(fc.integer({ min: 0, max: 6 }), timeArb, fc.integer({ min: 0, max: 6 }), timeArb), {
        minLength: 1,
        maxLength: 3,
      })
      .map((rs) => ({
        type: "weekday-and-time-of-day",
        restrictions: rs.map(([sd, s, ed, e]) => ({
          startDay: ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"][sd],
          startHour: s.hour,
          startMin: s.half ? 30 : 0,
          endDay: ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"][ed],
          endHour: e.hour,
          endMin: e.half ? 30 : 0,
        })),
      })),
  );
  const rotationArb = fc.record({
    type: fc.constantFrom("hourly", "daily", "weekly"),
    length: fc.integer({ min: 1, max: 3 }),
    hourlyLength: fc.constantFrom(4, 6, 8, 12, 24),
    participants: fc.array(participantArb, { minLength: 1, maxLength: 8 }),
    // within the two weeks before the checked span, on the hour or half hour
    startHalfHours: fc.integer({ min: 0, max: 14 * 48 }),
    restriction: restrictionArb,
    zone: fc.constantFrom("UTC", "Asia/Tokyo", "Europe/Berlin", "America/New_York"),
  });

  it("at every half hour of 4 weeks across DST changes, whenever nothing is listed as not carried over", () => {
    const from = Date.parse("2027-03-08T00:00:00Z");
    const until = from + 28 * 86_400_000;
    let compared = 0;
    fc.assert(
      fc.property(rotationArb, (g) => {
        const r = rotation({
          type: g.type,
          length: g.type === "hourly" ? g.hourlyLength : g.length,
          participants: g.participants,
          startDate: new Date(from - 14 * 86_400_000 + g.startHalfHours * HALF_HOUR).toISOString(),
          timeRestriction: g.restriction as OgRotation["timeRestriction"],
        });
        const t = translateRotation(r, g.zone, person, new Date(from));
        if (t.notes.length > 0) return; // listed as not carried over: the check shows the rest
        const expected = opsgenieHalfHours(r, g.zone, from, until);
        if (!t.layer) return expect(expected.every((x) => x === null)).toBe(true);
        const shifts = finalSchedule(
          {
            name: "s",
            timeZone: g.zone,
            layers: [{ ...t.layer, participants: t.layer.participants.map((p) => people.indexOf(p) + 1) }],
            overrides: [],
          },
          new Date(from),
          new Date(until),
        );
        const actual = expected.map((_, i) => {
          const at = from + i * HALF_HOUR;
          const s = shifts.find((x) => x.start.getTime() <= at && at < x.end.getTime());
          return s ? people[s.userId - 1]! : null;
        });
        expect(actual).toEqual(expected);
        compared++;
      }),
      { numRuns: 120 },
    );
    expect(compared).toBeGreaterThan(25);
  });
});
