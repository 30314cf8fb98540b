/**
 * The first screen's API requests start from web/src/early.ts, before the app's entry has run, and
 * the app's own first requests of the same paths take those responses (web/src/early-answers.ts):
 * each is asked for once. What a signed-out browser was told early is never read after signing in.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declare } from "../api/helpers.ts";
import {
  type BrowserApp,
  browserTest,
  type Person,
  signInWithPassword,
  startBrowserApp,
  visible,
} from "../support/browser.ts";

let b: BrowserApp;
let alice: Person;

beforeAll(async () => {
  b = await startBrowserApp();
  alice = await b.person("alice", "responder", "Alice Archer");
  await declare(alice.api, { title: "Checkout is slow" });
  await declare(alice.api, { title: "Search is down", severity: "S1" });
}, 120_000);
afterAll(() => b?.close());

/** The API GETs the page asks for, as paths with their query. */
function apiGets(page: Page): string[] {
  const asked: string[] = [];
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (r.method() === "GET" && url.pathname.startsWith("/api/v1/")) asked.push(url.pathname + url.search);
  });
  return asked;
}

const times = (list: string[], path: string) => list.filter((p) => p === path).length;

/**
 * The requests before the list's live stream: the screen opens it once it is on screen, and every
 * re-read of the list it causes comes after it (a second request before it would be the app asking
 * again for what early.ts already asked).
 */
async function beforeStream(asked: string[]): Promise<string[]> {
  await expect.poll(() => asked.includes("/api/v1/incidents/stream")).toBe(true);
  return asked.slice(0, asked.indexOf("/api/v1/incidents/stream"));
}

/** A new context holding alice's session cookie and nothing else: an empty cache. */
async function coldPage(): Promise<Page> {
  const state = await (await b.signedIn(alice)).context().storageState();
  const context = await b.browser.newContext({ baseURL: b.t.base, storageState: state });
  return context.newPage();
}

describe("the first screen's early requests", browserTest, () => {
  it("asks for the session, the policy and the unfiltered list once each on a cold load of /incidents", async () => {
    const page = await coldPage();
    const asked = apiGets(page);
    await page.goto("/incidents");
    await visible(page.getByRole("link", { name: /Search is down/ }));
    await visible(page.getByRole("link", { name: "Alice Archer" }));
    expect(await page.locator('script[src^="/assets/early-"]').count()).toBe(1);
    const first = await beforeStream(asked);
    expect(times(first, "/api/v1/session")).toBe(1);
    expect(times(first, "/api/v1/policy")).toBe(1);
    expect(times(first, "/api/v1/incidents?limit=200")).toBe(1);
    await page.context().close();
  });

  it("asks only for the filtered list when the first page is a filtered one", async () => {
    const page = await coldPage();
    const asked = apiGets(page);
    await page.goto("/incidents?severity=S1");
    await visible(page.getByRole("link", { name: /Search is down/ }));
    await expect.poll(() => page.getByRole("link", { name: /Checkout is slow/ }).count()).toBe(0);
    const first = await beforeStream(asked);
    expect(times(asked, "/api/v1/incidents?limit=200")).toBe(0);
    expect(first.filter((p) => p.startsWith("/api/v1/incidents?")).length).toBe(1);
    expect(times(first, "/api/v1/session")).toBe(1);
    await page.context().close();
  });

  it("does not show a signed-out browser's early answers after signing in: the list is asked for again", async () => {
    const page = await b.newPage();
    await page.goto("/incidents");
    await visible(page.getByRole("heading", { name: "Sign in to Firebreak" }));
    const asked = apiGets(page);
    await signInWithPassword(page, "alice", alice.password);
    await visible(page.getByRole("link", { name: /Search is down/ }));
    expect(await page.getByRole("alert").count()).toBe(0);
    expect(times(await beforeStream(asked), "/api/v1/incidents?limit=200")).toBe(1);
    expect(new URL(page.url()).pathname).toBe("/incidents");
    await page.context().close();
  });
});
