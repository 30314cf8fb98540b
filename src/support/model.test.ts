import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  criticalityById as byId,
  criticalities,
  criticalityIds,
  dueAtOf,
  follow,
  highestCriticality,
  type IncidentFacts,
  needsReview,
  nextStep,
  parseCriticality,
  recriticize,
  type SupportClock,
  startClock,
  timetable,
} from "./model.ts";

const T0 = new Date("2026-11-18T12:00:00Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const open: IncidentFacts = { state: "investigating", declaredAt: T0, resolvedAt: null };

/** Runs the clock minute by minute (levels are whole minutes) and says when each level came. */
function simulate(c: SupportClock, i: IncidentFacts, until: number) {
  const reached: { level: number; minute: number; reason: string }[] = [];
  let clock = c;
  for (let m = 0; m <= until; m++) {
    for (;;) {
      const s = nextStep(clock, i, at(m));
      if (!s) break;
      clock = s.clock;
      if (s.step.kind === "level") reached.push({ level: s.step.level, minute: m, reason: s.step.reason });
    }
  }
  return { reached, clock };
}

describe("criticality", () => {
  it("accepts the four level names, the ids and the ranks, in any case and spacing", () => {
    expect(parseCriticality("Mission Critical")?.id).toBe("mission-critical");
    expect(parseCriticality("business_operational")?.id).toBe("business-operational");
    expect(parseCriticality("ADMINISTRATIVE")?.rank).toBe(4);
    expect(parseCriticality(2)?.name).toBe("Business Critical");
    expect(parseCriticality("Critical")).toBeUndefined();
    expect(parseCriticality("5")).toBeUndefined();
  });

  it("PAGE-8: several systems take the highest criticality (the lowest rank), whatever the order", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...criticalityIds), { minLength: 1, maxLength: 8 }), (ids) => {
        const h = highestCriticality(ids);
        const ranks = ids.map((id) => criticalities.find((c) => c.id === id)?.rank ?? 9);
        expect(h?.rank).toBe(Math.min(...ranks));
        expect(highestCriticality([...ids].reverse())?.id).toBe(h?.id);
      }),
    );
    expect(highestCriticality([])).toBeNull();
  });
});

describe("PAGE-8 timetable", () => {
  it("PAGE-8: Mission Critical reaches levels 1–4 at 10, 20, 30 and 40 minutes, then stops", () => {
    const c = startClock(byId("mission-critical"), open, T0);
    const { reached } = simulate(c, open, 100);
    expect(reached).toEqual(
      [1, 2, 3, 4].map((level) => ({ level, minute: level * 10, reason: "no-resolution-path" })),
    );
  });

  it("PAGE-8: Administrative reaches level 1 at 24 h, 2 at 48 h and 3 at 72 h (past its time to resolve)", () => {
    const c = startClock(byId("administrative"), open, T0);
    const { reached, clock } = simulate(c, open, 100 * 60);
    expect(reached).toEqual([
      { level: 1, minute: 24 * 60, reason: "no-resolution-path" },
      { level: 2, minute: 48 * 60, reason: "no-resolution-path" },
      { level: 3, minute: 72 * 60, reason: "past-time-to-resolve" },
    ]);
    expect(clock.resolveOutcome).toBe("missed");
    expect(needsReview(clock)).toBe(true);
  });

  it("PAGE-8: each criticality's levels follow its own timetable, never past level 4, never backwards", () => {
    for (const crit of criticalities) {
      const c = startClock(crit, open, T0);
      const { reached } = simulate(c, open, crit.resolveWithinHours.to * 60 + 60);
      expect(reached.map((r) => ({ level: r.level, afterMinutes: r.minute }))).toEqual(timetable(crit));
    }
  });

  it("PAGE-8: with a resolution path no level comes; the time to resolve still runs out", () => {
    fc.assert(
      fc.property(fc.constantFrom(...criticalities), fc.integer({ min: 0, max: 600 }), (crit, pathAfter) => {
        let c = startClock(crit, open, T0);
        c = simulate(c, open, pathAfter).clock;
        const fixing: IncidentFacts = { ...open, state: "fixing" };
        const f = follow(c, fixing, at(pathAfter));
        expect(f.changes).toEqual([{ kind: "path-found" }]);
        const levelBefore = f.clock.level;
        const after = simulate(f.clock, fixing, crit.resolveWithinHours.to * 60 + 10);
        const byTime = after.reached.filter((r) => r.reason === "no-resolution-path" && r.minute > pathAfter);
        expect(byTime).toEqual([]);
        expect(after.clock.level).toBe(crit.level3WhenLate && levelBefore < 3 ? 3 : levelBefore);
        expect(after.clock.resolveOutcome).toBe("missed");
      }),
      { numRuns: 60 },
    );
  });

  it("PAGE-8: losing the resolution path resumes the next level an interval later", () => {
    const crit = byId("business-critical");
    let c = startClock(crit, open, T0);
    c = follow(c, { ...open, state: "fixing" }, at(5)).clock;
    const lost = follow(c, open, at(50));
    expect(lost.changes).toEqual([{ kind: "path-lost" }]);
    expect(dueAtOf(lost.clock, open)).toEqual(at(80));
  });

  it("the time to resolve is met when resolved by the range's upper end, and nothing is due after", () => {
    const crit = byId("mission-critical");
    const c = startClock(crit, open, T0);
    const onTime: IncidentFacts = { state: "resolved", declaredAt: T0, resolvedAt: at(120) };
    expect(follow(c, onTime, at(120)).clock.resolveOutcome).toBe("met");
    const late: IncidentFacts = { state: "resolved", declaredAt: T0, resolvedAt: at(121) };
    const f = follow(c, late, at(121));
    expect(f.clock.resolveOutcome).toBe("missed");
    expect(dueAtOf(f.clock, late)).toBeNull();
    expect(nextStep(f.clock, late, at(500))).toBeNull();
  });

  it("re-rating counts the time to resolve from the declaration; a lower one past due still moves to level 3", () => {
    const declared = { ...open, declaredAt: at(-60 * 60) };
    let c = startClock(byId("business-critical"), declared, T0);
    c = { ...c, resolveOutcome: "missed" };
    const admin = recriticize(c, byId("administrative"), declared, T0);
    expect(admin.resolveBy).toEqual(at(12 * 60));
    expect(admin.resolveOutcome).toBeNull();
    const bo = recriticize(c, byId("business-operational"), declared, T0);
    // 48 h after a declaration 60 h ago: already late, so the next step moves it to level 3.
    expect(nextStep(bo, declared, T0)?.step).toEqual({
      kind: "level",
      level: 3,
      reason: "past-time-to-resolve",
    });
  });

  it("REV-2: a review is needed for criticality 1–2 or from level 3", () => {
    const base = startClock(byId("business-operational"), open, T0);
    expect(needsReview(base)).toBe(false);
    expect(needsReview({ ...base, level: 2 })).toBe(false);
    expect(needsReview({ ...base, level: 3 })).toBe(true);
    expect(needsReview(startClock(byId("mission-critical"), open, T0))).toBe(true);
    expect(needsReview(startClock(byId("business-critical"), open, T0))).toBe(true);
  });
});
