/**
 * Reading a PagerDuty account through its REST API v2 (or a directory of the JSON it returns):
 * the shapes this importer uses, and the classic pagination every list endpoint shares — `offset`
 * and `limit` in the query, `more` in the answer saying whether another page follows.
 */

import { type JsonSource, type Query, SourceError } from "./source.ts";
import type { CheckWindow } from "./types.ts";

/** PagerDuty's default page size; the documented maximum is 100. */
export const PAGE_SIZE = 25;
/** A guard against a server that always answers `more: true`. */
const MAX_PAGES = 1000;

export type PdReference = { id: string; type?: string; summary?: string };

export type PdUser = {
  id: string;
  name: string;
  email: string;
  role: string;
  time_zone?: string;
};

export type PdTeam = { id: string; name: string; description?: string | null };
export type PdMember = { user: PdReference; role: string };

export type PdRestriction = {
  type: "daily_restriction" | "weekly_restriction";
  start_time_of_day: string;
  duration_seconds: number;
  start_day_of_week?: number | null;
};

export type PdLayer = {
  id: string;
  name: string;
  start: string;
  end?: string | null;
  rotation_virtual_start: string;
  rotation_turn_length_seconds: number;
  users: { user: PdReference }[];
  restrictions?: PdRestriction[];
};

export type PdRenderedEntry = { start: string; end: string; user?: PdReference | null };

export type PdSchedule = {
  id: string;
  name: string;
  time_zone: string;
  description?: string | null;
  teams?: PdReference[];
  /** As the API returns them: the highest layer (the one shown on top) first. */
  schedule_layers: PdLayer[];
  final_schedule?: { name?: string; rendered_schedule_entries?: PdRenderedEntry[] };
};

export type PdOverride = { id: string; start: string; end: string; user: PdReference };

export type PdEscalationRule = {
  id: string;
  escalation_delay_in_minutes: number;
  targets: PdReference[];
};

export type PdEscalationPolicy = {
  id: string;
  name: string;
  description?: string | null;
  num_loops?: number;
  escalation_rules: PdEscalationRule[];
  teams?: PdReference[];
};

export type PdIntegration = { id: string; type: string; summary?: string; name?: string };

export type PdService = {
  id: string;
  name: string;
  description?: string | null;
  status?: string;
  escalation_policy: PdReference;
  integrations?: PdIntegration[];
  teams?: PdReference[];
  acknowledgement_timeout?: number | null;
  auto_resolve_timeout?: number | null;
};

export type PdMaintenanceWindow = {
  id: string;
  start_time: string;
  end_time: string;
  description?: string | null;
  services: PdReference[];
};

/** Everything the importer reads, already paged through. */
export type PdAccount = {
  users: PdUser[];
  teams: { team: PdTeam; members: PdMember[] }[];
  schedules: { schedule: PdSchedule; overrides: PdOverride[] }[];
  escalationPolicies: PdEscalationPolicy[];
  services: PdService[];
  maintenanceWindows: PdMaintenanceWindow[];
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

function field<T>(answer: unknown, key: string, what: string): T {
  if (!isObject(answer) || !(key in answer))
    throw new SourceError(`${what}: expected an object with "${key}" as PagerDuty's API returns it`);
  return answer[key] as T;
}

/** Every item of a paginated list: pages of `limit` from offset 0 until an answer says `more: false`. */
export async function listAll<T>(
  source: JsonSource,
  path: string,
  key: string,
  query: Query = {},
): Promise<T[]> {
  const items: T[] = [];
  let offset = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await source.get(path, { ...query, limit: PAGE_SIZE, offset });
    const batch = field<T[]>(answer, key, `GET ${path}`);
    if (!Array.isArray(batch)) throw new SourceError(`GET ${path}: "${key}" is not a list`);
    items.push(...batch);
    const more = isObject(answer) && answer.more === true;
    if (!more || batch.length === 0) return items;
    // The answer's own limit says how far the page reached (a server may cap what was asked).
    const limit =
      isObject(answer) && typeof answer.limit === "number" && answer.limit > 0 ? answer.limit : batch.length;
    offset += limit;
  }
  throw new SourceError(`GET ${path}: still "more" after ${MAX_PAGES} pages`);
}

const YEAR_MS = 366 * 24 * 3_600_000;

/**
 * Reads the account. Schedules are fetched one by one with `since`/`until` = the check's window,
 * so `final_schedule` holds who PagerDuty has on call over exactly the hours compared; overrides
 * from the window's start for a year (those ending earlier need no importing).
 */
export async function readAccount(source: JsonSource, window: CheckWindow): Promise<PdAccount> {
  const users = await listAll<PdUser>(source, "/users", "users");
  const teamList = await listAll<PdTeam>(source, "/teams", "teams");
  const teams = [];
  for (const team of teamList) {
    teams.push({ team, members: await listAll<PdMember>(source, `/teams/${team.id}/members`, "members") });
  }
  const since = window.from.toISOString();
  const scheduleList = await listAll<{ id: string }>(source, "/schedules", "schedules");
  const schedules = [];
  for (const { id } of scheduleList) {
    const schedule = field<PdSchedule>(
      await source.get(`/schedules/${id}`, { since, until: window.until.toISOString() }),
      "schedule",
      `GET /schedules/${id}`,
    );
    const overrides = field<PdOverride[]>(
      await source.get(`/schedules/${id}/overrides`, {
        since,
        until: new Date(window.from.getTime() + YEAR_MS).toISOString(),
      }),
      "overrides",
      `GET /schedules/${id}/overrides`,
    );
    schedules.push({ schedule, overrides });
  }
  const escalationPolicies = await listAll<PdEscalationPolicy>(
    source,
    "/escalation_policies",
    "escalation_policies",
  );
  const services = await listAll<PdService>(source, "/services", "services", { "include[]": "integrations" });
  const maintenanceWindows = await listAll<PdMaintenanceWindow>(
    source,
    "/maintenance_windows",
    "maintenance_windows",
    {
      filter: "open",
    },
  );
  return { users, teams, schedules, escalationPolicies, services, maintenanceWindows };
}
