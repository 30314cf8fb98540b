/**
 * Status page rules as pure functions: the overall status (STAT-3), component severity and an
 * incident's impact (STAT-2), the public incident workflow (STAT-1), scheduled maintenance moving
 * itself along its window, and the 90-day uptime bars. No I/O and no clock: time is passed in.
 *
 * Decisions where the rules leave room:
 * - Severity of a component status, least to worst: operational < under_maintenance <
 *   degraded_performance < partial_outage < major_outage. Maintenance is planned, so it ranks below
 *   any unplanned degradation when picking the worst, but it is still shown as maintenance (a group
 *   whose members are operational and under maintenance is under maintenance).
 * - Order of the overall indicator, least to worst: none < maintenance < minor < major < critical.
 * - Security issue (STAT-3): when one is published the description is "Security Issue" whatever the
 *   components say, and the indicator is the worse of the components' indicator and "major".
 * - The overall status is derived from non-group components only; a group's own stored status is
 *   ignored (it is the worst of its members, `groupStatus`). No components at all is operational.
 * - Incident workflow (STAT-1): any open state may move to any other open state or to resolved
 *   (Statuspage lets responders go back from monitoring to identified); resolved is final — a
 *   recurrence is a new incident. Posting another update in the same state is not a transition.
 * - Maintenance moves forward only: before its window it keeps its state (scheduled, or a state a
 *   person moved it to early), inside the window [scheduledFor, scheduledUntil) it is at least
 *   in_progress (a person may have set verifying or completed), at or after scheduledUntil it is
 *   completed. Its components are under maintenance while it is in_progress or verifying.
 * - Uptime (Statuspage's weights): a major outage counts fully as downtime, a partial outage 30%,
 *   degraded performance and maintenance count as up. Bars are local calendar days of the page's
 *   time zone (23 or 25 hours on DST days); today counts up to `now` only.
 */
import { DateTime } from "luxon";
import type {
  Component,
  ComponentStatus,
  Impact,
  IncidentState,
  MaintenanceState,
  OverallStatus,
} from "./types.ts";

// -- severity -----------------------------------------------------------------------------------

/** Severity of each status for picking the worst (see the decisions above). */
export const statusSeverity: Readonly<Record<ComponentStatus, number>> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};

/** Severity of each overall indicator: none < maintenance < minor < major < critical. */
export const indicatorSeverity: Readonly<Record<Impact, number>> = {
  none: 0,
  maintenance: 1,
  minor: 2,
  major: 3,
  critical: 4,
};

/** The worst of `statuses` by `statusSeverity`; operational when there are none. */
export function worstStatus(statuses: Iterable<ComponentStatus>): ComponentStatus {
  let worst: ComponentStatus = "operational";
  for (const s of statuses) if (statusSeverity[s] > statusSeverity[worst]) worst = s;
  return worst;
}

/** Whether status `a` is worse than status `b`. */
export const isWorse = (a: ComponentStatus, b: ComponentStatus): boolean =>
  statusSeverity[a] > statusSeverity[b];

/**
 * An incident's impact from its affected components' new statuses, in Statuspage's meaning:
 * none (nothing, or only maintenance), minor (degraded performance), major (partial outage),
 * critical (full outage). It never returns "maintenance": that is a scheduled maintenance's impact.
 */
export function impactOf(statuses: Iterable<ComponentStatus>): Impact {
  switch (worstStatus(statuses)) {
    case "major_outage":
      return "critical";
    case "partial_outage":
      return "major";
    case "degraded_performance":
      return "minor";
    default:
      return "none";
  }
}

// -- overall status (STAT-3) --------------------------------------------------------------------

export const OVERALL_DESCRIPTIONS = {
  none: "All Systems Operational",
  maintenance: "Under Maintenance",
  minor: "Degraded Performance",
  major: "Partial Service Disruption",
  critical: "Service Disruption",
  security: "Security Issue",
} as const;

const indicatorOf: Readonly<Record<ComponentStatus, Impact>> = {
  operational: "none",
  under_maintenance: "maintenance",
  degraded_performance: "minor",
  partial_outage: "major",
  major_outage: "critical",
};

/** The worse of two indicators. */
export const worseIndicator = (a: Impact, b: Impact): Impact =>
  indicatorSeverity[a] >= indicatorSeverity[b] ? a : b;

/**
 * STAT-3: the page's overall status from its non-group components' statuses; a published security
 * issue takes the description and raises the indicator to at least "major".
 */
export function overallStatus(
  components: readonly Pick<Component, "status" | "group">[],
  opts: { securityIssue: boolean },
): OverallStatus {
  const worst = worstStatus(components.filter((c) => !c.group).map((c) => c.status));
  const indicator = indicatorOf[worst];
  if (opts.securityIssue) {
    return { indicator: worseIndicator(indicator, "major"), description: OVERALL_DESCRIPTIONS.security };
  }
  return { indicator, description: OVERALL_DESCRIPTIONS[indicator] };
}

/** A group's status: the worst of its (non-group) members'; operational when it has none. */
export function groupStatus(
  group: Pick<Component, "id">,
  components: readonly Pick<Component, "status" | "group" | "groupId">[],
): ComponentStatus {
  return worstStatus(components.filter((c) => !c.group && c.groupId === group.id).map((c) => c.status));
}

// -- incident workflow (STAT-1) -----------------------------------------------------------------

const openIncidentStates: readonly IncidentState[] = ["investigating", "identified", "monitoring"];

/** Whether a public incident in this state is still open (shown as unresolved). */
export const isOpenIncidentState = (state: IncidentState): boolean => state !== "resolved";

/** STAT-1: the states a public incident may move to from `state`; none once resolved. */
export function nextIncidentStates(state: IncidentState): IncidentState[] {
  if (state === "resolved") return [];
  return [...openIncidentStates.filter((s) => s !== state), "resolved"];
}

/** Whether `from → to` is a transition (an update that keeps the state is not one). */
export const canMoveIncident = (from: IncidentState, to: IncidentState): boolean =>
  nextIncidentStates(from).includes(to);

// -- scheduled maintenance ----------------------------------------------------------------------

const maintenanceOrder: Readonly<Record<MaintenanceState, number>> = {
  scheduled: 0,
  in_progress: 1,
  verifying: 2,
  completed: 3,
};

const laterMaintenanceState = (a: MaintenanceState, b: MaintenanceState): MaintenanceState =>
  maintenanceOrder[a] >= maintenanceOrder[b] ? a : b;

export type MaintenanceWindow = { scheduledFor: Date; scheduledUntil: Date; status: MaintenanceState };

/**
 * A maintenance's state at `now`: it only moves forward. Before the window it keeps its state;
 * inside [scheduledFor, scheduledUntil) it is at least in_progress; from scheduledUntil on it is
 * completed.
 */
export function maintenanceStateAt(m: MaintenanceWindow, now: Date): MaintenanceState {
  const t = now.getTime();
  if (t >= m.scheduledUntil.getTime()) return "completed";
  if (t >= m.scheduledFor.getTime()) return laterMaintenanceState(m.status, "in_progress");
  return m.status;
}

const isMaintenanceState = (s: string): s is MaintenanceState => Object.hasOwn(maintenanceOrder, s);

/** A maintenance as the snapshot holds it (a `PublicIncident` fits). */
export type MaintenanceLike = {
  scheduledFor: Date | null;
  scheduledUntil: Date | null;
  status: IncidentState | MaintenanceState;
  components: readonly { id: string }[];
};

/**
 * Ids (sorted, once each) of the components under a maintenance that is in_progress or verifying
 * at `now`. Entries without a window or with an incident state are not maintenances and are skipped.
 */
export function componentsUnderMaintenance(maintenances: readonly MaintenanceLike[], now: Date): string[] {
  const ids = new Set<string>();
  for (const m of maintenances) {
    if (!m.scheduledFor || !m.scheduledUntil || !isMaintenanceState(m.status)) continue;
    const state = maintenanceStateAt(
      { scheduledFor: m.scheduledFor, scheduledUntil: m.scheduledUntil, status: m.status },
      now,
    );
    if (state === "in_progress" || state === "verifying") for (const c of m.components) ids.add(c.id);
  }
  return [...ids].sort();
}

// -- uptime -------------------------------------------------------------------------------------

/** Share of a major outage's time that counts as downtime (Statuspage: all of it). */
export const MAJOR_OUTAGE_WEIGHT = 1;
/** Share of a partial outage's time that counts as downtime (Statuspage: 30%). */
export const PARTIAL_OUTAGE_WEIGHT = 0.3;
/** Days of uptime bars a page shows. */
export const UPTIME_DAYS = 90;

export type UptimeBar = {
  /** The local calendar day, YYYY-MM-DD in the page's time zone. */
  date: string;
  /** 0..1: 1 − (major + 0.3 × partial outage time) / `seconds`; 1 on a noData day or an empty span. */
  uptime: number;
  /** The worst status the component had during the day (operational on a noData day). */
  worst: ComponentStatus;
  partialOutageSeconds: number;
  majorOutageSeconds: number;
  /** The length of the day that counts: 82 800, 86 400 or 90 000 s (DST), today up to `now`; 0 when noData. */
  seconds: number;
  /** The day is before the component's start date. */
  noData: boolean;
};

export type UptimeOptions = {
  now: Date;
  /** How many days, today included (default 90). */
  days?: number;
  /** The page's IANA time zone. */
  timeZone: string;
  /** The component's start date (YYYY-MM-DD): earlier days have no data. */
  startDate?: string | null;
  /** The status before the first change. */
  initial: ComponentStatus;
  /**
   * The window's days from `uptimeCalendar(now, timeZone, days)`: a page computes them once for
   * all its components (the time zone arithmetic is most of the cost of a bar chart).
   */
  calendar?: readonly UptimeDay[];
};

/** A local calendar day: its date and its bounds in epoch milliseconds (today's end is now). */
export type UptimeDay = { date: string; start: number; end: number };

type Segment = { from: number; status: ComponentStatus };

/**
 * The last `days` local calendar days, oldest first, ending today. Throws a RangeError for an
 * unknown time zone or a bad day count.
 */
export function uptimeCalendar(now: Date, timeZone: string, days: number = UPTIME_DAYS): UptimeDay[] {
  if (!Number.isInteger(days) || days < 0)
    throw new RangeError(`uptime days must be a whole number ≥ 0: ${days}`);
  const today = DateTime.fromJSDate(now, { zone: timeZone });
  if (!today.isValid) throw new RangeError(`unknown time zone: ${timeZone}`);
  const todayDate = today.startOf("day");
  const out: UptimeDay[] = [];
  // Local midnight to the next local midnight (luxon moves a midnight that a DST jump skips to
  // the first instant of the day), today only up to now.
  let nextStart = Math.min(
    DateTime.fromISO(todayDate.plus({ days: 1 }).toISODate()!, { zone: timeZone }).toMillis(),
    now.getTime(),
  );
  for (let back = 0; back < days; back++) {
    const date = todayDate.minus({ days: back }).toISODate()!;
    const start = DateTime.fromISO(date, { zone: timeZone }).toMillis();
    out.push({ date, start, end: Math.min(nextStart, now.getTime()) });
    nextStart = start;
  }
  return out.reverse();
}

/**
 * `uptimeCalendar` computed once per local day: the days' bounds change only at local midnight,
 * and only today's end moves (to `now`). A status page renders again after every publish; the
 * 90 time zone conversions were most of a render.
 */
export function calendarMemo(): (now: Date, timeZone: string, days?: number) => UptimeDay[] {
  const kept = new Map<string, UptimeDay[]>();
  return (now, timeZone, days = UPTIME_DAYS) => {
    const today = DateTime.fromJSDate(now, { zone: timeZone });
    const key = `${timeZone}\u0000${days}\u0000${today.isValid ? today.toISODate() : ""}`;
    const calendar = kept.get(key);
    // A `now` earlier than a kept today's start (a clock set back) computes afresh.
    if (!calendar || (calendar.length > 0 && calendar.at(-1)!.start > now.getTime())) {
      const fresh = uptimeCalendar(now, timeZone, days);
      if (kept.size > 64) kept.clear();
      kept.set(key, fresh);
      return fresh;
    }
    const last = calendar.at(-1);
    return last ? [...calendar.slice(0, -1), { ...last, end: now.getTime() }] : [];
  };
}

/**
 * One bar per local calendar day, oldest first, ending today, from one component's status history
 * (any order; `componentId` is not looked at). Changes at the same instant keep their input order,
 * so the last one listed holds. Throws a RangeError for an unknown time zone or a bad day count.
 */
export function uptimeBars(
  history: readonly { status: ComponentStatus; at: Date }[],
  opts: UptimeOptions,
): UptimeBar[] {
  const calendar = opts.calendar ?? uptimeCalendar(opts.now, opts.timeZone, opts.days ?? UPTIME_DAYS);

  // The status over time: `initial` from the beginning, then each change in time order.
  const changes = history.map((c, i) => ({ at: c.at.getTime(), status: c.status, i }));
  changes.sort((a, b) => a.at - b.at || a.i - b.i);
  const segments: Segment[] = [{ from: Number.NEGATIVE_INFINITY, status: opts.initial }];
  for (const c of changes) segments.push({ from: c.at, status: c.status });

  const bars: UptimeBar[] = [];
  let seg = 0; // index of the segment in force at the start of the current day (days go forward)
  for (const { date, start, end } of calendar) {
    if (opts.startDate && date < opts.startDate) {
      bars.push({
        date,
        uptime: 1,
        worst: "operational",
        partialOutageSeconds: 0,
        majorOutageSeconds: 0,
        seconds: 0,
        noData: true,
      });
      continue;
    }
    while (seg + 1 < segments.length && segments[seg + 1]!.from <= start) seg++;

    let partial = 0;
    let major = 0;
    let worst: ComponentStatus = segments[seg]!.status;
    for (let k = seg; k < segments.length; k++) {
      const s = segments[k]!;
      if (k > seg && s.from >= end) break;
      const from = Math.max(s.from, start);
      const to = Math.min(segments[k + 1]?.from ?? Number.POSITIVE_INFINITY, end);
      const span = Math.max(0, to - from);
      // A status that lasts no time (overridden at the same instant) is not seen.
      if (span > 0 || k === seg) worst = worstStatus([worst, s.status]);
      if (s.status === "partial_outage") partial += span;
      else if (s.status === "major_outage") major += span;
    }
    const length = Math.max(0, end - start);
    const down = MAJOR_OUTAGE_WEIGHT * major + PARTIAL_OUTAGE_WEIGHT * partial;
    bars.push({
      date,
      uptime: length === 0 ? 1 : clamp01(1 - down / length),
      worst,
      partialOutageSeconds: partial / 1000,
      majorOutageSeconds: major / 1000,
      seconds: length / 1000,
      noData: false,
    });
  }
  return bars;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * Uptime over the whole window in percent (0..100), weighted by each day's counted length and
 * leaving out noData days; null when no time was counted at all.
 */
export function uptimePercent(
  bars: readonly Pick<UptimeBar, "uptime" | "seconds" | "noData">[],
): number | null {
  let total = 0;
  let up = 0;
  for (const b of bars) {
    if (b.noData || b.seconds <= 0) continue;
    total += b.seconds;
    up += b.uptime * b.seconds;
  }
  return total === 0 ? null : clamp01(up / total) * 100;
}
