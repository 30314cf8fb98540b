/**
 * Configuration as code against the real server (issue 19): export, plan and apply; prune and its
 * order; one transaction; problems with their paths; drift after an edit through the normal API;
 * who may do it; Idempotency-Key.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { ConfigDocument } from "../../src/config/document.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { sampleDocument } from "./helpers.ts";

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-03-02T10:00:00Z" });
});
afterAll(async () => {
  await t.close();
});

const apply = (document: unknown, prune?: boolean, headers?: Record<string, string>) =>
  t.admin.request(
    "POST",
    "/api/v1/config/apply",
    prune === undefined ? { document } : { document, prune },
    headers,
  );
const plan = (document: unknown, prune?: boolean) =>
  t.admin.request("POST", "/api/v1/config/plan", prune === undefined ? { document } : { document, prune });
const exported = async () => (await t.admin.get("/api/v1/config")).body as ConfigDocument;
const serviceId = async (name: string) =>
  ((await t.admin.get("/api/v1/services")).body.services as { id: number; name: string }[]).find(
    (s) => s.name === name,
  )?.id;

describe("configuration as code", () => {
  it("apply creates what the document names and issues its keys once; the same document again changes nothing", async () => {
    const doc = sampleDocument();
    const planned = await plan(doc);
    expect(planned.status, JSON.stringify(planned.body)).toBe(200);
    expect(planned.body.changes).toEqual(
      expect.arrayContaining([
        { action: "create", kind: "user", name: "alice" },
        { action: "create", kind: "team", name: "payments" },
        { action: "create", kind: "schedule", name: "Payments primary" },
        { action: "create", kind: "escalationPolicy", name: "Payments" },
        { action: "create", kind: "service", name: "checkout" },
        { action: "create", kind: "integration", name: "checkout/prometheus" },
        { action: "create", kind: "statusPage", name: "public" },
        { action: "create", kind: "component", name: "public/Card payments" },
      ]),
    );
    // A plan changes nothing.
    expect((await exported()).services).toEqual([]);

    const first = await apply(doc);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.changes).toEqual(planned.body.changes);
    expect(first.body.issuedKeys).toEqual([
      expect.objectContaining({ service: "checkout", integration: "prometheus", key: expect.any(String) }),
    ]);
    const [issued] = first.body.issuedKeys;
    expect(issued.hint).toBe(issued.key.slice(-4));
    // The key works where senders send: an Events API v2 event with it as routing key.
    const event = await fetch(`${t.base}/v2/enqueue`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        routing_key: issued.key,
        event_action: "trigger",
        payload: { summary: "checkout is slow", source: "prometheus", severity: "warning" },
      }),
    });
    expect(event.status).toBe(202);

    const again = await apply(doc);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ changes: [], issuedKeys: [] });
    expect((await plan(doc)).body.changes).toEqual([]);
  });

  it("export is stable, names people by email, leaves defaults out, and speaks YAML on request", async () => {
    const doc = await exported();
    expect(doc.schedules[0]?.layers[0]?.participants).toEqual(["alice@example.com", "bob@example.com"]);
    expect(doc.users.map((u) => u.username)).toEqual(["admin", "alice", "bob"]);
    const checkout = doc.services.find((s) => s.name === "checkout");
    expect(checkout).toEqual({
      name: "checkout",
      team: "payments",
      description: "The checkout API",
      escalationPolicy: "Payments",
      integrations: [{ name: "prometheus" }],
    });
    expect(Object.keys(doc.escalationPolicies[0] ?? {})).toEqual(["name", "team", "levels", "repeat"]);
    expect(doc.policy).toBeDefined();

    const yaml = await fetch(`${t.base}/api/v1/config`, {
      headers: { authorization: `Bearer ${t.admin.token}`, accept: "application/yaml" },
    });
    expect(yaml.headers.get("content-type")).toMatch(/^application\/yaml/);
    const text = await yaml.text();
    expect(parseYaml(text)).toEqual(doc);
    const byQuery = await t.admin.get("/api/v1/config?format=yaml");
    expect(byQuery.body).toBe(text);
  });

  it("plan names the fields an update changes", async () => {
    const doc = sampleDocument();
    doc.services[0] = { ...doc.services[0]!, description: "Checkout", flapChanges: 6 };
    doc.users[1] = { ...doc.users[1]!, name: "Alice A." };
    doc.statusPages[1]!.components.reverse();
    const planned = await plan(doc);
    expect(planned.body.changes).toEqual([
      { action: "update", kind: "user", name: "alice", fields: ["name"] },
      { action: "update", kind: "service", name: "checkout", fields: ["description", "flapChanges"] },
      { action: "update", kind: "component", name: "public/Website", fields: ["order"] },
      { action: "update", kind: "component", name: "public/Payments", fields: ["order"] },
    ]);
    const applied = await apply(doc);
    expect(applied.body.changes).toEqual(planned.body.changes);
    const after = await exported();
    expect(after.statusPages.find((p) => p.slug === "public")?.components.map((c) => c.name)).toEqual([
      "Website",
      "Card payments",
      "Payments",
    ]);
    expect((await apply(doc)).body.changes).toEqual([]);
    // Back as it was, for the tests after this one.
    expect((await apply(sampleDocument())).status).toBe(200);
  });

  it("matches people by email in any case, else by username, and never renames them", async () => {
    const doc = sampleDocument();
    doc.users[1] = {
      username: "alice.archer",
      name: "Alice Archer",
      email: "ALICE@example.com",
      role: "responder",
    };
    doc.schedules[0]!.layers[0]!.participants = ["alice.archer", "bob"];
    const planned = await plan(doc);
    expect(planned.body.changes).toEqual([
      { action: "update", kind: "user", name: "alice", fields: ["email"] },
    ]);
  });

  it("a problem anywhere in the document is a 422 naming each place, and nothing is applied", async () => {
    const before = await exported();
    const doc = sampleDocument();
    doc.schedules.push({
      name: "Brand new",
      timeZone: "Mars/Olympus",
      layers: [
        {
          name: "L",
          timeZone: "UTC",
          participants: ["alice@example.com", "nobody@example.com"],
          shiftLength: { unit: "days", count: 1 },
          start: "2026-03-02T09:00",
        },
      ],
    });
    doc.services.push({ name: "late", escalationPolicy: "No such policy", incidentSeverity: "S9" });
    const r = await apply(doc);
    expect(r.status).toBe(422);
    expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({
      code: "invalid-document",
      status: 422,
      type: "urn:firebreak:problem:invalid-document",
    });
    expect(r.body.errors).toEqual(
      expect.arrayContaining([
        {
          field: "schedules[1].layers[0].participants[1]",
          message: expect.stringContaining("nobody@example.com"),
        },
        { field: "schedules[1].timeZone", message: expect.stringContaining("IANA") },
        { field: "services[1].escalationPolicy", message: expect.stringContaining("No such policy") },
        { field: "services[1].incidentSeverity", message: expect.stringContaining("expected one of") },
      ]),
    );
    expect(await exported()).toEqual(before);
    // Plan says the same.
    expect((await plan(doc)).status).toBe(422);
  });

  it("a document that does not match the format is a 422 with the path of each mistake", async () => {
    const doc = sampleDocument() as unknown as {
      schedules: { layers: { shiftLength: { count: number } }[] }[];
    };
    doc.schedules[0]!.layers[0]!.shiftLength.count = 0;
    const r = await apply({ ...doc, extra: true });
    expect(r.status).toBe(422);
    expect(r.body.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(["schedules[0].layers[0].shiftLength.count", "(document)"]),
    );
  });

  it("a rotation the on-call model refuses and an override outside every shift are 422s", async () => {
    const doc = sampleDocument();
    doc.schedules[0]!.layers[0]!.restrictions = [{ days: [1], start: "25:00", end: "10:00" }];
    doc.schedules[0]!.overrides = [
      { user: "bob@example.com", start: "2026-02-01T00:00:00Z", end: "2026-02-01T01:00:00Z" },
      { user: "bob@example.com", start: "2026-04-01T00:00:00Z", end: "2026-04-01T01:00:00Z" },
    ];
    const r = await apply(doc);
    expect(r.status).toBe(422);
    // The ended override is history, not configuration: left out, not a problem.
    expect(r.body.errors.map((e: { field: string }) => e.field)).toEqual([
      "schedules[0].layers[0].restrictions[0].start",
    ]);
  });

  it("without prune, what the file leaves out is kept; with prune it is deleted, dependants first, never people", async () => {
    const doc = sampleDocument();
    doc.services = [];
    doc.escalationPolicies = [];
    doc.schedules = [];
    doc.statusPages = doc.statusPages.filter((p) => p.slug !== "public");
    doc.users = doc.users.filter((u) => u.username !== "bob");
    doc.teams = [];
    const kept = await plan(doc);
    expect(kept.body.changes).toEqual([]);
    expect(kept.body.kept).toEqual(
      expect.arrayContaining([
        { kind: "user", name: "bob" },
        { kind: "service", name: "checkout" },
        { kind: "statusPage", name: "public" },
      ]),
    );
    const pruned = await plan(doc, true);
    expect(pruned.body.changes).toEqual([
      { action: "delete", kind: "component", name: "public/Payments" },
      { action: "delete", kind: "component", name: "public/Card payments" },
      { action: "delete", kind: "component", name: "public/Website" },
      { action: "delete", kind: "statusPage", name: "public" },
      { action: "delete", kind: "integration", name: "checkout/prometheus" },
      { action: "delete", kind: "service", name: "checkout" },
      { action: "delete", kind: "escalationPolicy", name: "Payments" },
      { action: "delete", kind: "schedule", name: "Payments primary" },
      { action: "delete", kind: "team", name: "payments" },
    ]);
    expect(pruned.body.kept).toEqual(
      expect.arrayContaining([
        { kind: "user", name: "bob" },
        { kind: "team", name: "default" },
      ]),
    );
    // The escalation policy paged (the first test's event): it is kept for its pages' history,
    // so this prune is refused whole.
    const before = await exported();
    const refused = await apply(doc, true);
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      { field: "escalationPolicies", message: expect.stringContaining("has pages") },
    ]);
    expect(await exported()).toEqual(before);

    const keepPolicy = sampleDocument();
    keepPolicy.services = [];
    keepPolicy.statusPages = keepPolicy.statusPages.filter((p) => p.slug !== "public");
    const applied = await apply(keepPolicy, true);
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body.changes).toEqual([
      { action: "delete", kind: "component", name: "public/Payments" },
      { action: "delete", kind: "component", name: "public/Card payments" },
      { action: "delete", kind: "component", name: "public/Website" },
      { action: "delete", kind: "statusPage", name: "public" },
      { action: "delete", kind: "integration", name: "checkout/prometheus" },
      { action: "delete", kind: "service", name: "checkout" },
    ]);
    const after = await exported();
    expect(after.services).toEqual([]);
    expect(after.statusPages.map((p) => p.slug)).toEqual(["default"]);
    expect(after.users.map((u) => u.username)).toContain("bob");
    expect((await apply(keepPolicy, true)).body.changes).toEqual([]);
    // Back, for the tests after this one: a new key is issued for the re-created service.
    const back = await apply(sampleDocument());
    expect(back.body.issuedKeys).toHaveLength(1);
  });

  it("plan reports drift: an object changed through the API since the last apply", async () => {
    const id = await serviceId("checkout");
    const patched = await t.admin.request("PATCH", `/api/v1/services/${id}`, {
      description: "edited in the web app",
    });
    expect(patched.status).toBe(200);
    const planned = await plan(sampleDocument());
    expect(planned.body.changes).toEqual([
      { action: "update", kind: "service", name: "checkout", fields: ["description"], drifted: true },
    ]);
    expect(planned.body.drift).toEqual([
      { kind: "service", name: "checkout", appliedAt: expect.any(String), appliedBy: "admin" },
    ]);
    // Applying overwrites the change, and the drift is gone.
    expect((await apply(sampleDocument())).body.changes).toEqual([
      { action: "update", kind: "service", name: "checkout", fields: ["description"] },
    ]);
    expect((await plan(sampleDocument())).body).toMatchObject({ changes: [], drift: [] });

    // A service the file stops naming is no longer the file's to watch: its edits are no drift.
    const without = sampleDocument();
    without.services = [];
    expect((await apply(without)).body.changes).toEqual([]);
    await t.admin.request("PATCH", `/api/v1/services/${id}`, { description: "edited again" });
    expect((await plan(without)).body).toMatchObject({ changes: [], drift: [] });
    expect((await apply(sampleDocument())).body.changes).toEqual([
      { action: "update", kind: "service", name: "checkout", fields: ["description"] },
    ]);
  });

  it("an Idempotency-Key replays the first answer, keys included, and applies once", async () => {
    const doc = sampleDocument();
    doc.services[0]!.integrations = [{ name: "prometheus" }, { name: "grafana" }];
    const headers = { "idempotency-key": "config-apply-1" };
    const first = await apply(doc, undefined, headers);
    expect(first.body.issuedKeys).toHaveLength(1);
    const again = await apply(doc, undefined, headers);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const keys = await t.admin.get(`/api/v1/services/${await serviceId("checkout")}/integration-keys`);
    expect(keys.body.keys.map((k: { name: string }) => k.name).sort()).toEqual(["grafana", "prometheus"]);
  });

  it("is for admins: a responder may neither export, plan nor apply", async () => {
    const responder = await t.user("rita", "responder");
    expect((await responder.get("/api/v1/config")).status).toBe(403);
    expect(
      (await responder.request("POST", "/api/v1/config/plan", { document: sampleDocument() })).status,
    ).toBe(403);
    expect(
      (await responder.request("POST", "/api/v1/config/apply", { document: sampleDocument() })).status,
    ).toBe(403);
  });

  it("a role a file changes applies to the person's next request", async () => {
    const vic = await t.user("vic", "responder");
    expect((await vic.get("/api/v1/me")).body.role).toBe("responder");
    const doc = sampleDocument();
    doc.users.push({ username: "vic", name: "vic", role: "viewer" });
    const r = await apply(doc);
    expect(r.body.changes).toEqual([{ action: "update", kind: "user", name: "vic", fields: ["role"] }]);
    expect((await vic.get("/api/v1/me")).body.role).toBe("viewer");
  });

  it("RED data on a public status page is refused at its place, as the status page API refuses it", async () => {
    const doc = sampleDocument();
    doc.statusPages[1]!.components[2]!.description = "paid with 4111 1111 1111 1111";
    const r = await plan(doc);
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([
      { field: "statusPages[1].components[2].description", message: expect.stringContaining("card") },
    ]);
  });

  it("an apply is in the audit log", async () => {
    const log = await t.admin.get("/api/v1/audit?action=admin-action");
    expect(log.body.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ route: "/api/v1/config/apply", actorName: "admin" }),
      ]),
    );
  });
});
