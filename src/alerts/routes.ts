/**
 * HTTP for alerts. Two kinds of routes: the API (services, alerts, changes, heartbeats,
 * maintenance; bearer tokens) and intake (Alertmanager, Events API v2, generic and change
 * webhooks, heartbeat pings), where the integration key in the URL or body is the credential.
 */
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import { Overloaded } from "../platform/batcher.ts";
import { isDatabaseUnavailable } from "../platform/db.ts";
import { AppError } from "../platform/errors.ts";
import { type App, toAppError } from "../platform/http.ts";
import type { Metrics } from "../platform/metrics.ts";
import { findRedData } from "../platform/reddata.ts";
import { ofTeams, teamQuery } from "../platform/team-filter.ts";
import {
  type AlertEvent,
  DEDUP_KEY_MAX,
  defaultGenericMapping,
  eventSeverities,
  eventV2Problems,
  fromAlertmanager,
  fromEventV2,
  fromGeneric,
  SUMMARY_MAX,
} from "./model.ts";
import type { AlertService, Integration } from "./service.ts";
import type { AlertRow } from "./store.ts";

/** Alertmanager and Events v2 senders post at most this much per request. */
export const INTAKE_BODY_LIMIT = 512 * 1024;

const tags = ["alerts"];
const id = z.object({ id: z.coerce.number().int().positive() });
const admin = { minRole: "admin" as const };
const responder = { minRole: "responder" as const };
const iso = (d: Date | null) => d?.toISOString() ?? null;

// -- schemas ------------------------------------------------------------------------------------

const mappingSchema = z
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
const serviceBody = z.object(serviceFields).strict();
const servicePatch = serviceBody.partial();

const serviceSchema = z
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
const presentService = (s: ServiceRow) => ({
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

const keySchema = z
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
const silenceMinutes = z.number().int().min(1).max(10080);
type KeyRow = Awaited<ReturnType<AlertService["listKeys"]>>[number];
const presentKey = (
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

const alertSchema = z
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
const presentAlert = (a: AlertRow) => ({
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

const changeSchema = z
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
type ChangeRow = {
  id: number;
  service_id: number;
  service_name?: string;
  summary: string;
  source: string;
  kind: string;
  happened_at: Date;
  links: unknown[];
  details: Record<string, unknown>;
};
const presentChange = (c: ChangeRow) => ({
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

const heartbeatSchema = z
  .object({
    id: z.number(),
    serviceId: z.number(),
    name: z.string(),
    intervalMinutes: z.number(),
    lastPingAt: z.string().nullable(),
  })
  .meta({ id: "Heartbeat" });
const presentHeartbeat = (h: {
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

const maintenanceSchema = z
  .object({ id: z.number(), serviceId: z.number(), start: z.string(), end: z.string(), reason: z.string() })
  .meta({ id: "MaintenanceWindow" });
const presentMaintenance = (m: {
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

const isoInstant = z.iso.datetime({ offset: true });
const hours = z.object({
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24),
});

// -- the API ------------------------------------------------------------------------------------

/**
 * Where senders post, at this server's public address (FIREBREAK_PUBLIC_URL): `{key}` and `{name}`
 * stand for an integration key and a heartbeat's name. The web app and the CLI fill them in.
 */
export function intakeEndpoints(publicUrl: string) {
  const base = publicUrl.replace(/\/+$/, "");
  return {
    publicUrl: base,
    alertmanager: `${base}/api/v1/integrations/alertmanager/{key}`,
    eventsV2: `${base}/v2/enqueue`,
    eventsV2Change: `${base}/v2/change/enqueue`,
    generic: `${base}/api/v1/integrations/generic/{key}`,
    change: `${base}/api/v1/integrations/change/{key}`,
    heartbeat: `${base}/api/v1/integrations/heartbeat/{key}/{name}`,
    // The drop-in vendor APIs (docs/alerts.md): the vendors' own paths on this host.
    opsgenie: `${base}/v2/alerts`,
    grafanaAlerting: `${base}/integrations/v1/grafana_alerting/{key}/`,
    formattedWebhook: `${base}/integrations/v1/formatted_webhook/{key}/`,
    eventsV1: `${base}/generic/2010-04-15/create_event.json`,
  };
}
const intakeEndpointsSchema = z
  .object({
    publicUrl: z.string().describe("FIREBREAK_PUBLIC_URL"),
    alertmanager: z.string(),
    eventsV2: z.string().describe("the key goes in the body as `routing_key`"),
    eventsV2Change: z.string(),
    generic: z.string(),
    change: z.string(),
    heartbeat: z.string(),
    opsgenie: z.string().describe("Opsgenie Alert API: the key goes in `Authorization: GenieKey <key>`"),
    grafanaAlerting: z.string().describe('a Grafana OnCall "Grafana Alerting" integration URL'),
    formattedWebhook: z.string().describe('a Grafana OnCall "Formatted Webhook" integration URL'),
    eventsV1: z.string().describe("PagerDuty Events API v1: the key goes in the body as `service_key`"),
  })
  .meta({ id: "IntakeEndpoints" });
export type IntakeEndpointsView = z.infer<typeof intakeEndpointsSchema>;

export function alertRoutes(
  service: AlertService,
  visibleIncidents: (actor: ReturnType<typeof actorOf>, ids: number[]) => Promise<Set<number>>,
  opts: { publicUrl?: string } = {},
) {
  const endpoints = intakeEndpoints(opts.publicUrl ?? "http://localhost:8080");
  /** DATA-3: an alert on a private incident is shown only to those who may see the incident. */
  async function visibleAlerts(req: FastifyRequest, rows: AlertRow[]): Promise<AlertRow[]> {
    const ids = [...new Set(rows.flatMap((a) => (a.incident_id === null ? [] : [a.incident_id])))];
    const seen = ids.length ? await visibleIncidents(actorOf(req), ids) : new Set<number>();
    return rows.filter((a) => a.incident_id === null || seen.has(a.incident_id));
  }

  return async (app: App) => {
    app.get(
      "/intake-endpoints",
      {
        schema: {
          tags,
          summary: "Where senders post alerts, changes and heartbeats, at this server's public URL",
          response: { 200: intakeEndpointsSchema },
        },
      },
      async () => endpoints,
    );
    app.post(
      "/services",
      {
        config: { ...admin, team: { kind: "service" } },
        schema: {
          tags,
          summary: "Create a service; answers with its first integration key (shown only now)",
          body: serviceBody,
          response: { 201: serviceSchema.extend({ integrationKey: z.string() }) },
        },
      },
      async (req, reply) => {
        const r = await service.createService(req.body);
        reply.code(201);
        return { ...presentService(r.service), integrationKey: r.integrationKey };
      },
    );
    app.get(
      "/services",
      {
        config: { team: { kind: "service", list: true } },
        schema: {
          tags,
          summary: "Every service (`?team=mine` or a team id: only those teams')",
          querystring: teamQuery,
          response: { 200: z.object({ services: z.array(serviceSchema) }) },
        },
      },
      async (req) => ({
        services: ofTeams(await service.listServices(), req.teamFilter, (s) => s.team_id).map(presentService),
      }),
    );
    app.get(
      "/services/:id",
      { schema: { tags, summary: "A service", params: id, response: { 200: serviceSchema } } },
      async (req) => presentService(await service.getService(req.params.id)),
    );
    app.patch(
      "/services/:id",
      {
        config: { ...admin, team: { kind: "service", param: "id" } },
        schema: {
          tags,
          summary: "Change a service",
          params: id,
          body: servicePatch,
          response: { 200: serviceSchema },
        },
      },
      async (req) => presentService(await service.updateService(req.params.id, req.body)),
    );
    app.delete(
      "/services/:id",
      {
        config: { ...admin, team: { kind: "service", param: "id" } },
        schema: { tags, summary: "Delete a service, its keys and its alerts", params: id },
      },
      async (req, reply) => {
        await service.deleteService(req.params.id);
        return reply.code(204).send();
      },
    );

    app.post(
      "/services/:id/integration-keys",
      {
        config: { ...admin, team: { kind: "service", param: "id" } },
        schema: {
          tags,
          summary: "A new integration key (shown only now); `mapping` configures the generic webhook",
          params: id,
          body: z
            .object({
              name: z.string().trim().min(1).max(100),
              mapping: mappingSchema.optional(),
              silenceMinutes: silenceMinutes
                .optional()
                .describe("source silence: alert when no event arrives on the key for this many minutes"),
            })
            .strict(),
          response: { 201: keySchema.extend({ integrationKey: z.string() }) },
        },
      },
      async (req, reply) => {
        const k = await service.addKey(req.params.id, req.body.name, req.body.mapping ?? null);
        const silence = req.body.silenceMinutes ?? null;
        if (silence !== null) await service.setKeySilence(req.params.id, k.key.id, silence);
        reply.code(201);
        return { ...presentKey(k.key), silenceMinutes: silence, integrationKey: k.integrationKey };
      },
    );
    app.patch(
      "/services/:id/integration-keys/:keyId",
      {
        config: { ...admin, team: { kind: "service", param: "id" } },
        schema: {
          tags,
          summary: "Set or remove an integration key's source silence rule",
          description:
            "`silenceMinutes`: when no event (or heartbeat ping) arrives on the key for this many minutes, one alert `No alerts from <service>/<key> for N minutes` is raised on the service, resolved when events arrive again; counted from now. `null` removes the rule (and resolves its alert).",
          params: id.extend({ keyId: z.coerce.number().int().positive() }),
          body: z.object({ silenceMinutes: silenceMinutes.nullable() }).strict(),
        },
      },
      async (req, reply) => {
        await service.setKeySilence(req.params.id, req.params.keyId, req.body.silenceMinutes);
        return reply.code(204).send();
      },
    );
    app.get(
      "/services/:id/integration-keys",
      {
        config: { ...admin, team: { kind: "service", param: "id" } },
        schema: {
          tags,
          summary: "A service's integration keys (their last 4 characters only)",
          params: id,
          response: { 200: z.object({ keys: z.array(keySchema) }) },
        },
      },
      async (req) => {
        await service.getService(req.params.id);
        return { keys: (await service.listKeys(req.params.id)).map(presentKey) };
      },
    );
    app.delete(
      "/services/:id/integration-keys/:keyId",
      {
        config: { ...admin, team: { kind: "service", param: "id" } },
        schema: {
          tags,
          summary: "Revoke an integration key: senders using it get 404/400 within seconds",
          params: id.extend({ keyId: z.coerce.number().int().positive() }),
        },
      },
      async (req, reply) => {
        await service.deleteKey(req.params.id, req.params.keyId);
        return reply.code(204).send();
      },
    );

    app.get(
      "/services/:id/changes",
      {
        schema: {
          tags,
          summary: "Changes (deploys, feature flags) recorded for a service in the last `hours`",
          params: id,
          querystring: hours,
          response: { 200: z.object({ changes: z.array(changeSchema) }) },
        },
      },
      async (req) => ({
        changes: (await service.listServiceChanges(req.params.id, req.query.hours)).map(presentChange),
      }),
    );
    app.get(
      "/incidents/:id/changes",
      {
        schema: {
          tags,
          summary: "What changed: changes to the incident's services in the last `hours` (default 24)",
          params: id,
          querystring: hours,
          response: { 200: z.object({ changes: z.array(changeSchema) }) },
        },
      },
      async (req) => ({
        changes: (await service.changesForIncident(actorOf(req), req.params.id, req.query.hours)).map(
          presentChange,
        ),
      }),
    );
    app.post(
      "/incidents/:id/acknowledge",
      {
        config: responder,
        schema: {
          tags,
          summary: "Acknowledge an incident: its triggered pages and firing alerts, at once",
          params: id,
          response: {
            200: z.object({ pagesAcknowledged: z.array(z.number()), alertsAcknowledged: z.number() }),
          },
        },
      },
      async (req) => {
        const r = await service.acknowledgeIncident(actorOf(req), req.params.id);
        return { pagesAcknowledged: r.pages.map((p) => p.id), alertsAcknowledged: r.alerts };
      },
    );

    app.get(
      "/alerts",
      {
        schema: {
          tags,
          summary: "Alerts, newest first",
          querystring: z.object({
            status: z
              .string()
              .regex(
                /^(firing|acknowledged|resolved)(,(firing|acknowledged|resolved))*$/,
                "expected firing, acknowledged, resolved, comma-separated",
              )
              .optional(),
            service: z.coerce.number().int().positive().optional(),
            incident: z.coerce.number().int().positive().optional(),
            before: z.coerce
              .number()
              .int()
              .positive()
              .optional()
              .describe("alerts with a smaller id (paging)"),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: { 200: z.object({ alerts: z.array(alertSchema) }) },
        },
      },
      async (req) => {
        const q = req.query;
        const rows = await service.listAlerts({
          statuses: q.status?.split(",") as AlertRow["status"][] | undefined,
          serviceId: q.service,
          incidentId: q.incident,
          before: q.before,
          limit: q.limit,
        });
        return { alerts: (await visibleAlerts(req, rows)).map(presentAlert) };
      },
    );
    app.get(
      "/alerts/:id",
      { schema: { tags, summary: "An alert", params: id, response: { 200: alertSchema } } },
      async (req) => {
        const [a] = await visibleAlerts(req, [await service.getAlert(req.params.id)]);
        if (!a)
          throw new AppError("not-found", `alert ${req.params.id} does not exist or is not visible to you`);
        return presentAlert(a);
      },
    );
    for (const [path, to] of [
      ["acknowledge", "acknowledged"],
      ["resolve", "resolved"],
    ] as const) {
      app.post(
        `/alerts/:id/${path}`,
        {
          config: responder,
          schema: {
            tags,
            summary: `Mark an alert ${to}, as its sender would`,
            params: id,
            response: { 200: alertSchema },
          },
        },
        async (req) => {
          const [visible] = await visibleAlerts(req, [await service.getAlert(req.params.id)]);
          if (!visible)
            throw new AppError("not-found", `alert ${req.params.id} does not exist or is not visible to you`);
          return presentAlert(await withIntakeErrors(() => service.setAlertStatus(req.params.id, to)));
        },
      );
    }

    app.post(
      "/services/:id/heartbeats",
      {
        config: { ...admin, team: { kind: "service", param: "id" } },
        schema: {
          tags,
          summary: "Expect a ping every `intervalMinutes`; a missed one raises an alert (dead man's switch)",
          params: id,
          body: z
            .object({
              name: z
                .string()
                .trim()
                .regex(/^[\w.-]{1,100}$/, "expected letters, digits, . _ - (up to 100)"),
              intervalMinutes: z.number().int().min(1).max(10_080),
            })
            .strict(),
          response: { 201: heartbeatSchema },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return presentHeartbeat(await service.createHeartbeat(req.params.id, req.body));
      },
    );
    app.get(
      "/services/:id/heartbeats",
      {
        schema: {
          tags,
          summary: "A service's heartbeats",
          params: id,
          response: { 200: z.object({ heartbeats: z.array(heartbeatSchema) }) },
        },
      },
      async (req) => {
        await service.getService(req.params.id);
        return { heartbeats: (await service.listHeartbeats(req.params.id)).map(presentHeartbeat) };
      },
    );
    app.delete(
      "/services/:id/heartbeats/:heartbeatId",
      {
        config: { ...admin, team: { kind: "service", param: "id" } },
        schema: {
          tags,
          summary: "Stop expecting a heartbeat",
          params: id.extend({ heartbeatId: z.coerce.number().int().positive() }),
        },
      },
      async (req, reply) => {
        await service.deleteHeartbeat(req.params.id, req.params.heartbeatId);
        return reply.code(204).send();
      },
    );

    app.post(
      "/services/:id/maintenance",
      {
        config: { ...responder, team: { kind: "service", param: "id" } },
        schema: {
          tags,
          summary: "A maintenance window: alerts are recorded but page nobody",
          params: id,
          body: z
            .object({ start: isoInstant, end: isoInstant, reason: z.string().max(500).optional() })
            .strict(),
          response: { 201: maintenanceSchema },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return presentMaintenance(
          await service.addMaintenance(actorOf(req), req.params.id, {
            start: new Date(req.body.start),
            end: new Date(req.body.end),
            reason: req.body.reason,
          }),
        );
      },
    );
    app.get(
      "/services/:id/maintenance",
      {
        schema: {
          tags,
          summary: "Maintenance windows that have not ended",
          params: id,
          response: { 200: z.object({ windows: z.array(maintenanceSchema) }) },
        },
      },
      async (req) => ({ windows: (await service.listMaintenance(req.params.id)).map(presentMaintenance) }),
    );
    app.delete(
      "/services/:id/maintenance/:windowId",
      {
        config: { ...responder, team: { kind: "service", param: "id" } },
        schema: {
          tags,
          summary: "End or cancel a maintenance window",
          params: id.extend({ windowId: z.coerce.number().int().positive() }),
        },
      },
      async (req, reply) => {
        await service.deleteMaintenance(req.params.id, req.params.windowId);
        return reply.code(204).send();
      },
    );
  };
}

// -- intake -------------------------------------------------------------------------------------

/** Overload and a database outage are "come back later", never "accepted and dropped". */
export async function withIntakeErrors<T>(
  run: () => Promise<T>,
  overloadCode: "rate-limited" | "unavailable" = "rate-limited",
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof Overloaded) {
      throw new AppError(overloadCode, err.message, { retryAfterSeconds: err.retryAfterSeconds });
    }
    if (isDatabaseUnavailable(err)) {
      throw new AppError("unavailable", "the database is unavailable; retry later", { retryAfterSeconds: 5 });
    }
    throw err;
  }
}

const keyParam = z.object({ key: z.string().min(1).max(200) });

const amAlert = z.object({
  status: z.enum(["firing", "resolved"]),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).optional(),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().max(DEDUP_KEY_MAX).optional(),
});
/** Alertmanager's webhook payload, version 4; unknown fields are ignored. */
const amPayload = z.object({
  version: z.literal("4", {
    error: 'expected "4": the Alertmanager webhook payload version this endpoint reads',
  }),
  groupKey: z.string(),
  status: z.enum(["firing", "resolved"]),
  receiver: z.string().optional(),
  groupLabels: z.record(z.string(), z.string()).optional(),
  commonLabels: z.record(z.string(), z.string()).optional(),
  commonAnnotations: z.record(z.string(), z.string()).optional(),
  externalURL: z.string().optional(),
  truncatedAlerts: z.number().optional(),
  alerts: z.array(amAlert).max(10_000),
});

const genericChange = z.object({
  summary: z.string().min(1).max(SUMMARY_MAX),
  source: z.string().max(255).optional(),
  kind: z.enum(["change", "deploy", "feature-flag"]).optional(),
  timestamp: isoInstant.optional(),
  links: z
    .array(z.object({ href: z.string(), text: z.string().optional() }))
    .max(50)
    .optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

function redDataIn(events: { field: string; text: string }[]): AppError | null {
  for (const e of events) {
    const found = findRedData({ [e.field]: e.text });
    if (found)
      return new AppError(
        "red-data",
        `${found.field} contains ${found.label}; RED data is never stored — remove it at the sender`,
        { field: found.field, found: found.kind },
      );
  }
  return null;
}

/**
 * While the intake queue is full, alert requests are refused before their bodies are read: in a
 * storm, parsing and validating a request only to refuse it takes the CPU and memory the queue
 * needs to drain. Change events and heartbeat pings do not queue, so they are always read.
 */
function refuseWhenFull(service: AlertService) {
  const queued = new Set(["alertmanager", "generic", "events"]);
  return async (req: FastifyRequest) => {
    const integration = req.routeOptions.config.integration;
    if (req.method !== "POST" || !integration || !queued.has(integration)) return;
    const refusal = service.refusalWhenFull();
    if (refusal)
      await withIntakeErrors(
        () => Promise.reject(refusal),
        integration === "alertmanager" ? "unavailable" : "rate-limited",
      );
  };
}

export function intakeRoutes(service: AlertService, metrics: Metrics) {
  const count = (integration: string, outcome: string) =>
    metrics.alertIntake.labels(integration, outcome).inc();

  async function integrationOr404(integration: string, key: string): Promise<Integration> {
    const found = await service.integrationFor(key);
    if (!found) {
      count(integration, "unknown-key");
      throw new AppError(
        "not-found",
        "no integration has this key: check the URL, or create a key for the service",
      );
    }
    return found;
  }

  async function commit(
    integration: string,
    serviceId: number,
    events: AlertEvent[],
    overload: "rate-limited" | "unavailable",
  ) {
    await withIntakeErrors(() => service.intake(events.map((event) => ({ serviceId, event }))), overload);
    count(integration, "accepted");
    metrics.alertEvents.labels(integration).inc(events.length);
  }

  return async (app: App) => {
    // Refusals are counted per integration, whatever refused them (parser, schema, key).
    app.addHook("onError", async (req, _reply, err) => {
      const integration = req.routeOptions.config.integration;
      if (integration && !(err instanceof AppError && err.code === "not-found"))
        count(integration, toAppError(err, INTAKE_BODY_LIMIT).code);
    });

    app.addHook("onRequest", refuseWhenFull(service));

    const intake = { tags: ["alert intake"], security: [] };
    app.post(
      "/alertmanager/:key",
      {
        bodyLimit: INTAKE_BODY_LIMIT,
        config: { integration: "alertmanager" },
        schema: {
          ...intake,
          summary: "Prometheus Alertmanager webhook (payload version 4)",
          description:
            "Point a `webhook_configs` receiver here with `send_resolved: true`. Alerts are deduplicated by fingerprint; a repeated notification changes nothing. 200 once committed; 503 with Retry-After when overloaded (Alertmanager retries).",
          params: keyParam,
          body: amPayload,
          response: { 200: z.object({ status: z.literal("ok"), alerts: z.number() }) },
        },
      },
      async (req) => {
        const target = await integrationOr404("alertmanager", req.params.key);
        const events = fromAlertmanager(req.body);
        const red = redDataIn(
          req.body.alerts.flatMap((a, i) => [
            { field: `alerts[${i}].annotations`, text: JSON.stringify(a.annotations ?? {}) },
            { field: `alerts[${i}].labels`, text: JSON.stringify(a.labels) },
          ]),
        );
        if (red) throw red;
        await commit("alertmanager", target.serviceId, events, "unavailable");
        return { status: "ok" as const, alerts: events.length };
      },
    );
    app.post(
      "/generic/:key",
      {
        bodyLimit: INTAKE_BODY_LIMIT,
        config: { integration: "generic" },
        schema: {
          ...intake,
          summary:
            "Generic JSON webhook: the key's mapping says which fields are the summary, dedup key, severity and resolution",
          params: keyParam,
          body: z.union([
            z.record(z.string(), z.unknown()),
            z.array(z.record(z.string(), z.unknown())).max(1000),
          ]),
          response: { 202: z.object({ status: z.literal("accepted"), dedupKeys: z.array(z.string()) }) },
        },
      },
      async (req, reply) => {
        const target = await integrationOr404("generic", req.params.key);
        const mapping = target.mapping ?? defaultGenericMapping;
        const bodies = Array.isArray(req.body) ? req.body : [req.body];
        const events: AlertEvent[] = [];
        for (const [i, body] of bodies.entries()) {
          const r = fromGeneric(body, mapping);
          if ("problems" in r) {
            const at = Array.isArray(req.body) ? `[${i}].` : "";
            const errors = r.problems.map((p) => ({ field: `${at}${p.field}`, message: p.message }));
            throw new AppError("invalid-request", errors.map((e) => `${e.field}: ${e.message}`).join("; "), {
              field: errors[0]?.field,
              errors,
            });
          }
          events.push(r.event);
        }
        const red = redDataIn(
          bodies.map((b, i) => ({
            field: Array.isArray(req.body) ? `[${i}]` : "body",
            text: JSON.stringify(b),
          })),
        );
        if (red) throw red;
        await commit("generic", target.serviceId, events, "rate-limited");
        reply.code(202);
        return { status: "accepted" as const, dedupKeys: events.map((e) => e.dedupKey) };
      },
    );
    app.post(
      "/change/:key",
      {
        bodyLimit: INTAKE_BODY_LIMIT,
        config: { integration: "change" },
        schema: {
          ...intake,
          summary: "Record a change (deploy, feature flag) for the key's service",
          params: keyParam,
          body: genericChange,
          response: { 202: z.object({ status: z.literal("accepted"), id: z.number() }) },
        },
      },
      async (req, reply) => {
        const target = await integrationOr404("change", req.params.key);
        const b = req.body;
        const red = redDataIn([
          { field: "summary", text: b.summary },
          { field: "details", text: JSON.stringify(b.details ?? {}) },
        ]);
        if (red) throw red;
        const c = await withIntakeErrors(() =>
          service.recordChange(target.serviceId, {
            summary: b.summary,
            source: b.source,
            kind: b.kind,
            at: b.timestamp ? new Date(b.timestamp) : undefined,
            links: b.links,
            details: b.details,
          }),
        );
        count("change", "accepted");
        reply.code(202);
        return { status: "accepted" as const, id: c.id };
      },
    );
    for (const method of ["GET", "POST"] as const) {
      app.route({
        method,
        url: "/heartbeat/:key/:name",
        bodyLimit: 1024,
        config: { integration: "heartbeat" },
        schema: {
          ...intake,
          summary: "A heartbeat ping (GET or POST, body ignored): re-arms the dead man's switch",
          params: keyParam.extend({ name: z.string().max(100) }),
          response: { 200: z.object({ status: z.literal("ok"), nextPingBy: z.string() }) },
        },
        handler: async (req: FastifyRequest<{ Params: { key: string; name: string } }>) => {
          const target = await integrationOr404("heartbeat", req.params.key);
          const h = await withIntakeErrors(() => service.ping(target.serviceId, req.params.name));
          count("heartbeat", "accepted");
          return {
            status: "ok" as const,
            nextPingBy: new Date(
              (h.last_ping_at?.getTime() ?? 0) + h.interval_minutes * 60_000,
            ).toISOString(),
          };
        },
      });
    }
  };
}

// -- PagerDuty Events API v2 ----------------------------------------------------------------------

/**
 * Every field PagerDuty documents for "Send an alert event", with its constraints: a sender that
 * PagerDuty would refuse is refused here too (a 400 in that API's shape), never half-stored. The
 * rules between fields (payload for triggers, dedup_key for the others, timestamp format, HTTPS
 * images) are `eventV2Problems` in the model.
 */
const eventV2 = z.object({
  routing_key: z.string().min(1),
  event_action: z.enum(["trigger", "acknowledge", "resolve"]),
  dedup_key: z.string().min(1).max(DEDUP_KEY_MAX).optional(),
  payload: z
    .object({
      summary: z.string().min(1).max(SUMMARY_MAX),
      source: z.string().min(1).max(255),
      severity: z.enum(eventSeverities),
      timestamp: z.string().optional(),
      component: z.string().optional(),
      group: z.string().optional(),
      class: z.string().optional(),
      custom_details: z
        .record(z.string(), z.unknown(), { error: "expected an object of custom details" })
        .optional(),
    })
    .optional(),
  client: z.string().optional(),
  client_url: z.string().optional(),
  links: z
    .array(
      z.object({
        href: z.string({ error: "is missing: a link needs an href" }).min(1),
        text: z.string().optional(),
      }),
    )
    .optional(),
  images: z
    .array(
      z.object({
        src: z.string({ error: "is missing: an image needs a src" }).min(1),
        href: z.string().optional(),
        alt: z.string().optional(),
      }),
    )
    .optional(),
});
const changeV2 = z.object({
  routing_key: z.string(),
  payload: z.object({
    summary: z.string().min(1).max(SUMMARY_MAX),
    timestamp: z.string().optional(),
    source: z.string().max(255).optional(),
    custom_details: z.record(z.string(), z.unknown()).optional(),
  }),
  links: z.array(z.object({ href: z.string(), text: z.string().optional() })).optional(),
});

/** An Events v2 error answer, shaped as that API's: `{ status, message, errors }`. */
class EventsError extends Error {
  constructor(
    readonly statusCode: number,
    readonly status: string,
    message: string,
    readonly errors: string[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

const zodErrors = (e: z.ZodError) =>
  e.issues.map((i) => `'${i.path.join(".") || "body"}' ${i.message.replace(/^Invalid input: /, "")}`);

/**
 * `POST /v2/enqueue` and `POST /v2/change/enqueue`: requests and answers as the PagerDuty Events
 * API v2 defines them, so a sender that pages PagerDuty pages Firebreak by changing the URL.
 */
export function eventsV2Routes(service: AlertService, metrics: Metrics) {
  const count = (integration: string, outcome: string) =>
    metrics.alertIntake.labels(integration, outcome).inc();
  return async (app: App) => {
    app.setErrorHandler((raw, req, reply) => {
      const integration = req.routeOptions.config.integration ?? "events";
      let e: EventsError;
      if (raw instanceof EventsError) e = raw;
      else {
        const err = toAppError(raw, INTAKE_BODY_LIMIT);
        if (err.code === "internal") req.log.error({ err: raw }, "events intake failed");
        const retry = (err.extra.retryAfterSeconds as number | undefined) ?? undefined;
        e = new EventsError(
          err.status,
          err.status === 429 ? "throttle event" : err.status >= 500 ? "error" : "invalid event",
          err.status === 400 ? "Event object is invalid" : err.message,
          err.status === 400 ? [err.message] : [],
          retry,
        );
      }
      count(
        integration,
        e.statusCode === 429 ? "rate-limited" : e.statusCode >= 500 ? "unavailable" : "invalid",
      );
      if (e.retryAfterSeconds !== undefined || e.statusCode === 429 || e.statusCode === 503)
        reply.header("retry-after", String(e.retryAfterSeconds ?? 5));
      reply.code(e.statusCode).send({ status: e.status, message: e.message, errors: e.errors });
    });

    app.addHook("onRequest", refuseWhenFull(service));

    const schema = { tags: ["alert intake"], security: [] };
    app.post(
      "/enqueue",
      {
        bodyLimit: INTAKE_BODY_LIMIT,
        config: { integration: "events" },
        schema: {
          ...schema,
          summary: "PagerDuty Events API v2: trigger, acknowledge or resolve an alert",
          description:
            '`routing_key` is a Firebreak integration key. 202 `{status: "success", message: "Event processed", dedup_key}` once committed; 400 `{status: "invalid event", message, errors}`; 429 with Retry-After when overloaded.',
        },
      },
      async (req, reply) => {
        const parsed = eventV2.safeParse(req.body);
        if (!parsed.success)
          throw new EventsError(400, "invalid event", "Event object is invalid", zodErrors(parsed.error));
        const e = parsed.data;
        const problems = eventV2Problems(e);
        if (problems.length) throw new EventsError(400, "invalid event", "Event object is invalid", problems);
        const target = await service.integrationFor(e.routing_key);
        if (!target) {
          throw new EventsError(400, "invalid event", "Event object is invalid", [
            "'routing_key' is not a known integration key",
          ]);
        }
        const event = fromEventV2(e);
        const found = findRedData({
          "payload.summary": event.summary,
          "payload.custom_details": JSON.stringify(e.payload?.custom_details ?? null),
          links: JSON.stringify(e.links ?? []),
        });
        if (found)
          throw new EventsError(400, "invalid event", "Event object is invalid", [
            `'${found.field}' contains ${found.label}; RED data is never stored`,
          ]);
        await withIntakeErrors(() => service.intake([{ serviceId: target.serviceId, event }]));
        count("events", "accepted");
        metrics.alertEvents.labels("events").inc();
        reply.code(202);
        return { status: "success", message: "Event processed", dedup_key: event.dedupKey };
      },
    );
    app.post(
      "/change/enqueue",
      {
        bodyLimit: INTAKE_BODY_LIMIT,
        config: { integration: "events-change" },
        schema: {
          ...schema,
          summary: "PagerDuty Events API v2 change events: a deploy or other change to a service",
        },
      },
      async (req, reply) => {
        const parsed = changeV2.safeParse(req.body);
        if (!parsed.success)
          throw new EventsError(400, "invalid event", "Event object is invalid", zodErrors(parsed.error));
        const c = parsed.data;
        const target = await service.integrationFor(c.routing_key);
        if (!target)
          throw new EventsError(400, "invalid event", "Event object is invalid", [
            "'routing_key' is not a known integration key",
          ]);
        const red = findRedData({
          "payload.summary": c.payload.summary,
          "payload.custom_details": JSON.stringify(c.payload.custom_details ?? null),
        });
        if (red)
          throw new EventsError(400, "invalid event", "Event object is invalid", [
            `'${red.field}' contains ${red.label}; RED data is never stored`,
          ]);
        const at = c.payload.timestamp ? new Date(c.payload.timestamp) : undefined;
        if (at && Number.isNaN(at.getTime()))
          throw new EventsError(400, "invalid event", "Event object is invalid", [
            "'payload.timestamp' expected an ISO 8601 time",
          ]);
        await withIntakeErrors(() =>
          service.recordChange(target.serviceId, {
            summary: c.payload.summary,
            source: c.payload.source,
            kind: "change",
            at,
            links: c.links,
            details: c.payload.custom_details,
          }),
        );
        count("events-change", "accepted");
        reply.code(202);
        return { status: "success", message: "Change event processed" };
      },
    );
  };
}
