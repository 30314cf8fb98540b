/**
 * Profile → contact methods and notification rules, as a person sets them up: an email method whose
 * test notification arrives at a real SMTP server on loopback and reads "Delivered"; a webhook that
 * answers 500 reads "Failed: HTTP 500 Internal Server Error"; a refused address is shown at its
 * field with what was typed kept; a high-urgency rule is added naming its method and removed; a
 * method is removed. At 390 px the profile does not scroll sideways.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
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
import { type NtfyServer, startNtfyServer } from "../support/ntfy.ts";
import { startSmtp } from "../support/smtp.ts";

let b: BrowserApp;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let receiver: Server;
let hooks = "";
let ria: Person;
let ntfy: NtfyServer;

beforeAll(async () => {
  smtp = await startSmtp();
  ntfy = await startNtfyServer();
  receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(req.url === "/broken" ? 500 : 200).end());
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  hooks = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  b = await startBrowserApp({ smtpUrl: smtp.url });
  ria = await b.person("ria", "responder", "Ria Responder");
}, 120_000);
afterAll(async () => {
  await b?.close();
  await smtp?.close();
  await ntfy?.close();
  await new Promise((r) => receiver?.close(r));
});

describe("profile: contact methods and notification rules", browserTest, () => {
  it("adds email and webhook methods, tests each (delivered / failed with the reason), adds a rule", async () => {
    const page = await b.signedIn(ria);
    await page.goto("/profile");
    const contacts = page.getByRole("region", { name: "Contact methods" });
    await visible(contacts.getByText("No contact methods yet"));

    // An email method; its test arrives at the SMTP server.
    await contacts.getByLabel("Label").fill("Work mail");
    await contacts.getByLabel("Email address").fill("ria@example.com");
    await contacts.getByRole("button", { name: "Add contact method" }).click();
    const mail = contacts.getByRole("listitem", { name: "Work mail (email)" });
    await visible(mail);
    await mail.getByRole("button", { name: "Send me a test notification through Work mail" }).click();
    await visible(mail.getByRole("status").getByText("Test notification to Work mail: Delivered"));
    expect(smtp.to("ria@example.com").map((m) => m.subject)).toEqual(["[Firebreak] Test notification"]);
    await visible(mail.getByText("Last message (test):"));

    // A refused address stays typed, with the message at its field (the server refuses loopback
    // only when not allowed; here the form's own check catches a non-URL first).
    await contacts.getByLabel("Kind").selectOption("webhook");
    await contacts.getByLabel("Label").fill("Broken bridge");
    await contacts.getByLabel("URL").fill("not a url");
    await contacts.getByRole("button", { name: "Add contact method" }).click();
    await visible(contacts.getByText("expected an http:// or https:// URL"));
    expect(await contacts.getByLabel("URL").getAttribute("aria-invalid")).toBe("true");
    expect(await contacts.getByLabel("Label").inputValue()).toBe("Broken bridge");

    // A webhook that answers 500: the test reads failed, with the status and its name only.
    await contacts.getByLabel("URL").fill(`${hooks}/broken`);
    await contacts.getByRole("button", { name: "Add contact method" }).click();
    const hook = contacts.getByRole("listitem", { name: "Broken bridge (webhook)" });
    await visible(hook);
    await visible(hook.getByText("Signing secret:"));
    await hook.getByRole("button", { name: "Send me a test notification through Broken bridge" }).click();
    await visible(
      hook
        .getByRole("status")
        .getByText("Test notification to Broken bridge: Failed: HTTP 500 Internal Server Error"),
    );

    // A rule: high-urgency pages reach Work mail at once; the table names the method.
    const rules = page.getByRole("region", { name: "Notification rules" });
    await visible(rules.getByText("You have no rule for high-urgency pages"));
    await rules.getByLabel("Minutes after the page").fill("2.5");
    await rules.getByRole("button", { name: "Add rule" }).click();
    await visible(rules.getByText("expected a whole number of minutes from 0 to 1440"));
    await rules.getByLabel("Minutes after the page").fill("0");
    await rules.getByLabel("Use contact method").selectOption({ label: "Work mail (email)" });
    await rules.getByRole("button", { name: "Add rule" }).click();
    const table = rules.getByRole("table", { name: "Your notification rules, in the order they notify you" });
    const row = table.getByRole("row").filter({ hasText: "Work mail (email)" });
    await visible(row.getByText("High urgency"));
    await visible(row.getByText("at once"));
    await hidden(rules.getByText("You have no rule for high-urgency pages"));
    const stored = (await ria.api.get("/api/v1/me/notification-rules")).body.rules;
    expect(stored).toMatchObject([{ urgency: "high", delayMinutes: 0 }]);
    await screenshot(page, "profile-contacts", { fullPage: true });

    // Removing: the rule, then the broken method.
    await row.getByRole("button", { name: /^Remove rule: high urgency, at once, Work mail/ }).click();
    await hidden(table);
    page.once("dialog", (d) => void d.accept());
    await hook.getByRole("button", { name: "Remove Broken bridge" }).click();
    await hidden(hook);
    expect((await ria.api.get("/api/v1/me/contact-methods")).body.contactMethods).toHaveLength(1);
  });

  it("an ntfy topic is verified with the code published to it; until then it offers no test", async () => {
    const page = await b.signedIn(ria);
    await page.goto("/profile");
    const contacts = page.getByRole("region", { name: "Contact methods" });
    await contacts.getByLabel("Kind").selectOption("ntfy");
    await contacts.getByLabel("Label").fill("Phone");
    await contacts.getByLabel("Topic URL").fill(`${ntfy.base}/firebreak-ria`);
    await contacts.getByRole("button", { name: "Add contact method" }).click();
    const method = contacts.getByRole("listitem", { name: "Phone (ntfy)" });
    await visible(method.getByText("unverified"));
    await hidden(method.getByRole("button", { name: "Send me a test notification through Phone" }));
    const published = ntfy.messages.find((m) => m.topic === "firebreak-ria");
    const code = /verification code is (\d{6})/.exec(published?.title ?? "")?.[1] ?? "";
    expect(code).toMatch(/^\d{6}$/);

    // A wrong code is refused at the field, saying how many tries are left.
    const field = method.getByLabel("Code sent to Phone");
    await field.fill(code === "000000" ? "111111" : "000000");
    await method.getByRole("button", { name: "Verify" }).click();
    await visible(method.getByText(/wrong code: .* 4 tries left/));
    await method.evaluate((el) => el.scrollIntoView({ block: "center" }));
    await screenshot(page, "profile-contact-verify");
    await field.fill(code);
    await method.getByRole("button", { name: "Verify" }).click();
    await hidden(method.getByText("unverified"));
    await visible(method.getByRole("button", { name: "Send me a test notification through Phone" }));
  });

  it("fits a phone", async () => {
    const page = await b.signedIn(ria, { viewport: phone });
    await page.goto("/profile");
    await visible(page.getByRole("listitem", { name: "Work mail (email)" }));
    const overflow = await sidewaysScroll(page);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
