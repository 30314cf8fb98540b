/**
 * Reading Grafana OnCall's public API v1 (https://grafana.com/docs/oncall/latest/oncall-api-reference/):
 * the objects an import needs, every page of each list. OnCall pages its lists as
 * `{ count, next, previous, results }` where `next` is an absolute URL on the server's own host name,
 * which need not be the one we reach it by (a proxy, a replay), so only its path from `/api/v1/`
 * on and its query are kept and asked of the same source.
 *
 * The shapes are checked loosely (zod, unknown keys allowed): OnCall adds fields between versions
 * and an import must not fail over one it does not use; a field it does use that is missing or of
 * the wrong type fails with the object and field named.
 */
import { z } from "zod";
import { type JsonSource, type Query, SourceError } from "./source.ts";
import type { CheckWindow } from "./types.ts";

/** OnCall's API root, below the API URL its settings page shows. */
export const API_ROOT = "api/v1";

const id = z.string().min(1);
const nullableString = z.string().nullish();
const dayCode = z.enum(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]);

export const onCallUser = z.looseObject({
  id,
  email: z.string().nullish(),
  username: z.string().min(1),
  /** Legacy role name, lower case: admin, editor, viewer (none for a user without access). */
  role: z.string().nullish(),
  name: nullableString,
  teams: z.array(id).nullish(),
});

export const onCallTeam = z.looseObject({ id, name: z.string().min(1), email: nullableString });

export const onCallSchedule = z.looseObject({
  id,
  name: z.string().min(1),
  type: z.string(),
  team_id: nullableString,
  time_zone: nullableString,
  shifts: z.array(id).nullish(),
  ical_url_primary: nullableString,
  ical_url_overrides: nullableString,
  on_call_now: z.array(id).nullish(),
});

export const onCallShift = z.looseObject({
  id,
  name: z.string(),
  type: z.string(),
  team_id: nullableString,
  time_zone: nullableString,
  level: z.number().int().nullish(),
  start: z.string(),
  rotation_start: nullableString,
  duration: z.number().int().positive(),
  frequency: z.enum(["hourly", "daily", "weekly", "monthly"]).nullish(),
  interval: z.number().int().positive().nullish(),
  until: nullableString,
  week_start: dayCode.nullish(),
  by_day: z.array(dayCode).nullish(),
  by_month: z.array(z.number().int()).nullish(),
  by_monthday: z.array(z.number().int()).nullish(),
  users: z.array(id).nullish(),
  rolling_users: z.array(z.array(id)).nullish(),
  start_rotation_from_user_index: z.number().int().nonnegative().nullish(),
});

export const onCallFinalShift = z.looseObject({
  user_pk: id,
  user_email: nullableString,
  user_username: nullableString,
  shift_start: z.string(),
  shift_end: z.string(),
});

export const onCallChain = z.looseObject({ id, name: z.string().min(1), team_id: nullableString });

export const onCallStep = z.looseObject({
  id,
  escalation_chain_id: id,
  position: z.number().int(),
  type: z.string().nullish(),
  important: z.boolean().nullish(),
  duration: z.number().int().nullish(),
  persons_to_notify: z.array(id).nullish(),
  persons_to_notify_next_each_time: z.array(id).nullish(),
  notify_on_call_from_schedule: nullableString,
  team_to_notify: nullableString,
  group_to_notify: nullableString,
  action_to_trigger: nullableString,
});

export const onCallIntegration = z.looseObject({
  id,
  name: z.string().min(1),
  type: z.string(),
  team_id: nullableString,
  link: nullableString,
  default_route: z.looseObject({ id: nullableString, escalation_chain_id: nullableString }).nullish(),
  maintenance_mode: nullableString,
  maintenance_started_at: nullableString,
  maintenance_end_at: nullableString,
});

export const onCallRoute = z.looseObject({
  id,
  integration_id: id,
  escalation_chain_id: nullableString,
  routing_regex: nullableString,
  routing_type: nullableString,
  position: z.number().int().nullish(),
  is_the_last_route: z.boolean().nullish(),
});

export type OnCallUser = z.infer<typeof onCallUser>;
export type OnCallTeam = z.infer<typeof onCallTeam>;
export type OnCallSchedule = z.infer<typeof onCallSchedule>;
export type OnCallShift = z.infer<typeof onCallShift>;
export type OnCallFinalShift = z.infer<typeof onCallFinalShift>;
export type OnCallChain = z.infer<typeof onCallChain>;
export type OnCallStep = z.infer<typeof onCallStep>;
export type OnCallIntegration = z.infer<typeof onCallIntegration>;
export type OnCallRoute = z.infer<typeof onCallRoute>;

/** Everything an import reads, with each schedule's rendered on-call over the check window. */
export type OnCallSetUp = {
  users: OnCallUser[];
  teams: OnCallTeam[];
  schedules: OnCallSchedule[];
  shifts: OnCallShift[];
  finalShifts: Map<string, OnCallFinalShift[]>;
  chains: OnCallChain[];
  steps: OnCallStep[];
  integrations: OnCallIntegration[];
  routes: OnCallRoute[];
};

const page = z.looseObject({ next: z.string().nullish(), results: z.array(z.unknown()) });

/**
 * A page's `next` link as a request to the same source: its path from `api/v1/` on, and its query.
 * Null when there is no next page.
 */
export function nextRequest(next: string | null | undefined): { path: string; query: Query } | null {
  if (!next) return null;
  let url: URL;
  try {
    url = new URL(next, "http://oncall.invalid");
  } catch {
    throw new SourceError(`a page's next link is not a URL: ${JSON.stringify(next)}`);
  }
  const at = url.pathname.indexOf(`/${API_ROOT}/`);
  if (at < 0) {
    throw new SourceError(`a page's next link ${next} is not under /${API_ROOT}/, where OnCall's API is`);
  }
  return { path: url.pathname.slice(at + 1), query: Object.fromEntries(url.searchParams) };
}

/** Every item of a paged list, each checked against `schema`. Stops if a page links back to one already read. */
export async function listAll<T>(
  source: JsonSource,
  path: string,
  schema: z.ZodType<T>,
  query?: Query,
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let request: { path: string; query: Query | undefined } | null = { path, query };
  while (request) {
    const key = `${request.path}?${JSON.stringify(request.query ?? {})}`;
    if (seen.has(key)) throw new SourceError(`GET ${request.path}: the pages link in a loop`);
    seen.add(key);
    const body = page.safeParse(await source.get(request.path, request.query));
    if (!body.success) {
      throw new SourceError(
        `GET ${request.path} from ${source.origin}: expected OnCall's page { count, next, previous, results }`,
      );
    }
    for (const [i, raw] of body.data.results.entries()) {
      const item = schema.safeParse(raw);
      if (!item.success) {
        const issue = item.error.issues[0];
        const field = issue?.path.join(".") || "(the object)";
        const rawId = (raw as { id?: unknown } | null)?.id;
        throw new SourceError(
          `GET ${request.path}: result ${i}${typeof rawId === "string" ? ` (id ${rawId})` : ""}: ${field}: ${issue?.message ?? "unexpected shape"}`,
        );
      }
      items.push(item.data);
    }
    request = nextRequest(body.data.next);
  }
  return items;
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Reads the set-up. final_shifts takes dates (UTC days), so the check window is widened to whole
 * days here and cut back by the mapping.
 */
export async function readSetUp(source: JsonSource, window: CheckWindow): Promise<OnCallSetUp> {
  const at = (name: string) => `${API_ROOT}/${name}/`;
  const [users, teams, schedules, shifts, chains, steps, integrations, routes] = await Promise.all([
    listAll(source, at("users"), onCallUser),
    listAll(source, at("teams"), onCallTeam),
    listAll(source, at("schedules"), onCallSchedule),
    listAll(source, at("on_call_shifts"), onCallShift),
    listAll(source, at("escalation_chains"), onCallChain),
    listAll(source, at("escalation_policies"), onCallStep),
    listAll(source, at("integrations"), onCallIntegration),
    listAll(source, at("routes"), onCallRoute),
  ]);
  const finalShifts = new Map<string, OnCallFinalShift[]>();
  // Only schedules made of shifts can be imported (ical ones cannot), so only theirs are compared.
  for (const schedule of schedules.filter((s) => s.type !== "ical")) {
    finalShifts.set(
      schedule.id,
      await listAll(source, `${at("schedules")}${schedule.id}/final_shifts`, onCallFinalShift, {
        start_date: isoDate(window.from),
        end_date: isoDate(window.until),
      }),
    );
  }
  return { users, teams, schedules, shifts, finalShifts, chains, steps, integrations, routes };
}
