/**
 * Profile → "Send me a test page" in a real browser: a person with an email method (a real SMTP
 * server on loopback) and a webhook answering 500 presses the button; the test page goes through
 * the delivery job (run by a worker loop beside the test) and each method's outcome is listed:
 * the email delivered, the webhook failed with its short reason.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserApp, browserTest, type Person, startBrowserApp, visible } from "../support/browser.ts";
import { startSmtp } from "../support/smtp.ts";

let b: BrowserApp;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let receiver: Server;
let hooks = "";
let tia: Person;
let working = true;
let worker: Promise<void> | undefined;

beforeAll(async () => {
  smtp = await startSmtp();
  receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(req.url === "/broken" ? 500 : 200).end());
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  hooks = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  b = await startBrowserApp({ smtpUrl: smtp.url });
  tia = await b.person("tia", "responder", "Tia Tester");
  // The test app has no worker of its own: this loop is one, running the delivery jobs.
  worker = (async () => {
    while (working) {
      await b.t.runJobs();
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
}, 120_000);
afterAll(async () => {
  working = false;
  await worker;
  await b?.close();
  await smtp?.close();
  await new Promise((r) => receiver?.close(r));
});

describe("profile: send me a test page", browserTest, () => {
  it("lists each contact method's outcome: delivered, or failed with the reason", async () => {
    for (const body of [
      { kind: "email", label: "Work mail", address: "tia@example.com" },
      { kind: "webhook", label: "Broken bridge", address: `${hooks}/broken` },
    ]) {
      const r = await tia.api.request("POST", "/api/v1/me/contact-methods", body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const page = await b.signedIn(tia);
    await page.goto("/profile");
    const contacts = page.getByRole("region", { name: "Contact methods" });
    await contacts.getByRole("button", { name: "Send me a test page" }).click();
    const outcomes = contacts.getByRole("list", { name: "Test page outcomes" });
    await visible(outcomes.getByText("Work mail (email): delivered"), 30_000);
    await visible(outcomes.getByText("Broken bridge (webhook): failed — HTTP 500 Internal Server Error"));
    await visible(contacts.getByText("1 of 2 contact methods did not confirm the test page."));
    expect(smtp.to("tia@example.com").map((m) => m.subject)).toEqual(["[Firebreak] Test page"]);
  });
});
