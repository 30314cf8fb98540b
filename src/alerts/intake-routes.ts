/**
 * Alert intake over HTTP: Alertmanager's webhook, the generic JSON webhook, change events and
 * heartbeat pings. The integration key in the URL is the credential. What every intake route
 * shares (the body limit, overload and outage answers, refusing while the queue is full) is here
 * too; each other sender's format has its own file (events-v2.ts, events-v1.ts, opsgenie.ts,
 * grafana-oncall.ts).
 */
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { Overloaded } from "../platform/batcher.ts";
import { isDatabaseUnavailable } from "../platform/db.ts";
import { AppError } from "../platform/errors.ts";
import { type App, toAppError } from "../platform/http.ts";
import type { Metrics } from "../platform/metrics.ts";
import { findRedData } from "../platform/reddata.ts";
import {
  type AlertEvent,
  DEDUP_KEY_MAX,
  defaultGenericMapping,
  fromAlertmanager,
  fromGeneric,
  SUMMARY_MAX,
} from "./model.ts";
import type { AlertService, Integration } from "./service.ts";

/** Alertmanager and Events v2 senders post at most this much per request. */
export const INTAKE_BODY_LIMIT = 512 * 1024;

const isoInstant = z.iso.datetime({ offset: true });

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
export function refuseWhenFull(service: AlertService) {
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
