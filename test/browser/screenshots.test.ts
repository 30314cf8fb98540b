/**
 * The main screens with realistic data, at 1280×800 and on a 390×844 phone. Each screen must show
 * its content and fit the width it has (no sideways scrolling on the phone). With
 * FIREBREAK_SCREENSHOTS=1 they are also saved as docs/screenshots/*.png for the README:
 *
 *   FIREBREAK_SCREENSHOTS=1 npx vitest run test/browser/screenshots.test.ts
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declare, type Json, move } from "../api/helpers.ts";
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

let b: BrowserApp;
let maya: Person;
let omar: Person;
let lin: Person;
let incidentId: number;

/** Nothing sticks out sideways: the page is no wider than its window. */
async function expectNoSidewaysScroll(page: Page) {
  expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
}

beforeAll(async () => {
  // The story starts 40 minutes ago, so the screens say "35 minutes ago", not "in 5 minutes".
  b = await startBrowserApp({ clockStart: new Date(Date.now() - 40 * 60_000) });
  maya = await b.person("maya", "responder", "Maya Patel");
  omar = await b.person("omar", "responder", "Omar Haddad");
  lin = await b.person("lin", "responder", "Lin Chen");
  // The team on call first: declaring then pages them as the policy says.
  await onCallData();

  // A few incidents in different states, so the list shows its groups.
  await declare(omar.api, {
    title: "Primary database replication lag above 30 s",
    severity: "S2",
    type: "GitLab.com",
  });
  await declare(lin.api, { title: "CI runners slow to pick up jobs", severity: "S3", type: "GitLab.com" });
  await declare(maya.api, {
    title: "Customer reports intermittent 401s on the API",
    severity: "S3",
    type: "Dedicated",
    status: "triage",
  });
  const old = await declare(lin.api, { title: "Docs site served stale pages", severity: "S4" });
  await move(lin.api, old.id, "resolved");
  await b.t.advanceMinutes(5);

  // The one the incident page shows: people, a status update, notes, a pinned highlight.
  const main = await declare(maya.api, {
    title: "Checkout returns 502 for a third of requests",
    severity: "S1",
    type: "GitLab.com",
    summary:
      "Since 10:02 UTC about a third of checkout requests fail with 502 from the payments service. " +
      "Started minutes after the 10:00 deploy of payments v2.41.",
  });
  incidentId = main.id;
  const api = maya.api;
  const put = async (path: string, body: unknown) => {
    const r = await api.request("PUT", path, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };
  await put(`/api/v1/incidents/${incidentId}/roles/IM`, { user: omar.id });
  await put(`/api/v1/incidents/${incidentId}/roles/CMOC`, { user: lin.id });
  const post = async (path: string, body: unknown, as = api) => {
    const r = await as.request("POST", path, body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };
  await b.t.advanceMinutes(2);
  await post(`/api/v1/incidents/${incidentId}/notes`, {
    body: "Error rate on payments-api jumped from 0.1% to 34% at 10:02; the 10:00 deploy is the only change.",
  });
  await b.t.advanceMinutes(4);
  const update = await post(
    `/api/v1/incidents/${incidentId}/updates`,
    {
      impact: "About a third of checkouts fail; customers see an error and can retry.",
      actions: "Rolling back payments to v2.40; watching the error rate.",
    },
    lin.api,
  );
  await b.t.advanceMinutes(9);
  await post(
    `/api/v1/incidents/${incidentId}/notes`,
    { body: "Rollback started on all three regions." },
    omar.api,
  );
  await post(`/api/v1/incidents/${incidentId}/tasks`, {
    kind: "action",
    title: "Roll payments back to v2.40",
    assignee: omar.id,
  });
  await b.t.advanceMinutes(3);
  const pin = await api.request("PUT", `/api/v1/incidents/${incidentId}/timeline/${update.id}/pin`);
  expect(pin.status, JSON.stringify(pin.body)).toBe(201);

  await alertData();
  await statusPageData();
}, 120_000);
afterAll(() => b?.close());

/** What a first start creates (default schedules and escalation policies), and a team's own rotation. */
async function onCallData() {
  await b.t.seedOnCall();
  // The team takes over the default rotations from the admin.
  const rosters: Record<string, number[]> = {
    CMOC: [lin.id, maya.id],
    EOC: [omar.id, maya.id, lin.id],
    IM: [maya.id, omar.id],
    "Infrastructure Leader": [omar.id],
  };
  for (const s of (await b.t.admin.get("/api/v1/schedules")).body.schedules as Json[]) {
    const participants = rosters[s.name];
    if (!participants) continue;
    const r = await b.t.admin.request("PUT", `/api/v1/schedules/${s.id}`, {
      name: s.name,
      timeZone: s.timeZone,
      layers: s.layers.map((l: Json) => ({
        name: l.name,
        timeZone: l.timeZone,
        participants,
        shiftLength: l.shiftLength,
        start: l.start,
      })),
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }
  const now = b.t.clock.now();
  const monday = new Date(now.getTime() - ((now.getUTCDay() + 6) % 7) * 86_400_000);
  const schedule = await b.t.admin.request("POST", "/api/v1/schedules", {
    name: "Payments",
    timeZone: "UTC",
    layers: [
      {
        name: "primary",
        timeZone: "UTC",
        participants: [maya.id, omar.id, lin.id],
        shiftLength: { unit: "days", count: 1 },
        start: `${monday.toISOString().slice(0, 10)}T09:00`,
      },
    ],
  });
  expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
  const tomorrow = new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10);
  const override = await lin.api.request("POST", `/api/v1/schedules/${schedule.body.id}/overrides`, {
    userId: lin.id,
    start: `${tomorrow}T12:00:00Z`,
    end: `${tomorrow}T18:00:00Z`,
    reason: "covering Omar's afternoon",
  });
  expect(override.status, JSON.stringify(override.body)).toBe(201);
}

/** Alerts from two services through the Events API v2; one acknowledged. */
async function alertData() {
  const send = async (key: string, dedup: string, summary: string, severity: string, source: string) => {
    const r = await fetch(`${b.t.base}/v2/enqueue`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        routing_key: key,
        event_action: "trigger",
        dedup_key: dedup,
        payload: { summary, severity, source },
      }),
    });
    expect(r.status).toBe(202);
  };
  const payments = (await b.t.admin.request("POST", "/api/v1/services", { name: "payments-api" })).body;
  const search = (await b.t.admin.request("POST", "/api/v1/services", { name: "search" })).body;
  await send(
    payments.integrationKey,
    "p-5xx",
    "payments-api 5xx above 5% for 5 minutes",
    "critical",
    "prometheus",
  );
  await send(payments.integrationKey, "p-lat", "payments-api p99 latency above 2 s", "warning", "prometheus");
  await b.t.advanceMinutes(2);
  await send(search.integrationKey, "s-disk", "search-data-2 disk 91% full", "warning", "node-exporter");
  const [disk] = (await b.t.admin.get(`/api/v1/alerts?service=${search.id}`)).body.alerts;
  const ack = await b.t.admin.request("POST", `/api/v1/alerts/${disk.id}/acknowledge`);
  expect(ack.status, JSON.stringify(ack.body)).toBe(200);
}

/** Components, a published post about the checkout incident, and a newer draft for an approver. */
async function statusPageData() {
  const path = (p: string) => `/api/v1/status-pages/default${p}`;
  const add = async (body: unknown) => {
    const r = await b.t.admin.request("POST", path("/components"), body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };
  const platform = await add({ name: "Platform", group: true });
  await add({ name: "Website", groupId: platform.id });
  await add({ name: "API", groupId: platform.id, position: 1 });
  const checkout = await add({ name: "Checkout", groupId: platform.id, position: 2 });
  await add({ name: "Search" });
  const first = await maya.api.request("POST", path("/incidents"), {
    name: "Failed checkouts",
    status: "investigating",
    body: "Some checkouts fail with an error. We are investigating.",
    affected: [{ componentId: checkout.id, newStatus: "degraded_performance" }],
    incidentId,
  });
  expect(first.status, JSON.stringify(first.body)).toBe(201);
  // The CMOC publishes what Maya drafted (COMM-3: never one's own draft).
  const approved = await lin.api.request("POST", path(`/drafts/${first.body.update.id}/approve`));
  expect(approved.status, JSON.stringify(approved.body)).toBe(200);
  await b.t.advanceMinutes(5);
  const next = await maya.api.request("POST", path(`/incidents/${first.body.statusIncidentId}/updates`), {
    status: "identified",
    body: "We found the cause, a faulty release, and are rolling it back.",
  });
  expect(next.status, JSON.stringify(next.body)).toBe(201);
}

describe("the main screens", browserTest, () => {
  it("sign-in", async () => {
    const page = await b.newPage();
    await expectNoSidewaysScroll(page);
    await screenshot(page, "sign-in");
  });

  it("incidents list, declare form, incident page", async () => {
    const page = await b.signedIn(maya);
    await visible(page.getByRole("link", { name: /Checkout returns 502/ }));
    await visible(page.getByRole("heading", { name: /^Triage/ }));
    await visible(page.getByRole("heading", { name: /^Resolved/ }));
    await visible(page.getByText("Live", { exact: true }));
    await expectNoSidewaysScroll(page);
    await screenshot(page, "incidents");

    await page.getByRole("link", { name: "Declare an incident" }).click();
    await visible(page.getByRole("heading", { name: "Declare an incident" }));
    await expectNoSidewaysScroll(page);
    await screenshot(page, "declare");

    await page.goto(`/incidents/${incidentId}`);
    const tl = page.getByRole("region", { name: "Timeline" });
    await visible(tl.getByText("Rollback started on all three regions."));
    await visible(tl.getByText("highlight", { exact: true }));
    await visible(page.getByRole("region", { name: "People" }).getByText(/^IM: Omar Haddad/));
    await visible(
      page.getByRole("region", { name: "Actions and follow-ups" }).getByText("Roll payments back to v2.40"),
    );
    await expectNoSidewaysScroll(page);
    await screenshot(page, "incident");
    // What happens next: the rules' pending clocks, counting down (COMM-1, COMM-2, PAGE-3).
    const clocks = page.getByRole("region", { name: "What happens next" });
    await visible(clocks.getByRole("list", { name: "Pending clocks" }).getByText("COMM-1"));
    await clocks.evaluate((el) => el.scrollIntoView());
    await screenshot(page, "incident-clocks");
    await page.getByRole("heading", { name: "Timeline" }).evaluate((h) => h.scrollIntoView());
    await screenshot(page, "incident-timeline");
  });

  it("on-call, alerts and the status page", async () => {
    const page = await b.signedIn(omar);
    await page.getByRole("link", { name: "On-call" }).click();
    const payments = page.getByRole("region", { name: "Payments" });
    await visible(payments.getByText("covering Omar's afternoon"));
    await visible(page.getByRole("region", { name: "On call now" }).getByText("Payments"));
    await expectNoSidewaysScroll(page);
    await screenshot(page, "oncall");

    await page.getByRole("link", { name: "Alerts" }).click();
    await visible(
      page.getByRole("listitem", { name: "payments-api 5xx above 5% for 5 minutes", exact: true }),
    );
    await visible(page.getByRole("heading", { name: /^search \(0 firing, 1 acknowledged\)/ }));
    await expectNoSidewaysScroll(page);
    await screenshot(page, "alerts");

    await page.getByRole("link", { name: "Status page" }).click();
    await visible(page.getByRole("heading", { name: "Status page", level: 1 }));
    await visible(page.getByText("We found the cause, a faulty release, and are rolling it back."));
    await visible(page.getByText("Some checkouts fail with an error. We are investigating."));
    await expectNoSidewaysScroll(page);
    await screenshot(page, "status-admin");
  });

  it("incident page on a phone", async () => {
    const page = await b.signedIn(omar, { viewport: phone });
    await page.goto(`/incidents/${incidentId}`);
    await visible(page.getByRole("heading", { level: 1, name: /Checkout returns 502/ }));
    await visible(
      page.getByRole("region", { name: "Timeline" }).getByText("Rollback started on all three regions."),
    );
    await expectNoSidewaysScroll(page);
    await screenshot(page, "incident-phone");
  });
});
