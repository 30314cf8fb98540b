/**
 * "Send me a test page" against the real server: a test page goes through the engine's delivery job
 * to every contact method of a person — an email that arrives at a real SMTP server on loopback, a
 * signed webhook at a local receiver, and a webhook answering 500 reported failed with its short
 * reason while the others are delivered. It is on no incident, leaves no page behind, is tried once,
 * and a channel that has not answered by the deadline is `no receipt`. Yourself, or an admin for
 * anyone.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PagingDb } from "../../src/paging/store.ts";
import { createTestPages } from "../../src/paging/test-page.ts";
import { createJobs } from "../../src/platform/jobs.ts";
import { createLogger } from "../../src/platform/logger.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { startSmtp } from "../support/smtp.ts";

type Person = Awaited<ReturnType<TestApp["user"]>>;

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let receiver: Server;
let hooks = "";
const received: { path: string; body: string }[] = [];

beforeAll(async () => {
  smtp = await startSmtp();
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", body });
      const status = req.url === "/broken" ? 500 : 200;
      res
        .writeHead(status, { "content-type": "text/plain" })
        .end(status === 200 ? "ok" : "secret stack trace");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  hooks = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  t = await startTestApp({ clockStart: new Date(), smtpUrl: smtp.url });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
  await new Promise((r) => receiver?.close(r));
});

async function method(who: Person, kind: string, label: string, address: string) {
  const r = await who.request("POST", "/api/v1/me/contact-methods", { kind, label, address });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: number };
}

/** Sends the request while a worker runs the jobs it enqueues (the test app has no worker of its own). */
async function withWorker<T>(request: Promise<T>): Promise<T> {
  let done = false;
  const settled = request.finally(() => {
    done = true;
  });
  while (!done) {
    await t.runJobs();
    await new Promise((r) => setTimeout(r, 20));
  }
  return settled;
}

describe("POST /users/{id}/test-page", () => {
  it("reaches every contact method through the delivery job and reports each receipt", async () => {
    const ann = await t.user("ann");
    const mail = await method(ann, "email", "Work mail", "ann@example.com");
    const hook = await method(ann, "webhook", "Pager bridge", `${hooks}/ok`);
    const broken = await method(ann, "webhook", "Broken bridge", `${hooks}/broken`);

    const r = await withWorker(ann.request("POST", `/api/v1/users/${ann.id}/test-page`));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.results).toEqual([
      { contactMethodId: mail.id, kind: "email", label: "Work mail", outcome: "delivered" },
      { contactMethodId: hook.id, kind: "webhook", label: "Pager bridge", outcome: "delivered" },
      {
        contactMethodId: broken.id,
        kind: "webhook",
        label: "Broken bridge",
        outcome: "failed",
        error: "HTTP 500 Internal Server Error",
      },
    ]);
    expect(JSON.stringify(r.body)).not.toContain("secret stack trace");

    const mails = smtp.to("ann@example.com");
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe("[Firebreak] Test page");
    expect(mails[0]!.body).toContain("test page");
    const hookCall = received.find((c) => c.path === "/ok");
    expect(JSON.parse(hookCall!.body)).toMatchObject({
      type: "page.notification",
      subject: "[Firebreak] Test page",
    });

    // Tried once, on no incident: nothing retries the failure, and no page was left behind.
    await t.advanceMinutes(5);
    expect(received.filter((c) => c.path === "/broken")).toHaveLength(1);
    const pages = await t.admin.get("/api/v1/pages");
    expect(pages.body.pages ?? pages.body).toHaveLength(0);
    const db = t.database.db as unknown as PagingDb;
    const test = await db
      .selectFrom("test_pages")
      .selectAll()
      .where("id", "=", r.body.testPageId)
      .executeTakeFirst();
    expect(test?.resolved_at).not.toBeNull();
  });

  it("lets an admin test anyone, and nobody else test someone else", async () => {
    const bo = await t.user("bo");
    const cy = await t.user("cy");
    await method(bo, "webhook", "Bo's hook", `${hooks}/ok`);
    const refused = await cy.request("POST", `/api/v1/users/${bo.id}/test-page`);
    expect(refused.status).toBe(403);
    const byAdmin = await withWorker(t.admin.request("POST", `/api/v1/users/${bo.id}/test-page`));
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.results).toMatchObject([{ label: "Bo's hook", outcome: "delivered" }]);
    expect((await t.admin.request("POST", "/api/v1/users/999999/test-page")).status).toBe(404);
  });

  it("says no receipt when the channel has not answered by the deadline, and the late job sends nothing", async () => {
    const dee = await t.user("dee");
    await method(dee, "webhook", "Dee's hook", `${hooks}/late`);
    // The same service on the same database with a short deadline; no worker runs before it passes.
    const jobs = createJobs(t.database.pool, createLogger("silent"), t.clock);
    const testPages = createTestPages({
      db: t.database.db as unknown as PagingDb,
      clock: t.clock,
      jobs,
      deadlineMs: 200,
    });
    const report = await testPages.send(dee.id, dee.id);
    expect(report.results).toMatchObject([{ label: "Dee's hook", outcome: "no receipt" }]);
    // The test page is resolved: when its delivery job runs at last, it is cancelled, not sent.
    await t.runJobs();
    expect(received.filter((c) => c.path === "/late")).toHaveLength(0);
    const db = t.database.db as unknown as PagingDb;
    const d = await db
      .selectFrom("deliveries")
      .select("status")
      .where("test_page_id", "=", report.testPageId)
      .execute();
    expect(d).toEqual([{ status: "cancelled" }]);
  });
});
