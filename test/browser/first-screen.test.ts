/**
 * The first screen's API requests start from web/src/early.ts, before the app's entry has run, and
 * the app's own first requests of the same paths take those responses (web/src/early-answers.ts):
 * each is asked for once. What a signed-out browser was told early is never read after signing in.
 *
 * The list also comes inside index.html for a signed-in browser (src/web/first-screen.ts, decision
 * 0012): what the API would show that person, escaped, and the app takes its place once its own
 * list is rendered.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declare } from "../api/helpers.ts";
import {
  type BrowserApp,
  browserTest,
  hidden,
  type Person,
  signInWithPassword,
  startBrowserApp,
  visible,
} from "../support/browser.ts";

let b: BrowserApp;
let alice: Person;
let bob: Person;

/** Markup in a title and an owner's name: it must come back as text, never as elements. */
const markup = `<img src=x onerror="alert(1)"> & 'quotes'`;

beforeAll(async () => {
  b = await startBrowserApp();
  alice = await b.person("alice", "responder", `Alice Archer`);
  bob = await b.person("bob", "responder", `Bob ${markup}`);
  await declare(alice.api, { title: "Checkout is slow" });
  await declare(alice.api, { title: "Search is down", severity: "S1" });
  await declare(bob.api, { title: `Rendering ${markup}`, severity: "S2" });
  // Private, and alice takes no part in it: she must not see it in any form.
  await declare(bob.api, { title: "Leaked signing key", visibility: "private" });
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

/** A new context holding the person's session cookie and nothing else: an empty cache. */
async function coldPage(person = alice): Promise<Page> {
  const state = await (await b.signedIn(person)).context().storageState();
  const context = await b.browser.newContext({ baseURL: b.t.base, storageState: state });
  return context.newPage();
}

describe("the first screen's early requests", browserTest, () => {
  it("asks for the session, the policy and the unfiltered list once each on a cold load of /incidents", async () => {
    const page = await coldPage();
    const asked = apiGets(page);
    // An empty query: the server puts no list into the page (it does only for no query at all), but
    // to the page it is the unfiltered list (location.search is ""), so early.ts asks for it.
    await page.goto("/incidents?");
    expect(await page.locator("#first-screen").count()).toBe(0);
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

/** index.html as the server sends it to this page's browser (its cookie), at `path`. */
async function pageHtml(page: Page, path: string): Promise<string> {
  const res = await page.request.get(path, { headers: { accept: "text/html" } });
  expect(res.status()).toBe(200);
  return res.text();
}

describe("the first screen inside index.html", browserTest, () => {
  it("holds the signed-in person's list, escaped, without a private incident they take no part in", async () => {
    const page = await coldPage();
    const html = await pageHtml(page, "/incidents");
    const shell = html.slice(html.indexOf('<div id="first-screen">'), html.indexOf('<div id="root">'));
    expect(shell).toContain("<h1>Incidents</h1>");
    expect(shell).toContain("Search is down");
    expect(shell).toContain("Checkout is slow");
    expect(shell).toContain(
      "Rendering &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;quotes&#39;",
    );
    expect(shell).toContain("owner Bob &lt;img");
    expect(shell).not.toContain("<img");
    expect(shell).not.toContain("Leaked signing key");
    expect(shell).toContain("Alice Archer");
    expect(html).not.toContain("<script>");
    expect(
      (await page.request.get("/incidents", { headers: { accept: "text/html" } })).headers(),
    ).toMatchObject({
      "cache-control": "no-store",
    });
    // The incident's own participant sees it: the list is the API's answer to that browser.
    const bobs = await coldPage(bob);
    expect(await pageHtml(bobs, "/")).toContain("Leaked signing key");
    await bobs.context().close();
    await page.context().close();
  });

  it("is not in the page for a signed-out browser, a filtered list or another screen", async () => {
    const signedOut = await b.newPage();
    expect(await pageHtml(signedOut, "/incidents")).not.toContain("first-screen");
    await signedOut.context().close();
    const page = await coldPage();
    expect(await pageHtml(page, "/incidents?severity=S1")).not.toContain("first-screen");
    expect(await pageHtml(page, "/profile")).not.toContain("first-screen");
    await page.context().close();
  });

  it("brings the answers the list was made from: the app asks for none of them again", async () => {
    const page = await coldPage();
    const asked = apiGets(page);
    await page.goto("/incidents");
    await visible(page.getByRole("link", { name: "Declare an incident" }));
    const first = await beforeStream(asked);
    expect(times(first, "/api/v1/session")).toBe(0);
    expect(times(first, "/api/v1/policy")).toBe(0);
    expect(times(first, "/api/v1/incidents?limit=200")).toBe(0);
    expect(await page.locator("script.first-screen-answer").count()).toBe(0);
    await page.context().close();
  });

  it("reads row for row as the app's own list: the copy's wording and order are the app's", async () => {
    // Without JavaScript the page is the server's copy alone.
    const state = await (await b.signedIn(alice)).context().storageState();
    const still = await b.browser.newContext({
      baseURL: b.t.base,
      storageState: state,
      javaScriptEnabled: false,
    });
    const copyPage = await still.newPage();
    await copyPage.goto("/incidents");
    const rowsOf = (p: Page, within: string) =>
      p
        .locator(`${within} .group`)
        .evaluateAll((groups) =>
          groups.map((g) => [
            g.querySelector("h2")?.textContent?.trim(),
            ...[...g.querySelectorAll(".incident-row")].map((r) =>
              r.textContent?.replace(/\s+/g, " ").trim(),
            ),
          ]),
        );
    const copy = await rowsOf(copyPage, "#first-screen");
    await still.close();
    const page = await coldPage();
    await page.goto("/incidents");
    await hidden(page.locator("#first-screen"));
    const app = await rowsOf(page, "#root");
    expect(copy.length).toBeGreaterThan(0);
    expect(copy).toEqual(app);
    await page.context().close();
  });

  it("gives way to the app's own list, which then works as always", async () => {
    const page = await coldPage();
    await page.goto("/incidents");
    await hidden(page.locator("#first-screen"));
    expect(await page.locator("#root").isVisible()).toBe(true);
    // Once: the server's copy is gone, not beside the app's.
    expect(await page.getByRole("heading", { level: 1, name: "Incidents" }).count()).toBe(1);
    // The app's own: the server's copy has no buttons.
    await visible(page.getByRole("link", { name: "Declare an incident" }));
    const rendered = page.getByRole("link", { name: /Rendering <img src=x/ });
    await visible(rendered);
    expect(await page.locator("#root img").count()).toBe(0);
    await page.getByRole("link", { name: /Search is down/ }).click();
    await visible(page.getByRole("heading", { level: 1, name: /Search is down/ }));
    await page.context().close();
  });
});
