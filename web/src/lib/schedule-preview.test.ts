import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { finalSchedule } from "../../../src/oncall/schedule.ts";
import {
  bodyOf,
  type Draft,
  type DraftLayer,
  type DraftRestriction,
  draftOf,
  draftProblems,
  formField,
  handoffCount,
  instantIn,
  localIn,
  moveItem,
  newDraft,
  previewOf,
  previewWeeks,
  problemsByField,
  weekSegment,
  whoAt,
} from "./schedule-preview.ts";

const HOUR = 3_600_000;
const layer = (over: Partial<DraftLayer> = {}): DraftLayer => ({
  name: "primary",
  timeZone: "Europe/Berlin",
  participants: [1, 2, 3],
  unit: "weeks",
  count: "1",
  start: "2026-03-02T09:00",
  restrictions: [],
  ...over,
});
const draft = (layers: DraftLayer[] = [layer()]): Draft => ({
  name: "Payments",
  timeZone: "Europe/Berlin",
  teamId: null,
  layers,
});
const at = (iso: string) => Date.parse(iso);

describe("the schedule preview", () => {
  it("shows a weekly rotation of three, handing off Mondays at 09:00 Berlin time", () => {
    const p = previewOf(draft(), [], at("2026-03-02T00:00:00Z"), at("2026-03-30T00:00:00Z"));
    expect(p.problems).toEqual([]);
    expect(p.shifts.map((s) => [s.userId, s.start.toISOString()])).toEqual([
      [1, "2026-03-02T08:00:00.000Z"],
      [2, "2026-03-09T08:00:00.000Z"],
      [3, "2026-03-16T08:00:00.000Z"],
      // Berlin is on summer time from 29 March: 09:00 is 07:00Z from then on, and 23 March is before.
      [1, "2026-03-23T08:00:00.000Z"],
    ]);
  });

  it("changes with the participants' order before anything is saved", () => {
    const before = whoAt(draft(), [], at("2026-03-03T12:00:00Z"));
    const moved = draft([layer({ participants: moveItem([1, 2, 3], 2, 0) })]);
    expect(before).toEqual([1]);
    expect(whoAt(moved, [], at("2026-03-03T12:00:00Z"))).toEqual([3]);
  });

  it("applies restrictions and the saved overrides on top", () => {
    const d = draft([layer({ restrictions: [{ days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" }] })]);
    expect(whoAt(d, [], at("2026-03-03T12:00:00Z"))).toEqual([1]);
    expect(whoAt(d, [], at("2026-03-03T20:00:00Z"))).toEqual([]);
    const cover = [
      { userId: 9, start: new Date("2026-03-03T11:00:00Z"), end: new Date("2026-03-03T13:00:00Z") },
    ];
    expect(whoAt(d, cover, at("2026-03-03T12:00:00Z"))).toEqual([9]);
  });

  it("says what is wrong instead of a preview, with the server's fields and messages", () => {
    const bad = draft([layer({ timeZone: "Mars/Olympus", count: "", participants: [] })]);
    const p = previewOf(bad, [], 0, DAY7);
    expect(p.shifts).toEqual([]);
    expect(problemsByField(p.problems)).toMatchObject({
      "layers[0].timeZone": expect.stringMatching(/unknown time zone "Mars\/Olympus"/),
      "layers[0].participants": "expected at least one participant (a user id)",
      "layers[0].shiftLength.count": "expected a whole number from 1 to 10000",
    });
    expect(whoAt(bad, [], 0)).toBeNull();
    expect(draftProblems({ ...draft(), name: " " })).toEqual([
      { field: "name", message: "expected a non-empty name" },
    ]);
  });

  it("sorts the API's field paths to the form's fields", () => {
    expect(formField("layers[0].participants[2]")).toBe("layers[0].participants");
    expect(formField("layers[1].restrictions[0].days[3]")).toBe("layers[1].restrictions[0].days");
    expect(formField("layers[1].restrictions[0].start")).toBe("layers[1].restrictions[0].start");
    expect(
      problemsByField([
        { field: "name", message: "a" },
        { field: "name", message: "b" },
      ]),
    ).toEqual({ name: "a; b" });
  });

  it("round-trips a saved schedule through the form", () => {
    const body = bodyOf(draft([layer({ restrictions: [{ days: [5, 1], start: "22:00", end: "06:00" }] })]));
    expect(body.layers[0]?.restrictions).toEqual([{ days: [1, 5], start: "22:00", end: "06:00" }]);
    expect(bodyOf(draftOf({ ...body, teamId: 4 }))).toEqual({ ...body, teamId: 4 });
    expect(newDraft("UTC", at("2026-03-04T10:00:00Z")).layers[0]?.start).toBe("2026-03-02T09:00");
  });

  it("cuts weeks at Monday midnight in the schedule's zone, 167 hours across spring-forward", () => {
    const weeks = previewWeeks("Europe/Berlin", at("2026-03-25T12:00:00Z"), 2);
    expect(weeks.map((w) => new Date(w.start).toISOString())).toEqual([
      "2026-03-22T23:00:00.000Z",
      "2026-03-29T22:00:00.000Z",
    ]);
    expect(((weeks[0]?.end ?? 0) - (weeks[0]?.start ?? 0)) / HOUR).toBe(167);
    expect(weekSegment({ start: new Date(0), end: new Date(1) }, { start: 5, end: 10 })).toBeNull();
    expect(weekSegment({ start: new Date(0), end: new Date(8) }, { start: 5, end: 10 })).toEqual({
      left: 0,
      width: 0.6,
    });
  });

  it("reads a chosen local time in the schedule's zone", () => {
    expect(instantIn("Europe/Berlin", "2026-03-03T13:00")).toBe(at("2026-03-03T12:00:00Z"));
    expect(instantIn("Nowhere/Else", "2026-03-03T13:00")).toBeNull();
    expect(localIn("Europe/Berlin", at("2026-03-03T12:00:00Z"))).toBe("2026-03-03T13:00");
  });
});

const DAY7 = 7 * 24 * HOUR;

describe("the schedule preview (properties)", () => {
  const zones = fc.constantFrom(
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
  );
  const arbLayer = fc.record({
    name: fc.constant("layer"),
    timeZone: zones,
    participants: fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 10 }),
    unit: fc.constantFrom("hours" as const, "days" as const, "weeks" as const),
    count: fc.integer({ min: 1, max: 14 }).map(String),
    start: fc
      .date({
        min: new Date("2025-06-01T00:00:00Z"),
        max: new Date("2027-06-01T00:00:00Z"),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString().slice(0, 16)),
    restrictions: fc.oneof(
      fc.constant(null).map((): DraftRestriction[] => []),
      fc.array(
        fc.record({
          days: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
          start: fc.constantFrom("00:00", "09:00", "17:30", "22:00"),
          end: fc.constantFrom("00:00", "06:00", "17:00", "23:59"),
        }),
        { minLength: 1, maxLength: 2 },
      ),
    ),
  });
  const arbDraft = fc.record({
    name: fc.constant("s"),
    timeZone: zones,
    teamId: fc.constant(null),
    layers: fc.array(arbLayer, { minLength: 1, maxLength: 3 }),
  });
  const from = at("2026-01-01T00:00:00Z");

  it("is the server's final schedule, and who is on call at any instant is the shift covering it", () => {
    fc.assert(
      // Instants inside the previewed window: at its very end the preview's shifts are cut off.
      fc.property(arbDraft, fc.integer({ min: 0, max: 28 * 24 * 60 - 1 }), (d, minute) => {
        const to = from + 4 * DAY7;
        const p = previewOf(d, [], from, to);
        expect(p.problems).toEqual([]);
        expect(p.shifts).toEqual(
          finalSchedule({ ...bodyOf(d), overrides: [] }, new Date(from), new Date(to)),
        );
        const t = from + minute * 60_000;
        const covering = p.shifts
          .filter((s) => s.start.getTime() <= t && t < s.end.getTime())
          .map((s) => s.userId);
        expect(whoAt(d, [], t)).toEqual(covering);
        for (let i = 1; i < p.shifts.length; i++) {
          expect(p.shifts[i]!.start.getTime()).toBeGreaterThanOrEqual(p.shifts[i - 1]!.end.getTime());
        }
        expect(handoffCount(p.shifts)).toBeLessThanOrEqual(Math.max(0, p.shifts.length - 1));
      }),
      { numRuns: 150 },
    );
  });

  it("moving a participant keeps everyone, once each, and lands them where asked", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 12 }),
        fc.nat(15),
        fc.integer({ min: -3, max: 15 }),
        (list, from, to) => {
          const moved = moveItem(list, from, to);
          expect([...moved].sort()).toEqual([...list].sort());
          if (from < list.length) expect(moved[Math.max(0, Math.min(list.length - 1, to))]).toBe(list[from]);
        },
      ),
    );
  });
});
