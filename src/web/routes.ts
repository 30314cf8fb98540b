/**
 * Serves the responders' web app (web/dist, built by `npm run build:web`): hashed assets cached
 * for a year, index.html revalidated every time, and index.html for any app path a browser loads
 * so client-side routes survive a reload. Everything else the server answers keeps its own routes
 * and its problem+json 404s: this is the last route Fastify tries.
 */
import { fileURLToPath } from "node:url";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { App } from "../platform/http.ts";
import { type Asset, loadWebBuild, pickEncoding, type WebBuild } from "./assets.ts";

export const defaultDistDir = fileURLToPath(new URL("../../web/dist/", import.meta.url));

/** Scripts, styles and connections only from this origin; no inline script; never in a frame. */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const securityHeaders: Record<string, string> = {
  "content-security-policy": contentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=()",
};

const IMMUTABLE = "public, max-age=31536000, immutable";

/** First path segments that belong to the server, never to the app (their unknown paths stay 404s). */
const serverPrefixes = new Set([
  "api",
  "v2",
  "status",
  "metrics",
  "healthz",
  "readyz",
  "ack",
  "calendar",
  "auth",
]);

/** An app path: not the server's, and not a file name (a missing file is a 404, not the app). */
export function isAppPath(pathname: string): boolean {
  const segments = pathname.split("/").filter(Boolean);
  if (serverPrefixes.has(segments[0] ?? "")) return false;
  return !/\.[a-z0-9]+$/i.test(segments.at(-1) ?? "");
}

/** Browsers loading a page ask for HTML; fetch() and API clients do not, and get the API's 404. */
const acceptsHtml = (accept: string | undefined) => /text\/html|application\/xhtml\+xml/i.test(accept ?? "");

/**
 * Whether to answer with the app's page. Deep links need a browser's `Accept: text/html`, but the
 * root is the server's front door: curl and uptime checkers (any Accept, or none) get the page too,
 * never a 404 that reads as "Firebreak is down".
 */
export const servesPage = (pathname: string, accept: string | undefined): boolean =>
  isAppPath(pathname) && (pathname === "/" || acceptsHtml(accept));

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Firebreak: the web app is not built</title></head>
<body><main><h1>The web app is not built</h1>
<p>This server has no <code>web/dist</code>. Run <code>npm run build:web</code> (or start with
<code>npm start</code>, which builds it first), then reload this page.</p>
<p>The API is available at <a href="/api/docs">/api/docs</a>.</p></main></body></html>
`;

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset, vary: string[]) {
  reply.headers(securityHeaders);
  const encoding = pickEncoding(req.headers["accept-encoding"], asset);
  // Each encoding is a representation of its own, so each has its own validator.
  const etag = encoding ? `${asset.etag.slice(0, -1)}-${encoding}"` : asset.etag;
  if (asset.br || asset.gzip) vary.push("accept-encoding");
  if (vary.length) reply.header("vary", vary.join(", "));
  reply
    .header("cache-control", asset.immutable ? IMMUTABLE : "no-cache")
    .header("etag", etag)
    .type(asset.contentType);
  const given = req.headers["if-none-match"];
  if (given?.split(",").some((tag) => tag.trim() === etag)) return reply.code(304).send();
  if (encoding) reply.header("content-encoding", encoding);
  return reply.send(encoding === "br" ? asset.br : encoding === "gzip" ? asset.gzip : asset.body);
}

export function webAppRoutes(opts: { distDir?: string } = {}) {
  const dir = opts.distDir ?? defaultDistDir;
  let build: WebBuild | null = null;
  let loading: Promise<WebBuild | null> | undefined;
  /** Loaded on first use, once; while there is no build, every request looks again. */
  async function current(): Promise<WebBuild | null> {
    if (build) return build;
    loading ??= loadWebBuild(dir).finally(() => {
      loading = undefined;
    });
    build = await loading;
    return build;
  }

  return async (app: App) => {
    app.get("/*", { schema: { hide: true } }, async (req, reply) => {
      const pathname = req.url.split("?")[0] ?? "/";
      const built = await current();
      const file = built?.files.get(pathname);
      if (file) return send(req, reply, file, []);
      if (!servesPage(pathname, req.headers.accept)) return reply.callNotFound();
      if (!built) {
        req.log.warn({ dir }, "the web app is not built: run `npm run build:web`");
        return reply
          .code(503)
          .headers(securityHeaders)
          .header("cache-control", "no-store")
          .header("retry-after", "30")
          .type("text/html; charset=utf-8")
          .send(notBuiltPage);
      }
      return send(req, reply, built.index, ["accept"]);
    });
  };
}
