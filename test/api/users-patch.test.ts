/**
 * PATCH /users/{id} with nothing to change is a bad request (400 naming the fields it takes), not a
 * database error: the update it would build has an empty SET. Nothing changes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { expectProblem } from "./helpers.ts";

type Person = Awaited<ReturnType<TestApp["user"]>>;

let t: TestApp;
let uma: Person;

beforeAll(async () => {
  t = await startTestApp();
  uma = await t.user("uma", "responder");
});
afterAll(() => t?.close());

const row = () =>
  t.database.db
    .selectFrom("users")
    .select(["name", "email", "role", "deactivated_at"])
    .where("id", "=", uma.id)
    .executeTakeFirstOrThrow();

describe("PATCH /users/{id} without a change", () => {
  it("answers 400 invalid-request naming the fields it takes, for an admin and for oneself; nothing changes", async () => {
    const before = await row();
    for (const who of [t.admin, uma]) {
      const p = expectProblem(
        await who.request("PATCH", `/api/v1/users/${uma.id}`, {}),
        400,
        "invalid-request",
      );
      expect(p.field).toBe("body");
      expect(p.detail).toMatch(/at least one of name, email, role, active/);
    }
    expect(await row()).toEqual(before);
    // A change still works.
    const named = await uma.request("PATCH", `/api/v1/users/${uma.id}`, { name: "Uma U." });
    expect(named.status, JSON.stringify(named.body)).toBe(200);
    expect(named.body.name).toBe("Uma U.");
  });

  it("an unknown user is still 404, another's profile still 403", async () => {
    expectProblem(await t.admin.request("PATCH", "/api/v1/users/999999", { name: "x" }), 404, "not-found");
    expectProblem(await uma.request("PATCH", "/api/v1/users/1", { name: "x" }), 403, "forbidden");
  });
});
