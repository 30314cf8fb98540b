/**
 * Signing in through the form as a person does: a wrong password is refused on the form, the
 * first start works with the admin's API token (then a password is set on the profile page and
 * used from then on), and a deep link opened while signed out lands there after signing in.
 * Also measures the time to the first screen (navigation start → incidents list shown).
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declare } from "../api/helpers.ts";
import {
  type BrowserApp,
  browserTest,
  hidden,
  type PageWindow,
  type Person,
  signInWithPassword,
  startBrowserApp,
  visible,
  WAIT_MS,
} from "../support/browser.ts";

let b: BrowserApp;
let alice: Person;

beforeAll(async () => {
  b = await startBrowserApp();
  alice = await b.person("alice", "responder", "Alice Archer");
}, 120_000);
afterAll(() => b?.close());

const sessionCookie = async (page: Page) =>
  (await page.context().cookies()).find((c) => c.name === "firebreak_session");

describe("signing in", browserTest, () => {
  it("refuses a wrong password or an unknown name on the form, the same way, and then signs in", async () => {
    const page = await b.newPage();
    for (const [username, password] of [
      ["alice", "not the right password"],
      ["nobody-here", "not the right password"],
    ]) {
      await page.getByRole("textbox", { name: "Username" }).fill(username!);
      await page.getByLabel("Password", { exact: true }).fill(password!);
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/api/v1/session") && r.request().method() === "POST"),
        page.getByRole("button", { name: "Sign in" }).click(),
      ]);
      expect(answer.status()).toBe(401);
      const problem = await visible(page.getByRole("alert"));
      expect(await problem.textContent()).toContain("username or password is wrong");
      expect(new URL(page.url()).pathname).toBe("/sign-in");
      expect(await sessionCookie(page)).toBeUndefined();
    }

    await signInWithPassword(page, "alice", alice.password);
    await hidden(page.getByRole("alert"));
    const cookie = await sessionCookie(page);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    await visible(page.getByRole("link", { name: "Alice Archer" }));
    expect(new URL(page.url()).pathname).toBe("/incidents");
  });

  it("signs the admin in with the first-start API token, sets a password on the profile, and signs in with it", async () => {
    const page = await b.newPage();
    await page.getByRole("radio", { name: "Sign in with an API token" }).check();
    await page.getByRole("textbox", { name: "API token" }).fill("fbk_not-a-real-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await visible(page.getByRole("alert"));
    expect(await sessionCookie(page)).toBeUndefined();

    await page.getByRole("textbox", { name: "API token" }).fill(b.t.admin.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await visible(page.getByRole("heading", { name: "Incidents", level: 1 }));

    await page.getByRole("link", { name: "Administrator" }).click();
    await visible(page.getByRole("heading", { name: "Your profile" }));
    await visible(page.getByText("You have no password yet"));
    const password = "first start, then a real password";
    await page.getByLabel("New password", { exact: true }).fill(password);
    await page.getByLabel("New password again").fill(password);
    await page.getByRole("button", { name: "Save password" }).click();
    await visible(page.getByText("Password saved."));
    await visible(page.getByLabel("Current password"));
    expect((await b.t.admin.get("/api/v1/me")).body).toMatchObject({ username: "admin", hasPassword: true });

    await page.getByRole("button", { name: "Sign out" }).click();
    await visible(page.getByRole("heading", { name: "Sign in to Firebreak" }));
    expect(await sessionCookie(page)).toBeUndefined();
    await signInWithPassword(page, "admin", password);
    await visible(page.getByRole("link", { name: "Administrator" }));
  });

  it("sends a signed-out deep link to sign in and back to where it was headed", async () => {
    const { id } = await declare(alice.api, { title: "Search is slow" });
    const page = await b.newPage();
    await page.goto(`/incidents/${id}`);
    await visible(page.getByRole("heading", { name: "Sign in to Firebreak" }));
    expect(new URL(page.url()).pathname).toBe("/sign-in");
    await page.getByRole("textbox", { name: "Username" }).fill("alice");
    await page.getByLabel("Password", { exact: true }).fill(alice.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await visible(page.getByRole("heading", { level: 1, name: `#${id} Search is slow` }));
    expect(new URL(page.url()).pathname).toBe(`/incidents/${id}`);
  });

  it("shows the incidents list as the first screen (the time it takes is printed, not asserted)", async () => {
    for (let i = 0; i < 5; i++) await declare(alice.api, { title: `Load test incident ${i + 1}` });
    const signedIn = await b.signedIn(alice);
    const state = await signedIn.context().storageState();

    // A new context: the session cookie, but nothing cached (a first visit after signing in).
    const context = await b.browser.newContext({ baseURL: b.t.base, storageState: state });
    const page = await context.newPage();
    /** Milliseconds from navigation start until the list's rows are on screen. */
    const firstScreen = async () =>
      (
        await page.waitForFunction(
          () => {
            const { document, performance } = globalThis as unknown as PageWindow;
            const heading = Array.from(document.querySelectorAll("h1")).some(
              (h) => h.textContent === "Incidents",
            );
            const rows = document.querySelectorAll(".incident-list li").length;
            return heading && rows >= 5 ? performance.now() : false;
          },
          undefined,
          { polling: "raf", timeout: WAIT_MS },
        )
      ).jsonValue() as Promise<number>;
    await page.goto("/incidents");
    const cold = await firstScreen();
    const navigation = await page.evaluate(() => {
      const [n] = (globalThis as unknown as PageWindow).performance.getEntriesByType("navigation");
      return { html: n?.responseEnd ?? Number.NaN, domReady: n?.domContentLoadedEventEnd ?? Number.NaN };
    });
    await visible(page.getByRole("link", { name: /Load test incident 5/ }));
    const timings: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.reload();
      timings.push(await firstScreen());
    }
    const warm = timings.sort((x, y) => x - y)[1]!;
    console.log(
      `first screen (navigation start → incidents list shown, loopback): ${Math.round(cold)} ms with an empty cache ` +
        `(index.html in ${Math.round(navigation.html)} ms, DOMContentLoaded at ${Math.round(navigation.domReady)} ms), ` +
        `${Math.round(warm)} ms on a reload (median of 3)`,
    );
    expect(cold).toBeGreaterThan(0);
    await context.close();
  });
});
