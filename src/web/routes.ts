/**
 * Serves the responders' web app (web/dist, built by `npm run build:web`): hashed assets cached
 * for a year, index.html revalidated every time, and index.html for any app path a browser loads
 * so client-side routes survive a reload. Everything else the server answers keeps its own routes
 * and its problem+json 404s: this is the last route Fastify tries.
 */

import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { constants, createBrotliCompress, createGzip } from "node:zlib";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { App } from "../platform/http.ts";
import { readSessionCookie } from "../platform/session.ts";
import { type Asset, loadWebBuild, pickEncoding, type WebBuild } from "./assets.ts";
import { type FirstScreenData, pageLocale, renderFirstScreen } from "./first-screen.ts";

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

/** Where index.html's app container starts: the first screen's HTML goes right before it. */
const ROOT_TAG = '<div id="root"></div>';
/**
 * First in the head of a page that may hold the first screen: early.ts, which runs after it has been
 * parsed, then asks for nothing, as the page brings the answers (or the app asks for them itself).
 */
const FIRST_SCREEN_META = '<meta name="firebreak-first-screen" content="">';

/** The API paths whose answers the page carries (web/src/early.ts asks for the same when they are not). */
const firstScreenPaths = ["/session", "/policy", "/incidents?limit=200"] as const;

/**
 * The signed-in person's incidents list as HTML, for `/` and the unfiltered `/incidents`, and the
 * API's answers it was made from, as JSON data blocks for the app to start from (the requests
 * early.ts would make); or null: signed out, or any answer not a success. The API itself is asked,
 * with the browser's own cookie, so the page holds what that browser may see and nothing more.
 */
async function firstScreenFor(app: App, req: FastifyRequest): Promise<string | null> {
  const cookie = req.headers.cookie;
  // Side by side: an expired cookie costs three refusals, a live one no round of waiting.
  const answers = await Promise.all(
    firstScreenPaths.map((path) =>
      app.inject({
        method: "GET",
        url: `/api/v1${path}`,
        headers: { cookie, accept: "application/json", "x-firebreak-client": "web" },
      }),
    ),
  );
  if (answers.some((a) => a.statusCode !== 200)) return null;
  const [session, policy, list] = answers.map((a) => a.json()) as [unknown, unknown, { incidents: unknown }];
  const data = { session, policy, incidents: list.incidents } as FirstScreenData;
  const html = renderFirstScreen(data, Date.now(), pageLocale(req.headers["accept-language"]));
  // Not script (type application/json): the content security policy has nothing to allow. `<` as
  // \u003c, which JSON reads as the same character, so no text in them can end the element.
  const blocks = answers.map(
    (a, i) =>
      `<script type="application/json" class="first-screen-answer" data-path="${firstScreenPaths[i]}">${a.body.replace(/</g, "\\u003c")}</script>`,
  );
  return html + blocks.join("");
}

/** Pages that may hold the first screen: `/` and the unfiltered list, for a browser with a session. */
const mayHoldFirstScreen = (req: FastifyRequest, pathname: string) =>
  (pathname === "/" || pathname === "/incidents") &&
  !req.url.includes("?") &&
  readSessionCookie(req.headers.cookie) !== undefined;

/**
 * index.html with the first screen in it, streamed: everything before the app's container at once
 * (the browser starts on the scripts and styles while the list is read), then the list and the
 * rest. The page is this person's own, so no cache stores it; without a list it is the plain page.
 */
function sendWithFirstScreen(app: App, req: FastifyRequest, reply: FastifyReply, index: Asset) {
  const html = index.body.toString("utf8");
  const at = html.indexOf(ROOT_TAG);
  const encoding = pickEncoding(req.headers["accept-encoding"], index);
  // Fast settings: each page is compressed for one answer, on the way to the first screen.
  const out =
    encoding === "br"
      ? createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 5 } })
      : encoding === "gzip"
        ? createGzip({ level: 6 })
        : new PassThrough();
  reply
    .headers(securityHeaders)
    .header("cache-control", "no-store")
    .header("vary", "accept, accept-encoding, cookie")
    .type(index.contentType);
  if (encoding) reply.header("content-encoding", encoding);
  // The home screen's chunks stay preloaded: without them the app's own list would wait for a round
  // of requests after the app has started (in a run under load, 770 ms after DOMContentLoaded, not ~200).
  out.write(html.slice(0, at).replace("<head>", `<head>${FIRST_SCREEN_META}`));
  if ("flush" in out) out.flush();
  void firstScreenFor(app, req)
    .catch((err: unknown) => {
      req.log.warn({ err }, "the first screen's list could not be rendered: serving the plain page");
      return null;
    })
    .then((first) => out.end(`${first ?? ""}${html.slice(at)}`));
  return reply.send(out);
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
      if (
        mayHoldFirstScreen(req, pathname) &&
        built.index.body.includes(ROOT_TAG) &&
        built.index.body.includes("<head>")
      )
        return sendWithFirstScreen(app, req, reply, built.index);
      return send(req, reply, built.index, ["accept"]);
    });
  };
}
