/**
 * Two people on the same incident page: what one writes shows up on the other's screen without a
 * reload, through the live stream. When the stream drops, the page says so ("Reconnecting…"),
 * and once it is back it shows what was written in between. The page is also the incident's room:
 * messages and `/inc` commands typed there, as in Slack.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declare } from "../api/helpers.ts";
import {
  type BrowserApp,
  browserTest,
  documentLoads,
  hidden,
  type Person,
  screenshot,
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

describe("the incident page is live", browserTest, () => {
  it("shows another person's note at once, says Reconnecting… when the stream drops, and catches up", async () => {
    const { id } = await declare(alice.api, { title: "Checkout latency" });

    // Alice reaches the server through a link the test can cut; Bob directly.
    const link = await b.link();
    const pageA = await b.signedIn(alice, { base: link.base });
    const pageB = await b.signedIn(bob);
    for (const page of [pageA, pageB]) {
      await page.goto(`/incidents/${id}`);
      await visible(page.getByRole("heading", { name: `#${id} Checkout latency` }));
    }
    const timelineA = pageA.getByRole("region", { name: "Timeline" });
    await visible(timelineA.getByRole("status").filter({ hasText: "Live" }));

    // Bob adds a note in his browser; Alice's page shows it without a reload.
    const loadsBefore = await documentLoads(pageA);
    expect(loadsBefore).toEqual([`${link.base}/incidents/${id}`]);
    await pageB.getByRole("radio", { name: "Note" }).check();
    await pageB.getByLabel("Note for the timeline").fill("Bob here: the p99 doubled at 10:02");
    await pageB.getByRole("button", { name: "Add note" }).click();
    await visible(pageB.getByText("Bob here: the p99 doubled at 10:02"));
    const noteOnA = timelineA.getByRole("listitem").filter({ hasText: "Bob here: the p99 doubled at 10:02" });
    await visible(noteOnA);
    await visible(noteOnA.getByText("Bob Baker"));
    expect(await documentLoads(pageA)).toEqual(loadsBefore);

    // Alice's network drops: her page says it is reconnecting.
    link.cut();
    await visible(timelineA.getByRole("status").filter({ hasText: "Reconnecting…" }));

    // Meanwhile Bob writes another note (through the API this time).
    const meanwhile = await bob.api.request("POST", `/api/v1/incidents/${id}/notes`, {
      body: "Written while Alice was offline",
    });
    expect(meanwhile.status).toBe(201);

    // The network is back: the stream reconnects and the page shows what was missed, still without a reload.
    link.restore();
    await visible(timelineA.getByRole("status").filter({ hasText: "Live" }), 20_000);
    await visible(timelineA.getByText("Written while Alice was offline"), 20_000);
    await hidden(timelineA.getByText("Reconnecting…"));
    expect(await documentLoads(pageA)).toEqual(loadsBefore);
  });

  it("is a room: a message reaches the other page at once, and /inc commands run there", async () => {
    const { id } = await declare(alice.api, { title: "Search is slow", severity: "S3" });
    const pageA = await b.signedIn(alice);
    const pageB = await b.signedIn(bob);
    for (const page of [pageA, pageB]) await page.goto(`/incidents/${id}`);
    const timelineA = pageA.getByRole("region", { name: "Timeline" });
    await visible(timelineA.getByRole("status").filter({ hasText: "Live" }));

    // Enter sends, as in chat.
    const box = pageB.getByLabel("Message to the incident's room");
    await box.fill("@alice the index rebuild is at 40%");
    await box.press("Enter");
    const onA = timelineA.getByRole("listitem").filter({ hasText: "the index rebuild is at 40%" });
    await visible(onA);
    await visible(onA.getByText("Bob Baker"));

    // A command typed in the room runs as Bob; its answer is his alone, its change everyone's.
    await box.fill("/inc severity S2");
    await pageB.getByRole("button", { name: "Send" }).click();
    await visible(timelineA.getByText("Severity S3 → S2"));
    await box.fill("/inc nonsense");
    await box.press("Enter");
    await visible(pageB.getByText(/Unknown command "nonsense"/));
    await hidden(pageA.getByText(/Unknown command/));
    await screenshot(pageB, "incident-room");
    expect((await alice.api.get(`/api/v1/incidents/${id}`)).body.severity).toBe("S2");
  });
});
