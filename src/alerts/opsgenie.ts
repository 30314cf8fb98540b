/**
 * The Opsgenie Alert API at Opsgenie's own paths (`/v2/alerts...`), so a sender that alerts
 * Opsgenie alerts Firebreak by changing the host: `Authorization: GenieKey <integration key>`,
 * create, close, acknowledge, add note and the request-status endpoint, answered in Opsgenie's
 * shapes (https://docs.opsgenie.com/docs/alert-api, .../docs/response). Requests go through the
 * intake every sender shares; Firebreak commits before answering, so a request's status is final
 * as soon as the 202 is sent.
 */
import { randomUUID } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import type { Clock } from "../platform/clock.ts";
import { type App, toAppError } from "../platform/http.ts";
import type { Metrics } from "../platform/metrics.ts";
import { findRedData } from "../platform/reddata.ts";
import { INTAKE_BODY_LIMIT, withIntakeErrors } from "./intake-routes.ts";
import type { AlertService, Integration } from "./service.ts";
import type { AlertRow } from "./store.ts";
import { actionOn, fromOpsgenieCreate, opsgeniePriorities, vendorKey } from "./vendor-model.ts";

/** An answer in Opsgenie's error shape: `{ message, took, requestId }` (and `errors` for 422). */
class OpsgenieError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errors?: Record<string, string>,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

// Opsgenie's documented limits for each field (Create Alert, JSON body fields).
const responder = z.object({
  type: z.enum(["team", "user", "escalation", "schedule"]),
  id: z.string().optional(),
  name: z.string().optional(),
  username: z.string().optional(),
});
const createBody = z.object({
  message: z.string().trim().min(1, "Message can not be empty.").max(130),
  alias: z.string().max(512).optional(),
  description: z.string().max(15_000).optional(),
  responders: z.array(responder).max(50).optional(),
  visibleTo: z.array(responder).max(50).optional(),
  actions: z.array(z.string().max(50)).max(10).optional(),
  tags: z.array(z.string().max(50)).max(20).optional(),
  details: z.record(z.string(), z.string()).optional(),
  entity: z.string().max(512).optional(),
  source: z.string().max(100).optional(),
  priority: z.enum(opsgeniePriorities).optional(),
  user: z.string().max(100).optional(),
  note: z.string().max(25_000).optional(),
});
const actionBody = z
  .object({
    user: z.string().max(100).optional(),
    source: z.string().max(100).optional(),
    note: z.string().max(25_000).optional(),
  })
  .optional();
const noteBody = z.object({
  user: z.string().max(100).optional(),
  source: z.string().max(100).optional(),
  note: z.string().trim().min(1, "Note can not be empty.").max(25_000),
});
const identifierType = z.enum(["id", "alias", "tiny"]).default("id");

/** The first problem names the field (Opsgenie's 422 `message`); `errors` lists them all. */
function validation(e: z.ZodError): OpsgenieError {
  const errors: Record<string, string> = {};
  for (const i of e.issues) {
    const field = i.path.join(".") || "body";
    errors[field] ??= i.message.replace(/^Invalid input: /, "");
  }
  const [field, problem] = Object.entries(errors)[0] ?? ["body", "is invalid"];
  return new OpsgenieError(422, `${field}: ${problem}`, errors);
}

const genieKey = (req: FastifyRequest): string | null => {
  const m = /^GenieKey\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return m?.[1] ?? null;
};

const verbs = {
  close: { action: "resolve", name: "Close", done: "Closed alert" },
  acknowledge: { action: "acknowledge", name: "Acknowledge", done: "Acknowledged alert" },
} as const;

export function opsgenieRoutes(service: AlertService, metrics: Metrics, clock: Clock) {
  const count = (outcome: string) => metrics.alertIntake.labels("opsgenie", outcome).inc();
  /** Each request's id and when it arrived: every answer carries both (`requestId`, `took`). */
  const started = new WeakMap<FastifyRequest, { id: string; at: number }>();
  const stamp = (req: FastifyRequest) => {
    const s = started.get(req) ?? { id: randomUUID(), at: performance.now() };
    return { requestId: s.id, took: Math.round(performance.now() - s.at) / 1000 };
  };

  async function authenticate(req: FastifyRequest): Promise<Integration> {
    const key = genieKey(req);
    const found = key ? await service.integrationFor(key) : null;
    if (!found) {
      count("unknown-key");
      throw new OpsgenieError(
        401,
        key
          ? "Could not authenticate: no integration has this key (send a Firebreak integration key as `Authorization: GenieKey <key>`)"
          : "Could not authenticate: send `Authorization: GenieKey <a Firebreak integration key>`",
      );
    }
    return found;
  }

  function noRedData(fields: Record<string, string | undefined>) {
    const found = findRedData(fields);
    if (found)
      throw new OpsgenieError(422, `${found.field}: contains ${found.label}; RED data is never stored`, {
        [found.field]: `contains ${found.label}`,
      });
  }

  /** The alert an identifier names, on the key's service only. */
  async function alertOf(target: Integration, identifier: string, type: "id" | "alias" | "tiny") {
    if (type === "alias") return service.vendorAlert(target.serviceId, { dedupKey: vendorKey(identifier) });
    // Firebreak's alert ids are what it answers as both `alertId` and the tiny id.
    const id = /^[1-9]\d{0,14}$/.test(identifier) ? Number(identifier) : null;
    return id === null ? undefined : service.vendorAlert(target.serviceId, { id });
  }
  const aliasOf = (a: AlertRow) => (typeof a.details.alias === "string" ? a.details.alias : a.dedup_key);

  async function outcome(
    req: FastifyRequest,
    target: Integration,
    o: { action: string; success: boolean; status: string; alert?: AlertRow; alias?: string },
  ) {
    const { requestId } = stamp(req);
    await service.recordVendorRequest({
      request_id: requestId,
      key_id: target.keyId,
      action: o.action,
      success: o.success,
      status: o.status,
      alert_id: o.alert?.id ?? null,
      alias: o.alias ?? (o.alert ? aliasOf(o.alert) : ""),
      processed_at: clock.now(),
    });
    count(o.success ? "accepted" : "no-such-alert");
    return { result: "Request will be processed", ...stamp(req) };
  }

  return async (app: App) => {
    app.addHook("onRequest", async (req) => {
      started.set(req, { id: randomUUID(), at: performance.now() });
    });
    app.setErrorHandler((raw, req, reply) => {
      let e: OpsgenieError;
      if (raw instanceof OpsgenieError) {
        e = raw;
        if (e.statusCode === 422 || e.statusCode === 404) count("invalid");
      } else {
        const err = toAppError(raw, INTAKE_BODY_LIMIT);
        if (err.code === "internal") req.log.error({ err: raw }, "opsgenie intake failed");
        const retry = err.extra.retryAfterSeconds as number | undefined;
        e = new OpsgenieError(err.status, err.message, undefined, retry);
        count(err.code);
      }
      if (e.retryAfterSeconds !== undefined) reply.header("retry-after", String(e.retryAfterSeconds));
      const s = stamp(req);
      reply.code(e.statusCode).send({
        message: e.message,
        ...(e.errors && { errors: e.errors }),
        took: s.took,
        requestId: s.requestId,
      });
    });

    const schema = { tags: ["alert intake"], security: [], hide: true };
    const opts = { bodyLimit: INTAKE_BODY_LIMIT, config: { integration: "opsgenie" }, schema };
    const identified = z.object({ identifier: z.string().min(1).max(512) });

    app.post("/alerts", opts, async (req, reply) => {
      const target = await authenticate(req);
      const parsed = createBody.safeParse(req.body);
      if (!parsed.success) throw validation(parsed.error);
      const c = parsed.data;
      noRedData({
        message: c.message,
        description: c.description,
        details: JSON.stringify(c.details ?? {}),
        note: c.note,
      });
      const event = fromOpsgenieCreate(c);
      await withIntakeErrors(() => service.intake([{ serviceId: target.serviceId, event }]));
      metrics.alertEvents.labels("opsgenie").inc();
      const alert = await service.vendorAlert(target.serviceId, { dedupKey: event.dedupKey });
      if (alert && c.note) await service.noteOnAlert(alert.id, c.note, { source: "opsgenie", user: c.user });
      reply.code(202);
      return outcome(req, target, {
        action: "Create",
        success: alert !== undefined,
        status: alert ? "Created alert" : "Alert could not be created",
        alert,
        alias: c.alias ?? event.dedupKey,
      });
    });

    for (const [path, verb] of Object.entries(verbs)) {
      app.post(`/alerts/:identifier/${path}`, opts, async (req, reply) => {
        const target = await authenticate(req);
        const { identifier } = identified.parse(req.params);
        const type = identifierType.safeParse((req.query as Record<string, unknown>).identifierType);
        if (!type.success)
          throw new OpsgenieError(422, "identifierType: expected one of id, alias, tiny", {
            identifierType: "expected one of id, alias, tiny",
          });
        const body = actionBody.safeParse(req.body ?? undefined);
        if (!body.success) throw validation(body.error);
        noRedData({ note: body.data?.note });
        reply.code(202);
        const alert = await alertOf(target, identifier, type.data);
        if (!alert)
          return outcome(req, target, { action: verb.name, success: false, status: "Alert does not exist" });
        await withIntakeErrors(() =>
          service.intake([
            { serviceId: target.serviceId, event: actionOn(alert.dedup_key, verb.action, "opsgenie") },
          ]),
        );
        metrics.alertEvents.labels("opsgenie").inc();
        const note = body.data?.note;
        if (note) await service.noteOnAlert(alert.id, note, { source: "opsgenie", user: body.data?.user });
        return outcome(req, target, { action: verb.name, success: true, status: verb.done, alert });
      });
    }

    app.post("/alerts/:identifier/notes", opts, async (req, reply) => {
      const target = await authenticate(req);
      const { identifier } = identified.parse(req.params);
      const type = identifierType.safeParse((req.query as Record<string, unknown>).identifierType);
      if (!type.success)
        throw new OpsgenieError(422, "identifierType: expected one of id, alias, tiny", {
          identifierType: "expected one of id, alias, tiny",
        });
      const body = noteBody.safeParse(req.body);
      if (!body.success) throw validation(body.error);
      noRedData({ note: body.data.note });
      reply.code(202);
      const alert = await alertOf(target, identifier, type.data);
      if (!alert)
        return outcome(req, target, { action: "AddNote", success: false, status: "Alert does not exist" });
      const noted = await service.noteOnAlert(alert.id, body.data.note, {
        source: "opsgenie",
        user: body.data.user,
      });
      return outcome(req, target, {
        action: "AddNote",
        success: noted,
        status: noted ? "Added note" : "Alert is in no incident (suppressed by maintenance): note not added",
        alert,
      });
    });

    app.get("/alerts/requests/:requestId", { config: { integration: "opsgenie" }, schema }, async (req) => {
      const target = await authenticate(req);
      const { requestId } = z.object({ requestId: z.string().max(100) }).parse(req.params);
      const r = z.uuid().safeParse(requestId).success
        ? await service.vendorRequest(target.keyId, requestId)
        : undefined;
      if (!r) throw new OpsgenieError(404, "Request not found. It might not be processed, yet.");
      return {
        data: {
          success: r.success,
          action: r.action,
          processedAt: r.processed_at.toISOString(),
          integrationId: String(r.key_id),
          isSuccess: r.success,
          status: r.status,
          alertId: r.alert_id === null ? "" : String(r.alert_id),
          alias: r.alias,
        },
        ...stamp(req),
      };
    });
  };
}
