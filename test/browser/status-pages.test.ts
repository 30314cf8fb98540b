/**
 * Setting up a status page in the browser, as an admin does it: create a page, add a group and two
 * components in it, put them in another order with the keyboard (the new place is said aloud and
 * the public page lists them so), drag one back, rename the page and see the public heading
 * follow. A mistake is shown at its field with what was typed kept. The default page's heading
 * reads "Status", not "Status status". A responder sets statuses but is offered none of this.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserApp,
  browserTest,
  hidden,
  type Person,
  phone,
  screenshot,
  sidewaysScroll,
  startBrowserApp,
  visible,
} from "../support/browser.ts";

let b: BrowserApp;
let ada: Person;
let rob: Person;

beforeAll(async () => {
  b = await startBrowserApp();
  ada = await b.person("ada", "admin", "Ada Admin");
  rob = await b.person("rob", "responder", "Rob Roe");
  expect((await b.t.admin.request("POST", "/api/v1/teams", { slug: "web", name: "Web team" })).status).toBe(
    201,
  );
}, 120_000);
afterAll(() => b?.close());

/** The component and group names in the order the public page lists them. */
async function publicOrder(slug: string): Promise<{ heading: string; names: string[] }> {
  const html = await (await fetch(`${b.t.base}/status/${slug}`)).text();
  return {
    heading: /<h1>([^<]*)<\/h1>/.exec(html)?.[1] ?? "",
    names: [...html.matchAll(/<h[34]>([^<]+)<\/h[34]>/g)].map((m) => m[1] ?? ""),
  };
}

/** The aria-label of the focused element. */
const focusedLabel = (page: Page) =>
  page.evaluate(() => {
    type Doc = { document: { activeElement: { getAttribute(name: string): string | null } | null } };
    return (globalThis as unknown as Doc).document.activeElement?.getAttribute("aria-label") ?? null;
  });

async function noSidewaysScroll(page: Page) {
  expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
}

describe("status pages", browserTest, () => {
  it("creates a page, adds a group and components, reorders them by keyboard and drag, renames the page", async () => {
    const page = await b.signedIn(ada);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Status page" }).click();
    await visible(page.getByRole("heading", { name: "Status page", level: 1 }));

    // A new page: a bad address is refused at its field, and nothing typed is lost.
    await page.getByRole("button", { name: "New status page" }).click();
    const form = page.getByRole("form", { name: "New status page" });
    await form.getByLabel("Address").fill("Shop!");
    await form.getByLabel("Name", { exact: false }).first().fill("Shop");
    await form.getByLabel("Time zone").fill("Europe/Berlin");
    await form.getByLabel("Owning team").selectOption({ label: "Web team" });
    await form.getByRole("button", { name: "Create page" }).click();
    await visible(form.getByText(/expected lowercase letters, digits and -/));
    expect(await form.getByLabel("Address").getAttribute("aria-invalid")).toBe("true");
    expect(await form.getByLabel("Time zone").inputValue()).toBe("Europe/Berlin");
    await form.getByLabel("Address").fill("shop");
    await form.getByRole("button", { name: "Create page" }).click();
    await hidden(form);
    expect(new URL(page.url()).searchParams.get("page")).toBe("shop");
    await visible(page.getByText(/owned by Web team · times on the public page are in Europe\/Berlin/));
    expect(await page.getByRole("combobox", { name: "Page", exact: true }).inputValue()).toBe("shop");

    // A group, then two components in it, then one on its own; the form keeps the group chosen.
    const add = page.getByRole("form", { name: "Add a component" });
    // Its label holds the field's error message when there is one: the name starts with "Name".
    const addName = add.getByRole("textbox", { name: /^Name/ });
    await add.getByLabel(/A group of components/).check();
    await addName.fill("Checkout");
    await add.getByRole("button", { name: "Add group" }).click();
    await visible(add.getByText("Added group Checkout."));
    await add.getByLabel(/A group of components/).uncheck();
    await add.getByLabel("In group").selectOption({ label: "Checkout" });
    await addName.fill("Payments API");
    await add.getByLabel(/Description/).fill("Card and wallet payments");
    await add.getByRole("button", { name: "Add component" }).click();
    await visible(add.getByText("Added Payments API."));
    await addName.fill("Card form");
    await add.getByRole("button", { name: "Add component" }).click();
    await visible(add.getByText("Added Card form."));
    // A name the page already has: refused at the field (409), the text kept.
    await addName.fill("Card form");
    await add.getByRole("button", { name: "Add component" }).click();
    await visible(add.getByText(/already has a component named "Card form"/));
    expect(await addName.inputValue()).toBe("Card form");
    expect(await addName.getAttribute("aria-invalid")).toBe("true");
    await add.getByLabel("In group").selectOption({ label: "None (top level)" });
    await addName.fill("Search");
    await add.getByRole("button", { name: "Add component" }).click();
    await visible(add.getByText("Added Search."));
    expect((await publicOrder("shop")).names).toEqual(["Checkout", "Payments API", "Card form", "Search"]);

    // By keyboard: Card form up within its group, Search up above the group.
    const list = page.getByRole("list", { name: "Components, in the order of the public page" });
    await visible(list.getByRole("listitem", { name: "Search" }));
    await list.getByRole("button", { name: "Move Card form up" }).focus();
    await page.keyboard.press("Enter");
    await visible(page.getByText("Card form: position 1 of 2 in Checkout."));
    // The focus stays with the moved row; at the top, on its Move down button.
    await expect.poll(() => focusedLabel(page)).toBe("Move Card form down");
    await list.getByRole("button", { name: "Move Search up" }).focus();
    await page.keyboard.press("Enter");
    await visible(page.getByText("Search: position 1 of 2."));
    await expect
      .poll(async () => (await publicOrder("shop")).names)
      .toEqual(["Search", "Checkout", "Card form", "Payments API"]);
    expect(await list.getByRole("button", { name: "Move Search up" }).isDisabled()).toBe(true);

    // By drag: the group back onto Search's place.
    await list
      .getByRole("listitem", { name: "Checkout" })
      .locator(".sp-line")
      .first()
      .dragTo(list.getByRole("listitem", { name: "Search" }));
    await visible(page.getByText("Checkout: position 1 of 2."));
    await expect
      .poll(async () => (await publicOrder("shop")).names)
      .toEqual(["Checkout", "Card form", "Payments API", "Search"]);
    await screenshot(page, "status-pages", { fullPage: true });

    // Rename the page: the public heading follows.
    const settings = page.getByRole("form", { name: "Page settings" });
    await settings.getByLabel("Name", { exact: true }).fill("Acme Shop");
    await settings.getByRole("button", { name: "Save page" }).click();
    await visible(settings.getByText("Saved: visitors see “Acme Shop” now."));
    expect((await publicOrder("shop")).heading).toBe("Acme Shop status");
    await settings.getByLabel("Time zone").fill("Mars/Olympus");
    await settings.getByRole("button", { name: "Save page" }).click();
    await visible(settings.getByText(/unknown time zone/));

    // Edit and delete, by keyboard too.
    await list.getByRole("button", { name: "Edit Payments API" }).click();
    const edit = page.getByRole("form", { name: "Edit Payments API" });
    await edit.getByLabel("Name", { exact: true }).fill("Payments");
    await edit.getByRole("button", { name: "Save" }).click();
    await visible(list.getByRole("listitem", { name: "Payments" }));
    await list.getByRole("button", { name: "Delete Search" }).click();
    await page.getByRole("button", { name: "Delete Search", exact: true }).last().click();
    await visible(page.getByText("Deleted Search."));
    await expect
      .poll(async () => (await publicOrder("shop")).names)
      .toEqual(["Checkout", "Card form", "Payments"]);

    // The default page's heading reads right.
    const defaults = await publicOrder("default");
    expect(defaults.heading).toBe("Status");
    await page.goto("/status/default");
    await visible(page.getByRole("heading", { name: "Status", exact: true, level: 1 }));
  });

  it("works on a phone; a responder sets statuses but manages nothing", async () => {
    const page = await b.signedIn(rob, { viewport: phone });
    await page.goto("/status-admin?page=shop");
    await visible(page.getByRole("heading", { name: "Status page", level: 1 }));
    await visible(page.getByRole("combobox", { name: "Status of Card form" }));
    await noSidewaysScroll(page);
    expect(await page.getByRole("button", { name: "New status page" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: /^Move / }).count()).toBe(0);
    expect(await page.getByRole("form", { name: "Page settings" }).count()).toBe(0);

    const admin = await b.signedIn(ada, { viewport: phone });
    await admin.goto("/status-admin?page=shop");
    await visible(admin.getByRole("button", { name: "Move Card form down" }));
    await noSidewaysScroll(admin);
  });
});
