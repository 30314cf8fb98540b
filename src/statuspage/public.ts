/**
 * The public status pages, without authentication: HTML, Statuspage v2 JSON and feeds, served
 * from precomputed bytes (cache.ts) with ETag, Last-Modified and Cache-Control. A database outage
 * serves the last bytes with their age; an unknown page or incident gets a 404 page that renders.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../platform/clock.ts";
import { AppError } from "../platform/errors.ts";
import { type App, type FastPath, saneRequestId, unstorableText } from "../platform/http.ts";
import type { Metrics } from "../platform/metrics.ts";
import type { Cached, Rendered, ResponseCache } from "./cache.ts";
import { renderAtom, renderRss } from "./feeds.ts";
import { calendarMemo, overallStatus, uptimeBars } from "./model.ts";
import { renderHistory, renderIncident, renderNotFound, renderPage, renderUnavailable } from "./render.ts";
import type { StatusService } from "./service.ts";
import * as v2 from "./statuspage-v2.ts";
import type { PageSnapshot } from "./types.ts";

const HTML = "text/html; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";
/** Browsers and CDNs may keep a response this long; a publish shows within it. */
const MAX_AGE_SECONDS = 10;
/** How long rebuilds of one page's URLs may share a snapshot taken after the last change. */
const SNAPSHOT_SHARED_MS = 1_000;

const bytes = (text: string, contentType: string, status = 200): Rendered => ({
  body: Buffer.from(text),
  contentType,
  status,
});

/** `Accept-Encoding` names gzip without refusing it (`gzip;q=0`). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "*") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * The pages are HTML without scripts, with one inline <style> and style attributes, posting only
 * the subscribe form to this site; nothing may frame them or sniff their type. Sent with every
 * answer, cached bytes included.
 */
export const statusPageContentSecurityPolicy = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const statusPageSecurityHeaders: Record<string, string> = {
  "content-security-policy": statusPageContentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
};

/** A page slug as status pages are created with; anything else is a 404 without asking the database. */
const validSlug = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** How many URLs the early answers remember the cache keys of. */
const MAX_REMEMBERED_URLS = 1_000;

const keyOf = (slug: string, rest: string) => `${slug}\u0000${rest}`;

type Answer = { status: number; headers: Record<string, string>; body?: Buffer };
/** The three ways to answer from one cached response, made once per response (a crowd asks again and again). */
type Answers = { plain: Answer; gzip?: Answer; notModified: Answer };
const answersOf = new WeakMap<Cached, Answers>();

function answers(r: Cached): Answers {
  let made = answersOf.get(r);
  if (made) return made;
  const headers: Record<string, string> = {
    ...statusPageSecurityHeaders,
    "content-type": r.contentType,
    etag: r.etag,
    "last-modified": r.lastModified.toUTCString(),
    "cache-control": `public, max-age=${MAX_AGE_SECONDS}`,
    "access-control-allow-origin": "*",
    vary: "accept-encoding",
  };
  if (r.stale) headers.warning = `110 - "stale: the status as of ${new Date(r.builtAt).toISOString()}"`;
  const withBody = (body: Buffer, extra: Record<string, string> = {}): Answer => ({
    status: r.status,
    headers: { ...headers, ...extra, "content-length": String(body.length) },
    body,
  });
  made = {
    plain: withBody(r.body),
    gzip: r.gzip ? withBody(r.gzip, { "content-encoding": "gzip" }) : undefined,
    notModified: { status: 304, headers },
  };
  // A response marked stale later (a failed rebuild) is a new object: its answers are made anew.
  if (!r.stale) answersOf.set(r, made);
  return made;
}

/** The request headers an answer from cached bytes depends on. */
type AnswerHeaders = {
  [name in "if-none-match" | "if-modified-since" | "accept-encoding" | "x-request-id"]?: string | string[];
};
const answerHeaderNames = new Set(["if-none-match", "if-modified-since", "accept-encoding", "x-request-id"]);
/** Their lengths: a name of another length is passed over without lower-casing it (a string each). */
const answerHeaderLengths = new Set([...answerHeaderNames].map((n) => n.length));

/**
 * The headers `answer` reads, from the raw list (the first of each name). Node builds `req.headers`
 * only when it is first read, and building it cost more than the rest of a cached answer.
 */
export function answerHeaders(rawHeaders: readonly string[]): AnswerHeaders {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const raw = rawHeaders[i] as string;
    if (!answerHeaderLengths.has(raw.length)) continue;
    const name = raw.toLowerCase();
    if (answerHeaderNames.has(name) && out[name] === undefined) out[name] = rawHeaders[i + 1] as string;
  }
  return out;
}

/** How to answer a request from cached bytes: 304, gzipped or plain, marked stale when they are. */
function answer(r: Cached, req: AnswerHeaders): Answer {
  const made = answers(r);
  const since = req["if-modified-since"];
  const notModified =
    req["if-none-match"] === r.etag ||
    (req["if-none-match"] === undefined &&
      typeof since === "string" &&
      Date.parse(since) >= r.lastModified.getTime());
  if (notModified && r.status === 200) return made.notModified;
  const encodings = req["accept-encoding"];
  if (made.gzip && typeof encodings === "string" && acceptsGzip(encodings)) return made.gzip;
  return made.plain;
}

/**
 * The cache key of a public status URL, as the routes below would make it, or null when the URL
 * is not one (or needs decoding: the routes handle those).
 */
export function statusKeyOfUrl(url: string, atRoot?: string): string | null {
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  if (path === "/") return atRoot ? keyOf(atRoot, "") : null;
  if (!path.startsWith("/status/") || path.includes("%")) return null;
  const slash = path.indexOf("/", 8);
  if (slash === -1) return path.length > 8 ? keyOf(path.slice(8), "") : null;
  if (slash === 8) return null;
  return keyOf(path.slice(8, slash), path.slice(slash + 1).replace(/\/$/, ""));
}

/**
 * Visitors' requests for bytes already cached, answered before routing: a crowd refreshing the
 * status page costs little more than a bare HTTP server would. Anything else (nothing cached yet,
 * errors, 404s) goes through the routes below. Counted in `firebreak_http_cached_answers_total`;
 * not logged, so they carry an X-Request-Id only when the request had one.
 */
export function statusFastPath(cache: ResponseCache, metrics: Metrics, atRoot?: string): FastPath {
  // A crowd asks for a few URLs again and again: each one's key and route are worked out once.
  const targets = new Map<string, { key: string; route: string } | null>();
  const targetOf = (url: string) => {
    let t = targets.get(url);
    if (t !== undefined) return t;
    const key = statusKeyOfUrl(url, atRoot);
    t =
      key === null
        ? null
        : {
            key,
            route:
              url === "/" || url.startsWith("/?")
                ? "/"
                : key.endsWith("\u0000")
                  ? "/status/:slug"
                  : "/status/:slug/*",
          };
    // Bounded: anyone can send any number of distinct URLs (query strings).
    if (targets.size >= MAX_REMEMBERED_URLS) targets.clear();
    targets.set(url, t);
    return t;
  };
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const target = targetOf(req.url ?? "");
    if (target === null) return false;
    const r = cache.peek(target.key);
    if (!r) return false;
    const headers = answerHeaders(req.rawHeaders);
    const a = answer(r, headers);
    // No log line is written here, so a request id is only echoed when the caller sent one.
    const given = saneRequestId(headers["x-request-id"]);
    res.writeHead(a.status, given ? { ...a.headers, "x-request-id": given } : a.headers);
    res.end(req.method === "HEAD" ? undefined : a.body);
    metrics.cachedAnswers.add(req.method, target.route, a.status);
    return true;
  };
}

const uptimeCalendar = calendarMemo();

function barsOf(s: PageSnapshot) {
  const bars = new Map<string, ReturnType<typeof uptimeBars>>();
  const calendar = uptimeCalendar(s.generatedAt, s.page.timeZone);
  const historyOf = new Map<string, PageSnapshot["history"]>();
  for (const h of s.history) {
    const mine = historyOf.get(h.componentId);
    if (mine) mine.push(h);
    else historyOf.set(h.componentId, [h]);
  }
  for (const c of s.components) {
    if (c.group) continue;
    const mine = (historyOf.get(c.id) ?? []).sort((a, b) => a.at.getTime() - b.at.getTime());
    bars.set(
      c.id,
      uptimeBars(mine, {
        now: s.generatedAt,
        timeZone: s.page.timeZone,
        calendar,
        startDate: c.startDate ?? c.createdAt.toISOString().slice(0, 10),
        initial: mine[0]?.status ?? "operational",
      }),
    );
  }
  return bars;
}

const overallOf = (s: PageSnapshot) => overallStatus(s.components, { securityIssue: s.securityIssue });

/** Every public resource of a page, by its path under /status/{page}. */
const resources: Record<string, (s: PageSnapshot, dataAge?: { seconds: number }) => Rendered> = {
  "": (s, dataAge) => bytes(renderPage(s, overallOf(s), barsOf(s), dataAge ? { dataAge } : {}), HTML),
  history: (s) => bytes(renderHistory(s), HTML),
  "history.rss": (s) => bytes(renderRss(s), "application/rss+xml; charset=utf-8"),
  "history.atom": (s) => bytes(renderAtom(s), "application/atom+xml; charset=utf-8"),
  "api/v2/summary.json": (s) => bytes(JSON.stringify(v2.summaryJson(s, overallOf(s))), JSON_TYPE),
  "api/v2/status.json": (s) => bytes(JSON.stringify(v2.statusJson(s, overallOf(s))), JSON_TYPE),
  "api/v2/components.json": (s) => bytes(JSON.stringify(v2.componentsJson(s)), JSON_TYPE),
  "api/v2/incidents.json": (s) => bytes(JSON.stringify(v2.incidentsJson(s)), JSON_TYPE),
  "api/v2/incidents/unresolved.json": (s) => bytes(JSON.stringify(v2.unresolvedIncidentsJson(s)), JSON_TYPE),
  "api/v2/scheduled-maintenances.json": (s) =>
    bytes(JSON.stringify(v2.scheduledMaintenancesJson(s)), JSON_TYPE),
  "api/v2/scheduled-maintenances/upcoming.json": (s) =>
    bytes(JSON.stringify(v2.upcomingMaintenancesJson(s)), JSON_TYPE),
  "api/v2/scheduled-maintenances/active.json": (s) =>
    bytes(JSON.stringify(v2.activeMaintenancesJson(s)), JSON_TYPE),
};

export function publicStatusRoutes(
  service: StatusService,
  cache: ResponseCache,
  clock: Clock,
  /** A page also served at `/` (STATUS_PAGE_AT_ROOT). */
  atRoot?: string,
) {
  // The last snapshot of each page: when the database is away, pages render from it with its age.
  const lastSnapshots = new Map<string, PageSnapshot>();
  // The URLs of a page rebuilt together (after a change) share one snapshot: one read, not twelve.
  const sharedSnapshots = new Map<
    string,
    { generation: number; at: number; snapshot: Promise<PageSnapshot> }
  >();

  function snapshotOf(slug: string): Promise<PageSnapshot> {
    const shared = sharedSnapshots.get(slug);
    if (
      shared &&
      shared.generation === cache.generation &&
      performance.now() - shared.at < SNAPSHOT_SHARED_MS
    )
      return shared.snapshot;
    const snapshot = service.snapshot(slug);
    sharedSnapshots.set(slug, { generation: cache.generation, at: performance.now(), snapshot });
    snapshot.catch(() => {
      if (sharedSnapshots.get(slug)?.snapshot === snapshot) sharedSnapshots.delete(slug);
    });
    return snapshot;
  }

  async function render(slug: string, rest: string): Promise<Rendered> {
    let snapshot: PageSnapshot;
    let dataAge: { seconds: number } | undefined;
    try {
      snapshot = await snapshotOf(slug);
      lastSnapshots.set(slug, snapshot);
    } catch (err) {
      if (err instanceof AppError && err.code === "not-found")
        return bytes(renderNotFound(`status page ${slug}`), HTML, 404);
      const last = lastSnapshots.get(slug);
      if (!last) throw err;
      snapshot = last;
      dataAge = { seconds: Math.round((clock.now().getTime() - last.generatedAt.getTime()) / 1000) };
    }
    const incident = /^incidents\/(\d+)$/.exec(rest);
    if (incident?.[1]) {
      const html = renderIncident(snapshot, incident[1]);
      return html === null
        ? bytes(renderNotFound(`incident ${incident[1]}`, snapshot.page.url), HTML, 404)
        : bytes(html, HTML);
    }
    const build = resources[rest];
    if (!build) return bytes(renderNotFound(`page /${rest}`, snapshot.page.url), HTML, 404);
    const r = build(snapshot, dataAge);
    // Not kept in the cache: the next request tries the database again.
    return dataAge ? { ...r, transient: true } : r;
  }

  async function serve(req: FastifyRequest, reply: FastifyReply, slug: string, rest: string) {
    let r: Cached;
    try {
      r = await cache.get(keyOf(slug, rest), () => render(slug, rest));
    } catch (err) {
      // Nothing rendered yet and the database is away: say so on a page, not a bare 500.
      req.log.error({ err }, "status page could not be rendered");
      reply
        .code(503)
        .headers(statusPageSecurityHeaders)
        .header("retry-after", "10")
        .type(HTML)
        .send(renderUnavailable());
      return;
    }
    const a = answer(r, req.headers);
    reply.code(a.status).headers(a.headers).send(a.body);
  }

  /**
   * A slug no page can have (`/status/%00`) is a 404 page at once: asked of the database, it failed
   * there and read as an outage. Runs before the input checks, which would make it a 400.
   */
  function unknownSlug(req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) {
    const p = req.params as { slug?: string; "*"?: string };
    const slug = p.slug ?? atRoot ?? "";
    if (validSlug.test(slug) && !unstorableText(p["*"] ?? "")) return done();
    reply
      .code(404)
      .headers(statusPageSecurityHeaders)
      .type(HTML)
      .send(renderNotFound(validSlug.test(slug) ? "that page" : "that status page"));
  }

  return async (app: App) => {
    const schema = { tags: ["status page (public)"], security: [] };
    // A crowd of visitors is not worth two log lines each; failures are still logged.
    const logLevel = "warn";
    const onRequest = unknownSlug;
    app.get(
      "/status/:slug",
      {
        logLevel,
        onRequest,
        schema: { ...schema, summary: "A status page: HTML that works without JavaScript" },
      },
      async (req, reply) => serve(req, reply, (req.params as { slug: string }).slug, ""),
    );
    if (atRoot) {
      app.get(
        "/",
        { logLevel, schema: { ...schema, summary: `The status page ${atRoot}` } },
        async (req, reply) => serve(req, reply, atRoot, ""),
      );
    }
    app.get(
      "/status/:slug/*",
      {
        logLevel,
        onRequest,
        schema: {
          ...schema,
          summary:
            "history, history.rss, history.atom, incidents/{id}, and the Statuspage v2 JSON under api/v2/ (summary.json, status.json, components.json, incidents.json, incidents/unresolved.json, scheduled-maintenances.json, scheduled-maintenances/upcoming.json, scheduled-maintenances/active.json)",
        },
      },
      async (req, reply) => {
        const p = req.params as { slug: string; "*": string };
        await serve(req, reply, p.slug, p["*"].replace(/\/$/, ""));
      },
    );
  };
}
