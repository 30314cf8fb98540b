/**
 * The web app as a browser gets it from Firebreak: index.html with its security headers for any
 * app path (so a reload of a deep link works), hashed assets cached for a year and compressed,
 * while the API's and the server's own paths keep their problem+json 404s.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttp } from "../../src/platform/http.ts";
import { createLogger } from "../../src/platform/logger.ts";
import { createMetrics } from "../../src/platform/metrics.ts";
import { webAppRoutes } from "../../src/web/routes.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { distDir, ensureWebBuild } from "../support/web-build.ts";

type Raw = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };
const html = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

/** fetch() decompresses on its own; this reads the bytes as sent. */
const rawGet = (url: string, headers: Record<string, string> = {}) =>
  new Promise<Raw>((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });

let t: TestApp;
let scriptPath: string;

beforeAll(async () => {
  ensureWebBuild();
  t = await startTestApp();
  const index = readFileSync(path.join(distDir, "index.html"), "utf8");
  scriptPath = /<script type="module" crossorigin src="([^"]+)"/.exec(index)?.[1] ?? "";
  expect(scriptPath).toMatch(/^\/assets\/index-[\w-]+\.js$/);
}, 120_000);
afterAll(() => t.close());

function expectAppSecurityHeaders(r: Raw) {
  const csp = String(r.headers["content-security-policy"]);
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain("unsafe-inline");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(r.headers["x-content-type-options"]).toBe("nosniff");
  expect(r.headers["referrer-policy"]).toBe("same-origin");
}

describe("serving the web app", () => {
  it("answers / with index.html, revalidated every time, under a strict content security policy", async () => {
    const r = await rawGet(`${t.base}/`, html);
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(r.headers["cache-control"]).toBe("no-cache");
    expect(r.body.toString()).toContain('<div id="root"></div>');
    expectAppSecurityHeaders(r);
    // No inline script: the CSP forbids it, so the app must not need it.
    expect(r.body.toString()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it("serves a hashed asset as immutable for a year, brotli or gzip compressed, with a validator", async () => {
    const onDisk = readFileSync(path.join(distDir, scriptPath));
    const br = await rawGet(`${t.base}${scriptPath}`, { "accept-encoding": "gzip, deflate, br" });
    expect(br.status).toBe(200);
    expect(br.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(br.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers.vary).toContain("accept-encoding");
    expect(brotliDecompressSync(br.body).equals(onDisk)).toBe(true);
    expect(br.body.length).toBeLessThan(onDisk.length / 2);

    const gz = await rawGet(`${t.base}${scriptPath}`, { "accept-encoding": "gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.body).equals(onDisk)).toBe(true);

    const plain = await rawGet(`${t.base}${scriptPath}`);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.body.equals(onDisk)).toBe(true);

    const again = await rawGet(`${t.base}${scriptPath}`, {
      "accept-encoding": "br",
      "if-none-match": String(br.headers.etag),
    });
    expect(again.status).toBe(304);
  });

  it("answers a deep link a browser reloads with index.html, so client routes survive a reload", async () => {
    for (const p of ["/incidents/42", "/incidents?state=open&mine=true", "/tokens", "/sign-in"]) {
      const r = await rawGet(`${t.base}${p}`, html);
      expect(r.status, p).toBe(200);
      expect(r.body.toString(), p).toContain('<div id="root"></div>');
      expect(String(r.headers.vary), p).toContain("accept");
      expectAppSecurityHeaders(r);
    }
  });

  it("keeps the API's and the server's paths, and missing files, as problem+json 404s", async () => {
    for (const p of [
      "/api/v1/unknown",
      "/api/unknown",
      "/v2/unknown",
      "/metrics/x",
      "/assets/missing.js",
      "/.vite/manifest.json",
    ]) {
      const r = await fetch(`${t.base}${p}`, { headers: html });
      expect(r.status, p).toBe(404);
      expect(r.headers.get("content-type"), p).toBe("application/problem+json; charset=utf-8");
      const problem = (await r.json()) as { detail: string };
      expect(problem.detail, p).toContain(`no route GET ${p}`);
    }
    const api = await t.admin.request("GET", "/api/v1/unknown");
    expect(api.status).toBe(404);
    expect(api.body.code).toBe("not-found");
  });

  it("answers an app path asked for by a script (not a page load) with the API's 404", async () => {
    const r = await fetch(`${t.base}/incidents/42`, { headers: { accept: "application/json" } });
    expect(r.status).toBe(404);
    expect(r.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
  });

  it("answers / with the app's page for curl and uptime checkers too (Accept: */* or none), not a 404", async () => {
    for (const headers of [{ accept: "*/*" }, {} as Record<string, string>, { accept: "application/json" }]) {
      const r = await rawGet(`${t.base}/`, headers);
      expect(r.status, JSON.stringify(headers)).toBe(200);
      expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(r.body.toString()).toContain('<div id="root"></div>');
      expectAppSecurityHeaders(r);
    }
    const head = await fetch(`${t.base}/`, { method: "HEAD", headers: { accept: "*/*" } });
    expect(head.status).toBe(200);
    // Only the root: a deep link fetched without asking for HTML stays the API's 404.
    expect((await rawGet(`${t.base}/incidents`, { accept: "*/*" })).status).toBe(404);
  });

  it("leaves the server's own routes alone and keeps the app's routes out of the API reference", async () => {
    expect((await fetch(`${t.base}/healthz`)).status).toBe(200);
    const doc = (await (await fetch(`${t.base}/api/openapi.json`)).json()) as { paths: object };
    expect(Object.keys(doc.paths)).not.toContain("/*");
  });
});

describe("with a status page at the root (STATUS_PAGE_AT_ROOT)", () => {
  let root: TestApp;
  beforeAll(async () => {
    root = await startTestApp({ statusPageAtRoot: "default" });
  });
  afterAll(() => root.close());

  it("keeps / for the status page and serves the app at every other app path", async () => {
    const home = await rawGet(`${root.base}/`, html);
    expect(home.body.toString()).not.toContain('<div id="root"></div>');
    // curl and uptime checkers get the status page at / as well.
    const curl = await rawGet(`${root.base}/`, { accept: "*/*" });
    expect(curl.status).toBe(200);
    expect(curl.body.toString()).not.toContain('<div id="root"></div>');
    const app = await rawGet(`${root.base}/incidents`, html);
    expect(app.status).toBe(200);
    expect(app.body.toString()).toContain('<div id="root"></div>');
  });
});

describe("without a build", () => {
  it("answers app paths 503 with a page that says to run npm run build:web", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "firebreak-no-web-"));
    const log = createLogger("silent");
    const app = await createHttp({
      log,
      metrics: createMetrics(),
      bodyLimit: 1024,
      version: "test",
      ready: async () => true,
    });
    await app.register(webAppRoutes({ distDir: path.join(empty, "dist") }));
    try {
      const r = await app.inject({ method: "GET", url: "/incidents", headers: html });
      expect(r.statusCode).toBe(503);
      expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(r.body).toContain("npm run build:web");
      expect(r.headers["content-security-policy"]).toContain("default-src 'self'");
      const api = await app.inject({ method: "GET", url: "/api/v1/unknown" });
      expect(api.statusCode).toBe(404);
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
