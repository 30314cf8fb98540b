/** Passwords for the web app: the rules, who sets whose, and the sign-in throttle. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { browser } from "./helpers.ts";

let t: TestApp;
const password = "correct horse battery staple";

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

async function person(username: string, role: "viewer" | "responder" | "admin" = "responder") {
  const u = await t.user(username, role);
  const r = await t.admin.request("PUT", `/api/v1/users/${u.id}/password`, { password });
  expect(r.status, JSON.stringify(r.body)).toBe(204);
  return u;
}

async function signedIn(username: string, pw = password) {
  const b = browser(t.base);
  const r = await b.signIn({ username, password: pw });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return b;
}

describe("password rules", () => {
  it("at least 12 characters, at most 200: a 400 naming the rule", async () => {
    const u = await t.user("rules");
    const short = await u.request("PUT", `/api/v1/users/${u.id}/password`, { password: "elevenchars" });
    const p = expectProblem(short, 400, "invalid-request");
    expect(p.detail).toContain("password");
    expect(p.detail).toContain("at least 12 characters");
    const long = await u.request("PUT", `/api/v1/users/${u.id}/password`, { password: "x".repeat(201) });
    expect(expectProblem(long, 400).detail).toContain("at most 200 characters");
    const ok = await u.request("PUT", `/api/v1/users/${u.id}/password`, { password: "twelve chars" });
    expect(ok.status).toBe(204);
  });

  it("POST /users takes an optional password under the same rules", async () => {
    const bad = await t.admin.request("POST", "/api/v1/users", {
      username: "shorty",
      name: "Shorty",
      role: "viewer",
      password: "short",
    });
    expect(expectProblem(bad, 400).detail).toContain("at least 12 characters");
    const good = await t.admin.request("POST", "/api/v1/users", {
      username: "newbie",
      name: "Newbie",
      role: "viewer",
      password,
    });
    expect(good.status).toBe(201);
    expect(good.body).not.toHaveProperty("password");
    await signedIn("newbie");
  });
});

describe("who sets whose password", () => {
  it("people set their own; once they have one, changing it needs the current one", async () => {
    const u = await t.user("own");
    // The first password needs nothing more than the token (or session) they already have.
    expect((await u.request("PUT", `/api/v1/users/${u.id}/password`, { password })).status).toBe(204);
    expect((await u.get("/api/v1/me")).body.hasPassword).toBe(true);
    const missing = await u.request("PUT", `/api/v1/users/${u.id}/password`, { password: "a new password!" });
    expect(expectProblem(missing, 400).field).toBe("currentPassword");
    const wrong = await u.request("PUT", `/api/v1/users/${u.id}/password`, {
      password: "a new password!",
      currentPassword: "not my password",
    });
    expect(expectProblem(wrong, 400).detail).toContain("not your current password");
    const right = await u.request("PUT", `/api/v1/users/${u.id}/password`, {
      password: "a new password!",
      currentPassword: password,
    });
    expect(right.status).toBe(204);
    await signedIn("own", "a new password!");
    expectProblem(await browser(t.base).signIn({ username: "own", password }), 401);
  });

  it("an admin sets anyone's; a responder cannot set another's", async () => {
    const target = await person("target");
    const other = await t.user("other");
    const refused = await other.request("PUT", `/api/v1/users/${target.id}/password`, {
      password: "an attacker's password",
    });
    expect(expectProblem(refused, 403, "forbidden").detail).toContain("admin");
    await signedIn("target");
    const reset = await t.admin.request("PUT", `/api/v1/users/${target.id}/password`, {
      password: "reset by the admin",
    });
    expect(reset.status).toBe(204);
    await signedIn("target", "reset by the admin");
    expectProblem(await t.admin.request("PUT", "/api/v1/users/99999/password", { password }), 404);
  });

  it("a new password signs the person out everywhere else, but not where they changed it", async () => {
    await person("moving");
    const laptop = await signedIn("moving");
    const phone = await signedIn("moving");
    const me = (await laptop.get("/api/v1/me")).body;
    const r = await laptop.request("PUT", `/api/v1/users/${me.id}/password`, {
      password: "moved to a new one",
      currentPassword: password,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expect((await laptop.get("/api/v1/me")).status).toBe(200);
    expectProblem(await phone.get("/api/v1/me"), 401);
  });

  it("an admin's reset signs the person out everywhere", async () => {
    const u = await person("resetme");
    const b = await signedIn("resetme");
    await t.admin.request("PUT", `/api/v1/users/${u.id}/password`, { password: "fresh from the admin" });
    expectProblem(await b.get("/api/v1/me"), 401);
  });
});

describe("the sign-in throttle", () => {
  it("10 failed sign-ins for a username in 15 minutes: then 429 with Retry-After, even with the right password", async () => {
    await person("guessed");
    for (let i = 0; i < 10; i++) {
      const r = await browser(t.base).signIn({ username: "guessed", password: `guess number ${i}` });
      expectProblem(r, 401);
    }
    const limited = await browser(t.base).signIn({ username: "guessed", password });
    const p = expectProblem(limited, 429, "rate-limited");
    expect(p.detail).toContain("for guessed");
    expect(Number(limited.headers.get("retry-after"))).toBe(15 * 60);
    // Other people are not affected.
    await person("bystander");
    await signedIn("bystander");
    // The window passes on the test clock: the oldest failures fall out of it.
    t.clock.advanceMinutes(10);
    const still = await browser(t.base).signIn({ username: "guessed", password });
    expectProblem(still, 429);
    expect(Number(still.headers.get("retry-after"))).toBe(5 * 60);
    t.clock.advanceMinutes(5);
    await signedIn("guessed");
  });

  it("a success forgets the username's failures", async () => {
    await person("forgetful");
    for (let i = 0; i < 9; i++) {
      expectProblem(await browser(t.base).signIn({ username: "forgetful", password: `typo ${i}` }), 401);
    }
    await signedIn("forgetful");
    for (let i = 0; i < 9; i++) {
      expectProblem(await browser(t.base).signIn({ username: "forgetful", password: `typo ${i}` }), 401);
    }
    await signedIn("forgetful");
  });

  it("wrong current passwords count too", async () => {
    const u = await person("changer");
    for (let i = 0; i < 10; i++) {
      const r = await u.request("PUT", `/api/v1/users/${u.id}/password`, {
        password: "some new password",
        currentPassword: `guess ${i}`,
      });
      expectProblem(r, 400);
    }
    const limited = await u.request("PUT", `/api/v1/users/${u.id}/password`, {
      password: "some new password",
      currentPassword: password,
    });
    expectProblem(limited, 429, "rate-limited");
    t.clock.advanceMinutes(16);
  });

  it("a deactivated person's right password is a failure like any other: same 401, and it counts", async () => {
    const u = await person("departed");
    expect((await t.admin.request("DELETE", `/api/v1/users/${u.id}`)).status).toBe(200);
    for (let i = 0; i < 9; i++) {
      expectProblem(await browser(t.base).signIn({ username: "departed", password: `guess ${i}` }), 401);
    }
    // The right password neither tells it was right nor forgets the failures before it.
    const right = await browser(t.base).signIn({ username: "departed", password });
    expect(expectProblem(right, 401, "unauthenticated").detail).toBe("username or password is wrong");
    expectProblem(await browser(t.base).signIn({ username: "departed", password }), 429, "rate-limited");
    // Reactivated, the person signs in once the window has passed.
    expect((await t.admin.request("PATCH", `/api/v1/users/${u.id}`, { active: true })).status).toBe(200);
    expectProblem(await browser(t.base).signIn({ username: "departed", password }), 429);
    t.clock.advanceMinutes(16);
    await signedIn("departed");
  });

  it("50 failed sign-ins from one address: then 429 for every username from it", async () => {
    for (let i = 0; i < 50; i++) {
      expectProblem(await browser(t.base).signIn({ token: `fbk_wrong-${i}` }), 401);
    }
    const limited = await browser(t.base).signIn({ token: t.admin.token });
    expect(expectProblem(limited, 429, "rate-limited").detail).toContain("from your address");
    await person("innocent");
    expectProblem(await browser(t.base).signIn({ username: "innocent", password }), 429);
    t.clock.advanceMinutes(16);
    await signedIn("innocent");
  });
});
