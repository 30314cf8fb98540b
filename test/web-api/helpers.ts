/**
 * What a browser does, for the web app's API tests: keep the session cookie, send the web app's
 * header, read server-sent events from a real HTTP response.
 */
import { expect, vi } from "vitest";
import { buildApp } from "../../src/app.ts";
import { TestClock } from "../../src/platform/clock.ts";
import { openDatabase } from "../../src/platform/db.ts";
import { createLogger, type Logger } from "../../src/platform/logger.ts";
import { loadPolicy } from "../../src/policy/load.ts";
import { client, type Reply } from "../support/app.ts";
import { createTestDatabase } from "../support/database.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
export type Json = any;

async function parse(res: Response): Promise<Reply> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

/** A browser on the web app: the cookie jar holds `firebreak_session` once signed in. */
export function browser(base: string, opts: { userAgent?: string } = {}) {
  let cookie: string | undefined;
  const b = {
    get cookie() {
      return cookie;
    },
    set cookie(value: string | undefined) {
      cookie = value;
    },
    /** `web: false` leaves out `x-firebreak-client: web`, as a form posted from another site would. */
    async request(method: string, path: string, body?: unknown, o: { web?: boolean } = {}): Promise<Reply> {
      const res = await fetch(base + path, {
        method,
        headers: {
          ...(cookie ? { cookie } : {}),
          ...(o.web === false ? {} : { "x-firebreak-client": "web" }),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(opts.userAgent ? { "user-agent": opts.userAgent } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const setCookie = res.headers.get("set-cookie");
      const m = setCookie && /^firebreak_session=([^;]*)/.exec(setCookie);
      if (m) cookie = m[1] ? `firebreak_session=${m[1]}` : undefined;
      return parse(res);
    },
    get: (path: string) => b.request("GET", path),
    async signIn(credentials: { username: string; password: string } | { token: string }): Promise<Reply> {
      return b.request("POST", "/api/v1/session", credentials);
    },
  };
  return b;
}

export type Browser = ReturnType<typeof browser>;

export type SseEvent = { event: string; id?: string; data: Json };

/**
 * Opens a server-sent event stream over real HTTP and collects what arrives. `waitFor` polls the
 * collected events (no sleeping for time to pass: it waits for an outcome).
 */
export async function openStream(
  base: string,
  path: string,
  headers: Record<string, string>,
): Promise<{
  status: number;
  headers: Headers;
  body: Json;
  events: SseEvent[];
  comments: string[];
  ended: () => boolean;
  waitFor: (match: (e: SseEvent) => boolean, what: string) => Promise<SseEvent>;
  close: () => void;
}> {
  const abort = new AbortController();
  const res = await fetch(base + path, { headers, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let ended = false;
  if (res.status !== 200 || !res.body) {
    const r = await parse(res);
    return {
      status: r.status,
      headers: r.headers,
      body: r.body,
      events,
      comments,
      ended: () => true,
      waitFor: () => Promise.reject(new Error(`no stream: ${r.status}`)),
      close: () => undefined,
    };
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut = buffer.indexOf("\n\n");
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const e: { event?: string; id?: string; data: string[] } = { data: [] };
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) comments.push(line.slice(1).trim());
            else if (line.startsWith("event: ")) e.event = line.slice(7);
            else if (line.startsWith("id: ")) e.id = line.slice(4);
            else if (line.startsWith("data: ")) e.data.push(line.slice(6));
          }
          if (e.data.length) {
            events.push({ event: e.event ?? "message", id: e.id, data: JSON.parse(e.data.join("\n")) });
          }
          cut = buffer.indexOf("\n\n");
        }
      }
    } catch {
      // aborted by the test
    } finally {
      ended = true;
    }
  })();
  return {
    status: res.status,
    headers: res.headers,
    body: undefined,
    events,
    comments,
    ended: () => ended,
    async waitFor(match, what) {
      return vi.waitFor(
        () => {
          const found = events.find(match);
          if (!found) throw new Error(`still waiting for ${what}; got ${JSON.stringify(events)}`);
          return found;
        },
        { timeout: 5_000, interval: 20 },
      );
    },
    close: () => abort.abort(),
  };
}

export type Stream = Awaited<ReturnType<typeof openStream>>;

/** Waits until the server has ended the stream. */
export async function waitEnded(s: Stream): Promise<void> {
  await vi.waitFor(
    () => {
      if (!s.ended()) throw new Error("the stream is still open");
    },
    { timeout: 5_000, interval: 20 },
  );
}

export const timelineEvents = (s: Stream) => s.events.filter((e) => e.event === "timeline");

/** The session cookie as the server set it, attributes and all. */
export function expectSessionCookie(r: Reply): string {
  const header = r.headers.get("set-cookie") ?? "";
  expect(header).toMatch(/^firebreak_session=[\w-]{43};/);
  return header;
}

/**
 * The app with settings startTestApp does not take (a short keep-alive, a logger to read), on a
 * fresh test database, with the bootstrap admin's client.
 */
export async function startCustomApp(opts: { streamKeepAliveMs?: number; log?: Logger } = {}) {
  const database = openDatabase(await createTestDatabase(), 5);
  const clock = new TestClock("2026-03-02T10:00:00Z");
  const { app, services } = await buildApp({
    database,
    clock,
    policy: loadPolicy(),
    log: opts.log ?? createLogger("silent"),
    bodyLimitBytes: 1024 * 1024,
    publicUrl: "https://firebreak.test",
    streamKeepAliveMs: opts.streamKeepAliveMs,
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const boot = await services.users.bootstrap();
  return {
    base,
    clock,
    admin: client(base, boot!.secret!),
    database,
    services,
    async close() {
      await app.close();
      await database.close();
    },
  };
}
