/**
 * Web Push to a local HTTP server acting as the browser vendor's push service (RFC 8030): a page
 * arrives as an encrypted `aes128gcm` POST (RFC 8188/8291) with VAPID authorization (RFC 8292),
 * TTL and Urgency. The test holds the subscription's private key, as the browser would, and
 * decrypts the message itself (RFC 8291 §3.4) to read the payload the service worker shows.
 */
import { createDecipheriv, createECDH, createHmac, createPublicKey, randomBytes, verify } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushPayload } from "../../src/notify/push.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

type Received = { path: string; headers: IncomingMessage["headers"]; body: Buffer };

let t: TestApp;
let pushService: Server;
let base = "";
const received: Received[] = [];
/** Status the push service answers per path (201 Created, as RFC 8030 §5 says). */
const answers = new Map<string, number>();

beforeAll(async () => {
  pushService = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(answers.get(req.url ?? "") ?? 201, { location: `${base}/m/1` }).end();
    });
  });
  await new Promise<void>((r) => pushService.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(pushService.address() as AddressInfo).port}`;
  t = await startTestApp({ clockStart: new Date() });
});
afterAll(async () => {
  await t?.close();
  await new Promise((r) => pushService?.close(r));
});

/** A browser's side of a subscription: its ECDH key pair and auth secret. */
function browserKeys() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    ecdh,
    auth,
    json: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: auth.toString("base64url") },
  };
}

const hmac = (key: Buffer, data: Buffer) => createHmac("sha256", key).update(data).digest();

/** RFC 8291 §3.4 and RFC 8188: what the browser does with the pushed body. */
function decrypt(body: Buffer, keys: ReturnType<typeof browserKeys>): string {
  const salt = body.subarray(0, 16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const ecdhSecret = keys.ecdh.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), keys.ecdh.getPublicKey(), asPublic]);
  const ikm = hmac(hmac(keys.auth, ecdhSecret), Buffer.concat([keyInfo, Buffer.from([1])]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from("Content-Encoding: aes128gcm\0\x01")).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from("Content-Encoding: nonce\0\x01")).subarray(0, 12);
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const plain = Buffer.concat([
    decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
    decipher.final(),
  ]);
  // The last record ends with the delimiter 0x02, then zero padding.
  let end = plain.length - 1;
  while (plain[end] === 0) end--;
  expect(plain[end]).toBe(2);
  return plain.subarray(0, end).toString("utf8");
}

/** RFC 8292 §3: `vapid t=<JWT signed ES256>, k=<public key>`; the JWT's audience is the push service. */
function checkVapid(header: string, publicKey: string, audience: string) {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header);
  expect(m, header).not.toBeNull();
  const [jwt, k] = [m![1]!, m![2]!];
  expect(k).toBe(publicKey);
  const [h, p, s] = jwt.split(".") as [string, string, string];
  expect(JSON.parse(Buffer.from(h, "base64url").toString())).toMatchObject({ alg: "ES256", typ: "JWT" });
  const claims = JSON.parse(Buffer.from(p, "base64url").toString());
  expect(claims.aud).toBe(audience);
  expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
  expect(claims.sub).toBe("mailto:firebreak@localhost"); // FIREBREAK_PUBLIC_URL is http: the default
  const raw = Buffer.from(k, "base64url");
  const key = createPublicKey({
    key: {
      kty: "EC",
      crv: "P-256",
      x: raw.subarray(1, 33).toString("base64url"),
      y: raw.subarray(33).toString("base64url"),
    },
    format: "jwk",
  });
  const ok = verify(
    "sha256",
    Buffer.from(`${h}.${p}`),
    { key, dsaEncoding: "ieee-p1363" },
    Buffer.from(s, "base64url"),
  );
  expect(ok).toBe(true);
}

async function subscribeAndPage(name: string, path: string) {
  const who = await t.user(name);
  const keys = browserKeys();
  const sub = await who.request("POST", "/api/v1/me/push-subscriptions", {
    endpoint: `${base}${path}`,
    expirationTime: null,
    keys: keys.json,
    label: "Laptop",
  });
  expect(sub.status, JSON.stringify(sub.body)).toBe(201);
  await who.request("POST", "/api/v1/me/notification-rules", {
    contactMethodId: sub.body.id,
    urgency: "high",
    delayMinutes: 0,
  });
  const policy = await t.admin.request("POST", "/api/v1/escalation-policies", {
    name: `push ${name}`,
    levels: [{ timeoutMinutes: 30, targets: [{ kind: "user", id: who.id }] }],
  });
  const page = await who.request("POST", "/api/v1/pages", {
    policyId: policy.body.id,
    title: `disk full on ${name}`,
    urgency: "high",
  });
  expect(page.status).toBe(201);
  await t.runJobs();
  return { who, keys, cmId: sub.body.id as number, pageId: page.body.id as number };
}

describe("Web Push", () => {
  it("a page arrives encrypted (aes128gcm) with VAPID, TTL and Urgency; the payload acknowledges it", async () => {
    const { publicKey } = (await t.admin.get("/api/v1/push/public-key")).body;
    expect(Buffer.from(publicKey, "base64url")).toHaveLength(65);
    const { who, keys, cmId, pageId } = await subscribeAndPage("pia", "/push/pia");

    const listed = (await who.get("/api/v1/me/contact-methods")).body.contactMethods;
    expect(listed).toContainEqual(expect.objectContaining({ id: cmId, kind: "push", label: "Laptop" }));

    const calls = received.filter((r) => r.path === "/push/pia");
    expect(calls).toHaveLength(1);
    const c = calls[0]!;
    expect(c.headers["content-encoding"]).toBe("aes128gcm");
    expect(c.headers["content-type"]).toBe("application/octet-stream");
    expect(Number(c.headers.ttl)).toBeGreaterThan(0);
    expect(c.headers.urgency).toBe("high");
    checkVapid(String(c.headers.authorization), publicKey, base);

    const payload = JSON.parse(decrypt(c.body, keys));
    expect(payload).toMatchObject({
      type: "page",
      title: `Page: disk full on pia`,
      pageId,
      urgency: "high",
      url: "http://firebreak.test/alerts",
    });
    expect(payload.body).toContain("disk full on pia");
    expect(payload.ackUrl).toMatch(/^http:\/\/firebreak\.test\/ack\/[A-Za-z0-9_-]+$/);

    const page = (await who.get(`/api/v1/pages/${pageId}`)).body;
    expect(page.deliveries[0]).toMatchObject({ status: "delivered", contactMethodId: cmId });

    // The service worker's "Acknowledge" action POSTs the ack link, as this does.
    const ack = await fetch(`${t.base}${new URL(payload.ackUrl).pathname}`, { method: "POST" });
    expect(ack.status).toBe(200);
    expect((await who.get(`/api/v1/pages/${pageId}`)).body.state).toBe("acknowledged");
  });

  it("a 410 Gone from the push service removes the subscription", async () => {
    answers.set("/push/gio", 410);
    const { who, cmId, pageId } = await subscribeAndPage("gio", "/push/gio");
    expect(received.filter((r) => r.path === "/push/gio")).toHaveLength(1);
    const listed = (await who.get("/api/v1/me/contact-methods")).body.contactMethods;
    expect(listed.find((m: { id: number }) => m.id === cmId)).toBeUndefined();
    const { events } = (await who.get(`/api/v1/pages/${pageId}`)).body;
    expect(events).toContainEqual(
      expect.objectContaining({
        kind: "page-notification-failed",
        data: expect.objectContaining({ status: "failed-permanent" }),
      }),
    );
    await t.advanceMinutes(5); // nothing is retried to a removed subscription
    expect(received.filter((r) => r.path === "/push/gio")).toHaveLength(1);
  });

  it("the same endpoint again updates the keys; DELETE removes it; malformed keys are refused", async () => {
    const who = await t.user("ulla");
    const endpoint = `${base}/push/ulla`;
    const first = await who.request("POST", "/api/v1/me/push-subscriptions", {
      endpoint,
      keys: browserKeys().json,
    });
    const again = await who.request("POST", "/api/v1/me/push-subscriptions", {
      endpoint,
      keys: browserKeys().json,
    });
    expect(again.body.id).toBe(first.body.id);
    const bad = await who.request("POST", "/api/v1/me/push-subscriptions", {
      endpoint,
      keys: { p256dh: "AAAA", auth: "BBBB" },
    });
    expect(bad.status).toBe(400);
    const removed = await who.request("DELETE", "/api/v1/me/push-subscriptions", { endpoint });
    expect(removed.body).toEqual({ removed: 1 });
    expect((await who.get("/api/v1/me/contact-methods")).body.contactMethods).toEqual([]);
  });

  it("an endpoint on an internal address is refused unless OUTBOUND_ALLOWED_HOSTS allows it", async () => {
    const strict = await startTestApp({ outboundAllowedHosts: [] });
    try {
      const r = await strict.admin.request("POST", "/api/v1/me/push-subscriptions", {
        endpoint: `${base}/push/internal`,
        keys: browserKeys().json,
      });
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).toContain("not on the public internet");
    } finally {
      await strict.close();
    }
  });
});

describe("the push payload", () => {
  it("opens the page's incident when it has one, and has no ack link for several pages at once", () => {
    const one = pushPayload({
      idempotencyKey: "page:1:rule:1:step:0",
      to: { kind: "push", endpoint: "https://push.example.com/x", keys: { p256dh: "", auth: "" } },
      subject: "[Firebreak] Page: db down",
      text: "• db down",
      links: [],
      pages: [
        {
          id: 1,
          title: "db down",
          urgency: "low",
          ackUrl: "https://fb.example.com/ack/abc",
          url: "https://fb.example.com/incidents/9",
        },
      ],
    });
    expect(one).toMatchObject({ url: "https://fb.example.com/incidents/9", urgency: "low", pageId: 1 });
    const two = pushPayload({
      ...{ idempotencyKey: "k", subject: "[Firebreak] 2 pages: a, …", text: "…", links: [] },
      to: { kind: "push", endpoint: "https://push.example.com/x", keys: { p256dh: "", auth: "" } },
      pages: [
        { id: 1, title: "a", urgency: "low", ackUrl: "https://fb.example.com/ack/a" },
        { id: 2, title: "b", urgency: "high", ackUrl: "https://fb.example.com/ack/b" },
      ],
    });
    expect(two).toMatchObject({ ackUrl: null, pageId: null, urgency: "high", url: "/alerts" });
  });
});
