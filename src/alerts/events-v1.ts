/**
 * PagerDuty Events API v1 (`POST /generic/2010-04-15/create_event.json`), still sent by older
 * integrations: requests and answers as PagerDuty documents them, so such a sender pages Firebreak
 * by changing the host. `service_key` is a Firebreak integration key.
 */
import { z } from "zod";
import type { App } from "../platform/http.ts";
import type { Metrics } from "../platform/metrics.ts";
import { findRedData } from "../platform/reddata.ts";
import { eventsErrorHandler, invalidEvent, zodErrors } from "./events-answers.ts";
import { INTAKE_BODY_LIMIT, withIntakeErrors } from "./intake-routes.ts";
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

export function eventsV1Routes(service: AlertService, metrics: Metrics) {
  const count = (outcome: string) => metrics.alertIntake.labels("events-v1", outcome).inc();
  return async (app: App) => {
    app.setErrorHandler(eventsErrorHandler(metrics, "events-v1"));

    app.post(
      "/generic/2010-04-15/create_event.json",
      {
        bodyLimit: INTAKE_BODY_LIMIT,
        config: { integration: "events-v1" },
        schema: { tags: ["alert intake"], security: [], hide: true },
      },
      async (req) => {
        const parsed = eventV1.safeParse(req.body);
        if (!parsed.success) throw invalidEvent(zodErrors(parsed.error));
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
