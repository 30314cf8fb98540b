/**
 * The configuration document: Firebreak's set-up as data (issue 19). `firebreak config export`
 * writes it as YAML, `plan` compares one with the server and `apply` makes the server match it;
 * the importers (src/importers) translate PagerDuty, Opsgenie and Grafana OnCall set-ups into the
 * same document, so an import is an apply.
 *
 * Objects refer to each other by name, never by database id, so a file can be applied to any
 * server: people by email (or username when they have none), teams by slug, schedules and
 * escalation policies by name. Secrets are never part of it: an integration key is named here and
 * its secret is issued by the server when the key is created.
 */
import { z } from "zod";

export const DOCUMENT_VERSION = 1;

/** A person: their email address, or their username when they have no email. */
const userRef = z.string().min(1).max(320);
const teamRef = z.string().min(1).max(63).describe("a team's slug; absent = the default team");
const role = z.enum(["viewer", "responder", "admin"]);
const instant = z.iso.datetime({ offset: true });
const localDateTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'expected a local date-time such as "2026-03-02T09:00"');
const clock = z.string().regex(/^\d{2}:\d{2}$/, 'expected a time of day such as "09:00"');
const isoDays = z.array(z.number().int().min(1).max(7)).describe("ISO weekdays, 1 = Monday … 7 = Sunday");

export const userDoc = z
  .object({
    username: z.string().min(1).max(100),
    name: z.string().min(1).max(200),
    email: z.string().email().optional(),
    role,
  })
  .strict();

export const teamDoc = z
  .object({
    slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected lowercase letters, digits and dashes"),
    name: z.string().min(1).max(200),
    members: z.array(z.object({ user: userRef, role }).strict()).default([]),
  })
  .strict();

export const rotationDoc = z
  .object({
    name: z.string().min(1).max(100),
    timeZone: z.string().min(1),
    participants: z.array(userRef).describe("people in turn order; one may appear more than once"),
    shiftLength: z
      .object({ unit: z.enum(["hours", "days", "weeks"]), count: z.number().int().min(1) })
      .strict(),
    start: localDateTime,
    restrictions: z.array(z.object({ days: isoDays, start: clock, end: clock }).strict()).optional(),
  })
  .strict();

export const overrideDoc = z
  .object({ user: userRef, start: instant, end: instant, reason: z.string().max(500).optional() })
  .strict();

export const scheduleDoc = z
  .object({
    name: z.string().min(1).max(100),
    team: teamRef.optional(),
    timeZone: z.string().min(1),
    layers: z.array(rotationDoc).max(20),
    /** Coverage swaps that have not ended yet. */
    overrides: z.array(overrideDoc).optional(),
  })
  .strict();

export const targetDoc = z.union([
  z.object({ user: userRef }).strict(),
  z.object({ schedule: z.string().min(1).max(100) }).strict(),
]);

export const escalationPolicyDoc = z
  .object({
    name: z.string().min(1).max(100),
    team: teamRef.optional(),
    description: z.string().max(2000).optional(),
    levels: z
      .array(
        z.object({ timeoutMinutes: z.number().int().min(1), targets: z.array(targetDoc).min(1) }).strict(),
      )
      .min(1),
    repeat: z.number().int().min(0).max(9).default(0),
    ackTimeoutMinutes: z.number().int().min(1).optional(),
    businessHours: z
      .object({ timeZone: z.string().min(1), days: isoDays, start: clock, end: clock })
      .strict()
      .optional(),
  })
  .strict();

export const integrationDoc = z
  .object({
    name: z.string().min(1).max(100),
    /** The generic webhook's field mapping, as the integration-keys API takes it. */
    mapping: z.record(z.string(), z.unknown()).optional(),
    silenceMinutes: z.number().int().min(1).max(10080).optional(),
  })
  .strict();

export const maintenanceDoc = z
  .object({ start: instant, end: instant, reason: z.string().max(500).optional() })
  .strict();

export const serviceDoc = z
  .object({
    name: z.string().min(1).max(100),
    team: teamRef.optional(),
    description: z.string().max(2000).optional(),
    escalationPolicy: z.string().min(1).max(100),
    incidentType: z.string().optional(),
    incidentSeverity: z.string().optional(),
    groupingWindowMinutes: z.number().int().min(1).max(10080).optional(),
    flapChanges: z.number().int().min(2).optional(),
    flapWindowMinutes: z.number().int().min(1).optional(),
    /** Integration keys by name; a key named here that the server lacks is issued on apply. */
    integrations: z.array(integrationDoc).optional(),
    /** Maintenance windows that have not ended yet. */
    maintenance: z.array(maintenanceDoc).optional(),
  })
  .strict();

export const componentDoc = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    /** The name of the group component this one sits in. */
    group: z.string().min(1).max(200).optional(),
    isGroup: z.boolean().optional(),
    showcase: z.boolean().optional(),
    onlyShowIfDegraded: z.boolean().optional(),
    startDate: z.iso.date().optional(),
  })
  .strict();

export const statusPageDoc = z
  .object({
    slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected lowercase letters, digits and dashes"),
    name: z.string().min(1).max(200),
    team: teamRef.optional(),
    timeZone: z.string().min(1).default("UTC"),
    /** In display order. A component's status is live state, not configuration: it is not here. */
    components: z.array(componentDoc).default([]),
  })
  .strict();

export const configDocument = z
  .object({
    version: z.literal(DOCUMENT_VERSION),
    users: z.array(userDoc).default([]),
    teams: z.array(teamDoc).default([]),
    schedules: z.array(scheduleDoc).default([]),
    escalationPolicies: z.array(escalationPolicyDoc).default([]),
    services: z.array(serviceDoc).default([]),
    statusPages: z.array(statusPageDoc).default([]),
    /** The policy file's content (src/policy), when the document carries it. */
    policy: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type ConfigDocument = z.infer<typeof configDocument>;
export type UserDoc = z.infer<typeof userDoc>;
export type TeamDoc = z.infer<typeof teamDoc>;
export type ScheduleDoc = z.infer<typeof scheduleDoc>;
export type RotationDoc = z.infer<typeof rotationDoc>;
export type OverrideDoc = z.infer<typeof overrideDoc>;
export type EscalationPolicyDoc = z.infer<typeof escalationPolicyDoc>;
export type TargetDoc = z.infer<typeof targetDoc>;
export type ServiceDoc = z.infer<typeof serviceDoc>;
export type IntegrationDoc = z.infer<typeof integrationDoc>;
export type MaintenanceDoc = z.infer<typeof maintenanceDoc>;
export type StatusPageDoc = z.infer<typeof statusPageDoc>;
export type ComponentDoc = z.infer<typeof componentDoc>;

/** An empty document, to build on. */
export const emptyDocument = (): ConfigDocument => ({
  version: DOCUMENT_VERSION,
  users: [],
  teams: [],
  schedules: [],
  escalationPolicies: [],
  services: [],
  statusPages: [],
});
