/**
 * "Send me a test notification" against the real server: an email that arrives at a real SMTP
 * server on loopback, a signed webhook that arrives at a local receiver, a webhook answering 500
 * reported failed with its status and nothing more; the outcome read back by id and shown on the
 * contact method list; someone else's method is a 404; the sixth test in a minute is a 429 with
 * Retry-After; and the first-run guide's dismissal is kept per person.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../../src/notify/webhook.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { startSmtp } from "../support/smtp.ts";

type Received = { path: string; headers: IncomingMessage["headers"]; body: string };
type Person = Awaited<ReturnType<TestApp["user"]>>;

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let receiver: Server;
let hooks = "";
const received: Received[] = [];

beforeAll(async () => {
  smtp = await startSmtp();
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
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
  return r.body as { id: number; secret: string | null };
}

describe("POST /me/contact-methods/{id}/test", () => {
  it("delivers an email that arrives, and says so", async () => {
    const ann = await t.user("ann");
    const cm = await method(ann, "email", "Work mail", "ann@example.com");
    const r = await ann.request("POST", `/api/v1/me/contact-methods/${cm.id}/test`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ contactMethodId: cm.id, status: "delivered" });
    expect(r.body.error).toBeUndefined();
    const mails = smtp.to("ann@example.com");
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain("Test notification");
    expect(mails[0]!.body).toContain("Work mail");

    // The outcome is kept: by id, and on the list as the method's latest test and latest message.
    const again = await ann.get(`/api/v1/me/contact-methods/${cm.id}/test/${r.body.id}`);
    expect(again.body).toEqual(r.body);
    const list = await ann.get("/api/v1/me/contact-methods");
    expect(list.body.contactMethods[0]).toMatchObject({
      id: cm.id,
      lastTest: { id: r.body.id, status: "delivered" },
      lastDelivery: { source: "test", status: "delivered" },
    });
  });

  it("delivers a signed webhook that arrives", async () => {
    const bo = await t.user("bo");
    const cm = await method(bo, "webhook", "Pager bridge", `${hooks}/ok`);
    const r = await bo.request("POST", `/api/v1/me/contact-methods/${cm.id}/test`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe("delivered");
    const calls = received.filter((c) => c.path === "/ok");
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    const sig = String(call.headers["firebreak-signature"]);
    const ts = Number(/t=(\d+)/.exec(sig)?.[1]);
    expect(verifyWebhookSignature(call.body, sig, cm.secret ?? "", ts)).toBe(true);
    expect(verifyWebhookSignature(call.body, sig, "another secret", ts)).toBe(false);
    expect(JSON.parse(call.body)).toMatchObject({ subject: "[Firebreak] Test notification" });
    expect(String(call.headers["firebreak-idempotency-key"])).toBe(`test:${r.body.id}`);
  });

  it("reports a webhook answering 500 as failed with its status only, once, on no timeline", async () => {
    const cy = await t.user("cy");
    const cm = await method(cy, "webhook", "Broken bridge", `${hooks}/broken`);
    const r = await cy.request("POST", `/api/v1/me/contact-methods/${cm.id}/test`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: "failed", error: "HTTP 500 Internal Server Error" });
    expect(JSON.stringify(r.body)).not.toContain("secret stack trace");
    await t.advanceMinutes(2); // a test is tried once: nothing is queued to retry it
    expect(received.filter((c) => c.path === "/broken")).toHaveLength(1);
    const list = await cy.get("/api/v1/me/contact-methods");
    expect(list.body.contactMethods[0].lastDelivery).toMatchObject({
      source: "test",
      status: "failed",
      error: "HTTP 500 Internal Server Error",
    });
  });

  it("answers 404 for someone else's contact method and their tests", async () => {
    const dee = await t.user("dee");
    const eve = await t.user("eve");
    const cm = await method(dee, "webhook", "Dee's hook", `${hooks}/ok`);
    const sent = await dee.request("POST", `/api/v1/me/contact-methods/${cm.id}/test`);
    const before = received.length;
    const r = await eve.request("POST", `/api/v1/me/contact-methods/${cm.id}/test`);
    expect(r.status).toBe(404);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect((await eve.get(`/api/v1/me/contact-methods/${cm.id}/test/${sent.body.id}`)).status).toBe(404);
    expect((await t.admin.request("POST", `/api/v1/me/contact-methods/${cm.id}/test`)).status).toBe(404);
    expect(received.length).toBe(before);
    expect((await dee.request("POST", "/api/v1/me/contact-methods/999999/test")).status).toBe(404);
  });

  it("allows five tests a minute per person, then 429 with Retry-After; a minute on, one more", async () => {
    const fay = await t.user("fay");
    const cm = await method(fay, "webhook", "Fay's hook", `${hooks}/ok`);
    for (let i = 0; i < 5; i++) {
      const r = await fay.request("POST", `/api/v1/me/contact-methods/${cm.id}/test`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const refused = await fay.request("POST", `/api/v1/me/contact-methods/${cm.id}/test`);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(refused.body.detail).toMatch(/5 test notifications in the last minute/);
    // Someone else is not limited by Fay's tests.
    const gus = await t.user("gus");
    const other = await method(gus, "webhook", "Gus's hook", `${hooks}/ok`);
    expect((await gus.request("POST", `/api/v1/me/contact-methods/${other.id}/test`)).status).toBe(200);
    t.clock.advanceMinutes(1);
    expect((await fay.request("POST", `/api/v1/me/contact-methods/${cm.id}/test`)).status).toBe(200);
  });
});

describe("GET/PUT /me/preferences", () => {
  it("keeps the first-run guide's dismissal per person", async () => {
    const hal = await t.user("hal", "admin");
    expect((await hal.get("/api/v1/me/preferences")).body).toEqual({ setupGuideDismissed: false });
    const put = await hal.request("PUT", "/api/v1/me/preferences", { setupGuideDismissed: true });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toEqual({ setupGuideDismissed: true });
    expect((await hal.get("/api/v1/me/preferences")).body).toEqual({ setupGuideDismissed: true });
    expect((await t.admin.get("/api/v1/me/preferences")).body).toEqual({ setupGuideDismissed: false });
    expect((await hal.request("PUT", "/api/v1/me/preferences", { setupGuideDismissed: false })).body).toEqual(
      { setupGuideDismissed: false },
    );
    const bad = await hal.request("PUT", "/api/v1/me/preferences", { colour: "red" });
    expect(bad.status).toBe(400);
  });
});
