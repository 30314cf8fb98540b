/**
 * Reading an Opsgenie account (issue 19): the REST API's answers in the shapes Opsgenie documents,
 * checked with zod so a surprise names the request and the field, and the lists that page
 * (users, services) followed through `paging.next`. The same reads work on a directory of those
 * answers (source.ts), so `v2/users?limit=100&offset=0.json` is the first page of users.
 */
import { z } from "zod";
import { type JsonSource, type Query, SourceError } from "./source.ts";
import type { CheckWindow } from "./types.ts";

const participant = z.object({
  type: z.string(),
  id: z.string().optional(),
  name: z.string().optional(),
  username: z.string().optional(),
});
export type OgParticipant = z.infer<typeof participant>;

const restriction = z.object({
  startDay: z.string().optional(),
  endDay: z.string().optional(),
  startHour: z.number().int().min(0).max(24).default(0),
  startMin: z.number().int().min(0).max(59).default(0),
  endHour: z.number().int().min(0).max(24).default(0),
  endMin: z.number().int().min(0).max(59).default(0),
});
export type OgRestriction = z.infer<typeof restriction>;

const rotation = z.object({
  id: z.string(),
  name: z.string().default(""),
  startDate: z.string(),
  endDate: z.string().optional(),
  type: z.string(),
  length: z.number().int().min(1).default(1),
  participants: z.array(participant).default([]),
  timeRestriction: z
    .object({
      type: z.string(),
      /** time-of-day carries one restriction, weekday-and-time-of-day a list. */
      restriction: restriction.optional(),
      restrictions: z.array(restriction).optional(),
    })
    .optional(),
});
export type OgRotation = z.infer<typeof rotation>;

const teamMeta = z.object({ id: z.string().optional(), name: z.string().optional() });

const schedule = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  timezone: z.string(),
  enabled: z.boolean().default(true),
  ownerTeam: teamMeta.optional(),
  rotations: z.array(rotation).default([]),
});
export type OgSchedule = z.infer<typeof schedule>;

const user = z.object({
  id: z.string(),
  username: z.string(),
  fullName: z.string().default(""),
  role: z.object({ id: z.string().optional(), name: z.string() }).optional(),
  blocked: z.boolean().optional(),
});
export type OgUser = z.infer<typeof user>;

const team = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  members: z
    .array(
      z.object({
        user: z.object({ id: z.string().optional(), username: z.string().optional() }),
        role: z.string().default("user"),
      }),
    )
    .default([]),
});
export type OgTeam = z.infer<typeof team>;

const override = z.object({
  alias: z.string(),
  user: participant,
  startDate: z.string(),
  endDate: z.string(),
  rotations: z.array(z.object({ id: z.string(), name: z.string().optional() })).default([]),
});
export type OgOverride = z.infer<typeof override>;

const period = z.object({
  startDate: z.string(),
  endDate: z.string(),
  type: z.string().optional(),
  recipient: participant.optional(),
});
const timelineRotation = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  periods: z.array(period).default([]),
});
const timeline = z.object({
  startDate: z.string().optional(),
  endDate: z.string().optional(),
  finalTimeline: z.object({ rotations: z.array(timelineRotation).default([]) }),
});
export type OgTimeline = z.infer<typeof timeline>;

const escalation = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  ownerTeam: teamMeta.optional(),
  rules: z
    .array(
      z.object({
        condition: z.string(),
        notifyType: z.string(),
        delay: z.object({ timeAmount: z.number().min(0), timeUnit: z.string().optional() }),
        recipient: participant,
      }),
    )
    .default([]),
  repeat: z
    .object({
      waitInterval: z.number().min(0).default(0),
      count: z.number().int().min(0).default(0),
      resetRecipientStates: z.boolean().optional(),
      closeAlertAfterAll: z.boolean().optional(),
    })
    .optional(),
});
export type OgEscalation = z.infer<typeof escalation>;

const service = z.object({
  id: z.string(),
  name: z.string(),
  teamId: z.string().optional(),
  description: z.string().optional(),
});
export type OgService = z.infer<typeof service>;

const integration = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  enabled: z.boolean().optional(),
  teamId: z.string().optional(),
});
export type OgIntegration = z.infer<typeof integration>;

const maintenanceTime = z.object({
  type: z.string(),
  startDate: z.string().optional(),
  endDate: z.string().optional(),
});
const maintenance = z.object({
  id: z.string(),
  status: z.string().optional(),
  description: z.string().optional(),
  time: maintenanceTime,
  rules: z
    .array(
      z.object({
        state: z.string().default("enabled"),
        entity: z.object({ id: z.string(), type: z.string() }),
      }),
    )
    .optional(),
});
export type OgMaintenance = z.infer<typeof maintenance>;

/** Everything an import reads from one Opsgenie account. */
export type OpsgenieAccount = {
  users: OgUser[];
  teams: OgTeam[];
  schedules: OgSchedule[];
  /** By schedule id. */
  overrides: Map<string, OgOverride[]>;
  timelines: Map<string, OgTimeline>;
  escalations: OgEscalation[];
  services: OgService[];
  integrations: OgIntegration[];
  maintenance: OgMaintenance[];
};

const PAGE = 100;
const WEEK = 7 * 24 * 3_600_000;

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const at = issue?.path.length ? issue.path.join(".") : "(the answer)";
  throw new SourceError(`${what}: ${at}: ${issue?.message ?? "unexpected shape"}`);
}

/** `{ data: T }`, the envelope of every Opsgenie answer. */
async function getData<T>(source: JsonSource, schema: z.ZodType<T>, path: string, query?: Query) {
  const body = await source.get(path, query);
  return parse(z.object({ data: schema }), body, `GET ${path}`).data;
}

const pageEnvelope = z.object({
  data: z.array(z.unknown()),
  paging: z.object({ next: z.string().optional() }).optional(),
});

/**
 * A paged list: asks for `PAGE` items from offset 0 and then for whatever `paging.next` names,
 * taking only its offset and limit so a directory's file names stay short and predictable.
 */
async function getPaged<T>(source: JsonSource, schema: z.ZodType<T>, path: string): Promise<T[]> {
  const out: T[] = [];
  let query: Query | null = { limit: PAGE, offset: 0 };
  const seen = new Set<string>();
  while (query) {
    const asked: Query = query;
    const key = `${asked.offset}/${asked.limit}`;
    if (seen.has(key)) throw new SourceError(`GET ${path}: paging.next repeats offset ${asked.offset}`);
    seen.add(key);
    const page: z.infer<typeof pageEnvelope> = parse(
      pageEnvelope,
      await source.get(path, asked),
      `GET ${path}`,
    );
    for (const [i, item] of page.data.entries()) {
      out.push(parse(schema, item, `GET ${path} (offset ${asked.offset}) data.${i}`));
    }
    const next: string | undefined = page.paging?.next;
    query = null;
    if (next && page.data.length > 0) {
      const params = new URL(next, "https://api.opsgenie.com").searchParams;
      const offset = Number(params.get("offset"));
      const limit = Number(params.get("limit") ?? PAGE);
      if (!Number.isInteger(offset) || offset < 0) {
        throw new SourceError(`GET ${path}: paging.next ${next} has no offset`);
      }
      query = { limit: Number.isInteger(limit) && limit > 0 ? limit : PAGE, offset };
    }
  }
  return out;
}

/**
 * Reads the account. Timelines cover the check window (asked by whole weeks from its start, one
 * more so a timeline starting at the beginning of that day still reaches its end).
 */
export async function readOpsgenie(source: JsonSource, window: CheckWindow): Promise<OpsgenieAccount> {
  const users = await getPaged(source, user, "/v2/users");
  const teamList = await getData(source, z.array(z.object({ id: z.string() })), "/v2/teams");
  const teams: OgTeam[] = [];
  for (const t of teamList) {
    teams.push(await getData(source, team, `/v2/teams/${t.id}`, { identifierType: "id" }));
  }
  const schedules = await getData(source, z.array(schedule), "/v2/schedules", { expand: "rotation" });
  const overrides = new Map<string, OgOverride[]>();
  const timelines = new Map<string, OgTimeline>();
  const weeks = Math.ceil((window.until.getTime() - window.from.getTime()) / WEEK) + 1;
  for (const s of schedules) {
    overrides.set(
      s.id,
      await getData(source, z.array(override), `/v2/schedules/${s.id}/overrides`, {
        scheduleIdentifierType: "id",
      }),
    );
    timelines.set(
      s.id,
      await getData(source, timeline, `/v2/schedules/${s.id}/timeline`, {
        identifierType: "id",
        interval: weeks,
        intervalUnit: "weeks",
        date: window.from.toISOString(),
      }),
    );
  }
  const escalations = await getData(source, z.array(escalation), "/v2/escalations");
  const services = await getPaged(source, service, "/v1/services");
  const integrations = await getData(source, z.array(integration), "/v2/integrations");
  const listed = await getData(source, z.array(maintenance), "/v1/maintenance", { type: "non-expired" });
  const maintenanceWindows: OgMaintenance[] = [];
  for (const m of listed) {
    // The list leaves out the rules; the single maintenance has them.
    maintenanceWindows.push(m.rules ? m : await getData(source, maintenance, `/v1/maintenance/${m.id}`));
  }
  return {
    users,
    teams,
    schedules,
    overrides,
    timelines,
    escalations,
    services,
    integrations,
    maintenance: maintenanceWindows,
  };
}
