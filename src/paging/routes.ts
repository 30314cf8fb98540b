/** HTTP for escalation policies, contact methods, notification rules and pages. */
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import { AppError } from "../platform/errors.ts";
import type { App } from "../platform/http.ts";
import { assertNoRedData } from "../platform/reddata.ts";
import { ofTeams, teamQuery } from "../platform/team-filter.ts";
import type { EscalationPolicy, Page } from "./model.ts";
import type { PagingService } from "./service.ts";
import type { Delivery } from "./store.ts";

const id = z.object({ id: z.coerce.number().int().positive() });
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM");
const target = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("user"), id: z.number().int().positive() }).strict(),
  z.object({ kind: z.literal("schedule"), id: z.number().int().positive() }).strict(),
]);
const policyBody = z
  .object({
    teamId: z.number().int().positive().optional().describe("the team that owns it (default: your team)"),
    name: z.string().min(1).max(100),
    description: z.string().max(2000).optional(),
    levels: z.array(z.object({ timeoutMinutes: z.number(), targets: z.array(target) }).strict()).max(20),
    repeat: z.number().int().optional(),
    ackTimeoutMinutes: z.number().int().optional(),
    businessHours: z
      .object({
        timeZone: z.string().min(1),
        days: z.array(z.number().int().min(1).max(7)).min(1),
        start: hhmm,
        end: hhmm,
      })
      .strict()
      .optional(),
  })
  .strict();
const policySchema = policyBody
  .extend({
    id: z.number(),
    teamId: z.number(),
    description: z.string(),
    repeat: z.number(),
    ackTimeoutMinutes: z.number(),
    businessHours: z.object({
      timeZone: z.string(),
      days: z.array(z.number()),
      start: z.string(),
      end: z.string(),
    }),
    managed: z
      .boolean()
      .describe("defined by the policy file (escalationPolicies) and kept in step with it; edit it there"),
  })
  .meta({ id: "EscalationPolicy" });
/** A stored policy as the API shows it (every stored policy has its team). */
const presentPolicy = (p: EscalationPolicy) => ({ ...p, managed: p.managed ?? false, teamId: p.teamId ?? 0 });
/** The shape the web app reads (types only: web/src/api/oncall.ts). */
export type EscalationPolicyView = z.infer<typeof policySchema>;

const pageSchema = z
  .object({
    id: z.number(),
    policyId: z.number(),
    incidentId: z.number().nullable(),
    title: z.string(),
    urgency: z.enum(["high", "low"]),
    state: z.enum(["triggered", "acknowledged", "resolved"]),
    level: z.number().describe("0-based escalation level notified last"),
    round: z.number(),
    assignedTo: z.array(z.number()),
    acknowledgedBy: z.number().nullable(),
    acknowledgedAt: z.string().nullable(),
    resolvedBy: z.number().nullable(),
    resolvedAt: z.string().nullable(),
    createdAt: z.string(),
    role: z
      .string()
      .nullable()
      .describe("the incident role this page is for: whoever it reaches and acknowledges takes the role"),
  })
  .meta({ id: "Page" });
const iso = (d: Date | null) => d?.toISOString() ?? null;
const presentPage = (p: Page) => ({
  role: p.engage?.role ?? null,
  id: p.id,
  policyId: p.policyId,
  incidentId: p.incidentId,
  title: p.title,
  urgency: p.urgency,
  state: p.state,
  level: p.level,
  round: p.round,
  assignedTo: p.assignedTo,
  acknowledgedBy: p.acknowledgedBy,
  acknowledgedAt: iso(p.acknowledgedAt),
  resolvedBy: p.resolvedBy,
  resolvedAt: iso(p.resolvedAt),
  createdAt: p.createdAt.toISOString(),
});
const presentDelivery = (d: Delivery) => ({
  id: d.id,
  contactMethodId: d.contact_method_id,
  userId: d.user_id,
  pageIds: d.page_ids,
  status: d.status,
  attempts: d.attempts,
  lastError: d.last_error,
  sentAt: iso(d.sent_at),
  receipt: d.receipt_status
    ? {
        providerId: d.provider_id,
        status: d.receipt_status,
        errorCode: d.receipt_error_code,
        at: iso(d.receipt_at),
      }
    : null,
});

export function pagingRoutes(service: PagingService) {
  return async (app: App) => {
    const tags = ["paging"];
    const admin = { minRole: "admin" as const };
    const responder = { minRole: "responder" as const };

    app.get(
      "/escalation-policies",
      {
        config: { team: { kind: "policy", list: true } },
        schema: {
          tags,
          summary: "Escalation policies (`?team=mine` or a team id: only those teams')",
          querystring: teamQuery,
          response: { 200: z.object({ policies: z.array(policySchema) }) },
        },
      },
      async (req) => ({
        policies: ofTeams(await service.listPolicies(), req.teamFilter, (p) => p.teamId).map(presentPolicy),
      }),
    );
    app.post(
      "/escalation-policies",
      {
        config: { ...admin, team: { kind: "policy" } },
        schema: {
          tags,
          summary: "Create an escalation policy (PAGE-2)",
          body: policyBody,
          response: { 201: policySchema },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return presentPolicy(await service.createPolicy(req.body));
      },
    );
    app.get(
      "/escalation-policies/:id",
      { schema: { tags, summary: "Read a policy", params: id, response: { 200: policySchema } } },
      async (req) => {
        const p = await service.getPolicy(req.params.id);
        return presentPolicy(p);
      },
    );
    app.put(
      "/escalation-policies/:id",
      {
        config: { ...admin, team: { kind: "policy", param: "id" } },
        schema: {
          tags,
          summary: "Replace a policy",
          params: id,
          body: policyBody,
          response: { 200: policySchema },
        },
      },
      async (req) => presentPolicy(await service.updatePolicy(req.params.id, req.body)),
    );
    app.delete(
      "/escalation-policies/:id",
      {
        config: { ...admin, team: { kind: "policy", param: "id" } },
        schema: { tags, summary: "Delete a policy without pages", params: id },
      },
      async (req, reply) => {
        await service.deletePolicy(req.params.id);
        return reply.code(204).send();
      },
    );

    app.get(
      "/pages",
      {
        schema: {
          tags,
          summary: "Pages, newest first",
          querystring: z.object({
            state: z.enum(["triggered", "acknowledged", "resolved"]).optional(),
            incident: z.coerce.number().int().positive().optional(),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: { 200: z.object({ pages: z.array(pageSchema) }) },
        },
      },
      async (req) => ({
        pages: (
          await service.list(actorOf(req), {
            states: req.query.state ? [req.query.state] : undefined,
            incidentId: req.query.incident,
            limit: req.query.limit,
          })
        ).map(presentPage),
      }),
    );
    app.post(
      "/pages",
      {
        config: responder,
        schema: {
          tags,
          summary: "Page an escalation policy",
          body: z
            .object({
              policyId: z.number().int().positive(),
              title: z.string().min(1).max(300),
              urgency: z.enum(["high", "low"]).optional(),
            })
            .strict(),
          response: { 201: pageSchema },
        },
      },
      async (req, reply) => {
        // DATA-1: a page's title goes out to people's phones and mailboxes.
        assertNoRedData({ title: req.body.title });
        reply.code(201);
        return presentPage(await service.trigger(actorOf(req), req.body));
      },
    );
    app.get(
      "/pages/:id",
      {
        schema: {
          tags,
          summary: "A page with its events and deliveries (failed ones included)",
          params: id,
          response: {
            200: pageSchema.extend({
              events: z.array(
                z.object({
                  kind: z.string(),
                  at: z.string(),
                  actorId: z.number().nullable(),
                  data: z.record(z.string(), z.unknown()),
                }),
              ),
              deliveries: z.array(
                z.object({
                  id: z.number(),
                  contactMethodId: z.number(),
                  userId: z.number(),
                  pageIds: z.array(z.number()),
                  status: z.string(),
                  attempts: z.number(),
                  lastError: z.string().nullable(),
                  sentAt: z.string().nullable(),
                  receipt: z
                    .object({
                      providerId: z.string().nullable(),
                      status: z.string(),
                      errorCode: z.string().nullable(),
                      at: z.string().nullable(),
                    })
                    .nullable()
                    .describe(
                      "SMS and voice: what Twilio's status callbacks last said (delivered, failed, no-answer, …)",
                    ),
                }),
              ),
            }),
          },
        },
      },
      async (req) => {
        const page = await service.get(actorOf(req), req.params.id);
        const events = await service.events(page.id);
        const deliveries = await service.deliveries(page.id);
        return {
          ...presentPage(page),
          events: events.map((e) => ({
            kind: e.kind,
            at: e.at.toISOString(),
            actorId: e.actor_id,
            data: e.data,
          })),
          deliveries: deliveries.map(presentDelivery),
        };
      },
    );
    const act = (
      path: string,
      summary: string,
      run: (
        actor: ReturnType<typeof actorOf>,
        pageId: number,
        body: { level?: number; policyId?: number },
      ) => Promise<Page>,
    ) =>
      app.post(
        `/pages/:id/${path}`,
        {
          config: responder,
          schema: {
            tags,
            summary,
            params: id,
            body: z
              .object({
                level: z.number().int().min(0).optional(),
                policyId: z.number().int().positive().optional(),
              })
              .strict()
              .nullish(),
            response: { 200: pageSchema },
          },
        },
        async (req) => presentPage(await run(actorOf(req), req.params.id, req.body ?? {})),
      );
    act("acknowledge", "Acknowledge: stops escalation and every pending notification at once", (a, p) =>
      service.acknowledge(a, p),
    );
    act("resolve", "Resolve the page", (a, p) => service.resolve(a, p));
    act("escalate", "Escalate now, to the next level or to `level` (0-based)", (a, p, b) =>
      service.escalate(a, p, b.level),
    );
    act("reassign", "Reassign to another escalation policy (starts at its first level)", (a, p, b) => {
      if (b.policyId === undefined)
        throw new AppError("invalid-request", "policyId: required to reassign", { field: "policyId" });
      return service.reassign(a, p, b.policyId);
    });
  };
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
const htmlPage = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem">${body}</body></html>`;

/**
 * The one-click acknowledge link. GET only shows a button: mail scanners fetch links, and a GET that
 * acknowledged would silence real pages. The POST from that button acknowledges.
 */
export function ackLinkRoutes(service: PagingService) {
  return async (app: App) => {
    const params = z.object({ token: z.string().min(10).max(200) });
    const schema = { tags: ["paging"], security: [], params, hide: true };
    // The acknowledge button posts an empty HTML form.
    app.addContentTypeParser("application/x-www-form-urlencoded", (_req, _body, done) => done(null, {}));
    app.get("/ack/:token", { schema }, async (_req, reply) => {
      reply.type("text/html; charset=utf-8");
      return htmlPage(
        "Acknowledge page",
        `<h1>Acknowledge this page?</h1><form method="post"><button type="submit" style="font-size:1.2rem;padding:.6rem 1.2rem">Acknowledge</button></form>`,
      );
    });
    app.post("/ack/:token", { schema }, async (req, reply) => {
      reply.type("text/html; charset=utf-8");
      try {
        const r = await service.acknowledgeByLink(req.params.token);
        const what = r.outcome === "acknowledged" ? "Acknowledged" : `Already ${r.page.state}`;
        return htmlPage(
          what,
          `<h1>${escapeHtml(what)}</h1><p>Page ${r.page.id}: ${escapeHtml(r.page.title)}</p>`,
        );
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        reply.code(err.status);
        return htmlPage("Cannot acknowledge", `<h1>Cannot acknowledge</h1><p>${escapeHtml(err.message)}</p>`);
      }
    });
  };
}
