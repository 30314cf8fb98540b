/**
 * The audit log screen, as an admin uses it: a failed sign-in and a token someone made are listed,
 * newest first; filtering by action narrows the list and puts the filter in the URL; the CSV
 * export link carries the same filters and downloads the matching entries. A responder is not
 * offered the screen and is told it is for admins at /audit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserApp,
  browserTest,
  focused,
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
  // Before the admin looks: someone mistypes Rob's password, and Rob makes a token for a script.
  const failed = await fetch(`${b.t.base}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": "req-audit-failed" },
    body: JSON.stringify({ username: "rob", password: "not his password" }),
  });
  expect(failed.status).toBe(401);
  const token = await rob.api.request("POST", "/api/v1/tokens", { name: "deploy script" });
  expect(token.status, JSON.stringify(token.body)).toBe(201);
}, 120_000);
afterAll(() => b?.close());

describe("the audit log screen", browserTest, () => {
  it("lists a failed sign-in and a token, filters by action in the URL and exports the same as CSV", async () => {
    const page = await b.signedIn(ada);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
    await visible(page.getByRole("heading", { name: "Audit log", level: 1 }));
    const table = page.getByRole("table", { name: "Audit entries, newest first" });
    const rows = table.getByRole("row");

    const failedRow = rows.filter({ hasText: "Sign-in failed" });
    await visible(failedRow);
    expect(await failedRow.count()).toBe(1);
    await visible(failedRow.getByText("rob (name tried)"));
    await visible(failedRow.getByText("req-audit-failed"));
    await visible(failedRow.getByText("127.0.0.1"));
    const tokenRow = rows.filter({ hasText: "Token created" }).filter({ hasText: "Rob Roe (rob)" });
    await visible(tokenRow.getByText("POST /api/v1/tokens"));
    await visible(tokenRow.getByText("answered 201"));
    // Newest first: the token came after the failed sign-in, and the admin's own sign-in after both.
    const actions = await table.locator("tbody tr td:nth-child(2)").allTextContents();
    expect(actions[0]).toBe("Signed in");
    expect(actions.indexOf("Token created")).toBeLessThan(actions.indexOf("Sign-in failed"));
    await screenshot(page, "audit");

    await page.getByRole("combobox", { name: "Action" }).selectOption({ label: "Sign-in failed" });
    await hidden(tokenRow);
    expect(await table.locator("tbody tr").count()).toBe(1);
    await visible(failedRow);
    expect(new URL(page.url()).searchParams.get("action")).toBe("sign-in-failed");

    const exportLink = page.getByRole("link", { name: "Export CSV" });
    const href = (await exportLink.getAttribute("href")) ?? "";
    const query = new URL(href, b.t.base).searchParams;
    expect(query.get("format")).toBe("csv");
    expect(query.get("action")).toBe("sign-in-failed");
    // The link is a plain GET: the browser's session cookie is what authenticates it.
    const csv = await page.request.get(href);
    expect(csv.status()).toBe(200);
    expect(csv.headers()["content-type"]).toMatch(/^text\/csv/);
    expect(csv.headers()["content-disposition"]).toMatch(/^attachment/);
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toBe(
      "id,at,action,actorId,actorName,target,method,route,status,network,requestId,detail",
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(",sign-in-failed,,rob,");

    // By person: Rob's own entries, whatever the action.
    await page.getByRole("button", { name: "Clear filters" }).click();
    await page.getByRole("combobox", { name: "Person" }).selectOption({ label: "Rob Roe (rob)" });
    await hidden(failedRow);
    await visible(tokenRow);
    // The tokens the admin made for Rob are the admin's entries; only the one Rob made is his.
    expect(await table.locator("tbody tr").count()).toBe(1);
    expect(new URL(page.url()).searchParams.get("actorId")).toBe(String(rob.id));
    expect(new URL(href, b.t.base).searchParams.get("actorId")).toBeNull();
    const personHref = (await exportLink.getAttribute("href")) ?? "";
    expect(new URL(personHref, b.t.base).searchParams.get("actorId")).toBe(String(rob.id));
  });

  it("pages back with Load older until the oldest entry", async () => {
    const pat = await b.person("pat", "responder", "Pat");
    for (let i = 1; i <= 105; i++) {
      const renamed = await b.t.admin.request("PATCH", `/api/v1/users/${pat.id}`, { name: `Pat ${i}` });
      expect(renamed.status).toBe(200);
    }
    const total = (await b.t.admin.get("/api/v1/audit?action=admin-action&limit=1000")).body.entries.length;
    expect(total).toBeGreaterThan(105);

    const page = await b.signedIn(ada);
    await page.goto("/audit?action=admin-action");
    const table = await visible(page.getByRole("table", { name: "Audit entries, newest first" }));
    await visible(page.getByText("100 entries shown; older ones remain"));
    expect(await table.locator("tbody tr").count()).toBe(100);
    await page.getByRole("button", { name: "Load older" }).click();
    await visible(page.getByText(`${total} entries shown`, { exact: true }));
    expect(await table.locator("tbody tr").count()).toBe(total);
    await hidden(page.getByRole("button", { name: "Load older" }));
    // The button went away: the keyboard is left in the log, not at the top of the page.
    await focused(page.getByRole("region", { name: "Audit entries" }));
  });

  it("fits a phone: the table scrolls in its own region, not the page", async () => {
    const page = await b.signedIn(ada, { viewport: phone });
    await page.goto("/audit?action=token-created");
    await visible(page.getByRole("table", { name: "Audit entries, newest first" }));
    const overflow = await sidewaysScroll(page);
    expect(overflow).toBeLessThanOrEqual(0);
    await visible(page.getByRole("region", { name: "Audit entries" }));
  });

  it("is not offered to a responder, and tells one who opens it that it is for admins", async () => {
    const page = await b.signedIn(rob);
    const nav = page.getByRole("navigation", { name: "Main" });
    await visible(nav.getByRole("link", { name: "Tokens" }));
    expect(await nav.getByRole("link", { name: "Audit log" }).count()).toBe(0);
    await page.goto("/audit");
    await visible(page.getByRole("heading", { name: "Audit log", level: 1 }));
    await visible(page.getByText("The audit log is for admins only."));
    expect(await page.getByRole("table").count()).toBe(0);
    expect((await rob.api.get("/api/v1/audit")).status).toBe(403);
  });
});
