/**
 * Configuration as code: the stable form of a document — objects sorted, keys in a fixed order,
 * default values left out — that export writes and plan compares in. Pure.
 */
import { defaultBusinessHours } from "../paging/model.ts";
import { canonicalJson } from "../platform/idempotency-key.ts";
import {
  type ComponentDoc,
  type ConfigDocument,
  DOCUMENT_VERSION,
  type EscalationPolicyDoc,
  type IntegrationDoc,
  type MaintenanceDoc,
  type OverrideDoc,
  type RotationDoc,
  type ScheduleDoc,
  type ServiceDoc,
  type StatusPageDoc,
  type TeamDoc,
  type UserDoc,
} from "./document.ts";

/** Service and service defaults the document omits (src/alerts/service.ts creates with these). */
export const SERVICE_DEFAULTS = { groupingWindowMinutes: 60, flapChanges: 4, flapWindowMinutes: 30 };
/** An escalation policy's acknowledgement timeout when none is given (src/paging/service.ts). */
export const DEFAULT_ACK_TIMEOUT = 30;

const byText =
  <T>(key: (x: T) => string) =>
  (a: T, b: T) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
const sortedDays = (days: number[]) => [...new Set(days)].sort((a, b) => a - b);
/** Keeps only the keys whose value is defined, in the order given. */
export function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
const instantText = (d: Date | string) => new Date(d).toISOString();

// -- the stable form ------------------------------------------------------------------------------

/**
 * The stable form of a document: objects sorted, keys in a fixed order, default values left out.
 * Export writes it, and plan compares documents in it. `defaultTeam` is the default team's slug
 * (a `team` naming it is left out); lists a file gives explicitly (`overrides: []`) are kept, since
 * an absent list means "leave them as they are" there.
 */
export function normalise(doc: ConfigDocument, defaultTeam: string): ConfigDocument {
  const team = (t: string | undefined) => (t === undefined || t === defaultTeam ? undefined : t);
  return compact({
    version: DOCUMENT_VERSION,
    users: [...doc.users].sort(byText((u) => u.username)).map(normaliseUser),
    teams: [...doc.teams].sort(byText((t) => t.slug)).map(normaliseTeam),
    schedules: [...doc.schedules].sort(byText((s) => s.name)).map((s) => normaliseSchedule(s, team(s.team))),
    escalationPolicies: [...doc.escalationPolicies]
      .sort(byText((p) => p.name))
      .map((p) => normalisePolicy(p, team(p.team))),
    services: [...doc.services].sort(byText((s) => s.name)).map((s) => normaliseService(s, team(s.team))),
    statusPages: [...doc.statusPages].sort(byText((p) => p.slug)).map((p) => normalisePage(p, team(p.team))),
    policy: doc.policy,
  });
}

const normaliseUser = (u: UserDoc): UserDoc =>
  compact({ username: u.username, name: u.name, email: u.email, role: u.role });

// A team without members leaves the list out (the document's type has it, filled() puts it back).
const normaliseTeam = (t: TeamDoc): TeamDoc =>
  compact<Record<string, unknown>>({
    slug: t.slug,
    name: t.name,
    members: t.members?.length
      ? [...t.members].sort(byText((m) => m.user)).map((m) => ({ user: m.user, role: m.role }))
      : undefined,
  }) as TeamDoc;

function normaliseRotation(r: RotationDoc): RotationDoc {
  return compact({
    name: r.name,
    timeZone: r.timeZone,
    participants: [...r.participants],
    shiftLength: { unit: r.shiftLength.unit, count: r.shiftLength.count },
    start: r.start,
    restrictions: r.restrictions?.length
      ? r.restrictions.map((x) => ({ days: sortedDays(x.days), start: x.start, end: x.end }))
      : undefined,
  });
}

const normaliseOverride = (o: OverrideDoc): OverrideDoc =>
  compact({
    user: o.user,
    start: instantText(o.start),
    end: instantText(o.end),
    reason: o.reason ? o.reason : undefined,
  });

function normaliseSchedule(s: ScheduleDoc, team: string | undefined): ScheduleDoc {
  return compact({
    name: s.name,
    team,
    timeZone: s.timeZone,
    layers: s.layers.map(normaliseRotation),
    overrides: s.overrides
      ?.map(normaliseOverride)
      .sort(byText((o) => `${o.start} ${o.end} ${o.user} ${o.reason ?? ""}`)),
  });
}

function normalisePolicy(p: EscalationPolicyDoc, team: string | undefined): EscalationPolicyDoc {
  const hours = p.businessHours && {
    timeZone: p.businessHours.timeZone,
    days: sortedDays(p.businessHours.days),
    start: p.businessHours.start,
    end: p.businessHours.end,
  };
  return compact({
    name: p.name,
    team,
    description: p.description ? p.description : undefined,
    levels: p.levels.map((l) => ({
      timeoutMinutes: l.timeoutMinutes,
      targets: l.targets.map((t) => ("user" in t ? { user: t.user } : { schedule: t.schedule })),
    })),
    repeat: p.repeat ? p.repeat : undefined,
    ackTimeoutMinutes:
      p.ackTimeoutMinutes === undefined || p.ackTimeoutMinutes === DEFAULT_ACK_TIMEOUT
        ? undefined
        : p.ackTimeoutMinutes,
    businessHours: hours && canonicalJson(hours) !== canonicalJson(defaultBusinessHours) ? hours : undefined,
  }) as EscalationPolicyDoc;
}

const normaliseIntegration = (i: IntegrationDoc): IntegrationDoc =>
  compact({
    name: i.name,
    mapping: i.mapping ? (JSON.parse(canonicalJson(i.mapping)) as Record<string, unknown>) : undefined,
    silenceMinutes: i.silenceMinutes,
  });

const normaliseMaintenance = (m: MaintenanceDoc): MaintenanceDoc =>
  compact({ start: instantText(m.start), end: instantText(m.end), reason: m.reason ? m.reason : undefined });

function normaliseService(s: ServiceDoc, team: string | undefined): ServiceDoc {
  const unlessDefault = (k: keyof typeof SERVICE_DEFAULTS) =>
    s[k] === SERVICE_DEFAULTS[k] ? undefined : s[k];
  return compact({
    name: s.name,
    team,
    description: s.description ? s.description : undefined,
    escalationPolicy: s.escalationPolicy,
    incidentType: s.incidentType,
    incidentSeverity: s.incidentSeverity,
    groupingWindowMinutes: unlessDefault("groupingWindowMinutes"),
    flapChanges: unlessDefault("flapChanges"),
    flapWindowMinutes: unlessDefault("flapWindowMinutes"),
    integrations: s.integrations?.length
      ? [...s.integrations].sort(byText((i) => i.name)).map(normaliseIntegration)
      : undefined,
    maintenance: s.maintenance
      ?.map(normaliseMaintenance)
      .sort(byText((m) => `${m.start} ${m.end} ${m.reason ?? ""}`)),
  });
}

const normaliseComponent = (c: ComponentDoc): ComponentDoc =>
  compact({
    name: c.name,
    description: c.description ? c.description : undefined,
    group: c.group,
    isGroup: c.isGroup ? true : undefined,
    showcase: c.showcase === false ? false : undefined,
    onlyShowIfDegraded: c.onlyShowIfDegraded ? true : undefined,
    startDate: c.startDate,
  });

function normalisePage(p: StatusPageDoc, team: string | undefined): StatusPageDoc {
  return compact({
    slug: p.slug,
    name: p.name,
    team,
    timeZone: p.timeZone === "UTC" ? undefined : p.timeZone,
    components: p.components?.length ? p.components.map(normaliseComponent) : undefined,
  }) as StatusPageDoc;
}
