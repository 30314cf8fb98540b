/**
 * Bad input, roles, unknown schedules and deleting schedules that escalation policies use: each
 * refusal is a problem document naming the field (or the policies in the way), and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  type Crew,
  createSchedule,
  crew,
  expectInvalid,
  expectProblem,
  type Json,
  platformSchedule,
} from "./helpers.ts";

let t: TestApp;
let c: Crew;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-03-02T10:00:00Z" });
  c = await crew(t);
});
afterAll(() => t?.close());

/** The Platform schedule with layer 0 changed by `change`. */
function withLayer0(change: Record<string, unknown>, name = "Broken") {
  const s = platformSchedule(c, name);
  return { ...s, layers: [{ ...s.layers[0], ...change }, s.layers[1]] };
}

async function scheduleCount(): Promise<number> {
  const r = await t.admin.get("/api/v1/schedules");
  expect(r.status).toBe(200);
  return r.body.schedules.length;
}

describe("creating a schedule: bad input is 400 naming the field", () => {
  it("a rotation with no participants is refused on layers[0].participants", async () => {
    const r = await t.admin.request("POST", "/api/v1/schedules", withLayer0({ participants: [] }));
    expect(expectInvalid(r, "layers[0].participants").detail).toMatch(/at least one participant/);
  });

  it("an unknown time zone is refused naming the rotation's or the schedule's field", async () => {
    const layer = await t.admin.request("POST", "/api/v1/schedules", withLayer0({ timeZone: "Mars/Base" }));
    expect(expectInvalid(layer, "layers[0].timeZone").detail).toContain('unknown time zone "Mars/Base"');
    const schedule = await t.admin.request("POST", "/api/v1/schedules", {
      ...platformSchedule(c, "Broken"),
      timeZone: "Mars/Base",
    });
    expectInvalid(schedule, "timeZone");
  });

  it("a zero, negative or fractional shift count is refused on layers[0].shiftLength.count", async () => {
    for (const count of [0, -1, 1.5]) {
      const r = await t.admin.request(
        "POST",
        "/api/v1/schedules",
        withLayer0({ shiftLength: { unit: "days", count } }),
      );
      expect(expectInvalid(r, "layers[0].shiftLength.count").detail, `count ${count}`).toMatch(
        /whole number from 1/,
      );
    }
  });

  // Server bug (reported): the route's zod schema rejects "25:00" before the domain validator, so the
  // field is named "body.layers.1.restrictions.0.start", not the documented path. Flip to `it` once fixed.
  it("a restriction time of 25:00 is refused on layers[1].restrictions[0].start (as documented)", async () => {
    const s = platformSchedule(c, "Broken");
    const r = await t.admin.request("POST", "/api/v1/schedules", {
      ...s,
      layers: [s.layers[0], { ...s.layers[1], restrictions: [{ days: [1], start: "25:00", end: "17:00" }] }],
    });
    expectInvalid(r, "layers[1].restrictions[0].start");
  });

  it("a restriction time of 25:00 is refused with a 400 that names the restriction's start", async () => {
    const s = platformSchedule(c, "Broken");
    const r = await t.admin.request("POST", "/api/v1/schedules", {
      ...s,
      layers: [s.layers[0], { ...s.layers[1], restrictions: [{ days: [1], start: "25:00", end: "17:00" }] }],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.field).toMatch(/layers.*1.*restrictions.*0.*start/);
  });

  it("an unknown participant user id is refused on layers[0].participants[1]", async () => {
    const r = await t.admin.request(
      "POST",
      "/api/v1/schedules",
      withLayer0({ participants: [c.alice.id, 999_999] }),
    );
    expect(expectInvalid(r, "layers[0].participants[1]").detail).toContain("no active user 999999");
  });

  it("a schedule with no layers, or a bad start, is refused naming the field", async () => {
    expectInvalid(
      await t.admin.request("POST", "/api/v1/schedules", { ...platformSchedule(c, "Broken"), layers: [] }),
      "layers",
    );
    expectInvalid(
      await t.admin.request("POST", "/api/v1/schedules", withLayer0({ start: "2026-03-02 nine o'clock" })),
      "layers[0].start",
    );
    expectInvalid(
      await t.admin.request(
        "POST",
        "/api/v1/schedules",
        withLayer0({ restrictions: [{ days: [8], start: "09:00", end: "17:00" }] }),
      ),
      "layers[0].restrictions[0].days[0]",
    );
  });

  it("refused schedules are not stored", async () => {
    expect(await scheduleCount()).toBe(0);
  });

  it("PUT with bad input is refused the same way and leaves the schedule as it was", async () => {
    const s = await createSchedule(t, platformSchedule(c, "Kept"));
    try {
      const r = await t.admin.request(
        "PUT",
        `/api/v1/schedules/${s.id}`,
        withLayer0({ participants: [] }, "Kept"),
      );
      expectInvalid(r, "layers[0].participants");
      expect((await t.admin.get(`/api/v1/schedules/${s.id}`)).body.layers).toEqual(
        platformSchedule(c, "Kept").layers,
      );
    } finally {
      expect((await t.admin.request("DELETE", `/api/v1/schedules/${s.id}`)).status).toBe(204);
    }
  });

  it("two schedules cannot share a name (409 naming the field)", async () => {
    const s = await createSchedule(t, platformSchedule(c, "Twin"));
    try {
      const r = await t.admin.request("POST", "/api/v1/schedules", platformSchedule(c, "Twin"));
      expect(expectProblem(r, 409, "conflict").field).toBe("name");
    } finally {
      expect((await t.admin.request("DELETE", `/api/v1/schedules/${s.id}`)).status).toBe(204);
    }
  });

  it("a shifts window that ends before it starts, or is over 366 days, is 400 on `until`", async () => {
    const s = await createSchedule(t, platformSchedule(c, "Windows"));
    try {
      const path = `/api/v1/schedules/${s.id}/shifts`;
      expectInvalid(
        await t.admin.get(`${path}?from=2026-03-03T00:00:00Z&until=2026-03-02T00:00:00Z`),
        "until",
      );
      expectInvalid(
        await t.admin.get(`${path}?from=2026-03-01T00:00:00Z&until=2027-04-01T00:00:00Z`),
        "until",
      );
      expectInvalid(
        await t.admin.get(`${path}?from=yesterday&until=2026-03-02T00:00:00Z`),
        "querystring.from",
      );
    } finally {
      expect((await t.admin.request("DELETE", `/api/v1/schedules/${s.id}`)).status).toBe(204);
    }
  });
});

describe("roles and unknown schedules", () => {
  it("a viewer or a responder cannot create, change or delete schedules (403)", async () => {
    const viewer = await t.user("vera", "viewer");
    const s = await createSchedule(t, platformSchedule(c, "Guarded"));
    try {
      for (const who of [viewer, c.alice]) {
        expectProblem(
          await who.request("POST", "/api/v1/schedules", platformSchedule(c, "Mine")),
          403,
          "forbidden",
        );
        expectProblem(
          await who.request("PUT", `/api/v1/schedules/${s.id}`, platformSchedule(c, "Mine")),
          403,
          "forbidden",
        );
        expectProblem(await who.request("DELETE", `/api/v1/schedules/${s.id}`), 403, "forbidden");
      }
      expect((await t.admin.get(`/api/v1/schedules/${s.id}`)).body.name).toBe("Guarded");
    } finally {
      expect((await t.admin.request("DELETE", `/api/v1/schedules/${s.id}`)).status).toBe(204);
    }
  });

  it("an unknown schedule is 404 everywhere", async () => {
    const missing = "/api/v1/schedules/999999";
    expectProblem(await t.admin.get(missing), 404, "not-found");
    expectProblem(await t.admin.request("PUT", missing, platformSchedule(c, "Ghost")), 404, "not-found");
    expectProblem(await t.admin.request("DELETE", missing), 404, "not-found");
    expectProblem(
      await t.admin.get(`${missing}/shifts?from=2026-03-02T00:00:00Z&until=2026-03-03T00:00:00Z`),
      404,
      "not-found",
    );
    expectProblem(await t.admin.request("POST", `${missing}/calendar-feed`), 404, "not-found");
    // PUT to an unknown id must not create it.
    expect(await scheduleCount()).toBe(0);
  });
});

describe("people on rotations", () => {
  // Server bug (reported): PATCH /users/{id} {active:false} never consults the schedules
  // (oncall service's schedulesNamingUser is unused), so a deactivated person stays on the
  // rotation and can be "on call". Issue 4, Bad input. Flip to `it` once fixed.
  it("deactivating a person who is on a rotation is refused, listing the schedules", async () => {
    const s = await createSchedule(t, platformSchedule(c, "Staffed"));
    try {
      const r = await t.admin.request("PATCH", `/api/v1/users/${c.cleo.id}`, { active: false });
      const problem = expectProblem(r, 409, "conflict");
      expect(problem.detail).toContain("Staffed");
    } finally {
      await t.admin.request("PATCH", `/api/v1/users/${c.cleo.id}`, { active: true });
      expect((await t.admin.request("DELETE", `/api/v1/schedules/${s.id}`)).status).toBe(204);
    }
  });
});

describe("deleting a schedule", () => {
  it("a schedule an escalation policy targets cannot be deleted (409 listing the policy)", async () => {
    const s = await createSchedule(t, platformSchedule(c, "Paged"));
    const p = await t.admin.request("POST", "/api/v1/escalation-policies", {
      name: "Platform escalation",
      levels: [{ timeoutMinutes: 15, targets: [{ kind: "schedule", id: s.id }] }],
    });
    expect(p.status, JSON.stringify(p.body)).toBe(201);

    const refused = expectProblem(
      await t.admin.request("DELETE", `/api/v1/schedules/${s.id}`),
      409,
      "conflict",
    );
    expect(refused.usedBy).toEqual([{ id: p.body.id, name: "Platform escalation" }]);
    expect(refused.detail).toContain(`Platform escalation (#${p.body.id})`);
    expect((await t.admin.get(`/api/v1/schedules/${s.id}`)).status).toBe(200);

    // Once the policy no longer targets it, the schedule can go.
    const pd = await t.admin.request("DELETE", `/api/v1/escalation-policies/${p.body.id}`);
    expect(pd.status, JSON.stringify(pd.body)).toBe(204);
    expect((await t.admin.request("DELETE", `/api/v1/schedules/${s.id}`)).status).toBe(204);
    expectProblem(await t.admin.get(`/api/v1/schedules/${s.id}`), 404, "not-found");
  });

  it("a policy targeting another schedule does not block deleting this one", async () => {
    const kept = await createSchedule(t, platformSchedule(c, "Kept by policy"));
    const free = await createSchedule(t, platformSchedule(c, "Free"));
    const p = await t.admin.request("POST", "/api/v1/escalation-policies", {
      name: "Other target",
      levels: [
        { timeoutMinutes: 15, targets: [{ kind: "user", id: c.alice.id }] },
        { timeoutMinutes: 15, targets: [{ kind: "schedule", id: kept.id }] },
      ],
    });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    try {
      expect((await t.admin.request("DELETE", `/api/v1/schedules/${free.id}`)).status).toBe(204);
      // The target on the second level counts too.
      const refused = await t.admin.request("DELETE", `/api/v1/schedules/${kept.id}`);
      expect(expectProblem(refused, 409, "conflict").usedBy).toEqual([
        { id: p.body.id, name: "Other target" },
      ]);
    } finally {
      expect((await t.admin.request("DELETE", `/api/v1/escalation-policies/${p.body.id}`)).status).toBe(204);
      expect((await t.admin.request("DELETE", `/api/v1/schedules/${kept.id}`)).status).toBe(204);
    }
  });

  it("a schedule no policy uses is deleted (204), with its overrides", async () => {
    const s = await createSchedule(t, platformSchedule(c, "Unused"));
    const o = await c.bob.request("POST", `/api/v1/schedules/${s.id}/overrides`, {
      userId: c.erin.id,
      start: "2026-03-02T12:00:00Z",
      end: "2026-03-02T14:00:00Z",
    });
    expect(o.status, JSON.stringify(o.body)).toBe(201);
    const r = await t.admin.request("DELETE", `/api/v1/schedules/${s.id}`);
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expectProblem(await t.admin.get(`/api/v1/schedules/${s.id}`), 404, "not-found");
    const now = await t.admin.get("/api/v1/oncall");
    expect(now.body.oncall.map((x: Json) => x.schedule.id)).not.toContain(s.id);
  });
});
