/**
 * The post-incident review screen: an S2's owner opens the review from the incident page, edits the
 * document with a Markdown preview (people's HTML shown as text), saves a version, sees the vague
 * corrective action flagged, completes the review, and the incident may then close (LC-6).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserApp,
  browserTest,
  focused,
  holdGets,
  type Person,
  phone,
  screenshot,
  sidewaysScroll,
  startBrowserApp,
  visible,
} from "../support/browser.ts";

let b: BrowserApp;
let alice: Person;
let incidentId: number;

beforeAll(async () => {
  b = await startBrowserApp();
  alice = await b.person("alice", "responder", "Alice Archer");
  const i = await alice.api.request("POST", "/api/v1/incidents", {
    title: "Checkout returns 502",
    type: "GitLab.com",
    severity: "S2",
    status: "active",
    summary: "A deploy of the payments service broke checkout for a third of requests.",
  });
  incidentId = i.body.id;
  await alice.api.request("POST", `/api/v1/incidents/${incidentId}/status`, { status: "resolved" });
  await alice.api.request("POST", `/api/v1/incidents/${incidentId}/status`, { status: "post-incident" });
  const task = await alice.api.request("POST", `/api/v1/incidents/${incidentId}/tasks`, {
    kind: "follow-up",
    title: "Investigate the payments deploy",
  });
  const c = await alice.api.request(
    "PUT",
    `/api/v1/incidents/${incidentId}/tasks/${task.body.id}/corrective`,
    {
      corrective: true,
      assignee: "alice",
      dueAt: "2026-03-20T17:00:00Z",
    },
  );
  expect(c.status, JSON.stringify(c.body)).toBe(200);
  await alice.api.request("POST", `/api/v1/incidents/${incidentId}/tasks`, {
    kind: "follow-up",
    title: "Add an alert when 502s exceed 1% for 5 minutes",
  });
}, 120_000);
afterAll(() => b?.close());

describe("the review screen", browserTest, () => {
  it("LC-6 REV-1: the owner edits, previews and saves the review, sees flags, completes it; then the S2 closes", async () => {
    const page = await b.signedIn(alice);
    await page.goto(`/incidents/${incidentId}`);
    await page.getByRole("link", { name: "Open the review" }).click();
    await visible(page.getByRole("heading", { level: 1, name: "Post-incident review" }));
    await visible(page.getByText("Yes: its severity needs a review"));
    await visible(page.getByText(/Vague: vague verb: investigate/));

    // The generated draft is in the editor; the keyboard reaches the preview tab.
    const editor = page.getByLabel("Review document (Markdown)");
    expect(await editor.inputValue()).toContain("## Corrective actions");
    await editor.fill("# Review\n\nCause: <b>a stuck consumer</b>\n\n- [x] rolled back");
    await page.getByRole("tab", { name: "Write" }).focus();
    await page.keyboard.press("Tab");
    await focused(page.getByRole("tab", { name: "Preview" }));
    await page.keyboard.press("Enter");
    // People's HTML is shown as text, never as markup.
    await visible(page.getByText("Cause: <b>a stuck consumer</b>"));
    expect(await page.locator(".review-preview b").count()).toBe(0);
    await screenshot(page, "review", { fullPage: true });

    await page.getByRole("button", { name: "Save version 1" }).click();
    await visible(page.getByText(/^Version 1\./));
    const saved = (await alice.api.get(`/api/v1/incidents/${incidentId}/review`)).body;
    expect(saved).toMatchObject({
      version: 1,
      body: "# Review\n\nCause: <b>a stuck consumer</b>\n\n- [x] rolled back",
    });

    // FU-2: a follow-up becomes a corrective action with an owner and a due date; specific, it is not flagged.
    const form = page
      .locator("form")
      .filter({ has: page.getByRole("button", { name: "Make it a corrective action" }) });
    await form.getByRole("combobox", { name: /^Owner/ }).selectOption(String(alice.id));
    await form.getByLabel("Due (your time)").fill("2026-03-20T17:00");
    await page.getByRole("button", { name: "Make it a corrective action" }).click();
    await visible(page.getByText(/Add an alert when 502s exceed 1% for 5 minutes — Alice Archer/));
    const actions = (await alice.api.get(`/api/v1/incidents/${incidentId}/corrective-actions`)).body;
    expect(actions.correctiveActions.map((a: { vagueReasons: string[] }) => a.vagueReasons)).toEqual([
      ["vague verb: investigate"],
      [],
    ]);

    // Detection (TL-4) and the optional meeting are set on the same screen.
    await page.getByLabel("Detected by").selectOption("customer");
    await page.getByRole("button", { name: "Save detection" }).click();
    await page.getByText("Owner, reviewers, due date, meeting").click();
    await page.getByLabel(/^Meeting/).fill("2026-03-10T15:00");
    await page.getByRole("button", { name: "Save review settings" }).click();
    await expect
      .poll(async () => (await alice.api.get(`/api/v1/incidents/${incidentId}/review`)).body, {
        timeout: 15_000,
      })
      .toMatchObject({ detection: { source: "customer" }, meetingAt: expect.any(String) });

    await page.getByRole("button", { name: "Mark the review complete" }).click();
    await visible(page.getByRole("button", { name: "Reopen the review" }));
    await b.t.advanceMinutes(31);
    const closed = await alice.api.request("POST", `/api/v1/incidents/${incidentId}/status`, {
      status: "closed",
    });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
  });

  it("fits a phone", async () => {
    const page = await b.signedIn(alice, { viewport: phone });
    await page.goto(`/incidents/${incidentId}/review`);
    await visible(page.getByRole("heading", { level: 1, name: "Post-incident review" }));
    expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
  });

  it("offers the owner and reviewers only once the people have arrived, so saving keeps the saved ones", async () => {
    const bob = await b.person("bob", "responder", "Bob Baker");
    const i = await alice.api.request("POST", "/api/v1/incidents", {
      title: "Search times out",
      type: "GitLab.com",
      severity: "S2",
      status: "active",
    });
    expect(i.status, JSON.stringify(i.body)).toBe(201);
    const review = `/api/v1/incidents/${i.body.id}/review`;
    const set = await alice.api.request("PATCH", review, {
      owner: bob.id,
      reviewers: [alice.id, bob.id],
      dueAt: "2026-03-20T17:00:00Z",
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);

    const page = await b.signedIn(alice);
    // The people (the owner's and reviewers' options) are held back until the settings have been
    // looked at while they are on their way.
    const { requested, release } = await holdGets(page, "**/api/v1/users");
    await page.goto(`/incidents/${i.body.id}/review`);
    await visible(page.getByRole("heading", { level: 1, name: "Post-incident review" }));
    const settings = page.locator("details").filter({ hasText: "Owner, reviewers, due date, meeting" });
    await settings.getByText("Owner, reviewers, due date, meeting").click();
    await requested;
    // A form made now would show the first person as owner and no reviewers, and saving it would say so.
    expect(await settings.getByRole("combobox", { name: "Owner" }).count()).toBe(0);
    await visible(settings.getByText("Loading the people…"));

    release();
    const owner = settings.getByRole("combobox", { name: "Owner" });
    await expect.poll(() => owner.inputValue()).toBe(String(bob.id));
    expect(
      await settings.getByRole("listbox", { name: "Reviewers" }).locator("option:checked").allInnerTexts(),
    ).toEqual(["Alice Archer (@alice)", "Bob Baker (@bob)"]);
    await settings.getByLabel(/^Meeting/).fill("2026-03-10T15:00");
    await settings.getByRole("button", { name: "Save review settings" }).click();
    await expect.poll(async () => (await alice.api.get(review)).body.meetingAt).toEqual(expect.any(String));
    expect((await alice.api.get(review)).body).toMatchObject({
      ownerId: bob.id,
      reviewerIds: [alice.id, bob.id],
    });
  });
});
