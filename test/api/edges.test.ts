/**
 * The edges of the HTTP server (issue 14): /metrics is not public, status pages carry the
 * security headers, a caller's X-Request-Id is echoed only when it is a short safe token, router
 * errors are problem+json, and a route that takes no body refuses one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { declare, expectProblem } from "./helpers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const get = (path: string, headers: Record<string, string> = {}) => fetch(t.base + path, { headers });

async function problem(res: Response, status: number) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type") ?? "", text).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text);
  expect(body.status).toBe(status);
  expect(body.detail.length).toBeGreaterThan(0);
  return body;
}

describe("/metrics counts private incidents: it needs an admin (or METRICS_TOKEN)", () => {
  it("refuses no credential (401) and a responder (403); answers an admin's token", async () => {
    const anonymous = await problem(await get("/metrics"), 401);
    expect(anonymous.detail).toMatch(/admin/);
    const responder = await t.user("metrics-responder", "responder");
    await problem(await get("/metrics", { authorization: `Bearer ${responder.token}` }), 403);
    const admin = await get("/metrics", { authorization: `Bearer ${t.admin.token}` });
    expect(admin.status).toBe(200);
    expect(await admin.text()).toContain("firebreak_http_request_duration_seconds");
  });
});

describe("status pages carry the security headers, cached bytes included", () => {
  it("sets CSP, X-Frame-Options and nosniff on routed and cached answers, 404s too", async () => {
    const routed = await get("/status/default");
    expect(routed.status).toBe(200);
    const html = await routed.text();
    const cached = await get("/status/default");
    const notFound = await get("/status/no-such-page");
    const json = await get("/status/default/api/v2/summary.json");
    const link = await get(`/status/default/subscriptions/confirm/${"x".repeat(43)}`);
    expect(link.headers.get("content-type")).toMatch(/^text\/html/);
    for (const [what, res] of [
      ["routed", routed],
      ["cached", cached],
      ["404", notFound],
      ["json", json],
      ["subscription link page", link],
    ] as const) {
      expect(res.headers.get("content-security-policy"), what).toContain("frame-ancestors 'none'");
      expect(res.headers.get("content-security-policy"), what).toContain("default-src 'none'");
      expect(res.headers.get("x-frame-options"), what).toBe("DENY");
      expect(res.headers.get("x-content-type-options"), what).toBe("nosniff");
    }
    // The policy fits the page: no script to allow, its one inline <style> allowed.
    expect(html).not.toMatch(/<script/i);
    expect(html).toMatch(/<style>/);
    expect(routed.headers.get("content-security-policy")).toContain("style-src 'unsafe-inline'");
  });
});

describe("X-Request-Id is echoed only when it is a short safe token", () => {
  it("replaces a long or unsafe id with a new one, on every path", async () => {
    await get("/status/default"); // cached, so the next read takes the fast path
    const bad = ["<script>alert(1)</script>", "a".repeat(200), "id with spaces", "x\u00e9"];
    for (const id of bad) {
      for (const path of [
        "/api/v1/incidents",
        "/status/default",
        "/no-such-route",
        "/api/v1/incidents/%E0%A4%A",
      ]) {
        const res = await fetch(t.base + path, {
          headers: { authorization: `Bearer ${t.admin.token}`, "x-request-id": id },
        }).catch(() => undefined);
        if (!res) continue; // fetch refuses some header values itself
        const echoed = res.headers.get("x-request-id");
        expect(echoed === null || /^[0-9a-f-]{36}$/.test(echoed), `${path} ${id}: ${echoed}`).toBe(true);
      }
    }
    const good = await get("/api/v1/incidents", {
      authorization: `Bearer ${t.admin.token}`,
      "x-request-id": "trace-42",
    });
    expect(good.headers.get("x-request-id")).toBe("trace-42");
  });
});

describe("router errors are problem+json", () => {
  it("a bad percent-escape is 400, a path segment too long 414, a huge URL 431", async () => {
    const badUrl = await problem(await get("/api/v1/incidents/%E0%A4%A"), 400);
    expect(badUrl.detail).toMatch(/percent-escape/);
    expect(badUrl.code).toBe("invalid-request");
    const longParam = await problem(await get(`/api/v1/incidents/${"1".repeat(600)}`), 414);
    expect(longParam.code).toBe("uri-too-long");
    const huge = await problem(await get(`/api/v1/incidents?q=${"x".repeat(20_000)}`), 431);
    expect(huge.code).toBe("headers-too-large");
  });
});

describe("a route that takes no body refuses one", () => {
  it("POST and DELETE without a body schema answer 400 naming `body`; no body or {} is fine", async () => {
    const i = await declare(t.admin, { title: "Body-less", severity: "S3" });
    const ack = `/api/v1/incidents/${i.id}/acknowledge`;
    const withBody = await t.admin.request("POST", ack, { force: true });
    const p = expectProblem(withBody, 400, "invalid-request");
    expect(p.field).toBe("body");
    expect(p.detail).toMatch(/^body: /);
    const label = await t.admin.request("DELETE", `/api/v1/incidents/${i.id}/labels/x`, ["x"]);
    expect(expectProblem(label, 400, "invalid-request").field).toBe("body");
    // Without a body (or an empty object, which some clients always send) the route runs.
    expect((await t.admin.request("POST", ack)).status).not.toBe(400);
    expect((await t.admin.request("POST", ack, {})).status).not.toBe(400);
  });
});
