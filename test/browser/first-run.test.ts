/**
 * The first-run guide, as an admin meets it on a fresh install: on the incidents screen, each step
 * done or not from real data (a password: done; a tested contact method, people in the EOC/IM/CMOC
 * rotations besides the first admin, an alert received, a status page component: not yet), each
 * turning done as it is done (the contact step through the profile, the rest through the API);
 * dismissed, it stays dismissed for that admin in a new browser, and is reopened from the profile's
 * "Setup guide" link. A responder never sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserApp,
  browserTest,
  focused,
  hidden,
  type Person,
  screenshot,
  startBrowserApp,
  visible,
} from "../support/browser.ts";
import { startSmtp } from "../support/smtp.ts";

let b: BrowserApp;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let ada: Person;
let rob: Person;

beforeAll(async () => {
  smtp = await startSmtp();
  b = await startBrowserApp({ smtpUrl: smtp.url });
  await b.t.seedOnCall(); // the policy file's rotations, with the first admin alone on call
  ada = await b.person("ada", "admin", "Ada Admin");
  rob = await b.person("rob", "responder", "Rob Roe");
}, 120_000);
afterAll(async () => {
  await b?.close();
  await smtp?.close();
});

const stepOf = (page: import("playwright-core").Page, title: string) =>
  page.getByRole("list", { name: "Set up Firebreak" }).getByRole("listitem").filter({ hasText: title });

describe("the first-run guide", browserTest, () => {
  it("shows steps done and not done, updates as they are done, is dismissed and reopened", async () => {
    const page = await b.signedIn(ada);
    const guide = page.getByRole("region", { name: "Set up Firebreak" });
    await visible(guide);
    await visible(guide.getByText("1 of 5 steps done"));
    await visible(stepOf(page, "Set a password").getByText("Done"));
    for (const title of [
      "Add a contact method",
      "Put people in the EOC",
      "Connect a first alert source",
      "Check the status page",
    ])
      await visible(stepOf(page, title).getByText("To do"));
    await visible(
      stepOf(page, "Put people in the EOC").getByText(
        /EOC: only the first admin; IM: only the first admin; CMOC: only the first admin/,
      ),
    );
    await visible(stepOf(page, "Check the status page").getByRole("link", { name: "Public status page" }));
    expect(
      await stepOf(page, "Check the status page")
        .getByRole("link", { name: "Public status page" })
        .getAttribute("href"),
    ).toBe("/status/default");

    // The contact step, through the link to the profile: add an email method and test it.
    await stepOf(page, "Add a contact method").getByRole("link", { name: "Contact methods" }).click();
    const contacts = page.getByRole("region", { name: "Contact methods" });
    await contacts.getByLabel("Label").fill("Ada's mail");
    await contacts.getByLabel("Email address").fill("ada@example.com");
    await contacts.getByRole("button", { name: "Add contact method" }).click();
    await contacts.getByRole("button", { name: "Send me a test notification through Ada's mail" }).click();
    await visible(contacts.getByText("Test notification to Ada's mail: Delivered"));
    expect(smtp.to("ada@example.com")).toHaveLength(1);

    // The rotations, an alert and a status component, through the API as the other screens do.
    const schedules = (await b.t.admin.get("/api/v1/schedules")).body.schedules as {
      id: number;
      name: string;
      timeZone: string;
      layers: { participants: number[] }[];
    }[];
    for (const name of ["EOC", "IM", "CMOC"]) {
      const s = schedules.find((x) => x.name === name)!;
      const put = await b.t.admin.request("PUT", `/api/v1/schedules/${s.id}`, {
        name: s.name,
        timeZone: s.timeZone,
        layers: s.layers.map((l) => ({ ...l, participants: [rob.id, ...l.participants] })),
      });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
    }
    await page.goto("/incidents");
    await visible(guide.getByText("3 of 5 steps done"));
    await visible(stepOf(page, "Add a contact method").getByText("Done"));
    await visible(stepOf(page, "Put people in the EOC").getByText("Done"));
    await visible(stepOf(page, "Connect a first alert source").getByText("To do"));
    await screenshot(page, "first-run", { fullPage: true });

    const service = await b.t.admin.request("POST", "/api/v1/services", { name: "checkout" });
    expect(service.status, JSON.stringify(service.body)).toBe(201);
    const sent = await fetch(`${b.t.base}/v2/enqueue`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        routing_key: service.body.integrationKey,
        event_action: "trigger",
        dedup_key: "first",
        payload: { summary: "checkout errors", source: "prometheus", severity: "warning" },
      }),
    });
    expect(sent.status).toBe(202);
    const component = await b.t.admin.request("POST", "/api/v1/status-pages/default/components", {
      name: "API",
    });
    expect(component.status, JSON.stringify(component.body)).toBe(201);
    await page.reload();
    await visible(guide.getByText("All set up"));

    // Dismissed: gone, with a way back; a new browser for Ada does not show it either.
    await guide.getByRole("button", { name: "Dismiss setup guide" }).click();
    await hidden(guide);
    const note = page.getByRole("status").filter({ hasText: "Setup guide hidden" });
    await visible(note);
    await focused(note);
    const again = await b.signedIn(ada);
    await visible(again.getByRole("heading", { name: "Incidents", level: 1 }));
    await visible(again.getByRole("link", { name: "Declare an incident" }));
    expect(await again.getByRole("region", { name: "Set up Firebreak" }).count()).toBe(0);

    // Reopened from the profile: the whole guide at /setup, and back on the incidents screen.
    await again.goto("/profile");
    await again.getByRole("link", { name: "Setup guide" }).click();
    await visible(again.getByRole("heading", { name: "Setup guide", level: 1 }));
    await visible(again.getByText("All set up"));
    await again.getByRole("button", { name: "Show the guide on the incidents screen" }).click();
    await visible(again.getByText("The guide shows on the incidents screen again."));
    await again.goto("/incidents");
    await visible(again.getByRole("region", { name: "Set up Firebreak" }));
  });

  it("is not shown to a responder", async () => {
    const page = await b.signedIn(rob);
    await visible(page.getByRole("heading", { name: "Incidents", level: 1 }));
    await visible(page.getByRole("link", { name: "Declare an incident" }));
    expect(await page.getByRole("region", { name: "Set up Firebreak" }).count()).toBe(0);
    expect((await rob.api.get("/api/v1/me/preferences")).body).toEqual({ setupGuideDismissed: false });
  });
});
