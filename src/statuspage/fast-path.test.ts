/**
 * The early answers of cached status page bytes (`statusFastPath`) on a real node:http server:
 * which requests they take, and that remembering URLs' keys stays right past its bound.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetrics } from "../platform/metrics.ts";
import { createResponseCache } from "./cache.ts";
import { statusFastPath } from "./public.ts";

const log = pino({ level: "silent" });
const cache = createResponseCache({ ttlMs: 60_000, log });
const metrics = createMetrics();
const fastPath = statusFastPath(cache, metrics);
let server: Server;
let base = "";

beforeAll(async () => {
  // Requests the early path does not take are answered 599 here, as the routes would be asked.
  server = createServer((req, res) => {
    if (!fastPath(req, res)) res.writeHead(599).end("routed");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await cache.get("default\u0000", async () => ({
    body: Buffer.from("<p>all good</p>"),
    contentType: "text/html; charset=utf-8",
    status: 200,
  }));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("status page answers before routing", () => {
  it("answers a cached page with its bytes, its ETag and the page's security headers", async () => {
    const res = await fetch(`${base}/status/default`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("<p>all good</p>");
    expect(res.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const again = await fetch(`${base}/status/default`, {
      headers: { "If-None-Match": res.headers.get("etag") ?? "" },
    });
    expect(again.status).toBe(304);
  });

  it("leaves to the routes what is not cached, not a status URL, or not a read", async () => {
    expect((await fetch(`${base}/status/other`)).status).toBe(599);
    expect((await fetch(`${base}/api/v1/incidents`)).status).toBe(599);
    expect((await fetch(`${base}/status/default`, { method: "POST" })).status).toBe(599);
  });

  it("still tells the cached page from others after more distinct URLs than it remembers", async () => {
    for (let i = 0; i < 1_100; i++) {
      const url = i % 2 ? `${base}/status/default?v=${i}` : `${base}/status/page-${i}`;
      const res = await fetch(url);
      expect(res.status, url).toBe(i % 2 ? 200 : 599);
      await res.arrayBuffer();
    }
    const text = await metrics.registry.getSingleMetricAsString("firebreak_http_cached_answers_total");
    expect(text).toMatch(/route="\/status\/:slug",status="200"\} (\d+)/);
    const count = Number(/route="\/status\/:slug",status="200"\} (\d+)/.exec(text)?.[1]);
    // 550 from the loop, 1 from the first test.
    expect(count).toBe(551);
  });
});
