/**
 * `firebreak customers …` and `firebreak briefing …`: customer incidents from the terminal
 * (docs/customers.md) — the directory, the customers affected by an incident, mass updates (COMM-6)
 * and the executive notice and summary (COMM-5). Every write carries its own Idempotency-Key, so a
 * retried mass update never emails twice.
 */
import { type Call, type Command, id } from "./args.ts";
import { UsageError } from "./client.ts";
import { table, when } from "./format.ts";

type Customer = { id: number; name: string; contacts: string[] };
type Affected = {
  customerId: number;
  name: string;
  contacts: string[];
  ticket: string;
  lastUpdateAt: string | null;
};
type Update = {
  id: number;
  body: string;
  nextUpdateAt: string;
  sentAt: string;
  deliveries: { customer: string; address: string; status: string; lastError: string | null }[];
};
type Sent = { id: number; sent: number; emails: number; customers: string[]; nextUpdateAt: string };
type Briefing = { template: string; text: string; audience: string[]; sentTo?: string[] };

const actions = ["list", "save", "affected", "add", "remove", "update", "updates"] as const;

const contactsOf = (c: Call): string[] | undefined =>
  c
    .opt("contacts")
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);

function affectedText(incidentId: number, list: Affected[]): string {
  if (list.length === 0) return `#${incidentId}: no affected customers`;
  return table(
    ["CUSTOMER", "TICKET", "CONTACTS", "LAST UPDATE"],
    list.map((a) => [a.name, a.ticket, a.contacts.join(", "), when(a.lastUpdateAt)]),
  );
}

async function customers(c: Call): Promise<number> {
  const action = c.opt("ACTION") ?? "list";
  if (!(actions as readonly string[]).includes(action))
    throw new UsageError(`unknown action ${JSON.stringify(action)}; expected one of ${actions.join(", ")}`);
  if (action === "list") {
    const r = await c.api.request<{ customers: Customer[] }>("GET", "/customers");
    return c.print(r, () =>
      r.customers.length === 0
        ? "no customers in the directory"
        : table(
            ["CUSTOMER", "CONTACTS"],
            r.customers.map((x) => [x.name, x.contacts.join(", ")]),
          ),
    );
  }
  if (action === "save") {
    const name = [c.must("ARG"), c.opt("REST")].filter(Boolean).join(" ");
    const contacts = contactsOf(c);
    if (!contacts?.length)
      throw new UsageError("missing --contacts ADDRESS,... (the customer's email addresses)");
    const r = await c.api.request<Customer>("POST", "/customers", { name, contacts });
    return c.print(r, `${r.name}: ${r.contacts.join(", ")}`);
  }
  const incident = id(c.must("ARG"));
  const path = `/incidents/${incident}/customers`;
  if (action === "affected") {
    const r = await c.api.request<{ customers: Affected[] }>("GET", path);
    return c.print(r, () => affectedText(incident, r.customers));
  }
  if (action === "add") {
    const name = c.must("REST");
    const ticket = c.opt("ticket");
    if (!ticket) throw new UsageError("missing --ticket REF (the customer's ticket about this incident)");
    const contacts = contactsOf(c);
    const r = await c.api.request<Affected>("POST", path, {
      name,
      ticket,
      ...(contacts ? { contacts } : {}),
    });
    return c.print(r, `#${incident}: ${r.name} affected (ticket ${r.ticket}; ${r.contacts.join(", ")})`);
  }
  if (action === "remove") {
    const name = c.must("REST");
    const r = await c.api.request<{ customers: Affected[] }>(
      "DELETE",
      `${path}?name=${encodeURIComponent(name)}`,
    );
    return c.print(r, `#${incident}: ${name} is no longer affected; ${r.customers.length} remain`);
  }
  if (action === "updates") {
    const r = await c.api.request<{ updates: Update[] }>("GET", `/incidents/${incident}/customer-updates`);
    return c.print(r, () =>
      r.updates.length === 0
        ? `#${incident}: no updates sent to customers yet`
        : r.updates
            .map((u) =>
              [
                `${when(u.sentAt)}  next by ${when(u.nextUpdateAt)}: ${u.body}`,
                ...u.deliveries.map(
                  (d) =>
                    `    ${d.customer} <${d.address}>: ${d.status}${d.lastError ? ` (${d.lastError})` : ""}`,
                ),
              ].join("\n"),
            )
            .join("\n"),
    );
  }
  // update: one text to every affected customer, with the next update time.
  const body = c.must("REST");
  const next = Number(c.must("next"));
  if (!Number.isSafeInteger(next) || next < 1)
    throw new UsageError(`--next must be a whole number of minutes, not ${JSON.stringify(c.opt("next"))}`);
  const r = await c.api.request<Sent>("POST", `/incidents/${incident}/customer-updates`, {
    body,
    nextUpdateInMinutes: next,
  });
  return c.print(
    r,
    `#${incident}: sent to ${r.sent} customer${r.sent === 1 ? "" : "s"} (${r.emails} email${r.emails === 1 ? "" : "s"}: ${r.customers.join(", ")}); next update by ${when(r.nextUpdateAt)}`,
  );
}

async function briefing(c: Call): Promise<number> {
  const action = c.must("ACTION");
  if (action !== "show" && action !== "send")
    throw new UsageError(`unknown action ${JSON.stringify(action)}; expected show or send`);
  const path = `/incidents/${id(c.must("ID"))}/briefings/${encodeURIComponent(c.must("TEMPLATE"))}`;
  const r = await c.api.request<Briefing>(action === "show" ? "GET" : "POST", path);
  return c.print(r, () =>
    action === "show"
      ? `${r.text.trimEnd()}\n\n(goes to: ${r.audience.join(", ") || "nobody; the policy gives it no audience"})`
      : `${r.template} sent to ${r.sentTo?.length ? r.sentTo.join(", ") : "nobody (no holder and nobody on call)"}`,
  );
}

export const customerCommands: Record<string, Command> = {
  customers: {
    summary: "Customer incidents (COMM-6): the directory, affected customers, mass updates by email.",
    synopsis: [
      "list                                    (the customer directory)",
      "save NAME --contacts ADDRESS,...        (admins: add or replace a directory entry)",
      "affected ID                             (the customers an incident affects)",
      "add ID NAME --ticket REF [--contacts ADDRESS,...]   (default: the directory's contacts)",
      "remove ID NAME",
      "update ID TEXT --next MINUTES           (one email to every contact of every affected customer)",
      "updates ID                              (the updates sent and each email's fate)",
    ],
    args: ["ACTION?", "ARG?", "REST...?"],
    flags: {
      contacts: { value: "ADDRESS,...", help: "email addresses, comma-separated" },
      ticket: { value: "REF", help: "add: the customer's ticket about this incident, e.g. ZD-4711" },
      next: { value: "MINUTES", help: "update: when the next update will follow (Sev0: at most 60)" },
    },
    run: customers,
  },
  briefing: {
    summary: "COMM-5: show an incident's executive notice or summary filled in, or send it to its audience.",
    synopsis: ["show ID TEMPLATE   (executiveNotice, executiveSummary)", "send ID TEMPLATE"],
    args: ["ACTION", "ID", "TEMPLATE"],
    run: briefing,
  },
};
