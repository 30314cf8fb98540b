import { gunzipSync } from "node:zlib";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { createResponseCache, type Rendered } from "./cache.ts";
import { acceptsGzip, answerHeaders, statusKeyOfUrl } from "./public.ts";

const log = pino({ level: "silent" });
const html = (text: string): Rendered => ({ body: Buffer.from(text), contentType: "text/html", status: 200 });

/** A render whose result the test hands over when it wants, counting calls. */
function controlledRender() {
  const calls: ((r: Rendered) => void)[] = [];
  const render = () => new Promise<Rendered>((resolve) => calls.push(resolve));
  return { render, calls };
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("status page response cache", () => {
  it("serves the last bytes while one rebuild runs after the TTL, then the new bytes", async () => {
    const c = clock();
    const cache = createResponseCache({ ttlMs: 10_000, log, now: c.now });
    expect((await cache.get("k", async () => html("v1"))).body.toString()).toBe("v1");
    c.advance(10_000);
    const slow = controlledRender();
    // A crowd arrives while the rebuild is slow: every one gets v1 at once; one render runs.
    const crowd = await Promise.all(Array.from({ length: 50 }, () => cache.get("k", slow.render)));
    expect(crowd.map((r) => r.body.toString())).toEqual(Array(50).fill("v1"));
    expect(slow.calls).toHaveLength(1);
    slow.calls[0]!(html("v2"));
    await new Promise((r) => setImmediate(r));
    expect((await cache.get("k", slow.render)).body.toString()).toBe("v2");
    expect(slow.calls).toHaveLength(1);
  });

  it("refresh rebuilds the URLs asked for, resolves when they are fresh, and forgets the rest", async () => {
    const cache = createResponseCache({ ttlMs: 10_000, log });
    let version = 1;
    const renders: string[] = [];
    const render = (key: string) => async () => {
      renders.push(key);
      return html(`${key} v${version}`);
    };
    await cache.get("hot", render("hot"));
    await cache.get("cold", render("cold"));
    await cache.get("hot", render("hot")); // asked for again since it was built
    renders.length = 0;
    version = 2;
    await cache.refresh();
    expect(renders).toEqual(["hot"]);
    expect(cache.size).toBe(1);
    // The next read sees the change without waiting for anything.
    expect((await cache.get("hot", render("hot"))).body.toString()).toBe("hot v2");
    expect(renders).toEqual(["hot"]);
    // The cold URL is built when someone asks, with the new data.
    expect((await cache.get("cold", render("cold"))).body.toString()).toBe("cold v2");
  });

  it("a rebuild that started before a change is not kept after it", async () => {
    const c = clock();
    const cache = createResponseCache({ ttlMs: 1_000, log, now: c.now });
    let data = "v1";
    let holdNext: ((r: Rendered) => void) | undefined;
    let hold = false;
    // Reads `data` when called; while `hold` is set its answer waits for the test.
    const render = () => {
      const read = html(data);
      if (!hold) return Promise.resolve(read);
      hold = false;
      return new Promise<Rendered>((resolve) => {
        holdNext = () => resolve(read);
      });
    };
    await cache.get("k", render);
    await cache.get("k", render); // asked for: rebuilt on a change
    c.advance(1_000);
    hold = true;
    await cache.get("k", render); // a TTL rebuild reads v1 and is slow to finish
    data = "v2";
    await cache.refresh(); // the change: its own rebuild reads v2
    holdNext!(html("ignored"));
    await new Promise((r) => setImmediate(r));
    expect((await cache.get("k", render)).body.toString()).toBe("v2");
  });

  it("a failed rebuild keeps the last bytes and marks them stale", async () => {
    const c = clock();
    const cache = createResponseCache({ ttlMs: 1_000, log, now: c.now });
    await cache.get("k", async () => html("v1"));
    c.advance(1_000);
    await cache.get("k", async () => {
      throw new Error("database unavailable");
    });
    await new Promise((r) => setImmediate(r));
    const r = await cache.get("k", async () => {
      throw new Error("database unavailable");
    });
    expect(r.body.toString()).toBe("v1");
    expect(r.stale).toBe(true);
  });

  it("nothing cached and the render fails: the error reaches the caller", async () => {
    const cache = createResponseCache({ ttlMs: 1_000, log });
    await expect(
      cache.get("k", async () => {
        throw new Error("database unavailable");
      }),
    ).rejects.toThrow("database unavailable");
  });

  it("clear drops everything: the next request waits for fresh bytes", async () => {
    const cache = createResponseCache({ ttlMs: 10_000, log });
    await cache.get("k", async () => html("v1"));
    cache.clear();
    expect(cache.size).toBe(0);
    expect((await cache.get("k", async () => html("v2"))).body.toString()).toBe("v2");
  });

  it("keeps a gzipped copy of large bodies, not of small ones; 404s and transient renders are not kept", async () => {
    const cache = createResponseCache({ ttlMs: 10_000, log });
    const big = "<p>all systems operational</p>".repeat(200);
    const r = await cache.get("big", async () => html(big));
    expect(r.gzip && gunzipSync(r.gzip).toString()).toBe(big);
    expect((await cache.get("small", async () => html("ok"))).gzip).toBeUndefined();
    await cache.get("missing", async () => ({ ...html("not found"), status: 404 }));
    await cache.get("old", async () => ({ ...html("as of 5 minutes ago"), transient: true }));
    expect(cache.size).toBe(2);
  });
});

describe("Accept-Encoding", () => {
  it.each([
    ["gzip, deflate, br", true],
    ["br;q=1.0, gzip;q=0.8", true],
    ["*", true],
    ["gzip;q=0", false],
    ["identity", false],
    ["deflate, br", false],
    [undefined, false],
  ])("%s → gzip %s", (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});

describe("status URLs answered before routing", () => {
  it.each([
    ["/status/default", "default\u0000"],
    ["/status/default/", "default\u0000"],
    ["/status/default?x=1", "default\u0000"],
    ["/status/default/api/v2/summary.json", "default\u0000api/v2/summary.json"],
    ["/status/default/history/", "default\u0000history"],
    ["/status/default/incidents/12", "default\u0000incidents/12"],
    ["/status/", null],
    ["/status//history", null],
    ["/status/d%C3%A9faut", null],
    ["/statusx/default", null],
    ["/api/v1/incidents", null],
    ["/", null],
  ])("%s → %j", (url, key) => {
    expect(statusKeyOfUrl(url)).toBe(key);
  });

  it("/ is the root page's when one is set", () => {
    expect(statusKeyOfUrl("/", "acme")).toBe("acme\u0000");
    expect(statusKeyOfUrl("/?utm=x", "acme")).toBe("acme\u0000");
  });
});

describe("the request headers a cached answer reads", () => {
  it("come from the raw list, names in any case, the first of each name, nothing else", () => {
    expect(
      answerHeaders([
        "Host",
        "x.test",
        "If-None-Match",
        '"abc"',
        "ACCEPT-ENCODING",
        "gzip, br",
        "if-none-match",
        '"later"',
        "X-Request-Id",
        "req-1",
        "If-Modified-Since",
        "Tue, 24 Nov 2026 01:00:00 GMT",
      ]),
    ).toEqual({
      "if-none-match": '"abc"',
      "accept-encoding": "gzip, br",
      "x-request-id": "req-1",
      "if-modified-since": "Tue, 24 Nov 2026 01:00:00 GMT",
    });
    expect(answerHeaders([])).toEqual({});
  });
});

describe("status page cache: what a rebuild finds", () => {
  it("a URL that is gone (404 on rebuild) stops being served", async () => {
    const c = clock();
    const cache = createResponseCache({ ttlMs: 1_000, log, now: c.now });
    await cache.get("incident", async () => html("an incident"));
    c.advance(1_000);
    // The stale bytes are served while the rebuild runs; the rebuild finds nothing.
    const gone = async (): Promise<Rendered> => ({ ...html("not found"), status: 404 });
    expect((await cache.get("incident", gone)).body.toString()).toBe("an incident");
    await new Promise((r) => setImmediate(r));
    expect(cache.peek("incident")).toBeUndefined();
    expect((await cache.get("incident", gone)).status).toBe(404);
  });

  it("bytes rendered from old data replace the last ones and are rebuilt at every request until fresh", async () => {
    const c = clock();
    const cache = createResponseCache({ ttlMs: 1_000, log, now: c.now });
    await cache.get("page", async () => html("v1"));
    c.advance(1_000);
    let renders = 0;
    const outage = async (): Promise<Rendered> => {
      renders += 1;
      return { ...html("v1, as of 5 minutes ago"), transient: true };
    };
    await cache.get("page", outage);
    await new Promise((r) => setImmediate(r));
    expect((await cache.get("page", outage)).body.toString()).toBe("v1, as of 5 minutes ago");
    await new Promise((r) => setImmediate(r));
    expect(renders).toBe(2);
    // The database is back: the next rebuild is kept as usual.
    await cache.get("page", async () => html("v2"));
    await new Promise((r) => setImmediate(r));
    expect(cache.peek("page")?.body.toString()).toBe("v2");
  });
});
