import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import {
  calendarMemo,
  canMoveIncident,
  componentsUnderMaintenance,
  groupStatus,
  impactOf,
  indicatorSeverity,
  type MaintenanceLike,
  maintenanceStateAt,
  nextIncidentStates,
  overallStatus,
  PARTIAL_OUTAGE_WEIGHT,
  statusSeverity,
  type UptimeBar,
  uptimeBars,
  uptimeCalendar,
  uptimePercent,
  worstStatus,
} from "./model.ts";
import {
  type Component,
  type ComponentStatus,
  componentStatuses,
  incidentStates,
  type MaintenanceState,
  maintenanceStates,
} from "./types.ts";

const utc = (iso: string) => new Date(`${iso}Z`);
const HOUR = 3600;

function component(id: string, status: ComponentStatus, extra: Partial<Component> = {}): Component {
  return {
    id,
    name: id,
    description: null,
    status,
    groupId: null,
    group: false,
    position: 0,
    showcase: true,
    onlyShowIfDegraded: false,
    startDate: null,
    createdAt: utc("2026-01-01T00:00"),
    updatedAt: utc("2026-01-01T00:00"),
    ...extra,
  };
}

const statuses = (...s: ComponentStatus[]) => s.map((st, i) => component(`c${i}`, st));

// -- STAT-2: severity and impact ----------------------------------------------------------------

describe("STAT-2 component severity and incident impact", () => {
  it("STAT-2 orders statuses operational < maintenance < degraded < partial < major", () => {
    const order = [...componentStatuses].sort((a, b) => statusSeverity[a] - statusSeverity[b]);
    expect(order).toEqual([
      "operational",
      "under_maintenance",
      "degraded_performance",
      "partial_outage",
      "major_outage",
    ]);
  });

  it("STAT-2 worstStatus picks the worst, operational when empty", () => {
    expect(worstStatus([])).toBe("operational");
    expect(worstStatus(["operational", "under_maintenance"])).toBe("under_maintenance");
    expect(worstStatus(["under_maintenance", "degraded_performance"])).toBe("degraded_performance");
    expect(worstStatus(["major_outage", "partial_outage", "operational"])).toBe("major_outage");
  });

  it("STAT-2 impactOf maps the worst new status to Statuspage's impact", () => {
    expect(impactOf([])).toBe("none");
    expect(impactOf(["operational"])).toBe("none");
    expect(impactOf(["under_maintenance", "operational"])).toBe("none");
    expect(impactOf(["degraded_performance", "under_maintenance"])).toBe("minor");
    expect(impactOf(["partial_outage", "degraded_performance"])).toBe("major");
    expect(impactOf(["operational", "major_outage", "partial_outage"])).toBe("critical");
  });

  it("STAT-2 impactOf never gets better when a status gets worse (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...componentStatuses), { minLength: 1 }),
        fc.nat(),
        fc.constantFrom(...componentStatuses),
        (list, i, replacement) => {
          const at = i % list.length;
          fc.pre(statusSeverity[replacement] >= statusSeverity[list[at]!]);
          const worse = list.with(at, replacement);
          expect(indicatorSeverity[impactOf(worse)]).toBeGreaterThanOrEqual(
            indicatorSeverity[impactOf(list)],
          );
        },
      ),
    );
  });
});

// -- STAT-3: overall status ---------------------------------------------------------------------

describe("STAT-3 overall status", () => {
  const no = { securityIssue: false };

  it("STAT-3 all operational (or no components) is All Systems Operational", () => {
    expect(overallStatus([], no)).toEqual({ indicator: "none", description: "All Systems Operational" });
    expect(overallStatus(statuses("operational", "operational"), no)).toEqual({
      indicator: "none",
      description: "All Systems Operational",
    });
  });

  it("STAT-3 the worst component decides", () => {
    expect(overallStatus(statuses("operational", "degraded_performance"), no)).toEqual({
      indicator: "minor",
      description: "Degraded Performance",
    });
    expect(
      overallStatus(statuses("degraded_performance", "partial_outage", "under_maintenance"), no),
    ).toEqual({
      indicator: "major",
      description: "Partial Service Disruption",
    });
    expect(overallStatus(statuses("partial_outage", "major_outage", "operational"), no)).toEqual({
      indicator: "critical",
      description: "Service Disruption",
    });
  });

  it("STAT-3 maintenance only shows when nothing is degraded", () => {
    expect(overallStatus(statuses("operational", "under_maintenance"), no)).toEqual({
      indicator: "maintenance",
      description: "Under Maintenance",
    });
    expect(overallStatus(statuses("under_maintenance", "degraded_performance"), no)).toEqual({
      indicator: "minor",
      description: "Degraded Performance",
    });
  });

  it("STAT-3 a security issue wins the description and raises the indicator to at least major", () => {
    const sec = { securityIssue: true };
    expect(overallStatus(statuses("operational"), sec)).toEqual({
      indicator: "major",
      description: "Security Issue",
    });
    expect(overallStatus(statuses("under_maintenance"), sec)).toEqual({
      indicator: "major",
      description: "Security Issue",
    });
    expect(overallStatus(statuses("degraded_performance"), sec)).toEqual({
      indicator: "major",
      description: "Security Issue",
    });
    expect(overallStatus(statuses("partial_outage"), sec)).toEqual({
      indicator: "major",
      description: "Security Issue",
    });
    expect(overallStatus(statuses("major_outage"), sec)).toEqual({
      indicator: "critical",
      description: "Security Issue",
    });
  });

  it("STAT-3 a group's stored status is ignored; its members count", () => {
    const comps = [
      component("g", "major_outage", { group: true }),
      component("a", "operational", { groupId: "g" }),
      component("b", "degraded_performance", { groupId: "g" }),
    ];
    expect(overallStatus(comps, no).indicator).toBe("minor");
  });

  it("STAT-3 groupStatus is the worst of the group's members", () => {
    const g = component("g", "operational", { group: true });
    const comps = [
      g,
      component("a", "under_maintenance", { groupId: "g" }),
      component("b", "operational", { groupId: "g" }),
      component("c", "major_outage", { groupId: "other" }),
      component("d", "major_outage"),
    ];
    expect(groupStatus(g, comps)).toBe("under_maintenance");
    expect(groupStatus(g, [...comps, component("e", "partial_outage", { groupId: "g" })])).toBe(
      "partial_outage",
    );
    expect(groupStatus(component("empty", "major_outage", { group: true }), comps)).toBe("operational");
  });

  const arbComponents = fc.array(
    fc.record({ status: fc.constantFrom(...componentStatuses), group: fc.boolean() }),
    { maxLength: 12 },
  );

  it("STAT-3 making any component worse never makes the indicator better (property)", () => {
    fc.assert(
      fc.property(
        arbComponents,
        fc.nat(),
        fc.constantFrom(...componentStatuses),
        fc.boolean(),
        (comps, i, replacement, securityIssue) => {
          fc.pre(comps.length > 0);
          const at = i % comps.length;
          fc.pre(statusSeverity[replacement] >= statusSeverity[comps[at]!.status]);
          const worse = comps.with(at, { ...comps[at]!, status: replacement });
          const before = overallStatus(comps, { securityIssue });
          const after = overallStatus(worse, { securityIssue });
          expect(indicatorSeverity[after.indicator]).toBeGreaterThanOrEqual(
            indicatorSeverity[before.indicator],
          );
        },
      ),
    );
  });

  it("STAT-3 publishing a security issue never makes the indicator better (property)", () => {
    fc.assert(
      fc.property(arbComponents, (comps) => {
        const without = overallStatus(comps, { securityIssue: false });
        const withIt = overallStatus(comps, { securityIssue: true });
        expect(withIt.description).toBe("Security Issue");
        expect(indicatorSeverity[withIt.indicator]).toBeGreaterThanOrEqual(
          Math.max(indicatorSeverity[without.indicator], indicatorSeverity.major),
        );
      }),
    );
  });
});

// -- STAT-1: incident workflow ------------------------------------------------------------------

describe("STAT-1 incident workflow", () => {
  it("STAT-1 open states move to any other open state or to resolved", () => {
    expect(nextIncidentStates("investigating")).toEqual(["identified", "monitoring", "resolved"]);
    expect(nextIncidentStates("identified")).toEqual(["investigating", "monitoring", "resolved"]);
    expect(nextIncidentStates("monitoring")).toEqual(["investigating", "identified", "resolved"]);
  });

  it("STAT-1 resolved is final", () => {
    expect(nextIncidentStates("resolved")).toEqual([]);
    for (const s of incidentStates) expect(canMoveIncident("resolved", s)).toBe(false);
  });

  it("STAT-1 staying in the same state is not a transition, and every open state can resolve", () => {
    for (const s of incidentStates) {
      expect(canMoveIncident(s, s)).toBe(false);
      if (s !== "resolved") expect(canMoveIncident(s, "resolved")).toBe(true);
    }
  });
});

// -- scheduled maintenance ----------------------------------------------------------------------

describe("scheduled maintenance moves itself along its window", () => {
  const window = (status: MaintenanceState) => ({
    scheduledFor: utc("2026-05-10T02:00"),
    scheduledUntil: utc("2026-05-10T04:00"),
    status,
  });

  it("is scheduled before, in progress inside, completed after the window", () => {
    expect(maintenanceStateAt(window("scheduled"), utc("2026-05-10T01:59:59.999"))).toBe("scheduled");
    expect(maintenanceStateAt(window("scheduled"), utc("2026-05-10T02:00"))).toBe("in_progress");
    expect(maintenanceStateAt(window("scheduled"), utc("2026-05-10T03:59:59.999"))).toBe("in_progress");
    expect(maintenanceStateAt(window("scheduled"), utc("2026-05-10T04:00"))).toBe("completed");
    expect(maintenanceStateAt(window("in_progress"), utc("2026-05-11T00:00"))).toBe("completed");
  });

  it("keeps what a person set: verifying and completed inside the window, an early start before it", () => {
    expect(maintenanceStateAt(window("verifying"), utc("2026-05-10T03:00"))).toBe("verifying");
    expect(maintenanceStateAt(window("completed"), utc("2026-05-10T03:00"))).toBe("completed");
    expect(maintenanceStateAt(window("completed"), utc("2026-05-09T00:00"))).toBe("completed");
    expect(maintenanceStateAt(window("in_progress"), utc("2026-05-10T01:00"))).toBe("in_progress");
    expect(maintenanceStateAt(window("verifying"), utc("2026-05-10T05:00"))).toBe("completed");
  });

  it("only moves forward as time passes (property)", () => {
    const order = (s: MaintenanceState) => maintenanceStates.indexOf(s);
    const t0 = utc("2026-05-01T00:00").getTime();
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
        fc.integer({ min: 0, max: 3 * 86_400_000 }),
        fc.constantFrom(...maintenanceStates),
        fc.integer({ min: -86_400_000, max: 12 * 86_400_000 }),
        fc.integer({ min: 0, max: 86_400_000 }),
        (start, length, status, t, dt) => {
          const m = {
            scheduledFor: new Date(t0 + start),
            scheduledUntil: new Date(t0 + start + length),
            status,
          };
          const a = maintenanceStateAt(m, new Date(t0 + t));
          const b = maintenanceStateAt(m, new Date(t0 + t + dt));
          expect(order(b)).toBeGreaterThanOrEqual(order(a));
          expect(order(a)).toBeGreaterThanOrEqual(order(status));
        },
      ),
    );
  });

  it("lists the components of in-progress and verifying maintenances, once each, sorted", () => {
    const m = (
      status: MaintenanceLike["status"],
      from: string,
      until: string,
      ids: string[],
    ): MaintenanceLike => ({
      scheduledFor: utc(from),
      scheduledUntil: utc(until),
      status,
      components: ids.map((id) => ({ id })),
    });
    const list: MaintenanceLike[] = [
      m("scheduled", "2026-05-10T02:00", "2026-05-10T04:00", ["db", "api"]), // in progress by now
      m("verifying", "2026-05-10T01:00", "2026-05-10T05:00", ["api", "web"]),
      m("completed", "2026-05-10T01:00", "2026-05-10T05:00", ["done"]), // a person completed it
      m("scheduled", "2026-05-10T04:00", "2026-05-10T06:00", ["later"]),
      m("scheduled", "2026-05-09T01:00", "2026-05-09T02:00", ["past"]),
      m("investigating", "2026-05-10T01:00", "2026-05-10T05:00", ["incident"]), // not a maintenance
      { scheduledFor: null, scheduledUntil: null, status: "in_progress", components: [{ id: "nowindow" }] },
    ];
    expect(componentsUnderMaintenance(list, utc("2026-05-10T03:00"))).toEqual(["api", "db", "web"]);
    expect(componentsUnderMaintenance(list, utc("2026-05-10T04:30"))).toEqual(["api", "later", "web"]);
    expect(componentsUnderMaintenance([], utc("2026-05-10T04:30"))).toEqual([]);
  });
});

// -- uptime bars --------------------------------------------------------------------------------

describe("uptime bars", () => {
  const change = (status: ComponentStatus, at: string) => ({ componentId: "c", status, at: utc(at) });
  const byDate = (bars: UptimeBar[]) => new Map(bars.map((b) => [b.date, b]));

  it("has one bar per local day, oldest first, ending today in the page's time zone", () => {
    // 2026-06-15 02:00 UTC is still the 14th in New York (22:00 EDT).
    const bars = uptimeBars([], {
      now: utc("2026-06-15T02:00"),
      days: 3,
      timeZone: "America/New_York",
      initial: "operational",
    });
    expect(bars.map((b) => b.date)).toEqual(["2026-06-12", "2026-06-13", "2026-06-14"]);
    expect(bars.map((b) => b.seconds)).toEqual([24 * HOUR, 24 * HOUR, 22 * HOUR]);
    expect(bars.every((b) => b.uptime === 1 && b.worst === "operational" && !b.noData)).toBe(true);
  });

  it("defaults to 90 days", () => {
    const bars = uptimeBars([], { now: utc("2026-06-15T12:00"), timeZone: "UTC", initial: "operational" });
    expect(bars).toHaveLength(90);
    expect(bars[0]!.date).toBe("2026-03-18");
    expect(bars[89]!.date).toBe("2026-06-15");
  });

  it("counts a major outage fully and a partial outage at 30%; degraded and maintenance are up", () => {
    const history = [
      change("major_outage", "2026-06-10T06:00"), // 2 h major
      change("partial_outage", "2026-06-10T08:00"), // 10 h partial
      change("degraded_performance", "2026-06-10T18:00"), // 6 h degraded, into the next day
      change("under_maintenance", "2026-06-11T00:00"),
      change("operational", "2026-06-11T02:00"),
    ];
    const bars = byDate(
      uptimeBars(history, { now: utc("2026-06-12T12:00"), days: 4, timeZone: "UTC", initial: "operational" }),
    );
    const d10 = bars.get("2026-06-10")!;
    expect(d10.majorOutageSeconds).toBe(2 * HOUR);
    expect(d10.partialOutageSeconds).toBe(10 * HOUR);
    expect(d10.uptime).toBeCloseTo(1 - (2 + 0.3 * 10) / 24, 12);
    expect(d10.worst).toBe("major_outage");
    const d11 = bars.get("2026-06-11")!;
    expect(d11).toMatchObject({
      uptime: 1,
      worst: "under_maintenance",
      majorOutageSeconds: 0,
      partialOutageSeconds: 0,
    });
    expect(bars.get("2026-06-09")).toMatchObject({ uptime: 1, worst: "operational" });
    expect(PARTIAL_OUTAGE_WEIGHT).toBe(0.3);
  });

  it("uses the initial status until the first change, and the status in force carries across days", () => {
    const bars = uptimeBars([change("operational", "2026-06-11T06:00")], {
      now: utc("2026-06-12T06:00"),
      days: 3,
      timeZone: "UTC",
      initial: "major_outage",
    });
    expect(bars.map((b) => b.majorOutageSeconds)).toEqual([24 * HOUR, 6 * HOUR, 0]);
    expect(bars.map((b) => b.uptime)).toEqual([0, 0.75, 1]);
    expect(bars.map((b) => b.worst)).toEqual(["major_outage", "major_outage", "operational"]);
  });

  it("counts today only up to now", () => {
    const bars = uptimeBars([change("partial_outage", "2026-06-12T03:00")], {
      now: utc("2026-06-12T04:00"),
      days: 1,
      timeZone: "UTC",
      initial: "operational",
    });
    expect(bars).toEqual([
      {
        date: "2026-06-12",
        uptime: 1 - 0.3 / 4,
        worst: "partial_outage",
        partialOutageSeconds: HOUR,
        majorOutageSeconds: 0,
        seconds: 4 * HOUR,
        noData: false,
      },
    ]);
  });

  it("ignores changes after now, and a status overridden at the same instant", () => {
    const bars = uptimeBars(
      [
        change("major_outage", "2026-06-12T05:00"),
        change("operational", "2026-06-12T05:00"), // same instant: the last one listed holds
        change("major_outage", "2026-06-12T09:00"), // after now
      ],
      { now: utc("2026-06-12T08:00"), days: 1, timeZone: "UTC", initial: "operational" },
    );
    expect(bars[0]).toMatchObject({ uptime: 1, worst: "operational", majorOutageSeconds: 0 });
  });

  it("accepts the history in any order", () => {
    const history = [
      change("operational", "2026-06-11T10:00"),
      change("major_outage", "2026-06-11T09:00"),
      change("partial_outage", "2026-06-10T23:00"),
    ];
    const opts = { now: utc("2026-06-12T00:00"), days: 3, timeZone: "UTC", initial: "operational" as const };
    const sorted = [...history].sort((a, b) => a.at.getTime() - b.at.getTime());
    expect(uptimeBars(history, opts)).toEqual(uptimeBars(sorted, opts));
    expect(byDate(uptimeBars(history, opts)).get("2026-06-11")).toMatchObject({
      partialOutageSeconds: 9 * HOUR,
      majorOutageSeconds: HOUR,
    });
  });

  it("marks the days before the component's start date as no data", () => {
    const bars = uptimeBars([], {
      now: utc("2026-06-12T12:00"),
      days: 4,
      timeZone: "UTC",
      startDate: "2026-06-11",
      initial: "major_outage",
    });
    expect(bars.map((b) => [b.date, b.noData])).toEqual([
      ["2026-06-09", true],
      ["2026-06-10", true],
      ["2026-06-11", false],
      ["2026-06-12", false],
    ]);
    expect(bars[0]).toMatchObject({ uptime: 1, worst: "operational", seconds: 0, majorOutageSeconds: 0 });
    expect(bars[2]!.majorOutageSeconds).toBe(24 * HOUR);
    expect(uptimePercent(bars)).toBe(0);
  });

  it("splits days at local midnight, not UTC midnight", () => {
    // An outage 2026-06-10 20:00–23:00 UTC is 22:00–01:00 in Berlin (CEST, UTC+2): 2 h + 1 h.
    const bars = byDate(
      uptimeBars([change("major_outage", "2026-06-10T20:00"), change("operational", "2026-06-10T23:00")], {
        now: utc("2026-06-12T12:00"),
        days: 3,
        timeZone: "Europe/Berlin",
        initial: "operational",
      }),
    );
    expect(bars.get("2026-06-10")!.majorOutageSeconds).toBe(2 * HOUR);
    expect(bars.get("2026-06-11")!.majorOutageSeconds).toBe(1 * HOUR);
  });

  // Expectations written out by hand, not recomputed with luxon.
  it("has a 23-hour day when clocks spring forward and a 25-hour day when they fall back (DST)", () => {
    const spring = byDate(
      uptimeBars([], {
        now: utc("2026-03-10T12:00"),
        days: 4,
        timeZone: "America/New_York",
        initial: "operational",
      }),
    );
    expect(spring.get("2026-03-07")!.seconds).toBe(24 * HOUR);
    expect(spring.get("2026-03-08")!.seconds).toBe(23 * HOUR);
    expect(spring.get("2026-03-09")!.seconds).toBe(24 * HOUR);

    const fall = byDate(
      uptimeBars([], {
        now: utc("2026-10-27T12:00"),
        days: 4,
        timeZone: "Europe/Berlin",
        initial: "operational",
      }),
    );
    expect(fall.get("2026-10-25")!.seconds).toBe(25 * HOUR);
    expect(fall.get("2026-10-26")!.seconds).toBe(24 * HOUR);
  });

  it("weighs an outage against the real length of a DST day", () => {
    // New York 2026-03-08 runs from 05:00 UTC (EST) to 04:00 UTC next day (EDT): 23 hours.
    // A full-day major outage is 23 hours of downtime, and uptime 0, not 1/24.
    const history = [change("major_outage", "2026-03-08T05:00"), change("operational", "2026-03-09T04:00")];
    const bars = byDate(
      uptimeBars(history, {
        now: utc("2026-03-10T12:00"),
        days: 4,
        timeZone: "America/New_York",
        initial: "operational",
      }),
    );
    expect(bars.get("2026-03-08")).toMatchObject({
      majorOutageSeconds: 23 * HOUR,
      uptime: 0,
      seconds: 23 * HOUR,
    });
    expect(bars.get("2026-03-07")).toMatchObject({ majorOutageSeconds: 0, uptime: 1 });
    expect(bars.get("2026-03-09")).toMatchObject({ majorOutageSeconds: 0, uptime: 1 });

    // Berlin fall back 2026-10-25: 22:00 UTC on the 24th to 23:00 UTC on the 25th, 25 hours.
    // Five hours of partial outage on it: 1 − 0.3 × 5 / 25.
    const fall = uptimeBars(
      [change("partial_outage", "2026-10-25T00:00"), change("operational", "2026-10-25T05:00")],
      {
        now: utc("2026-10-26T12:00"),
        days: 2,
        timeZone: "Europe/Berlin",
        initial: "operational",
      },
    );
    expect(fall[0]).toMatchObject({ date: "2026-10-25", partialOutageSeconds: 5 * HOUR, seconds: 25 * HOUR });
    expect(fall[0]!.uptime).toBeCloseTo(1 - (0.3 * 5) / 25, 12);
  });

  it("handles a zone whose clocks skip midnight (America/Santiago, 2024-09-08 starts at 01:00)", () => {
    // 2024-09-07 00:00 -04 = 04:00 UTC; 2024-09-08 01:00 -03 = 04:00 UTC; 2024-09-09 00:00 -03 = 03:00 UTC.
    const bars = uptimeBars([], {
      now: utc("2024-09-09T15:00"),
      days: 3,
      timeZone: "America/Santiago",
      initial: "operational",
    });
    expect(bars.map((b) => [b.date, b.seconds])).toEqual([
      ["2024-09-07", 24 * HOUR],
      ["2024-09-08", 23 * HOUR],
      ["2024-09-09", 12 * HOUR],
    ]);
  });

  it("returns no bars for zero days and rejects a bad day count or an unknown time zone", () => {
    const now = utc("2026-06-12T12:00");
    expect(uptimeBars([], { now, days: 0, timeZone: "UTC", initial: "operational" })).toEqual([]);
    expect(() => uptimeBars([], { now, days: -1, timeZone: "UTC", initial: "operational" })).toThrow(
      RangeError,
    );
    expect(() => uptimeBars([], { now, days: 1.5, timeZone: "UTC", initial: "operational" })).toThrow(
      RangeError,
    );
    expect(() => uptimeBars([], { now, timeZone: "Mars/Olympus", initial: "operational" })).toThrow(
      RangeError,
    );
  });

  it("uptimePercent weighs days by their length and leaves out no-data days", () => {
    const bar = (uptime: number, seconds: number, noData = false) => ({ uptime, seconds, noData });
    expect(uptimePercent([])).toBeNull();
    expect(uptimePercent([bar(1, 0, true), bar(1, 0, true)])).toBeNull();
    expect(uptimePercent([bar(1, 0, true), bar(0.5, 86_400), bar(1, 86_400)])).toBe(75);
    // Today's 6 hours weigh a quarter of a full day.
    expect(uptimePercent([bar(1, 86_400), bar(0, 21_600)])).toBe(80);
  });

  // -- properties --

  const zones = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "Pacific/Chatham",
  ];
  const T0 = utc("2024-01-01T00:00").getTime();
  const T1 = utc("2027-12-31T00:00").getTime();
  const DAY_MS = 86_400_000;

  const arbCase = fc
    .record({
      now: fc.integer({ min: T0, max: T1 }),
      days: fc.integer({ min: 1, max: 100 }),
      timeZone: fc.constantFrom(...zones),
      initial: fc.constantFrom(...componentStatuses),
      startBack: fc.option(fc.integer({ min: -3, max: 110 }), { nil: null }),
      changes: fc.array(
        fc.record({
          back: fc.integer({ min: -DAY_MS, max: 105 * DAY_MS }),
          status: fc.constantFrom(...componentStatuses),
        }),
        { maxLength: 30 },
      ),
    })
    .map((c) => {
      const now = new Date(c.now);
      const today = DateTime.fromJSDate(now, { zone: c.timeZone });
      const startDate = c.startBack === null ? null : today.minus({ days: c.startBack }).toISODate()!;
      const history = c.changes.map((x) => ({
        componentId: "c",
        status: x.status,
        at: new Date(c.now - x.back),
      }));
      return { now, days: c.days, timeZone: c.timeZone, initial: c.initial, startDate, history };
    });

  /** Outage time (ms) overlapping [from, to), straight from the history, without days. */
  function outageOverlap(
    history: { status: ComponentStatus; at: Date }[],
    initial: ComponentStatus,
    from: number,
    to: number,
  ) {
    const sorted = history
      .map((h, i) => ({ ...h, i }))
      .sort((a, b) => a.at.getTime() - b.at.getTime() || a.i - b.i);
    const points = [
      { t: Number.NEGATIVE_INFINITY, status: initial },
      ...sorted.map((h) => ({ t: h.at.getTime(), status: h.status })),
    ];
    let partial = 0;
    let major = 0;
    points.forEach((p, k) => {
      const end = points[k + 1]?.t ?? Number.POSITIVE_INFINITY;
      const overlap = Math.max(0, Math.min(end, to) - Math.max(p.t, from));
      if (p.status === "partial_outage") partial += overlap;
      if (p.status === "major_outage") major += overlap;
    });
    return { partial, major };
  }

  it("has exactly `days` consecutive bars ending today, uptime within [0, 1] (property)", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const bars = uptimeBars(c.history, c);
        expect(bars).toHaveLength(c.days);
        expect(bars.at(-1)!.date).toBe(DateTime.fromJSDate(c.now, { zone: c.timeZone }).toISODate());
        for (const [k, b] of bars.entries()) {
          expect(b.uptime).toBeGreaterThanOrEqual(0);
          expect(b.uptime).toBeLessThanOrEqual(1);
          expect(b.noData).toBe(c.startDate !== null && b.date < c.startDate);
          if (k > 0) {
            const prev = DateTime.fromISO(bars[k - 1]!.date, { zone: "UTC" });
            expect(b.date).toBe(prev.plus({ days: 1 }).toISODate());
          }
          // Full days are 23 to 25 hours (Lord Howe shifts by 30 minutes).
          if (!b.noData && k < bars.length - 1) {
            expect(b.seconds).toBeGreaterThanOrEqual(23 * HOUR);
            expect(b.seconds).toBeLessThanOrEqual(25 * HOUR);
          }
        }
        const pct = uptimePercent(bars);
        if (pct !== null) {
          expect(pct).toBeGreaterThanOrEqual(0);
          expect(pct).toBeLessThanOrEqual(100);
        }
      }),
    );
  });

  it("the calendar's days tile the window: each ends where the next starts, today ends now (property)", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const calendar = uptimeCalendar(c.now, c.timeZone, c.days);
        expect(calendar).toHaveLength(c.days);
        for (const [k, d] of calendar.entries()) {
          expect(DateTime.fromMillis(d.start, { zone: c.timeZone }).toISODate()).toBe(d.date);
          expect(d.end).toBeGreaterThanOrEqual(d.start);
          if (k < calendar.length - 1) expect(d.end).toBe(calendar[k + 1]!.start);
        }
        expect(calendar.at(-1)!.end).toBe(c.now.getTime());
      }),
    );
  });

  it("the calendar kept for a day is the calendar computed afresh, whatever the order of nows (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata"),
        fc.array(fc.integer({ min: 0, max: 6 * 24 * 60 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 40 }),
        (timeZone, minutes, days) => {
          const calendar = calendarMemo();
          // Minutes after 2026-03-27 (across Berlin's and New York's DST days), in any order.
          for (const m of minutes) {
            const now = new Date(Date.UTC(2026, 2, 27) + m * 60_000);
            expect(calendar(now, timeZone, days)).toEqual(uptimeCalendar(now, timeZone, days));
          }
        },
      ),
    );
  });

  it("a history of only operational gives uptime 1 every day (property)", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const history = c.history.map((h) => ({ ...h, status: "operational" as const }));
        const bars = uptimeBars(history, { ...c, initial: "operational" });
        expect(bars.every((b) => b.uptime === 1 && b.worst === "operational")).toBe(true);
        expect(bars.every((b) => b.partialOutageSeconds === 0 && b.majorOutageSeconds === 0)).toBe(true);
        const pct = uptimePercent(bars);
        expect(pct === null || pct === 100).toBe(true);
      }),
    );
  });

  it("outage seconds of all bars sum to the outage time overlapping the window (property)", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const bars = uptimeBars(c.history, c);
        const first = bars.find((b) => !b.noData);
        if (!first) return;
        const from = DateTime.fromISO(first.date, { zone: c.timeZone }).toMillis();
        const to = c.now.getTime();
        const want = outageOverlap(c.history, c.initial, from, to);
        const sum = (f: (b: UptimeBar) => number) => bars.reduce((s, b) => s + f(b), 0);
        expect(sum((b) => b.partialOutageSeconds)).toBeCloseTo(want.partial / 1000, 6);
        expect(sum((b) => b.majorOutageSeconds)).toBeCloseTo(want.major / 1000, 6);
        expect(sum((b) => b.seconds)).toBeCloseTo((to - from) / 1000, 6);
      }),
    );
  });

  it("each day's uptime follows the weights and its worst status was in force that day (property)", () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        for (const b of uptimeBars(c.history, c)) {
          if (b.noData || b.seconds === 0) continue;
          const down = b.majorOutageSeconds + PARTIAL_OUTAGE_WEIGHT * b.partialOutageSeconds;
          expect(b.uptime).toBeCloseTo(1 - down / b.seconds, 9);
          if (b.majorOutageSeconds > 0) expect(b.worst).toBe("major_outage");
          else if (b.partialOutageSeconds > 0) expect(b.worst).toBe("partial_outage");
          else expect(["operational", "under_maintenance", "degraded_performance"]).toContain(b.worst);
        }
      }),
    );
  });
});
