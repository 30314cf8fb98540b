/**
 * The screens around incidents, driven as people use them: a responder covers a colleague's
 * on-call window with an override (PAGE-7), acknowledges an alert that came in through the Events
 * API v2 and accepts the triage incident it opened, and a status page update drafted on the
 * incident page is published only by an approver (COMM-3). Each outcome is checked on screen and
 * through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Json } from "../api/helpers.ts";
import { declare } from "../api/helpers.ts";
import {
  type BrowserApp,
  browserTest,
  hidden,
  type Person,
  startBrowserApp,
  visible,
} from "../support/browser.ts";

let b: BrowserApp;
let dana: Person;
let erin: Person;
let rita: Person;
let carl: Person;

const ZONE = "Europe/Berlin";
const HALF_HOUR = 30 * 60_000;

/** A `datetime-local` value for an instant, in ZONE: what a person in Berlin types. */
function localInput(ms: number): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone: ZONE,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

beforeAll(async () => {
  b = await startBrowserApp();
  // What a first start sets up: the default schedules and escalation policies.
  const _admin = (await b.t.admin.get("/api/v1/me")).body;
  await b.t.seedOnCall();
  dana = await b.person("dana", "responder", "Dana Diaz");
  erin = await b.person("erin", "responder", "Erin Evans");
  rita = await b.person("rita", "responder", "Rita Roe");
  carl = await b.person("carl", "responder", "Carl Cole");
}, 120_000);
afterAll(() => b?.close());

describe("on-call", browserTest, () => {
  it("creates an override in the dialog: the cover is on call now, on screen and by the API", async () => {
    const created = await b.t.admin.request("POST", "/api/v1/schedules", {
      name: "Payments",
      timeZone: ZONE,
      layers: [
        {
          name: "primary",
          timeZone: ZONE,
          participants: [dana.id],
          shiftLength: { unit: "weeks", count: 1 },
          start: "2026-01-05T09:00",
        },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const scheduleId = created.body.id as number;

    const page = await b.signedIn(erin, { timezoneId: ZONE });
    await page.getByRole("link", { name: "On-call" }).click();
    await visible(page.getByRole("heading", { name: "On-call", level: 1 }));
    const nowList = page.getByRole("region", { name: "On call now" });
    const paymentsNow = nowList.getByRole("listitem").filter({ hasText: "Payments" });
    await visible(paymentsNow.getByText("Dana Diaz"));

    // Erin covers from the current half hour for three hours, typed in Berlin time.
    const start = Math.floor(b.t.clock.now().getTime() / HALF_HOUR) * HALF_HOUR;
    const end = start + 6 * HALF_HOUR;
    const schedule = page.getByRole("region", { name: "Payments" });
    await schedule.getByRole("button", { name: "New override" }).click();
    const dialog = await visible(page.getByRole("dialog", { name: "Create an override on Payments" }));
    await dialog.getByRole("combobox", { name: /^Person/ }).selectOption({ label: "Erin Evans" });
    await dialog.getByLabel("Start").fill(localInput(start));
    await dialog.getByLabel("End").fill(localInput(end));
    await dialog.getByLabel("Reason (optional)").fill("Dana at the dentist");
    await dialog.getByRole("button", { name: "Create override" }).click();
    await hidden(dialog);
    await visible(schedule.getByText(/^Override created: Erin Evans is on call/));
    const item = await visible(schedule.getByRole("listitem").filter({ hasText: "Dana at the dentist" }));
    await visible(item.getByRole("button", { name: "Delete override" }));
    await visible(paymentsNow.getByText("Erin Evans"));
    await hidden(paymentsNow.getByText("Dana Diaz"));

    const overrides = (await b.t.admin.get(`/api/v1/schedules/${scheduleId}`)).body.overrides as Json[];
    expect(overrides).toEqual([
      {
        id: expect.any(Number),
        userId: erin.id,
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        reason: "Dana at the dentist",
      },
    ]);
    const onCall = (await b.t.admin.get("/api/v1/oncall")).body.oncall as Json[];
    expect(onCall.find((o) => o.schedule.id === scheduleId)).toMatchObject({
      userIds: [erin.id],
      until: new Date(end).toISOString(),
    });
  });
});

describe("alerts", browserTest, () => {
  it("acknowledges an alert sent through the Events API v2 and accepts the triage incident it opened", async () => {
    const service = await b.t.admin.request("POST", "/api/v1/services", { name: "payments-api" });
    expect(service.status, JSON.stringify(service.body)).toBe(201);
    const sent = await fetch(`${b.t.base}/v2/enqueue`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        routing_key: service.body.integrationKey,
        event_action: "trigger",
        dedup_key: "payments-5xx",
        payload: {
          summary: "payments-api 5xx above 5% for 5 minutes",
          source: "prometheus",
          severity: "critical",
        },
      }),
    });
    expect(sent.status).toBe(202);
    const [alert] = (await b.t.admin.get(`/api/v1/alerts?service=${service.body.id}`)).body.alerts as Json[];
    expect(alert).toMatchObject({ status: "firing", incidentId: expect.any(Number) });

    const page = await b.signedIn(rita);
    await page.getByRole("link", { name: "Alerts" }).click();
    await visible(page.getByRole("heading", { name: "Alerts", level: 1 }));
    const row = page.getByRole("listitem", { name: "payments-api 5xx above 5% for 5 minutes", exact: true });
    await visible(row.getByText("Firing", { exact: true }));
    await visible(row.getByRole("link", { name: `incident #${alert.incidentId}` }));
    await row.getByRole("button", { name: "Acknowledge" }).click();
    await visible(row.getByText("Acknowledged", { exact: true }));
    await hidden(row.getByRole("button", { name: "Acknowledge" }));
    await visible(page.getByRole("heading", { name: /^payments-api \(0 firing, 1 acknowledged\)/ }));
    expect((await b.t.admin.get(`/api/v1/alerts/${alert.id}`)).body.status).toBe("acknowledged");

    // The incident the alert opened waits in triage: Rita takes it at S3.
    const triage = page.getByRole("region", { name: /^Triage incidents/ });
    const incidentRow = triage.getByRole("listitem").filter({ hasText: `#${alert.incidentId}` });
    await incidentRow.getByRole("combobox", { name: /^Severity when accepting/ }).selectOption("S3");
    await incidentRow.getByRole("button", { name: "Accept" }).click();
    await visible(triage.getByText(`Accepted #${alert.incidentId}: you own it now, at S3.`));
    await hidden(incidentRow);
    expect((await rita.api.get(`/api/v1/incidents/${alert.incidentId}`)).body).toMatchObject({
      state: "investigating",
      severity: "S3",
      owner: { id: rita.id },
    });

    // Resolving it takes it off the open alerts.
    await row.getByRole("button", { name: "Resolve" }).click();
    await hidden(row);
    await visible(page.getByText("No open alerts."));
    expect((await b.t.admin.get(`/api/v1/alerts/${alert.id}`)).body.status).toBe("resolved");
  });
});

describe("status page", browserTest, () => {
  it("publishes a drafted update only when an approver (the CMOC) approves it, not its author", async () => {
    const { id } = await declare(rita.api, { title: "Card payments failing", severity: "S3" });
    const role = await rita.api.request("PUT", `/api/v1/incidents/${id}/roles/CMOC`, { user: carl.id });
    expect(role.status, JSON.stringify(role.body)).toBe(200);

    // Rita drafts the public update on the incident's page.
    const ritaPage = await b.signedIn(rita);
    await ritaPage.goto(`/incidents/${id}`);
    const onStatusPage = ritaPage.getByRole("region", { name: "Status page" });
    await visible(onStatusPage.getByText("Not on a status page."));
    await onStatusPage.getByRole("button", { name: "Draft a status update" }).click();
    await onStatusPage.getByLabel("Public status").selectOption("identified");
    await onStatusPage
      .getByLabel("What visitors read")
      .fill("Some card payments fail. We found the cause and are rolling out a fix.");
    await onStatusPage.getByRole("button", { name: "Save draft" }).click();
    await visible(onStatusPage.getByText("Drafted: an approver (admin or CMOC) publishes it."));
    await visible(onStatusPage.getByText(/1 draft awaiting approval/));

    // Rita may not publish her own draft (COMM-3): the page says so where she clicked.
    await ritaPage.getByRole("link", { name: "Status page" }).click();
    await visible(ritaPage.getByRole("heading", { name: "Status page", level: 1 }));
    const ritaDraft = ritaPage.getByRole("listitem", { name: /Card payments failing/ });
    await visible(ritaDraft.getByText("Some card payments fail."));
    await ritaDraft.getByRole("button", { name: "Approve and publish" }).click();
    await visible(ritaDraft.getByRole("alert").filter({ hasText: "COMM-3" }));
    const publicBefore = (await (
      await fetch(`${b.t.base}/api/v1/status-pages/default/incidents`, {
        headers: { authorization: `Bearer ${b.t.admin.token}` },
      })
    ).json()) as { incidents: Json[] };
    expect(publicBefore.incidents).toEqual([]);

    // Carl, the incident's CMOC, publishes it.
    const carlPage = await b.signedIn(carl);
    await carlPage.goto("/status-admin");
    const drafts = carlPage.getByRole("region", { name: /^Drafts awaiting approval/ });
    const carlDraft = drafts.getByRole("listitem", { name: /Card payments failing/ });
    await visible(carlDraft.getByText("Drafted by Rita Roe"));
    await carlDraft.getByRole("button", { name: "Approve and publish" }).click();
    await visible(drafts.getByText("Published: the update of “Card payments failing”."));
    await hidden(carlDraft);
    await visible(drafts.getByText("No drafts waiting."));

    const published = (await b.t.admin.get("/api/v1/status-pages/default/incidents")).body
      .incidents as Json[];
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ incidentId: id, status: "identified", published: true });
    expect(published[0].updates[0]).toMatchObject({
      state: "published",
      approvedBy: carl.id,
      body: "Some card payments fail. We found the cause and are rolling out a fix.",
    });
    // Visitors see it on the public page.
    await carlPage.goto("/status/default");
    await visible(
      carlPage.getByText("Some card payments fail. We found the cause and are rolling out a fix."),
    );
  });
});
