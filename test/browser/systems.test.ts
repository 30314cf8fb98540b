/**
 * Support systems in a real browser: an admin adds systems with their criticality on the Systems
 * screen and re-rates one; on an incident's page a responder links a system, and the panel shows
 * the incident's criticality, REV-2's review and, once the test clock passes the first interval,
 * the escalation level reached (PAGE-8). The Systems screen fits a 390 px phone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserApp,
  browserTest,
  holdGets,
  type Person,
  phone,
  screenshot,
  sidewaysScroll,
  startBrowserApp,
  visible,
} from "../support/browser.ts";

let b: BrowserApp;
let ada: Person;
let rui: Person;

beforeAll(async () => {
  b = await startBrowserApp({ clockStart: "2026-11-18T12:00:00Z" });
  await b.t.seedOnCall();
  ada = await b.person("ada", "admin", "Ada Admin");
  rui = await b.person("rui", "responder", "Rui Responder");
}, 120_000);
afterAll(() => b?.close());

describe("the systems screen and the incident's systems", browserTest, () => {
  it("adds and re-rates systems; an incident linked to one shows its criticality and escalation", async () => {
    const page = await b.signedIn(ada);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Systems" }).click();
    await visible(page.getByRole("heading", { name: "Systems", level: 1 }));
    const form = page.getByRole("region", { name: "New system" });
    for (const [name, level] of [
      ["Zendesk", "1. Mission Critical"],
      ["Macros", "4. Administrative"],
    ] as const) {
      await form.getByRole("textbox", { name: "Name" }).fill(name);
      await form.getByLabel("Criticality").selectOption({ label: level });
      await form.getByRole("button", { name: "Add system" }).click();
      await visible(page.getByRole("rowheader", { name }));
    }
    // A taken name is refused with the server's words.
    await form.getByRole("textbox", { name: "Name" }).fill("zendesk");
    await form.getByRole("button", { name: "Add system" }).click();
    await visible(page.getByText(/a system named "Zendesk" is in the catalogue already/));
    await page.getByLabel("Criticality of Macros").selectOption({ label: "2. Business Critical" });
    await visible(page.getByText("Macros is now Business Critical; its open incidents were re-rated."));
    await visible(page.getByRole("table", { name: "Criticality levels" }).getByText("24–48 h"));
    await screenshot(page, "systems", { fullPage: true });

    const declared = await rui.api.request("POST", "/api/v1/incidents", {
      type: "Gameday",
      status: "active",
      title: "Tickets not arriving",
      severity: "S3",
    });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    const id = declared.body.id as number;
    const mine = await b.signedIn(rui);
    await mine.goto(`/incidents/${id}`);
    const panel = mine.getByRole("region", { name: "Support systems" });
    await visible(panel.getByText("Touches no support system."));
    await panel.getByRole("button", { name: "Change systems" }).click();
    await panel.getByRole("checkbox", { name: /Zendesk/ }).check();
    await panel.getByRole("button", { name: "Save systems" }).click();
    await visible(panel.getByText("Mission Critical", { exact: true }));
    await visible(panel.getByText(/Escalation level 0 of 4: not escalated\./));
    await visible(panel.getByText("An after-incident review is required (REV-2)."));

    await b.t.advanceMinutes(10);
    await mine.reload();
    await visible(panel.getByText(/Escalation level 1 of 4: team asked\./));
    await visible(panel.getByRole("list", { name: "Support escalations" }).getByText(/level 1: asked/));
    await screenshot(mine, "incident-systems", { fullPage: true });

    const small = await b.signedIn(ada, { viewport: phone });
    await small.goto("/systems");
    await visible(small.getByRole("rowheader", { name: "Zendesk" }));
    expect(await sidewaysScroll(small)).toBe(0);
  });

  it("offers the incident's systems to change only once its saved links have arrived, so saving keeps them", async () => {
    const billing = await b.t.admin.request("POST", "/api/v1/systems", {
      name: "Billing",
      criticality: "business-critical",
    });
    expect(billing.status, JSON.stringify(billing.body)).toBe(201);
    const wiki = await b.t.admin.request("POST", "/api/v1/systems", {
      name: "Wiki",
      criticality: "administrative",
    });
    expect(wiki.status, JSON.stringify(wiki.body)).toBe(201);
    const declared = await rui.api.request("POST", "/api/v1/incidents", {
      type: "Gameday",
      status: "active",
      title: "Invoices go out late",
      severity: "S3",
    });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    const links = `/api/v1/incidents/${declared.body.id}/systems`;
    const linked = await rui.api.request("PUT", links, { systems: [billing.body.id] });
    expect(linked.status, JSON.stringify(linked.body)).toBe(200);

    const page = await b.signedIn(rui);
    // The saved links are held back until the panel has been looked at while they are on their way.
    const { requested, release } = await holdGets(page, `**${links}`);
    await page.goto(`/incidents/${declared.body.id}`);
    const panel = await visible(page.getByRole("region", { name: "Support systems" }));
    await requested;
    // A form opened now would show Billing unticked, and saving it would unlink Billing.
    expect(await panel.getByRole("button", { name: "Change systems" }).count()).toBe(0);
    expect(await panel.getByRole("checkbox").count()).toBe(0);
    await visible(panel.getByText("Loading the incident's systems…"));

    release();
    await panel.getByRole("button", { name: "Change systems" }).click();
    expect(await panel.getByRole("checkbox", { name: /Billing/ }).isChecked()).toBe(true);
    await panel.getByRole("checkbox", { name: /Wiki/ }).check();
    await panel.getByRole("button", { name: "Save systems" }).click();
    await visible(panel.locator("p").filter({ hasText: /from .*Wiki \(Administrative\)/ }));
    await expect
      .poll(async () => (await rui.api.get(links)).body.systems.map((s: { name: string }) => s.name).sort())
      .toEqual(["Billing", "Wiki"]);
  });

  it("sets a new system's criticality to Business Operational once the levels have arrived, and adds it so", async () => {
    const page = await b.signedIn(ada);
    // The catalogue, which brings the criticality levels, is held back until the form has been looked at.
    const { requested, release } = await holdGets(page, "**/api/v1/systems");
    await page.goto("/systems");
    await visible(page.getByRole("heading", { name: "Systems", level: 1 }));
    await requested;
    const form = page.getByRole("region", { name: "New system" });
    expect(await form.getByLabel("Criticality").count()).toBe(0);
    await visible(form.getByText("Loading the criticality levels…"));

    release();
    const select = form.getByLabel("Criticality");
    await expect.poll(() => select.locator("option").count()).toBeGreaterThan(0);
    expect(await select.inputValue()).toBe("business-operational");
    await form.getByRole("textbox", { name: "Name" }).fill("Status mailer");
    await form.getByRole("button", { name: "Add system" }).click();
    await visible(page.getByRole("rowheader", { name: "Status mailer" }));
    const stored = (await b.t.admin.get("/api/v1/systems")).body.systems.find(
      (s: { name: string }) => s.name === "Status mailer",
    );
    expect(stored?.criticality).toBe("business-operational");
  });
});
