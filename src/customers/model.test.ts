/** Customer incidents, pure: contacts, who may send, the promise, recipients and the email. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../policy/load.ts";
import { normaliseContacts, promise, recipients, refusalToSend, updateEmail } from "./model.ts";

const policy = loadPolicy();
const now = new Date("2026-03-04T10:00:00Z");

describe("contacts", () => {
  it("are trimmed, lowercased and listed once; the first that is not an address is named", () => {
    expect(normaliseContacts([" Ops@Acme.example", "ops@acme.example", "cto@acme.example"])).toEqual({
      contacts: ["ops@acme.example", "cto@acme.example"],
    });
    expect(normaliseContacts(["ops@acme.example", "a@b.example, c@d.example"])).toEqual({
      bad: "a@b.example, c@d.example",
    });
  });

  it("never hold two spellings of one address", () => {
    const address = fc
      .tuple(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.stringMatching(/^[a-z]{1,8}$/))
      .map(([l, d]) => `${l}@${d}.example`);
    fc.assert(
      fc.property(fc.array(fc.tuple(address, fc.boolean())), (xs) => {
        const r = normaliseContacts(xs.map(([a, upper]) => (upper ? a.toUpperCase() : a)));
        if (!("contacts" in r)) throw new Error("a valid address was refused");
        expect(new Set(r.contacts).size).toBe(r.contacts.length);
        expect(new Set(r.contacts)).toEqual(new Set(xs.map(([a]) => a)));
      }),
    );
  });
});

describe("who sends updates", () => {
  it("COMM-6: admins, and responders holding a sender role on the incident; never viewers", () => {
    const admin = { id: 1, role: "admin" as const };
    const cody = { id: 2, role: "responder" as const };
    expect(refusalToSend(policy, admin, {})).toBeNull();
    expect(refusalToSend(policy, cody, { "Incident Coordinator": 2 })).toBeNull();
    expect(refusalToSend(policy, cody, { CMOC: 2 })).toBeNull();
    expect(refusalToSend(policy, cody, { EOC: 2, "Incident Coordinator": 3 })).toMatch(
      /only admins and the incident's Incident Coordinator, Incident Manager, CMOC/,
    );
    expect(refusalToSend(policy, { id: 2, role: "viewer" }, { "Incident Coordinator": 2 })).not.toBeNull();
    expect(refusalToSend({ ...policy, customerUpdates: undefined }, cody, { CMOC: 2 })).toMatch(
      /only admins/,
    );
  });
});

describe("the promise", () => {
  it("COMM-6: a Sev0 promises the next update within the hour; other severities as they like", () => {
    expect(promise(policy, "Sev0", 60, now)).toEqual({
      nextUpdateAt: new Date("2026-03-04T11:00:00Z"),
      refused: null,
    });
    expect(promise(policy, "Sev0", 61, now).refused).toMatch(/at least every 60 minutes/);
    expect(promise(policy, "Sev1", 240, now).refused).toBeNull();
  });
});

describe("recipients and the email", () => {
  it("one email per contact of each customer, with the customer's own ticket", () => {
    const to = recipients([
      { customerId: 1, name: "Acme", ticket: "ZD-1", contacts: ["a@acme.example", "b@acme.example"] },
      { customerId: 2, name: "Globex", ticket: "ZD-2", contacts: ["it@globex.example"] },
    ]);
    expect(to.map((r) => `${r.name}:${r.ticket}:${r.address}`)).toEqual([
      "Acme:ZD-1:a@acme.example",
      "Acme:ZD-1:b@acme.example",
      "Globex:ZD-2:it@globex.example",
    ]);
  });

  it("COMM-6: names the ticket, the words and the next update time", () => {
    const mail = updateEmail({
      incident: { id: 9, title: "Installs fail", severity: "Sev0" },
      customer: { name: "Acme", ticket: "ZD-1" },
      body: "  We found the cause.  ",
      nextUpdateAt: new Date("2026-03-04T11:00:00Z"),
    });
    expect(mail.subject).toBe("[ZD-1] Sev0 incident update: Installs fail");
    expect(mail.text).toBe(
      "Hello Acme,\n\nWe found the cause.\n\nOur next update will reach you by 2026-03-04 11:00 UTC.\n\nReference: ZD-1",
    );
  });
});
