/** HTTP for a person's contact methods (tests and verification codes) and notification rules. */
import { z } from "zod";
import { maskToken } from "../notify/ntfy.ts";
import { actorOf } from "../platform/auth.ts";
import type { App } from "../platform/http.ts";
import { TEST_DEADLINE_MS, TESTS_PER_MINUTE } from "./contact-test.ts";
import { CODE_ATTEMPTS, CODE_RESEND_SECONDS, CODE_TTL_MINUTES } from "./model.ts";
import type { PagingService } from "./service.ts";
import type { ContactMethod, ContactTest, LastOutcome, NotificationRule, VerificationCode } from "./store.ts";

const id = z.object({ id: z.coerce.number().int().positive() });
const contactSchema = z.object({
  id: z.number(),
  kind: z.enum(["email", "webhook", "chat", "push", "ntfy", "sms", "voice"]),
  label: z.string(),
  address: z.string(),
  secret: z
    .string()
    .nullable()
    .describe("webhooks: the HMAC signing secret; ntfy: the access token, masked (its last four characters)"),
  verified: z
    .boolean()
    .describe("SMS, voice and ntfy methods carry pages only once verified with the code sent to them"),
  verification: z
    .object({
      status: z
        .enum(["sending", "sent", "failed"])
        .describe("`failed`: the code could not be sent (see `error`); ask for a new one"),
      error: z.string().optional(),
      sentAt: z.string(),
      expiresAt: z.string(),
      triesLeft: z.number(),
    })
    .nullable()
    .describe("the code waiting to be typed back; null when verified or none was sent"),
});
/** A push subscription's keys stay on the server: they are the browser's, nothing for a person to copy. */
const presentContact = (m: ContactMethod, code: VerificationCode | null | undefined) =>
  presentContactFields(m.kind === "push" ? { ...m, secret: null } : m, m.verified_at ? null : (code ?? null));
const presentContactFields = (c: ContactMethod, code: VerificationCode | null) => ({
  id: c.id,
  kind: c.kind,
  label: c.label,
  address: c.address,
  secret: c.kind === "ntfy" && c.secret ? maskToken(c.secret) : c.secret,
  verified: c.verified_at !== null,
  verification: code && presentCode(code),
});
const presentCode = (v: VerificationCode) => ({
  status: v.status,
  ...(v.status === "failed" ? { error: v.error ?? "failed" } : {}),
  sentAt: v.sent_at.toISOString(),
  expiresAt: v.expires_at.toISOString(),
  triesLeft: Math.max(0, CODE_ATTEMPTS - v.attempts),
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

export function contactRoutes(service: PagingService) {
  return async (app: App) => {
    const tags = ["paging"];

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
          ...presentContact(c.method, c.code),
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
        const { method, code } = await service.addContactMethod(actorOf(req), req.body);
        reply.code(201);
        return presentContact(method, code);
      },
    );
    app.post(
      "/me/contact-methods/:id/verify",
      {
        schema: {
          tags,
          summary: "Verify a contact method with the code sent to it",
          description: `SMS, voice and ntfy methods carry pages and reminders only once verified: adding one sends a ${CODE_TTL_MINUTES}-minute code through it. ${CODE_ATTEMPTS} wrong codes void it. Verifying a verified method answers it unchanged.`,
          params: id,
          body: z
            .object({ code: z.string().min(1).max(20).describe("the digits sent, e.g. 482913") })
            .strict(),
          response: { 200: contactSchema },
        },
      },
      async (req) =>
        presentContact(await service.verifyContactMethod(actorOf(req), req.params.id, req.body.code), null),
    );
    app.post(
      "/me/contact-methods/:id/verification-code",
      {
        schema: {
          tags,
          summary: "Send a new verification code to a contact method",
          description: `The earlier code stops working. At most one every ${CODE_RESEND_SECONDS} s per method (429 with Retry-After).`,
          params: id,
          response: { 200: contactSchema },
        },
      },
      async (req) => {
        const { method, code } = await service.resendVerificationCode(actorOf(req), req.params.id);
        return presentContact(method, code);
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
  };
}
