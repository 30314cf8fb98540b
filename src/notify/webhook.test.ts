import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { createOutbound } from "../platform/outbound.ts";
import type { Notification } from "./model.ts";
import { createWebhookChannel, signWebhook, verifyWebhookSignature, type WebhookPayload } from "./webhook.ts";

type Recorded = { method: string; headers: http.IncomingHttpHeaders; body: string };
type Reply = (req: Recorded, res: http.ServerResponse) => void;

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/** A real HTTP receiver on loopback that records each request's raw body before replying. */
async function receiver(reply: Reply = (_r, res) => res.end("thanks")) {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rec = {
        method: req.method ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(rec);
      reply(rec, res);
    });
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/firebreak`;
  return { url, requests };
}

const secret = "whsec_test_0123456789";
const at = new Date("2026-03-01T12:00:00Z");
const atSeconds = at.getTime() / 1000;
const notification = (url: string, over: Partial<Notification> = {}): Notification => ({
  idempotencyKey: "page:12:rule:1:step:1",
  to: { kind: "webhook", url, secret },
  subject: "[HIGH] Checkout errors",
  text: "Page #12 is waiting for you.",
  links: [{ label: "Acknowledge", url: "https://firebreak.example/ack/12?t=abc" }],
  pages: [
    { id: 12, title: "Checkout errors", urgency: "high", ackUrl: "https://firebreak.example/ack/12?t=abc" },
  ],
  ...over,
});
/** The receivers listen on loopback, which only OUTBOUND_ALLOWED_HOSTS opens. */
const loopback = createOutbound({ allowedHosts: ["127.0.0.1"] });
const channel = (timeoutMs = 2000) => createWebhookChannel({ now: () => at, timeoutMs, outbound: loopback });

describe("webhook channel against a real HTTP receiver", () => {
  it("POSTs the signed JSON payload with the idempotency header", async () => {
    const r = await receiver();
    expect(await channel().send(notification(r.url))).toEqual({ status: "delivered" });
    const [req] = r.requests;
    expect(req?.method).toBe("POST");
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(req?.headers["firebreak-idempotency-key"]).toBe("page:12:rule:1:step:1");
    const payload = JSON.parse(req?.body ?? "") as WebhookPayload;
    expect(payload).toEqual({
      type: "page.notification",
      idempotencyKey: "page:12:rule:1:step:1",
      subject: "[HIGH] Checkout errors",
      text: "Page #12 is waiting for you.",
      links: notification(r.url).links,
      pages: notification(r.url).pages,
      sentAt: "2026-03-01T12:00:00.000Z",
    });
    const header = String(req?.headers["firebreak-signature"]);
    expect(header).toMatch(/^t=1772366400,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(req?.body ?? "", header, secret, atSeconds + 10)).toBe(true);
  });

  it("500 is retryable", async () => {
    const r = await receiver((_q, res) => res.writeHead(500).end("boom"));
    expect(await channel().send(notification(r.url))).toEqual({
      status: "failed-retryable",
      reason: "HTTP 500 Internal Server Error",
    });
  });

  it("429 with Retry-After: 7 is retryable after 7000 ms; an HTTP-date counts from now", async () => {
    const r = await receiver((_q, res) => res.writeHead(429, { "Retry-After": "7" }).end());
    expect(await channel().send(notification(r.url))).toMatchObject({
      status: "failed-retryable",
      retryAfterMs: 7000,
    });
    const d = await receiver((_q, res) =>
      res.writeHead(503, { "Retry-After": new Date(at.getTime() + 30_000).toUTCString() }).end(),
    );
    expect(await channel().send(notification(d.url))).toMatchObject({
      status: "failed-retryable",
      retryAfterMs: 30_000,
    });
  });

  it("410 and other 4xx are permanent; 408 is retryable; a redirect is not followed", async () => {
    const gone = await receiver((_q, res) => res.writeHead(410).end("gone"));
    expect(await channel().send(notification(gone.url))).toEqual({
      status: "failed-permanent",
      reason: "HTTP 410 Gone",
    });
    const timeout = await receiver((_q, res) => res.writeHead(408).end());
    expect(await channel().send(notification(timeout.url))).toMatchObject({ status: "failed-retryable" });
    const moved = await receiver((_q, res) => res.writeHead(301, { Location: gone.url }).end());
    expect(await channel().send(notification(moved.url))).toMatchObject({ status: "failed-permanent" });
    expect(gone.requests).toHaveLength(1);
  });

  it("without OUTBOUND_ALLOWED_HOSTS a loopback receiver is refused for good, and receives nothing", async () => {
    const r = await receiver();
    const strict = createWebhookChannel({ now: () => at, outbound: createOutbound() });
    expect(await strict.send(notification(r.url))).toEqual({
      status: "failed-permanent",
      reason: "refused: 127.0.0.1 is not on the public internet",
    });
    expect(r.requests).toHaveLength(0);
  });

  it("a receiver that never answers is retryable after the timeout", async () => {
    const r = await receiver(() => {}); // holds every request open
    const started = Date.now();
    const result = await channel(200).send(notification(r.url));
    expect(result).toEqual({ status: "failed-retryable", reason: "timeout after 200 ms" });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("connection refused is retryable; non-http URLs and empty secrets are permanent", async () => {
    const r = await receiver();
    const url = r.url;
    for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve)); // nothing connected yet
    expect(await channel().send(notification(url))).toEqual({
      status: "failed-retryable",
      reason: "ECONNREFUSED",
    });
    for (const bad of ["file:///etc/passwd", "ftp://x.example/", "not a url"]) {
      expect(await channel().send(notification(bad))).toMatchObject({ status: "failed-permanent" });
    }
    const noSecret = notification(url, { to: { kind: "webhook", url, secret: "" } });
    expect(await channel().send(noSecret)).toMatchObject({ status: "failed-permanent" });
  });
});

describe("verifyWebhookSignature", () => {
  const body = JSON.stringify({ type: "page.notification", subject: "Checkout errors" });
  const header = signWebhook(body, secret, atSeconds);

  it("accepts the signed body and rejects a tampered body, a wrong secret and a stale timestamp", () => {
    expect(verifyWebhookSignature(body, header, secret, atSeconds)).toBe(true);
    expect(verifyWebhookSignature(body.replace("Checkout", "Checkin"), header, secret, atSeconds)).toBe(
      false,
    );
    expect(verifyWebhookSignature(body, header, "another-secret", atSeconds)).toBe(false);
    expect(verifyWebhookSignature(body, header, secret, atSeconds + 301)).toBe(false);
    expect(verifyWebhookSignature(body, header, secret, atSeconds + 300)).toBe(true);
    expect(verifyWebhookSignature(body, header, secret, atSeconds + 3600, 7200)).toBe(true);
  });

  it("rejects a replayed signature moved to a new timestamp, malformed headers and an empty secret", () => {
    const v1 = header.split("v1=")[1];
    expect(verifyWebhookSignature(body, `t=${atSeconds + 600},v1=${v1}`, secret, atSeconds + 600)).toBe(
      false,
    );
    for (const bad of [
      "",
      "garbage",
      `t=${atSeconds}`,
      `v1=${v1}`,
      `t=abc,v1=${v1}`,
      `t=${atSeconds},v1=zz`,
    ]) {
      expect(verifyWebhookSignature(body, bad, secret, atSeconds)).toBe(false);
    }
    expect(verifyWebhookSignature(body, signWebhook(body, "", atSeconds), "", atSeconds)).toBe(false);
  });

  it("accepts any matching v1 among several (secret rotation)", () => {
    const other = signWebhook(body, "old-secret", atSeconds).split("v1=")[1];
    expect(verifyWebhookSignature(body, `${header},v1=${other}`, "old-secret", atSeconds)).toBe(true);
  });

  it("property: sign/verify round-trips; changing any one character of the body fails", () => {
    // Any Unicode scalar value (fast-check's "binary" unit costs seconds to warm up).
    const codePoint = fc
      .integer({ min: 0, max: 0x10ffff })
      .filter((c) => c < 0xd800 || c > 0xdfff)
      .map((c) => String.fromCodePoint(c));
    const text = (maxLength: number) =>
      fc.array(codePoint, { minLength: 1, maxLength }).map((a) => a.join(""));
    fc.assert(
      fc.property(
        text(200),
        text(64),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.nat(),
        codePoint,
        (raw, key, t, position, replacement) => {
          const h = signWebhook(raw, key, t);
          const chars = Array.from(raw); // code points, so the change stays one well-formed character
          const i = position % chars.length;
          fc.pre(chars[i] !== replacement);
          chars[i] = replacement;
          return verifyWebhookSignature(raw, h, key, t) && !verifyWebhookSignature(chars.join(""), h, key, t);
        },
      ),
      { numRuns: 300 },
    );
  });
});
