/**
 * Opsgenie rotations as Firebreak layers: restrictions and gap turns (participant type none) as
 * weekly windows, what cannot be written that way, and the windows themselves checked by
 * fast-check against an independent reading of Firebreak's restriction semantics.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RotationDoc } from "../../src/config/document.ts";
import type { OgParticipant, OgRotation } from "../../src/importers/opsgenie-api.ts";
import {
  maskToRestrictions,
  restrictionMask,
  translateRotation,
} from "../../src/importers/opsgenie-rotation.ts";

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
