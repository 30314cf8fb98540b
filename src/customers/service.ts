/**
 * Customer incidents (COMM-6): the customer directory, the customers affected by an incident, and
 * mass updates — one text to all of them at once by email, each promising the next update. An
 * update is one transaction: the update, one delivery row per contact, a durable job per delivery
 * and the timeline entry commit together (an Idempotency-Key retry replays the answer and sends
 * nothing twice); jobs then send through the email channel and record each email's fate.
 */
import { visibleIncident } from "../incidents/access.ts";
import type { EventDraft, Incident } from "../incidents/model.ts";
import * as incidents from "../incidents/store.ts";
import type { DeliveryResult, Notification } from "../notify/model.ts";
import type { Actor } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { AppError, forbidden, invalid, notFound } from "../platform/errors.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import { assertNoRedData } from "../platform/reddata.ts";
import type { PolicySource } from "../policy/source.ts";
import {
  type AffectedCustomer,
  type Customer,
  normaliseContacts,
  promise,
  recipients,
  refusalToSend,
  updateEmail,
} from "./model.ts";
import * as store from "./store.ts";
import { asCustomerDb, type CustomerDb } from "./store.ts";

export type CustomerDeps = {
  db: unknown;
  clock: Clock;
  jobs: Jobs;
  log: Logger;
  policy: PolicySource;
  /** The notification channels (email through SMTP_URL). */
  send: (n: Notification) => Promise<DeliveryResult>;
  /** Lets the policy's rules react in the command's transaction (COMM-6 clocks, affected-customer rules). */
  changed: (
    tx: CustomerDb,
    incidentId: number,
    events: EventDraft[],
    actorId: number | null,
  ) => Promise<void>;
};

const SEND_JOB = "customer-update.send";

export function createCustomers(deps: CustomerDeps) {
  const { clock, jobs, log } = deps;
  const db = asCustomerDb(deps.db);
  const asIncidentDb = (tx: CustomerDb) => tx as unknown as incidents.IncidentDb;

  async function visible(tx: CustomerDb, actor: Actor, id: number, lock: boolean): Promise<Incident> {
    return visibleIncident(asIncidentDb(tx), actor, id, lock);
  }

  /** Writes timeline entries as the actor and lets the rules react, in the same transaction. */
  async function record(tx: CustomerDb, incidentId: number, actorId: number | null, events: EventDraft[]) {
    await incidents.appendEvents(asIncidentDb(tx), incidentId, actorId, clock.now(), events);
    await deps.changed(tx, incidentId, events, actorId);
  }

  function contactsOrThrow(contacts: string[], field: string): string[] {
    const n = normaliseContacts(contacts);
    if ("bad" in n)
      throw invalid(
        field,
        `${JSON.stringify(n.bad)} is not an email address; give addresses like ops@example.com`,
      );
    return n.contacts;
  }

  const service = {
    async listDirectory(): Promise<Customer[]> {
      return store.listCustomers(db);
    },

    /** Adds an organisation to the directory, or replaces its contacts when the name is known. */
    async saveDirectoryEntry(
      _actor: Actor,
      input: { name: string; contacts: string[] },
    ): Promise<{ customer: Customer; created: boolean }> {
      assertNoRedData({ name: input.name });
      const contacts = contactsOrThrow(input.contacts, "contacts");
      const name = input.name.trim();
      if (!name) throw invalid("name", "expected the customer's name");
      return db.transaction().execute(async (tx) => {
        const now = clock.now();
        const known = await store.findCustomerByName(tx, name);
        if (!known)
          return { customer: await store.insertCustomer(tx, { name, contacts, at: now }), created: true };
        await store.updateContacts(tx, known.id, contacts, now);
        return { customer: { ...known, contacts, updatedAt: now }, created: false };
      });
    },

    async affected(actor: Actor, incidentId: number): Promise<AffectedCustomer[]> {
      await visible(db, actor, incidentId, false);
      return store.affectedCustomers(db, incidentId);
    },

    /**
     * A customer is affected: added (with the directory's contacts when none are given, and to the
     * directory when new), or its contacts and ticket changed when it already is.
     */
    async addAffected(
      actor: Actor,
      incidentId: number,
      input: { name: string; contacts?: string[]; ticket: string },
    ): Promise<{ customer: AffectedCustomer; added: boolean }> {
      assertNoRedData({ name: input.name, ticket: input.ticket });
      const name = input.name.trim();
      const ticket = input.ticket.trim();
      if (!name) throw invalid("name", "expected the customer's name");
      if (!ticket) throw invalid("ticket", "expected the customer's ticket reference, e.g. ZD-12345");
      const given = contactsOrThrow(input.contacts ?? [], "contacts");
      return db.transaction().execute(async (tx) => {
        await visible(tx, actor, incidentId, true);
        const now = clock.now();
        let customer = await store.findCustomerByName(tx, name);
        const contacts = given.length > 0 ? given : (customer?.contacts ?? []);
        if (contacts.length === 0)
          throw invalid(
            "contacts",
            `${customer?.name ?? name} has no contacts in the customer directory; give at least one email address`,
          );
        customer ??= await store.insertCustomer(tx, { name, contacts, at: now });
        const added = await store.addAffected(tx, {
          incidentId,
          customerId: customer.id,
          contacts,
          ticket,
          addedBy: actor.id,
          at: now,
        });
        if (!added) await store.updateAffected(tx, incidentId, customer.id, { contacts, ticket });
        const count = await store.countAffected(tx, incidentId);
        await record(tx, incidentId, actor.id, [
          {
            kind: added ? "customer-added" : "customer-changed",
            body: added
              ? `${customer.name} is affected (ticket ${ticket}, ${contacts.length} contact${contacts.length === 1 ? "" : "s"}); ${count} customer${count === 1 ? "" : "s"} affected`
              : `${customer.name}'s ticket is ${ticket} with ${contacts.length} contact${contacts.length === 1 ? "" : "s"}`,
            data: { customerId: customer.id, customer: customer.name, ticket, affected: count },
          },
        ]);
        const all = await store.affectedCustomers(tx, incidentId);
        const mine = all.find((c) => c.customerId === customer.id);
        if (!mine) throw new Error("the affected customer just written is missing");
        return { customer: mine, added };
      });
    },

    async removeAffected(actor: Actor, incidentId: number, name: string): Promise<AffectedCustomer[]> {
      return db.transaction().execute(async (tx) => {
        await visible(tx, actor, incidentId, true);
        const affected = await store.affectedCustomers(tx, incidentId);
        const gone = affected.find((c) => c.name.trim().toLowerCase() === name.trim().toLowerCase());
        if (!gone) throw notFound(`affected customer on incident ${incidentId}`, name);
        await store.removeAffected(tx, incidentId, gone.customerId);
        const count = affected.length - 1;
        await record(tx, incidentId, actor.id, [
          {
            kind: "customer-removed",
            body: `${gone.name} is no longer affected; ${count} customer${count === 1 ? "" : "s"} affected`,
            data: { customerId: gone.customerId, customer: gone.name, ticket: gone.ticket, affected: count },
          },
        ]);
        return affected.filter((c) => c.customerId !== gone.customerId);
      });
    },

    /** COMM-6: one update to every affected customer at once, promising the next one. */
    async sendUpdate(actor: Actor, incidentId: number, input: { body: string; nextUpdateInMinutes: number }) {
      assertNoRedData({ body: input.body });
      if (!input.body.trim()) throw invalid("body", "expected the words to send to the customers");
      return db.transaction().execute(async (tx) => {
        const i = await visible(tx, actor, incidentId, true);
        const policy = deps.policy.current();
        const refusal = refusalToSend(policy, actor, i.roles);
        if (refusal) throw forbidden(refusal);
        const now = clock.now();
        const p = promise(policy, i.severity, input.nextUpdateInMinutes, now);
        if (p.refused) throw invalid("nextUpdateInMinutes", p.refused);
        const affected = await store.affectedCustomers(tx, incidentId);
        if (affected.length === 0)
          throw new AppError(
            "conflict",
            `incident ${incidentId} has no affected customers; add them with POST /api/v1/incidents/${incidentId}/customers first`,
          );
        const update = await store.insertUpdate(tx, {
          incidentId,
          body: input.body.trim(),
          nextUpdateAt: p.nextUpdateAt,
          sentBy: actor.id,
          sentAt: now,
        });
        const to = recipients(affected);
        for (const r of to) {
          const id = await store.insertDelivery(tx, {
            updateId: update.id,
            customerId: r.customerId,
            customerName: r.name,
            ticket: r.ticket,
            address: r.address,
          });
          await jobs.add(tx, SEND_JOB, { deliveryId: id }, { maxAttempts: 10, key: `customer-update:${id}` });
        }
        const names = affected.map((c) => c.name);
        await record(tx, incidentId, actor.id, [
          {
            kind: "customer-update-sent",
            body: `Update to ${names.join(", ")} (next by ${p.nextUpdateAt.toISOString().slice(11, 16)} UTC): ${update.body}`,
            data: {
              updateId: update.id,
              customers: affected.map((c) => ({ id: c.customerId, name: c.name, ticket: c.ticket })),
              emails: to.length,
              nextUpdateAt: p.nextUpdateAt.toISOString(),
            },
          },
        ]);
        return { update, sent: affected.length, emails: to.length, customers: names };
      });
    },

    async updates(actor: Actor, incidentId: number) {
      await visible(db, actor, incidentId, false);
      return store.listUpdates(db, incidentId);
    },

    /** For the rules (COMM-6): the affected count and the last update's times. */
    facts: (tx: unknown, incidentId: number) => store.customerFacts(asCustomerDb(tx), incidentId),

    register() {
      jobs.register(SEND_JOB, sendJob);
    },
  };

  /** One email of a mass update; the outcome is recorded per customer on the incident's timeline. */
  async function sendJob(payload: Record<string, unknown>) {
    const id = Number(payload.deliveryId);
    const prepared = await db.transaction().execute(async (tx) => {
      const d = await store.lockDelivery(tx, id);
      if (!d || d.status === "delivered" || d.status === "failed-permanent") return null;
      const i = await incidents.getIncident(asIncidentDb(tx), d.incidentId);
      if (!i) return null;
      await store.countAttempt(tx, id);
      return { d, i };
    });
    if (!prepared) return;
    const { d, i } = prepared;
    const mail = updateEmail({
      incident: { id: i.id, title: i.title, severity: i.severity },
      customer: { name: d.customerName, ticket: d.ticket },
      body: d.body,
      nextUpdateAt: d.nextUpdateAt,
    });
    let result: DeliveryResult;
    try {
      result = await deps.send({
        idempotencyKey: `customer-update:${id}`,
        to: { kind: "email", address: d.address },
        subject: mail.subject,
        text: mail.text,
        links: [],
        pages: [],
        type: "notice",
      });
    } catch (err) {
      result = { status: "failed-retryable", reason: (err as Error).message };
    }
    const done = clock.now();
    await db.transaction().execute(async (tx) => {
      await store.settleDelivery(
        tx,
        id,
        result.status,
        result.status === "delivered" ? null : result.reason,
        result.status === "delivered" ? done : null,
      );
      if (result.status === "failed-retryable") return;
      // Internal: the address is the customer's, for the incident's participants only.
      await incidents.appendEvents(asIncidentDb(tx), d.incidentId, null, done, [
        {
          kind: result.status === "delivered" ? "customer-update-delivered" : "customer-update-failed",
          internal: true,
          body:
            result.status === "delivered"
              ? `the update reached ${d.customerName} at ${d.address}`
              : `the update could not reach ${d.customerName} at ${d.address}: ${result.reason}`,
          data: {
            updateId: d.updateId,
            deliveryId: id,
            customerId: d.customerId,
            customer: d.customerName,
            status: result.status,
          },
        },
      ]);
    });
    if (result.status === "failed-retryable") {
      log.warn(
        { customerDelivery: id, reason: result.reason },
        "customer update email failed; it will be retried",
      );
      throw new Error(`customer update email ${id} failed, will retry: ${result.reason}`);
    }
  }

  return service;
}

export type Customers = ReturnType<typeof createCustomers>;
