import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bodyOf,
  checkDraft,
  draftOf,
  emptyDraft,
  moveItem,
  newLevel,
  parseTarget,
  previewOf,
  refusalProblems,
  targetValue,
} from "./escalation-policy.ts";

const stored = {
  name: "Payments",
  description: "card outages",
  teamId: 2,
  levels: [
    { timeoutMinutes: 15, targets: [{ kind: "schedule" as const, id: 3 }] },
    { timeoutMinutes: 10, targets: [{ kind: "user" as const, id: 5 }] },
  ],
  repeat: 1,
  ackTimeoutMinutes: 30,
  businessHours: { timeZone: "Europe/Berlin", days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" },
};

describe("the escalation policy form", () => {
  it("round-trips a stored policy into the body PUT replaces it with", () => {
    const d = draftOf(stored);
    expect(checkDraft(d)).toEqual({});
    expect(bodyOf(d)).toEqual({ ...stored });
    expect(new Set(d.levels.map((l) => l.key)).size).toBe(2);
  });

  it("leaves the team out for a new policy (the API picks yours)", () => {
    const d = { ...emptyDraft(), name: "New" };
    d.levels = [{ ...newLevel("5"), targets: [{ kind: "user", id: 1 }] }];
    expect(bodyOf(d)).not.toHaveProperty("teamId");
    expect(bodyOf(d).levels).toEqual([{ timeoutMinutes: 5, targets: [{ kind: "user", id: 1 }] }]);
  });

  it("names what the API would refuse by the API's field names", () => {
    const d = {
      ...emptyDraft(),
      levels: [newLevel("0"), { ...newLevel("1.5"), targets: [{ kind: "user" as const, id: 1 }] }],
      repeat: "10",
      ackTimeoutMinutes: "",
      timeZone: "Mars/Olympus",
      days: [],
      start: "9:00",
    };
    expect(checkDraft(d)).toEqual({
      name: "expected a name",
      "levels[0].timeoutMinutes": "expected a whole number of minutes >= 1",
      "levels[0].targets": "expected at least one user or schedule to notify",
      "levels[1].timeoutMinutes": "expected a whole number of minutes >= 1",
      repeat: "expected a whole number from 0 to 9",
      ackTimeoutMinutes: "expected a whole number of minutes >= 1",
      "businessHours.timeZone": "expected a time zone such as Europe/Berlin or UTC",
      "businessHours.days": "expected at least one day",
      "businessHours.start": "expected HH:MM",
    });
    expect(checkDraft({ ...emptyDraft(), name: "x", levels: [] }).levels).toBe("expected at least one level");
  });

  it("previews a timeout being typed as 0 minutes", () => {
    const d = { ...emptyDraft(), levels: [newLevel("")], repeat: "" };
    expect(previewOf(d)).toEqual({ levels: [{ timeoutMinutes: 0, targets: [] }], repeat: 0 });
  });

  it("reads targets from a select's value", () => {
    expect(parseTarget(targetValue({ kind: "schedule", id: 4 }))).toEqual({ kind: "schedule", id: 4 });
    expect(parseTarget("")).toBeNull();
    expect(parseTarget("team:1")).toBeNull();
  });

  it("sorts a 400's messages to the fields, a target's to its level", () => {
    const r = refusalProblems({
      status: 400,
      detail:
        "levels[1].targets[0]: no active user 9; name: taken; levels[0].timeoutMinutes: too small; x: what",
    });
    expect(r).toEqual({
      byField: {
        "levels[1].targets": "no active user 9",
        name: "taken",
        "levels[0].timeoutMinutes": "too small",
      },
      rest: ["x: what"],
    });
    expect(refusalProblems({ status: 403, detail: "not your team" })).toBeNull();
  });
});

describe("moving a level", () => {
  it("keeps every level, once, and puts the moved one where asked", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { minLength: 1, maxLength: 20 }),
        fc.nat(25),
        fc.nat(25),
        (list, a, b) => {
          const from = a % list.length;
          const moved = moveItem(list, from, b);
          expect([...moved].sort()).toEqual([...list].sort());
          expect(moved[Math.min(b, list.length - 1)]).toBe(list[from]);
          expect(moveItem(moved, Math.min(b, list.length - 1), from)).toEqual(list);
        },
      ),
      { seed: 15, numRuns: 300 },
    );
  });
});
