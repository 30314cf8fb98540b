/** The rule engine, pure: which event rules fire, which clocks an incident should have. */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { State } from "../incidents/states.ts";
import type { Facts, IncidentSubject, MaintenanceSubject } from "./conditions.ts";
import { defaultPolicyFile, loadPolicy, parsePolicy } from "./load.ts";
import { clockKey, deadlineOutcomeKey, desiredClocks, eventRules } from "./rules.ts";

const policy = loadPolicy();
const t0 = new Date("2026-03-04T10:00:00Z"); // a Wednesday
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const noneFired = (): Facts => ({ firedKeys: new Set(), firstFired: new Map() });

function incident(over: Partial<IncidentSubject> = {}): IncidentSubject {
  return {
    kind: "incident",
    id: 7,
    type: "GitLab.com",
    severity: "S3",
    state: "investigating",
    visibility: "public",
    declaredByAutomation: false,
    ownerId: 1,
    ownerDeliberate: false,
    roles: {},
    engagedAt: {},
    roleSince: {},
    labels: [],
    declaredAt: t0,
    acceptedAt: t0,
    resolvedAt: null,
    impactStartedAt: null,
    impactEndedAt: null,
    impactLevel: null,
    lastStatusUpdateAt: null,
    publicPostAt: null,
    ...over,
  };
}

const fired = (
  s: IncidentSubject,
  events: Parameters<typeof eventRules>[2],
  facts: Facts = noneFired(),
  now = t0,
) => eventRules(policy, s, events, facts, now);
const ids = (r: ReturnType<typeof fired>) => r.fire.map((f) => f.rule.id).sort();
const clocks = (s: IncidentSubject | MaintenanceSubject, now = t0, facts: Facts = noneFired()) =>
  desiredClocks(policy, s, facts, now);

describe("event rules of the shipped policy", () => {
  it("a person declaring a GitLab.com S3 pages the EOC (DEC-3); alerts and exercises do not", () => {
    expect(ids(fired(incident(), [{ kind: "declared" }]))).toEqual(["DEC-3-eoc"]);
    expect(
      ids(fired(incident({ declaredByAutomation: true, state: "triage" }), [{ kind: "declared" }])),
    ).toEqual([]);
    expect(ids(fired(incident({ type: "Gameday" }), [{ kind: "declared" }]))).toEqual([]);
  });

  it("an S1 declared active pages the EOC and the IM, and notifies leadership once (PAGE-6)", () => {
    const r = fired(incident({ severity: "S1" }), [{ kind: "declared" }]);
    expect(ids(r)).toEqual(["DEC-3-eoc", "PAGE-1", "PAGE-6"]);
    const again = fired(incident({ severity: "S1" }), [{ kind: "severity-raised" }], {
      firedKeys: new Set(),
      firstFired: new Map([["PAGE-6", t0]]),
    });
    expect(ids(again)).not.toContain("PAGE-6");
  });

  it("a triage incident pages nobody by rule until it is accepted as S1/S2", () => {
    const triage = incident({
      severity: "S2",
      state: "triage",
      acceptedAt: null,
      declaredByAutomation: true,
    });
    expect(ids(fired(triage, [{ kind: "declared" }]))).toEqual([]);
    expect(ids(fired({ ...triage, state: "investigating" }, [{ kind: "accepted" }]))).toEqual(["PAGE-1"]);
  });

  it("raising the severity pages the three roles, and the IM for S1/S2", () => {
    expect(ids(fired(incident({ severity: "S2" }), [{ kind: "severity-raised" }]))).toEqual([
      "PAGE-1",
      "SEV-3",
    ]);
  });

  it("a rule whose condition needs other incidents asks for the fact before deciding", () => {
    const s = incident({ severity: "S3" });
    const first = fired(s, [{ kind: "accepted" }]);
    expect(first.needs).toContainEqual({ kind: "openIncidents", severities: ["S1", "S2", "S3"] });
    expect(ids(first)).not.toContain("PAGE-4-simultaneous");
    const one = fired(s, [{ kind: "accepted" }], {
      ...noneFired(),
      openIncidents: new Map([["S1,S2,S3", 1]]),
    });
    expect(ids(one)).not.toContain("PAGE-4-simultaneous");
    const two = fired(s, [{ kind: "accepted" }], {
      ...noneFired(),
      openIncidents: new Map([["S1,S2,S3", 2]]),
    });
    expect(ids(two)).toContain("PAGE-4-simultaneous");
  });

  it("labels that need an IM page one (PAGE-4)", () => {
    const s = incident({ labels: ["path blocked"] });
    expect(ids(fired(s, [{ kind: "labeled", label: "path blocked" }]))).toEqual(["PAGE-4-blocked"]);
  });

  it("the engaged EOC owns the incident unless the IM does (OWN-3)", () => {
    const engaged = incident({ roles: { EOC: 5 } });
    expect(ids(fired(engaged, [{ kind: "role-engaged", role: "EOC" }]))).toEqual(["OWN-3-eoc"]);
    const imOwns = incident({ roles: { EOC: 5, IM: 6 }, ownerId: 6 });
    expect(ids(fired(imOwns, [{ kind: "role-engaged", role: "EOC" }]))).toEqual([]);
  });
});

describe("clocks of the shipped policy", () => {
  it("PAGE-3: 30 minutes after the EOC engaged while investigating; none once fixing", () => {
    const s = incident({ roles: { EOC: 5 }, engagedAt: { EOC: at(2) } });
    const page3 = clocks(s).clocks.find((c) => c.ruleId === "PAGE-3");
    expect(page3?.dueAt).toEqual(at(32));
    expect(clocks({ ...s, state: "fixing" }).clocks.find((c) => c.ruleId === "PAGE-3")).toBeUndefined();
  });

  it("COMM-1: due by the cadence from the last update, then every 15 minutes while overdue", () => {
    const s = incident({ severity: "S2" }); // cadence 30
    const first = clocks(s).clocks.find((c) => c.ruleId === "COMM-1");
    expect(first?.dueAt).toEqual(at(30));
    const afterFirst: Facts = { firedKeys: new Set([first?.key ?? ""]), firstFired: new Map() };
    expect(clocks(s, at(30), afterFirst).clocks.find((c) => c.ruleId === "COMM-1")?.dueAt).toEqual(at(45));
    // An update moves the anchor: the next one is due a cadence after it.
    const updated = { ...s, lastStatusUpdateAt: at(40) };
    expect(clocks(updated, at(40), afterFirst).clocks.find((c) => c.ruleId === "COMM-1")?.dueAt).toEqual(
      at(70),
    );
  });

  it("COMM-1 after downtime: one catch-up reminder for all missed ones, then the rhythm", () => {
    const s = incident({ severity: "S2" });
    const late = clocks(s, at(100)).clocks.find((c) => c.ruleId === "COMM-1");
    expect(late?.dueAt).toEqual(at(90)); // the latest missed one, due already
    const afterIt: Facts = { firedKeys: new Set([late?.key ?? ""]), firstFired: new Map() };
    expect(clocks(s, at(100), afterIt).clocks.find((c) => c.ruleId === "COMM-1")?.dueAt).toEqual(at(105));
  });

  it("COMM-2: a public incident has a reminder at 45 minutes and its deadline at 60", () => {
    const s = incident({ severity: "S3" });
    const comm2 = clocks(s).clocks.filter((c) => c.ruleId === "COMM-2-public");
    expect(comm2.map((c) => [c.kind, c.dueAt])).toEqual([
      ["remind", at(45)],
      ["deadline", at(60)],
    ]);
    // Published already: only the deadline's record is left, no reminder.
    const posted = clocks({ ...s, publicPostAt: at(10) }).clocks.filter((c) => c.ruleId === "COMM-2-public");
    expect(posted.map((c) => c.kind)).toEqual(["deadline"]);
    // Private incidents, and incidents resolved within 5 minutes, are not communicated publicly.
    expect(clocks({ ...s, visibility: "private" }).clocks.some((c) => c.ruleId === "COMM-2-public")).toBe(
      false,
    );
    const blip = { ...s, state: "resolved" as State, resolvedAt: at(3) };
    expect(clocks(blip, at(3)).clocks.some((c) => c.ruleId === "COMM-2-public")).toBe(false);
    const longer = { ...s, state: "resolved" as State, resolvedAt: at(12) };
    expect(clocks(longer, at(12)).clocks.some((c) => c.ruleId === "COMM-2-public")).toBe(true);
  });

  it("COMM-2: once its outcome is recorded, the deadline has no clock", () => {
    const s = incident();
    const outcome = deadlineOutcomeKey(s, "COMM-2-public", at(60));
    const remind = clockKey(s, "COMM-2-public", "remind", at(45));
    const done: Facts = { firedKeys: new Set([outcome, remind]), firstFired: new Map() };
    expect(clocks(s, at(61), done).clocks.some((c) => c.ruleId === "COMM-2-public")).toBe(false);
  });

  it("COMM-2: customer impact for 5 minutes engages the CMOC unless someone holds it", () => {
    const s = incident({ impactStartedAt: at(1), impactLevel: "degraded" });
    expect(clocks(s).clocks.find((c) => c.ruleId === "COMM-2-cmoc")?.dueAt).toEqual(at(6));
    expect(clocks({ ...s, roles: { CMOC: 3 } }).clocks.some((c) => c.ruleId === "COMM-2-cmoc")).toBe(false);
    expect(clocks({ ...s, impactEndedAt: at(2) }).clocks.some((c) => c.ruleId === "COMM-2-cmoc")).toBe(false);
  });

  it("PAGE-5: Infrastructure Leadership 15 minutes after asking for another IM, while nobody took it", () => {
    const s = incident({ severity: "S1" });
    const asked: Facts = { firedKeys: new Set(), firstFired: new Map([["PAGE-5-ask", at(1)]]) };
    expect(clocks(s, t0, asked).clocks.find((c) => c.ruleId === "PAGE-5-leadership")?.dueAt).toEqual(at(16));
    const taken = { ...s, roles: { IM: 4 } };
    expect(clocks(taken, t0, asked).clocks.some((c) => c.ruleId === "PAGE-5-leadership")).toBe(false);
  });

  it("OWN-8: a hand-over clock at the end of the IM's shift, only while the IM is on that rotation", () => {
    const s = incident({ severity: "S1", roles: { IM: 4 } });
    const needs = clocks(s).needs;
    expect(needs).toContainEqual({ kind: "shiftEnd", role: "IM" });
    const ends: Facts = { ...noneFired(), shiftEnd: new Map([["IM", at(120)]]) };
    expect(clocks(s, t0, ends).clocks.find((c) => c.ruleId === "OWN-8")?.dueAt).toEqual(at(120));
    const notOnIt: Facts = { ...noneFired(), shiftEnd: new Map([["IM", null]]) };
    expect(clocks(s, t0, notOnIt).clocks.some((c) => c.ruleId === "OWN-8")).toBe(false);
  });

  it("STAT-5: a C1 maintenance is told 30 minutes before it starts; others and discarded ones are not", () => {
    const m: MaintenanceSubject = {
      kind: "maintenance",
      id: 3,
      name: "DB upgrade",
      criticality: "C1",
      scheduledFor: at(120),
      active: true,
    };
    expect(clocks(m).clocks.map((c) => [c.ruleId, c.dueAt])).toEqual([["STAT-5", at(90)]]);
    expect(clocks({ ...m, criticality: "C2" }).clocks).toEqual([]);
    expect(clocks({ ...m, active: false }).clocks).toEqual([]);
  });

  it("clocks due already are only decided once what fired is known", () => {
    const s = incident({ roles: { EOC: 5 }, engagedAt: { EOC: t0 } });
    const r = desiredClocks(policy, s, {}, at(40));
    expect(r.needs).toContainEqual({ kind: "fired" });
    expect(r.clocks.some((c) => c.ruleId === "PAGE-3")).toBe(false);
  });
});

describe("clocks, for any incident", () => {
  const states: State[] = [
    "triage",
    "investigating",
    "fixing",
    "monitoring",
    "resolved",
    "closed",
    "declined",
    "merged",
  ];
  const subject = fc.record({
    severity: fc.constantFrom("S1", "S2", "S3", "S4"),
    state: fc.constantFrom(...states),
    visibility: fc.constantFrom("public" as const, "private" as const),
    eoc: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
    im: fc.boolean(),
    cmoc: fc.boolean(),
    impact: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
    update: fc.option(fc.integer({ min: 0, max: 300 }), { nil: null }),
    post: fc.option(fc.integer({ min: 0, max: 300 }), { nil: null }),
    now: fc.integer({ min: 0, max: 600 }),
  });
  const toSubject = (x: {
    severity: string;
    state: State;
    visibility: "public" | "private";
    eoc: number | null;
    im: boolean;
    cmoc: boolean;
    impact: number | null;
    update: number | null;
    post: number | null;
  }) =>
    incident({
      severity: x.severity,
      state: x.state,
      visibility: x.visibility,
      roles: {
        ...(x.eoc !== null ? { EOC: 5 } : {}),
        ...(x.im ? { IM: 6 } : {}),
        ...(x.cmoc ? { CMOC: 7 } : {}),
      },
      engagedAt: x.eoc !== null ? { EOC: at(x.eoc) } : {},
      impactStartedAt: x.impact === null ? null : at(x.impact),
      impactLevel: x.impact === null ? null : "partial",
      lastStatusUpdateAt: x.update === null ? null : at(x.update),
      publicPostAt: x.post === null ? null : at(x.post),
      resolvedAt: ["resolved", "closed"].includes(x.state) ? at(200) : null,
    });

  it("never wants a clock that already fired, and never two with one key", () => {
    fc.assert(
      fc.property(subject, fc.array(fc.nat(), { maxLength: 5 }), (x, picks) => {
        const s = toSubject(x);
        const now = at(x.now);
        const wanted = desiredClocks(policy, s, noneFired(), now).clocks;
        const keys = wanted.map((c) => c.key);
        expect(new Set(keys).size).toBe(keys.length);
        // Mark some as fired: none of them comes back, however often it is asked.
        const firedKeys = new Set(
          picks.flatMap((p) => (wanted.length ? [wanted[p % wanted.length]!.key] : [])),
        );
        const again = desiredClocks(policy, s, { firedKeys, firstFired: new Map() }, now).clocks;
        for (const c of again) expect(firedKeys.has(c.key)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("wants no clock for an incident that is over (merged, declined) or closed without deadlines left", () => {
    fc.assert(
      fc.property(subject, (x) => {
        const s = toSubject({
          ...x,
          state: x.state === "merged" || x.state === "declined" ? x.state : "merged",
        });
        const wanted = desiredClocks(policy, s, noneFired(), at(x.now)).clocks;
        expect(wanted).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it("a clock's rule holds at its due time: a state that rules it out leaves no clock of that rule", () => {
    fc.assert(
      fc.property(subject, (x) => {
        const s = toSubject(x);
        const wanted = desiredClocks(policy, s, noneFired(), at(x.now)).clocks;
        for (const c of wanted) {
          const rule = policy.rules?.find((r) => r.id === c.ruleId);
          if (rule?.if?.state) expect(rule.if.state).toContain(s.state);
          if (rule?.if?.roleVacant)
            for (const role of rule.if.roleVacant) expect(s.roles[role]).toBeUndefined();
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("a policy with different rules", () => {
  it("follows its own rules: without the EOC-on-declare rule nothing fires on declaring; a 10-minute investigating clock", () => {
    const text = readDefault()
      .replace(/ {2}- id: DEC-3-eoc[\s\S]*?(?= {2}- id: DEC-5)/, "")
      .replace('clock: { from: "engaged:EOC", after: 30 }', 'clock: { from: "engaged:EOC", after: 10 }');
    const other = parsePolicy(text, "other.yaml");
    expect(eventRules(other, incident(), [{ kind: "declared" }], noneFired(), t0).fire).toEqual([]);
    const s = incident({ roles: { EOC: 5 }, engagedAt: { EOC: t0 } });
    expect(desiredClocks(other, s, noneFired(), t0).clocks.find((c) => c.ruleId === "PAGE-3")?.dueAt).toEqual(
      at(10),
    );
  });
});

function readDefault(): string {
  return readFileSync(defaultPolicyFile, "utf8");
}

describe("COMM-6: customer facts in the shipped rules", () => {
  const customer = (over: Partial<IncidentSubject> = {}) =>
    incident({ type: "Self-managed customer", severity: "Sev1", ...over });
  const withCustomers = (
    affected: number,
    lastUpdateAt: Date | null = null,
    nextUpdateAt: Date | null = null,
  ) => ({
    ...noneFired(),
    customers: { affected, lastUpdateAt, nextUpdateAt },
  });

  it("COMM-6: a customer added asks for the affected count, and two or more raise a Sev1", () => {
    const unknown = fired(customer(), [{ kind: "customer-added" }]);
    expect(unknown.fire).toEqual([]);
    expect(unknown.needs).toEqual([{ kind: "customers" }]);
    expect(ids(fired(customer(), [{ kind: "customer-added" }], withCustomers(1)))).toEqual([]);
    expect(ids(fired(customer(), [{ kind: "customer-added" }], withCustomers(2)))).toEqual(["COMM-6-many"]);
    expect(
      ids(fired(customer({ severity: "Sev0" }), [{ kind: "customer-added" }], withCustomers(3))),
    ).toEqual([]);
  });

  it("COMM-6: the promised update is a clock at the promised time, repeated every 15 minutes, only with customers", () => {
    const promised = at(60);
    const due = clocks(
      customer({ severity: "Sev0" }),
      at(10),
      withCustomers(2, at(0), promised),
    ).clocks.filter((c) => c.ruleId === "COMM-6-next-update");
    expect(due.map((c) => c.dueAt)).toEqual([promised]);
    const later = clocks(
      customer({ severity: "Sev0" }),
      at(80),
      withCustomers(2, at(0), promised),
    ).clocks.filter((c) => c.ruleId === "COMM-6-next-update");
    expect(later.map((c) => c.dueAt)).toEqual([at(75)]);
    const none = clocks(customer({ severity: "Sev0" }), at(10), withCustomers(0, at(0), promised)).clocks;
    expect(none.some((c) => c.ruleId === "COMM-6-next-update")).toBe(false);
  });

  it("COMM-6: a Sev0's stages are deadlines; an update before the first-update deadline leaves only the outcome to record", () => {
    const sev0 = customer({ severity: "Sev0" });
    const before = clocks(sev0, at(1), withCustomers(1)).clocks.filter(
      (c) => c.deadline?.name === "first customer update",
    );
    expect(before.map((c) => [c.kind, c.dueAt])).toEqual([
      ["remind", at(20)],
      ["deadline", at(30)],
    ]);
    const sent = clocks(sev0, at(12), withCustomers(1, at(11), at(71))).clocks.filter(
      (c) => c.deadline?.name === "first customer update",
    );
    expect(sent.map((c) => c.kind)).toEqual(["deadline"]);
  });

  it("COMM-6: whatever the count and the promise, the next-update clock falls due at the promise or a multiple of 15 minutes after it", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 0, max: 2000 }),
        (affected, promise, nowMin) => {
          const due = clocks(
            customer({ severity: "Sev0" }),
            at(nowMin),
            withCustomers(affected, at(0), at(promise)),
          )
            .clocks.filter((c) => c.ruleId === "COMM-6-next-update")
            .map((c) => (c.dueAt.getTime() - at(promise).getTime()) / 60_000);
          expect(due).toHaveLength(1);
          expect(due[0]! % 15).toBe(0);
          expect(due[0]).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});
