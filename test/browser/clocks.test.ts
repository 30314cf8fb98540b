/**
 * The incident page shows what the process will do next: the next status update due and every
 * pending clock as a live countdown on the server's time (the test clock here, weeks away from the
 * browser's), and updates itself when a clock fires.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserApp, browserTest, type Person, startBrowserApp, visible } from "../support/browser.ts";

let b: BrowserApp;
let alice: Person;

beforeAll(async () => {
  b = await startBrowserApp({ clockStart: "2026-11-18T12:00:00Z" });
  await b.t.seedOnCall();
  alice = await b.person("alice", "responder", "Alice Archer");
}, 120_000);
afterAll(() => b?.close());

describe("what happens next", browserTest, () => {
  it("COMM-1, COMM-2: counts down to the update and the public deadline, and moves on when the reminder fires", async () => {
    const declared = await alice.api.request("POST", "/api/v1/incidents", {
      title: "Slow merge requests",
      type: "GitLab.com",
      severity: "S2",
      status: "active",
      owner: "alice",
    });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    const id = declared.body.id as number;
    const page = await b.signedIn(alice);
    await page.goto(`/incidents/${id}`);
    const panel = page.getByRole("region", { name: "What happens next" });
    await visible(panel);
    // Counted on the server's clock: 30 minutes to the S2 cadence, whatever the browser's date.
    await visible(panel.getByText(/^Next status update in (30:00|29:5\d)$/));
    const pending = panel.getByRole("list", { name: "Pending clocks" });
    const comm1 = pending.getByRole("listitem").filter({ hasText: "remind the IM and the CMOC" });
    await visible(comm1.getByText(/^in (30:00|29:5\d)$/));
    await visible(comm1.getByText("COMM-1", { exact: true }));
    await visible(
      pending
        .getByRole("listitem")
        .filter({ hasText: /^in (45:00|44:5\d) COMM-2 remind the CMOC and the IM/ }),
    );
    const deadlines = panel.getByRole("list", { name: "Deadlines" });
    await visible(deadlines.getByText(/pending public communication, due/));

    // The reminder falls due on the server: the page learns of it live, without a reload.
    await b.t.advanceMinutes(30);
    await visible(page.getByRole("region", { name: "Timeline" }).getByText(/COMM-1: A status update is due/));
    await visible(panel.getByText(/^Next status update overdue by 0:0\d$/));
    await visible(comm1.getByText(/^in (15:00|14:5\d)$/)); // again while overdue, every 15 minutes
    await panel.getByText(/What the rules did/).click();
    await visible(panel.getByText("remind the IM and the CMOC", { exact: true }).last());
  });
});
