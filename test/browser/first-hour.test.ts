/**
 * The first hour, from a fresh data directory, as a new admin lives it: `firebreak serve` as a real
 * process (its own embedded PostgreSQL, the printed admin token given as FIREBREAK_BOOTSTRAP_TOKEN,
 * email through a loopback SMTP server, FIREBREAK_PUBLIC_URL its own address), then in Chromium:
 * sign in with the token, set a password and sign in with it, add an email contact method whose
 * test notification arrives, add two people (who set up their own contact methods on their
 * profiles), a weekly rotation of the three with the admin on call now, a two-level escalation
 * policy (the rotation, then a person), a service on it with an Alertmanager key; a REAL
 * Alertmanager, configured with the URL the screen showed, is sent an alert; the page reaches the
 * admin by email; the admin acknowledges on the Alerts screen, and the API says the page is
 * acknowledged.
 *
 * Alertmanager and the server run on real time, so the waits for the alert and the email poll,
 * bounded. Everything started here is stopped in afterAll, failed or not.
 */
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningAlertmanager, startAlertmanager, waitFor } from "../support/alertmanager.ts";
import { chromiumPath, desktop, signInWithPassword, visible, WAIT_MS } from "../support/browser.ts";
import { type Served, startServed } from "../support/served.ts";
import { startSmtp } from "../support/smtp.ts";
import { ensureWebBuild } from "../support/web-build.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = any;

/** The token `firebreak serve` prints on a first start; given here so the test knows it. */
const PRINTED_TOKEN = "first-hour-bootstrap-token-01234";
const MY_PASSWORD = "a password for the first hour";
const ME = { name: "Administrator", email: "admin@example.com" };
const PEOPLE = [
  { username: "bea", name: "Bea Berg", email: "bea@example.com", password: "bea's first password" },
  { username: "cal", name: "Cal Carr", email: "cal@example.com", password: "cal's first password" },
] as const;
const SUMMARY = "Checkout is failing 7% of requests";

let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;
let served: Served | undefined;
let browser: Browser | undefined;
let am: RunningAlertmanager | undefined;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  expect(PRINTED_TOKEN).toHaveLength(32);
  const executablePath = chromiumPath();
  ensureWebBuild();
  smtp = await startSmtp();
  [served, browser] = await Promise.all([
    startServed({ FIREBREAK_BOOTSTRAP_TOKEN: PRINTED_TOKEN, SMTP_URL: smtp.url }),
    chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] }),
  ]);
}, 150_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await am?.stop().catch(() => {});
  await served?.stop();
  await smtp?.close();
}, 60_000);

/** A new browser (no cookies) on the sign-in screen, in UTC so typed times are UTC. */
async function newPage(): Promise<Page> {
  if (!browser || !served) throw new Error("not started");
  const context = await browser.newContext({ baseURL: served.base, viewport: desktop, timezoneId: "UTC" });
  context.setDefaultTimeout(WAIT_MS);
  contexts.push(context);
  const page = await context.newPage();
  await page.goto("/sign-in");
  await visible(page.getByRole("heading", { name: "Sign in to Firebreak" }));
  return page;
}

/** The API as the admin, with the printed token. */
async function api(method: string, url: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${served?.base}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${PRINTED_TOKEN}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const nav = (page: Page, name: string) =>
  page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();

/** On the profile: an email method named `label`, and rules sending high- and low-urgency pages to it at once. */
async function addEmailMethod(page: Page, label: string, address: string) {
  await page.goto("/profile");
  const contacts = page.getByRole("region", { name: "Contact methods" });
  await visible(contacts.getByText("No contact methods yet"));
  await contacts.getByLabel("Label").fill(label);
  await contacts.getByLabel("Email address").fill(address);
  await contacts.getByRole("button", { name: "Add contact method" }).click();
  const method = contacts.getByRole("listitem", { name: `${label} (email)` });
  await visible(method);
  const rules = page.getByRole("region", { name: "Notification rules" });
  const table = rules.getByRole("table", { name: "Your notification rules, in the order they notify you" });
  for (const urgency of ["high", "low"] as const) {
    await rules.getByLabel("For pages of").selectOption(urgency);
    await rules.getByLabel("Minutes after the page").fill("0");
    await rules.getByLabel("Use contact method").selectOption({ label: `${label} (email)` });
    await rules.getByRole("button", { name: "Add rule" }).click();
    await visible(
      table
        .getByRole("row")
        .filter({ hasText: urgency === "high" ? "High urgency" : "Low urgency" })
        .filter({ hasText: `${label} (email)` }),
    );
  }
  return method;
}

const level = (page: Page, n: number): Locator =>
  page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: `Level ${n}`, exact: true }) });

describe("the first hour", { timeout: 240_000 }, () => {
  it("from the printed token to an acknowledged page from a real Alertmanager", async () => {
    if (!served || !smtp) throw new Error("not started");
    const startedAt = Date.now();
    const mine = () => smtp?.to(ME.email) ?? [];

    // 1. Sign in with the printed token.
    const page = await newPage();
    await page.getByRole("radio", { name: "Sign in with an API token" }).check();
    await page.getByRole("textbox", { name: "API token" }).fill(PRINTED_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await visible(page.getByRole("heading", { name: "Incidents", level: 1 }));
    // A fresh install: the setup guide greets the admin.
    await visible(page.getByRole("region", { name: "Set up Firebreak" }));

    // 2. A password on the profile; signed out, then in again with it.
    await page.getByRole("link", { name: ME.name }).click();
    await visible(page.getByRole("heading", { name: "Your profile" }));
    await visible(page.getByText("You have no password yet"));
    await page.getByLabel("New password", { exact: true }).fill(MY_PASSWORD);
    await page.getByLabel("New password again").fill(MY_PASSWORD);
    await page.getByRole("button", { name: "Save password" }).click();
    await visible(page.getByText("Password saved."));
    await page.getByRole("button", { name: "Sign out" }).click();
    await visible(page.getByRole("heading", { name: "Sign in to Firebreak" }));
    await signInWithPassword(page, "admin", MY_PASSWORD);
    await visible(page.getByRole("link", { name: ME.name }));

    // 3. An email contact method (and rules for every urgency); its test arrives and reads delivered.
    const method = await addEmailMethod(page, "Work mail", ME.email);
    await method.getByRole("button", { name: "Send me a test notification through Work mail" }).click();
    await visible(method.getByRole("status").getByText("Test notification to Work mail: Delivered"));
    expect(mine().map((m) => m.subject)).toEqual(["[Firebreak] Test notification"]);

    // 4. Two people, with email addresses and a first password, on the People screen. The People
    // screen cannot add contact methods for someone else (the API has only /me/contact-methods):
    // each signs in with their first password in a browser of their own and adds theirs on their
    // profile, as they would.
    await nav(page, "People");
    await visible(page.getByRole("heading", { name: "People", level: 1 }));
    const ids: number[] = [];
    for (const p of PEOPLE) {
      await page.getByRole("button", { name: "Add a person" }).click();
      const form = page.getByRole("region", { name: "Add a person" });
      await form.getByRole("textbox", { name: "Username", exact: true }).fill(p.username);
      await form.getByRole("textbox", { name: "Name", exact: true }).fill(p.name);
      await form.getByRole("textbox", { name: "Email (optional)" }).fill(p.email);
      await form.getByRole("combobox", { name: "Role", exact: true }).selectOption("responder");
      await form.getByLabel("First password (optional)").fill(p.password);
      await form.getByRole("button", { name: "Add person" }).click();
      await visible(page.getByRole("heading", { name: `${p.name} (${p.username})`, level: 2 }));
      ids.push(Number(new URL(page.url()).searchParams.get("person")));
      const row = page
        .getByRole("table", { name: /people/ })
        .getByRole("row")
        .filter({ hasText: p.email });
      await visible(row.getByRole("cell", { name: "responder", exact: true }));
    }
    for (const p of PEOPLE) {
      const theirs = await newPage();
      await signInWithPassword(theirs, p.username, p.password);
      await addEmailMethod(theirs, "Mail", p.email);
      await theirs.context().close();
    }
    expect((await api("GET", "/api/v1/users")).body.users).toEqual(
      expect.arrayContaining(
        PEOPLE.map((p, i) => expect.objectContaining({ id: ids[i], username: p.username, email: p.email })),
      ),
    );

    // 5. A weekly rotation of the three, the admin first, its first hand-off this hour: the admin
    // is on call now.
    await nav(page, "Schedules");
    await visible(page.getByRole("heading", { name: "Schedules", level: 1 }));
    await page.getByRole("link", { name: "New schedule" }).click();
    await visible(page.getByRole("heading", { name: "New schedule", level: 1 }));
    await page.getByLabel("Name", { exact: true }).fill("Checkout primary");
    const layer = page.getByRole("group", { name: /^Layer 1/ });
    await layer.getByLabel("Layer name").fill("weekly");
    for (const who of [ME.name, ...PEOPLE.map((p) => p.name)]) {
      await layer.getByRole("combobox", { name: "Add a person" }).selectOption({ label: who });
      await layer.getByRole("button", { name: "Add", exact: true }).click();
    }
    const thisHour = `${new Date().toISOString().slice(0, 13)}:00`; // UTC, the browser's zone
    await layer.getByLabel(/^First hand-off/).fill(thisHour);
    const preview = page.getByRole("region", { name: "Preview" });
    await preview.getByLabel(/^On call at/).fill(new Date().toISOString().slice(0, 16));
    await visible(preview.getByText(`${ME.name} is on call then.`));
    await page.getByRole("button", { name: "Save schedule" }).click();
    await visible(page.getByRole("heading", { name: "Schedule: Checkout primary", level: 1 }));
    const scheduleId = Number(/\/schedules\/(\d+)$/.exec(page.url())?.[1]);
    const adminId = (await api("GET", "/api/v1/me")).body.id as number;
    expect((await api("GET", `/api/v1/schedules/${scheduleId}`)).body.layers).toEqual([
      expect.objectContaining({
        participants: [adminId, ...ids],
        shiftLength: { unit: "weeks", count: 1 },
        start: thisHour,
      }),
    ]);
    expect((await api("GET", "/api/v1/oncall")).body.oncall).toContainEqual(
      expect.objectContaining({ schedule: { id: scheduleId, name: "Checkout primary" }, userIds: [adminId] }),
    );

    // 6. An escalation policy: level 1 the rotation, level 2 Bea, a few minutes each.
    await nav(page, "Escalation");
    await visible(page.getByRole("heading", { name: "Escalation policies", level: 1 }));
    await page.getByRole("link", { name: "New escalation policy" }).click();
    await visible(page.getByRole("heading", { name: "New escalation policy", level: 1 }));
    await page.getByRole("textbox", { name: "Name" }).fill("Checkout escalation");
    await page.getByRole("combobox", { name: "Add to level 1" }).selectOption({ label: "Checkout primary" });
    await page.getByRole("button", { name: "Add to level 1" }).click();
    await level(page, 1).getByRole("textbox", { name: "Minutes before the next level" }).fill("3");
    await page.getByRole("button", { name: "Add a level" }).click();
    await page.getByRole("combobox", { name: "Add to level 2" }).selectOption({ label: PEOPLE[0].name });
    await page.getByRole("button", { name: "Add to level 2" }).click();
    await level(page, 2).getByRole("textbox", { name: "Minutes before the next level" }).fill("3");
    const whoWhen = page.getByRole("table", { name: "Who is notified when, if nobody acknowledges" });
    await visible(whoWhen.getByText(`${ME.name} (on call in Checkout primary)`));
    await visible(whoWhen.getByText(PEOPLE[0].name));
    await page.getByRole("button", { name: "Create escalation policy" }).click();
    await visible(page.getByRole("heading", { name: "Checkout escalation", level: 1 }));
    const policyId = Number(/\/escalation-policies\/(\d+)$/.exec(page.url())?.[1]);
    expect((await api("GET", "/api/v1/escalation-policies")).body.policies).toContainEqual(
      expect.objectContaining({
        id: policyId,
        levels: [
          { timeoutMinutes: 3, targets: [{ kind: "schedule", id: scheduleId }] },
          { timeoutMinutes: 3, targets: [{ kind: "user", id: ids[0] }] },
        ],
      }),
    );

    // 7. A service on that policy, and an Alertmanager key: shown once, with the receiver snippet.
    await nav(page, "Services");
    await visible(page.getByRole("heading", { name: "Services", level: 1 }));
    await page.getByRole("textbox", { name: /^Name/ }).fill("checkout-api");
    await page.getByLabel("Escalation policy its alerts page").selectOption({ label: "Checkout escalation" });
    await page.getByRole("button", { name: "Create service" }).click();
    await visible(page.getByRole("heading", { name: "checkout-api", level: 1 }));
    await visible(page.getByRole("heading", { name: "Integration key “default” created" }));
    await page.getByRole("button", { name: "Done" }).click();
    await page.getByLabel("Name of the new key").fill("alertmanager");
    await page.getByRole("button", { name: "Create key" }).click();
    const callout = page.locator(".new-key");
    await visible(callout.getByRole("heading", { name: "Integration key “alertmanager” created" }));
    const receiver = callout
      .locator(".snippet", { hasText: "Prometheus Alertmanager receiver" })
      .locator("pre");
    const yaml = (await receiver.textContent()) ?? "";
    const webhookUrl = /url: "([^"]+)"/.exec(yaml)?.[1] ?? "";
    expect(webhookUrl).toMatch(
      new RegExp(`^${served.base.replace(/[.]/g, "\\.")}/api/v1/integrations/alertmanager/[0-9a-f]{32}$`),
    );

    // 8. A real Alertmanager with the snippet's URL; an alert posted to Alertmanager's own API.
    am = await startAlertmanager({ webhookUrl, groupBy: ["alertname"] });
    const fired = Date.now();
    await am.postAlerts([
      {
        labels: { alertname: "CheckoutErrors", service: "checkout-api", severity: "critical" },
        annotations: { summary: SUMMARY },
        generatorURL: "http://prometheus.test/graph?g0.expr=checkout_errors",
      },
    ]);

    // 9. The page reaches the admin (on call now) by email, with an acknowledge link to this server.
    const pageMail = await waitFor(
      () => mine().find((m) => /^\[Firebreak\] Page: checkout-api/.test(m.subject)),
      {
        timeoutMs: 30_000,
        intervalMs: 200,
        message: () =>
          `mail so far: ${JSON.stringify(smtp?.mails.map((m) => [m.to, m.subject]))}\n` +
          `alertmanager:\n${am?.output()}\nfirebreak:\n${served?.running.output()}`,
      },
    );
    const pagedInMs = Date.now() - fired;
    expect(pageMail.subject).toContain(SUMMARY);
    expect(pageMail.body).toContain(`${served.base}/ack/`);
    // Level 2 (Bea) is minutes away: nobody else is paged.
    for (const p of PEOPLE) expect(smtp.to(p.email).filter((m) => /Page:/.test(m.subject))).toEqual([]);

    // 10. The page is acknowledged from the web app, in the admin's own name: the triage incident
    // the alert opened lists its pages with an Acknowledge button.
    const [alert] = (await api("GET", "/api/v1/alerts?status=firing")).body.alerts as Json[];
    expect(alert).toMatchObject({ summary: SUMMARY });
    await page.goto(`/incidents/${alert.incidentId}`);
    const pagesPanel = page.getByRole("region", { name: "Pages" });
    await visible(pagesPanel);
    await pagesPanel.getByRole("button", { name: "Acknowledge" }).click();
    await visible(pagesPanel.getByText(/acknowledged by Administrator/));
    const pages = (await api("GET", `/api/v1/pages?incident=${alert.incidentId}`)).body.pages as Json[];
    expect(pages.filter((p) => p.policyId === policyId)).toEqual([
      expect.objectContaining({
        state: "acknowledged",
        level: 0,
        assignedTo: [adminId],
        acknowledgedBy: adminId,
        acknowledgedAt: expect.any(String),
      }),
    ]);

    // The setup guide now counts what the hour did.
    await page.goto("/setup");
    await visible(page.getByRole("heading", { name: "Setup guide", level: 1 }));
    for (const step of ["Set a password", "Add a contact method", "Connect a first alert source"])
      await visible(page.getByRole("listitem").filter({ hasText: step }).getByText("Done"));

    console.log(
      `first hour: ${Math.round((Date.now() - startedAt) / 1000)} s in the browser; ` +
        `the page email arrived ${pagedInMs} ms after the alert was posted to Alertmanager`,
    );
  });
});
