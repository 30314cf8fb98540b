import { describe, expect, it } from "vitest";
import type { Shift } from "../api/oncall.ts";
import {
  namesList,
  overridePeople,
  personName,
  shiftLengthLabel,
  shiftOrigin,
  targetLabel,
  timeoutLabel,
  weekdaysLabel,
} from "./oncall.ts";

const people = [
  { id: 1, username: "admin", name: "", active: true },
  { id: 2, username: "alice", name: "Alice", active: true },
  { id: 3, username: "bob", name: "Bob", active: false },
  { id: 5, username: "@alerts", name: "Alerts (automation)", active: true },
];

describe("on-call in words", () => {
  it("names people, falling back to the username and then the id", () => {
    expect(personName(people, 2)).toBe("Alice");
    expect(personName(people, 1)).toBe("admin");
    expect(personName(people, 9)).toBe("user 9");
    expect(namesList([])).toBe("nobody");
    expect(namesList(["Alice"])).toBe("Alice");
    expect(namesList(["Alice", "Bob", "Carol"])).toBe("Alice, Bob and Carol");
  });

  it("offers only active people, not automation accounts, for overrides", () => {
    expect(overridePeople(people).map((p) => p.username)).toEqual(["admin", "alice"]);
  });

  it("describes rotations and escalation levels", () => {
    expect(shiftLengthLabel({ unit: "weeks", count: 1 })).toBe("every week");
    expect(shiftLengthLabel({ unit: "hours", count: 12 })).toBe("every 12 hours");
    const schedules = [{ id: 4, name: "EOC" }];
    expect(targetLabel({ kind: "schedule", id: 4 }, schedules, people)).toBe("schedule EOC");
    expect(targetLabel({ kind: "schedule", id: 8 }, schedules, people)).toBe("schedule #8");
    expect(targetLabel({ kind: "user", id: 2 }, schedules, people)).toBe("Alice");
    expect(timeoutLabel(1)).toBe("1 minute without acknowledgement");
    expect(timeoutLabel(15)).toBe("15 minutes without acknowledgement");
  });

  it("tells a rotation's shift from an override's", () => {
    const base = { userId: 2, start: "2026-03-02T09:00:00Z", end: "2026-03-03T09:00:00Z" };
    const fromLayer: Shift = { ...base, source: { kind: "layer", layer: 0 } };
    const fromOverride: Shift = { ...base, source: { kind: "override", index: 0, overrideId: 12 } };
    const schedule = { layers: [{ name: "Daily" }] } as never;
    expect(shiftOrigin(fromLayer, schedule)).toBe("Daily");
    expect(shiftOrigin({ ...fromLayer, source: { kind: "layer", layer: 3 } }, schedule)).toBe("layer 4");
    expect(shiftOrigin(fromOverride, schedule)).toBe("override");
  });
});

describe("business hours in words", () => {
  it("names a run of weekdays as a range and others one by one", () => {
    expect(weekdaysLabel([1, 2, 3, 4, 5])).toBe("Mon–Fri");
    expect(weekdaysLabel([5, 1, 3])).toBe("Mon, Wed and Fri");
    expect(weekdaysLabel([6, 7])).toBe("Sat and Sun");
    expect(weekdaysLabel([1, 2, 3, 4, 5, 6, 7])).toBe("every day");
    expect(weekdaysLabel([])).toBe("no days");
  });
});
