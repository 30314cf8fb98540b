/**
 * Single sign-on against a real OpenID Connect provider (`oidc-provider`, run by the test): the
 * code flow with PKCE, state bound to the browser, nonce and signature checked, people matched by
 * verified email or created, roles from a claim, password sign-in switched off but for the
 * break-glass admin, and logout at the provider.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { startProvider, type TestProvider, testBrowser } from "../support/oidc.ts";
import type { Json } from "./helpers.ts";

const PUBLIC = "http://firebreak.test";
let idp: TestProvider;
let t: TestApp;

beforeAll(async () => {
  idp = await startProvider({ redirectUri: `${PUBLIC}/auth/oidc/callback`, postLogoutUri: `${PUBLIC}/` });
  t = await startTestApp({
    clockStart: new Date(),
    oidc: {
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      name: "Example SSO",
      scopes: "openid email profile groups",
      roleClaim: "groups",
      roleMap: { "sre-leads": "admin", sre: "responder" },
      defaultRole: "viewer",
    },
    localSignIn: { enabled: false, breakGlass: "admin" },
  });
  idp.accounts.set("u-ada", {
    sub: "u-ada",
    email: "Ada@Example.com",
    email_verified: true,
    name: "Ada Lovelace",
    preferred_username: "ada",
    groups: ["sre"],
  });
});
afterAll(async () => {
  await t?.close();
  await idp?.close();
});

/** Signs in through the provider as `account`; the browser holds whatever cookies it got. */
async function signInAs(account: string, returnTo = "/incidents") {
  idp.nextAccount = account;
  const b = testBrowser(t.base, PUBLIC);
  const end = await b.go(`${t.base}/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`);
  const session = await fetch(`${t.base}/api/v1/session`, { headers: { cookie: b.cookieHeader() } });
  return {
    b,
    end,
    session: { status: session.status, body: (session.ok ? await session.json() : undefined) as Json },
  };
}

const userRow = (username: string) =>
  t.database.db.selectFrom("users").selectAll().where("username", "=", username).executeTakeFirst();

describe("single sign-on", () => {
  it("the sign-in screen is told single sign-on is on and passwords are off", async () => {
    const r = await fetch(`${t.base}/api/v1/session/methods`);
    expect(await r.json()).toEqual({
      password: false,
      sso: { name: "Example SSO", loginUrl: "/auth/oidc/login" },
    });
  });

  it("sends the browser to the provider with PKCE (S256), state and nonce", async () => {
    const r = await fetch(`${t.base}/auth/oidc/login`, { redirect: "manual" });
    expect(r.status).toBe(302);
    const to = new URL(r.headers.get("location") ?? "");
    expect(to.origin).toBe(idp.issuer);
    expect(to.searchParams.get("code_challenge_method")).toBe("S256");
    expect(to.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);
    expect(to.searchParams.get("state")).toMatch(/^[\w-]{20,}$/);
    expect(to.searchParams.get("nonce")).toMatch(/^[\w-]{20,}$/);
    expect(to.searchParams.get("redirect_uri")).toBe(`${PUBLIC}/auth/oidc/callback`);
    expect(r.headers.get("set-cookie")).toMatch(/firebreak_oidc=.*HttpOnly; SameSite=Lax; Path=\/auth\/oidc/);
  });

  it("a first sign-in creates the person from the verified claims, with the role the group maps to", async () => {
    const { end, session } = await signInAs("u-ada", "/incidents?state=open");
    expect(end.status).toBe(200);
    expect(end.text).toContain('content="0;url=/incidents?state=open"');
    expect(session.status).toBe(200);
    expect(session.body.user).toMatchObject({
      username: "ada",
      name: "Ada Lovelace",
      email: "ada@example.com",
    });
    expect(session.body.user.role).toBe("responder");
    expect(session.body.signedInWith).toBe("sso");
  });

  it("matches an existing person by verified email and links the account; the next sign-in finds it by subject", async () => {
    const made = await t.admin.request("POST", "/api/v1/users", {
      username: "grace",
      name: "Grace Hopper",
      email: "grace@example.com",
      role: "viewer",
    });
    expect(made.status).toBe(201);
    idp.accounts.set("u-grace", {
      sub: "u-grace",
      email: "GRACE@example.com",
      email_verified: true,
      preferred_username: "ghopper",
      groups: ["sre-leads"],
    });
    const first = await signInAs("u-grace");
    expect(first.session.body.user).toMatchObject({ id: made.body.id, username: "grace", role: "admin" });
    // The provider changes the email: the link by subject still finds Grace, and no one new is made.
    idp.accounts.set("u-grace", {
      ...idp.accounts.get("u-grace")!,
      email: "grace@new.example",
      groups: ["sre"],
    });
    const again = await signInAs("u-grace");
    expect(again.session.body.user).toMatchObject({ id: made.body.id, role: "responder" });
    expect(await userRow("ghopper")).toBeUndefined();
  });

  it("refuses a first sign-in without a verified email, and creates no one", async () => {
    idp.accounts.set("u-eve", {
      sub: "u-eve",
      email: "eve@example.com",
      email_verified: false,
      preferred_username: "eve",
    });
    const { end, session } = await signInAs("u-eve");
    expect(end.status).toBe(403);
    expect(end.text).toMatch(/verified email/);
    expect(session.status).toBe(401);
    expect(await userRow("eve")).toBeUndefined();
  });

  it("refuses a callback whose state this browser did not start, and a callback used twice", async () => {
    idp.nextAccount = "u-ada";
    const victim = testBrowser(t.base, PUBLIC);
    // Stop at the provider's redirect back, before Firebreak sees the callback.
    const start = await fetch(`${t.base}/auth/oidc/login`, { redirect: "manual" });
    const stateCookie = (start.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const atProvider = testBrowser(t.base, PUBLIC);
    const stop = await atProvider.go(start.headers.get("location") ?? "", (u) =>
      u.includes("/auth/oidc/callback"),
    );
    expect(stop.status).toBe(0);
    const real = stop.url;
    // Another browser (no state cookie) cannot finish it: login CSRF is refused.
    const forged = await victim.go(real);
    expect(forged.status).toBe(401);
    expect(victim.firebreakCookies().has("firebreak_session")).toBe(false);
    // The browser that started it can, once.
    const ok = await fetch(real, { headers: { cookie: stateCookie }, redirect: "manual" });
    expect(ok.status).toBe(200);
    const twice = await fetch(real, { headers: { cookie: stateCookie }, redirect: "manual" });
    expect(twice.status).toBe(401);
  });

  it("refuses an ID token whose signature does not verify", async () => {
    idp.tamperIdToken = true;
    const { end, session } = await signInAs("u-ada");
    expect(end.status).toBe(401);
    expect(end.text).toMatch(/did not pass the checks/);
    expect(session.status).toBe(401);
  });

  it("refuses an ID token whose nonce is not the one this sign-in sent", async () => {
    idp.nextAccount = "u-ada";
    const b = testBrowser(t.base, PUBLIC);
    // Swap the nonce Firebreak expects while the browser is at the provider.
    const start = await fetch(`${t.base}/auth/oidc/login`, { redirect: "manual" });
    await t.database.db
      .withTables<{ oidc_logins: { nonce: string } }>()
      .updateTable("oidc_logins")
      .set({ nonce: "another-nonce-entirely" })
      .execute();
    const cookie = (start.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const [name = "", value = ""] = cookie.split("=");
    b.firebreakCookies().set(name, value);
    const end = await b.go(start.headers.get("location") ?? "");
    expect(end.status).toBe(401);
    expect(end.text).toMatch(/did not pass the checks.*nonce/);
    expect(b.firebreakCookies().has("firebreak_session")).toBe(false);
  });

  it("a deactivated person cannot sign in through the provider", async () => {
    idp.accounts.set("u-mallory", {
      sub: "u-mallory",
      email: "mallory@example.com",
      email_verified: true,
      preferred_username: "mallory",
    });
    const first = await signInAs("u-mallory");
    expect(first.session.status).toBe(200);
    const off = await t.admin.request("PATCH", `/api/v1/users/${first.session.body.user.id}`, {
      active: false,
    });
    expect(off.status).toBe(200);
    const again = await signInAs("u-mallory");
    expect(again.end.status).toBe(403);
    expect(again.session.status).toBe(401);
  });

  it("with password sign-in off, only the break-glass admin signs in with a password", async () => {
    await t.admin.request("POST", "/api/v1/users", {
      username: "bob",
      name: "Bob",
      role: "responder",
      password: "correct horse battery staple",
    });
    const bob = await fetch(`${t.base}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "bob", password: "correct horse battery staple" }),
    });
    expect(bob.status).toBe(403);
    expect(((await bob.json()) as Json).detail).toMatch(/single sign-on/);
    const me = await t.admin.request("PUT", "/api/v1/users/1/password", {
      password: "break glass in an emergency",
    });
    expect(me.status).toBeLessThan(300);
    const admin = await fetch(`${t.base}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: "break glass in an emergency" }),
    });
    expect(admin.status).toBe(200);
    // API tokens still work for the API itself.
    expect((await t.admin.get("/api/v1/incidents")).status).toBe(200);
  });

  it("signing out ends the session here and sends the browser to the provider's logout", async () => {
    const { b } = await signInAs("u-ada");
    const r = await fetch(`${t.base}/auth/oidc/logout`, {
      headers: { cookie: b.cookieHeader() },
      redirect: "manual",
    });
    expect(r.status).toBe(302);
    const to = new URL(r.headers.get("location") ?? "");
    expect(`${to.origin}${to.pathname}`).toBe(`${idp.issuer}/session/end`);
    expect(to.searchParams.get("client_id")).toBe(idp.clientId);
    expect(to.searchParams.get("post_logout_redirect_uri")).toBe(`${PUBLIC}/`);
    const after = await fetch(`${t.base}/api/v1/session`, { headers: { cookie: b.cookieHeader() } });
    expect(after.status).toBe(401);
  });
});
