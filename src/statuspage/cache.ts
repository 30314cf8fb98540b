/**
 * Precomputed responses of the public status pages: bytes with their ETag and Last-Modified,
 * rebuilt when something changed (on every replica, through LISTEN/NOTIFY) or after `ttlMs`
 * (scheduled maintenance moves with the clock). When the database is down the last bytes are
 * served with their age, never a 500.
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import type { Logger } from "../platform/logger.ts";

export const CHANNEL = "firebreak_statuspage";

/** `transient`: served but not kept (a 404 for any URL someone tries, a page rendered from old data). */
export type Rendered = { body: Buffer; contentType: string; status: number; transient?: boolean };
export type Cached = Rendered & { etag: string; lastModified: Date; builtAt: number; stale?: boolean };

export function createResponseCache(opts: { ttlMs: number; log: Logger; now?: () => number }) {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Cached>();
  const building = new Map<string, Promise<Cached>>();
  let generation = 0;

  async function build(key: string, render: () => Promise<Rendered>): Promise<Cached> {
    const gen = generation;
    const r = await render();
    const etag = `"${createHash("sha1").update(r.body).digest("base64url")}"`;
    const previous = entries.get(key);
    const entry: Cached = {
      ...r,
      etag,
      // Last-Modified moves only when the bytes do.
      lastModified:
        previous && previous.etag === etag
          ? previous.lastModified
          : new Date(Math.floor(now() / 1000) * 1000),
      builtAt: now(),
    };
    if (gen === generation && r.status === 200 && !r.transient) entries.set(key, entry);
    return entry;
  }

  return {
    /** The response for `key`: cached while fresh, else rebuilt (one build at a time per key). */
    async get(key: string, render: () => Promise<Rendered>): Promise<Cached> {
      const hit = entries.get(key);
      if (hit && now() - hit.builtAt < opts.ttlMs) return hit;
      let pending = building.get(key);
      if (!pending) {
        pending = build(key, render).finally(() => building.delete(key));
        building.set(key, pending);
      }
      try {
        return await pending;
      } catch (err) {
        if (!hit) throw err;
        opts.log.warn({ err, key }, "status page rebuild failed; serving the last rendered bytes");
        return { ...hit, stale: true };
      }
    },
    /** Everything is stale: a page changed here or on another replica. */
    invalidate(): void {
      generation += 1;
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}

export type ResponseCache = ReturnType<typeof createResponseCache>;

/**
 * Listens for changes published by any replica and clears the cache. Reconnects after errors; a
 * missed notification costs at most one TTL of staleness.
 */
export function listenForChanges(pool: pg.Pool, cache: ResponseCache, log: Logger) {
  let client: pg.PoolClient | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  async function connect() {
    try {
      client = await pool.connect();
      client.on("notification", () => cache.invalidate());
      client.on("error", (err) => {
        log.warn({ err }, "status page listener lost its connection");
        client?.release(true);
        client = undefined;
        cache.invalidate();
        if (!stopped) timer = setTimeout(connect, 250);
      });
      await client.query(`LISTEN ${CHANNEL}`);
      // Whatever was cached while nobody listened may have missed a publish.
      cache.invalidate();
    } catch (err) {
      log.warn({ err }, "status page listener could not connect; retrying");
      client?.release(true);
      client = undefined;
      if (!stopped) timer = setTimeout(connect, 250);
    }
  }
  return {
    start: connect,
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
