/**
 * Atlassian Statuspage v2 public JSON (`/status/{page}/api/v2/*.json`), presented from a
 * `PageSnapshot`: same paths, same field names, same JSON types, so widgets and aggregators
 * written for Statuspage read Firebreak unchanged. Pure functions: no I/O, no clock.
 *
 * Field lists and their sources are recorded at the top of statuspage-v2.test.ts. Choices where
 * Statuspage leaves room:
 * - Timestamps are ISO 8601 in UTC with milliseconds and `Z` ("2024-09-16T21:31:02.719Z"), as
 *   Statuspage writes them for UTC pages (other pages get the page's offset; both parse alike).
 * - `affected_components` is `null` when an update names no component, as Statuspage does.
 * - An incident's `components` are full component objects with their current status (as in
 *   Statuspage); components no longer on the page are left out.
 * - `deliver_notifications` is true (every published update reaches the subscribers);
 *   `custom_tweet` and `tweet_id` are null (Firebreak does not post to Twitter).
 * - The overall status is passed in (it is derived elsewhere, STAT-3).
 */
import type {
  Component,
  ComponentStatus,
  Impact,
  IncidentState,
  IncidentUpdate,
  MaintenanceState,
  OverallStatus,
  PageSnapshot,
  PublicIncident,
} from "./types.ts";

// -- JSON shapes --------------------------------------------------------------------------------

export type V2Page = { id: string; name: string; url: string; time_zone: string; updated_at: string };
export type V2Status = { indicator: Impact; description: string };

export type V2Component = {
  id: string;
  name: string;
  status: ComponentStatus;
  created_at: string;
  updated_at: string;
  position: number;
  description: string | null;
  showcase: boolean;
  start_date: string | null;
  group_id: string | null;
  page_id: string;
  group: boolean;
  only_show_if_degraded: boolean;
  /** Groups only: the ids of the group's components, in position order. */
  components?: string[];
};

export type V2AffectedComponent = {
  code: string;
  name: string;
  old_status: ComponentStatus;
  new_status: ComponentStatus;
};

export type V2IncidentUpdate = {
  id: string;
  status: IncidentState | MaintenanceState;
  body: string;
  incident_id: string;
  created_at: string;
  updated_at: string;
  display_at: string;
  affected_components: V2AffectedComponent[] | null;
  deliver_notifications: boolean;
  custom_tweet: string | null;
  tweet_id: string | null;
};

export type V2Incident = {
  id: string;
  name: string;
  status: IncidentState | MaintenanceState;
  created_at: string;
  updated_at: string;
  monitoring_at: string | null;
  resolved_at: string | null;
  impact: Impact;
  shortlink: string;
  started_at: string;
  page_id: string;
  incident_updates: V2IncidentUpdate[];
  components: V2Component[];
};

export type V2ScheduledMaintenance = V2Incident & {
  scheduled_for: string | null;
  scheduled_until: string | null;
};

export type V2StatusResponse = { page: V2Page; status: V2Status };
export type V2ComponentsResponse = { page: V2Page; components: V2Component[] };
export type V2IncidentsResponse = { page: V2Page; incidents: V2Incident[] };
export type V2ScheduledMaintenancesResponse = {
  page: V2Page;
  scheduled_maintenances: V2ScheduledMaintenance[];
};
export type V2SummaryResponse = {
  page: V2Page;
  components: V2Component[];
  incidents: V2Incident[];
  scheduled_maintenances: V2ScheduledMaintenance[];
  status: V2Status;
};

/** `incidents.json` and `scheduled-maintenances.json` list at most this many (as Statuspage). */
export const RECENT_LIMIT = 50;

const unresolvedStates: ReadonlySet<string> = new Set<IncidentState>([
  "investigating",
  "identified",
  "monitoring",
]);
const upcomingStates: ReadonlySet<string> = new Set<MaintenanceState>(["scheduled"]);
const activeStates: ReadonlySet<string> = new Set<MaintenanceState>(["in_progress", "verifying"]);

// -- endpoints ----------------------------------------------------------------------------------

/** `status.json`: the page and its overall status. */
export function statusJson(s: PageSnapshot, overall: OverallStatus): V2StatusResponse {
  return { page: pageJson(s), status: statusObject(overall) };
}

/** `components.json`: every component and group, by position. */
export function componentsJson(s: PageSnapshot): V2ComponentsResponse {
  return { page: pageJson(s), components: componentList(s) };
}

/**
 * `incidents.json`: the 50 most recent incidents, newest first. Like Statuspage's it includes every
 * unresolved incident: one older than the 50 most recent takes the place of the oldest resolved one.
 */
export function incidentsJson(s: PageSnapshot): V2IncidentsResponse {
  const recent = mostRecent(s.incidents, (i) => unresolvedStates.has(i.status), byNewest);
  return { page: pageJson(s), incidents: recent.map((i) => incidentObject(s, i)) };
}

/** `incidents/unresolved.json`: incidents in Investigating, Identified or Monitoring, newest first. */
export function unresolvedIncidentsJson(s: PageSnapshot): V2IncidentsResponse {
  return { page: pageJson(s), incidents: unresolved(s).map((i) => incidentObject(s, i)) };
}

/**
 * `scheduled-maintenances.json`: the 50 most recent maintenances (latest window first), including
 * every upcoming or active one, as `incidents.json` includes every unresolved incident.
 */
export function scheduledMaintenancesJson(s: PageSnapshot): V2ScheduledMaintenancesResponse {
  const open = (m: PublicIncident) => upcomingStates.has(m.status) || activeStates.has(m.status);
  const recent = mostRecent(s.maintenances, open, byLatestWindow);
  return { page: pageJson(s), scheduled_maintenances: recent.map((m) => maintenanceObject(s, m)) };
}

/** `scheduled-maintenances/upcoming.json`: maintenances still Scheduled, soonest first. */
export function upcomingMaintenancesJson(s: PageSnapshot): V2ScheduledMaintenancesResponse {
  return { page: pageJson(s), scheduled_maintenances: upcoming(s).map((m) => maintenanceObject(s, m)) };
}

/** `scheduled-maintenances/active.json`: maintenances In Progress or Verifying, earliest first. */
export function activeMaintenancesJson(s: PageSnapshot): V2ScheduledMaintenancesResponse {
  return { page: pageJson(s), scheduled_maintenances: active(s).map((m) => maintenanceObject(s, m)) };
}

/**
 * `summary.json`: the page, its components, the unresolved incidents, the active and upcoming
 * maintenances (active first) and the overall status.
 */
export function summaryJson(s: PageSnapshot, overall: OverallStatus): V2SummaryResponse {
  return {
    page: pageJson(s),
    components: componentList(s),
    incidents: unresolved(s).map((i) => incidentObject(s, i)),
    scheduled_maintenances: [...active(s), ...upcoming(s)].map((m) => maintenanceObject(s, m)),
    status: statusObject(overall),
  };
}

// -- pieces -------------------------------------------------------------------------------------

const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

function pageJson(s: PageSnapshot): V2Page {
  const p = s.page;
  return { id: p.id, name: p.name, url: p.url, time_zone: p.timeZone, updated_at: iso(p.updatedAt) };
}

const statusObject = (o: OverallStatus): V2Status => ({ indicator: o.indicator, description: o.description });

/** Position order, then creation, then id: a flat list in which groups and members interleave. */
function byPosition(a: Component, b: Component): number {
  return (
    a.position - b.position ||
    a.createdAt.getTime() - b.createdAt.getTime() ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

function componentList(s: PageSnapshot): V2Component[] {
  return [...s.components].sort(byPosition).map((c) => componentObject(s, c));
}

function componentObject(s: PageSnapshot, c: Component): V2Component {
  const json: V2Component = {
    id: c.id,
    name: c.name,
    status: c.status,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    position: c.position,
    description: c.description,
    showcase: c.showcase,
    start_date: c.startDate,
    group_id: c.groupId,
    page_id: s.page.id,
    group: c.group,
    only_show_if_degraded: c.onlyShowIfDegraded,
  };
  if (c.group) {
    json.components = s.components
      .filter((m) => m.groupId === c.id)
      .sort(byPosition)
      .map((m) => m.id);
  }
  return json;
}

function updateObject(incidentId: string, u: IncidentUpdate): V2IncidentUpdate {
  return {
    id: u.id,
    status: u.status,
    body: u.body,
    incident_id: incidentId,
    created_at: iso(u.createdAt),
    updated_at: iso(u.createdAt), // IncidentUpdate has no updatedAt: an update is not edited in place
    display_at: iso(u.displayAt),
    affected_components:
      u.affectedComponents.length === 0
        ? null
        : u.affectedComponents.map((a) => ({
            code: a.id,
            name: a.name,
            old_status: a.oldStatus,
            new_status: a.newStatus,
          })),
    deliver_notifications: true,
    custom_tweet: null,
    tweet_id: null,
  };
}

/** Updates newest first (by display time), as Statuspage lists them. */
function byNewestUpdate(a: IncidentUpdate, b: IncidentUpdate): number {
  return (
    b.displayAt.getTime() - a.displayAt.getTime() ||
    b.createdAt.getTime() - a.createdAt.getTime() ||
    (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
  );
}

function incidentObject(s: PageSnapshot, i: PublicIncident): V2Incident {
  const byId = new Map(s.components.map((c) => [c.id, c]));
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    created_at: iso(i.createdAt),
    updated_at: iso(i.updatedAt),
    monitoring_at: isoOrNull(i.monitoringAt),
    resolved_at: isoOrNull(i.resolvedAt),
    impact: i.impact,
    shortlink: i.shortlink,
    started_at: iso(i.startedAt),
    page_id: s.page.id,
    incident_updates: [...i.updates].sort(byNewestUpdate).map((u) => updateObject(i.id, u)),
    components: i.components.flatMap((ref) => {
      const c = byId.get(ref.id);
      return c ? [componentObject(s, c)] : [];
    }),
  };
}

function maintenanceObject(s: PageSnapshot, m: PublicIncident): V2ScheduledMaintenance {
  return {
    ...incidentObject(s, m),
    scheduled_for: isoOrNull(m.scheduledFor),
    scheduled_until: isoOrNull(m.scheduledUntil),
  };
}

// -- selection and order ------------------------------------------------------------------------

function byNewest(a: PublicIncident, b: PublicIncident): number {
  return (
    b.startedAt.getTime() - a.startedAt.getTime() ||
    b.createdAt.getTime() - a.createdAt.getTime() ||
    (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
  );
}

const windowStart = (m: PublicIncident): number => (m.scheduledFor ?? m.startedAt).getTime();

function bySoonestWindow(a: PublicIncident, b: PublicIncident): number {
  return windowStart(a) - windowStart(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const byLatestWindow = (a: PublicIncident, b: PublicIncident): number => bySoonestWindow(b, a);

/**
 * The `RECENT_LIMIT` first of `items` in `order`, except that every item that `keep`s is in:
 * such items beyond the limit take the places of the last ones that do not keep.
 */
function mostRecent<T>(items: readonly T[], keep: (t: T) => boolean, order: (a: T, b: T) => number): T[] {
  const sorted = [...items].sort(order);
  const kept = sorted.filter(keep);
  const room = Math.max(0, RECENT_LIMIT - kept.length);
  const others = new Set(sorted.filter((t) => !keep(t)).slice(0, room));
  return sorted.filter((t) => keep(t) || others.has(t));
}

const unresolved = (s: PageSnapshot) =>
  s.incidents.filter((i) => unresolvedStates.has(i.status)).sort(byNewest);
const upcoming = (s: PageSnapshot) =>
  s.maintenances.filter((m) => upcomingStates.has(m.status)).sort(bySoonestWindow);
const active = (s: PageSnapshot) =>
  s.maintenances.filter((m) => activeStates.has(m.status)).sort(bySoonestWindow);
