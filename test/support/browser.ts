/**
 * Browser tests: the served web app in a real Chromium (Debian's `chromium`, driven by
 * playwright-core; no browser download), against a real server and database from startTestApp.
 *
 * One browser per test file, a fresh context (cookies, cache) per person. People are created
 * through the admin API with a password and sign in through the sign-in form, as a person would.
 * Without a Chromium the tests fail and say how to install one: a skipped browser test would hide
 * a broken web app.
 */
import { accessSync, constants, existsSync, mkdirSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { type Client, client, startTestApp, type TestApp } from "./app.ts";
import { ensureWebBuild } from "./web-build.ts";

const INSTALL_HINT =
  "Browser tests need Chromium. Install Debian's package (`sudo apt-get install chromium`; .ci/run " +
  "does this when it is missing), or set CHROMIUM_PATH to a Chromium or Chrome executable.";

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** CHROMIUM_PATH, else /usr/bin/chromium, else `chromium` on the PATH; throws saying how to install one. */
export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (executable(fromEnv)) return fromEnv;
    throw new Error(`CHROMIUM_PATH=${fromEnv} is not an executable file. ${INSTALL_HINT}`);
  }
  if (executable("/usr/bin/chromium")) return "/usr/bin/chromium";
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, "chromium");
    if (executable(candidate)) return candidate;
  }
  throw new Error(
    `No Chromium found (looked at CHROMIUM_PATH, /usr/bin/chromium and the PATH). ${INSTALL_HINT}`,
  );
}

/**
 * A browser test does many things in a row (sign in, click through, wait for live updates); on two
 * busy cores beside the rest of the suite it needs more than Vitest's default per test.
 */
export const browserTest = { timeout: 90_000 };
/** How long a step waits for the screen to show its outcome (playwright polls until then). */
export const WAIT_MS = 15_000;

export const desktop = { width: 1280, height: 800 };
export const phone = { width: 390, height: 844 };
export const PASSWORD = "correct horse battery staple";

export type Person = { id: number; username: string; name: string; password: string; api: Client };

export type PageOptions = {
  viewport?: { width: number; height: number };
  /** Another address in front of the server (a Link). */
  base?: string;
  /** The browser's time zone (an IANA name); the machine's when absent. */
  timezoneId?: string;
};

export type BrowserApp = {
  t: TestApp;
  browser: Browser;
  /** A person with a role and a password, made through the admin API (the API client holds their token). */
  person(username: string, role?: "viewer" | "responder" | "admin", name?: string): Promise<Person>;
  /**
   * A new context (no cookies, empty cache) with a page on the sign-in screen, at the server's
   * address or at `base` (a Link in front of it).
   */
  newPage(opts?: PageOptions): Promise<Page>;
  /** A Link in front of the server that the test can cut; closed with the app. */
  link(): Promise<Link>;
  /** A new context where `person` has signed in through the form; the page shows the incidents list. */
  signedIn(person: Person, opts?: PageOptions): Promise<Page>;
  close(): Promise<void>;
};

/** Signs in through the sign-in form with a username and password and waits for the incidents list. */
export async function signInWithPassword(page: Page, username: string, password: string): Promise<void> {
  await page.getByRole("textbox", { name: "Username" }).fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await visible(page.getByRole("heading", { name: "Incidents", level: 1 }));
}

/**
 * The browser globals that page-side functions (page.evaluate) use. The project's tsconfig has no
 * DOM types, on purpose (the server must not use them), so functions run in the page name theirs:
 * `(globalThis as unknown as PageWindow).document`.
 */
export type PageWindow = {
  innerWidth: number;
  document: {
    documentElement: { scrollWidth: number };
    querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>;
  };
  performance: {
    now(): number;
    getEntriesByType(
      type: "navigation",
    ): { name: string; responseEnd: number; domContentLoadedEventEnd: number }[];
  };
};

/** How far the page sticks out sideways (px): 0 or less when it fits its window, as on a phone. */
export function sidewaysScroll(page: Page): Promise<number> {
  return page.evaluate(() => {
    const w = globalThis as unknown as PageWindow;
    return w.document.documentElement.scrollWidth - w.innerWidth;
  });
}

/** The page's document loads so far: a screen that updates live must not have reloaded. */
export function documentLoads(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    (globalThis as unknown as PageWindow).performance.getEntriesByType("navigation").map((n) => n.name),
  );
}

/**
 * Holds back the page's GETs of `url` (a glob) until `release()`: `requested` settles when the
 * first is asked for. For checking what a screen offers while its data is on the way.
 */
export async function holdGets(
  page: Page,
  url: string,
): Promise<{ requested: Promise<void>; release(): void }> {
  let release = () => {};
  const held = new Promise<void>((r) => {
    release = r;
  });
  let asked = () => {};
  const requested = new Promise<void>((r) => {
    asked = r;
  });
  await page.route(url, async (route) => {
    if (route.request().method() === "GET") {
      asked();
      await held;
    }
    await route.fallback();
  });
  return { requested, release };
}

/** Waits until the locator shows (playwright's own auto-waiting), failing after `timeout`. */
export async function visible(locator: Locator, timeout = WAIT_MS): Promise<Locator> {
  await locator.waitFor({ state: "visible", timeout });
  return locator;
}

/** Waits until the locator is gone from the screen. */
/**
 * Waits until the locator's element has the keyboard focus: screens move focus in an effect after
 * they render, so checking once right after the render races it.
 */
export async function focused(locator: Locator, timeout = WAIT_MS): Promise<void> {
  const element = await locator.elementHandle({ timeout });
  await locator
    .page()
    .waitForFunction((el) => el !== null && el === el.ownerDocument.activeElement, element, {
      timeout,
    });
}

export async function hidden(locator: Locator, timeout = WAIT_MS): Promise<void> {
  await locator.waitFor({ state: "hidden", timeout });
}

export async function startBrowserApp(opts: Parameters<typeof startTestApp>[0] = {}): Promise<BrowserApp> {
  const executablePath = chromiumPath();
  ensureWebBuild();
  const [app, launched] = await Promise.allSettled([
    // The server's clock starts at the browser's "now", so the screens say "just now", not "months ago".
    startTestApp({ clockStart: new Date(), ...opts }),
    chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] }),
  ]);
  if (app.status === "rejected" || launched.status === "rejected") {
    if (app.status === "fulfilled") await app.value.close();
    if (launched.status === "fulfilled") await launched.value.close();
    throw app.status === "rejected" ? app.reason : (launched as PromiseRejectedResult).reason;
  }
  const t = app.value;
  const browser = launched.value;
  const contexts: BrowserContext[] = [];
  const links: Link[] = [];

  const newPage: BrowserApp["newPage"] = async ({ viewport = desktop, base = t.base, timezoneId } = {}) => {
    const context = await browser.newContext({ baseURL: base, viewport, timezoneId });
    context.setDefaultTimeout(WAIT_MS);
    contexts.push(context);
    const page = await context.newPage();
    await page.goto("/sign-in");
    await visible(page.getByRole("heading", { name: "Sign in to Firebreak" }));
    return page;
  };

  return {
    t,
    browser,
    async person(username, role = "responder", name = username) {
      const created = await t.admin.request("POST", "/api/v1/users", { username, name, role });
      if (created.status !== 201) throw new Error(`creating ${username}: ${JSON.stringify(created.body)}`);
      const id = created.body.id as number;
      const pw = await t.admin.request("PUT", `/api/v1/users/${id}/password`, { password: PASSWORD });
      if (pw.status !== 204) throw new Error(`password for ${username}: ${JSON.stringify(pw.body)}`);
      const token = await t.admin.request("POST", `/api/v1/users/${id}/tokens`, { name: `${username}-test` });
      if (token.status !== 201) throw new Error(`token for ${username}: ${JSON.stringify(token.body)}`);
      return { id, username, name, password: PASSWORD, api: client(t.base, token.body.token) };
    },
    newPage,
    async link() {
      const link = await startLink(t.base);
      links.push(link);
      return link;
    },
    async signedIn(person, opts) {
      const page = await newPage(opts);
      await signInWithPassword(page, person.username, person.password);
      return page;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      for (const l of links) await l.close();
      await t.close();
    },
  };
}

/**
 * A network link between one browser and the server: a TCP proxy on loopback that can be cut (every
 * open connection closed, new ones refused) and restored, as a dropped Wi-Fi or a restarting load
 * balancer would. Chromium's offline emulation cannot do this: it leaves an open event stream alone.
 */
export type Link = { base: string; cut(): void; restore(): void; close(): Promise<void> };

export async function startLink(target: string): Promise<Link> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  let down = false;
  const server = createServer((downstream) => {
    if (down) {
      downstream.destroy();
      return;
    }
    const upstream = connect(Number(port), hostname);
    for (const [a, b] of [
      [downstream, upstream],
      [upstream, downstream],
    ] as const) {
      open.add(a);
      a.pipe(b);
      a.on("error", () => b.destroy());
      a.on("close", () => {
        open.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const linkPort = typeof address === "object" && address ? address.port : 0;
  const cutAll = () => {
    for (const s of open) s.destroy();
  };
  return {
    base: `http://127.0.0.1:${linkPort}`,
    cut() {
      down = true;
      cutAll();
    },
    restore() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}

const screenshotDir = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));

/** Screenshots for the docs are written only with FIREBREAK_SCREENSHOTS=1, so test runs leave the tree clean. */
export const writingScreenshots = process.env.FIREBREAK_SCREENSHOTS === "1";

/** Saves docs/screenshots/<name>.png of the page as it is now, when FIREBREAK_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  if (!writingScreenshots) return;
  if (!existsSync(screenshotDir)) mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({
    path: path.join(screenshotDir, `${name}.png`),
    fullPage: opts.fullPage ?? false,
    animations: "disabled",
  });
}
