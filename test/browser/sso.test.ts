/**
 * Single sign-on in a real browser against a real OpenID provider (oidc-provider, run by the
 * test): the sign-in screen offers the provider, hides the password form behind the break-glass
 * disclosure when passwords are off, and the round trip through the provider lands on the page the
 * person asked for, signed in; signing out ends the session and goes to the provider's logout.
 * The browser sees Firebreak at its public address (requests are routed to the test server).
 */
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserApp,
  browserTest,
  screenshot,
  startBrowserApp,
  visible,
  WAIT_MS,
} from "../support/browser.ts";
import { startProvider, type TestProvider } from "../support/oidc.ts";

const PUBLIC = "http://firebreak.test";
let idp: TestProvider;
let b: BrowserApp;
let context: BrowserContext | undefined;

beforeAll(async () => {
  idp = await startProvider({ redirectUri: `${PUBLIC}/auth/oidc/callback`, postLogoutUri: `${PUBLIC}/` });
  idp.accounts.set("u-ada", {
    sub: "u-ada",
    email: "ada@example.com",
    email_verified: true,
    name: "Ada Lovelace",
    preferred_username: "ada",
    groups: ["sre"],
  });
  b = await startBrowserApp({
    oidc: {
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      name: "Example SSO",
      scopes: "openid email profile groups",
      roleClaim: "groups",
      roleMap: { sre: "responder" },
      defaultRole: "viewer",
    },
    localSignIn: { enabled: false, breakGlass: "admin" },
  });
}, 120_000);
afterAll(async () => {
  await context?.unrouteAll({ behavior: "ignoreErrors" });
  await context?.close();
  await b?.close();
  await idp?.close();
});

/** A browser context that knows Firebreak as http://firebreak.test. */
async function publicPage(): Promise<Page> {
  context = await b.browser.newContext({ baseURL: PUBLIC, viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(WAIT_MS);
  // Fetched here and answered as firebreak.test's own (a changed URL would change the page's origin).
  await context.route(`${PUBLIC}/**`, async (route) => {
    // A live stream never ends, so it cannot be fetched whole and answered: the screen does without.
    if (route.request().url().includes("/stream")) return route.abort();
    const response = await route.fetch({
      url: route.request().url().replace(PUBLIC, b.t.base),
      maxRedirects: 0,
    });
    await route.fulfill({ response });
  });
  return context.newPage();
}

describe("single sign-on in the browser", browserTest, () => {
  it("signs in through the provider and lands on the page asked for; signs out at the provider too", async () => {
    const page = await publicPage();
    await page.goto("/incidents?state=investigating");
    const button = await visible(page.getByRole("link", { name: "Sign in with Example SSO" }));
    // Passwords are off: the form is only behind the break-glass disclosure.
    expect(await page.getByRole("textbox", { name: "Username" }).isVisible()).toBe(false);
    await visible(page.getByText("Break-glass sign-in (the emergency admin only)"));
    await screenshot(page, "sign-in-sso");

    idp.nextAccount = "u-ada";
    await button.click();
    await visible(page.getByRole("link", { name: "Ada Lovelace" }));
    const url = new URL(page.url());
    expect(`${url.origin}${url.pathname}${url.search}`).toBe(`${PUBLIC}/incidents?state=investigating`);
    const cookie = (await page.context().cookies(PUBLIC)).find((c) => c.name === "firebreak_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((u) => u.href.startsWith(`${idp.issuer}/session/end`));
    const check = await page.context().newPage();
    const after = await check.goto(`${PUBLIC}/api/v1/session`);
    expect(after?.status()).toBe(401);
  });
});
