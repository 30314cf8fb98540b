/**
 * A responder works an incident from start to end in the browser: signs in with a password,
 * declares from the list with the `d` key, gives the CMOC role, posts a status update, pins it as a
 * highlight, moves the incident along to resolved and closes it once the S2 close delay (LC-5)
 * has passed. The API's timeline then holds everything that was done on screen.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Json } from "../api/helpers.ts";
import { timeline } from "../api/helpers.ts";
import {
  type BrowserApp,
  browserTest,
  hidden,
  type Person,
  startBrowserApp,
  visible,
} from "../support/browser.ts";

let b: BrowserApp;
let alice: Person;
let bob: Person;

beforeAll(async () => {
  b = await startBrowserApp();
  alice = await b.person("alice", "responder", "Alice Archer");
  bob = await b.person("bob", "responder", "Bob Baker");
}, 120_000);
afterAll(() => b?.close());

describe("working an incident in the browser", browserTest, () => {
  it("declares, assigns, updates, pins, resolves and closes an S2, and the timeline records it all", async () => {
    const page = await b.signedIn(alice);
    await visible(page.getByText("No incidents yet. Good."));

    // `d` on the list opens the declaration form (DEC-1); the policy's "when unsure" severity is preselected.
    await page.keyboard.press("d");
    await visible(page.getByRole("heading", { name: "Declare an incident" }));
    expect(page.url()).toMatch(/\/incidents\/new$/);
    const s2 = page.getByRole("radio", { name: /^S2 High/ });
    expect(await s2.isChecked()).toBe(true);
    await page.getByLabel("Title").fill("Checkout returns 502 for a third of requests");
    await page.getByLabel("Type").selectOption("GitLab.com");
    await page.getByLabel("Summary").fill("Started after the 10:00 deploy of the payments service.");
    await page.getByRole("button", { name: "Declare incident" }).click();

    const heading = page.getByRole("heading", { level: 1, name: /Checkout returns 502/ });
    await visible(heading);
    const id = Number(/\/incidents\/(\d+)$/.exec(page.url())?.[1]);
    expect(id).toBeGreaterThan(0);
    expect(await heading.textContent()).toBe(`#${id} Checkout returns 502 for a third of requests`);
    const header = page.locator("header.incident-header");
    await visible(header.getByText("Investigating", { exact: true }));
    await visible(header.getByText("S2 High", { exact: true }));
    // S2 blocks deployments while open (LC-4), and the page says so.
    await visible(
      page.getByRole("status").filter({ hasText: "Deployments and feature-flag changes are blocked" }),
    );

    // Give Bob the CMOC role (an IM would take ownership of an S2 by default, OWN-3).
    const people = page.getByRole("region", { name: "People" });
    await people.getByRole("combobox", { name: /^Role/ }).selectOption("CMOC");
    await people.getByRole("combobox", { name: /^Person/ }).selectOption({ label: "Bob Baker (bob)" });
    await people.getByRole("button", { name: "Give role" }).click();
    await visible(people.getByRole("listitem").filter({ hasText: /^CMOC: Bob Baker/ }));

    // Post a status update (COMM-1).
    const tl = page.getByRole("region", { name: "Timeline" });
    await tl.getByRole("radio", { name: "Status update" }).check();
    await tl.getByLabel("Current customer impact").fill("A third of checkouts fail with 502.");
    await tl.getByLabel("Actions under way").fill("Rolling back the payments deploy.");
    await tl.getByRole("button", { name: "Post status update" }).click();
    const update = tl.getByRole("listitem").filter({ hasText: "A third of checkouts fail with 502." });
    await visible(update);
    await visible(update.getByText("Actions: Rolling back the payments deploy."));

    // Pin it, then show only the highlights.
    await update.getByRole("button", { name: "Pin", exact: true }).click();
    await visible(update.getByRole("button", { name: "Unpin", exact: true, pressed: true }));
    const declaredEvent = tl.getByRole("listitem").filter({ hasText: "Declared S2 GitLab.com" });
    await visible(declaredEvent);
    await tl.getByLabel("Highlights only").check();
    await hidden(declaredEvent);
    await visible(update);
    expect(await tl.getByRole("listitem").count()).toBe(1);
    await tl.getByLabel("Highlights only").uncheck();
    await visible(declaredEvent);

    // Along the workflow with the next-step buttons.
    await page.getByRole("button", { name: "Move to fixing" }).click();
    await visible(header.getByText("Fixing", { exact: true }));
    await page.getByRole("button", { name: "Mitigated: monitor" }).click();
    await visible(header.getByText("Monitoring", { exact: true }));
    await page
      .getByLabel("Reason (optional, goes on the timeline)")
      .fill("Rollback done; errors back to baseline.");
    await page.getByRole("button", { name: "Resolve" }).click();
    await visible(header.getByText("Resolved", { exact: true }));
    const closeHint = await visible(page.getByText(/^May close in \d+ minutes, once stable/));
    const resolved = (await alice.api.get(`/api/v1/incidents/${id}`)).body;
    expect(Date.parse(resolved.closableAt) - Date.parse(resolved.resolvedAt)).toBe(30 * 60_000);
    expect(await closeHint.locator("time").getAttribute("datetime")).toBe(resolved.closableAt);

    // An S2 closes only after 30 stable minutes (LC-5): too early, the page says why.
    await page.getByRole("button", { name: "Close", exact: true }).click();
    await visible(
      page.getByRole("alert").filter({ hasText: "can close only after being stable for 30 minutes" }),
    );
    expect((await alice.api.get(`/api/v1/incidents/${id}`)).body.state).toBe("resolved");

    await b.t.advanceMinutes(31);
    // LC-6: and only once its post-incident review is complete; the page says so.
    await page.getByRole("button", { name: "Close", exact: true }).click();
    await visible(
      page.getByRole("alert").filter({ hasText: "cannot close before its post-incident review is complete" }),
    );
    expect((await alice.api.request("POST", `/api/v1/incidents/${id}/review/complete`)).status).toBe(200);
    await page.getByRole("button", { name: "Close", exact: true }).click();
    await visible(header.getByText("Closed", { exact: true }));
    await visible(page.getByRole("button", { name: "Reopen" }));
    await hidden(page.getByRole("button", { name: "Close", exact: true }));

    // Everything done on screen is on the record.
    const incident = (await alice.api.get(`/api/v1/incidents/${id}`)).body;
    expect(incident).toMatchObject({
      state: "closed",
      severity: "S2",
      title: "Checkout returns 502 for a third of requests",
      summary: "Started after the 10:00 deploy of the payments service.",
      owner: { id: alice.id },
      roles: { CMOC: { id: bob.id } },
    });
    const events: Json[] = await timeline(alice.api, id);
    const kinds = events.map((e) => e.kind);
    expect(kinds[0]).toBe("declared");
    expect(events.find((e) => e.kind === "role-changed")).toMatchObject({
      actor: { id: alice.id },
      data: { role: "CMOC", to: bob.id },
    });
    expect(events.find((e) => e.kind === "status-update")).toMatchObject({
      pinned: true,
      data: { impact: "A third of checkouts fail with 502.", actions: "Rolling back the payments deploy." },
    });
    expect(events.filter((e) => e.kind === "status-changed").map((e) => [e.data.to, e.body])).toEqual([
      ["fixing", ""],
      ["monitoring", ""],
      ["resolved", "Rollback done; errors back to baseline."],
      ["closed", ""],
    ]);
    expect(kinds).toContain("pinned");
  });
});
