/**
 * The status page's data as the renderers see it: one snapshot of a page (components, incidents,
 * maintenance) from which the HTML, the Statuspage v2 JSON and the feeds are all rendered.
 * Pure data: no I/O, no clock (the snapshot carries `generatedAt`).
 */

/** STAT-2: a component's status, in Statuspage v2's own words. */
export const componentStatuses = [
  "operational",
  "degraded_performance",
  "partial_outage",
  "major_outage",
  "under_maintenance",
] as const;
export type ComponentStatus = (typeof componentStatuses)[number];

/** STAT-1: a public incident's state; scheduled maintenance has its own states. */
export const incidentStates = ["investigating", "identified", "monitoring", "resolved"] as const;
export type IncidentState = (typeof incidentStates)[number];
export const maintenanceStates = ["scheduled", "in_progress", "verifying", "completed"] as const;
export type MaintenanceState = (typeof maintenanceStates)[number];

/** Statuspage v2 `impact` / status `indicator`. */
export type Impact = "none" | "minor" | "major" | "critical" | "maintenance";

/** STAT-3: the page's overall status. */
export type OverallStatus = {
  indicator: Impact;
  /** "All Systems Operational", "Degraded Performance", "Partial Service Disruption", "Service Disruption", "Security Issue", "Under Maintenance". */
  description: string;
};

export type Component = {
  id: string;
  name: string;
  description: string | null;
  status: ComponentStatus;
  /** The group this component belongs to, or null. Groups are components with `group: true`. */
  groupId: string | null;
  group: boolean;
  position: number;
  showcase: boolean;
  onlyShowIfDegraded: boolean;
  startDate: string | null; // YYYY-MM-DD
  createdAt: Date;
  updatedAt: Date;
};

/** An update of a public incident or maintenance: a message and the components it affects. */
export type IncidentUpdate = {
  id: string;
  status: IncidentState | MaintenanceState;
  body: string;
  createdAt: Date;
  displayAt: Date;
  affectedComponents: { id: string; name: string; oldStatus: ComponentStatus; newStatus: ComponentStatus }[];
};

export type PublicIncident = {
  id: string;
  name: string;
  status: IncidentState | MaintenanceState;
  impact: Impact;
  /** Scheduled maintenance carries its window; a plain incident has nulls. */
  scheduledFor: Date | null;
  scheduledUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
  monitoringAt: Date | null;
  resolvedAt: Date | null;
  startedAt: Date;
  shortlink: string;
  updates: IncidentUpdate[]; // newest first
  components: { id: string; name: string }[];
};

/** One status change of a component, for uptime history. */
export type StatusChange = { componentId: string; status: ComponentStatus; at: Date };

export type PageSnapshot = {
  page: {
    id: string;
    name: string;
    slug: string;
    url: string; // the page's public URL
    timeZone: string;
    updatedAt: Date;
  };
  generatedAt: Date;
  components: Component[];
  /** Public incidents (not maintenance), newest first; unresolved ones included. */
  incidents: PublicIncident[];
  /** Scheduled maintenances, by scheduledFor. */
  maintenances: PublicIncident[];
  /** Whether a published security incident is open (STAT-3 "Security Issue"). */
  securityIssue: boolean;
  /** Status changes of the last 90 days (plus the last one before), for uptime bars. */
  history: StatusChange[];
};
