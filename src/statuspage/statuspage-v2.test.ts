/*
 * Statuspage v2 public API: the field lists these tests hold Firebreak's JSON to.
 *
 * Sources (read, not copied):
 *  [A] Statuspage's own per-page API docs, e.g. https://confluence.status.atlassian.com/api and
 *      https://status.chargebee.com/api (the same generated page on every Statuspage site): the
 *      endpoints, their descriptions and example responses.
 *  [B] MongoDB Cloud status API reference (a Statuspage page, documented as OpenAPI):
 *      https://www.mongodb.com/docs/api/doc/cloud-status/operation/operation-getstatussummary,
 *      .../operation-getcomponents, .../operation-getupcomingscheduledmaintenances: field types and
 *      nullability (description string|null, display_at date-time|null, impact values).
 *  [C] Live captures kept as test fixtures in public repos: githubstatus.com incidents.json and
 *      components.json (2024) in slok/stactus internal/storage/atlassianstatuspage test; Discord's
 *      components/incidents/scheduled-maintenances (2019) in hikari-py/hikari tests;
 *      status.hashicorp.com components.json with groups (2021) in hashicorp/terraform-provider-hcp
 *      internal/provider; status-swap.huobigroup.com summary.json with a scheduled maintenance (HTX
 *      API docs mirror); status.myemma.com incidents.json in ZSharpe/ManagerDashboard status.js.
 *  [D] Client type definitions: npm statuspage.io@3.1.1 dist/interfaces/Result.d.ts (Component,
 *      Page, Incident, ScheduledMaintenance = Incident & {scheduled_for, scheduled_until}).
 *
 * page (every endpoint)  [A][C][D]: id, name, url, time_zone, updated_at
 *   ([A]'s example omits time_zone; every live capture [C] has it.)
 * status                 [A][B]: indicator (none|minor|major|critical|maintenance), description
 * component              [B][C][D]: id, name, status, created_at, updated_at, position (integer),
 *   description (string|null), showcase (bool), start_date ("YYYY-MM-DD"|null), group_id
 *   (string|null), page_id, group (bool), only_show_if_degraded (bool); groups add components
 *   (array of member ids) [C: hikari, hashicorp]. components.json is one flat list ordered by
 *   position, groups and members interleaved [C: hashicorp].
 * incident               [A][C][D]: id, name, status, created_at, updated_at, monitoring_at|null,
 *   resolved_at|null, impact, shortlink, started_at, page_id, incident_updates, components (full
 *   component objects, current status [C: github, HTX]). GitHub's 2024 capture also has
 *   reminder_intervals: null, undocumented; not served.
 * incident_update        [A][C]: id, status, body, incident_id, created_at, updated_at, display_at,
 *   affected_components ([{code, name, old_status, new_status}] or null when none [C: github,
 *   discord]), deliver_notifications (bool), custom_tweet|null, tweet_id|null. Newest first.
 * scheduled_maintenance  [A][C][D]: an incident plus scheduled_for, scheduled_until.
 * summary.json           [A][B]: page, components, incidents (unresolved), scheduled_maintenances
 *   (upcoming and in progress), status.
 * Selection [A]: incidents.json "the 50 most recent incidents", including all unresolved ones;
 *   incidents/unresolved.json: Investigating, Identified, Monitoring; scheduled-maintenances.json:
 *   the 50 most recent, including Completed; upcoming.json: Scheduled; active.json: In Progress or
 *   Verifying.
 * Timestamps: Statuspage writes ISO 8601 with milliseconds, in UTC with "Z" (GitHub, HTX) or with
 *   the page's offset (Discord "-07:00"); Firebreak always writes UTC "Z" with milliseconds.
 */
import { describe, expect, it } from "vitest";
import {
  activeMaintenancesJson,
  componentsJson,
  incidentsJson,
  RECENT_LIMIT,
  scheduledMaintenancesJson,
  statusJson,
  summaryJson,
  unresolvedIncidentsJson,
  upcomingMaintenancesJson,
} from "./statuspage-v2.ts";
import type { Component, IncidentUpdate, OverallStatus, PageSnapshot, PublicIncident } from "./types.ts";

// -- JSON type checks ---------------------------------------------------------------------------

type Kind =
  | "string"
  | "string|null"
  | "number"
  | "boolean"
  | "timestamp"
  | "timestamp|null"
  | "date|null"
  | "array"
  | "array|null"
  | "object"
  | "null";
type Shape = Record<string, Kind>;

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function kindOk(v: unknown, kind: Kind): boolean {
  switch (kind) {
    case "string":
      return typeof v === "string";
    case "string|null":
      return v === null || typeof v === "string";
    case "number":
      return typeof v === "number" && Number.isInteger(v);
    case "boolean":
      return typeof v === "boolean";
    case "timestamp":
      return typeof v === "string" && TIMESTAMP.test(v);
    case "timestamp|null":
      return v === null || (typeof v === "string" && TIMESTAMP.test(v));
    case "date|null":
      return v === null || (typeof v === "string" && DATE.test(v));
    case "array":
      return Array.isArray(v);
    case "array|null":
      return v === null || Array.isArray(v);
    case "object":
      return typeof v === "object" && v !== null && !Array.isArray(v);
    case "null":
      return v === null;
  }
}

/** Exactly the fields of `shape` (plus `optional` ones if present), each of its JSON type. */
function expectShape(value: unknown, shape: Shape, optional: Shape = {}, where = "value"): void {
  expect(kindOk(value, "object"), `${where} is an object`).toBe(true);
  const obj = value as Record<string, unknown>;
  const allowed = new Set([...Object.keys(shape), ...Object.keys(optional)]);
  for (const key of Object.keys(obj))
    expect(allowed.has(key), `${where} has no extra field ${key}`).toBe(true);
  for (const [key, kind] of Object.entries(shape)) {
    expect(key in obj, `${where}.${key} is present`).toBe(true);
    expect(kindOk(obj[key], kind), `${where}.${key} is ${kind}: ${JSON.stringify(obj[key])}`).toBe(true);
  }
  for (const [key, kind] of Object.entries(optional)) {
    if (key in obj) expect(kindOk(obj[key], kind), `${where}.${key} is ${kind}`).toBe(true);
  }
}

const pageShape: Shape = {
  id: "string",
  name: "string",
  url: "string",
  time_zone: "string",
  updated_at: "timestamp",
};
const statusShape: Shape = { indicator: "string", description: "string" };
const componentShape: Shape = {
  id: "string",
  name: "string",
  status: "string",
  created_at: "timestamp",
  updated_at: "timestamp",
  position: "number",
  description: "string|null",
  showcase: "boolean",
  start_date: "date|null",
  group_id: "string|null",
  page_id: "string",
  group: "boolean",
  only_show_if_degraded: "boolean",
};
const affectedShape: Shape = { code: "string", name: "string", old_status: "string", new_status: "string" };
const updateShape: Shape = {
  id: "string",
  status: "string",
  body: "string",
  incident_id: "string",
  created_at: "timestamp",
  updated_at: "timestamp",
  display_at: "timestamp",
  affected_components: "array|null",
  deliver_notifications: "boolean",
  custom_tweet: "string|null",
  tweet_id: "string|null",
};
const incidentShape: Shape = {
  id: "string",
  name: "string",
  status: "string",
  created_at: "timestamp",
  updated_at: "timestamp",
  monitoring_at: "timestamp|null",
  resolved_at: "timestamp|null",
  impact: "string",
  shortlink: "string",
  started_at: "timestamp",
  page_id: "string",
  incident_updates: "array",
  components: "array",
};
const maintenanceShape: Shape = {
  ...incidentShape,
  scheduled_for: "timestamp",
  scheduled_until: "timestamp",
};

const componentStatuses = [
  "operational",
  "degraded_performance",
  "partial_outage",
  "major_outage",
  "under_maintenance",
];
const impacts = ["none", "minor", "major", "critical", "maintenance"];

/** The JSON as a client sees it: serialized and parsed, so Dates or undefined cannot slip through. */
const wire = <T>(v: T): unknown => JSON.parse(JSON.stringify(v));

function expectComponent(c: unknown, where: string): void {
  const group = (c as { group?: unknown }).group === true;
  expectShape(c, group ? { ...componentShape, components: "array" } : componentShape, {}, where);
  const obj = c as { status: string; components?: unknown[] };
  expect(componentStatuses).toContain(obj.status);
  if (group) for (const id of obj.components ?? []) expect(typeof id).toBe("string");
}

function expectIncident(i: unknown, shape: Shape, where: string): void {
  expectShape(i, shape, {}, where);
  const obj = i as { impact: string; incident_updates: unknown[]; components: unknown[]; id: string };
  expect(impacts).toContain(obj.impact);
  obj.incident_updates.forEach((u, n) => {
    expectShape(u, updateShape, {}, `${where}.incident_updates[${n}]`);
    const upd = u as { incident_id: string; affected_components: unknown[] | null };
    expect(upd.incident_id).toBe(obj.id);
    upd.affected_components?.forEach((a, k) => {
      expectShape(a, affectedShape, {}, `${where}.incident_updates[${n}].affected_components[${k}]`);
      const ac = a as { old_status: string; new_status: string };
      expect(componentStatuses).toContain(ac.old_status);
      expect(componentStatuses).toContain(ac.new_status);
    });
  });
  obj.components.forEach((c, n) => {
    expectComponent(c, `${where}.components[${n}]`);
  });
}

// -- a hand-built page --------------------------------------------------------------------------

const t = (iso: string) => new Date(iso);

function component(p: Partial<Component> & Pick<Component, "id" | "name" | "position">): Component {
  return {
    description: null,
    status: "operational",
    groupId: null,
    group: false,
    showcase: true,
    onlyShowIfDegraded: false,
    startDate: null,
    createdAt: t("2025-01-01T00:00:00Z"),
    updatedAt: t("2025-06-01T00:00:00Z"),
    ...p,
  };
}

const components: Component[] = [
  // Deliberately out of order: the presenter orders by position.
  component({ id: "c-db", name: "Database", position: 1, groupId: "g-infra", status: "under_maintenance" }),
  component({ id: "g-infra", name: "Infrastructure", position: 3, group: true }),
  component({
    id: "c-web",
    name: "Website",
    position: 2,
    description: "Marketing site and dashboard",
    startDate: "2025-01-01",
    onlyShowIfDegraded: true,
    showcase: false,
  }),
  component({ id: "c-hooks", name: "Webhooks", position: 2, groupId: "g-api", status: "partial_outage" }),
  component({ id: "g-api", name: "API", position: 1, group: true, status: "partial_outage" }),
  component({
    id: "c-rest",
    name: "REST API",
    position: 1,
    groupId: "g-api",
    status: "degraded_performance",
    createdAt: t("2025-02-01T00:00:00Z"),
  }),
];

function update(
  p: Partial<IncidentUpdate> & Pick<IncidentUpdate, "id" | "status">,
  at: string,
): IncidentUpdate {
  return { body: `Update ${p.id}`, createdAt: t(at), displayAt: t(at), affectedComponents: [], ...p };
}

function incident(
  p: Partial<PublicIncident> & Pick<PublicIncident, "id" | "status">,
  at: string,
): PublicIncident {
  return {
    name: `Incident ${p.id}`,
    impact: "minor",
    scheduledFor: null,
    scheduledUntil: null,
    createdAt: t(at),
    updatedAt: t(at),
    monitoringAt: null,
    resolvedAt: null,
    startedAt: t(at),
    shortlink: `https://status.example.com/status/default/incidents/${p.id}`,
    updates: [],
    components: [],
    ...p,
  };
}

const openIncident = incident(
  {
    id: "i-open",
    name: "Webhooks delayed",
    status: "identified",
    impact: "major",
    updatedAt: t("2026-03-02T10:20:00Z"),
    updates: [
      // Newest first, as the snapshot promises; the presenter sorts anyway.
      update(
        {
          id: "u-2",
          status: "identified",
          body: "The queue is backed up; draining it.",
          affectedComponents: [
            {
              id: "c-hooks",
              name: "API - Webhooks",
              oldStatus: "degraded_performance",
              newStatus: "partial_outage",
            },
          ],
        },
        "2026-03-02T10:20:00Z",
      ),
      update(
        {
          id: "u-1",
          status: "investigating",
          body: "We are looking into delayed webhooks.",
          affectedComponents: [
            {
              id: "c-hooks",
              name: "API - Webhooks",
              oldStatus: "operational",
              newStatus: "degraded_performance",
            },
            {
              id: "c-rest",
              name: "API - REST API",
              oldStatus: "operational",
              newStatus: "degraded_performance",
            },
          ],
        },
        "2026-03-02T10:00:00Z",
      ),
    ],
    components: [
      { id: "c-hooks", name: "Webhooks" },
      { id: "c-rest", name: "REST API" },
    ],
  },
  "2026-03-02T10:00:00Z",
);

const resolvedIncident = incident(
  {
    id: "i-old",
    name: "Login errors",
    status: "resolved",
    monitoringAt: t("2026-02-20T09:30:00Z"),
    resolvedAt: t("2026-02-20T10:00:00Z"),
    updatedAt: t("2026-02-20T10:00:00Z"),
    updates: [
      update({ id: "u-9", status: "resolved", body: "Resolved." }, "2026-02-20T10:00:00Z"),
      update({ id: "u-8", status: "monitoring", body: "Fix deployed." }, "2026-02-20T09:30:00Z"),
      update({ id: "u-7", status: "investigating", body: "Some logins fail." }, "2026-02-20T09:00:00Z"),
    ],
    components: [{ id: "c-web", name: "Website" }],
  },
  "2026-02-20T09:00:00Z",
);

function maintenance(
  p: Partial<PublicIncident> & Pick<PublicIncident, "id" | "status">,
  from: string,
  until: string,
): PublicIncident {
  return incident(
    {
      name: `Maintenance ${p.id}`,
      impact: "maintenance",
      scheduledFor: t(from),
      scheduledUntil: t(until),
      updates: [update({ id: `${p.id}-u1`, status: "scheduled" }, "2026-02-25T00:00:00Z")],
      ...p,
    },
    "2026-02-25T00:00:00Z",
  );
}

const activeMaintenance = maintenance(
  {
    id: "m-active",
    status: "in_progress",
    components: [{ id: "c-db", name: "Database" }],
    updates: [
      update(
        {
          id: "m-active-u2",
          status: "in_progress",
          affectedComponents: [
            {
              id: "c-db",
              name: "Infrastructure - Database",
              oldStatus: "operational",
              newStatus: "under_maintenance",
            },
          ],
        },
        "2026-03-02T09:00:00Z",
      ),
      update({ id: "m-active-u1", status: "scheduled" }, "2026-02-25T00:00:00Z"),
    ],
  },
  "2026-03-02T09:00:00Z",
  "2026-03-02T11:00:00Z",
);
const upcomingMaintenance = maintenance(
  { id: "m-up", status: "scheduled", components: [{ id: "c-db", name: "Database" }] },
  "2026-03-09T09:00:00Z",
  "2026-03-09T10:00:00Z",
);
const doneMaintenance = maintenance(
  { id: "m-done", status: "completed", resolvedAt: t("2026-02-26T10:00:00Z") },
  "2026-02-26T09:00:00Z",
  "2026-02-26T10:00:00Z",
);

const overall: OverallStatus = { indicator: "major", description: "Partial Service Disruption" };

function snapshot(over: Partial<PageSnapshot> = {}): PageSnapshot {
  return {
    page: {
      id: "p-1",
      name: "Example",
      slug: "default",
      url: "https://status.example.com/status/default",
      timeZone: "Europe/Berlin",
      updatedAt: t("2026-03-02T10:20:00Z"),
    },
    generatedAt: t("2026-03-02T10:21:00Z"),
    components,
    incidents: [openIncident, resolvedIncident],
    maintenances: [doneMaintenance, activeMaintenance, upcomingMaintenance],
    securityIssue: false,
    history: [],
    ...over,
  };
}

const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

// -- shapes -------------------------------------------------------------------------------------

describe("Statuspage v2 shapes", () => {
  const s = snapshot();

  it("status.json: page and status", () => {
    const j = wire(statusJson(s, overall));
    expectShape(j, { page: "object", status: "object" });
    const { page, status } = j as { page: unknown; status: unknown };
    expectShape(page, pageShape, {}, "page");
    expectShape(status, statusShape, {}, "status");
    expect(page).toEqual({
      id: "p-1",
      name: "Example",
      url: "https://status.example.com/status/default",
      time_zone: "Europe/Berlin",
      updated_at: "2026-03-02T10:20:00.000Z",
    });
    expect(status).toEqual({ indicator: "major", description: "Partial Service Disruption" });
  });

  it("components.json: every component field, groups list their members", () => {
    const j = wire(componentsJson(s));
    expectShape(j, { page: "object", components: "array" });
    const list = (j as { components: unknown[] }).components;
    expect(list).toHaveLength(components.length);
    list.forEach((c, n) => {
      expectComponent(c, `components[${n}]`);
    });
    const byId = new Map((list as { id: string }[]).map((c) => [c.id, c as Record<string, unknown>]));
    expect(byId.get("g-api")).toMatchObject({
      group: true,
      group_id: null,
      components: ["c-rest", "c-hooks"],
    });
    expect(byId.get("g-infra")).toMatchObject({ group: true, components: ["c-db"] });
    expect(byId.get("c-rest")).not.toHaveProperty("components");
    expect(byId.get("c-web")).toEqual({
      id: "c-web",
      name: "Website",
      status: "operational",
      created_at: "2025-01-01T00:00:00.000Z",
      updated_at: "2025-06-01T00:00:00.000Z",
      position: 2,
      description: "Marketing site and dashboard",
      showcase: false,
      start_date: "2025-01-01",
      group_id: null,
      page_id: "p-1",
      group: false,
      only_show_if_degraded: true,
    });
  });

  it("incidents.json: every incident, update and affected-component field", () => {
    const j = wire(incidentsJson(s));
    expectShape(j, { page: "object", incidents: "array" });
    const list = (j as { incidents: unknown[] }).incidents;
    expect(list).toHaveLength(2);
    list.forEach((i, n) => {
      expectIncident(i, incidentShape, `incidents[${n}]`);
    });
    const open = list[0] as Record<string, unknown> & {
      incident_updates: Record<string, unknown>[];
      components: Record<string, unknown>[];
    };
    expect(open).toMatchObject({
      id: "i-open",
      name: "Webhooks delayed",
      status: "identified",
      created_at: "2026-03-02T10:00:00.000Z",
      updated_at: "2026-03-02T10:20:00.000Z",
      monitoring_at: null,
      resolved_at: null,
      impact: "major",
      shortlink: "https://status.example.com/status/default/incidents/i-open",
      started_at: "2026-03-02T10:00:00.000Z",
      page_id: "p-1",
    });
    expect(open.incident_updates[0]).toEqual({
      id: "u-2",
      status: "identified",
      body: "The queue is backed up; draining it.",
      incident_id: "i-open",
      created_at: "2026-03-02T10:20:00.000Z",
      updated_at: "2026-03-02T10:20:00.000Z",
      display_at: "2026-03-02T10:20:00.000Z",
      affected_components: [
        {
          code: "c-hooks",
          name: "API - Webhooks",
          old_status: "degraded_performance",
          new_status: "partial_outage",
        },
      ],
      deliver_notifications: true,
      custom_tweet: null,
      tweet_id: null,
    });
    expect(open.incident_updates[1]?.affected_components).toHaveLength(2);
    // An incident's components are full component objects with their current status.
    expect(open.components.map((c) => [c.id, c.status, c.group_id])).toEqual([
      ["c-hooks", "partial_outage", "g-api"],
      ["c-rest", "degraded_performance", "g-api"],
    ]);
    const old = list[1] as { resolved_at: unknown; monitoring_at: unknown; incident_updates: unknown[] };
    expect(old.resolved_at).toBe("2026-02-20T10:00:00.000Z");
    expect(old.monitoring_at).toBe("2026-02-20T09:30:00.000Z");
    expect(old.incident_updates).toHaveLength(3);
  });

  it("an update that names no component has affected_components null, as Statuspage writes it", () => {
    const old = incidentsJson(s).incidents.find((i) => i.id === "i-old")!;
    for (const u of old.incident_updates) expect(u.affected_components).toBeNull();
  });

  it("incidents/unresolved.json: same shape", () => {
    const j = wire(unresolvedIncidentsJson(s));
    expectShape(j, { page: "object", incidents: "array" });
    expectShape((j as { page: unknown }).page, pageShape, {}, "page");
    (j as { incidents: unknown[] }).incidents.forEach((i, n) => {
      expectIncident(i, incidentShape, `incidents[${n}]`);
    });
  });

  it.each([
    ["scheduled-maintenances.json", scheduledMaintenancesJson, 3],
    ["scheduled-maintenances/upcoming.json", upcomingMaintenancesJson, 1],
    ["scheduled-maintenances/active.json", activeMaintenancesJson, 1],
  ] as const)("%s: incident fields plus scheduled_for and scheduled_until", (_name, fn, count) => {
    const j = wire(fn(s));
    expectShape(j, { page: "object", scheduled_maintenances: "array" });
    expectShape((j as { page: unknown }).page, pageShape, {}, "page");
    const list = (j as { scheduled_maintenances: unknown[] }).scheduled_maintenances;
    expect(list).toHaveLength(count);
    list.forEach((m, n) => {
      expectIncident(m, maintenanceShape, `scheduled_maintenances[${n}]`);
    });
  });

  it("a maintenance carries its window", () => {
    const [m] = activeMaintenancesJson(s).scheduled_maintenances;
    expect(m).toMatchObject({
      id: "m-active",
      status: "in_progress",
      impact: "maintenance",
      scheduled_for: "2026-03-02T09:00:00.000Z",
      scheduled_until: "2026-03-02T11:00:00.000Z",
    });
    expect(m?.incident_updates[0]?.affected_components).toEqual([
      {
        code: "c-db",
        name: "Infrastructure - Database",
        old_status: "operational",
        new_status: "under_maintenance",
      },
    ]);
    expect(m?.components.map((c) => [c.id, c.status])).toEqual([["c-db", "under_maintenance"]]);
  });

  it("summary.json: page, components, incidents, scheduled_maintenances, status", () => {
    const j = wire(summaryJson(s, overall));
    expectShape(j, {
      page: "object",
      components: "array",
      incidents: "array",
      scheduled_maintenances: "array",
      status: "object",
    });
    const sum = j as {
      page: unknown;
      status: unknown;
      components: unknown[];
      incidents: unknown[];
      scheduled_maintenances: unknown[];
    };
    expectShape(sum.page, pageShape, {}, "page");
    expectShape(sum.status, statusShape, {}, "status");
    sum.components.forEach((c, n) => {
      expectComponent(c, `components[${n}]`);
    });
    sum.incidents.forEach((i, n) => {
      expectIncident(i, incidentShape, `incidents[${n}]`);
    });
    sum.scheduled_maintenances.forEach((m, n) => {
      expectIncident(m, maintenanceShape, `scheduled_maintenances[${n}]`);
    });
    expect(sum.components).toEqual((wire(componentsJson(s)) as typeof sum).components);
    expect(sum.status).toEqual(overall);
  });

  it("a plain incident is not given scheduled_for or scheduled_until", () => {
    for (const i of incidentsJson(s).incidents) {
      expect(i).not.toHaveProperty("scheduled_for");
      expect(i).not.toHaveProperty("scheduled_until");
    }
  });

  it("the JSON round-trips unchanged (no Dates, no undefined)", () => {
    for (const v of [
      summaryJson(s, overall),
      statusJson(s, overall),
      componentsJson(s),
      incidentsJson(s),
      unresolvedIncidentsJson(s),
      scheduledMaintenancesJson(s),
      upcomingMaintenancesJson(s),
      activeMaintenancesJson(s),
    ]) {
      expect(wire(v)).toStrictEqual(v);
    }
  });
});

// -- selection and order ------------------------------------------------------------------------

describe("Statuspage v2 selection and order", () => {
  const s = snapshot();

  it("components: by position, groups and members interleaved as Statuspage lists them", () => {
    expect(ids(componentsJson(s).components)).toEqual([
      // position 1: by creation, then id
      "c-db",
      "g-api",
      "c-rest",
      // position 2
      "c-hooks",
      "c-web",
      // position 3
      "g-infra",
    ]);
  });

  it("unresolved excludes resolved incidents", () => {
    expect(ids(unresolvedIncidentsJson(s).incidents)).toEqual(["i-open"]);
    expect(ids(summaryJson(s, overall).incidents)).toEqual(["i-open"]);
    const monitoring = incident({ id: "i-mon", status: "monitoring" }, "2026-03-01T00:00:00Z");
    const investigating = incident({ id: "i-inv", status: "investigating" }, "2026-03-01T12:00:00Z");
    const more = snapshot({ incidents: [resolvedIncident, monitoring, openIncident, investigating] });
    expect(ids(unresolvedIncidentsJson(more).incidents)).toEqual(["i-open", "i-inv", "i-mon"]);
  });

  it("incidents newest first, whatever the snapshot's order; updates newest first", () => {
    const j = incidentsJson(snapshot({ incidents: [resolvedIncident, openIncident] }));
    expect(ids(j.incidents)).toEqual(["i-open", "i-old"]);
    const shuffled = { ...resolvedIncident, updates: [...resolvedIncident.updates].reverse() };
    const old = incidentsJson(snapshot({ incidents: [shuffled] })).incidents[0]!;
    expect(ids(old.incident_updates)).toEqual(["u-9", "u-8", "u-7"]);
  });

  it("incidents.json lists the 50 most recent", () => {
    const many = Array.from({ length: 60 }, (_, n) => ({
      ...incident({ id: `r-${String(n).padStart(2, "0")}`, status: "resolved" }, "2026-01-01T00:00:00Z"),
      startedAt: new Date(Date.UTC(2026, 0, 1) + n * 3_600_000),
    }));
    // Shuffled: the presenter orders by started_at, not by the snapshot's order.
    const j = incidentsJson(snapshot({ incidents: [...many.slice(30), ...many.slice(0, 30)] }));
    expect(RECENT_LIMIT).toBe(50);
    expect(j.incidents).toHaveLength(50);
    expect(j.incidents[0]?.id).toBe("r-59");
    expect(j.incidents[49]?.id).toBe("r-10");
  });

  it("incidents.json keeps an unresolved incident older than the 50 most recent, still 50", () => {
    const many = Array.from({ length: 60 }, (_, n) => ({
      ...incident({ id: `r-${String(n).padStart(2, "0")}`, status: "resolved" }, "2026-02-01T00:00:00Z"),
      startedAt: new Date(Date.UTC(2026, 1, 1) + n * 3_600_000),
    }));
    const ancient = incident({ id: "i-ancient", status: "monitoring" }, "2025-01-01T00:00:00Z");
    const j = incidentsJson(snapshot({ incidents: [...many, ancient] }));
    expect(j.incidents).toHaveLength(50);
    expect(j.incidents[0]?.id).toBe("r-59");
    expect(j.incidents[48]?.id).toBe("r-11");
    expect(j.incidents[49]?.id).toBe("i-ancient");
  });

  it("upcoming = scheduled; active = in_progress and verifying; completed only in the full list", () => {
    const verifying = maintenance(
      { id: "m-verify", status: "verifying" },
      "2026-03-02T08:00:00Z",
      "2026-03-02T09:00:00Z",
    );
    const later = maintenance(
      { id: "m-later", status: "scheduled" },
      "2026-04-01T00:00:00Z",
      "2026-04-01T01:00:00Z",
    );
    const more = snapshot({
      maintenances: [later, doneMaintenance, activeMaintenance, verifying, upcomingMaintenance],
    });
    expect(ids(upcomingMaintenancesJson(more).scheduled_maintenances)).toEqual(["m-up", "m-later"]);
    expect(ids(activeMaintenancesJson(more).scheduled_maintenances)).toEqual(["m-verify", "m-active"]);
    expect(ids(scheduledMaintenancesJson(more).scheduled_maintenances)).toEqual([
      "m-later",
      "m-up",
      "m-active",
      "m-verify",
      "m-done",
    ]);
    // summary: active first, then upcoming; never completed.
    expect(ids(summaryJson(more, overall).scheduled_maintenances)).toEqual([
      "m-verify",
      "m-active",
      "m-up",
      "m-later",
    ]);
  });

  it("scheduled-maintenances.json lists the 50 most recent, keeping every open one", () => {
    const done = Array.from({ length: 55 }, (_, n) => {
      const from = new Date(Date.UTC(2025, 0, 1) + n * 86_400_000);
      return maintenance(
        { id: `d-${String(n).padStart(2, "0")}`, status: "completed" },
        from.toISOString(),
        new Date(from.getTime() + 3_600_000).toISOString(),
      );
    });
    const j = scheduledMaintenancesJson(snapshot({ maintenances: [...done, upcomingMaintenance] }));
    expect(j.scheduled_maintenances).toHaveLength(50);
    expect(j.scheduled_maintenances[0]?.id).toBe("m-up");
    expect(j.scheduled_maintenances[1]?.id).toBe("d-54");
    expect(j.scheduled_maintenances[49]?.id).toBe("d-06");
  });

  it("an incident's component that is no longer on the page is left out", () => {
    const stray = { ...openIncident, components: [...openIncident.components, { id: "gone", name: "Gone" }] };
    const [i] = incidentsJson(snapshot({ incidents: [stray] })).incidents;
    expect(ids(i!.components)).toEqual(["c-hooks", "c-rest"]);
  });

  it("empty page: empty lists, never missing keys", () => {
    const empty = snapshot({ components: [], incidents: [], maintenances: [] });
    const ok: OverallStatus = { indicator: "none", description: "All Systems Operational" };
    expect(summaryJson(empty, ok)).toMatchObject({
      components: [],
      incidents: [],
      scheduled_maintenances: [],
      status: ok,
    });
    expect(incidentsJson(empty).incidents).toEqual([]);
    expect(scheduledMaintenancesJson(empty).scheduled_maintenances).toEqual([]);
  });

  it("does not modify the snapshot", () => {
    const snap = snapshot({ incidents: [resolvedIncident, openIncident] });
    const before = structuredClone(snap);
    summaryJson(snap, overall);
    incidentsJson(snap);
    componentsJson(snap);
    scheduledMaintenancesJson(snap);
    expect(snap).toEqual(before);
  });
});
