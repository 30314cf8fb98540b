/** Real webhooks to a local HTTP receiver: signed, retried with the same key, failures visible. */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../../src/notify/webhook.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

type Received = { path: string; headers: IncomingMessage["headers"]; body: string };

let t: TestApp;
let receiver: Server;
let base = "";
const received: Received[] = [];
/** Status to answer per path, consumed in order; the last one repeats. */
const answers = new Map<string, number[]>();

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
      const queue = answers.get(req.url ?? "") ?? [200];
      const status = queue.length > 1 ? queue.shift()! : queue[0]!;
      res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "no");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  t = await startTestApp({ clockStart: new Date() });
});
afterAll(async () => {
  await t?.close();
  await new Promise((r) => receiver?.close(r));
});

async function pageThroughWebhook(name: string, path: string) {
  const who = await t.user(name);
  const cm = await who.request("POST", "/api/v1/me/contact-methods", {
    kind: "webhook",
    label: "hook",
    address: `${base}${path}`,
  });
  expect(cm.status, JSON.stringify(cm.body)).toBe(201);
  await who.request("POST", "/api/v1/me/notification-rules", {
    contactMethodId: cm.body.id,
    urgency: "high",
    delayMinutes: 0,
  });
  const policy = await t.admin.request("POST", "/api/v1/escalation-policies", {
    name: `hook ${name}`,
    levels: [{ timeoutMinutes: 30, targets: [{ kind: "user", id: who.id }] }],
  });
  const page = await who.request("POST", "/api/v1/pages", {
    policyId: policy.body.id,
    title: `paging ${name}`,
  });
  await t.runJobs();
  return { who, secret: cm.body.secret as string, pageId: page.body.id as number };
}

describe("webhook notifications", () => {
  it("a retryable failure is retried with the same idempotency key and a valid signature, then delivered", async () => {
    answers.set("/flaky", [500, 200]);
    const { who, secret, pageId } = await pageThroughWebhook("flo", "/flaky");
    let page = (await who.get(`/api/v1/pages/${pageId}`)).body;
    expect(page.deliveries[0]).toMatchObject({ status: "failed-retryable", attempts: 1 });
    await t.advanceMinutes(1); // past the worker's back-off
    page = (await who.get(`/api/v1/pages/${pageId}`)).body;
    expect(page.deliveries[0]).toMatchObject({ status: "delivered", attempts: 2 });

    const calls = received.filter((r) => r.path === "/flaky");
    expect(calls).toHaveLength(2);
    expect(calls[0]!.headers["firebreak-idempotency-key"]).toBe(
      calls[1]!.headers["firebreak-idempotency-key"],
    );
    for (const c of calls) {
      const sig = String(c.headers["firebreak-signature"]);
      const ts = Number(/t=(\d+)/.exec(sig)?.[1]);
      expect(verifyWebhookSignature(c.body, sig, secret, ts)).toBe(true);
      expect(verifyWebhookSignature(`${c.body} `, sig, secret, ts)).toBe(false);
      expect(JSON.parse(c.body).pages[0].title).toBe("paging flo");
    }
  });

  it("a permanent failure stops, shows on the page, and is counted in /metrics", async () => {
    answers.set("/gone", [410]);
    const { who, pageId } = await pageThroughWebhook("gus", "/gone");
    await t.advanceMinutes(5);
    const page = (await who.get(`/api/v1/pages/${pageId}`)).body;
    expect(page.deliveries).toHaveLength(1);
    expect(page.deliveries[0].status).toBe("failed-permanent");
    expect(page.deliveries[0].lastError).toContain("410");
    expect(page.events.map((e: { kind: string }) => e.kind)).toContain("page-notification-failed");
    expect(received.filter((r) => r.path === "/gone")).toHaveLength(1); // not retried
    const metrics = await (
      await fetch(`${t.base}/metrics`, { headers: { authorization: `Bearer ${t.admin.token}` } })
    ).text();
    expect(metrics).toMatch(
      /firebreak_notification_deliveries_total\{channel="webhook",status="failed-permanent"\} 1/,
    );
  });
});
