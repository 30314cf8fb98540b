import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AppError } from "../platform/errors.ts";
import {
  acknowledge,
  type BusinessHours,
  defaultBusinessHours,
  type EscalationPolicy,
  escalateTo,
  escalationTimer,
  nextBusinessInstant,
  nextLevel,
  type Page,
  resolve,
  urgencyFor,
  validatePolicy,
  withinBusinessHours,
} from "./model.ts";

const policyWith = (
  levels: number[],
  repeat = 0,
  hours: BusinessHours = defaultBusinessHours,
): EscalationPolicy => ({
  id: 1,
  name: "p",
  description: "",
  levels: levels.map((timeoutMinutes) => ({ timeoutMinutes, targets: [{ kind: "user", id: 1 }] })),
  repeat,
  ackTimeoutMinutes: 30,
  businessHours: hours,
});

const t0 = new Date("2026-11-18T10:00:00Z"); // a Wednesday
const page = (over: Partial<Page> = {}): Page => ({
  id: 1,
  policyId: 1,
  incidentId: null,
  title: "disk full",
  urgency: "high",
  state: "triggered",
  level: 0,
  round: 0,
  step: 1,
  assignedTo: [],
  acknowledgedBy: null,
  acknowledgedAt: null,
  resolvedBy: null,
  resolvedAt: null,
  createdBy: null,
  createdAt: t0,
  updatedAt: t0,
  ...over,
});

describe("escalation stepping", () => {
  it("a three-level policy of 15 minutes steps at +15 and +30, then stops", () => {
    const p = policyWith([15, 15, 15]);
    let at = t0;
    let current = page();
    const due: string[] = [];
    for (;;) {
      const timer = escalationTimer(p, current, at);
      const next = nextLevel(p, current);
      if (!timer || !next) break;
      due.push(timer.toISOString());
      at = timer;
      current = { ...current, ...next };
    }
    expect(due).toEqual(["2026-11-18T10:15:00.000Z", "2026-11-18T10:30:00.000Z"]);
    expect(current.level).toBe(2);
  });

  it("any policy visits levels × (repeat + 1) steps, in order, then stops", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 9 }),
        (levels, repeat) => {
          const p = policyWith(levels, repeat);
          let cur: { level: number; round: number } | null = { level: 0, round: 0 };
          const seen: string[] = [];
          while (cur) {
            seen.push(`${cur.round}:${cur.level}`);
            cur = nextLevel(p, cur);
          }
          expect(seen).toHaveLength(levels.length * (repeat + 1));
          expect(seen.at(-1)).toBe(`${repeat}:${levels.length - 1}`);
        },
      ),
    );
  });

  it("SEV-5: a low-urgency timer never falls outside business hours, and never before its timeout", () => {
    const hours: BusinessHours = {
      timeZone: "Europe/Berlin",
      days: [1, 2, 3, 4, 5],
      start: "09:00",
      end: "17:00",
    };
    const p = policyWith([30, 30], 0, hours);
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2026-01-01"), max: new Date("2027-01-01"), noInvalidDate: true }),
        (now) => {
          const timer = escalationTimer(p, page({ urgency: "low" }), now)!;
          expect(timer.getTime()).toBeGreaterThanOrEqual(now.getTime() + 30 * 60_000);
          expect(withinBusinessHours(hours, timer)).toBe(true);
        },
      ),
    );
    // Friday 16:50 Berlin + 30 minutes is after hours: Monday 09:00 Berlin.
    const friday = new Date("2026-11-20T15:50:00Z");
    expect(escalationTimer(p, page({ urgency: "low" }), friday)?.toISOString()).toBe(
      "2026-11-23T08:00:00.000Z",
    );
    expect(escalationTimer(p, page({ urgency: "high" }), friday)?.toISOString()).toBe(
      "2026-11-20T16:20:00.000Z",
    );
  });

  it("SEV-5: S3/S4 pages are low urgency on weekends only; S1/S2 always high", () => {
    const saturday = new Date("2026-11-21T12:00:00Z");
    expect(urgencyFor("S3", ["S3", "S4"], defaultBusinessHours, saturday)).toBe("low");
    expect(urgencyFor("S4", ["S3", "S4"], defaultBusinessHours, saturday)).toBe("low");
    expect(urgencyFor("S1", ["S3", "S4"], defaultBusinessHours, saturday)).toBe("high");
    expect(urgencyFor("S3", ["S3", "S4"], defaultBusinessHours, t0)).toBe("high");
  });

  it("nextBusinessInstant is the identity inside business hours", () => {
    expect(nextBusinessInstant(defaultBusinessHours, t0)).toEqual(t0);
  });
});

describe("page states", () => {
  it("acknowledge, resolve and escalate bump the step so older timers go stale", () => {
    const acked = acknowledge(page(), 7, t0);
    expect(acked).toMatchObject({ state: "acknowledged", acknowledgedBy: 7, step: 2 });
    const reopened = escalateTo(acked, policyWith([5, 5]), 1, 0, t0);
    expect(reopened).toMatchObject({ state: "triggered", level: 1, step: 3, acknowledgedBy: null });
    expect(resolve(reopened, 7, t0)).toMatchObject({ state: "resolved", step: 4 });
  });

  it("impossible changes are refused naming the state", () => {
    const err = (() => {
      try {
        acknowledge(page({ state: "resolved" }), 1, t0);
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(err?.code).toBe("invalid-transition");
    expect(err?.extra.currentState).toBe("resolved");
    expect(() => escalateTo(page(), policyWith([5]), 3, 0, t0)).toThrow(/levels 0 to 0/);
  });

  it("validatePolicy names every field that is wrong", () => {
    const problems = validatePolicy({
      levels: [
        { timeoutMinutes: 0, targets: [] },
        { timeoutMinutes: 1.5, targets: [{ kind: "user", id: 1 }] },
      ],
      repeat: 10,
      ackTimeoutMinutes: 0,
    });
    expect(problems.map((p) => p.field)).toEqual([
      "levels[0].timeoutMinutes",
      "levels[0].targets",
      "levels[1].timeoutMinutes",
      "repeat",
      "ackTimeoutMinutes",
    ]);
  });
});
