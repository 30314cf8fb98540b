import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  fallbackAdmin,
  progressText,
  rotationStates,
  SETUP_ROTATIONS,
  type SetupFacts,
  setupSteps,
} from "./firstrun.ts";

const rotation = (name: string, ...participants: number[][]) => ({
  name,
  layers: participants.map((p) => ({ participants: p })),
});

const fresh: SetupFacts = {
  hasPassword: false,
  contactMethods: [],
  schedules: [rotation("EOC", [1]), rotation("IM", [1]), rotation("CMOC", [1])],
  fallbackAdminId: 1,
  meId: 1,
  services: 0,
  alertReceived: false,
  statusComponents: 0,
  statusSlug: "default",
};
const byId = (facts: SetupFacts) => Object.fromEntries(setupSteps(facts).map((s) => [s.id, s]));

describe("setupSteps", () => {
  it("a first start: nothing done, each step says what to do and links to the screen", () => {
    const steps = setupSteps(fresh);
    expect(steps.map((s) => [s.id, s.done])).toEqual([
      ["password", false],
      ["contact", false],
      ["rotations", false],
      ["alerts", false],
      ["status", false],
    ]);
    expect(progressText(steps)).toBe("0 of 5 steps done");
    const s = byId(fresh);
    expect(s.rotations!.detail).toContain("EOC: only you; IM: only you; CMOC: only you");
    expect(s.rotations!.links.map((l) => l.to)).toEqual(["/people", "/schedules", "/escalation-policies"]);
    expect(s.alerts!.detail).toMatch(/^Create a service/);
    expect(s.status!.links.map((l) => l.to)).toEqual(["/status-admin", "/status/default"]);
  });

  it("a contact method counts only once a test (or any message) through it was delivered", () => {
    expect(byId({ ...fresh, contactMethods: [{ lastTest: null, lastDelivery: null }] }).contact!.done).toBe(
      false,
    );
    expect(
      byId({
        ...fresh,
        contactMethods: [{ lastTest: { status: "failed" }, lastDelivery: { status: "failed" } }],
      }).contact!.detail,
    ).toBe("Send yourself a test notification and see it arrive.");
    expect(
      byId({ ...fresh, contactMethods: [{ lastTest: null }, { lastTest: { status: "delivered" } }] }).contact!
        .done,
    ).toBe(true);
    expect(
      byId({ ...fresh, contactMethods: [{ lastDelivery: { status: "delivered" } }] }).contact!.done,
    ).toBe(true);
  });

  it("everything set up reads as all set up", () => {
    const done: SetupFacts = {
      ...fresh,
      hasPassword: true,
      contactMethods: [{ lastTest: { status: "delivered" } }],
      schedules: [rotation("EOC", [1, 2]), rotation("IM", [3]), rotation("CMOC", [], [4])],
      services: 1,
      alertReceived: true,
      statusComponents: 3,
    };
    expect(setupSteps(done).every((s) => s.done)).toBe(true);
    expect(progressText(setupSteps(done))).toBe("All set up");
    expect(byId(done).rotations!.detail).toContain("EOC: 2 people; IM: 1 person; CMOC: 1 person");
    expect(byId(done).status!.detail).toBe("The status page shows 3 components.");
  });

  it("a missing rotation or status page is said, not hidden", () => {
    const s = byId({ ...fresh, schedules: [rotation("EOC", [2])], statusComponents: null, meId: 9 });
    expect(s.rotations!.detail).toContain("EOC: 1 person; IM: missing; CMOC: missing");
    expect(s.status!.detail).toBe("There is no status page yet.");
    expect(byId({ ...fresh, meId: 9 }).rotations!.detail).toContain("only the first admin");
  });
});

describe("rotationStates", () => {
  const ids = fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 4 });
  it("a rotation is staffed exactly when someone besides the fallback admin is in it (property)", () => {
    fc.assert(
      fc.property(
        fc.array(ids, { minLength: 3, maxLength: 3 }),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }),
        (people, fallback) => {
          const schedules = SETUP_ROTATIONS.map((name, i) => rotation(name, people[i]!));
          const states = rotationStates({ schedules, fallbackAdminId: fallback });
          states.forEach((s, i) => {
            const others = people[i]!.filter((p) => p !== fallback);
            expect(s.state).toBe(others.length > 0 ? "staffed" : "fallback-only");
          });
          const step = byId({ ...fresh, schedules, fallbackAdminId: fallback }).rotations!;
          expect(step.done).toBe(states.every((s) => s.state === "staffed"));
        },
      ),
      { seed: 15, numRuns: 300 },
    );
  });
});

describe("fallbackAdmin", () => {
  it("is the active admin with the lowest id, service accounts left out", () => {
    const u = (id: number, username: string, role: string, active = true) => ({ id, username, role, active });
    expect(
      fallbackAdmin([
        u(5, "zed", "admin"),
        u(2, "@bot", "admin"),
        u(3, "ada", "admin"),
        u(1, "rob", "responder"),
      ]),
    ).toBe(3);
    expect(fallbackAdmin([u(1, "old", "admin", false), u(4, "new", "admin")])).toBe(4);
    expect(fallbackAdmin([u(1, "rob", "responder")])).toBeNull();
  });
});
