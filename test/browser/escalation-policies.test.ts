/**
 * The escalation policy editor, as an admin uses it: a new policy with two levels (a schedule, then
 * a person) shows who is notified when if nobody acknowledges ("at 10:00 … ; at 10:15 …");
 * moving level 2 up by keyboard changes the preview (and keeps focus on the level that moved);
 * saving and reloading shows what was saved. A policy the policy file defines is read-only. A
 * responder's save is refused with the API's message and what they typed stays. It fits a phone.
 */
import type { Locator, Page } from "playwright-core";
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
let alice: Person;
let bob: Person;
let rob: Person;
let scheduleId: number;

beforeAll(async () => {
  b = await startBrowserApp();
  ada = await b.person("ada", "admin", "Ada Admin");
  alice = await b.person("alice", "responder", "Alice Archer");
  bob = await b.person("bob", "responder", "Bob Baker");
  rob = await b.person("rob", "responder", "Rob Roe");
  // Primary: Alice, always (a daily rotation of one).
  const s = await b.t.admin.request("POST", "/api/v1/schedules", {
    name: "Primary",
    timeZone: "UTC",
    layers: [
      {
        name: "always",
        timeZone: "UTC",
        participants: [alice.id],
        shiftLength: { unit: "days", count: 1 },
        start: "2026-01-01T00:00",
      },
    ],
  });
  expect(s.status, JSON.stringify(s.body)).toBe(201);
  scheduleId = s.body.id;
  await b.t.seedOnCall(); // the policy file's escalation policies
}, 120_000);
afterAll(() => b?.close());

const level = (page: Page, n: number): Locator =>
  page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: `Level ${n}`, exact: true }) });

async function addTarget(page: Page, n: number, label: string) {
  await page.getByRole("combobox", { name: `Add to level ${n}` }).selectOption({ label });
  await page.getByRole("button", { name: `Add to level ${n}` }).click();
}

/** The preview's rows as "time | level | who" text. */
async function previewRows(page: Page): Promise<string[]> {
  const table = page.getByRole("table", { name: "Who is notified when, if nobody acknowledges" });
  await visible(table);
  const rows = table.locator("tbody tr");
  const out: string[] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    const cells = await rows.nth(i).locator("td").allTextContents();
    out.push(cells.map((c) => c.replace(/\s+/g, " ").trim()).join(" | "));
  }
  return out;
}

const today = () => new Date().toISOString().slice(0, 10);

describe("the escalation policy editor", browserTest, () => {
  it("creates a two-level policy, previews who is notified when, reorders by keyboard, saves and reloads", async () => {
    const page = await b.signedIn(ada, { timezoneId: "UTC" });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Escalation" }).click();
    await visible(page.getByRole("heading", { name: "Escalation policies", level: 1 }));
    await page.getByRole("link", { name: "New escalation policy" }).click();
    await visible(page.getByRole("heading", { name: "New escalation policy", level: 1 }));

    await page.getByRole("textbox", { name: "Name" }).fill("Payments");
    await addTarget(page, 1, "Primary");
    await level(page, 1).getByRole("textbox", { name: "Minutes before the next level" }).fill("15");
    await page.getByRole("button", { name: "Add a level" }).click();
    // Focus goes to the new level's picker.
    await focused(page.getByRole("combobox", { name: "Add to level 2" }));
    await addTarget(page, 2, "Bob Baker");
    await level(page, 2).getByRole("textbox", { name: "Minutes before the next level" }).fill("10");
    await visible(level(page, 1).getByText("schedule Primary"));

    await page.getByLabel("Paged at").fill(`${today()}T10:00`);
    await expect
      .poll(() => previewRows(page))
      .toEqual([
        "10:00 T+0 | Level 1 | Alice Archer (on call in Primary)",
        "10:15 T+15 min | Level 2 | Bob Baker",
      ]);

    // Level 2 up, by keyboard: the preview follows, the timeouts travel with their levels.
    await page.getByRole("button", { name: "Move level 2 up" }).focus();
    await page.keyboard.press("Enter");
    await expect
      .poll(() => previewRows(page))
      .toEqual([
        "10:00 T+0 | Level 1 | Bob Baker",
        "10:10 T+10 min | Level 2 | Alice Archer (on call in Primary)",
      ]);
    await visible(page.getByText("Level 2 is now level 1."));
    // Its "up" is disabled at the top: focus is on its "down", still on the level that moved.
    await focused(page.getByRole("button", { name: "Move level 1 down" }));
    await page.keyboard.press("Enter"); // and back down, then up again by keyboard
    await expect.poll(async () => (await previewRows(page))[0]).toContain("Alice Archer");
    await page.getByRole("button", { name: "Move level 2 up" }).focus();
    await page.keyboard.press("Space");
    await expect.poll(async () => (await previewRows(page))[0]).toBe("10:00 T+0 | Level 1 | Bob Baker");

    await page.getByRole("textbox", { name: "Repeat the whole policy (times)" }).fill("1");
    await expect.poll(async () => (await previewRows(page)).length).toBe(4);
    expect((await previewRows(page))[3]).toBe(
      "10:35 T+35 min | Level 2 · repeat 1 | Alice Archer (on call in Primary)",
    );
    await page.getByRole("heading", { name: "New escalation policy", level: 1 }).scrollIntoViewIfNeeded();
    await screenshot(page, "escalation-policy");

    await page.getByRole("button", { name: "Create escalation policy" }).click();
    await visible(page.getByRole("heading", { name: "Payments", level: 1 }));
    expect(page.url()).toMatch(/\/escalation-policies\/\d+$/);
    const saved = (await b.t.admin.get("/api/v1/escalation-policies")).body.policies.find(
      (p: { name: string }) => p.name === "Payments",
    );
    expect(saved.levels).toEqual([
      { timeoutMinutes: 10, targets: [{ kind: "user", id: bob.id }] },
      { timeoutMinutes: 15, targets: [{ kind: "schedule", id: scheduleId }] },
    ]);
    expect(saved.repeat).toBe(1);

    await page.reload();
    await visible(page.getByRole("heading", { name: "Payments", level: 1 }));
    await visible(level(page, 1).getByRole("list", { name: "Level 1 notifies" }).getByText("Bob Baker"));
    await visible(level(page, 2).getByText("schedule Primary"));
    await page.getByLabel("Paged at").fill(`${today()}T10:00`);
    await expect
      .poll(async () => (await previewRows(page))[1])
      .toBe("10:10 T+10 min | Level 2 | Alice Archer (on call in Primary)");

    // An edit: a refusal at the field, then saved.
    await level(page, 1).getByRole("textbox", { name: "Minutes before the next level" }).fill("0");
    await page.getByRole("button", { name: "Save changes" }).click();
    await visible(level(page, 1).getByText("expected a whole number of minutes >= 1"));
    await level(page, 1).getByRole("textbox", { name: "Minutes before the next level" }).fill("5");
    await page.getByRole("button", { name: "Save changes" }).click();
    await visible(page.getByText(/^Saved at/));
    const edited = (await b.t.admin.get(`/api/v1/escalation-policies/${saved.id}`)).body;
    expect(edited.levels[0].timeoutMinutes).toBe(5);
  });

  it("shows a policy the policy file defines read-only, with where to edit it", async () => {
    const page = await b.signedIn(ada);
    await page.goto("/escalation-policies");
    const row = page.getByRole("row").filter({ hasText: "Engineer On Call" });
    await visible(row.getByText("policy file"));
    await row.getByRole("link", { name: "Engineer On Call" }).click();
    await visible(page.getByRole("heading", { name: "Engineer On Call", level: 1 }));
    await visible(page.getByText("Defined by the policy file."));
    expect(await page.getByRole("textbox", { name: "Name" }).isDisabled()).toBe(true);
    expect(await page.getByRole("button", { name: "Move level 2 up" }).isDisabled()).toBe(true);
    await hidden(page.getByRole("button", { name: "Save changes" }));
    await hidden(page.getByRole("button", { name: "Delete…" }));
    // The preview still answers.
    await expect.poll(async () => (await previewRows(page)).length).toBe(3);
  });

  it("shows the API's refusal to someone who may not change the policy, keeping what they typed", async () => {
    const page = await b.signedIn(rob);
    await page.goto("/escalation-policies");
    await hidden(page.getByRole("link", { name: "New escalation policy" }));
    await page.getByRole("link", { name: "Payments" }).click();
    await page.getByRole("textbox", { name: "Name" }).fill("Payments (Rob's)");
    await page.getByRole("button", { name: "Save changes" }).click();
    const alert = await visible(page.getByRole("alert").filter({ hasText: "admin" }));
    expect(await alert.textContent()).toMatch(/rob/);
    expect(await page.getByRole("textbox", { name: "Name" }).inputValue()).toBe("Payments (Rob's)");
  });

  it("fits a phone", async () => {
    const page = await b.signedIn(ada, { viewport: phone });
    await page.goto("/escalation-policies/new");
    await visible(page.getByRole("heading", { name: "If nobody acknowledges" }));
    const overflow = await sidewaysScroll(page);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
