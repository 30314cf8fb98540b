/**
 * Customer incidents (COMM-6) against the real app, PostgreSQL and a real SMTP server on loopback:
 * Sev0/Sev1 on the customer type, affected customers, mass updates by email, who may send them.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declare, expectProblem, type Json, timeline } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { startSmtp } from "../support/smtp.ts";

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
beforeAll(async () => {
  smtp = await startSmtp();
  t = await startTestApp({ smtpUrl: smtp.url });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const customerType = "Self-managed customer";
const path = (id: number, rest = "customers") => `/api/v1/incidents/${id}/${rest}`;

async function customerIncident(severity = "Sev0", extra: Record<string, unknown> = {}): Promise<Json> {
  return declare(t.admin, {
    type: customerType,
    severity,
    title: "Customer installs fail to start",
    ...extra,
  });
}

async function affect(id: number, body: Record<string, unknown>, status = 201): Promise<Json> {
  const r = await t.admin.request("POST", path(id), body);
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
}

const deliveryCount = async (incidentId: number) =>
  Number(
    (
      await sql<{ n: string }>`SELECT count(*) AS n FROM customer_update_deliveries d
        JOIN customer_updates u ON u.id = d.update_id WHERE u.incident_id = ${incidentId}`.execute(
        t.database.db,
      )
    ).rows[0]?.n,
  );

describe("customer severities", () => {
  it("COMM-6: the customer type takes Sev0 and Sev1 only, and the platform types keep S1–S4", async () => {
    const sev0 = await customerIncident("Sev0");
    expect(sev0.severity).toBe("Sev0");
    const wrong = expectProblem(
      await t.admin.request("POST", "/api/v1/incidents", {
        title: "x",
        type: customerType,
        severity: "S1",
        status: "active",
      }),
      400,
    );
    expect(wrong.detail).toMatch(
      /expected one of Sev0, Sev1 \(the severities of Self-managed customer incidents\)/,
    );
    const platform = expectProblem(
      await t.admin.request("POST", "/api/v1/incidents", {
        title: "x",
        type: "GitLab.com",
        severity: "Sev0",
        status: "active",
      }),
      400,
    );
    expect(platform.detail).toMatch(/expected one of S1, S2, S3, S4/);
    await declare(t.admin, { type: "GitLab.com", severity: "S1" });

    const lowered = await t.admin.request("POST", `/api/v1/incidents/${sev0.id}/severity`, {
      severity: "S2",
      reason: "not that bad",
    });
    expectProblem(lowered, 400);
    const sev1 = await t.admin.request("POST", `/api/v1/incidents/${sev0.id}/severity`, {
      severity: "Sev1",
      reason: "only one customer after all",
    });
    expect(sev1.status, JSON.stringify(sev1.body)).toBe(200);
    expect(sev1.body.severity).toBe("Sev1");
  });
});

describe("affected customers", () => {
  it("COMM-6: customers are added with contacts and a ticket, changed and removed, each on the timeline", async () => {
    const i = await customerIncident("Sev1");
    const acme = await affect(i.id, {
      name: "Acme Corp",
      contacts: ["Ops@Acme.example", " cto@acme.example "],
      ticket: "ZD-100",
    });
    expect(acme).toMatchObject({
      name: "Acme Corp",
      contacts: ["ops@acme.example", "cto@acme.example"],
      ticket: "ZD-100",
      lastUpdateAt: null,
    });
    // The same organisation in other letters is the same customer: its ticket and contacts change.
    const again = await affect(
      i.id,
      { name: "ACME CORP", contacts: ["ops@acme.example"], ticket: "ZD-101" },
      200,
    );
    expect(again).toMatchObject({ name: "Acme Corp", contacts: ["ops@acme.example"], ticket: "ZD-101" });
    await affect(i.id, { name: "Globex", contacts: ["it@globex.example"], ticket: "ZD-200" });

    const listed = (await t.admin.get(path(i.id))).body.customers;
    expect(listed.map((c: Json) => [c.name, c.ticket])).toEqual([
      ["Acme Corp", "ZD-101"],
      ["Globex", "ZD-200"],
    ]);

    const removed = await t.admin.request("DELETE", `${path(i.id)}?name=globex`);
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body.customers.map((c: Json) => c.name)).toEqual(["Acme Corp"]);
    expectProblem(await t.admin.request("DELETE", `${path(i.id)}?name=Initech`), 404);

    const events = await timeline(t.admin, i.id);
    const kinds = events.map((e: Json) => e.kind).filter((k: string) => k.startsWith("customer-"));
    expect(kinds).toEqual(["customer-added", "customer-changed", "customer-added", "customer-removed"]);
    const gone = events.find((e: Json) => e.kind === "customer-removed");
    expect(gone.body).toMatch(/Globex is no longer affected; 1 customer affected/);
  });

  it("refuses what is not an address, a missing ticket, and RED data, storing nothing", async () => {
    const i = await customerIncident("Sev1");
    const bad = expectProblem(
      await t.admin.request("POST", path(i.id), {
        name: "Initech",
        contacts: ["not an address"],
        ticket: "T-1",
      }),
      400,
    );
    expect(bad.detail).toMatch(/"not an address" is not an email address/);
    expectProblem(
      await t.admin.request("POST", path(i.id), { name: "Initech", contacts: ["a@b.example"] }),
      400,
    );
    const red = await t.admin.request("POST", path(i.id), {
      name: "Initech",
      contacts: ["a@b.example"],
      ticket: "card 4111 1111 1111 1111",
    });
    expectProblem(red, 400, "red-data");
    expect((await t.admin.get(path(i.id))).body.customers).toEqual([]);
  });

  it("uses the directory's contacts when none are given; the directory is the admins' to change", async () => {
    const responder = await t.user("dir-responder", "responder");
    const viewer = await t.user("dir-viewer", "viewer");
    expectProblem(
      await responder.request("POST", "/api/v1/customers", {
        name: "Umbrella",
        contacts: ["noc@umbrella.example"],
      }),
      403,
    );
    const made = await t.admin.request("POST", "/api/v1/customers", {
      name: "Umbrella",
      contacts: ["noc@umbrella.example"],
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const replaced = await t.admin.request("POST", "/api/v1/customers", {
      name: "umbrella",
      contacts: ["noc@umbrella.example", "cio@umbrella.example"],
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.contacts).toEqual(["noc@umbrella.example", "cio@umbrella.example"]);
    expectProblem(await viewer.get("/api/v1/customers"), 403);
    const dir = (await responder.get("/api/v1/customers")).body.customers;
    expect(dir.find((c: Json) => c.name === "Umbrella")?.contacts).toHaveLength(2);

    const i = await customerIncident("Sev1");
    const r = await responder.request("POST", path(i.id), { name: "UMBRELLA", ticket: "ZD-7" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.contacts).toEqual(["noc@umbrella.example", "cio@umbrella.example"]);
    const none = expectProblem(
      await responder.request("POST", path(i.id), { name: "Nobody Inc", ticket: "ZD-8" }),
      400,
    );
    expect(none.detail).toMatch(/no contacts in the customer directory/);
  });

  it("DATA-3: a private incident's customers are hidden from people outside it", async () => {
    const outsider = await t.user("cust-outsider", "responder");
    const i = await customerIncident("Sev1", { visibility: "private" });
    await affect(i.id, { name: "Hooli", contacts: ["sre@hooli.example"], ticket: "ZD-9" });
    expectProblem(await outsider.get(path(i.id)), 404);
    expectProblem(await outsider.request("POST", path(i.id), { name: "Hooli", ticket: "ZD-10" }), 404);
    expectProblem(await outsider.request("DELETE", `${path(i.id)}?name=Hooli`), 404);
    expectProblem(await outsider.get(path(i.id, "customer-updates")), 404);
    expectProblem(
      await outsider.request("POST", path(i.id, "customer-updates"), { body: "hi", nextUpdateInMinutes: 30 }),
      404,
    );
  });
});

describe("mass updates", () => {
  it("COMM-6: one update reaches every contact of every affected customer, naming their ticket and the next update time", async () => {
    const i = await customerIncident("Sev0");
    await affect(i.id, {
      name: "Wayne Enterprises",
      contacts: ["ops@wayne.example", "cto@wayne.example"],
      ticket: "ZD-301",
    });
    await affect(i.id, { name: "Stark Industries", contacts: ["noc@stark.example"], ticket: "ZD-302" });
    const before = smtp.mails.length;

    const sent = await t.admin.request(
      "POST",
      path(i.id, "customer-updates"),
      {
        body: "Installations fail to start after upgrading to 17.2. A fix is being built.",
        nextUpdateInMinutes: 60,
      },
      { "idempotency-key": `mass-${i.id}` },
    );
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body).toMatchObject({
      sent: 2,
      emails: 3,
      customers: ["Wayne Enterprises", "Stark Industries"],
    });
    expect(sent.body.nextUpdateAt).toBe(new Date(t.clock.now().getTime() + 60 * 60_000).toISOString());

    // A retried request (same key) answers the same and sends nothing more.
    const retried = await t.admin.request(
      "POST",
      path(i.id, "customer-updates"),
      {
        body: "Installations fail to start after upgrading to 17.2. A fix is being built.",
        nextUpdateInMinutes: 60,
      },
      { "idempotency-key": `mass-${i.id}` },
    );
    expect(retried.status).toBe(201);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    expect(retried.body.id).toBe(sent.body.id);

    await t.runJobs();
    const mails = smtp.mails.slice(before);
    expect(mails.flatMap((m) => m.to).sort()).toEqual([
      "cto@wayne.example",
      "noc@stark.example",
      "ops@wayne.example",
    ]);
    const stark = smtp.to("noc@stark.example").at(-1);
    expect(stark?.subject).toMatch(/^\[ZD-302\] Sev0 incident update: Customer installs fail to start/);
    expect(stark?.body).toMatch(/Hello Stark Industries,/);
    expect(stark?.body).toMatch(/A fix is being built\./);
    expect(stark?.body).toMatch(/Our next update will reach you by 2026-\d\d-\d\d \d\d:\d\d UTC\./);
    // Each customer sees only their own address.
    expect(stark?.to).toEqual(["noc@stark.example"]);
    expect(await deliveryCount(i.id)).toBe(3);

    const updates = (await t.admin.get(path(i.id, "customer-updates"))).body.updates;
    expect(updates).toHaveLength(1);
    expect(updates[0].deliveries.map((d: Json) => [d.customer, d.status])).toEqual([
      ["Wayne Enterprises", "delivered"],
      ["Wayne Enterprises", "delivered"],
      ["Stark Industries", "delivered"],
    ]);
    const customers = (await t.admin.get(path(i.id))).body.customers;
    expect(customers.map((c: Json) => c.lastUpdateAt)).toEqual([
      t.clock.now().toISOString(),
      t.clock.now().toISOString(),
    ]);

    const events = await timeline(t.admin, i.id);
    const sentEvent = events.filter((e: Json) => e.kind === "customer-update-sent");
    expect(sentEvent).toHaveLength(1);
    expect(sentEvent[0].data).toMatchObject({ emails: 3, updateId: sent.body.id });
    expect(events.filter((e: Json) => e.kind === "customer-update-delivered")).toHaveLength(3);
  });

  it("COMM-6: a Sev0 update promises the next within the hour; RED data and an incident without customers are refused", async () => {
    const i = await customerIncident("Sev0");
    const none = expectProblem(
      await t.admin.request("POST", path(i.id, "customer-updates"), {
        body: "We are on it.",
        nextUpdateInMinutes: 30,
      }),
      409,
    );
    expect(none.detail).toMatch(/no affected customers/);
    await affect(i.id, { name: "Cyberdyne", contacts: ["ops@cyberdyne.example"], ticket: "ZD-400" });
    const late = expectProblem(
      await t.admin.request("POST", path(i.id, "customer-updates"), {
        body: "We are on it.",
        nextUpdateInMinutes: 90,
      }),
      400,
    );
    expect(late.detail).toMatch(/Sev0 incidents update their customers at least every 60 minutes/);
    const red = await t.admin.request("POST", path(i.id, "customer-updates"), {
      body: "Log in as root with password hunter2 to check: token glpat-abcdefghijklmnopqrst",
      nextUpdateInMinutes: 30,
    });
    expectProblem(red, 400, "red-data");
    await t.runJobs();
    expect(smtp.to("ops@cyberdyne.example")).toEqual([]);
    expect(await deliveryCount(i.id)).toBe(0);
  });

  it("COMM-6: only admins and the incident's Incident Coordinator, Incident Manager or CMOC send updates", async () => {
    const coordinator = await t.user("coordinator", "responder");
    const bystander = await t.user("bystander", "responder");
    const i = await customerIncident("Sev1");
    await affect(i.id, { name: "Soylent", contacts: ["it@soylent.example"], ticket: "ZD-500" });
    const refused = expectProblem(
      await bystander.request("POST", path(i.id, "customer-updates"), {
        body: "Update",
        nextUpdateInMinutes: 120,
      }),
      403,
    );
    expect(refused.detail).toMatch(/Incident Coordinator, Incident Manager, CMOC/);
    const role = await t.admin.request(
      "PUT",
      `/api/v1/incidents/${i.id}/roles/${encodeURIComponent("Incident Coordinator")}`,
      {
        user: coordinator.id,
      },
    );
    expect(role.status, JSON.stringify(role.body)).toBe(200);
    const ok = await coordinator.request("POST", path(i.id, "customer-updates"), {
      body: "We found the cause and are rolling out a fix.",
      nextUpdateInMinutes: 120,
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.sent).toBe(1);
    await t.runJobs();
    expect(smtp.to("it@soylent.example").at(-1)?.body).toMatch(/rolling out a fix/);
  });
});
