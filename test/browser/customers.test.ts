/**
 * Customer incidents in a real browser (COMM-6, COMM-5): an admin adds a customer to the directory;
 * on a Sev0 customer incident's page the admin marks two customers affected (one from the
 * directory), sends one update to both — it reaches each contact through a real SMTP server and the
 * panel lists each email delivered — and previews and sends the executive summary. The Customers
 * screen fits a 390 px phone.
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
import { startSmtp } from "../support/smtp.ts";

let b: BrowserApp;
let ada: Person;
let smtp: Awaited<ReturnType<typeof startSmtp>>;

beforeAll(async () => {
  smtp = await startSmtp();
  b = await startBrowserApp({ clockStart: "2026-11-18T12:00:00Z", smtpUrl: smtp.url });
  await b.t.seedOnCall();
  ada = await b.person("ada", "admin", "Ada Admin");
}, 120_000);
afterAll(async () => {
  await b?.close();
  await smtp?.close();
});

describe("customer incidents", browserTest, () => {
  it("COMM-6: marks customers affected, sends one update to all of them and shows each email's fate", async () => {
    const page = await b.signedIn(ada);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Customers" }).click();
    await visible(page.getByRole("heading", { name: "Customers", level: 1 }));
    const form = page.getByRole("form", { name: "Add or change a customer" });
    await form.getByRole("textbox", { name: "Customer" }).fill("Acme Corp");
    await form.getByRole("textbox", { name: "Contacts" }).fill("ops@acme.example, cto@acme.example");
    await form.getByRole("button", { name: "Save customer" }).click();
    await visible(page.getByRole("cell", { name: "ops@acme.example, cto@acme.example" }));
    await screenshot(page, "customers", { fullPage: true });

    // Declaring offers each type its own severities: Sev0/Sev1 for customer incidents only.
    await page.goto("/incidents/new");
    const severities = page.getByRole("group", { name: "Severity" });
    await visible(severities.getByRole("radio", { name: /S2 High/ }));
    expect(await severities.getByRole("radio", { name: /Sev0/ }).count()).toBe(0);
    await page.getByLabel("Type").selectOption("Self-managed customer");
    await visible(severities.getByRole("radio", { name: /Sev0 Many customers/ }));
    expect(await severities.getByRole("radio").count()).toBe(2);
    expect(await severities.getByRole("radio", { name: /Sev0 Many customers/ }).isChecked()).toBe(true);

    const declared = await ada.api.request("POST", "/api/v1/incidents", {
      type: "Self-managed customer",
      status: "active",
      title: "Installs fail after upgrading to 17.2",
      severity: "Sev0",
    });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    const id = declared.body.id as number;
    await page.goto(`/incidents/${id}`);
    const panel = page.getByRole("region", { name: "Customers" });
    await visible(panel.getByText("No affected customers."));
    for (const [name, ticket, contacts] of [
      ["acme corp", "ZD-4711", ""],
      ["Globex", "ZD-4712", "it@globex.example"],
    ] as const) {
      await panel.getByRole("button", { name: "Add affected customer" }).click();
      const add = panel.getByRole("form", { name: "Add an affected customer" });
      await add.getByRole("textbox", { name: "Customer" }).fill(name);
      await add.getByRole("textbox", { name: "Ticket" }).fill(ticket);
      if (contacts) await add.getByRole("textbox", { name: "Contacts" }).fill(contacts);
      await add.getByRole("button", { name: "Add customer" }).click();
      await visible(panel.getByText(ticket, { exact: true }));
    }
    // The directory's contacts were used for Acme.
    await visible(panel.getByText("ops@acme.example, cto@acme.example"));

    const update = panel.getByRole("form", { name: "Update every affected customer" });
    await update.getByRole("textbox", { name: /Update to all 2 customers/ }).fill("A fix is being built.");
    // A Sev0 promises the next update within the hour: a longer promise is refused with the reason.
    await update.getByRole("spinbutton", { name: /Next update in/ }).fill("90");
    await update.getByRole("button", { name: "Send update" }).click();
    await visible(panel.getByText(/Sev0 incidents update their customers at least every 60 minutes/));
    await update.getByRole("spinbutton", { name: /Next update in/ }).fill("60");
    await update.getByRole("button", { name: "Send update" }).click();
    await visible(panel.getByText(/Sent to 2 customers \(3 emails\)/));

    await b.t.runJobs();
    expect(smtp.to("it@globex.example").at(-1)?.subject).toMatch(/^\[ZD-4712\] Sev0 incident update/);
    expect(smtp.to("cto@acme.example").at(-1)?.body).toMatch(/A fix is being built\./);
    await page.reload();
    await panel.getByText(/Updates sent \(1\)/).click();
    const sent = panel.getByRole("list", { name: "Updates sent to customers" });
    await visible(sent.getByText("Globex <it@globex.example>:", { exact: false }));
    expect(await sent.getByText("delivered", { exact: true }).count()).toBe(3);

    await panel.getByText("Executive summary", { exact: true }).click();
    await visible(panel.getByText(new RegExp(`Status of Sev0 incident #${id}, Installs fail`)));
    await screenshot(page, "incident-customers", { fullPage: true });
    await panel.getByRole("button", { name: "Send executive summary" }).click();
    await visible(panel.getByText(/^Sent to /));

    await panel.getByRole("button", { name: "Globex is no longer affected" }).click();
    await expect.poll(() => panel.getByText("ZD-4712", { exact: true }).count()).toBe(0);
    await visible(panel.getByText("ZD-4711", { exact: true }));

    const small = await b.signedIn(ada, { viewport: phone });
    await small.goto("/customers");
    await visible(small.getByRole("cell", { name: "Acme Corp" }));
    expect(await sidewaysScroll(small)).toBe(0);
  });
});
