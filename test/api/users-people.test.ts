/**
 * What the People screen and `firebreak user` read from the users API: deactivating a person a
 * schedule or escalation policy relies on is refused with `places` (kind, id, name) a client can
 * link to, beside the same in words; admins see who has a password, others do not.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { expectProblem } from "./helpers.ts";

type Person = Awaited<ReturnType<TestApp["user"]>>;

let t: TestApp;
let ria: Person;

beforeAll(async () => {
  t = await startTestApp();
  ria = await t.user("ria", "responder");
});
afterAll(() => t?.close());

const rotation = (name: string, participants: number[]) => ({
  name,
  timeZone: "UTC",
  layers: [
    {
      name: "weekly",
      timeZone: "UTC",
      participants,
      shiftLength: { unit: "weeks", count: 1 },
      start: "2026-03-02T09:00",
    },
  ],
});

describe("deactivating someone who is relied on", () => {
  it("is refused with 409 listing each schedule and policy as {kind, id, name}; nothing changes until they are off", async () => {
    const s = await t.admin.request("POST", "/api/v1/schedules", rotation("Ria's rota", [ria.id]));
    expect(s.status, JSON.stringify(s.body)).toBe(201);
    const p = await t.admin.request("POST", "/api/v1/escalation-policies", {
      name: "Ria direct",
      levels: [{ timeoutMinutes: 15, targets: [{ kind: "user", id: ria.id }] }],
    });
    expect(p.status, JSON.stringify(p.body)).toBe(201);

    for (const attempt of [
      () => t.admin.request("DELETE", `/api/v1/users/${ria.id}`),
      () => t.admin.request("PATCH", `/api/v1/users/${ria.id}`, { active: false }),
    ]) {
      const refused = expectProblem(await attempt(), 409, "conflict");
      expect(refused.places).toEqual([
        { kind: "schedule", id: s.body.id, name: "Ria's rota" },
        { kind: "escalation-policy", id: p.body.id, name: "Ria direct" },
      ]);
      expect(refused.detail).toContain(`schedule Ria's rota (#${s.body.id})`);
      expect(refused.detail).toContain(`escalation policy Ria direct (#${p.body.id})`);
    }
    const listed = (await t.admin.get("/api/v1/users")).body.users.find(
      (u: { id: number }) => u.id === ria.id,
    );
    expect(listed.active).toBe(true);

    // Off both, the same request goes through; reactivating brings them back.
    expect((await t.admin.request("DELETE", `/api/v1/escalation-policies/${p.body.id}`)).status).toBe(204);
    expect((await t.admin.request("DELETE", `/api/v1/schedules/${s.body.id}`)).status).toBe(204);
    const gone = await t.admin.request("DELETE", `/api/v1/users/${ria.id}`);
    expect(gone.status, JSON.stringify(gone.body)).toBe(200);
    expect(gone.body.active).toBe(false);
    const back = await t.admin.request("PATCH", `/api/v1/users/${ria.id}`, { active: true });
    expect(back.body.active).toBe(true);
  });
});

describe("who has a password", () => {
  it("admins see hasPassword on every person; a responder sees people without it", async () => {
    const created = await t.admin.request("POST", "/api/v1/users", {
      username: "pia",
      name: "Pia",
      role: "viewer",
      password: "a long enough password",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.hasPassword).toBe(true);
    const byAdmin = (await t.admin.get("/api/v1/users")).body.users;
    expect(byAdmin.find((u: { username: string }) => u.username === "pia").hasPassword).toBe(true);
    expect(byAdmin.find((u: { username: string }) => u.username === "ria").hasPassword).toBe(false);
    const byRia = (await ria.get("/api/v1/users")).body.users;
    expect(byRia.length).toBe(byAdmin.length);
    for (const u of byRia) expect(u).not.toHaveProperty("hasPassword");
  });
});
