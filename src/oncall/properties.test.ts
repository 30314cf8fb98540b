import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import {
  finalSchedule,
  nextHandoff,
  type Override,
  onCallAt,
  type Rotation,
  rotationShifts,
  type Schedule,
  type Shift,
} from "./model.ts";

// Zones with DST north and south, half-hour DST (Lord Howe), odd offsets, and none at all.
const zones = [
  "UTC",
  "America/New_York",
  "Europe/Berlin",
  "Australia/Sydney",
  "Australia/Lord_Howe",
  "America/Sao_Paulo",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Pacific/Chatham",
];
const H = 3_600_000;
const pad = (n: number) => String(n).padStart(2, "0");

/** A local start in 2025–2027; minutes 0/30 and early hours make gap and overlap starts likely. */
const localStart = fc
  .record({
    year: fc.integer({ min: 2025, max: 2027 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 23 })),
    minute: fc.constantFrom(0, 30, 45),
  })
  .map(
    ({ year, month, day, hour, minute }) => `${year}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}`,
  );

const shiftLength = fc.oneof(
  fc.record({ unit: fc.constant("hours" as const), count: fc.integer({ min: 1, max: 36 }) }),
  fc.record({ unit: fc.constant("days" as const), count: fc.integer({ min: 1, max: 10 }) }),
  fc.record({ unit: fc.constant("weeks" as const), count: fc.integer({ min: 1, max: 3 }) }),
);

const clock = fc
  .record({ h: fc.integer({ min: 0, max: 23 }), m: fc.constantFrom(0, 30) })
  .map(({ h, m }) => `${pad(h)}:${pad(m)}`);
const restriction = fc.record({
  days: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
  start: clock,
  end: clock,
});

const rotation = (restrictions: fc.Arbitrary<Rotation["restrictions"]>) =>
  fc.record({
    name: fc.constant("r"),
    timeZone: fc.constantFrom(...zones),
    participants: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }),
    shiftLength,
    start: localStart,
    restrictions,
  });
const plainRotation = rotation(fc.constant(undefined)).map(({ restrictions: _, ...r }): Rotation => r);
const anyRotation = rotation(
  fc.option(fc.array(restriction, { minLength: 1, maxLength: 2 }), { nil: undefined }),
);

/** A window starting after the rotation's start (wall time + 15 h is past it in every zone). */
const windowAfter = (start: string) =>
  fc
    .record({
      delay: fc.integer({ min: 15 * H, max: 400 * 24 * H }),
      length: fc.integer({ min: 1, max: 40 * 24 * H }),
    })
    .map(({ delay, length }) => {
      const from = new Date(`${start}Z`).getTime() + delay;
      return { from: new Date(from), to: new Date(from + length) };
    });

const ms = (d: Date) => d.getTime();

describe("PAGE-7 rotation properties", () => {
  it("PAGE-7: without restrictions, shifts tile any window after the start with no gap and no overlap", () => {
    fc.assert(
      fc.property(
        plainRotation.chain((r) => fc.tuple(fc.constant(r), windowAfter(r.start))),
        ([r, { from, to }]) => {
          const shifts = rotationShifts(r, from, to);
          expect(shifts[0]?.start).toEqual(from);
          expect(shifts.at(-1)?.end).toEqual(to);
          for (const [i, s] of shifts.entries()) {
            expect(ms(s.start)).toBeLessThan(ms(s.end));
            if (i > 0) expect(s.start).toEqual(shifts[i - 1]?.end);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("PAGE-7: each shift's person follows the participant order, and day/week hand-offs sit on the start's local time", () => {
    fc.assert(
      fc.property(
        plainRotation.chain((r) => fc.tuple(fc.constant(r), windowAfter(r.start))),
        ([r, { from, to }]) => {
          const shifts = rotationShifts(r, from, to);
          const n = r.participants.length;
          const firstTurn = [...Array(n).keys()].filter((k) =>
            shifts.every((s, i) => s.userId === r.participants[(k + i) % n]),
          );
          expect(firstTurn.length).toBeGreaterThan(0);
          const start = DateTime.fromISO(r.start, { zone: "UTC" });
          for (const s of shifts.slice(1)) {
            // Independently of the code under test: luxon's view of the hand-off's local date and time.
            const local = DateTime.fromJSDate(s.start, { zone: r.timeZone });
            if (r.shiftLength.unit === "hours") continue;
            const step = r.shiftLength.count * (r.shiftLength.unit === "weeks" ? 7 : 1);
            const days = DateTime.utc(local.year, local.month, local.day).diff(
              start.startOf("day"),
              "days",
            ).days;
            expect(Math.round(days) % step).toBe(0);
            expect(s.userId).toBe(r.participants[(Math.round(days) / step) % n]);
            const wanted = DateTime.fromObject(
              {
                year: local.year,
                month: local.month,
                day: local.day,
                hour: start.hour,
                minute: start.minute,
              },
              { zone: r.timeZone },
            );
            // Equal, unless the wanted time falls in a gap on that day (then later by the gap).
            if (wanted.hour === start.hour && wanted.minute === start.minute) {
              expect(local.toFormat("HH:mm")).toBe(start.toFormat("HH:mm"));
            } else {
              expect(ms(s.start)).toBe(wanted.toMillis());
            }
          }
          for (const s of shifts.slice(1, -1)) {
            const length = ms(s.end) - ms(s.start);
            if (r.shiftLength.unit === "hours") expect(length).toBe(r.shiftLength.count * H);
            else
              expect(
                Math.abs(length - r.shiftLength.count * (r.shiftLength.unit === "weeks" ? 7 : 1) * 24 * H),
              ).toBeLessThanOrEqual(H);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("PAGE-7: a shift never depends on the window it was asked for", () => {
    fc.assert(
      fc.property(
        anyRotation.chain((r) =>
          fc.tuple(fc.constant(r), windowAfter(r.start), fc.double({ min: 0, max: 1, noNaN: true })),
        ),
        ([r, { from, to }, cut]) => {
          const mid = new Date(ms(from) + Math.floor((ms(to) - ms(from)) * cut));
          const whole = rotationShifts(r, from, to);
          const halves = [...rotationShifts(r, from, mid), ...rotationShifts(r, mid, to)];
          // Splitting the window may only split one shift at `mid`.
          const join = (list: Shift[]) =>
            list.reduce<Shift[]>((out, s) => {
              const last = out.at(-1);
              if (last && ms(last.end) === ms(mid) && ms(s.start) === ms(mid) && last.userId === s.userId) {
                out[out.length - 1] = { ...last, end: s.end };
              } else out.push(s);
              return out;
            }, []);
          expect(join(halves)).toEqual(join(whole));
        },
      ),
      { numRuns: 200 },
    );
  });
});

const override = (from: number, to: number) =>
  fc
    .record({
      userId: fc.integer({ min: 20, max: 23 }),
      at: fc.integer({ min: from - 24 * H, max: to }),
      length: fc.integer({ min: 1, max: 3 * 24 * H }),
    })
    .map(({ userId, at, length }): Override => ({ userId, start: new Date(at), end: new Date(at + length) }));

/** A schedule of 1–3 layers and a window of up to three weeks in 2026, with overrides around it. */
const scheduleAndWindow = fc
  .record({
    from: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 31) }),
    length: fc.integer({ min: H, max: 21 * 24 * H }),
  })
  .chain(({ from, length }) =>
    fc.record({
      schedule: fc.record({
        name: fc.constant("s"),
        timeZone: fc.constant("UTC"),
        layers: fc.array(anyRotation, { minLength: 1, maxLength: 3 }),
        overrides: fc.array(override(from, from + length), { maxLength: 4 }),
      }),
      from: fc.constant(new Date(from)),
      to: fc.constant(new Date(from + length)),
      probes: fc.array(fc.integer({ min: from, max: from + length - 1 }), { minLength: 1, maxLength: 10 }),
    }),
  );

/** The rules written the slow way: the latest override at t, else the highest layer with someone at t. */
function expectedAt(s: Schedule, t: number): number[] {
  const overriding = s.overrides.filter((o) => ms(o.start) <= t && t < ms(o.end)).at(-1);
  if (overriding) return [overriding.userId];
  for (const [i, layer] of [...s.layers.entries()].reverse()) {
    const [shift] = rotationShifts(layer, new Date(t), new Date(t + 1), i);
    if (shift) return [shift.userId];
  }
  return [];
}

describe("PAGE-7 schedule properties", () => {
  it("PAGE-7: final shifts are sorted, never overlap, lie in the window and agree with onCallAt and the rules", () => {
    fc.assert(
      fc.property(scheduleAndWindow, ({ schedule, from, to, probes }) => {
        const shifts = finalSchedule(schedule, from, to);
        for (const [i, s] of shifts.entries()) {
          expect(ms(s.start)).toBeLessThan(ms(s.end));
          expect(ms(s.start)).toBeGreaterThanOrEqual(ms(from));
          expect(ms(s.end)).toBeLessThanOrEqual(ms(to));
          if (i > 0) expect(ms(s.start)).toBeGreaterThanOrEqual(ms(shifts[i - 1]!.end));
        }
        for (const t of probes) {
          const piece = shifts.find((s) => ms(s.start) <= t && t < ms(s.end));
          const now = onCallAt(schedule, new Date(t));
          expect(now).toEqual(piece ? [piece.userId] : []);
          expect(now).toEqual(expectedAt(schedule, t));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("PAGE-7: inside an override's window its person is on call, whatever the layers say", () => {
    fc.assert(
      fc.property(
        scheduleAndWindow,
        fc.double({ min: 0, max: 1, noNaN: true }),
        ({ schedule, from, to }, where) => {
          const last = schedule.overrides.length - 1;
          const o = schedule.overrides[last];
          if (!o) return;
          const t = Math.floor(ms(o.start) + (ms(o.end) - ms(o.start)) * where);
          if (t >= ms(o.end) || t < ms(from) || t >= ms(to)) return;
          expect(onCallAt(schedule, new Date(t))).toEqual([o.userId]);
          const piece = finalSchedule(schedule, from, to).find((s) => ms(s.start) <= t && t < ms(s.end));
          expect(piece?.source).toEqual({ kind: "override", index: last });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("PAGE-7: until the next hand-off the same person (or nobody) is on call, and then that changes", () => {
    fc.assert(
      fc.property(scheduleAndWindow, ({ schedule, probes }) => {
        const at = new Date(probes[0]!);
        const next = nextHandoff(schedule, at, 60);
        const who = onCallAt(schedule, at);
        if (next === null) {
          const ahead = finalSchedule(schedule, at, new Date(ms(at) + 60 * 24 * H));
          expect(ahead.every((s) => s.userId === who[0])).toBe(true);
          return;
        }
        expect(ms(next)).toBeGreaterThan(ms(at));
        expect(onCallAt(schedule, next)).not.toEqual(who);
        // [at, next) is one unbroken stretch of the same person, or wholly a gap.
        const before = finalSchedule(schedule, at, next);
        if (who.length === 0) expect(before).toEqual([]);
        else {
          expect(before.every((s) => s.userId === who[0])).toBe(true);
          expect(before[0]?.start).toEqual(at);
          expect(before.at(-1)?.end).toEqual(next);
          for (const [i, s] of before.entries()) if (i > 0) expect(s.start).toEqual(before[i - 1]?.end);
        }
      }),
      { numRuns: 150 },
    );
  });
});
