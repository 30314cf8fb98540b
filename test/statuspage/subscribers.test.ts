/**
 * Status page subscribers over HTTP, PostgreSQL, a real SMTP server on loopback and a local webhook
 * receiver: double opt-in, every published update to every confirmed subscriber exactly once
 * (COMM-3 publishes, the notify engine delivers), one-click unsubscribe (RFC 8058), signed webhooks,
 * bad input, rate limits and link tokens. Time is the test clock; jobs run with `runJobs`.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.ts";
import { verifyWebhookSignature } from "../../src/notify/webhook.ts";
import { TestClock } from "../../src/platform/clock.ts";
import { openDatabase } from "../../src/platform/db.ts";
import { createLogger } from "../../src/platform/logger.ts";
import { loadPolicy } from "../../src/policy/load.ts";
import { expectProblem } from "../api/helpers.ts";
import { client, LOOPBACK, startTestApp } from "../support/app.ts";
import { createTestDatabase } from "../support/database.ts";
import { type ReceivedMail, startSmtp } from "../support/smtp.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = any;
type Hook = { path: string; headers: IncomingMessage["headers"]; body: string; json: Json };

const LIMITS = { perAddressPerHour: 3, perNetworkPerHour: 20 };
const PUBLIC = "http://firebreak.test";

/**
 * The app as the shared test harness starts it, plus the subscriber settings these tests need:
 * webhooks on loopback are allowed (the receiver is local) and the rate limits are small.
 */
async function startApp(smtpUrl: string) {
  const database = openDatabase(await createTestDatabase(), 10);
  // Near the real time: graphile-worker's retry back-off counts from the database's clock.
  const clock = new TestClock(new Date());
  const { app, services, jobs, metrics } = await buildApp({
    database,
    clock,
    policy: loadPolicy(),
    log: createLogger(process.env.TEST_LOG_LEVEL ?? "silent"),
    bodyLimitBytes: 1024 * 1024,
    publicUrl: PUBLIC,
    smtpUrl,
    emailFrom: "Firebreak <firebreak@test>",
    // OUTBOUND_ALLOWED_HOSTS: the receiver listens on loopback.
    outboundAllowedHosts: LOOPBACK,
    statusSubscribers: { limits: LIMITS },
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const boot = await services.users.bootstrap();
  return {
    base,
    clock,
    services,
    database,
    metrics,
    admin: client(base, boot?.secret ?? ""),
    runJobs: () => jobs.runDue(clock.now()),
    async advanceMinutes(minutes: number) {
      clock.advanceMinutes(minutes);
      await jobs.runDue(clock.now());
    },
    async close() {
      await app.close();
      await database.close();
    },
  };
}

let t: Awaited<ReturnType<typeof startApp>>;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let receiver: Server;
let hookBase = "";
const hooks: Hook[] = [];
/** Status to answer per path, consumed in order; the last one repeats. */
const answers = new Map<string, number[]>();
let api: Json;
/** A responder who drafts posts; the admin approves them (COMM-3: never the same person). */
let writer: ReturnType<typeof client>;

const path = (p: string) => `/api/v1/status-pages/default${p}`;

/** A link in a mail or webhook, pointed at the test server instead of the public URL. */
const local = (url: string) => url.replace(PUBLIC, t.base);

async function http(method: string, url: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method, body, headers, redirect: "manual" });
  const text = await res.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: json };
}

const subscribe = (body: Record<string, unknown>, slug = "default") =>
  http("POST", `${t.base}/status/${slug}/subscriptions`, JSON.stringify(body), {
    "content-type": "application/json",
  });

const linkPattern = (kind: "confirm" | "unsubscribe") =>
  new RegExp(`${PUBLIC.replace(/\./g, "\\.")}/status/[a-z0-9-]+/subscriptions/${kind}/[A-Za-z0-9_-]+`, "g");
const linksIn = (text: string, kind: "confirm" | "unsubscribe") => [
  ...new Set(text.match(linkPattern(kind))),
];
const tokenOf = (url: string) => url.slice(url.lastIndexOf("/") + 1);

/** The mail's headers with folded lines joined (RFC 5322 §2.2.3). */
const headersOf = (m: ReceivedMail) => m.headers.replace(/\r\n[ \t]+/g, " ");
const header = (m: ReceivedMail, name: string) =>
  new RegExp(`^${name}: (.*)$`, "im").exec(headersOf(m))?.[1]?.trim();

/** Subscribes an address and confirms it through the link in its confirmation mail. */
async function subscribed(email: string) {
  expect((await subscribe({ email })).status).toBe(202);
  await t.runJobs();
  const mail = smtp.to(email).at(-1);
  const confirm = linksIn(mail?.body ?? "", "confirm")[0];
  expect(confirm, `a confirmation link mailed to ${email}`).toBeDefined();
  const r = await http("POST", local(confirm ?? ""));
  expect(r.status, r.text).toBe(200);
}

/** Drafts a public incident (or an update of one) as a responder and publishes it as an admin (COMM-3). */
async function publish(
  body: string,
  opts: { statusIncidentId?: number; status?: string; name?: string } = {},
): Promise<{ statusIncidentId: number; updateId: number }> {
  const draft = opts.statusIncidentId
    ? await writer.request("POST", path(`/incidents/${opts.statusIncidentId}/updates`), {
        status: opts.status ?? "identified",
        body,
      })
    : await writer.request("POST", path("/incidents"), {
        name: opts.name ?? "Elevated API errors",
        status: opts.status ?? "investigating",
        body,
        affected: [{ componentId: api.id, newStatus: "degraded_performance" }],
      });
  expect(draft.status, JSON.stringify(draft.body)).toBe(201);
  const updateId = opts.statusIncidentId ? draft.body.id : draft.body.update.id;
  const approved = await t.admin.request("POST", path(`/drafts/${updateId}/approve`));
  expect(approved.status, JSON.stringify(approved.body)).toBe(200);
  return { statusIncidentId: opts.statusIncidentId ?? draft.body.statusIncidentId, updateId };
}

const updateMails = (to: string) => smtp.to(to).filter((m) => !/Confirm your subscription/.test(m.subject));
const hooksAt = (p: string) => hooks.filter((h) => h.path === p);

beforeAll(async () => {
  smtp = await startSmtp();
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      hooks.push({ path: req.url ?? "", headers: req.headers, body, json: JSON.parse(body || "null") });
      const queue = answers.get(req.url ?? "") ?? [200];
      const status = queue.length > 1 ? (queue.shift() ?? 200) : (queue[0] ?? 200);
      const retryAfter = status === 429 ? { "retry-after": "600" } : {};
      res
        .writeHead(status, { "content-type": "text/plain", ...retryAfter })
        .end(status === 200 ? "ok" : "no");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  hookBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  t = await startApp(smtp.url);
  api = (await t.admin.request("POST", path("/components"), { name: "API" })).body;
  const u = await t.admin.request("POST", "/api/v1/users", {
    username: "writer",
    name: "Writer",
    role: "responder",
  });
  writer = client(
    t.base,
    (await t.admin.request("POST", `/api/v1/users/${u.body.id}/tokens`, { name: "w" })).body.token,
  );
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
  await new Promise((r) => receiver?.close(r));
});

describe("email subscribers: double opt-in", () => {
  it("a subscribe request is answered 202 and mails a confirmation link; a GET of the link changes nothing", async () => {
    const r = await subscribe({ email: "Ann@Example.com" });
    expect(r.status, r.text).toBe(202);
    expect(r.body).toMatchObject({ status: "pending" });
    expect(r.body.detail).toMatch(/check your email/i);
    expect(smtp.to("ann@example.com")).toHaveLength(0); // sent by a job, not inside the request
    await t.runJobs();
    const [mail] = smtp.to("ann@example.com");
    expect(mail?.subject).toBe("[Status] Confirm your subscription to status updates");
    const [confirm] = linksIn(mail?.body ?? "", "confirm");
    expect(confirm).toBeDefined();
    // Mail scanners fetch links: the GET only shows a button that POSTs.
    const shown = await http("GET", local(confirm ?? ""));
    expect(shown.status).toBe(200);
    expect(shown.text).toContain('<form method="post">');
    expect(shown.text).toContain("ann@example.com");
    const list = (await t.admin.get(path("/subscribers"))).body;
    expect(list.subscribers).toMatchObject([{ kind: "email", address: "ann@example.com", state: "pending" }]);
  });

  it("POSTing the link confirms the subscription; the link works once", async () => {
    const [confirm] = linksIn(smtp.to("ann@example.com")[0]?.body ?? "", "confirm");
    const r = await http("POST", local(confirm ?? ""));
    expect(r.status, r.text).toBe(200);
    expect(r.text).toContain("Subscribed");
    const list = (await t.admin.get(path("/subscribers"))).body;
    expect(list.subscribers[0]).toMatchObject({ address: "ann@example.com", state: "confirmed" });
    expect(list.counts).toEqual({ pending: 0, confirmed: 1, unsubscribed: 0 });
    expect((await http("POST", local(confirm ?? ""))).status).toBe(404);
  });

  it("subscribing again is answered alike and sends nothing to a confirmed address (no disclosure)", async () => {
    const before = smtp.to("ann@example.com").length;
    const again = await subscribe({ email: "ann@example.com" });
    const fresh = await subscribe({ email: "someone-new@example.com" });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(fresh.body);
    await t.runJobs();
    expect(smtp.to("ann@example.com")).toHaveLength(before);
    expect(smtp.to("someone-new@example.com")).toHaveLength(1);
  });

  it("an HTML form post from the status page subscribes too (JavaScript off), answered with a page", async () => {
    const r = await http("POST", `${t.base}/status/default/subscriptions`, "email=form%40example.com", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(r.status).toBe(202);
    expect(r.headers.get("content-type")).toMatch(/^text\/html/);
    expect(r.text).toContain("confirmation link");
    const bad = await http("POST", `${t.base}/status/default/subscriptions`, "email=not-an-address", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("email:");
  });
});

describe("publishing an update reaches every confirmed subscriber once", () => {
  let first: { statusIncidentId: number; updateId: number };

  it("a published update mails each confirmed subscriber once, with List-Unsubscribe; the unconfirmed get nothing", async () => {
    await subscribed("bea@example.com");
    expect((await subscribe({ email: "unconfirmed@example.com" })).status).toBe(202);
    await t.runJobs();
    first = await publish("We are investigating errors on the API.");
    await t.runJobs();

    for (const who of ["ann@example.com", "bea@example.com"]) {
      const mails = updateMails(who);
      expect(mails, who).toHaveLength(1);
      const m = mails[0] as ReceivedMail;
      expect(m.subject).toBe("[Status] Elevated API errors: Investigating");
      expect(m.body).toContain("We are investigating errors on the API.");
      expect(m.body).toContain(`${PUBLIC}/status/default/incidents/${first.statusIncidentId}`);
      const [unsubscribe] = linksIn(m.body, "unsubscribe");
      expect(unsubscribe).toBeDefined();
      // RFC 8058 one-click: the header names the same kind of link, and says it takes a POST.
      expect(header(m, "List-Unsubscribe")).toMatch(linkPattern("unsubscribe"));
      expect(header(m, "List-Unsubscribe")).toMatch(/^<.*>$/);
      expect(header(m, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    }
    expect(updateMails("unconfirmed@example.com")).toHaveLength(0);
    expect(updateMails("someone-new@example.com")).toHaveLength(0);
    const deliveries = await t.services.statusSubscribers.deliveriesOf(first.updateId);
    expect(deliveries.map((d) => d.status)).toEqual(["delivered", "delivered"]);
    const metrics = await (
      await fetch(`${t.base}/metrics`, { headers: { authorization: `Bearer ${t.admin.token}` } })
    ).text();
    expect(metrics).toMatch(
      /firebreak_notification_deliveries_total\{channel="status-email",status="delivered"\} \d+/,
    );
  });

  it("running the jobs again, or fanning the same update out again, sends no duplicate", async () => {
    const count = smtp.mails.length;
    await t.runJobs();
    await t.services.statusSubscribers.published(t.database.db, { updateId: first.updateId });
    await t.runJobs();
    await t.advanceMinutes(30);
    expect(smtp.mails).toHaveLength(count);
    expect(await t.services.statusSubscribers.deliveriesOf(first.updateId)).toHaveLength(2);
  });

  it("one-click unsubscribe: GET shows a button, the RFC 8058 POST unsubscribes, the next update is not sent", async () => {
    const [mail] = updateMails("bea@example.com");
    const [unsubscribe] = linksIn(mail?.body ?? "", "unsubscribe");
    const shown = await http("GET", local(unsubscribe ?? ""));
    expect(shown.status).toBe(200);
    expect(shown.text).toContain('<form method="post">');
    // What a mail client sends for List-Unsubscribe-Post (RFC 8058 §3.2).
    const r = await http("POST", local(unsubscribe ?? ""), "List-Unsubscribe=One-Click", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(r.status, r.text).toBe(200);
    expect(r.text).toContain("Unsubscribed");
    // Idempotent, also as multipart (some clients) and from the link in the confirmation mail.
    const again = await http("POST", local(unsubscribe ?? ""), "--x\r\n\r\n--x--", {
      "content-type": "multipart/form-data; boundary=x",
    });
    expect(again.status).toBe(200);
    const [fromConfirmation] = linksIn(
      headersOf(smtp.to("bea@example.com")[0] as ReceivedMail),
      "unsubscribe",
    );
    expect((await http("POST", local(fromConfirmation ?? ""))).status).toBe(200);

    await publish("We found the cause.", { statusIncidentId: first.statusIncidentId });
    await t.runJobs();
    expect(updateMails("bea@example.com")).toHaveLength(1);
    expect(updateMails("ann@example.com").map((m) => m.subject)).toEqual([
      "[Status] Elevated API errors: Investigating",
      "[Status] Elevated API errors: Identified",
    ]);
    const list = (await t.admin.get(path("/subscribers?state=unsubscribed"))).body;
    expect(list.subscribers.map((s: Json) => s.address)).toEqual(["bea@example.com"]);
  });

  it("STAT-5: a scheduled maintenance is announced to the subscribers when it is published", async () => {
    const at = t.clock.now().getTime();
    const draft = await writer.request("POST", path("/maintenances"), {
      name: "Database upgrade",
      scheduledFor: new Date(at + 86_400_000).toISOString(),
      scheduledUntil: new Date(at + 90_000_000).toISOString(),
      body: "We upgrade the database; the API may be slow.",
      components: [api.id],
    });
    expect(draft.status, JSON.stringify(draft.body)).toBe(201);
    expect((await t.admin.request("POST", path(`/drafts/${draft.body.update.id}/approve`))).status).toBe(200);
    await t.runJobs();
    const m = updateMails("ann@example.com").at(-1) as ReceivedMail;
    expect(m.subject).toBe("[Status] Database upgrade: Scheduled");
    expect(m.body).toMatch(/Scheduled from .* to /);
    expect(m.body).toContain("API: Under maintenance");
  });
});

describe("webhook subscribers", () => {
  let secret = "";

  it("a webhook gets a signed confirmation request with its secret and a confirmUrl to POST; nothing else until then", async () => {
    const r = await subscribe({ webhookUrl: `${hookBase}/ok` });
    expect(r.status, r.text).toBe(202);
    expect(r.body.detail).toMatch(/confirmUrl/);
    await t.runJobs();
    const [confirmation] = hooksAt("/ok");
    expect(confirmation?.json).toMatchObject({ type: "subscription.confirm", page: { slug: "default" } });
    secret = confirmation?.json.secret;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const sig = String(confirmation?.headers["firebreak-signature"]);
    const ts = Number(/t=(\d+)/.exec(sig)?.[1]);
    expect(verifyWebhookSignature(confirmation?.body ?? "", sig, secret, ts)).toBe(true);
    expect(confirmation?.json.confirmUrl).toMatch(linkPattern("confirm"));
    // The receiver confirms with a POST (a JSON body is fine: it is ignored).
    const c = await http("POST", local(confirmation?.json.confirmUrl), "{}", {
      "content-type": "application/json",
    });
    expect(c.status, c.text).toBe(200);
  });

  it("a published update is POSTed as signed JSON with the page, the incident and the update", async () => {
    const { statusIncidentId, updateId } = await publish("Webhook subscribers hear of it too.", {
      name: "Slow logins",
    });
    await t.runJobs();
    const updates = hooksAt("/ok").filter((h) => h.json.type === "status.update");
    expect(updates).toHaveLength(1);
    const h = updates[0] as Hook;
    const sig = String(h.headers["firebreak-signature"]);
    expect(verifyWebhookSignature(h.body, sig, secret, Number(/t=(\d+)/.exec(sig)?.[1]))).toBe(true);
    expect(verifyWebhookSignature(`${h.body} `, sig, secret, Number(/t=(\d+)/.exec(sig)?.[1]))).toBe(false);
    const [delivery] = (await t.services.statusSubscribers.deliveriesOf(updateId)).filter(
      (d) => d.status === "delivered" && h.headers["firebreak-idempotency-key"] === `status-delivery:${d.id}`,
    );
    expect(delivery).toBeDefined();
    expect(h.json).toMatchObject({
      type: "status.update",
      idempotencyKey: `status-delivery:${delivery?.id}`,
      subject: "[Status] Slow logins: Investigating",
      page: { slug: "default", name: "Status", url: `${PUBLIC}/status/default` },
      incident: { id: statusIncidentId, name: "Slow logins", status: "investigating" },
      update: {
        id: updateId,
        status: "investigating",
        body: "Webhook subscribers hear of it too.",
        affectedComponents: [{ id: api.id, name: "API", newStatus: "degraded_performance" }],
      },
    });
    expect(h.json.meta.unsubscribe).toMatch(linkPattern("unsubscribe"));
    const metrics = await (
      await fetch(`${t.base}/metrics`, { headers: { authorization: `Bearer ${t.admin.token}` } })
    ).text();
    expect(metrics).toMatch(
      /firebreak_notification_deliveries_total\{channel="status-webhook",status="delivered"\} \d+/,
    );
  });

  it("a failing receiver is retried with the same idempotency key until it takes it; a 410 fails for good, visible to admins", async () => {
    answers.set("/flaky", [200, 503, 200]); // confirmation, then the update fails once
    answers.set("/gone", [200, 410]);
    for (const p of ["/flaky", "/gone"]) {
      expect((await subscribe({ webhookUrl: `${hookBase}${p}` })).status).toBe(202);
      await t.runJobs();
      const confirmUrl = hooksAt(p)[0]?.json.confirmUrl;
      expect((await http("POST", local(confirmUrl))).status).toBe(200);
    }
    const { updateId } = await publish("Retried until delivered.", { name: "Flaky receivers" });
    await t.runJobs();
    await t.advanceMinutes(1); // past the worker's back-off
    await t.advanceMinutes(1);
    const flaky = hooksAt("/flaky").filter((h) => h.json.type === "status.update");
    expect(flaky).toHaveLength(2);
    expect(flaky[0]?.headers["firebreak-idempotency-key"]).toBe(
      flaky[1]?.headers["firebreak-idempotency-key"],
    );
    expect(hooksAt("/gone").filter((h) => h.json.type === "status.update")).toHaveLength(1); // not retried
    const byStatus = (await t.services.statusSubscribers.deliveriesOf(updateId)).map((d) => [
      d.status,
      d.attempts,
    ]);
    expect(byStatus).toEqual(
      expect.arrayContaining([
        ["delivered", 2],
        ["failed-permanent", 1],
      ]),
    );
    const list = (await t.admin.get(path("/subscribers?state=confirmed"))).body.subscribers;
    const gone = list.find((s: Json) => s.address === `${hookBase}/gone`);
    expect(gone.lastDelivery).toMatchObject({ status: "failed-permanent" });
    expect(gone.lastDelivery.lastError).toContain("410");
  });
  it("a receiver's Retry-After is honoured: no attempt before it", async () => {
    answers.set("/busy", [200, 429, 200]);
    expect((await subscribe({ webhookUrl: `${hookBase}/busy` })).status).toBe(202);
    await t.runJobs();
    expect((await http("POST", local(hooksAt("/busy")[0]?.json.confirmUrl))).status).toBe(200);
    const { updateId } = await publish("Come back later.", { name: "Busy receiver" });
    await t.runJobs();
    const busy = () => hooksAt("/busy").filter((h) => h.json.type === "status.update");
    expect(busy()).toHaveLength(1);
    const mine = async () =>
      (await t.services.statusSubscribers.deliveriesOf(updateId)).find((d) => d.last_error?.includes("429"));
    expect(await mine()).toMatchObject({ status: "failed-retryable", attempts: 1 });
    await t.advanceMinutes(9);
    expect(busy()).toHaveLength(1);
    await t.advanceMinutes(2);
    expect(busy()).toHaveLength(2);
    const [delivered] = (await t.services.statusSubscribers.deliveriesOf(updateId)).filter(
      (d) => d.attempts === 2,
    );
    expect(delivered).toMatchObject({ status: "delivered", last_error: null });
  });
});

describe("bad input", () => {
  it.each([
    ["", "email"],
    ["no-at-sign", "email"],
    ["two@@example.com", "email"],
    ["a b@example.com", "email"],
    ['"quoted"@example.com', "email"],
    ["dots..twice@example.com", "email"],
    ["someone@localhost", "email"],
    ["someone@-bad.example.com", "email"],
    ["someone@example.123", "email"],
    [`${"x".repeat(65)}@example.com`, "email"],
    [`me@${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.com`, "email"],
    ["a@b.com, c@d.com", "email"],
    ["victim@example.com\r\nBcc: many@example.com", "email"],
  ])("an email of %j is refused with 400 naming the field", async (email, field) => {
    const r = await subscribe({ email });
    expectProblem({ status: r.status, body: r.body, headers: r.headers }, 400, "invalid-request");
    expect(r.body.field).toBe(field);
  });

  it("webhook URLs must be http(s) without credentials; exactly one of email and webhookUrl", async () => {
    for (const [body, field] of [
      [{ webhookUrl: "ftp://example.com/hook" }, "webhookUrl"],
      [{ webhookUrl: "not a url" }, "webhookUrl"],
      [{ webhookUrl: "https://user:pw@example.com/hook" }, "webhookUrl"],
      [{ email: "x@example.com", webhookUrl: "https://example.com/hook" }, "email"],
      [{}, "email"],
      [{ email: 42 }, "email"],
    ] as const) {
      const r = await subscribe(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.field, JSON.stringify(body)).toBe(field);
    }
  });

  it("an unknown page is 404", async () => {
    const r = await subscribe({ email: "x@example.com" }, "no-such-page");
    expectProblem({ status: r.status, body: r.body, headers: r.headers }, 404, "not-found");
  });
});

describe("as configured by default (no SMTP, webhooks only to the public internet)", () => {
  it("refuses email subscriptions without SMTP, and webhooks to loopback or private hosts", async () => {
    const plain = await startTestApp({ outboundAllowedHosts: [] });
    try {
      const post = (body: Record<string, unknown>) =>
        http("POST", `${plain.base}/status/default/subscriptions`, JSON.stringify(body), {
          "content-type": "application/json",
        });
      const email = await post({ email: "ann@example.com" });
      expectProblem({ status: email.status, body: email.body, headers: email.headers }, 409, "conflict");
      expect(email.body).toMatchObject({ field: "email" });
      expect(email.body.detail).toMatch(/SMTP_URL/);
      for (const webhookUrl of [
        `${hookBase}/inside`,
        "http://localhost:8080/hook",
        "http://10.0.0.8/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
      ]) {
        const r = await post({ webhookUrl });
        expect(r.status, webhookUrl).toBe(400);
        expect(r.body.field).toBe("webhookUrl");
        expect(r.body.detail).toMatch(/not on the public internet/);
      }
      expect(hooksAt("/inside")).toHaveLength(0);
    } finally {
      await plain.close();
    }
  });
});

describe("link tokens cannot be guessed", () => {
  it("they are 32 random bytes (43 base64url characters), never repeated, stored only as SHA-256", async () => {
    const confirms = smtp.mails.flatMap((m) => linksIn(m.body, "confirm")).map(tokenOf);
    const unsubscribes = smtp.mails
      .flatMap((m) => [...linksIn(m.body, "unsubscribe"), ...linksIn(headersOf(m), "unsubscribe")])
      .map(tokenOf);
    const tokens = [...new Set([...confirms, ...unsubscribes])];
    expect(tokens.length).toBeGreaterThan(10);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await t.database.pool.query<{ token_hash: string }>(
      "SELECT token_hash FROM status_subscriber_tokens",
    );
    const hashes = new Set(stored.rows.map((r) => r.token_hash));
    const sha256 = (token: string) => createHash("sha256").update(token).digest("hex");
    for (const token of tokens) expect(hashes.has(token)).toBe(false);
    // Unsubscribe links stay valid (old mails keep working); a used confirm token is deleted.
    for (const token of new Set(unsubscribes)) expect(hashes.has(sha256(token))).toBe(true);
    const pending = linksIn(smtp.to("unconfirmed@example.com")[0]?.body ?? "", "confirm").map(tokenOf);
    expect(pending).toHaveLength(1);
    expect(hashes.has(sha256(pending[0] ?? ""))).toBe(true);
    const [annConfirm] = linksIn(smtp.to("ann@example.com")[0]?.body ?? "", "confirm").map(tokenOf);
    expect(hashes.has(sha256(annConfirm ?? ""))).toBe(false);
  });

  it("an altered, malformed or other page's token is 404 on GET and POST", async () => {
    await subscribe({ email: "tokens@example.com" });
    await t.runJobs();
    const [confirm] = linksIn(smtp.to("tokens@example.com")[0]?.body ?? "", "confirm");
    const token = tokenOf(confirm ?? "");
    const altered = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    expect(
      (await t.admin.request("POST", "/api/v1/status-pages", { slug: "other", name: "Other" })).status,
    ).toBe(201);
    for (const url of [
      `${t.base}/status/default/subscriptions/confirm/${altered}`,
      `${t.base}/status/default/subscriptions/confirm/short`,
      `${t.base}/status/other/subscriptions/confirm/${token}`,
      `${t.base}/status/default/subscriptions/unsubscribe/${token}`, // a confirm token does not unsubscribe
      `${t.base}/status/default/subscriptions/unsubscribe/${altered}`,
    ]) {
      expect((await http("GET", url)).status, url).toBe(404);
      expect((await http("POST", url)).status, url).toBe(404);
    }
    expect((await http("POST", local(confirm ?? ""))).status).toBe(200); // the real one still works
  });

  it("a confirmation link expires after seven days", async () => {
    await subscribe({ email: "late@example.com" });
    await t.runJobs();
    const [confirm] = linksIn(smtp.to("late@example.com")[0]?.body ?? "", "confirm");
    t.clock.advanceMinutes(7 * 24 * 60 + 1);
    expect((await http("POST", local(confirm ?? ""))).status).toBe(404);
  });
});

describe("administrators", () => {
  it("list subscribers with counts and addresses, and remove one; only admins", async () => {
    const rita = await (async () => {
      const u = await t.admin.request("POST", "/api/v1/users", {
        username: "rita",
        name: "Rita",
        role: "responder",
      });
      const tok = await t.admin.request("POST", `/api/v1/users/${u.body.id}/tokens`, { name: "t" });
      return client(t.base, tok.body.token);
    })();
    expect((await rita.get(path("/subscribers"))).status).toBe(403);
    const list = (await t.admin.get(path("/subscribers"))).body;
    expect(list.counts.confirmed).toBeGreaterThanOrEqual(4);
    expect(list.counts.unsubscribed).toBe(1);
    const ann = list.subscribers.find((s: Json) => s.address === "ann@example.com");
    expect(ann).toMatchObject({ kind: "email", state: "confirmed", lastDelivery: { status: "delivered" } });
    const page1 = (await t.admin.get(path("/subscribers?limit=2"))).body;
    expect(page1.subscribers).toHaveLength(2);
    const page2 = (await t.admin.get(path(`/subscribers?limit=2&after=${page1.nextAfter}`))).body;
    expect(page2.subscribers[0].id).toBeGreaterThan(page1.nextAfter);

    expect((await t.admin.request("DELETE", path(`/subscribers/${ann.id}`))).status).toBe(204);
    expect((await t.admin.request("DELETE", path(`/subscribers/${ann.id}`))).status).toBe(404);
    const after = (await t.admin.get(path("/subscribers"))).body;
    expect(after.subscribers.map((s: Json) => s.id)).not.toContain(ann.id);
    const before = updateMails("ann@example.com").length;
    await publish("Removed subscribers hear nothing.", { name: "After removal" });
    await t.runJobs();
    expect(updateMails("ann@example.com")).toHaveLength(before);
  });
});

describe("rate limits (held in the database, so across replicas)", () => {
  it("per address: the fourth request within an hour is 429 with Retry-After, problem+json", async () => {
    await t.advanceMinutes(61); // a fresh hour for every key
    for (let i = 0; i < LIMITS.perAddressPerHour; i++)
      expect((await subscribe({ email: "often@example.com" })).status).toBe(202);
    const r = await subscribe({ email: "OFTEN@example.com" });
    expectProblem({ status: r.status, body: r.body, headers: r.headers }, 429, "rate-limited");
    expect(r.body.detail).toMatch(/for this address/);
    const retryAfter = Number(r.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    // Another address from the same client is still fine.
    expect((await subscribe({ email: "other@example.com" })).status).toBe(202);
  });

  it("per client network: past the limit every address is 429, until the hour has passed", async () => {
    // Five requests of this hour were counted above (the refused one too).
    const left = LIMITS.perNetworkPerHour - 5;
    const statuses: number[] = [];
    for (let i = 0; i < left + 2; i++)
      statuses.push((await subscribe({ email: `n${i}@example.com` })).status);
    expect(statuses).toEqual([...Array(left).fill(202), 429, 429]);
    const r = await subscribe({ webhookUrl: `${hookBase}/new` });
    expect(r.status).toBe(429);
    expect(r.body.detail).toMatch(/from your network/);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    t.clock.advanceMinutes(61);
    expect((await subscribe({ email: `n${left}@example.com` })).status).toBe(202);
  });
});
