/**
 * The public status page on two replicas sharing one PostgreSQL (issue 6, "How it is served"): a
 * publish on one replica refreshes the cached bytes of the other within a second (LISTEN/NOTIFY),
 * and a database outage keeps the last rendered page served with its age, never a 500.
 *
 * The replicas are two apps in this process, each with its own pool, cache and LISTEN connection
 * (test/support/replicas.ts). The outage is real: the database refuses connections and every
 * session to it is terminated from an admin connection. Outcomes are polled for, with deadlines.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseOutage, type Replica, startReplicas } from "../support/replicas.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = any;

const LISTEN = "LISTEN firebreak_statuspage";
/** The promise: a publish shows on every replica within this. */
const REFRESH_LIMIT_MS = 1_000;
const POLL_MS = 50;

let env: Awaited<ReturnType<typeof startReplicas>>;
let outage: Awaited<ReturnType<typeof databaseOutage>>;
let a: Replica;
let b: Replica;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const get = (r: Replica, p: string, headers: Record<string, string> = {}) =>
  fetch(`${r.base}/status/${p}`, { headers });

type Seen = { status: number; etag: string | null; text: string; headers: Headers };
async function read(r: Replica, p: string): Promise<Seen> {
  const res = await get(r, p);
  return { status: res.status, etag: res.headers.get("etag"), text: await res.text(), headers: res.headers };
}

/** Drafts and approves a public incident through replica `r`; resolves once the approval answered. */
async function publish(r: Replica, name: string, body = `${name}: we are looking into it.`) {
  const path = (p: string) => `/api/v1/status-pages/default${p}`;
  const d = await r.drafter.request("POST", path("/incidents"), { name, status: "investigating", body });
  expect(d.status, JSON.stringify(d.body)).toBe(201);
  const ok = await r.admin.request("POST", path(`/drafts/${d.body.update.id}/approve`));
  expect(ok.status, JSON.stringify(ok.body)).toBe(200);
}

/**
 * Polls `p` on `r` every 50 ms until `ok` holds, at most `limitMs` from `since`; returns the last
 * response and when it was seen. Asserts only the outcome.
 */
async function until(
  r: Replica,
  p: string,
  ok: (s: Seen) => boolean,
  since: number,
  limitMs = REFRESH_LIMIT_MS,
): Promise<Seen & { afterMs: number }> {
  for (;;) {
    const s = await read(r, p);
    const afterMs = Date.now() - since;
    if (ok(s)) return { ...s, afterMs };
    if (afterMs > limitMs)
      throw new Error(
        `${r.name} /status/${p} did not change within ${limitMs} ms; last: ${s.status} ${s.text.slice(0, 300)}`,
      );
    await sleep(POLL_MS);
  }
}

const incidentNames = (s: Seen): string[] => (JSON.parse(s.text) as Json).incidents.map((i: Json) => i.name);

/** Polls the database until `n` sessions are listening for status page changes (the replicas' listeners). */
async function listeners(n: number, limitMs = 5_000) {
  const deadline = Date.now() + limitMs;
  while ((await outage.sessionsRunning(LISTEN)) !== n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} listening sessions`);
    await sleep(POLL_MS);
  }
}

beforeAll(async () => {
  env = await startReplicas(["A", "B"], { clockStart: "2026-11-18T12:00:00Z" });
  [a, b] = env.replicas as [Replica, Replica];
  outage = await databaseOutage(env.databaseName);
  const c = await a.admin.request("POST", "/api/v1/status-pages/default/components", { name: "API" });
  expect(c.status, JSON.stringify(c.body)).toBe(201);
  await listeners(2);
});

afterAll(async () => {
  await outage?.close();
  await env?.close();
});

describe("two replicas on one database", () => {
  it("a publish on replica A shows in replica B's cached summary.json and HTML within a second", async () => {
    // Both replicas serve the page, so both hold it in their caches.
    for (const r of [a, b]) {
      expect((await read(r, "default/api/v2/summary.json")).status).toBe(200);
      expect((await read(r, "default")).status).toBe(200);
    }
    const before = await read(b, "default/api/v2/summary.json");
    expect(incidentNames(before)).toEqual([]);
    // B answers from its cache: the same bytes, and 304 to a client holding them.
    const again = await get(b, "default/api/v2/summary.json", { "if-none-match": before.etag ?? "" });
    expect(again.status).toBe(304);

    await publish(a, "Replicated outage");
    const published = Date.now();
    const seen = await until(
      b,
      "default/api/v2/summary.json",
      (s) => s.status === 200 && incidentNames(s).includes("Replicated outage"),
      published,
    );
    expect(seen.afterMs).toBeLessThanOrEqual(REFRESH_LIMIT_MS);
    expect(seen.etag).toBeTruthy();
    expect(seen.etag).not.toBe(before.etag);
    // A client still holding the old bytes gets the new ones, not a 304.
    const revalidated = await get(b, "default/api/v2/summary.json", { "if-none-match": before.etag ?? "" });
    expect(revalidated.status).toBe(200);
    // B's HTML page was cached too, and has been refreshed with it.
    const html = await until(b, "default", (s) => s.text.includes("Replicated outage"), published);
    expect(html.status).toBe(200);
  });

  it("and the other way round: a publish on replica B shows on replica A within a second", async () => {
    const before = await read(a, "default/api/v2/summary.json");
    expect(incidentNames(before)).not.toContain("Second replicated outage");
    await publish(b, "Second replicated outage");
    const seen = await until(
      a,
      "default/api/v2/summary.json",
      (s) => incidentNames(s).includes("Second replicated outage"),
      Date.now(),
    );
    expect(seen.etag).not.toBe(before.etag);
  });
});

describe("a database outage", () => {
  it("keeps serving the last rendered page with its age, answers 503 for a page never rendered, and recovers", async () => {
    // A second page that exists but that no replica has rendered yet.
    const internal = await a.admin.request("POST", "/api/v1/status-pages", {
      slug: "internal",
      name: "Internal",
    });
    expect(internal.status, JSON.stringify(internal.body)).toBe(201);
    // Replica A serves the default page: the HTML and the JSON.
    const html = await read(a, "default");
    expect(html.status).toBe(200);
    expect(html.text).toContain("Second replicated outage");
    expect(html.text).not.toContain("Showing the status as of");
    const summary = await read(a, "default/api/v2/summary.json");
    expect(summary.status).toBe(200);
    expect((await read(b, "default")).status).toBe(200);

    await outage.begin();
    // The outage is real: nobody can connect to the database.
    const probe = new pg.Client({ connectionString: env.url });
    await expect(probe.connect()).rejects.toThrow(/not currently accepting connections/);
    await probe.end().catch(() => undefined);
    // Five minutes pass without a database.
    env.clock.advanceMinutes(5);

    const stale = await read(a, "default");
    expect(stale.status).toBe(200);
    expect(stale.headers.get("content-type")).toMatch(/^text\/html/);
    expect(stale.text).toContain("Second replicated outage");
    expect(stale.text).toMatch(
      /Showing the status as of 5 minutes ago \([^)]*\): current information is temporarily unavailable\./,
    );

    const staleJson = await read(a, "default/api/v2/summary.json");
    expect(staleJson.status).toBe(200);
    expect(staleJson.headers.get("content-type")).toMatch(/^application\/json/);
    expect(JSON.parse(staleJson.text)).toEqual(JSON.parse(summary.text));
    // The same bytes as before the outage: widgets holding them keep getting 304s.
    expect(staleJson.etag).toBe(summary.etag);

    // A page no replica rendered before the outage: a page saying so, with Retry-After, not a 500.
    for (const p of ["internal", "internal/api/v2/summary.json"]) {
      const never = await read(a, p);
      expect(never.status, p).toBe(503);
      expect(never.headers.get("content-type"), p).toMatch(/^text\/html/);
      expect(never.headers.get("retry-after"), p).toMatch(/^\d+$/);
      expect(never.text, p).toMatch(/<html/i);
      expect(never.text, p).toContain("Status temporarily unavailable");
    }

    // Customers refresh all at once: every public resource of the page answers, none with a 5xx.
    const paths = [
      "default",
      "default/history",
      "default/history.rss",
      "default/history.atom",
      "default/api/v2/summary.json",
      "default/api/v2/status.json",
      "default/api/v2/components.json",
      "default/api/v2/incidents.json",
      "default/api/v2/incidents/unresolved.json",
      "default/api/v2/scheduled-maintenances.json",
    ];
    const storm = await Promise.all(
      [a, b].flatMap((r) =>
        paths.flatMap((p) => [0, 1, 2].map(async () => ({ p, s: (await get(r, p)).status }))),
      ),
    );
    expect(storm.filter(({ s }) => s !== 200)).toEqual([]);

    // The database comes back; both replicas listen again, and a fresh publish shows everywhere.
    await outage.end();
    await listeners(2);
    await publish(b, "After the outage");
    const published = Date.now();
    const back = await until(
      a,
      "default/api/v2/summary.json",
      (s) => s.status === 200 && incidentNames(s).includes("After the outage"),
      published,
    );
    expect(back.etag).not.toBe(summary.etag);
    const fresh = await until(a, "default", (s) => s.text.includes("After the outage"), published);
    expect(fresh.status).toBe(200);
    expect(fresh.text).not.toContain("Showing the status as of");
    expect((await read(a, "internal")).status).toBe(200);
  });

  /**
   * Regression guard: a listener that LISTENs again after losing its connection clears the cache,
   * or a publish made while it was reconnecting would show only after the 10 s TTL.
   */
  it("a publish just after the database comes back reaches a replica whose listener was reconnecting", async () => {
    await outage.end();
    await listeners(2);
    expect((await read(a, "default/api/v2/summary.json")).status).toBe(200);
    await outage.begin();
    expect((await read(a, "default/api/v2/summary.json")).status).toBe(200);
    await outage.end();
    // The database is back; replica A answers from it (and caches that) before its listener returns.
    const refilled = await read(a, "default/api/v2/summary.json");
    expect(refilled.status).toBe(200);
    await publish(b, "Just after the outage");
    await until(
      a,
      "default/api/v2/summary.json",
      (s) => incidentNames(s).includes("Just after the outage"),
      Date.now(),
      2 * REFRESH_LIMIT_MS,
    );
  });
});
