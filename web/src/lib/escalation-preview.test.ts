import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  escalationSteps,
  offsetLabel,
  onCallFromShifts,
  type PreviewPolicy,
  previewWindow,
  stepTimeLabel,
} from "./escalation-preview.ts";

const savedTz = process.env.TZ;
process.env.TZ = "Europe/Berlin";
afterAll(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

const start = new Date("2026-03-02T09:00:00Z"); // 10:00 in Berlin
const iso = (d: Date) => d.toISOString();
// Schedule 7: Alice (1) until 09:10Z, then Bob (2).
const shifts = [
  { userId: 1, start: "2026-03-02T00:00:00Z", end: "2026-03-02T09:10:00Z" },
  { userId: 2, start: "2026-03-02T09:10:00Z", end: "2026-03-03T00:00:00Z" },
];
const onCall = (scheduleId: number, at: Date) => (scheduleId === 7 ? onCallFromShifts(shifts, at) : null);

describe("who is notified when", () => {
  it("notifies level 1 at once and each next level its predecessor's timeout later", () => {
    const policy = {
      levels: [
        { timeoutMinutes: 15, targets: [{ kind: "schedule" as const, id: 7 }] },
        { timeoutMinutes: 10, targets: [{ kind: "user" as const, id: 3 }] },
      ],
      repeat: 0,
    };
    const steps = escalationSteps(policy, start, onCall);
    expect(steps.map((s) => [iso(s.at), s.level, s.round, s.userIds])).toEqual([
      ["2026-03-02T09:00:00.000Z", 0, 0, [1]],
      ["2026-03-02T09:15:00.000Z", 1, 0, [3]],
    ]);
    expect(steps.map((s) => stepTimeLabel(s.at, start, "en-GB"))).toEqual(["10:00", "10:15"]);
  });

  it("resolves a schedule to whoever is on call at that step, and runs again on repeat", () => {
    const policy = {
      levels: [
        { timeoutMinutes: 5, targets: [{ kind: "schedule" as const, id: 7 }] },
        {
          timeoutMinutes: 5,
          targets: [
            { kind: "user" as const, id: 2 },
            { kind: "schedule" as const, id: 7 },
          ],
        },
      ],
      repeat: 1,
    };
    const steps = escalationSteps(policy, start, onCall);
    expect(steps.map((s) => [s.minutesIn, s.level, s.round, s.userIds])).toEqual([
      [0, 0, 0, [1]],
      [5, 1, 0, [2, 1]],
      [10, 0, 1, [2]], // Bob took over at 09:10Z
      [15, 1, 1, [2]], // named twice, notified once
    ]);
  });

  it("says when a schedule's shifts are not known", () => {
    const steps = escalationSteps(
      { levels: [{ timeoutMinutes: 5, targets: [{ kind: "schedule", id: 99 }] }], repeat: 0 },
      start,
      onCall,
    );
    expect(steps[0]?.incomplete).toBe(true);
    expect(steps[0]?.targets[0]?.userIds).toBeNull();
  });

  it("asks for whole days of shifts, covering the last step, at most 366 days", () => {
    const one = { levels: [{ timeoutMinutes: 30, targets: [] }], repeat: 2 };
    expect(previewWindow(one, start).until.getTime() - start.getTime()).toBe(86_400_000);
    const long = { levels: [{ timeoutMinutes: 1440, targets: [] }], repeat: 2 };
    expect(previewWindow(long, start).until.getTime() - start.getTime()).toBe(4 * 86_400_000);
    const huge = { levels: [{ timeoutMinutes: 1e9, targets: [] }], repeat: 9 };
    expect(previewWindow(huge, start).until.getTime() - start.getTime()).toBe(366 * 86_400_000);
  });

  it("labels offsets and times on other days", () => {
    expect(offsetLabel(0)).toBe("T+0");
    expect(offsetLabel(15)).toBe("T+15 min");
    expect(offsetLabel(125)).toBe("T+2 h 5 min");
    expect(offsetLabel(1500)).toBe("T+1 d 1 h");
    expect(stepTimeLabel(new Date("2026-03-03T09:30:00Z"), start, "en-GB")).toBe("Tue 3 Mar, 10:30");
  });
});

const target = fc.oneof(
  fc.record({ kind: fc.constant("user" as const), id: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant("schedule" as const), id: fc.integer({ min: 1, max: 5 }) }),
);
const policyArb: fc.Arbitrary<PreviewPolicy> = fc.record({
  levels: fc.array(
    fc.record({
      timeoutMinutes: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.constant(0), fc.constant(Number.NaN)),
      targets: fc.array(target, { maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 20 },
  ),
  repeat: fc.integer({ min: 0, max: 9 }),
});
const shiftsArb = fc.array(
  fc.record({
    userId: fc.integer({ min: 1, max: 20 }),
    from: fc.nat(5000),
    length: fc.integer({ min: 1, max: 900 }),
  }),
  { maxLength: 10 },
);

describe("who is notified when, for any policy", () => {
  it("steps are in time order from the start, each level appears repeat + 1 times", () => {
    fc.assert(
      fc.property(policyArb, shiftsArb, (policy, raw) => {
        const shifts = raw.map((s) => ({
          userId: s.userId,
          start: new Date(start.getTime() + s.from * 60_000).toISOString(),
          end: new Date(start.getTime() + (s.from + s.length) * 60_000).toISOString(),
        }));
        const steps = escalationSteps(policy, start, (_, at) => onCallFromShifts(shifts, at));
        expect(steps).toHaveLength(policy.levels.length * (policy.repeat + 1));
        expect(steps[0]?.at).toEqual(start);
        for (let i = 1; i < steps.length; i++) {
          const [a, b] = [steps[i - 1], steps[i]];
          expect(b?.at.getTime()).toBeGreaterThanOrEqual(a?.at.getTime() ?? 0);
          expect(b?.minutesIn).toBe(((b?.at.getTime() ?? 0) - start.getTime()) / 60_000);
        }
        policy.levels.forEach((_, level) => {
          const rounds = steps.filter((s) => s.level === level).map((s) => s.round);
          expect(rounds).toEqual([...Array(policy.repeat + 1).keys()]);
        });
        for (const s of steps) {
          // Everyone notified comes from a target, each once; people named directly always are.
          expect(new Set(s.userIds).size).toBe(s.userIds.length);
          for (const t of s.targets) if (t.target.kind === "user") expect(s.userIds).toContain(t.target.id);
          expect(s.incomplete).toBe(false);
        }
        // The shifts asked for cover every step.
        const last = steps[steps.length - 1];
        expect(previewWindow(policy, start).until.getTime()).toBeGreaterThan(last?.at.getTime() ?? 0);
      }),
      { seed: 15, numRuns: 200 },
    );
  });

  it("a schedule notifies exactly who its shifts have on call at that step", () => {
    fc.assert(
      fc.property(shiftsArb, fc.integer({ min: 1, max: 120 }), (raw, timeout) => {
        const shifts = raw.map((s) => ({
          userId: s.userId,
          start: new Date(start.getTime() + s.from * 60_000).toISOString(),
          end: new Date(start.getTime() + (s.from + s.length) * 60_000).toISOString(),
        }));
        const steps = escalationSteps(
          { levels: [{ timeoutMinutes: timeout, targets: [{ kind: "schedule", id: 1 }] }], repeat: 9 },
          start,
          (_, at) => onCallFromShifts(shifts, at),
        );
        for (const s of steps) {
          const t = s.at.getTime();
          const expected = new Set(
            shifts.filter((x) => Date.parse(x.start) <= t && t < Date.parse(x.end)).map((x) => x.userId),
          );
          expect(new Set(s.userIds)).toEqual(expected);
        }
      }),
      { seed: 15, numRuns: 200 },
    );
  });
});
