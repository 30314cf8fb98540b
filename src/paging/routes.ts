/** HTTP for escalation policies, contact methods, notification rules and pages. */
import { z } from "zod";
import { maskToken } from "../notify/ntfy.ts";
import { actorOf } from "../platform/auth.ts";
import { AppError } from "../platform/errors.ts";
import type { App } from "../platform/http.ts";
import { assertNoRedData } from "../platform/reddata.ts";
import { ofTeams, teamQuery } from "../platform/team-filter.ts";
import { TEST_DEADLINE_MS, TESTS_PER_MINUTE } from "./contact-test.ts";
import type { EscalationPolicy, Page } from "./model.ts";
import type { PagingService } from "./service.ts";
import type { ContactMethod, ContactTest, Delivery, LastOutcome, NotificationRule } from "./store.ts";

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
const contactSchema = z.object({
  id: z.number(),
  kind: z.enum(["email", "webhook", "chat", "push", "ntfy", "sms", "voice"]),
  label: z.string(),
  address: z.string(),
  secret: z
    .string()
    .nullable()
    .describe("webhooks: the HMAC signing secret; ntfy: the access token, masked (its last four characters)"),
});
/** A push subscription's keys stay on the server: they are the browser's, nothing for a person to copy. */
const presentContact = (m: ContactMethod) =>
  presentContactFields(m.kind === "push" ? { ...m, secret: null } : m);
const presentContactFields = (c: ContactMethod) => ({
  id: c.id,
  kind: c.kind,
  label: c.label,
  address: c.address,
  secret: c.kind === "ntfy" && c.secret ? maskToken(c.secret) : c.secret,
});
const testSchema = z
  .object({
    id: z.number().describe("the test's id, to read its outcome later"),
    contactMethodId: z.number(),
    status: z.enum(["delivered", "failed", "pending"]),
    error: z
      .string()
      .optional()
      .describe('when failed: a short reason, e.g. "HTTP 500 Internal Server Error"'),
    at: z.string().describe("when it was delivered or failed; when it was asked for while pending"),
  })
  .meta({ id: "ContactTest" });
const presentTest = (t: ContactTest) => ({
  id: t.id,
  contactMethodId: t.contact_method_id,
  status: t.status,
  ...(t.status === "failed" ? { error: t.error ?? "failed" } : {}),
  at: (t.finished_at ?? t.created_at).toISOString(),
});
const outcomeSchema = z.object({
  source: z.enum(["test", "page", "notice"]),
  status: z.enum(["delivered", "failed", "pending"]),
  error: z.string().optional(),
  at: z.string(),
});
const presentOutcome = (o: LastOutcome) => {
  const status =
    o.status === "delivered"
      ? ("delivered" as const)
      : o.status === "pending" || o.status === "sending"
        ? ("pending" as const)
        : ("failed" as const);
  return {
    source: o.source,
    status,
    ...(status === "failed" ? { error: o.error ?? "failed" } : {}),
    at: o.at.toISOString(),
  };
};
const contactListSchema = contactSchema
  .extend({
    lastTest: testSchema.nullable().describe("the latest test notification sent through it"),
    lastDelivery: outcomeSchema
      .nullable()
      .describe("its latest message of any kind (test, page or notice) and how it went"),
  })
  .meta({ id: "ContactMethod" });
/** The shapes the web app reads (types only: web/src/api/contacts.ts). */
export type ContactMethodView = z.infer<typeof contactListSchema>;
export type ContactTestView = z.infer<typeof testSchema>;
export type NotificationRuleView = z.infer<typeof ruleSchema>;
const ruleSchema = z.object({
  id: z.number(),
  contactMethodId: z.number(),
  urgency: z.enum(["high", "low"]),
  delayMinutes: z.number(),
});
const presentRule = (r: NotificationRule) => ({
  id: r.id,
  contactMethodId: r.contact_method_id,
  urgency: r.urgency,
  delayMinutes: r.delay_minutes,
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
      "/me/contact-methods",
      {
        schema: {
          tags,
          summary: "Your contact methods",
          response: { 200: z.object({ contactMethods: z.array(contactListSchema) }) },
        },
      },
      async (req) => ({
        contactMethods: (await service.listContactMethodsWithOutcomes(actorOf(req))).map((c) => ({
          ...presentContact(c.method),
          lastTest: c.lastTest && presentTest(c.lastTest),
          lastDelivery: c.lastOutcome && presentOutcome(c.lastOutcome),
        })),
      }),
    );
    app.post(
      "/me/contact-methods",
      {
        schema: {
          tags,
          summary:
            "Add a contact method: email, webhook (signed), chat (Slack incoming webhook), ntfy (a topic URL), sms or voice (an E.164 number, through Twilio)",
          body: z
            .object({
              kind: z.enum(["email", "webhook", "chat", "ntfy", "sms", "voice"]),
              label: z.string().min(1).max(100),
              address: z.string().min(3).max(2000),
              accessToken: z
                .string()
                .min(1)
                .max(200)
                .optional()
                .describe("ntfy: an access token sent as Authorization: Bearer; never shown back in full"),
            })
            .strict(),
          response: { 201: contactSchema },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return presentContact(await service.addContactMethod(actorOf(req), req.body));
      },
    );
    app.delete(
      "/me/contact-methods/:id",
      { schema: { tags, summary: "Remove a contact method", params: id } },
      async (req, reply) => {
        await service.deleteContactMethod(actorOf(req), req.params.id);
        return reply.code(204).send();
      },
    );
    app.post(
      "/me/contact-methods/:id/test",
      {
        schema: {
          tags,
          summary: "Send yourself a test notification through this contact method now",
          description: `Sent through the method's channel as pages are, once (no retries), and written on no incident's timeline. Answers 200 with the outcome (\`delivered\`, or \`failed\` with a short reason such as \`HTTP 500 Internal Server Error\`); when the channel takes longer than ${TEST_DEADLINE_MS / 1000} s, 202 with \`pending\`: read the outcome at /me/contact-methods/{id}/test/{testId}. At most ${TESTS_PER_MINUTE} a minute per person (429 with Retry-After).`,
          params: id,
          response: { 200: testSchema, 202: testSchema },
        },
      },
      async (req, reply) => {
        const test = await service.testContactMethod(actorOf(req), req.params.id);
        reply.code(test.status === "pending" ? 202 : 200);
        return presentTest(test);
      },
    );
    app.get(
      "/me/contact-methods/:id/test/:testId",
      {
        schema: {
          tags,
          summary: "A test notification's outcome",
          params: z.object({
            id: z.coerce.number().int().positive(),
            testId: z.coerce.number().int().positive(),
          }),
          response: { 200: testSchema },
        },
      },
      async (req) => presentTest(await service.contactTest(actorOf(req), req.params.id, req.params.testId)),
    );
    app.get(
      "/me/notification-rules",
      {
        schema: {
          tags,
          summary: "Your notification rules",
          response: { 200: z.object({ rules: z.array(ruleSchema) }) },
        },
      },
      async (req) => ({
        rules: (await service.listRules(actorOf(req))).map(presentRule),
      }),
    );
    app.post(
      "/me/notification-rules",
      {
        schema: {
          tags,
          summary: 'Add a rule: "for high-urgency pages, use this contact method N minutes in"',
          body: z
            .object({
              contactMethodId: z.number().int().positive(),
              urgency: z.enum(["high", "low"]),
              delayMinutes: z.number().int().min(0).max(1440),
            })
            .strict(),
          response: { 201: ruleSchema },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return presentRule(await service.addRule(actorOf(req), req.body));
      },
    );
    app.delete(
      "/me/notification-rules/:id",
      { schema: { tags, summary: "Remove a rule", params: id } },
      async (req, reply) => {
        await service.deleteRule(actorOf(req), req.params.id);
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
