/**
 * Customer incidents (COMM-6), pure: who is affected, who may write to them, what a mass update
 * says and when the next one is owed. The service gathers the facts; nothing here does I/O.
 */
import { isEmailAddress } from "../notify/email.ts";
import type { Policy } from "../policy/model.ts";

/** An organisation in the customer directory. */
export type Customer = { id: number; name: string; contacts: string[]; createdAt: Date; updatedAt: Date };

/** A customer affected by one incident: the contacts told on it and the customer's ticket. */
export type AffectedCustomer = {
  id: number;
  incidentId: number;
  customerId: number;
  name: string;
  contacts: string[];
  ticket: string;
  addedBy: number | null;
  addedAt: Date;
  /** When the last mass update was queued to this customer (null: none yet). */
  lastUpdateAt: Date | null;
};

export type CustomerUpdate = {
  id: number;
  incidentId: number;
  body: string;
  nextUpdateAt: Date;
  sentBy: number | null;
  sentAt: Date;
};

export const MAX_CONTACTS = 50;
export const MAX_NEXT_UPDATE_MINUTES = 7 * 24 * 60;

/** Trims, lowercases and de-duplicates addresses; names the first one that is not an address. */
export function normaliseContacts(contacts: string[]): { contacts: string[] } | { bad: string } {
  const out: string[] = [];
  for (const raw of contacts) {
    const c = raw.trim().toLowerCase();
    if (!isEmailAddress(c)) return { bad: raw };
    if (!out.includes(c)) out.push(c);
  }
  return { contacts: out };
}

/** Customer names compare without case or surrounding space: "ACME " is Acme. */
export const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

const settings = (policy: Policy) => policy.customerUpdates;

/**
 * Who may send a mass update on an incident: admins, and people holding one of the policy's
 * `customerUpdates.senderRoles` on it (the seed's "permissions for team members to send updates").
 * Returns null when allowed, else why not.
 */
export function refusalToSend(
  policy: Policy,
  actor: { id: number; role: "viewer" | "responder" | "admin" },
  roles: Record<string, number>,
): string | null {
  if (actor.role === "admin") return null;
  const senderRoles = settings(policy)?.senderRoles ?? [];
  if (actor.role !== "viewer" && senderRoles.some((r) => roles[r] === actor.id)) return null;
  return senderRoles.length === 0
    ? "only admins may send updates to customers (the policy names no customerUpdates.senderRoles)"
    : `only admins and the incident's ${senderRoles.join(", ")} may send updates to customers`;
}

/**
 * The longest a mass update may promise before the next one, for this severity (COMM-6: hourly
 * for Sev0 until resolved); null when the policy sets none.
 */
export function longestPromise(policy: Policy, severity: string): number | null {
  return settings(policy)?.maxIntervalMinutes?.[severity] ?? null;
}

/** When the next update is owed, and why a promise is refused (null when it is fine). */
export function promise(
  policy: Policy,
  severity: string,
  nextUpdateInMinutes: number,
  now: Date,
): { nextUpdateAt: Date; refused: string | null } {
  const longest = longestPromise(policy, severity);
  return {
    nextUpdateAt: new Date(now.getTime() + nextUpdateInMinutes * 60_000),
    refused:
      longest !== null && nextUpdateInMinutes > longest
        ? `${severity} incidents update their customers at least every ${longest} minutes; give nextUpdateInMinutes of ${longest} or less`
        : null,
  };
}

const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** The email one contact of one customer receives: their ticket in the subject, the promise at the end. */
export function updateEmail(input: {
  incident: { id: number; title: string; severity: string };
  customer: { name: string; ticket: string };
  body: string;
  nextUpdateAt: Date;
}): { subject: string; text: string } {
  const { incident, customer } = input;
  return {
    subject: `[${customer.ticket}] ${incident.severity} incident update: ${incident.title || `incident ${incident.id}`}`,
    text: [
      `Hello ${customer.name},`,
      input.body.trim(),
      `Our next update will reach you by ${utc(input.nextUpdateAt)}.`,
      `Reference: ${customer.ticket}`,
    ].join("\n\n"),
  };
}

/** The recipients of a mass update: every contact of every affected customer, each once per customer. */
export function recipients(
  affected: Pick<AffectedCustomer, "customerId" | "name" | "ticket" | "contacts">[],
): { customerId: number; name: string; ticket: string; address: string }[] {
  return affected.flatMap((c) =>
    [...new Set(c.contacts)].map((address) => ({
      customerId: c.customerId,
      name: c.name,
      ticket: c.ticket,
      address,
    })),
  );
}
