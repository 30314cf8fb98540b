/**
 * PATCH of a status page component answers bad input as the POST does — a taken name is 409 and an
 * unknown group 400, both naming the field — rather than a database error as 500; a PATCH with
 * nothing to change is 400. In every case nothing changes in the database.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusDb } from "../../src/statuspage/store.ts";
import { expectProblem } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = any;

let t: TestApp;
let group: Json;
let api: Json;
let web: Json;
let other: Json; // a group on another page

const path = (p: string) => `/api/v1/status-pages/default${p}`;
const created = async (page: string, body: object) => {
  const r = await t.admin.request("POST", `/api/v1/status-pages/${page}/components`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
};
const rows = () =>
  (t.database.db as unknown as StatusDb).selectFrom("status_components").selectAll().orderBy("id").execute();
const changes = () =>
  (t.database.db as unknown as StatusDb).selectFrom("status_component_changes").selectAll().execute();

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-18T12:00:00Z" });
  group = await created("default", { name: "Platform", group: true });
  api = await created("default", { name: "API", groupId: group.id });
  web = await created("default", { name: "Website", groupId: group.id, position: 1 });
  expect(
    (await t.admin.request("POST", "/api/v1/status-pages", { slug: "internal", name: "Internal" })).status,
  ).toBe(201);
  other = await created("internal", { name: "Elsewhere", group: true });
  t.clock.advanceMinutes(5);
});
afterAll(() => t?.close());

describe("PATCH /status-pages/{page}/components/{id}", () => {
  it("a name another component on the page has: 409 conflict naming name; nothing changes", async () => {
    const before = await rows();
    const p = expectProblem(
      await t.admin.request("PATCH", path(`/components/${web.id}`), { name: "API", position: 7 }),
      409,
      "conflict",
    );
    expect(p.field).toBe("name");
    expect(p.detail).toContain('"API"');
    expect(await rows()).toEqual(before);
  });

  it("an unknown group, a group on another page, a component that is no group, or itself: 400 naming groupId; nothing changes", async () => {
    const before = await rows();
    for (const [id, groupId] of [
      [api.id, 999_999],
      [api.id, other.id],
      [api.id, web.id],
      [group.id, group.id],
    ]) {
      const p = expectProblem(
        await t.admin.request("PATCH", path(`/components/${id}`), { groupId, description: "moved" }),
        400,
        "invalid-request",
      );
      expect(p.field, `groupId ${groupId}`).toBe("groupId");
    }
    expect(await rows()).toEqual(before);
  });

  it("a group with members stays a group: 409 naming group; nothing changes", async () => {
    const before = await rows();
    const p = expectProblem(
      await t.admin.request("PATCH", path(`/components/${group.id}`), { group: false }),
      409,
      "conflict",
    );
    expect(p.field).toBe("group");
    expect(await rows()).toEqual(before);
  });

  it("a position beyond what is stored: 400 naming position, on PATCH and POST; nothing changes", async () => {
    const before = await rows();
    const patched = await t.admin.request("PATCH", path(`/components/${api.id}`), { position: 2 ** 31 });
    expect(expectProblem(patched, 400, "invalid-request").field).toBe("position");
    const posted = await t.admin.request("POST", path("/components"), { name: "Far", position: 2 ** 31 });
    expect(expectProblem(posted, 400, "invalid-request").field).toBe("position");
    expect(await rows()).toEqual(before);
  });

  it("nothing to change: 400 naming the fields it takes; nothing changes, not even updatedAt", async () => {
    const before = await rows();
    const history = await changes();
    const p = expectProblem(
      await t.admin.request("PATCH", path(`/components/${api.id}`), {}),
      400,
      "invalid-request",
    );
    expect(p.field).toBe("body");
    expect(p.detail).toMatch(/at least one of name, description, status, groupId/);
    expect(await rows()).toEqual(before);
    expect(await changes()).toEqual(history);
  });

  it("valid changes still apply: out of the group and back, renamed, regrouped", async () => {
    const out = await t.admin.request("PATCH", path(`/components/${api.id}`), {
      groupId: null,
      name: "Public API",
    });
    expect(out.status, JSON.stringify(out.body)).toBe(200);
    expect(out.body).toMatchObject({ name: "Public API", groupId: null });
    const back = await t.admin.request("PATCH", path(`/components/${api.id}`), { groupId: group.id });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(back.body.groupId).toBe(group.id);
    // Keeping its own name is no conflict.
    const same = await t.admin.request("PATCH", path(`/components/${api.id}`), { name: "Public API" });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    // `group` applies (it used to be ignored): an empty group becomes a component and back.
    const empty = await created("default", { name: "Spare", group: true });
    const plain = await t.admin.request("PATCH", path(`/components/${empty.id}`), { group: false });
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
    expect(plain.body.group).toBe(false);
    const regrouped = await t.admin.request("PATCH", path(`/components/${empty.id}`), { group: true });
    expect(regrouped.body.group).toBe(true);
    const statusOfGroup = await t.admin.request("PATCH", path(`/components/${web.id}`), {
      group: true,
      status: "degraded_performance",
    });
    expect(expectProblem(statusOfGroup, 400, "invalid-request").field).toBe("status");
  });
});
