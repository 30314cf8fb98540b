/** SQL for customer incidents: the directory, who is affected, mass updates and their emails. */
import { type Generated, type Kysely, sql } from "kysely";
import type { PlatformTables } from "../platform/db.ts";
import type { AffectedCustomer, Customer, CustomerUpdate } from "./model.ts";

export type DeliveryStatus = "pending" | "delivered" | "failed-retryable" | "failed-permanent";

interface CustomerTables {
  customers: {
    id: Generated<number>;
    name: string;
    contacts: string[];
    created_at: Date;
    updated_at: Date;
  };
  incident_customers: {
    id: Generated<number>;
    incident_id: number;
    customer_id: number;
    contacts: string[];
    ticket: string;
    added_by: number | null;
    added_at: Date;
  };
  customer_updates: {
    id: Generated<number>;
    incident_id: number;
    body: string;
    next_update_at: Date;
    sent_by: number | null;
    sent_at: Date;
  };
  customer_update_deliveries: {
    id: Generated<number>;
    update_id: number;
    customer_id: number;
    customer_name: string;
    ticket: string;
    address: string;
    status: DeliveryStatus;
    attempts: Generated<number>;
    last_error: string | null;
    sent_at: Date | null;
  };
}

export type CustomerDb = Kysely<PlatformTables & CustomerTables>;
export const asCustomerDb = (db: unknown) => db as CustomerDb;

const json = (v: unknown) => JSON.stringify(v);

const customerOf = (r: {
  id: number;
  name: string;
  contacts: string[];
  created_at: Date;
  updated_at: Date;
}): Customer => ({
  id: r.id,
  name: r.name,
  contacts: r.contacts,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function listCustomers(db: CustomerDb): Promise<Customer[]> {
  const rows = await db.selectFrom("customers").selectAll().orderBy(sql`lower(name)`).execute();
  return rows.map(customerOf);
}

export async function findCustomerByName(db: CustomerDb, name: string): Promise<Customer | undefined> {
  const r = await db
    .selectFrom("customers")
    .selectAll()
    .where(sql<string>`lower(name)`, "=", name.trim().toLowerCase())
    .forUpdate()
    .executeTakeFirst();
  return r && customerOf(r);
}

export async function insertCustomer(
  db: CustomerDb,
  c: { name: string; contacts: string[]; at: Date },
): Promise<Customer> {
  const r = await db
    .insertInto("customers")
    .values({
      name: c.name,
      contacts: json(c.contacts) as unknown as string[],
      created_at: c.at,
      updated_at: c.at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return customerOf(r);
}

export async function updateContacts(db: CustomerDb, id: number, contacts: string[], at: Date) {
  await db
    .updateTable("customers")
    .set({ contacts: json(contacts) as unknown as string[], updated_at: at })
    .where("id", "=", id)
    .execute();
}

/** The customers affected by an incident, in the order they were added, with their last update. */
export async function affectedCustomers(db: CustomerDb, incidentId: number): Promise<AffectedCustomer[]> {
  const rows = await db
    .selectFrom("incident_customers as ic")
    .innerJoin("customers as c", "c.id", "ic.customer_id")
    .select([
      "ic.id",
      "ic.incident_id",
      "ic.customer_id",
      "c.name",
      "ic.contacts",
      "ic.ticket",
      "ic.added_by",
      "ic.added_at",
    ])
    .select((eb) =>
      eb
        .selectFrom("customer_update_deliveries as d")
        .innerJoin("customer_updates as u", "u.id", "d.update_id")
        .whereRef("d.customer_id", "=", "ic.customer_id")
        .whereRef("u.incident_id", "=", "ic.incident_id")
        .select((e) => e.fn.max("u.sent_at").as("last"))
        .as("last_update_at"),
    )
    .where("ic.incident_id", "=", incidentId)
    .orderBy("ic.id")
    .execute();
  return rows.map((r) => ({
    id: r.id,
    incidentId: r.incident_id,
    customerId: r.customer_id,
    name: r.name,
    contacts: r.contacts,
    ticket: r.ticket,
    addedBy: r.added_by,
    addedAt: r.added_at,
    lastUpdateAt: (r.last_update_at as Date | null) ?? null,
  }));
}

export async function addAffected(
  db: CustomerDb,
  a: {
    incidentId: number;
    customerId: number;
    contacts: string[];
    ticket: string;
    addedBy: number;
    at: Date;
  },
): Promise<boolean> {
  const r = await db
    .insertInto("incident_customers")
    .values({
      incident_id: a.incidentId,
      customer_id: a.customerId,
      contacts: json(a.contacts) as unknown as string[],
      ticket: a.ticket,
      added_by: a.addedBy,
      added_at: a.at,
    })
    .onConflict((oc) => oc.columns(["incident_id", "customer_id"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  return r !== undefined;
}

export async function updateAffected(
  db: CustomerDb,
  incidentId: number,
  customerId: number,
  change: { contacts: string[]; ticket: string },
) {
  await db
    .updateTable("incident_customers")
    .set({ contacts: json(change.contacts) as unknown as string[], ticket: change.ticket })
    .where("incident_id", "=", incidentId)
    .where("customer_id", "=", customerId)
    .execute();
}

export async function removeAffected(db: CustomerDb, incidentId: number, customerId: number) {
  await db
    .deleteFrom("incident_customers")
    .where("incident_id", "=", incidentId)
    .where("customer_id", "=", customerId)
    .execute();
}

export async function countAffected(db: CustomerDb, incidentId: number): Promise<number> {
  const r = await db
    .selectFrom("incident_customers")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("incident_id", "=", incidentId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

const updateOf = (r: {
  id: number;
  incident_id: number;
  body: string;
  next_update_at: Date;
  sent_by: number | null;
  sent_at: Date;
}): CustomerUpdate => ({
  id: r.id,
  incidentId: r.incident_id,
  body: r.body,
  nextUpdateAt: r.next_update_at,
  sentBy: r.sent_by,
  sentAt: r.sent_at,
});

export async function insertUpdate(db: CustomerDb, u: Omit<CustomerUpdate, "id">): Promise<CustomerUpdate> {
  const r = await db
    .insertInto("customer_updates")
    .values({
      incident_id: u.incidentId,
      body: u.body,
      next_update_at: u.nextUpdateAt,
      sent_by: u.sentBy,
      sent_at: u.sentAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return updateOf(r);
}

export type DeliveryRow = {
  id: number;
  updateId: number;
  customerId: number;
  customerName: string;
  ticket: string;
  address: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  sentAt: Date | null;
};

/** An incident's updates, newest first, each with its emails. */
export async function listUpdates(
  db: CustomerDb,
  incidentId: number,
): Promise<(CustomerUpdate & { deliveries: DeliveryRow[] })[]> {
  const updates = (
    await db
      .selectFrom("customer_updates")
      .selectAll()
      .where("incident_id", "=", incidentId)
      .orderBy("sent_at", "desc")
      .orderBy("id", "desc")
      .limit(200)
      .execute()
  ).map(updateOf);
  if (updates.length === 0) return [];
  const rows = await db
    .selectFrom("customer_update_deliveries")
    .selectAll()
    .where(
      "update_id",
      "in",
      updates.map((u) => u.id),
    )
    .orderBy("id")
    .execute();
  const byUpdate = new Map<number, DeliveryRow[]>();
  for (const r of rows) {
    const list = byUpdate.get(r.update_id) ?? [];
    list.push(deliveryOf(r));
    byUpdate.set(r.update_id, list);
  }
  return updates.map((u) => ({ ...u, deliveries: byUpdate.get(u.id) ?? [] }));
}

const deliveryOf = (r: {
  id: number;
  update_id: number;
  customer_id: number;
  customer_name: string;
  ticket: string;
  address: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  sent_at: Date | null;
}): DeliveryRow => ({
  id: r.id,
  updateId: r.update_id,
  customerId: r.customer_id,
  customerName: r.customer_name,
  ticket: r.ticket,
  address: r.address,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  sentAt: r.sent_at,
});

export async function insertDelivery(
  db: CustomerDb,
  d: { updateId: number; customerId: number; customerName: string; ticket: string; address: string },
): Promise<number> {
  const r = await db
    .insertInto("customer_update_deliveries")
    .values({
      update_id: d.updateId,
      customer_id: d.customerId,
      customer_name: d.customerName,
      ticket: d.ticket,
      address: d.address,
      status: "pending",
      last_error: null,
      sent_at: null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return r.id;
}

/** Claims a delivery for an attempt (locked until the attempt's transaction ends). */
export async function lockDelivery(db: CustomerDb, id: number) {
  const r = await db
    .selectFrom("customer_update_deliveries as d")
    .innerJoin("customer_updates as u", "u.id", "d.update_id")
    .selectAll("d")
    .select(["u.incident_id", "u.body", "u.next_update_at"])
    .where("d.id", "=", id)
    .forUpdate("d")
    .executeTakeFirst();
  return r && { ...deliveryOf(r), incidentId: r.incident_id, body: r.body, nextUpdateAt: r.next_update_at };
}

export async function countAttempt(db: CustomerDb, id: number) {
  await db
    .updateTable("customer_update_deliveries")
    .set((eb) => ({ attempts: eb("attempts", "+", 1) }))
    .where("id", "=", id)
    .execute();
}

export async function settleDelivery(
  db: CustomerDb,
  id: number,
  status: DeliveryStatus,
  error: string | null,
  sentAt: Date | null,
) {
  await db
    .updateTable("customer_update_deliveries")
    .set({ status, last_error: error, sent_at: sentAt })
    .where("id", "=", id)
    .execute();
}

/** For the rules (COMM-6): how many customers are affected, and the last update's times. */
export async function customerFacts(
  db: CustomerDb,
  incidentId: number,
): Promise<{ affected: number; lastUpdateAt: Date | null; nextUpdateAt: Date | null }> {
  // One statement: the rules ask on every incident change.
  const r = await sql<{ affected: number; last_update_at: Date | null; next_update_at: Date | null }>`
    SELECT (SELECT count(*) FROM incident_customers WHERE incident_id = ${incidentId})::int AS affected,
      u.sent_at AS last_update_at, u.next_update_at
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (
      SELECT sent_at, next_update_at FROM customer_updates WHERE incident_id = ${incidentId}
      ORDER BY sent_at DESC, id DESC LIMIT 1
    ) AS u ON true`.execute(db);
  const row = r.rows[0];
  return {
    affected: row?.affected ?? 0,
    lastUpdateAt: row?.last_update_at ?? null,
    nextUpdateAt: row?.next_update_at ?? null,
  };
}
