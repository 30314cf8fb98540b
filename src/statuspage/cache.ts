/**
 * Precomputed responses of the public status pages: bytes with their ETag and Last-Modified.
 * A change (on any replica, through LISTEN/NOTIFY) or the TTL (scheduled maintenance moves with the
 * clock) makes them stale; stale bytes keep being served while one rebuild per URL runs, so a
 * crowd refreshing during a publish never waits on the database. A publish rebuilds the URLs
 * visitors asked for since the last change at once, and returns when they are fresh, so the next
 * read on the same replica sees it. When the database is down the last bytes are served with their
 * age, never a 500.
 */
import { createHash, randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import type pg from "pg";
import type { Logger } from "../platform/logger.ts";

export const CHANNEL = "firebreak_statuspage";

/** `transient`: served but not kept (a 404 for any URL someone tries, a page rendered from old data). */
export type Rendered = { body: Buffer; contentType: string; status: number; transient?: boolean };
export type Cached = Rendered & {
  etag: string;
  lastModified: Date;
  builtAt: number;
  /** The body gzipped once at build time, when that makes it smaller. */
  gzip?: Buffer;
  /** The last rebuild failed: these are the last bytes that could be rendered. */
  stale?: boolean;
};

type Entry = Cached & {
  generation: number;
  /** Asked for since it was built: worth rebuilding at once when something changes. */
  wanted: boolean;
  render: () => Promise<Rendered>;
};

// Compressed on libuv's thread pool: a 150 KB page takes milliseconds, off the event loop.
const gzip = promisify(gzipCallback);
/** Responses this small are not worth compressing. */
const GZIP_MIN_BYTES = 1024;
/** A change rebuilds at most this many URLs at once; colder ones are rebuilt when asked for. */
const MAX_EAGER_REBUILDS = 200;

export function createResponseCache(opts: { ttlMs: number; log: Logger; now?: () => number }) {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const building = new Map<string, { generation: number; promise: Promise<Cached> }>();
  let generation = 0;

  async function build(key: string, render: () => Promise<Rendered>): Promise<Cached> {
    const gen = generation;
    const r = await render();
    const etag = `"${createHash("sha1").update(r.body).digest("base64url")}"`;
    const zipped = r.body.length >= GZIP_MIN_BYTES && !r.transient ? await gzip(r.body) : undefined;
    const previous = entries.get(key);
    const entry: Entry = {
      ...r,
      etag,
      gzip: zipped && zipped.length < r.body.length ? zipped : undefined,
      // Last-Modified moves only when the bytes do.
      lastModified:
        previous && previous.etag === etag
          ? previous.lastModified
          : new Date(Math.floor(now() / 1000) * 1000),
      builtAt: now(),
      // Rendered from old data (the database is away): served until a rebuild succeeds.
      generation: r.transient ? -1 : gen,
      wanted: false,
      render,
    };
    if (gen !== generation) return entry;
    if (r.status === 200 && (!r.transient || previous)) entries.set(key, entry);
    // The URL is gone (an incident that fell off the page): stop serving what it was.
    else if (r.status !== 200 && !r.transient) entries.delete(key);
    return entry;
  }

  /** One build per URL and generation; a build started before a change does not count after it. */
  function rebuild(key: string, render: () => Promise<Rendered>): Promise<Cached> {
    const running = building.get(key);
    if (running && running.generation === generation) return running.promise;
    const promise = build(key, render).finally(() => {
      if (building.get(key)?.promise === promise) building.delete(key);
    });
    building.set(key, { generation, promise });
    return promise;
  }

  function rebuildInBackground(key: string, entry: Entry): Promise<void> {
    return rebuild(key, entry.render).then(
      () => undefined,
      (err) => {
        entry.stale = true;
        opts.log.warn({ err, key }, "status page rebuild failed; serving the last rendered bytes");
      },
    );
  }

  /**
   * The cached bytes for `key` without waiting for anything (rebuilt in the background when
   * stale), or undefined when there are none yet.
   */
  function peek(key: string): Cached | undefined {
    const hit = entries.get(key);
    if (!hit) return undefined;
    hit.wanted = true;
    if (hit.generation !== generation || now() - hit.builtAt >= opts.ttlMs) {
      void rebuildInBackground(key, hit);
    }
    return hit;
  }

  return {
    /**
     * The response for `key`: the cached bytes (rebuilt in the background when stale), or built
     * now when there are none.
     */
    async get(key: string, render: () => Promise<Rendered>): Promise<Cached> {
      const hit = entries.get(key);
      if (!hit) return rebuild(key, render);
      hit.render = render;
      return peek(key) ?? hit;
    },
    peek,
    /**
     * Something changed: rebuild what visitors asked for lately, serving the old bytes meanwhile,
     * and forget the rest. Resolves when the rebuilds are done.
     */
    async refresh(): Promise<void> {
      generation += 1;
      const rebuilds: Promise<void>[] = [];
      for (const [key, entry] of entries) {
        if (entry.wanted && rebuilds.length < MAX_EAGER_REBUILDS) {
          entry.wanted = false;
          rebuilds.push(rebuildInBackground(key, entry));
        } else {
          entries.delete(key);
        }
      }
      await Promise.all(rebuilds);
    },
    /** Nothing cached can be trusted (changes may have been missed): the next request rebuilds. */
    clear(): void {
      generation += 1;
      entries.clear();
    },
    /** Changes when the cache is refreshed or cleared: work shared between rebuilds keys on it. */
    get generation() {
      return generation;
    },
    get size() {
      return entries.size;
    },
  };
}

export type ResponseCache = ReturnType<typeof createResponseCache>;

/**
 * Tells every replica that status pages changed, and listens for the others' changes. The payload
 * names the replica, so the one that published (and has refreshed already) ignores its own.
 * Reconnects after errors; a missed notification costs at most one TTL of staleness.
 */
export function statusPageChanges(pool: pg.Pool, cache: ResponseCache, log: Logger) {
  const replica = randomUUID();
  let client: pg.PoolClient | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  async function connect() {
    try {
      client = await pool.connect();
      client.on("notification", (n) => {
        if (n.payload?.startsWith(`${replica}:`)) return;
        void cache.refresh();
      });
      client.on("error", (err) => {
        log.warn({ err }, "status page listener lost its connection");
        client?.release(true);
        client = undefined;
        cache.clear();
        if (!stopped) timer = setTimeout(connect, 250);
      });
      await client.query(`LISTEN ${CHANNEL}`);
      // Whatever was cached while nobody listened may have missed a publish.
      cache.clear();
    } catch (err) {
      log.warn({ err }, "status page listener could not connect; retrying");
      client?.release(true);
      client = undefined;
      if (!stopped) timer = setTimeout(connect, 250);
    }
  }
  return {
    start: connect,
    /** A status page changed here: refresh this replica's cache, then tell the others. */
    async changed(pageId: number | string): Promise<void> {
      await Promise.all([
        pool.query("SELECT pg_notify($1, $2)", [CHANNEL, `${replica}:${pageId}`]),
        cache.refresh(),
      ]);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (client) {
        await client.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
        client.release();
        client = undefined;
      }
    },
  };
}
