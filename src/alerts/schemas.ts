/**
 * What the alerts API takes and answers: its request and answer schemas (which the OpenAPI
 * reference is generated from) and the presenters that turn stored rows into answers.
 */
import { z } from "zod";
import type { AlertService } from "./service.ts";
import type { AlertRow } from "./store.ts";

const iso = (d: Date | null) => d?.toISOString() ?? null;

export const mappingSchema = z
  .object({
    summary: z.string().min(1).describe("dotted path of the alert's summary, e.g. `alert.title`"),
    dedupKey: z.string().min(1).describe("dotted path of the field that identifies the alert"),
    severity: z.string().min(1).optional(),
    resolveWhen: z
      .object({ field: z.string().min(1), equals: z.array(z.string().min(1)).min(1) })
      .optional()
      .describe("the alert is resolved when this field equals one of these values"),
  })
  .strict()
  .meta({ id: "GenericMapping" });

const serviceFields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().max(2000).optional(),
  escalationPolicyId: z.number().int().positive().optional(),
  incidentType: z.string().min(1).optional().describe("type of the triage incidents its alerts open"),
  incidentSeverity: z
    .string()
    .min(1)
    .optional()
    .describe("severity they start with; a responder sets the real one"),
  groupingWindowMinutes: z.number().int().min(1).max(10_080).optional(),
  flapChanges: z.number().int().min(2).max(60).optional(),
  flapWindowMinutes: z.number().int().min(1).max(1440).optional(),
  teamId: z.number().int().positive().optional().describe("the team that owns it (default: your team)"),
};
export const serviceBody = z.object(serviceFields).strict();
export const servicePatch = serviceBody.partial();

export const serviceSchema = z
  .object({
    id: z.number(),
    name: z.string(),
    description: z.string(),
    escalationPolicyId: z.number(),
    teamId: z.number(),
    incidentType: z.string().nullable(),
    incidentSeverity: z.string().nullable(),
    groupingWindowMinutes: z.number(),
    flapChanges: z.number(),
    flapWindowMinutes: z.number(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Service" });
type ServiceRow = Awaited<ReturnType<AlertService["getService"]>>;
export const presentService = (s: ServiceRow) => ({
  id: s.id,
  name: s.name,
  description: s.description,
  escalationPolicyId: s.escalation_policy_id,
  teamId: s.team_id,
  incidentType: s.incident_type,
  incidentSeverity: s.incident_severity,
  groupingWindowMinutes: s.grouping_window_minutes,
  flapChanges: s.flap_changes,
  flapWindowMinutes: s.flap_window_minutes,
  createdAt: s.created_at.toISOString(),
  updatedAt: s.updated_at.toISOString(),
});

export const keySchema = z
  .object({
    id: z.number(),
    serviceId: z.number(),
    name: z.string(),
    keyHint: z.string().describe("the key's last 4 characters"),
    mapping: mappingSchema.nullable(),
    createdAt: z.string(),
    silenceMinutes: z
      .number()
      .nullable()
      .describe("source silence: one alert when no event arrives on this key for this many minutes"),
    lastEventAt: z.string().nullable().describe("the latest event on this key (to within 30 s)"),
  })
  .meta({ id: "IntegrationKey" });
export const silenceMinutes = z.number().int().min(1).max(10080);
type KeyRow = Awaited<ReturnType<AlertService["listKeys"]>>[number];
export const presentKey = (
  k: Omit<KeyRow, "silence_minutes" | "last_event_at"> &
    Partial<Pick<KeyRow, "silence_minutes" | "last_event_at">>,
) => ({
  id: k.id,
  serviceId: k.service_id,
  name: k.name,
  keyHint: k.key_hint,
  mapping: k.mapping,
  createdAt: k.created_at.toISOString(),
  silenceMinutes: k.silence_minutes ?? null,
  lastEventAt: k.last_event_at?.toISOString() ?? null,
});

export const alertSchema = z
  .object({
    id: z.number(),
    serviceId: z.number(),
    service: z.string(),
    dedupKey: z.string(),
    source: z.string(),
    status: z.enum(["firing", "acknowledged", "resolved"]),
    summary: z.string(),
    severity: z.string().describe("the sender's severity; it never sets the incident's (SEV-6)"),
    details: z.record(z.string(), z.unknown()),
    incidentId: z.number().nullable(),
    occurrences: z.number(),
    flapping: z.boolean(),
    suppressed: z.boolean().describe("arrived during a maintenance window: recorded, not paged"),
    firstSeenAt: z.string(),
    lastSeenAt: z.string(),
    resolvedAt: z.string().nullable(),
  })
  .meta({ id: "Alert" });
/** The shapes the web app reads (types only: web/src/api/alerts.ts). */
export type AlertView = z.infer<typeof alertSchema>;
export type ServiceView = z.infer<typeof serviceSchema>;
export const presentAlert = (a: AlertRow) => ({
  id: a.id,
  serviceId: a.service_id,
  service: a.service_name,
  dedupKey: a.dedup_key,
  source: a.source,
  status: a.status,
  summary: a.summary,
  severity: a.severity,
  details: a.details,
  incidentId: a.incident_id,
  occurrences: a.occurrences,
  flapping: a.flapping,
  suppressed: a.suppressed,
  firstSeenAt: a.first_seen_at.toISOString(),
  lastSeenAt: a.last_seen_at.toISOString(),
  resolvedAt: iso(a.resolved_at),
});

export const changeSchema = z
  .object({
    id: z.number(),
    serviceId: z.number(),
    service: z.string().optional(),
    summary: z.string(),
    source: z.string(),
    kind: z.string(),
    at: z.string(),
    links: z.array(z.unknown()),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "ChangeEvent" });
type ChangeRow = Awaited<ReturnType<AlertService["listServiceChanges"]>>[number];
export const presentChange = (c: ChangeRow) => ({
  id: c.id,
  serviceId: c.service_id,
  ...(c.service_name !== undefined && { service: c.service_name }),
  summary: c.summary,
  source: c.source,
  kind: c.kind,
  at: c.happened_at.toISOString(),
  links: c.links,
  details: c.details,
});

export const heartbeatSchema = z
  .object({
    id: z.number(),
    serviceId: z.number(),
    name: z.string(),
    intervalMinutes: z.number(),
    lastPingAt: z.string().nullable(),
  })
  .meta({ id: "Heartbeat" });
export const presentHeartbeat = (h: {
  id: number;
  service_id: number;
  name: string;
  interval_minutes: number;
  last_ping_at: Date | null;
}) => ({
  id: h.id,
  serviceId: h.service_id,
  name: h.name,
  intervalMinutes: h.interval_minutes,
  lastPingAt: iso(h.last_ping_at),
});

export const maintenanceSchema = z
  .object({ id: z.number(), serviceId: z.number(), start: z.string(), end: z.string(), reason: z.string() })
  .meta({ id: "MaintenanceWindow" });
export const presentMaintenance = (m: {
  id: number;
  service_id: number;
  start_at: Date;
  end_at: Date;
  reason: string;
}) => ({
  id: m.id,
  serviceId: m.service_id,
  start: m.start_at.toISOString(),
  end: m.end_at.toISOString(),
  reason: m.reason,
});

export const isoInstant = z.iso.datetime({ offset: true });
export const hours = z.object({
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24),
});
