/** Signing in to the web app: passwords and tokens, the session cookie, the CSRF rule, signing out. */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { browser, expectSessionCookie } from "./helpers.ts";

let t: TestApp;
let adminToken: string;
const password = "correct horse battery staple";

beforeAll(async () => {
  t = await startTestApp();
  adminToken = t.admin.token;
});
afterAll(() => t.close());

async function person(username: string, role: "viewer" | "responder" | "admin" = "responder") {
  const r = await t.admin.request("POST", "/api/v1/users", { username, name: username, role, password });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as number;
}

describe("signing in", () => {
  it("with a username and password: the user, and an HttpOnly SameSite=Strict cookie", async () => {
    const id = await person("ada");
    const b = browser(t.base);
    const r = await b.signIn({ username: "ada", password });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user).toMatchObject({ id, username: "ada", role: "responder", hasPassword: true });
    const cookie = expectSessionCookie(r);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).toContain(`Max-Age=${7 * 24 * 3600}`);
    expect(cookie, "http public URL: no Secure").not.toContain("Secure");
    // The user is the same shape as GET /me.
    const me = await b.get("/api/v1/me");
    expect(me.status).toBe(200);
    expect(r.body.user).toEqual(me.body);
  });

  it("usernames are matched whatever their case", async () => {
    await person("grace");
    const r = await browser(t.base).signIn({ username: " Grace ", password });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user.username).toBe("grace");
  });

  it("with an API token: how the first admin signs in before having a password", async () => {
    const b = browser(t.base);
    const r = await b.signIn({ token: adminToken });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.user).toMatchObject({ username: "admin", role: "admin", hasPassword: false });
    expectSessionCookie(r);
    expect((await b.get("/api/v1/session")).body.user.username).toBe("admin");
  });

  it("the database keeps only a hash of the cookie's secret", async () => {
    const b = browser(t.base);
    await b.signIn({ token: adminToken });
    const secret = b.cookie!.split("=")[1]!;
    const db = new pg.Client({ connectionString: dbUrl() });
    await db.connect();
    try {
      const rows = await db.query("SELECT secret_hash FROM web_sessions");
      expect(rows.rows.length).toBeGreaterThan(0);
      for (const row of rows.rows) expect(row.secret_hash).not.toContain(secret);
    } finally {
      await db.end();
    }
  });

  it("a wrong password and an unknown user get the same 401", async () => {
    await person("linus");
    const wrong = await browser(t.base).signIn({ username: "linus", password: "not the password at all" });
    const unknown = await browser(t.base).signIn({ username: "nobody-here", password });
    expectProblem(wrong, 401, "unauthenticated");
    expectProblem(unknown, 401, "unauthenticated");
    expect(wrong.body.detail).toBe("username or password is wrong");
    expect(unknown.body.detail).toBe(wrong.body.detail);
    expect(wrong.headers.get("set-cookie")).toBeNull();
  });

  it("a user without a password gets the same 401; a wrong token names its prefix", async () => {
    await t.admin.request("POST", "/api/v1/users", { username: "nopass", name: "No Pass", role: "viewer" });
    const r = await browser(t.base).signIn({ username: "nopass", password });
    expect(expectProblem(r, 401).detail).toBe("username or password is wrong");
    const tok = await browser(t.base).signIn({ token: "fbk_not-a-real-token" });
    expect(expectProblem(tok, 401).detail).toContain("fbk_not-");
  });

  it("needs either username and password or a token", async () => {
    const b = browser(t.base);
    expectProblem(await b.signIn({ username: "ada" } as never), 400, "invalid-request");
    expectProblem(
      await b.request("POST", "/api/v1/session", { username: "ada", password, token: adminToken }),
      400,
    );
    expectProblem(await b.request("POST", "/api/v1/session", {}), 400);
  });

  it("a deactivated user cannot sign in, and the answer does not tell that the password was right", async () => {
    const id = await person("gone");
    expect((await t.admin.request("DELETE", `/api/v1/users/${id}`)).status).toBe(200);
    const right = await browser(t.base).signIn({ username: "gone", password });
    const wrong = await browser(t.base).signIn({ username: "gone", password: "not the password at all" });
    expect(expectProblem(right, 401, "unauthenticated").detail).toBe("username or password is wrong");
    expect(right.body.detail).toBe(wrong.body.detail);
    expect(right.headers.get("set-cookie")).toBeNull();
  });
});

describe("the session cookie", () => {
  it("authenticates reads: GET /session, /me and the API", async () => {
    await person("reader", "viewer");
    const b = browser(t.base);
    await b.signIn({ username: "reader", password });
    expect((await b.get("/api/v1/session")).body.user.username).toBe("reader");
    expect((await b.get("/api/v1/incidents")).status).toBe(200);
    // Roles are as for tokens: a viewer cannot declare.
    const declare = await b.request("POST", "/api/v1/incidents", {
      title: "x",
      type: "GitLab.com",
      severity: "S3",
      status: "active",
    });
    expectProblem(declare, 403, "forbidden");
  });

  it("without a cookie or token: 401", async () => {
    const r = await browser(t.base).get("/api/v1/session");
    expectProblem(r, 401, "unauthenticated");
  });

  it("a change with the cookie but without x-firebreak-client is 403, and nothing changes", async () => {
    await person("csrf");
    const b = browser(t.base);
    await b.signIn({ username: "csrf", password });
    const before = await t.admin.get("/api/v1/incidents");
    const body = { title: "forged", type: "GitLab.com", severity: "S3", status: "active" };
    const r = await b.request("POST", "/api/v1/incidents", body, { web: false });
    const problem = expectProblem(r, 403, "missing-client-header");
    expect(problem.detail).toContain("x-firebreak-client: web");
    const after = await t.admin.get("/api/v1/incidents");
    expect(after.body.incidents.length).toBe(before.body.incidents.length);
    // Signing out is a change too: it needs the header, and the session survives without it.
    expectProblem(await b.request("DELETE", "/api/v1/session", undefined, { web: false }), 403);
    expect((await b.get("/api/v1/session")).status).toBe(200);
    // With the header, the same request works.
    expect((await b.request("POST", "/api/v1/incidents", body)).status).toBe(201);
  });

  it("bearer-token requests need no header", async () => {
    const r = await t.admin.request("POST", "/api/v1/incidents", {
      title: "by token",
      type: "GitLab.com",
      severity: "S3",
      status: "active",
    });
    expect(r.status).toBe(201);
  });

  it("signing out stops the cookie at once and clears it", async () => {
    await person("leaver");
    const b = browser(t.base);
    await b.signIn({ username: "leaver", password });
    const cookie = b.cookie;
    const out = await b.request("DELETE", "/api/v1/session");
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^firebreak_session=; .*Max-Age=0/);
    b.cookie = cookie; // a copy of the old cookie is worth nothing now
    expectProblem(await b.get("/api/v1/session"), 401, "unauthenticated");
    expect((await b.get("/api/v1/me")).status).toBe(401);
  });

  it("a deactivated user's session stops working, and reactivating does not revive it", async () => {
    const id = await person("suspended");
    const b = browser(t.base);
    await b.signIn({ username: "suspended", password });
    expect((await b.get("/api/v1/me")).status).toBe(200);
    await t.admin.request("PATCH", `/api/v1/users/${id}`, { active: false });
    expectProblem(await b.get("/api/v1/me"), 401);
    await t.admin.request("PATCH", `/api/v1/users/${id}`, { active: true });
    expectProblem(await b.get("/api/v1/me"), 401);
  });

  it("a session opened with an API token ends when that token is revoked", async () => {
    const id = await person("tokened");
    const laptop = await t.admin.request("POST", `/api/v1/users/${id}/tokens`, { name: "laptop" });
    expect(laptop.status).toBe(201);
    const byToken = browser(t.base);
    expect((await byToken.signIn({ token: laptop.body.token })).status).toBe(200);
    const byPassword = browser(t.base);
    expect((await byPassword.signIn({ username: "tokened", password })).status).toBe(200);
    expect((await byToken.get("/api/v1/session")).status).toBe(200);

    expect((await t.admin.request("DELETE", `/api/v1/tokens/${laptop.body.id}`)).status).toBe(204);
    expectProblem(await byToken.get("/api/v1/session"), 401, "unauthenticated");
    expectProblem(await byToken.get("/api/v1/me"), 401);
    expect(
      (await byPassword.get("/api/v1/session")).status,
      "the password's session is not the token's",
    ).toBe(200);
  });

  it("a session stops at once when its token is revoked by any path (the lookup checks the token)", async () => {
    const id = await person("tokened2");
    const tok = await t.admin.request("POST", `/api/v1/users/${id}/tokens`, { name: "desk" });
    const b = browser(t.base);
    expect((await b.signIn({ token: tok.body.token })).status).toBe(200);
    expect((await b.get("/api/v1/me")).status).toBe(200);
    const db = new pg.Client({ connectionString: dbUrl() });
    await db.connect();
    try {
      await db.query("UPDATE api_tokens SET revoked_at = now() WHERE id = $1", [tok.body.id]);
    } finally {
      await db.end();
    }
    expectProblem(await b.get("/api/v1/me"), 401);
  });

  it("ends after 12 hours without a request", async () => {
    await person("idle");
    const b = browser(t.base);
    await b.signIn({ username: "idle", password });
    t.clock.advanceMinutes(11 * 60);
    expect((await b.get("/api/v1/me")).status, "used within 12 hours").toBe(200);
    t.clock.advanceMinutes(11 * 60);
    expect((await b.get("/api/v1/me")).status, "22 h after sign-in, 11 h after use").toBe(200);
    t.clock.advanceMinutes(12 * 60 + 1);
    expectProblem(await b.get("/api/v1/me"), 401);
  });

  it("ends 7 days after sign-in however busy", async () => {
    await person("busy");
    const b = browser(t.base);
    await b.signIn({ username: "busy", password });
    for (let hours = 0; hours < 7 * 24 - 10; hours += 10) {
      t.clock.advanceMinutes(10 * 60);
      expect((await b.get("/api/v1/me")).status).toBe(200);
    }
    t.clock.advanceMinutes(11 * 60);
    expectProblem(await b.get("/api/v1/me"), 401);
  });

  it("signing in again replaces the browser's previous session", async () => {
    await person("twice");
    const b = browser(t.base);
    await b.signIn({ username: "twice", password });
    const first = b.cookie;
    await b.signIn({ username: "twice", password });
    expect(b.cookie).not.toBe(first);
    const old = browser(t.base);
    old.cookie = first;
    expectProblem(await old.get("/api/v1/me"), 401);
    expect((await b.get("/api/v1/me")).status).toBe(200);
  });
});

function dbUrl(): string {
  return (t.database.pool as unknown as { options: { connectionString: string } }).options.connectionString;
}
