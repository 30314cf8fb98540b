/**
 * Services and integrations as an admin sets one up: a service on an escalation policy, an
 * Alertmanager key shown once with a receiver snippet that carries this server's public URL and
 * the key; an alert sent to that key shows under the last alerts; a maintenance window is added
 * and ended early; revoking the key refuses its sender. The page fits a 390 px phone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserApp,
  browserTest,
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
let policyId: number;

beforeAll(async () => {
  b = await startBrowserApp();
  ada = await b.person("ada", "admin", "Ada Admin");
  const policy = await ada.api.request("POST", "/api/v1/escalation-policies", {
    name: "Checkout on call",
    levels: [{ timeoutMinutes: 15, targets: [{ kind: "user", id: ada.id }] }],
  });
  expect(policy.status, JSON.stringify(policy.body)).toBe(201);
  policyId = policy.body.id;
}, 120_000);
afterAll(() => b?.close());

const firing = (summary: string) => ({
  version: "4",
  groupKey: '{}:{alertname="HighErrorRate"}',
  status: "firing",
  receiver: "firebreak",
  alerts: [
    {
      status: "firing",
      labels: { alertname: "HighErrorRate", severity: "critical", instance: "checkout-0" },
      annotations: { summary },
      startsAt: new Date().toISOString(),
      fingerprint: "5c1d0e0a3f6b2a11",
    },
  ],
});

describe("the services screen", browserTest, () => {
  it("creates a service on a policy, gives Alertmanager a key once, shows its alert, runs a maintenance window and revokes the key", async () => {
    const page = await b.signedIn(ada);
    page.on("dialog", (d) => void d.accept());
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Services" }).click();
    await visible(page.getByRole("heading", { name: "Services", level: 1 }));

    // A refusal is shown at the field, and what was typed stays.
    await page.getByLabel("Description").fill("Checkout and payments");
    await page.getByRole("button", { name: "Create service" }).click();
    await visible(page.getByText("a service needs a name"));
    await expect.poll(() => page.getByLabel("Description").inputValue()).toBe("Checkout and payments");

    await page.getByRole("textbox", { name: /^Name/ }).fill("checkout-api");
    await page.getByLabel("Escalation policy its alerts page").selectOption({ label: "Checkout on call" });
    await page.getByRole("button", { name: "Create service" }).click();
    await visible(page.getByRole("heading", { name: "checkout-api", level: 1 }));
    await visible(page.getByRole("definition").filter({ hasText: "Checkout on call" }));
    // The service's first key is shown once, on its page; done with it.
    await visible(page.getByRole("heading", { name: "Integration key “default” created" }));
    await page.getByRole("button", { name: "Done" }).click();

    await page.getByLabel("Name of the new key").fill("alertmanager");
    await page.getByLabel(/Alert if silent for/).fill("60");
    await page.getByRole("button", { name: "Create key" }).click();
    const callout = page.locator(".new-key");
    await visible(callout.getByRole("heading", { name: "Integration key “alertmanager” created" }));
    const key = (await callout.locator(".secret code").textContent()) ?? "";
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    const receiver = callout
      .locator(".snippet", { hasText: "Prometheus Alertmanager receiver" })
      .locator("pre");
    const yaml = (await receiver.textContent()) ?? "";
    expect(yaml).toContain(`url: "http://firebreak.test/api/v1/integrations/alertmanager/${key}"`);
    expect(yaml).toContain("send_resolved: true");
    await visible(callout.getByRole("button", { name: "Copy key" }));
    const row = page.getByRole("row").filter({ hasText: "alertmanager" });
    await visible(row.getByText(`…${key.slice(-4)}`));
    await screenshot(page, "services", { fullPage: true });

    // Alertmanager sends to the key (here, the test does): the alert is listed on the service.
    const sent = await fetch(`${b.t.base}/api/v1/integrations/alertmanager/${key}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(firing("Checkout is failing 7% of requests")),
    });
    expect(sent.status).toBe(200);
    await page.reload();
    const lastAlerts = page.getByRole("table", { name: /alerts, newest first/ });
    await visible(lastAlerts.getByText("Checkout is failing 7% of requests"));
    await visible(lastAlerts.getByText("firing"));
    // Shown once: after a reload the key is no longer on the page.
    expect(await page.getByText(key).count()).toBe(0);

    // Source silence: made with 60 minutes, changed in place; a bad value is refused at the field.
    const silence = page.getByLabel("Alert when key alertmanager is silent for (minutes)");
    await expect.poll(() => silence.inputValue()).toBe("60");
    await silence.fill("two hours");
    await page.getByRole("button", { name: "Save silence alert of alertmanager" }).click();
    await visible(page.getByText(/a whole number of minutes from 1 to 10080/));
    await silence.fill("30");
    await page.getByRole("button", { name: "Save silence alert of alertmanager" }).click();
    const serviceId = Number(new URL(page.url()).pathname.split("/").at(-1));
    await expect
      .poll(async () => {
        const keys = (await b.t.admin.get(`/api/v1/services/${serviceId}/integration-keys`)).body.keys as {
          name: string;
          silenceMinutes: number | null;
        }[];
        return keys.find((k) => k.name === "alertmanager")?.silenceMinutes;
      })
      .toBe(30);

    // A maintenance window, on now, ended early.
    await page.getByLabel("Reason").fill("database upgrade");
    await page.getByRole("button", { name: "Add window" }).click();
    const windows = page.getByRole("list", { name: "Maintenance windows on or coming" });
    await visible(windows.getByText("database upgrade"));
    await visible(page.getByText("Maintenance window added."));
    await windows.getByRole("button", { name: /End now|Cancel/ }).click();
    await visible(page.getByText("No maintenance on or coming."));

    // Revoked: the row goes, and Alertmanager's posts are refused.
    await page.getByRole("button", { name: `Revoke key alertmanager (…${key.slice(-4)})` }).click();
    await hidden(page.getByRole("row").filter({ hasText: `…${key.slice(-4)}` }));
    await expect
      .poll(
        async () =>
          (
            await fetch(`${b.t.base}/api/v1/integrations/alertmanager/${key}`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(firing("again")),
            })
          ).status,
        { timeout: 15_000, interval: 500 },
      )
      .toBe(404);
  });

  it("fits a 390 px phone: nothing scrolls sideways", async () => {
    const made = await ada.api.request("POST", "/api/v1/services", {
      name: "storefront-with-a-rather-long-name",
      description: "The shop's web front end",
      escalationPolicyId: policyId,
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const service = made.body as { id: number };
    const page = await b.signedIn(ada, { viewport: phone });
    await page.goto(`${b.t.base}/services/${service.id}`);
    await visible(page.getByRole("heading", { name: "storefront-with-a-rather-long-name", level: 1 }));
    await page.getByText("Set-up for each sender").click();
    await visible(page.getByText("YOUR-INTEGRATION-KEY").first());
    const overflow = await sidewaysScroll(page);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
