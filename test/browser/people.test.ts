/**
 * The People screen, as an admin sets up a team: adds a person with a first password (a bad and a
 * taken username are refused at the field, nothing typed is lost), changes their role, is refused
 * deactivating someone a rotation and a policy rely on and is shown links to both, resets a
 * password that then signs in, issues a token shown once that then works, and adds the person to a
 * team. A responder is not offered the screen and is told it is for admins.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrowserApp,
  browserTest,
  focused,
  hidden,
  type Person,
  phone,
  screenshot,
  sidewaysScroll,
  signInWithPassword,
  startBrowserApp,
  visible,
} from "../support/browser.ts";

let b: BrowserApp;
let ada: Person;
let rob: Person;
let ola: Person;
let scheduleId: number;
let policyId: number;
let teamId: number;

beforeAll(async () => {
  b = await startBrowserApp();
  await b.t.seedOnCall();
  ada = await b.person("ada", "admin", "Ada Admin");
  rob = await b.person("rob", "responder", "Rob Roe");
  ola = await b.person("ola", "responder", "Ola Oncall");
  // Ola is relied on: a rotation and an escalation policy name her.
  const s = await b.t.admin.request("POST", "/api/v1/schedules", {
    name: "Ola's rota",
    timeZone: "UTC",
    layers: [
      {
        name: "weekly",
        timeZone: "UTC",
        participants: [ola.id],
        shiftLength: { unit: "weeks", count: 1 },
        start: "2026-03-02T09:00",
      },
    ],
  });
  expect(s.status, JSON.stringify(s.body)).toBe(201);
  scheduleId = s.body.id;
  const p = await b.t.admin.request("POST", "/api/v1/escalation-policies", {
    name: "Ola direct",
    levels: [{ timeoutMinutes: 15, targets: [{ kind: "user", id: ola.id }] }],
  });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
  policyId = p.body.id;
  const team = await b.t.admin.request("POST", "/api/v1/teams", { slug: "payments", name: "Payments" });
  expect(team.status, JSON.stringify(team.body)).toBe(201);
  teamId = team.body.id;
}, 120_000);
afterAll(() => b?.close());

describe("the People screen", browserTest, () => {
  it("adds a person, edits their role, shows where someone is relied on, resets a password, issues a token and adds a team", async () => {
    const page = await b.signedIn(ada);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "People" }).click();
    await visible(page.getByRole("heading", { name: "People", level: 1 }));
    const table = page.getByRole("table", { name: /people/ });
    const olaRow = table.getByRole("row").filter({ hasText: "Ola Oncall" });
    await visible(olaRow);
    // Teams arrive after the list (one request per team): wait for them, not for "…".
    await visible(olaRow.getByRole("cell", { name: "Default team (responder)" }));
    // Made through the API with a password: the list says so.
    expect(await olaRow.getByRole("cell").allTextContents()).toEqual([
      "none",
      "responder",
      "active",
      "yes",
      "Default team (responder)",
      "Manage",
    ]);

    // Add a person: a bad username is refused before sending, a taken one by the API; the form keeps what was typed.
    await page.getByRole("button", { name: "Add a person" }).click();
    const form = page.getByRole("region", { name: "Add a person" });
    const username = form.getByRole("textbox", { name: "Username", exact: true });
    await focused(username);
    await username.fill("Nia North");
    await form.getByRole("textbox", { name: "Name", exact: true }).fill("Nia North");
    await form.getByRole("textbox", { name: "Email (optional)" }).fill("nia@example.com");
    await form.getByRole("combobox", { name: "Role", exact: true }).selectOption("viewer");
    await form.getByLabel("First password (optional)").fill("first password 123");
    await form.getByRole("button", { name: "Add person" }).click();
    await visible(form.getByText("expected lowercase letters, digits, . _ - (up to 63)"));
    expect(await username.getAttribute("aria-invalid")).toBe("true");
    await username.fill("rob");
    await form.getByRole("button", { name: "Add person" }).click();
    await visible(form.getByText("username rob is taken; choose another"));
    expect(await form.getByRole("textbox", { name: "Name", exact: true }).inputValue()).toBe("Nia North");
    expect(await form.getByLabel("First password (optional)").inputValue()).toBe("first password 123");
    await username.fill("nia");
    await form.getByRole("button", { name: "Add person" }).click();
    await hidden(form);

    // Their panel opens, with the keyboard on its heading.
    const panel = page.getByRole("region", { name: "Nia North (nia)" });
    const panelHeading = panel.getByRole("heading", { name: "Nia North (nia)", level: 2 });
    await visible(panelHeading);
    await focused(panelHeading);
    expect(new URL(page.url()).searchParams.get("person")).toMatch(/^\d+$/);
    const niaId = Number(new URL(page.url()).searchParams.get("person"));
    const niaRow = table.getByRole("row").filter({ hasText: "nia@example.com" });
    await visible(niaRow.getByRole("cell", { name: "viewer", exact: true }));

    // Edit the role.
    await panel.getByRole("combobox", { name: "Role", exact: true }).selectOption("responder");
    await panel.getByRole("button", { name: "Save changes" }).click();
    await visible(panel.getByText("Saved: Nia North is a responder."));
    await visible(niaRow.getByRole("cell", { name: "responder", exact: true }));
    expect(
      (await b.t.admin.get("/api/v1/users")).body.users.find((u: { id: number }) => u.id === niaId).role,
    ).toBe("responder");

    // Reset her password; she signs in with it.
    await panel.getByLabel("New password for nia").fill("a brand new password");
    await panel.getByRole("button", { name: "Set password" }).click();
    await visible(panel.getByText("Password set. Nia North's other sessions were signed out."));
    const niaPage = await b.newPage();
    await signInWithPassword(niaPage, "nia", "a brand new password");

    // Issue her a token: shown once, and it works.
    await panel.getByRole("textbox", { name: "Name of the token" }).fill("nia laptop");
    await panel.getByRole("button", { name: "Issue token" }).click();
    const secret = (await visible(panel.locator(".secret code"))).first();
    const token = (await secret.textContent()) ?? "";
    expect(token).toMatch(/^fbk_/);
    await visible(panel.getByRole("button", { name: "Copy token" }));
    const me = await fetch(`${b.t.base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await me.json()) as { username: string }).username).toBe("nia");
    await panel.getByRole("button", { name: "Done" }).click();
    await hidden(panel.locator(".secret"));
    expect(await page.getByText(token).count()).toBe(0);

    // Add her to a team as its admin.
    await panel.getByRole("combobox", { name: "Add to team" }).selectOption({ label: "Payments" });
    await panel.getByRole("combobox", { name: "With the role" }).selectOption("admin");
    await panel.getByRole("button", { name: "Add to team" }).click();
    await visible(panel.getByText("nia is an admin in Payments."));
    await visible(panel.getByRole("combobox", { name: "Role of Nia North in Payments" }));
    await visible(niaRow.getByText("Default team (responder), Payments (admin)"));
    const members = (await b.t.admin.get(`/api/v1/teams/${teamId}`)).body.members;
    expect(members).toEqual([expect.objectContaining({ userId: niaId, role: "admin" })]);
    await screenshot(page, "people", { fullPage: true });

    // Ola is on a rotation and a policy: deactivating her is refused with links to both.
    await olaRow.getByRole("button", { name: "Manage Ola Oncall (ola)" }).click();
    const olaPanel = page.getByRole("region", { name: "Ola Oncall (ola)" });
    await olaPanel.getByRole("button", { name: "Deactivate ola…" }).click();
    await olaPanel.getByRole("button", { name: "Deactivate ola", exact: true }).click();
    await visible(olaPanel.getByText("Ola Oncall is still relied on"));
    const rota = olaPanel.getByRole("link", { name: "Schedule Ola's rota" });
    expect(await rota.getAttribute("href")).toBe(`/schedules/${scheduleId}`);
    expect(
      await olaPanel.getByRole("link", { name: "Escalation policy Ola direct" }).getAttribute("href"),
    ).toBe(`/escalation-policies/${policyId}`);
    await visible(olaRow.getByRole("cell", { name: "active", exact: true }));
    expect(
      (await b.t.admin.get("/api/v1/users")).body.users.find((u: { id: number }) => u.id === ola.id).active,
    ).toBe(true);

    // Closing the panel gives the keyboard back to the row's button.
    await olaPanel.getByRole("button", { name: "Close" }).click();
    await hidden(olaPanel);
    const manageOla = olaRow.getByRole("button", { name: "Manage Ola Oncall (ola)" });
    await focused(manageOla);
  });

  it("deactivates and reactivates someone no rotation relies on", async () => {
    const page = await b.signedIn(ada);
    await page.goto(`/people?person=${rob.id}`);
    const panel = page.getByRole("region", { name: "Rob Roe (rob)" });
    await panel.getByRole("button", { name: "Deactivate rob…" }).click();
    await panel.getByRole("button", { name: "Deactivate rob", exact: true }).click();
    await visible(panel.getByText("rob is deactivated."));
    const row = page
      .getByRole("table", { name: /people/ })
      .getByRole("row")
      .filter({ hasText: "Rob Roe" });
    await visible(row.getByText("deactivated"));
    expect((await rob.api.get("/api/v1/me")).status).toBe(401);
    await panel.getByRole("button", { name: "Reactivate rob" }).click();
    await visible(panel.getByText("rob is active again."));
    await visible(row.getByRole("cell", { name: "active", exact: true }));
  });

  it("fits a phone: the list scrolls in its own region, not the page", async () => {
    const page = await b.signedIn(ada, { viewport: phone });
    await page.goto(`/people?person=${ola.id}`);
    await visible(page.getByRole("region", { name: "Ola Oncall (ola)" }));
    const overflow = await sidewaysScroll(page);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it("is not offered to a responder, and tells one who opens it that it is for admins", async () => {
    const page = await b.signedIn(rob);
    const nav = page.getByRole("navigation", { name: "Main" });
    await visible(nav.getByRole("link", { name: "Tokens" }));
    expect(await nav.getByRole("link", { name: "People" }).count()).toBe(0);
    await page.goto("/people");
    await visible(page.getByRole("heading", { name: "People", level: 1 }));
    await visible(page.getByText("Managing people is for admins only."));
    expect(await page.getByRole("table").count()).toBe(0);
  });
});
