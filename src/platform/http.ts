import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError, type ErrorCode, problemOf } from "./errors.ts";
import type { Logger } from "./logger.ts";
import type { Metrics } from "./metrics.ts";

export type App = FastifyInstance<
  import("node:http").Server,
  import("node:http").IncomingMessage,
  import("node:http").ServerResponse,
  Logger,
  ZodTypeProvider
>;

export type HttpOptions = {
  log: Logger;
  metrics: Metrics;
  bodyLimit: number;
  version: string;
  /** For /readyz: the database answers and migrations are done. */
  ready: () => Promise<boolean>;
  /**
   * Answers a request before routing when it can (the status page's cached bytes), returning
   * true; anything else goes to the routes.
   */
  fastPath?: FastPath;
};

export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

const validRequestId = /^[\w.:-]{1,128}$/;

/** An X-Request-Id header's value when it is a sane token. */
export function saneRequestId(given: string | string[] | undefined): string | undefined {
  return typeof given === "string" && validRequestId.test(given) ? given : undefined;
}

/** The caller's X-Request-Id when it is a sane token. */
export const givenRequestId = (req: IncomingMessage): string | undefined =>
  saneRequestId(req.headers["x-request-id"]);

/** The caller's X-Request-Id when it is a sane token, else a new one. */
export const requestIdOf = (req: IncomingMessage): string => givenRequestId(req) ?? randomUUID();

/** Maps Fastify's own errors (parsing, limits) onto the error catalogue. */
export function fromFastifyError(err: FastifyError, bodyLimit: number): AppError {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const context = err.validationContext ?? "body";
    const problems = err.validation.map((v) => {
      // "/layers/1/start" → "layers[1].start"; body fields are named as the body spells them.
      const path = v.instancePath
        .split("/")
        .filter(Boolean)
        .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
        .join("");
      const field = context === "body" ? path || "body" : path ? `${context}.${path}` : context;
      return { field, message: v.message ?? "invalid" };
    });
    const detail = problems.map((p) => `${p.field}: ${p.message}`).join("; ");
    return new AppError("invalid-request", detail, { field: problems[0]?.field, errors: problems });
  }
  const byCode: Record<string, [ErrorCode, string]> = {
    FST_ERR_CTP_BODY_TOO_LARGE: [
      "body-too-large",
      `the request body is over the limit of ${bodyLimit} bytes`,
    ],
    FST_ERR_CTP_INVALID_MEDIA_TYPE: [
      "unsupported-media-type",
      "send the body as application/json (Content-Type: application/json)",
    ],
    FST_ERR_CTP_EMPTY_JSON_BODY: [
      "invalid-request",
      "body: the request has Content-Type application/json but no body",
    ],
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
      "invalid-request",
      "the Content-Length header does not match the body",
    ],
  };
  const known = err.code ? byCode[err.code] : undefined;
  if (known) return new AppError(known[0], known[1]);
  if (err instanceof SyntaxError || err.code === "FST_ERR_CTP_INVALID_JSON_BODY") {
    return new AppError("invalid-request", `body: not valid JSON (${err.message})`, { field: "body" });
  }
  if (err.statusCode === 404) return new AppError("not-found", err.message);
  if (err.statusCode === 429) return new AppError("rate-limited", err.message);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new AppError("invalid-request", err.message);
  }
  return new AppError("internal", "");
}

export async function createHttp(opts: HttpOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: opts.log,
    bodyLimit: opts.bodyLimit,
    requestIdHeader: false,
    genReqId: requestIdOf,
    serverFactory: (handler) => {
      const server = createServer((req, res) => {
        if (!opts.fastPath?.(req, res)) handler(req, res);
      });
      // What Fastify sets on a server it makes itself.
      server.keepAliveTimeout = 72_000;
      server.requestTimeout = 0;
      server.setTimeout(0);
      return server;
    },
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<ZodTypeProvider>() as unknown as App;

  // Bodies are JSON only: anything else is a 415, not a string that fails validation.
  app.removeContentTypeParser(["text/plain"]);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest("actor", null);

  // Callback hooks, not async ones: they run on every request, status page crowds included, and
  // an async hook costs a promise and a microtask turn each.
  app.addHook("onRequest", (req, reply, done) => {
    reply.header("x-request-id", req.id);
    done();
  });
  app.addHook("onResponse", (req, reply, done) => {
    opts.metrics.httpRequests
      .labels(req.method, req.routeOptions.url ?? "unmatched", String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
    done();
  });

  app.setErrorHandler((raw: FastifyError, req, reply) => {
    const limit = req.routeOptions.bodyLimit ?? opts.bodyLimit;
    const err = raw instanceof AppError ? raw : fromFastifyError(raw, limit);
    if (err.code === "internal") {
      req.log.error({ err: raw }, "request failed");
      err.message = `an internal error occurred; quote request id ${req.id} when reporting it`;
    }
    opts.metrics.httpErrors.labels(err.code).inc();
    // Overload and outages say when to come back; senders such as Alertmanager honour it.
    const retryAfter = err.extra.retryAfterSeconds;
    if (typeof retryAfter === "number") reply.header("retry-after", String(retryAfter));
    else if (err.status === 429 || err.status === 503) reply.header("retry-after", "5");
    reply.code(err.status).type("application/problem+json").send(problemOf(err, req.url));
  });
  app.setNotFoundHandler((req, reply) => {
    const err = new AppError("not-found", `no route ${req.method} ${req.url.split("?")[0]}; see /api/docs`);
    opts.metrics.httpErrors.labels(err.code).inc();
    reply.code(404).type("application/problem+json").send(problemOf(err, req.url));
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Firebreak API",
        version: opts.version,
        description:
          "Incident response: incidents, roles, timeline, paging and status. Every /api/v1 route needs `Authorization: Bearer <token>`. Errors are application/problem+json (RFC 9457).",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: "/api/docs" });

  const health = { tags: ["operations"], security: [] };
  app.get(
    "/healthz",
    {
      schema: {
        ...health,
        summary: "The process is up",
        response: { 200: z.object({ status: z.literal("ok") }) },
      },
    },
    async () => ({ status: "ok" as const }),
  );
  app.get(
    "/readyz",
    {
      schema: {
        ...health,
        summary: "The database answers and migrations are applied",
        response: { 200: z.object({ status: z.literal("ready") }) },
      },
    },
    async () => {
      const ready = await opts.ready().catch(() => false);
      if (!ready)
        throw new AppError("unavailable", "the database is unreachable or migrations are not applied yet");
      return { status: "ready" as const };
    },
  );
  app.get(
    "/metrics",
    { schema: { ...health, summary: "Prometheus metrics (text format)" } },
    async (_req, reply) => {
      reply.type(opts.metrics.registry.contentType);
      return opts.metrics.registry.metrics();
    },
  );
  app.get(
    "/api/openapi.json",
    { schema: { ...health, summary: "This API as an OpenAPI 3 document" } },
    async () => app.swagger(),
  );
  return app;
}
