/**
 * Answers in the shape of PagerDuty's Events APIs (v1 and v2 share it): `{ status, message,
 * errors }`, with the status words PagerDuty uses, so senders written for PagerDuty read Firebreak's
 * refusals as they read PagerDuty's.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import { toAppError } from "../platform/http.ts";
import type { Metrics } from "../platform/metrics.ts";
import { INTAKE_BODY_LIMIT } from "./intake-routes.ts";

/** An Events API error answer. */
export class EventsError extends Error {
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

/** The 400 PagerDuty answers an event it refuses, with what was wrong. */
export const invalidEvent = (errors: string[]) =>
  new EventsError(400, "invalid event", "Event object is invalid", errors);

/** A schema's refusals, one line per field, as PagerDuty words them (`'payload.summary' …`). */
export const zodErrors = (e: z.ZodError) =>
  e.issues.map((i) => `'${i.path.join(".") || "body"}' ${i.message.replace(/^Invalid input: /, "")}`);

/**
 * The error handler of an Events API's routes: every refusal in that API's shape, counted per
 * integration (the route's, else `fallback`), with Retry-After when the sender should come back.
 */
export function eventsErrorHandler(metrics: Metrics, fallback: string) {
  return (raw: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) => {
    const integration = req.routeOptions.config.integration ?? fallback;
    let e: EventsError;
    if (raw instanceof EventsError) e = raw;
    else {
      const err = toAppError(raw, INTAKE_BODY_LIMIT);
      if (err.code === "internal") req.log.error({ err: raw }, `${integration} intake failed`);
      e = new EventsError(
        err.status,
        err.status === 429 ? "throttle event" : err.status >= 500 ? "error" : "invalid event",
        err.status === 400 ? "Event object is invalid" : err.message,
        err.status === 400 ? [err.message] : [],
        err.extra.retryAfterSeconds as number | undefined,
      );
    }
    const outcome = e.statusCode === 429 ? "rate-limited" : e.statusCode >= 500 ? "unavailable" : "invalid";
    metrics.alertIntake.labels(integration, outcome).inc();
    if (e.retryAfterSeconds !== undefined || e.statusCode === 429 || e.statusCode === 503)
      reply.header("retry-after", String(e.retryAfterSeconds ?? 5));
    reply.code(e.statusCode).send({ status: e.status, message: e.message, errors: e.errors });
  };
}
