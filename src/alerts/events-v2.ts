/**
 * The PagerDuty Events API v2 (`POST /v2/enqueue`, `POST /v2/change/enqueue`): requests and answers
 * as PagerDuty documents them, so a sender that pages PagerDuty pages Firebreak by changing the URL.
 */
import { z } from "zod";
import type { App } from "../platform/http.ts";
import type { Metrics } from "../platform/metrics.ts";
import { findRedData } from "../platform/reddata.ts";
import { eventsErrorHandler, invalidEvent, zodErrors } from "./events-answers.ts";
import { INTAKE_BODY_LIMIT, refuseWhenFull, withIntakeErrors } from "./intake-routes.ts";
import { DEDUP_KEY_MAX, eventSeverities, eventV2Problems, fromEventV2, SUMMARY_MAX } from "./model.ts";
import type { AlertService } from "./service.ts";

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

/** The two routes, mounted under `/v2`; every refusal in the API's own shape (events-answers.ts). */
export function eventsV2Routes(service: AlertService, metrics: Metrics) {
  const count = (integration: string, outcome: string) =>
    metrics.alertIntake.labels(integration, outcome).inc();
  return async (app: App) => {
    app.setErrorHandler(eventsErrorHandler(metrics, "events"));

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
        if (!parsed.success) throw invalidEvent(zodErrors(parsed.error));
        const e = parsed.data;
        const problems = eventV2Problems(e);
        if (problems.length) throw invalidEvent(problems);
        const target = await service.integrationFor(e.routing_key);
        if (!target) {
          throw invalidEvent(["'routing_key' is not a known integration key"]);
        }
        const event = fromEventV2(e);
        const found = findRedData({
          "payload.summary": event.summary,
          "payload.custom_details": JSON.stringify(e.payload?.custom_details ?? null),
          links: JSON.stringify(e.links ?? []),
        });
        if (found) throw invalidEvent([`'${found.field}' contains ${found.label}; RED data is never stored`]);
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
        if (!parsed.success) throw invalidEvent(zodErrors(parsed.error));
        const c = parsed.data;
        const target = await service.integrationFor(c.routing_key);
        if (!target) throw invalidEvent(["'routing_key' is not a known integration key"]);
        const red = findRedData({
          "payload.summary": c.payload.summary,
          "payload.custom_details": JSON.stringify(c.payload.custom_details ?? null),
        });
        if (red) throw invalidEvent([`'${red.field}' contains ${red.label}; RED data is never stored`]);
        const at = c.payload.timestamp ? new Date(c.payload.timestamp) : undefined;
        if (at && Number.isNaN(at.getTime()))
          throw invalidEvent(["'payload.timestamp' expected an ISO 8601 time"]);
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
