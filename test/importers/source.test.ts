/**
 * Where importers read from: a vendor's API over HTTP (with its rate limits) or a directory of the
 * JSON it returned. A local server answers as the vendors do when rate-limited: 429 with
 * Retry-After (Grafana OnCall, Opsgenie) or PagerDuty's `ratelimit-reset` seconds.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  directorySource,
  httpSource,
  RATE_LIMIT_RETRIES,
  rateLimitWaitMs,
  SourceError,
} from "../../src/importers/source.ts";

let server: Server;
let base: string;
/** Answers still to give before the 200; each is [status, headers]. */
let limited: [number, Record<string, string>][] = [];
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.url} ${req.headers.authorization}`);
    const next = limited.shift();
    if (next) {
      res.writeHead(next[0], { "content-type": "application/json", ...next[1] });
      res.end(JSON.stringify({ error: { message: "Rate Limit Exceeded", code: 2020 } }));
      return;
    }
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ users: [], more: false }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("reading a vendor's API", () => {
  it("waits as a rate-limited answer asks and then reads the page", async () => {
    limited = [
      [429, { "retry-after": "7" }],
      [429, { "ratelimit-reset": "3" }],
    ];
    seen.length = 0;
    const waits: number[] = [];
    const source = httpSource(
      `${base}/`,
      { authorization: "Token token=abc" },
      {
        sleep: async (ms) => void waits.push(ms),
      },
    );
    await expect(source.get("/users", { offset: 0, limit: 25 })).resolves.toEqual({ users: [], more: false });
    expect(waits).toEqual([7000, 3000]);
    expect(seen).toEqual(Array(3).fill("/users?limit=25&offset=0 Token token=abc"));
  });

  it("gives up after its retries, saying what the vendor answered", async () => {
    limited = Array.from(
      { length: RATE_LIMIT_RETRIES + 1 },
      () => [429, {}] as [number, Record<string, string>],
    );
    const waits: number[] = [];
    const source = httpSource(base, {}, { sleep: async (ms) => void waits.push(ms) });
    const error = await source.get("/users").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(String(error)).toMatch(/HTTP 429 .*Rate Limit Exceeded/);
    // No hint in the answers: 1, 2, 4, 8, 16 s.
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000]);
    limited = [];
  });

  it("does not retry other failures", async () => {
    limited = [[401, {}]];
    const waits: number[] = [];
    const source = httpSource(base, {}, { sleep: async (ms) => void waits.push(ms) });
    await expect(source.get("/users")).rejects.toThrow(/HTTP 401/);
    expect(waits).toEqual([]);
  });

  it("reads Retry-After as seconds or a date, and never waits more than a minute", () => {
    const now = Date.parse("2026-12-06T12:00:00Z");
    const h = (o: Record<string, string>) => new Headers(o);
    expect(rateLimitWaitMs(h({ "retry-after": "2" }), now, 0)).toBe(2000);
    expect(rateLimitWaitMs(h({ "retry-after": "Sun, 06 Dec 2026 12:00:05 GMT" }), now, 0)).toBe(5000);
    expect(rateLimitWaitMs(h({ "retry-after": "3600" }), now, 0)).toBe(60_000);
    expect(rateLimitWaitMs(h({ "retry-after": "Sun, 06 Dec 2026 11:00:00 GMT" }), now, 0)).toBe(0);
    expect(rateLimitWaitMs(h({}), now, 2)).toBe(4000);
  });
});

describe("reading a directory of the API's JSON", () => {
  const dir = mkdtempSync(join(tmpdir(), "firebreak-source-"));
  mkdirSync(join(dir, "schedules"), { recursive: true });
  writeFileSync(join(dir, "users?limit=25&offset=25.json"), '{"page":2}');
  writeFileSync(join(dir, "users.json"), '{"all":true}');
  writeFileSync(join(dir, "schedules", "P1.json"), '{"schedule":"P1"}');
  writeFileSync(join(dir, "broken.json"), "{");
  const source = directorySource(dir);

  it("names a query's file by its sorted pairs, and falls back to the file without the query", async () => {
    await expect(source.get("/users", { offset: 25, limit: 25 })).resolves.toEqual({ page: 2 });
    await expect(source.get("/users", { offset: 50, limit: 25 })).resolves.toEqual({ all: true });
    await expect(source.get("/schedules/P1/", { since: "x" })).resolves.toEqual({ schedule: "P1" });
  });

  it("says which files it looked for, refuses paths outside the directory and files that are not JSON", async () => {
    await expect(source.get("/teams", { limit: 25 })).rejects.toThrow(
      /no file teams\?limit=25\.json or teams\.json in /,
    );
    await expect(source.get("/../../etc/passwd")).rejects.toThrow(/outside the directory/);
    await expect(source.get("/broken")).rejects.toThrow(/broken\.json: not JSON/);
  });
});
