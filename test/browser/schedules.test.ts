/**
 * The schedule editor (/schedules) as a person uses it: an admin creates a weekly rotation of three,
 * reorders it by keyboard and sees the preview (computed in the browser) change before saving,
 * saves, reloads, restricts the hours and asks who is on call at a chosen time; a responder who is
 * not in the schedule's team is refused at save with the API's message, and keeps what they typed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Json } from "../api/helpers.ts";
import {
  type BrowserApp,
  browserTest,
  type Person,
  screenshot,
  startBrowserApp,
  visible,
} from "../support/browser.ts";

let b: BrowserApp;
let ada: Person;
let alice: Person;
let bob: Person;
let carl: Person;
let rick: Person;

/** What page-side code reads (the tsconfig has no DOM types). */
type FocusWindow = { document: { activeElement: { getAttribute(name: string): string | null } | null } };

const WEEK = 7 * 24 * 3_600_000;
const FIRST = Date.UTC(2026, 0, 5, 9); // Monday 5 January 2026, 09:00 UTC: the first hand-off

beforeAll(async () => {
  b = await startBrowserApp();
  ada = await b.person("ada", "admin", "Ada Admin");
  alice = await b.person("alice", "responder", "Alice Able");
  bob = await b.person("bob", "responder", "Bob Best");
  carl = await b.person("carl", "responder", "Carl Cole");
  rick = await b.person("rick", "responder", "Rick Rest");
}, 120_000);
afterAll(() => b?.close());

describe("schedule editor", browserTest, () => {
  it("creates a weekly rotation of three, reorders it by keyboard with a live preview, saves, restricts hours and answers who is on call", async () => {
    const page = await b.signedIn(ada, { timezoneId: "UTC" });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Schedules" }).click();
    await visible(page.getByRole("heading", { name: "Schedules", level: 1 }));
    await page.getByRole("link", { name: "New schedule" }).click();
    await visible(page.getByRole("heading", { name: "New schedule", level: 1 }));

    await page.getByLabel("Name", { exact: true }).fill("Payments primary");
    const layer = page.getByRole("group", { name: /^Layer 1/ });
    await layer.getByLabel("Layer name").fill("primary");
    for (const who of ["Alice Able", "Bob Best", "Carl Cole"]) {
      await layer.getByRole("combobox", { name: "Add a person" }).selectOption({ label: who });
      await layer.getByRole("button", { name: "Add", exact: true }).click();
    }
    await layer.getByLabel(/^First hand-off/).fill("2026-01-05T09:00");

    // The preview is there before anything is saved: Alice has the first week.
    const preview = page.getByRole("region", { name: "Preview" });
    const pickAt = preview.getByLabel(/^On call at/);
    await pickAt.fill("2026-01-06T12:00");
    await visible(preview.getByText("Alice Able is on call then."));
    const coming = preview.getByRole("list", { name: "Coming shifts" }).getByRole("listitem").first();
    const current = (order: string[]) => order[Math.floor((Date.now() - FIRST) / WEEK) % 3] ?? "";
    await visible(coming.getByText(current(["Alice Able", "Bob Best", "Carl Cole"])));

    // Alice moves down by keyboard: announced, focus stays with her, and the preview follows.
    await layer.getByRole("button", { name: "Move Alice Able down" }).focus();
    await page.keyboard.press("Enter");
    await visible(page.getByText("Alice Able moved to position 2 of 3 in primary."));
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as FocusWindow).document.activeElement?.getAttribute("aria-label"),
      ),
    ).toBe("Move Alice Able down");
    await visible(preview.getByText("Bob Best is on call then."));
    await visible(coming.getByText(current(["Bob Best", "Alice Able", "Carl Cole"])));
    expect(await b.t.admin.get("/api/v1/schedules").then((r) => r.body.schedules as Json[])).toEqual([]);

    // A shift length the API refuses is refused here, at its field, and nothing is lost.
    await layer.getByLabel("Shift length").fill("0");
    await page.getByRole("button", { name: "Save schedule" }).click();
    await visible(layer.getByText("expected a whole number from 1 to 10000"));
    await layer.getByLabel("Shift length").fill("1");

    await page.getByRole("button", { name: "Save schedule" }).click();
    await visible(page.getByRole("heading", { name: "Schedule: Payments primary", level: 1 }));
    await visible(page.getByText("Schedule created."));
    const id = Number(/\/schedules\/(\d+)$/.exec(page.url())?.[1]);
    const saved = (await b.t.admin.get(`/api/v1/schedules/${id}`)).body;
    expect(saved.layers).toEqual([
      {
        name: "primary",
        timeZone: "UTC",
        participants: [bob.id, alice.id, carl.id],
        shiftLength: { unit: "weeks", count: 1 },
        start: "2026-01-05T09:00",
      },
    ]);

    // After a reload it is all there.
    await page.reload();
    const again = page.getByRole("group", { name: /^Layer 1/ });
    await visible(again.getByText("1. Bob Best"));
    await visible(again.getByText("2. Alice Able"));
    await visible(again.getByText("3. Carl Cole"));

    // Weekdays but Friday, 09:00–17:00.
    await again.getByRole("button", { name: "Add a time window" }).click();
    const window1 = again.getByRole("group", { name: "Window 1" });
    await window1.getByRole("checkbox", { name: "Friday" }).uncheck();
    await page.getByRole("button", { name: "Save schedule" }).click();
    await visible(page.getByText(/^Saved at/));
    expect((await b.t.admin.get(`/api/v1/schedules/${id}`)).body.layers[0].restrictions).toEqual([
      { days: [1, 2, 3, 4], start: "09:00", end: "17:00" },
    ]);

    const previewAgain = page.getByRole("region", { name: "Preview" });
    const at = previewAgain.getByLabel(/^On call at/);
    await at.fill("2026-01-06T12:00");
    await visible(previewAgain.getByText("Bob Best is on call then."));
    await at.fill("2026-01-06T20:00");
    await visible(previewAgain.getByText("Nobody is on call then."));
    await at.fill("2026-01-16T10:00");
    await visible(previewAgain.getByText("Nobody is on call then."));
    await at.fill("2026-01-13T10:00");
    await visible(previewAgain.getByText("Alice Able is on call then."));
    await screenshot(page, "schedule-editor", { fullPage: true });
  });

  it("shows a responder outside the schedule's team the API's refusal at save, keeping the edits", async () => {
    const team = await b.t.admin.request("POST", "/api/v1/teams", { slug: "payments", name: "Payments" });
    expect(team.status, JSON.stringify(team.body)).toBe(201);
    const created = await b.t.admin.request("POST", "/api/v1/schedules", {
      name: "Payments secondary",
      timeZone: "UTC",
      teamId: team.body.id,
      layers: [
        {
          name: "secondary",
          timeZone: "UTC",
          participants: [alice.id, bob.id],
          shiftLength: { unit: "days", count: 1 },
          start: "2026-01-05T09:00",
        },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    const page = await b.signedIn(rick, { timezoneId: "UTC" });
    await page.goto(`/schedules/${created.body.id}`);
    await visible(page.getByRole("heading", { name: "Schedule: Payments secondary", level: 1 }));
    await page.getByLabel("Name", { exact: true }).fill("Payments secondary (mine now)");
    await page.getByRole("button", { name: "Save schedule" }).click();
    await visible(
      page
        .getByRole("alert")
        .getByText(
          "user rick is a viewer (or not a member) in team Payments; changing its schedules needs admin or higher there",
          { exact: false },
        ),
    );
    expect(await page.getByLabel("Name", { exact: true }).inputValue()).toBe("Payments secondary (mine now)");
    expect((await b.t.admin.get(`/api/v1/schedules/${created.body.id}`)).body.name).toBe(
      "Payments secondary",
    );
  });
});
