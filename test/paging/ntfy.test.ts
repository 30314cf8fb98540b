/**
 * ntfy contact methods, end to end: a real Firebreak server pages a person whose contact method
 * is a topic on a local server speaking ntfy's publish API. The publish carries ntfy's headers
 * (Title, Priority, Tags, Click, an `http` Actions button and the access token); pressing the
 * button — a POST to the action's URL, as the ntfy app makes it — acknowledges the page. The
 * server runs with an empty OUTBOUND_ALLOWED_HOSTS: an ntfy topic on loopback is still reached
 * (ntfy servers sit on the team's network), a webhook there is not, and link-local, metadata and
 * unspecified addresses are refused for ntfy too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { type NtfyMessage, type NtfyServer, startNtfyServer } from "../support/ntfy.ts";

let t: TestApp;
let ntfy: NtfyServer;
const TOKEN = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2";

/** A resolver the test controls: `metadata.test` points at the cloud metadata address. */
const resolve = async (host: string) => {
  if (host === "metadata.test") return ["169.254.169.254"];
  if (host === "localhost") return ["127.0.0.1"];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
};

beforeAll(async () => {
  ntfy = await startNtfyServer();
  t = await startTestApp({ clockStart: new Date(), outboundAllowedHosts: [], resolve });
});
afterAll(async () => {
  await t?.close();
  await ntfy?.close();
});

async function ntfyMethod(who: Awaited<ReturnType<TestApp["user"]>>, topic: string, accessToken?: string) {
  const cm = await who.request("POST", "/api/v1/me/contact-methods", {
    kind: "ntfy",
    label: "phone",
    address: `${ntfy.base}/${topic}`,
    ...(accessToken ? { accessToken } : {}),
  });
  expect(cm.status, JSON.stringify(cm.body)).toBe(201);
  // Verified with the code published to the topic, as its owner would type it from the app.
  const sent = ntfy.messages.filter((m) => m.topic === topic && isCode(m)).at(-1);
  const code = /verification code is (\d{6})/.exec(sent?.title ?? "")?.[1];
  expect(code, "a verification code published to the topic").toBeDefined();
  const verified = await who.request("POST", `/api/v1/me/contact-methods/${cm.body.id}/verify`, { code });
  expect(verified.body).toMatchObject({ verified: true, verification: null });
  return cm.body as { id: number; secret: string | null };
}

const isCode = (m: NtfyMessage) => /verification code/.test(m.title ?? "");

describe("ntfy contact methods", () => {
  it("a page is published with ntfy's headers, and its Acknowledge button acknowledges it", async () => {
    ntfy.protect("firebreak-alice", TOKEN);
    const alice = await t.user("alice");
    const cm = await ntfyMethod(alice, "firebreak-alice", TOKEN);
    // The token is stored, never shown back in full.
    expect(cm.secret).toBe(`••••${TOKEN.slice(-4)}`);
    const listed = await alice.get("/api/v1/me/contact-methods");
    expect(JSON.stringify(listed.body)).not.toContain(TOKEN);

    await alice.request("POST", "/api/v1/me/notification-rules", {
      contactMethodId: cm.id,
      urgency: "high",
      delayMinutes: 0,
    });
    const policy = await t.admin.request("POST", "/api/v1/escalation-policies", {
      name: "ntfy alice",
      levels: [{ timeoutMinutes: 30, targets: [{ kind: "user", id: alice.id }] }],
    });
    const page = await alice.request("POST", "/api/v1/pages", {
      policyId: policy.body.id,
      title: "Disk full on db-1 — ünïcode",
    });
    expect(page.status, JSON.stringify(page.body)).toBe(201);
    await t.runJobs();

    const published = ntfy.messages.filter((m) => m.topic === "firebreak-alice" && !isCode(m));
    expect(published).toHaveLength(1);
    const m = published[0]!;
    expect(m.authorization).toBe(`Bearer ${TOKEN}`);
    expect(m.title).toBe("[Firebreak] Page: Disk full on db-1 — ünïcode");
    expect(m.priority).toBe(5);
    expect(m.tags).toEqual(["firebreak", "rotating_light"]);
    expect(m.click).toBe("http://firebreak.test/alerts"); // a page without an incident
    expect(m.message).toContain("Disk full on db-1");
    expect(m.actions).toHaveLength(1);
    const action = m.actions![0]!;
    expect(action).toMatchObject({ action: "http", label: "Acknowledge", method: "POST", clear: true });
    expect(action.url).toMatch(/^http:\/\/firebreak\.test\/ack\/[A-Za-z0-9_-]{20,}$/);
    let read = await alice.get(`/api/v1/pages/${page.body.id}`);
    expect(read.body.deliveries[0]).toMatchObject({ status: "delivered", attempts: 1 });

    // The ntfy app performs the action: a POST with no body to its URL.
    const pressed = await fetch(`${t.base}${new URL(action.url).pathname}`, { method: "POST" });
    expect(pressed.status).toBe(200);
    read = await alice.get(`/api/v1/pages/${page.body.id}`);
    expect(read.body).toMatchObject({ state: "acknowledged", acknowledgedBy: alice.id });
  });

  it("a low-urgency page is published at the default priority", async () => {
    const bo = await t.user("bo");
    const cm = await ntfyMethod(bo, "firebreak-bo");
    expect(cm.secret).toBeNull();
    await bo.request("POST", "/api/v1/me/notification-rules", {
      contactMethodId: cm.id,
      urgency: "low",
      delayMinutes: 0,
    });
    const policy = await t.admin.request("POST", "/api/v1/escalation-policies", {
      name: "ntfy bo",
      levels: [{ timeoutMinutes: 30, targets: [{ kind: "user", id: bo.id }] }],
    });
    const page = await bo.request("POST", "/api/v1/pages", {
      policyId: policy.body.id,
      title: "certificate expires in 20 days",
      urgency: "low",
    });
    expect(page.status, JSON.stringify(page.body)).toBe(201);
    await t.runJobs();
    const m = ntfy.messages.find((x) => x.topic === "firebreak-bo" && !isCode(x));
    expect(m).toMatchObject({ priority: 3, tags: ["firebreak", "warning"] });
    expect(m?.authorization).toBeUndefined();
  });

  it("the test notification is published; with a wrong token even the verification code fails, with a short reason", async () => {
    ntfy.protect("firebreak-cy", TOKEN);
    const cy = await t.user("cy");
    const good = await ntfyMethod(cy, "firebreak-cy", TOKEN);
    const test = await cy.request("POST", `/api/v1/me/contact-methods/${good.id}/test`);
    expect(test.status, JSON.stringify(test.body)).toBe(200);
    expect(test.body.status).toBe("delivered");
    const m = ntfy.messages.find((x) => x.topic === "firebreak-cy" && !isCode(x));
    expect(m?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(m?.message).toContain("test notification");

    const bad = await cy.request("POST", "/api/v1/me/contact-methods", {
      kind: "ntfy",
      label: "phone",
      address: `${ntfy.base}/firebreak-cy`,
      accessToken: "tk_wrongwrongwrongwrongwrong",
    });
    expect(bad.status).toBe(201);
    expect(bad.body).toMatchObject({
      verified: false,
      verification: { status: "failed", error: "HTTP 401 Unauthorized" },
    });
    // Unverified, it carries no test notification either: the code must get through first.
    const refused = await cy.request("POST", `/api/v1/me/contact-methods/${bad.body.id}/test`);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain("not verified");
  });

  it("link-local, metadata and unspecified addresses are refused; loopback is refused for webhooks", async () => {
    const dee = await t.user("dee");
    for (const address of [
      "http://169.254.169.254/latest",
      "http://metadata.test/topic",
      "http://[fe80::1]/topic",
      "http://0.0.0.0/topic",
      "http://[::]/topic",
      "http://[::ffff:169.254.169.254]/topic",
      `${ntfy.base}/not a topic`,
      "ftp://ntfy.example/topic",
    ]) {
      const r = await dee.request("POST", "/api/v1/me/contact-methods", {
        kind: "ntfy",
        label: "x",
        address,
      });
      expect(r.status, address).toBe(400);
      expect(r.body.field, address).toBe("address");
      if (!address.includes("topic URL") && /169\.254|metadata|fe80|0\.0\.0\.0|\[::\]/.test(address))
        expect(r.body.detail, address).toContain("link-local, metadata or unspecified");
    }
    const hook = await dee.request("POST", "/api/v1/me/contact-methods", {
      kind: "webhook",
      label: "x",
      address: `${ntfy.base}/hook`,
    });
    expect(hook.status).toBe(400);
    const token = await dee.request("POST", "/api/v1/me/contact-methods", {
      kind: "chat",
      label: "x",
      address: "https://chat.example.com/hook",
      accessToken: TOKEN,
    });
    expect(token.status).toBe(400);
  });
});
