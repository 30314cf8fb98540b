/**
 * Issue 14, hole 1: contact methods must not make Firebreak a proxy into its own network. Any
 * signed-in person (a viewer too) adds webhook and chat contact methods; with an empty
 * OUTBOUND_ALLOWED_HOSTS, loopback, private, link-local and reserved hosts are refused when the
 * contact method is added (400 naming `address`) and again when a notification is sent (a contact
 * method stored before the fix, or a name whose DNS changed): nothing reaches the local server,
 * and `lastError` holds a short reason, never the receiver's answer.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

type Person = Awaited<ReturnType<TestApp["user"]>>;
type Hit = { path: string; host: string };

/** The internal service an attacker wants to reach: it answers with a secret. */
let inside: Server;
let inside6: Server | undefined;
let port = 0;
let port6 = 0;
const hits: Hit[] = [];
const SECRET = "ami-secret-Xq8vT2 AWS_SECRET_ACCESS_KEY=abc";

/** A resolver the test controls: names not listed do not exist. */
const dns = new Map<string, string[]>();
const resolve = async (host: string) => {
  const a = dns.get(host);
  if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  return a;
};

let strict: TestApp; // OUTBOUND_ALLOWED_HOSTS empty
let viewer: Person;
let responder: Person;

function listen(server: Server, host: string): Promise<number> {
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, host, () => ok((server.address() as AddressInfo).port));
  });
}

function receiver(answer: (req: IncomingMessage) => [number, Record<string, string>, string]) {
  return createServer((req, res) => {
    hits.push({ path: req.url ?? "", host: String(req.headers.host) });
    req.resume();
    req.on("end", () => {
      const [status, headers, body] = answer(req);
      res.writeHead(status, { "content-type": "text/plain", ...headers }).end(body);
    });
  });
}

beforeAll(async () => {
  inside = receiver((req) =>
    req.url?.startsWith("/redirect")
      ? [302, { location: `http://127.0.0.1:${port}/after-redirect` }, "moved"]
      : req.url?.startsWith("/slack")
        ? [404, {}, `no_service ${SECRET}`]
        : [500, {}, SECRET],
  );
  port = await listen(inside, "127.0.0.1");
  try {
    inside6 = receiver(() => [200, {}, SECRET]);
    port6 = await listen(inside6, "::1");
  } catch {
    inside6 = undefined; // no IPv6 loopback here: the [::1] cases still prove refusal
  }
  strict = await startTestApp({ clockStart: new Date(), outboundAllowedHosts: [], resolve });
  viewer = await strict.user("vera", "viewer");
  responder = await strict.user("rudi", "responder");
});
afterAll(async () => {
  await strict?.close();
  await new Promise((r) => inside?.close(r));
  await new Promise((r) => (inside6 ? inside6.close(r) : r(undefined)));
});

const add = (who: Person, kind: "webhook" | "chat", address: string) =>
  who.request("POST", "/api/v1/me/contact-methods", { kind, label: `${kind} x`, address });

/** Pages `who` through the contact method `cmId` and returns the page's deliveries after the jobs ran. */
async function pageThrough(t: TestApp, who: Person, cmId: number, name: string) {
  const rule = await who.request("POST", "/api/v1/me/notification-rules", {
    contactMethodId: cmId,
    urgency: "high",
    delayMinutes: 0,
  });
  expect(rule.status, JSON.stringify(rule.body)).toBe(201);
  const policy = await t.admin.request("POST", "/api/v1/escalation-policies", {
    name: `ssrf ${name}`,
    levels: [{ timeoutMinutes: 30, targets: [{ kind: "user", id: who.id }] }],
  });
  expect(policy.status, JSON.stringify(policy.body)).toBe(201);
  const page = await t.admin.request("POST", "/api/v1/pages", { policyId: policy.body.id, title: name });
  expect(page.status, JSON.stringify(page.body)).toBe(201);
  await t.runJobs();
  await t.advanceMinutes(5); // a retryable failure would be retried by now
  const read = await t.admin.get(`/api/v1/pages/${page.body.id}`);
  return read.body.deliveries as { status: string; attempts: number; lastError: string | null }[];
}

describe("adding a contact method at an internal host is refused (empty allow-list)", () => {
  const internalUrls = () => [
    `http://127.0.0.1:${port}/hook`,
    `http://[::1]:${port6 || port}/hook`,
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    `http://localhost:${port}/hook`, // a name the system resolver maps to loopback (/etc/hosts)
    `http://0.0.0.0:${port}/`,
    `http://[::ffff:7f00:1]:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`,
    `http://2130706433:${port}/`, // 127.0.0.1 as one number
    "http://10.0.0.8/",
    "http://192.168.1.1/",
    "http://[fd00::1]/",
    "http://100.100.100.200/latest/meta-data/", // Alibaba's metadata, in CGNAT space
    "http://[fd00:ec2::254]/latest/meta-data/", // EC2's IPv6 metadata
  ];

  for (const kind of ["webhook", "chat"] as const)
    it(`${kind}: loopback, link-local metadata, private and reserved addresses → 400 naming address`, async () => {
      for (const [i, url] of internalUrls().entries()) {
        const who = i % 2 === 0 ? viewer : responder;
        const r = await add(who, kind, url);
        const problem = expectProblem(r, 400);
        expect(problem.field, url).toBe("address");
        expect(problem.detail, url).toMatch(/not on the public internet/);
      }
      const mine = await viewer.get("/api/v1/me/contact-methods");
      expect(mine.body.contactMethods).toEqual([]);
      expect(hits).toEqual([]);
    });

  it("a host name that resolves to an internal address is refused, by every address it has", async () => {
    dns.set("loopback.example.com", ["127.0.0.1"]);
    dns.set("mixed.example.com", ["93.184.215.14", "10.1.2.3"]);
    dns.set("metadata.example.com", ["::ffff:169.254.169.254"]);
    for (const host of ["loopback.example.com", "mixed.example.com", "metadata.example.com"]) {
      const r = await add(viewer, "webhook", `http://${host}:${port}/hook`);
      const problem = expectProblem(r, 400);
      expect(problem.field).toBe("address");
      expect(problem.detail).toMatch(/not on the public internet/);
    }
    const unknown = expectProblem(await add(viewer, "chat", "https://no-such-host.example.com/x"), 400);
    expect(unknown.field).toBe("address");
    expect(hits).toEqual([]);
  });

  it("a host on the public internet is accepted", async () => {
    dns.set("hooks.example.com", ["93.184.215.14", "2606:2800::1"]);
    const r = await add(viewer, "webhook", "https://hooks.example.com/firebreak");
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await viewer.request("DELETE", `/api/v1/me/contact-methods/${r.body.id}`);
  });
});

describe("a notification to an internal host is refused when it is sent", () => {
  it("a contact method stored before the fix is refused at delivery: permanent, short, nothing reaches the server", async () => {
    const who = await strict.user("olga", "responder");
    const ids: number[] = [];
    for (const [kind, url] of [
      ["webhook", `http://127.0.0.1:${port}/stored`],
      ["chat", `http://localhost:${port}/stored-chat`],
    ] as const) {
      const row = await strict.database.pool.query<{ id: number }>(
        `INSERT INTO contact_methods (user_id, kind, label, address, secret, created_at, verified_at)
         VALUES ($1, $2, 'old', $3, $4, now(), now()) RETURNING id`,
        [who.id, kind, url, kind === "webhook" ? "s3cret-s3cret" : null],
      );
      ids.push(row.rows[0]!.id);
    }
    for (const [i, id] of ids.entries()) {
      const deliveries = await pageThrough(strict, who, id, `stored ${i}`);
      const d = deliveries.find((x) => x.lastError !== null) ?? deliveries[0];
      expect(d?.status).toBe("failed-permanent");
      expect(d?.attempts).toBe(1);
      expect(d?.lastError).toMatch(/^refused: .* is not on the public internet$/);
      expect(d?.lastError).not.toContain(SECRET);
    }
    expect(hits).toEqual([]);
  });

  it("a name that resolved to a public address when added and to loopback when sent is refused at connect time", async () => {
    const who = await strict.user("rene", "responder");
    dns.set("rebind.example.com", ["93.184.215.14"]);
    const cm = await add(who, "webhook", `http://rebind.example.com:${port}/rebound`);
    expect(cm.status, JSON.stringify(cm.body)).toBe(201);
    dns.set("rebind.example.com", ["127.0.0.1"]);
    const [d] = await pageThrough(strict, who, cm.body.id, "rebind");
    expect(d).toMatchObject({ status: "failed-permanent", attempts: 1 });
    expect(d?.lastError).toBe("refused: rebind.example.com is not on the public internet");
    expect(hits).toEqual([]);
  });
});

describe("with loopback allowed by OUTBOUND_ALLOWED_HOSTS", () => {
  let open: TestApp;
  beforeAll(async () => {
    open = await startTestApp({ clockStart: new Date(), outboundAllowedHosts: ["127.0.0.1"], resolve });
  });
  afterAll(async () => {
    await open?.close();
  });

  it("a receiver's error answer is recorded as its status code only, never its body", async () => {
    const who = await open.user("erin", "viewer");
    const hook = await add(who, "webhook", `http://127.0.0.1:${port}/boom`);
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    const [d] = await pageThrough(open, who, hook.body.id, "boom");
    expect(d?.status).toBe("failed-retryable");
    expect(d?.lastError).toMatch(/^HTTP 500 Internal Server Error/);
    expect(d?.lastError).not.toContain("ami-secret");
    expect(hits.filter((h) => h.path === "/boom").length).toBeGreaterThan(0);
  });

  it("a chat receiver's error body (Slack's no_service) is not recorded either", async () => {
    const who = await open.user("carl", "responder");
    const chat = await add(who, "chat", `http://127.0.0.1:${port}/slack`);
    expect(chat.status, JSON.stringify(chat.body)).toBe(201);
    const [d] = await pageThrough(open, who, chat.body.id, "slack");
    expect(d).toMatchObject({ status: "failed-permanent", lastError: "HTTP 404 Not Found" });
  });

  it("a redirect is not followed", async () => {
    const who = await open.user("rita", "responder");
    const hook = await add(who, "webhook", `http://127.0.0.1:${port}/redirect`);
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    const [d] = await pageThrough(open, who, hook.body.id, "redirect");
    expect(d?.status).toBe("failed-permanent");
    expect(d?.lastError).toMatch(/^HTTP 302 Found \(redirects are not followed/);
    expect(hits.filter((h) => h.path === "/redirect")).toHaveLength(1);
    expect(hits.filter((h) => h.path === "/after-redirect")).toHaveLength(0);
  });

  it("the allow-list opens only what it names: other internal hosts stay refused", async () => {
    const who = await open.user("iris", "responder");
    for (const url of [`http://[::1]:${port}/`, "http://169.254.169.254/", "http://10.0.0.8/"]) {
      const problem = expectProblem(await add(who, "webhook", url), 400);
      expect(problem.field).toBe("address");
    }
  });
});
