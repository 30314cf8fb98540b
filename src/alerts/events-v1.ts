/**
 * PagerDuty Events API v1 (`POST /generic/2010-04-15/create_event.json`), still sent by older
 * integrations: requests and answers as PagerDuty documents them, so such a sender pages Firebreak
 * by changing the host. `service_key` is a Firebreak integration key.
 */
import { z } from "zod";
import { type App, toAppError } from "../platform/http.ts";
import type { Metrics } from "../platform/metrics.ts";
import { findRedData } from "../platform/reddata.ts";
import { INTAKE_BODY_LIMIT, withIntakeErrors } from "./routes.ts";
import type { AlertService } from "./service.ts";
import { eventV1Problems, fromEventV1 } from "./vendor-model.ts";

/** The fields PagerDuty documents for a v1 event, with their limits. */
const eventV1 = z.object({
  service_key: z.string().min(1),
  event_type: z.enum(["trigger", "acknowledge", "resolve"]),
  incident_key: z.string().min(1).max(255).optional(),
  description: z.string().max(1024).optional(),
  details: z.record(z.string(), z.unknown(), { error: "expected an object of details" }).optional(),
  client: z.string().optional(),
  client_url: z.string().optional(),
  contexts: z.array(z.record(z.string(), z.unknown())).optional(),
});

/** An answer in v1's shape: `{ status, message, errors }`. */
class EventsV1Error extends Error {
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
const invalidEvent = (errors: string[]) =>
  new EventsV1Error(400, "invalid event", "Event object is invalid", errors);

export function eventsV1Routes(service: AlertService, metrics: Metrics) {
  const count = (outcome: string) => metrics.alertIntake.labels("events-v1", outcome).inc();
  return async (app: App) => {
    app.setErrorHandler((raw, req, reply) => {
      let e: EventsV1Error;
      if (raw instanceof EventsV1Error) e = raw;
      else {
        const err = toAppError(raw, INTAKE_BODY_LIMIT);
        if (err.code === "internal") req.log.error({ err: raw }, "events v1 intake failed");
        e = new EventsV1Error(
          err.status,
          err.status === 429 ? "throttle event" : err.status >= 500 ? "error" : "invalid event",
          err.status === 400 ? "Event object is invalid" : err.message,
          err.status === 400 ? [err.message] : [],
          err.extra.retryAfterSeconds as number | undefined,
        );
      }
      count(e.statusCode === 429 ? "rate-limited" : e.statusCode >= 500 ? "unavailable" : "invalid");
      if (e.retryAfterSeconds !== undefined || e.statusCode === 429 || e.statusCode === 503)
        reply.header("retry-after", String(e.retryAfterSeconds ?? 5));
      reply.code(e.statusCode).send({ status: e.status, message: e.message, errors: e.errors });
    });

    app.post(
      "/generic/2010-04-15/create_event.json",
      {
        bodyLimit: INTAKE_BODY_LIMIT,
        config: { integration: "events-v1" },
        schema: { tags: ["alert intake"], security: [], hide: true },
      },
      async (req) => {
        const parsed = eventV1.safeParse(req.body);
        if (!parsed.success)
          throw invalidEvent(
            parsed.error.issues.map(
              (i) => `'${i.path.join(".") || "body"}' ${i.message.replace(/^Invalid input: /, "")}`,
            ),
          );
        const e = parsed.data;
        const problems = eventV1Problems(e);
        if (problems.length) throw invalidEvent(problems);
        const target = await service.integrationFor(e.service_key);
        if (!target) throw invalidEvent(["'service_key' is not a known integration key"]);
        const found = findRedData({
          description: e.description,
          details: JSON.stringify(e.details ?? null),
          contexts: JSON.stringify(e.contexts ?? null),
        });
        if (found) throw invalidEvent([`'${found.field}' contains ${found.label}; RED data is never stored`]);
        const event = fromEventV1(e);
        await withIntakeErrors(() => service.intake([{ serviceId: target.serviceId, event }]));
        count("accepted");
        metrics.alertEvents.labels("events-v1").inc();
        return {
          status: "success",
          message: "Event processed",
          incident_key: e.incident_key ?? event.dedupKey,
        };
      },
    );
  };
}
