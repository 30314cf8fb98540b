/**
 * The objectives editor on the status page admin screen, in a real browser: an admin opens a
 * component's service levels, sets the error-ratio objective and the outage line, and sees what
 * Firebreak judged against the real Prometheus; lines that contradict each other are refused with
 * the server's reason, and what was typed stays.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/alertmanager.ts";
import {
  type BrowserApp,
  browserTest,
  holdGets,
  type Person,
  startBrowserApp,
  visible,
} from "../support/browser.ts";
import {
  type RunningPrometheus,
  type ServiceTarget,
  serviceLevelQueries,
  startPrometheus,
  startServiceTarget,
} from "../support/prometheus.ts";

let b: BrowserApp;
let ada: Person;
let target: ServiceTarget;
let prometheus: RunningPrometheus;
let componentId: number;

beforeAll(async () => {
  target = await startServiceTarget(["checkout"]);
  prometheus = await startPrometheus({ targets: [target.address] });
  b = await startBrowserApp({
    serviceLevels: {
      prometheusUrl: prometheus.url,
      settings: { intervalMs: 1000, sustainMs: 2000, stepMs: 250 },
    },
  });
  ada = await b.person("ada", "admin", "Ada Admin");
  const r = await b.t.admin.request("POST", "/api/v1/status-pages/default/components", { name: "Checkout" });
  expect(r.status).toBe(201);
  componentId = r.body.id;
}, 120_000);
afterAll(async () => {
  await b?.close();
  await prometheus?.stop();
  await target?.close();
});

describe("the objectives editor", browserTest, () => {
  it("sets a component's error-ratio objective and outage line, refuses contradicting lines, and shows the latest judgement", async () => {
    const q = serviceLevelQueries("checkout");
    const page = await b.signedIn(ada);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Status page" }).click();
    await page.getByRole("button", { name: "Service levels of Checkout" }).click();
    const panel = await visible(page.getByRole("region", { name: "Service levels of Checkout" }));
    const line = (name: string) => panel.getByRole("group", { name });

    await line("Error-ratio objective").getByLabel("PromQL (one series)").fill(q.errorRatio);
    await line("Error-ratio objective").getByLabel("Threshold", { exact: false }).fill("0.2");
    await line("Outage error line").getByLabel("PromQL (one series)").fill(q.outage);
    await line("Outage error line").getByLabel("Threshold", { exact: false }).fill("0.1");
    await panel.getByRole("button", { name: "Save objectives" }).click();
    await visible(panel.getByText(/must be above the error-ratio objective/));
    await expect(line("Outage error line").getByLabel("PromQL (one series)").inputValue()).resolves.toBe(
      q.outage,
    );

    await line("Outage error line").getByLabel("Threshold", { exact: false }).fill("0.5");
    await panel.getByRole("button", { name: "Save objectives" }).click();
    await visible(panel.getByText("Saved."));
    const saved = (await b.t.admin.get(`/api/v1/status-pages/default/components/${componentId}/objectives`))
      .body;
    expect(saved.objectives.map((o: { kind: string; threshold: number }) => [o.kind, o.threshold])).toEqual([
      ["error_ratio", 0.2],
      ["outage", 0.5],
    ]);

    // A cycle against the real Prometheus, then the panel shows what was judged.
    await waitFor(
      async () => {
        b.t.clock.set(new Date());
        await b.t.runJobs();
        const v = (await b.t.admin.get(`/api/v1/status-pages/default/components/${componentId}/objectives`))
          .body;
        return v.objectives.every((o: { lastState: string | null }) => o.lastState === "met");
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    await page.reload();
    await page.getByRole("button", { name: "Service levels of Checkout" }).click();
    await visible(
      page
        .getByRole("region", { name: "Service levels of Checkout" })
        .getByRole("group", { name: "Error-ratio objective" })
        .getByText(/Last judged .*: met/),
    );
  });

  it("takes input only once the saved lines have arrived, so nothing typed is overwritten by them", async () => {
    const made = await b.t.admin.request("POST", "/api/v1/status-pages/default/components", {
      name: "Search",
    });
    expect(made.status).toBe(201);
    const objectives = `/api/v1/status-pages/default/components/${made.body.id}/objectives`;
    const saved = await b.t.admin.request("PUT", objectives, {
      objectives: [{ kind: "error_ratio", query: "search:error_ratio", threshold: 0.05 }],
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);

    const page = await b.signedIn(ada);
    // The saved lines are held back until the panel has been looked at while they are on their way.
    const { requested, release } = await holdGets(page, `**${objectives}`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Status page" }).click();
    await page.getByRole("button", { name: "Service levels of Search" }).click();
    const panel = await visible(page.getByRole("region", { name: "Service levels of Search" }));
    await requested;
    expect(await panel.getByRole("textbox").count()).toBe(0);
    await visible(panel.getByText("Loading the objectives…"));

    release();
    const errorRatio = panel.getByRole("group", { name: "Error-ratio objective" });
    await expect
      .poll(() => errorRatio.getByLabel("PromQL (one series)").inputValue())
      .toBe("search:error_ratio");
    expect(await errorRatio.getByLabel("Threshold", { exact: false }).inputValue()).toBe("0.05");
  });

  it("maps an alert service to the component, with the status its open alerts propose, and unmaps it", async () => {
    await b.t.seedOnCall(); // a service pages an escalation policy
    const service = await b.t.admin.request("POST", "/api/v1/services", { name: "checkout-api" });
    expect(service.status, JSON.stringify(service.body)).toBe(201);
    const page = await b.signedIn(ada);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Status page" }).click();
    await page.getByRole("button", { name: "Service levels of Checkout" }).click();
    const box = (await visible(page.getByRole("region", { name: "Service levels of Checkout" }))).getByRole(
      "group",
      { name: "Alert services" },
    );
    await box.getByLabel("Service").selectOption({ label: "checkout-api" });
    await box.getByLabel("Proposes").selectOption({ label: "Partial outage" });
    await box.getByRole("button", { name: "Map service" }).click();
    await visible(box.getByText("checkout-api: Partial outage"));
    const mapped = (await b.t.admin.get(`/api/v1/status-pages/default/components/${componentId}/objectives`))
      .body;
    expect(mapped.alertServices).toEqual([
      { serviceId: service.body.id, serviceName: "checkout-api", status: "partial_outage" },
    ]);
    await box.getByRole("button", { name: "Unmap checkout-api" }).click();
    await expect
      .poll(
        async () =>
          (await b.t.admin.get(`/api/v1/status-pages/default/components/${componentId}/objectives`)).body
            .alertServices,
      )
      .toEqual([]);
  });
});
