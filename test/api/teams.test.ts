/**
 * Teams: an install from before teams is one default team holding everyone and owning everything;
 * a person's role can differ per team; responders of one team cannot change another team's
 * schedules, escalation policies, services or status pages; lists narrow to "my teams".
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

let t: TestApp;
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
type Json = any;
type Person = Awaited<ReturnType<TestApp["user"]>>;
let sre: Json;
let payments: Json;
let ana: Person; // responder; admin of the payments team
let sam: Person; // responder in the default team only
let defaultTeam: Json;

const schedule = (name: string, userId: number, teamId?: number) => ({
  ...(teamId === undefined ? {} : { teamId }),
  name,
  timeZone: "UTC",
  layers: [
    {
      name: "weekly",
      timeZone: "UTC",
      participants: [userId],
      shiftLength: { unit: "weeks", count: 1 },
      start: "2026-03-02T09:00",
    },
  ],
});

beforeAll(async () => {
  t = await startTestApp();
  ana = await t.user("ana", "responder");
  sam = await t.user("sam", "responder");
  sre = (await t.admin.request("POST", "/api/v1/teams", { slug: "sre", name: "SRE" })).body;
  payments = (await t.admin.request("POST", "/api/v1/teams", { slug: "payments", name: "Payments" })).body;
  defaultTeam = (await t.admin.get("/api/v1/teams")).body.teams.find((x: Json) => x.isDefault);
});
afterAll(() => t?.close());

describe("teams", () => {
  it("everyone is in the default team with their role, and what exists belongs to it", async () => {
    expect(defaultTeam).toMatchObject({ slug: "default", myRole: "admin" });
    const team = (await t.admin.get(`/api/v1/teams/${defaultTeam.id}`)).body;
    expect(team.members.map((m: Json) => [m.username, m.role])).toEqual([
      ["admin", "admin"],
      ["ana", "responder"],
      ["sam", "responder"],
    ]);
    // A role an admin changes follows into the default team.
    await t.admin.request("PATCH", `/api/v1/users/${sam.id}`, { role: "viewer" });
    const after = (await t.admin.get(`/api/v1/teams/${defaultTeam.id}`)).body.members;
    expect(after.find((m: Json) => m.username === "sam").role).toBe("viewer");
    await t.admin.request("PATCH", `/api/v1/users/${sam.id}`, { role: "responder" });
    const pages = (await t.admin.get("/api/v1/status-pages")).body.pages;
    expect(pages.every((p: Json) => p.teamId === defaultTeam.id)).toBe(true);
  });

  it("a team admin manages their team's members and resources; a global responder role does not reach another team", async () => {
    expect(
      (await t.admin.request("PUT", `/api/v1/teams/${payments.id}/members/${ana.id}`, { role: "admin" }))
        .status,
    ).toBe(204);
    // Ana, a responder globally, is an admin in payments: she creates its schedules and adds members.
    const made = await ana.request(
      "POST",
      "/api/v1/schedules",
      schedule("Payments on call", ana.id, payments.id),
    );
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.teamId).toBe(payments.id);
    expect(
      (await ana.request("PUT", `/api/v1/teams/${payments.id}/members/${sam.id}`, { role: "viewer" })).status,
    ).toBe(204);
    // Not in SRE: she cannot create there, nor manage its members.
    const refused = await ana.request("POST", "/api/v1/schedules", schedule("SRE on call", ana.id, sre.id));
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/team SRE.*needs admin or higher there/);
    expect(
      (await ana.request("PUT", `/api/v1/teams/${sre.id}/members/${ana.id}`, { role: "admin" })).status,
    ).toBe(403);
    // Sam is a viewer in payments: no overrides on its schedule, while in the default team he can.
    const cover = {
      userId: sam.id,
      start: "2026-03-03T00:00:00Z",
      end: "2026-03-04T00:00:00Z",
    };
    const no = await sam.request("POST", `/api/v1/schedules/${made.body.id}/overrides`, cover);
    expect(no.status).toBe(403);
    expect(no.body).toMatchObject({ role: "viewer", required: "responder", team: "Payments" });
    const count = await sql<{ n: number }>`SELECT count(*)::int AS n FROM schedule_overrides`.execute(
      t.database.db,
    );
    expect(count.rows[0]?.n).toBe(0);
  });

  it("responders of one team cannot change another team's schedules, policies or services", async () => {
    await t.admin.request("PUT", `/api/v1/teams/${sre.id}/members/${sam.id}`, { role: "responder" });
    const sreSchedule = (
      await t.admin.request("POST", "/api/v1/schedules", schedule("SRE primary", sam.id, sre.id))
    ).body;
    const policy = (
      await t.admin.request("POST", "/api/v1/escalation-policies", {
        teamId: sre.id,
        name: "SRE escalation",
        levels: [{ timeoutMinutes: 10, targets: [{ kind: "schedule", id: sreSchedule.id }] }],
      })
    ).body;
    const service = (
      await t.admin.request("POST", "/api/v1/services", {
        teamId: sre.id,
        name: "sre-api",
        escalationPolicyId: policy.id,
      })
    ).body;
    expect([policy.teamId, service.teamId]).toEqual([sre.id, sre.id]);
    // Ana (payments admin, responder by role) is outside SRE: every change is refused, nothing changes.
    const tries = [
      await ana.request("POST", `/api/v1/schedules/${sreSchedule.id}/overrides`, {
        userId: ana.id,
        start: "2026-03-03T00:00:00Z",
        end: "2026-03-04T00:00:00Z",
      }),
      await ana.request("PUT", `/api/v1/schedules/${sreSchedule.id}`, schedule("Taken", ana.id)),
      await ana.request("DELETE", `/api/v1/escalation-policies/${policy.id}`),
      await ana.request("PATCH", `/api/v1/services/${service.id}`, { name: "renamed" }),
      await ana.request("POST", `/api/v1/services/${service.id}/maintenance`, {
        start: "2026-03-03T00:00:00Z",
        end: "2026-03-04T00:00:00Z",
      }),
    ];
    expect(tries.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
    expect((await t.admin.get(`/api/v1/schedules/${sreSchedule.id}`)).body.name).toBe("SRE primary");
    expect((await t.admin.get(`/api/v1/services/${service.id}`)).body.name).toBe("sre-api");
    expect((await t.admin.get(`/api/v1/escalation-policies/${policy.id}`)).status).toBe(200);
    // Sam, a responder in SRE, may cover a shift there.
    const ok = await sam.request("POST", `/api/v1/schedules/${sreSchedule.id}/overrides`, {
      userId: sam.id,
      start: "2026-03-03T00:00:00Z",
      end: "2026-03-04T00:00:00Z",
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    // Moving a resource needs the role in the team it goes to as well.
    const move = await ana.request("PATCH", `/api/v1/services/${service.id}`, { teamId: payments.id });
    expect(move.status).toBe(403);
  });

  it("lists narrow to my teams or one team", async () => {
    const mine = (await ana.get("/api/v1/schedules?team=mine")).body.schedules.map((s: Json) => s.name);
    expect(mine).toContain("Payments on call");
    expect(mine).not.toContain("SRE primary");
    const sreOnly = (await ana.get(`/api/v1/schedules?team=${sre.id}`)).body.schedules.map(
      (s: Json) => s.name,
    );
    expect(sreOnly).toEqual(["SRE primary"]);
    expect((await ana.get("/api/v1/services?team=mine")).body.services).toEqual([]);
    expect((await sam.get("/api/v1/services?team=mine")).body.services.map((s: Json) => s.name)).toContain(
      "sre-api",
    );
    expect((await ana.get("/api/v1/schedules?team=everyone")).status).toBe(400);
  });

  it("a team that owns something cannot be deleted; the default team never", async () => {
    const r = await t.admin.request("DELETE", `/api/v1/teams/${sre.id}`);
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatch(/owns 1 schedules.*1 escalation policies.*1 services/);
    expect((await t.admin.request("DELETE", `/api/v1/teams/${defaultTeam.id}`)).status).toBe(409);
    const empty = (await t.admin.request("POST", "/api/v1/teams", { slug: "empty", name: "Empty" })).body;
    expect((await t.admin.request("DELETE", `/api/v1/teams/${empty.id}`)).status).toBe(204);
    expect((await ana.request("POST", "/api/v1/teams", { slug: "mine", name: "Mine" })).status).toBe(403);
  });
});
