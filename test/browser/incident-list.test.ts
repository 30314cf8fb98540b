/**
 * The incident list's filters: severity, type and service narrow the list, each choice goes to the
 * URL (a filtered list is a link), and "Clear filters" brings every incident back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserApp,
  browserTest,
  hidden,
  type Person,
  startBrowserApp,
  visible,
} from "../support/browser.ts";

let b: BrowserApp;
let ada: Person;

beforeAll(async () => {
  b = await startBrowserApp();
  ada = await b.person("ada", "admin", "Ada Admin");
  for (const [title, severity] of [
    ["Checkout errors", "S2"],
    ["Slow search", "S3"],
  ]) {
    const r = await ada.api.request("POST", "/api/v1/incidents", {
      title,
      type: "GitLab.com",
      severity,
      status: "active",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
}, 120_000);
afterAll(() => b?.close());

describe("the incident list's filters", browserTest, () => {
  it("narrows the list by severity, keeps the choice in the URL and clears it", async () => {
    const page = await b.signedIn(ada);
    await page.goto("/incidents");
    const list = page.getByRole("main");
    await visible(list.getByRole("link", { name: /Checkout errors/ }));
    await visible(list.getByRole("link", { name: /Slow search/ }));

    await page.getByRole("combobox", { name: "Severity" }).selectOption("S3");
    await hidden(list.getByRole("link", { name: /Checkout errors/ }));
    await visible(list.getByRole("link", { name: /Slow search/ }));
    expect(new URL(page.url()).searchParams.get("severity")).toBe("S3");

    // The link is the filtered list: opened afresh it shows the same.
    await page.goto(page.url());
    await visible(list.getByRole("link", { name: /Slow search/ }));
    await expect(page.getByRole("combobox", { name: "Severity" }).inputValue()).resolves.toBe("S3");
    expect(await list.getByRole("link", { name: /Checkout errors/ }).count()).toBe(0);

    await page.getByRole("button", { name: "Clear filters" }).click();
    await visible(list.getByRole("link", { name: /Checkout errors/ }));
    expect(new URL(page.url()).searchParams.get("severity")).toBeNull();
  });
});
