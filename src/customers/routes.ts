/** HTTP for customer incidents (COMM-6): the directory, affected customers, mass updates. */
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import type { App } from "../platform/http.ts";
import type { Briefings } from "./briefings.ts";
import { MAX_CONTACTS, MAX_NEXT_UPDATE_MINUTES } from "./model.ts";
import type { Customers } from "./service.ts";

const tags = ["customers"];
const idParams = z.object({ id: z.coerce.number().int().positive() });
const responder = { minRole: "responder" as const };
const admin = { minRole: "admin" as const };
const iso = (d: Date | null) => (d ? d.toISOString() : null);

const name = z.string().min(1).max(200).describe("the organisation, e.g. Acme Corp (case does not matter)");
const contacts = z
  .array(z.string().max(254))
  .max(MAX_CONTACTS)
  .describe("email addresses that receive the customer's updates");

const customerSchema = z
  .object({
    id: z.number(),
    name: z.string(),
    contacts: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Customer" });

const affectedSchema = z
  .object({
    customerId: z.number(),
    name: z.string(),
    contacts: z.array(z.string()).describe("the addresses told on this incident"),
    ticket: z.string().describe("the customer's ticket about this incident"),
    addedBy: z.number().nullable(),
    addedAt: z.string(),
    lastUpdateAt: z.string().nullable().describe("when the last mass update was sent to this customer"),
  })
  .meta({ id: "AffectedCustomer" });

const deliverySchema = z.object({
  customer: z.string(),
  ticket: z.string(),
  address: z.string(),
  status: z.enum(["pending", "delivered", "failed-retryable", "failed-permanent"]),
  attempts: z.number(),
  lastError: z.string().nullable(),
  sentAt: z.string().nullable(),
});

const updateSchema = z
  .object({
    id: z.number(),
    body: z.string(),
    nextUpdateAt: z.string(),
    sentBy: z.number().nullable(),
    sentAt: z.string(),
    deliveries: z.array(deliverySchema).describe("one email per contact of each affected customer"),
  })
  .meta({ id: "CustomerUpdate" });

/** What the routes answer (the web app reads them as its types). */
export type CustomerView = z.infer<typeof customerSchema>;
export type AffectedCustomerView = z.infer<typeof affectedSchema>;
export type CustomerUpdateView = z.infer<typeof updateSchema>;
export type BriefingView = z.infer<typeof briefingSchema>;

type Affected = Awaited<ReturnType<Customers["affected"]>>[number];
const presentAffected = (c: Affected): z.infer<typeof affectedSchema> => ({
  customerId: c.customerId,
  name: c.name,
  contacts: c.contacts,
  ticket: c.ticket,
  addedBy: c.addedBy,
  addedAt: c.addedAt.toISOString(),
  lastUpdateAt: iso(c.lastUpdateAt),
});
type Entry = Awaited<ReturnType<Customers["listDirectory"]>>[number];
const presentCustomer = (c: Entry): z.infer<typeof customerSchema> => ({
  id: c.id,
  name: c.name,
  contacts: c.contacts,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

const briefingParams = z.object({
  id: z.coerce.number().int().positive(),
  template: z
    .string()
    .min(1)
    .max(100)
    .describe("a template of the policy: executiveNotice, executiveSummary"),
});
const briefingSchema = z
  .object({
    template: z.string(),
    text: z.string().describe("the template filled from the incident as it is now"),
    audience: z.array(z.string()).describe("the roles it goes to (policy templateAudiences)"),
  })
  .meta({ id: "Briefing" });

export function customerRoutes(customers: Customers, briefings: Briefings) {
  return async (app: App) => {
    app.get(
      "/incidents/:id/briefings/:template",
      {
        schema: {
          tags,
          summary:
            "A COMM-5 template (executive notice, internal executive summary) filled from the incident",
          params: briefingParams,
          response: { 200: briefingSchema },
        },
      },
      async (req) => briefings.preview(actorOf(req), req.params.id, req.params.template),
    );

    app.post(
      "/incidents/:id/briefings/:template",
      {
        config: responder,
        schema: {
          tags,
          summary: "Send the filled template to its audience (COMM-5), recorded on the timeline",
          description:
            "Admins and people holding a role on the incident send it. It reaches the holders of the policy's `templateAudiences` roles on the incident (a vacant role: whoever is on call in its rotation) through their contact methods.",
          params: briefingParams,
          response: {
            201: briefingSchema.extend({
              sentTo: z.array(z.string()).describe("usernames it was sent to"),
              reached: z.number().describe("how many of them have a contact method it went out to"),
            }),
          },
        },
      },
      async (req, reply) => {
        const r = await briefings.send(actorOf(req), req.params.id, req.params.template);
        reply.code(201);
        return r;
      },
    );

    app.get(
      "/customers",
      {
        config: responder,
        schema: {
          tags,
          summary: "The customer directory: organisations and the addresses their updates go to",
          response: { 200: z.object({ customers: z.array(customerSchema) }) },
        },
      },
      async () => ({ customers: (await customers.listDirectory()).map(presentCustomer) }),
    );

    app.post(
      "/customers",
      {
        config: admin,
        schema: {
          tags,
          summary: "Add a customer to the directory, or replace a known customer's contacts",
          description:
            "201 when the name is new, 200 when it replaced the contacts of a customer with that name.",
          body: z.object({ name, contacts }).strict(),
          response: { 200: customerSchema, 201: customerSchema },
        },
      },
      async (req, reply) => {
        const r = await customers.saveDirectoryEntry(actorOf(req), req.body);
        if (r.created) reply.code(201);
        return presentCustomer(r.customer);
      },
    );

    app.get(
      "/incidents/:id/customers",
      {
        schema: {
          tags,
          summary: "The customers affected by the incident (COMM-6), with their tickets and contacts",
          params: idParams,
          response: { 200: z.object({ customers: z.array(affectedSchema) }) },
        },
      },
      async (req) => ({
        customers: (await customers.affected(actorOf(req), req.params.id)).map(presentAffected),
      }),
    );

    app.post(
      "/incidents/:id/customers",
      {
        config: responder,
        schema: {
          tags,
          summary: "Mark a customer affected by the incident (or change its contacts and ticket)",
          description:
            "Without `contacts`, the customer directory's are used; a customer not in the directory is added to it. 201 when added, 200 when it was already affected and its contacts and ticket were replaced. Recorded on the timeline.",
          params: idParams,
          body: z
            .object({
              name,
              contacts: contacts.optional(),
              ticket: z.string().min(1).max(200).describe("the customer's ticket reference, e.g. ZD-4711"),
            })
            .strict(),
          response: { 200: affectedSchema, 201: affectedSchema },
        },
      },
      async (req, reply) => {
        const r = await customers.addAffected(actorOf(req), req.params.id, req.body);
        if (r.added) reply.code(201);
        return presentAffected(r.customer);
      },
    );

    app.delete(
      "/incidents/:id/customers",
      {
        config: responder,
        schema: {
          tags,
          summary: "The named customer is no longer affected by the incident",
          description:
            "Name the customer with `?name=`. Recorded on the timeline. Answers who is still affected.",
          params: idParams,
          querystring: z.object({ name }).strict(),
          response: { 200: z.object({ customers: z.array(affectedSchema) }) },
        },
      },
      async (req) => ({
        customers: (await customers.removeAffected(actorOf(req), req.params.id, req.query.name)).map(
          presentAffected,
        ),
      }),
    );

    app.get(
      "/incidents/:id/customer-updates",
      {
        schema: {
          tags,
          summary: "The mass updates sent to the incident's customers, newest first, with each email's fate",
          params: idParams,
          response: { 200: z.object({ updates: z.array(updateSchema) }) },
        },
      },
      async (req) => ({
        updates: (await customers.updates(actorOf(req), req.params.id)).map((u) => ({
          id: u.id,
          body: u.body,
          nextUpdateAt: u.nextUpdateAt.toISOString(),
          sentBy: u.sentBy,
          sentAt: u.sentAt.toISOString(),
          deliveries: u.deliveries.map((d) => ({
            customer: d.customerName,
            ticket: d.ticket,
            address: d.address,
            status: d.status,
            attempts: d.attempts,
            lastError: d.lastError,
            sentAt: iso(d.sentAt),
          })),
        })),
      }),
    );

    app.post(
      "/incidents/:id/customer-updates",
      {
        config: responder,
        schema: {
          tags,
          summary: "Send one update to every affected customer at once, by email (COMM-6)",
          description:
            "Admins and holders of the policy's `customerUpdates.senderRoles` on the incident may send. Each email names the customer's ticket and the next update time. RED data is refused. Send an `Idempotency-Key`: a retry then sends nothing twice.",
          params: idParams,
          body: z
            .object({
              body: z.string().min(1).max(20_000),
              nextUpdateInMinutes: z
                .number()
                .int()
                .min(1)
                .max(MAX_NEXT_UPDATE_MINUTES)
                .describe("when the next update will follow; Sev0 allows at most 60 in the shipped policy"),
            })
            .strict(),
          response: {
            201: z.object({
              id: z.number(),
              sent: z.number().describe("how many customers the update was sent to"),
              emails: z.number().describe("how many emails were queued (one per contact)"),
              customers: z.array(z.string()),
              nextUpdateAt: z.string(),
            }),
          },
        },
      },
      async (req, reply) => {
        const r = await customers.sendUpdate(actorOf(req), req.params.id, req.body);
        reply.code(201);
        return {
          id: r.update.id,
          sent: r.sent,
          emails: r.emails,
          customers: r.customers,
          nextUpdateAt: r.update.nextUpdateAt.toISOString(),
        };
      },
    );
  };
}
