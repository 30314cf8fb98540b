/**
 * HTTP for alerts: the API (services, alerts, changes, heartbeats, maintenance; bearer tokens).
 * Intake, where the integration key in the URL or body is the credential, is in intake-routes.ts
 * (Alertmanager, generic and change webhooks, heartbeat pings) and a file per sender's format
 * (events-v2.ts, events-v1.ts, opsgenie.ts, grafana-oncall.ts).
 */
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import { AppError } from "../platform/errors.ts";
import type { App } from "../platform/http.ts";
import { ofTeams, teamQuery } from "../platform/team-filter.ts";
import { withIntakeErrors } from "./intake-routes.ts";
import {
  alertSchema,
  changeSchema,
  heartbeatSchema,
  hours,
  isoInstant,
  keySchema,
  maintenanceSchema,
  mappingSchema,
  presentAlert,
  presentChange,
  presentHeartbeat,
  presentKey,
  presentMaintenance,
  presentService,
  serviceBody,
  servicePatch,
  serviceSchema,
  silenceMinutes,
} from "./schemas.ts";
import type { AlertService } from "./service.ts";
import type { AlertRow } from "./store.ts";

const tags = ["alerts"];
const id = z.object({ id: z.coerce.number().int().positive() });
const admin = { minRole: "admin" as const };
const responder = { minRole: "responder" as const };

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
