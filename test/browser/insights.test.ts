/**
 * The Insights screen (issue 18, REV-4): opened from the main navigation, it shows the headline
 * figures of incidents made through the API, a chart with its numbers in a table a keyboard opens,
 * filters that go to the URL and narrow every figure, and CSV exports that carry the same filters.
 * It fits a 390 px phone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserApp,
  browserTest,
  type Person,
  phone,
  screenshot,
  sidewaysScroll,
  startBrowserApp,
  visible,
} from "../support/browser.ts";

let b: BrowserApp;
let ada: Person;

async function declare(severity: string, impactMinutesAgo: number) {
  const r = await ada.api.request("POST", "/api/v1/incidents", {
    title: `Checkout errors (${severity})`,
    type: "GitLab.com",
    severity,
    status: "active",
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const at = new Date(b.t.clock.now().getTime() - impactMinutesAgo * 60_000).toISOString();
  const impact = await ada.api.request("POST", `/api/v1/incidents/${r.body.id}/impact`, {
    edge: "started",
    at,
  });
  expect(impact.status, JSON.stringify(impact.body)).toBe(200);
  return r.body.id as number;
}

beforeAll(async () => {
  b = await startBrowserApp();
  ada = await b.person("ada", "admin", "Ada Admin");
  // Two incidents: impact 30 and 90 minutes before they were declared, resolved 20 minutes later.
  const first = await declare("S2", 30);
  const second = await declare("S3", 90);
  b.t.clock.advanceMinutes(20);
  for (const id of [first, second]) {
    const r = await ada.api.request("POST", `/api/v1/incidents/${id}/status`, { status: "resolved" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }
}, 120_000);
afterAll(() => b?.close());

describe("the Insights screen", browserTest, () => {
  it("shows the figures, a chart with its table, filters in the URL and CSV exports", async () => {
    const page = await b.signedIn(ada);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Insights" }).click();
    await visible(page.getByRole("heading", { name: "Insights", level: 1 }));
    const cards = page.locator(".insight-cards");
    await visible(cards.getByText("Incidents", { exact: true }));
    // Time to resolve, from the start of impact: the median of 50 and 110 minutes is 80 minutes.
    await visible(cards.locator("div", { hasText: "MTTR" }).getByText("1 h 20 min", { exact: true }));
    await visible(page.getByRole("img", { name: /Incidents per week/ }));

    // The chart's numbers: a keyboard opens the table behind it.
    const summary = page.getByText("Incidents per week as a table");
    await summary.focus();
    await page.keyboard.press("Enter");
    const weeks = page.getByRole("table").filter({ hasText: "Week of (Monday, UTC)" });
    await visible(weeks);
    const counts = await weeks.locator("tbody td:nth-child(2)").allTextContents();
    expect(counts.map(Number).reduce((a, n) => a + n, 0)).toBe(2);
    await screenshot(page, "insights", { fullPage: true });

    await page.getByRole("combobox", { name: "Severity" }).selectOption("S2");
    expect(new URL(page.url()).searchParams.get("severity")).toBe("S2");
    await visible(cards.locator("div", { hasText: "MTTR" }).getByText("50 min", { exact: true }));

    const csvLink = page.getByRole("link", { name: "CSV", exact: true }).first();
    const href = (await csvLink.getAttribute("href")) ?? "";
    const query = new URL(href, b.t.base).searchParams;
    expect(query.get("format")).toBe("csv");
    expect(query.get("severity")).toBe("S2");
    const csv = await page.request.get(href);
    expect(csv.status()).toBe(200);
    expect(csv.headers()["content-type"]).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toBe("week,incidents");
    expect(lines.slice(1).reduce((n, l) => n + Number(l.split(",")[1]), 0)).toBe(1);
  });

  it("fits a phone: tables scroll in their own regions, not the page", async () => {
    const page = await b.signedIn(ada, { viewport: phone });
    await page.goto("/insights?by=service");
    await visible(page.getByRole("heading", { name: "Insights", level: 1 }));
    await visible(page.getByRole("region", { name: "Response times by group" }));
    expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
  });
});
