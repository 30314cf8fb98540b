import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { z } from "zod";
import { sameSecret } from "./auth.ts";
import { isDatabaseUnavailable } from "./db.ts";
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
  /** Proxies (addresses or CIDR ranges) whose X-Forwarded-For gives the client's address. */
  trustedProxies?: string[];
  /** Deadline of /readyz (READYZ_TIMEOUT_MS); past it the database reads as not ready. */
  readyTimeoutMs?: number;
  /** Who may read /metrics on this port; nobody when absent. */
  metricsAccess?: MetricsAccess;
};

export type MetricsAccess = {
  /** METRICS_TOKEN: the bearer token Prometheus sends. */
  token?: string;
  /** Whether an admin's credential reads /metrics here too (not when METRICS_LISTEN serves them). */
  admins: boolean;
  /** The request's credential resolved to its user, for the admin check. */
  actorOf?: (req: FastifyRequest) => Promise<{ role: string } | null>;
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

/** A NUL or a lone UTF-16 surrogate: PostgreSQL cannot store either in text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what it looks for
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The first string in `value` (keys included) holding a character PostgreSQL cannot store, as
 * `[path, what]` with the path spelled as validation errors spell it (`title`, `tasks[0].title`).
 */
export function unstorableText(value: unknown, path = ""): [string, string] | undefined {
  // An explicit stack, not recursion: a body nested 100,000 deep (200 KB) must not overflow ours.
  const todo: [unknown, string, number][] = [[value, path, 0]];
  for (let next = todo.pop(); next; next = todo.pop()) {
    const [v, at, depth] = next;
    if (typeof v === "string") {
      const m = unstorable.exec(v);
      if (m)
        return [
          at,
          m[0] === "\u0000"
            ? "contains a NUL character (\\u0000)"
            : "contains a lone UTF-16 surrogate (not valid Unicode)",
        ];
      continue;
    }
    if (!v || typeof v !== "object") continue;
    if (depth >= MAX_DEPTH) return ["", `is nested more than ${MAX_DEPTH} levels deep`];
    // Pushed in reverse, so the first problem in reading order is the one named.
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) todo.push([v[i], `${at}[${i}]`, depth + 1]);
      continue;
    }
    const entries = Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i] as [string, unknown];
      if (unstorable.test(key))
        return [at || "body", "has a member name with a NUL character or a lone surrogate"];
      todo.push([child, at ? `${at}.${key}` : key, depth + 1]);
    }
  }
  return undefined;
}

/**
 * The first query parameter whose percent-escapes are not UTF-8 (Node's parser would quietly
 * turn them into U+FFFD), or undefined.
 */
export function malformedQuery(url: string): string | undefined {
  const at = url.indexOf("?");
  if (at < 0) return undefined;
  for (const pair of url.slice(at + 1).split("&")) {
    try {
      decodeURIComponent(pair.replace(/\+/g, " "));
    } catch {
      return JSON.stringify(pair.split("=")[0]?.slice(0, 40) ?? "");
    }
  }
  return undefined;
}

/** Deeper JSON than any Firebreak API or sender uses; deeper bodies are refused, not walked. */
const MAX_DEPTH = 64;

/**
 * Refuses, before validation, text PostgreSQL cannot store (it would fail there as a 500) and a
 * body sent to a route that takes none (the docs promise unknown fields are refused).
 */
function checkInput(req: FastifyRequest): AppError | undefined {
  // No route at all is a 404, whatever was sent.
  if (req.is404) return undefined;
  const body = req.body;
  const hasBody =
    body !== undefined &&
    body !== null &&
    body !== "" &&
    !(typeof body === "object" && !Array.isArray(body) && Object.keys(body).length === 0);
  // Alert intake routes take what senders send and read it themselves (Events v2, heartbeats).
  const checksOwnBody = req.routeOptions.config.integration !== undefined;
  if (hasBody && !checksOwnBody && !req.routeOptions.schema?.body && bodyMethods.has(req.method)) {
    return new AppError(
      "invalid-request",
      `body: ${req.method} ${req.routeOptions.url} takes no body; send none`,
      {
        field: "body",
      },
    );
  }
  const badQuery = malformedQuery(req.raw.url ?? "");
  if (badQuery)
    return new AppError(
      "invalid-request",
      `url: the query parameter ${badQuery} is not valid UTF-8 once decoded`,
      {
        field: "url",
      },
    );
  for (const [part, value] of [
    ["body", body],
    ["query", req.query],
    ["params", req.params],
  ] as const) {
    const found = unstorableText(value);
    if (!found) continue;
    const [path, what] = found;
    const field = part === "body" ? path || "body" : path ? `${part}.${path}` : part;
    return new AppError("invalid-request", `${field}: ${what}, which cannot be stored`, { field });
  }
  return undefined;
}

const bodyMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

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
  if (err.code === "FST_ERR_BAD_URL") {
    return new AppError(
      "invalid-request",
      "the URL is not valid: a percent-escape (%XX) is incomplete or does not decode to UTF-8",
      { field: "url" },
    );
  }
  if (err.code === "FST_ERR_MAX_PARAM_LENGTH") {
    return new AppError("uri-too-long", `a path segment is over ${MAX_PARAM_LENGTH} characters`);
  }
  if (err.statusCode === 404) return new AppError("not-found", err.message);
  if (err.statusCode === 429) return new AppError("rate-limited", err.message);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new AppError("invalid-request", err.message);
  }
  return new AppError("internal", "");
}

/** Errors of the request, the framework or the database, as the catalogue's. */
export function toAppError(raw: unknown, bodyLimit: number): AppError {
  if (raw instanceof AppError) return raw;
  if (isDatabaseUnavailable(raw)) {
    return new AppError("unavailable", "the database is not answering; try again shortly", {
      retryAfterSeconds: 5,
    });
  }
  return fromFastifyError(raw as FastifyError, bodyLimit);
}

/** Longest path parameter (a slug, an id, a link's token); longer is a 414, not a 404. */
const MAX_PARAM_LENGTH = 500;

/** A problem document written straight to a socket the HTTP parser gave up on. */
function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const problem =
    err.code === "HPE_HEADER_OVERFLOW"
      ? new AppError(
          "headers-too-large",
          "the URL and headers together are over 16 KB: shorten the URL (its query string) or the headers",
        )
      : new AppError(
          "invalid-request",
          err.code === "ERR_HTTP_REQUEST_TIMEOUT"
            ? "the request took too long to arrive"
            : "the request is not valid HTTP",
        );
  const status = err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : problem.status;
  const body = JSON.stringify({ ...problemOf(problem), status });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

export async function createHttp(opts: HttpOptions): Promise<App> {
  // Filled in below: Fastify wants its framework error handler before the instance exists.
  let sendProblem: (raw: unknown, req: FastifyRequest, reply: FastifyReply) => void = () => undefined;
  const app = Fastify({
    loggerInstance: opts.log,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (err, req, reply) => sendProblem(err, req, reply),
    clientErrorHandler,
    bodyLimit: opts.bodyLimit,
    requestIdHeader: false,
    // Only the proxies named are believed; anyone else could write any X-Forwarded-For.
    ...(opts.trustedProxies?.length ? { trustProxy: opts.trustedProxies } : {}),
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

  // Text PostgreSQL cannot store and bodies sent where none is taken stop here, as 400s.
  app.addHook("preValidation", (req, _reply, done) => done(checkInput(req)));

  sendProblem = (raw, req, reply) => {
    const limit = req.routeOptions?.bodyLimit ?? opts.bodyLimit;
    const err = toAppError(raw, limit);
    if (err.code === "internal") {
      req.log.error({ err: raw }, "request failed");
      err.message = `an internal error occurred; quote request id ${req.id} when reporting it`;
    } else if (err.code === "unavailable") {
      req.log.warn({ error: String((raw as Error)?.message ?? raw) }, "the database is unavailable");
    }
    opts.metrics.httpErrors.labels(err.code).inc();
    // Overload and outages say when to come back; senders such as Alertmanager honour it.
    const retryAfter = err.extra.retryAfterSeconds;
    if (typeof retryAfter === "number") reply.header("retry-after", String(retryAfter));
    else if (err.status === 429 || err.status === 503) reply.header("retry-after", "5");
    reply.code(err.status).type("application/problem+json").send(problemOf(err, req.url));
  };
  app.setErrorHandler((raw: FastifyError, req, reply) => sendProblem(raw, req, reply));
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0] ?? "";
    // A segment longer than any parameter can be matched no route: say why rather than "no route".
    if (path.split("/").some((segment) => segment.length > MAX_PARAM_LENGTH))
      return sendProblem(
        new AppError("uri-too-long", `a path segment is over ${MAX_PARAM_LENGTH} characters`),
        req,
        reply,
      );
    const err = new AppError("not-found", `no route ${req.method} ${path}; see /api/docs`);
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
      const limitMs = opts.readyTimeoutMs ?? 2_000;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), limitMs);
      });
      const ready = await Promise.race([opts.ready().catch(() => false), late]).finally(() =>
        clearTimeout(timer),
      );
      if (ready === "late")
        throw new AppError("unavailable", `the database did not answer within ${limitMs} ms`);
      if (!ready)
        throw new AppError("unavailable", "the database is unreachable or migrations are not applied yet");
      return { status: "ready" as const };
    },
  );
  app.get(
    "/metrics",
    {
      schema: {
        tags: ["operations"],
        summary: "Prometheus metrics (text format)",
        description:
          "Needs `Authorization: Bearer <METRICS_TOKEN>` or an admin's API token; with METRICS_LISTEN set, only METRICS_TOKEN here, and the separate port answers without one.",
      },
    },
    async (req, reply) => {
      await checkMetricsAccess(req, opts.metricsAccess);
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

/**
 * /metrics counts private incidents and every route's traffic: it answers Prometheus's
 * METRICS_TOKEN, or an admin (unless METRICS_LISTEN serves the metrics on a port of their own).
 */
async function checkMetricsAccess(req: FastifyRequest, access: MetricsAccess | undefined): Promise<void> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
  if (bearer && access?.token && sameSecret(bearer, access.token)) return;
  const how = [
    access?.token ? "`Authorization: Bearer <METRICS_TOKEN>`" : undefined,
    access?.admins ? "an admin's API token" : undefined,
  ].filter(Boolean);
  if (!access?.admins || !access.actorOf) {
    throw new AppError(
      "unauthenticated",
      how.length
        ? `/metrics needs ${how.join(" or ")}`
        : "/metrics is not served on this port: see METRICS_LISTEN and METRICS_TOKEN",
    );
  }
  const actor = await access.actorOf(req);
  if (!actor) throw new AppError("unauthenticated", `/metrics needs ${how.join(" or ")}`);
  if (actor.role !== "admin")
    throw new AppError("forbidden", "/metrics is for admins (or Prometheus with METRICS_TOKEN)");
}
