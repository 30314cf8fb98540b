/**
 * Where an importer reads from: the vendor's REST API, or a directory holding the JSON that API
 * returned (for a set-up exported earlier, or recorded responses in tests). Both answer the same
 * question, "GET this path with this query", so a vendor module is written once for both.
 *
 * In a directory, `GET /schedules/P1` is the file `schedules/P1.json`; a query, when present, is
 * part of the name in sorted `key=value` pairs joined by `&`, after `?` — for example
 * `users?limit=100&offset=0.json`. When that file is missing, the file without the query
 * (`users.json`) stands for every query, which is how a single-page export is laid out.
 */
import { readFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";

export type Query = Record<string, string | number | undefined>;

export interface JsonSource {
  /** A short description for messages: the base URL or the directory. */
  readonly origin: string;
  get(path: string, query?: Query): Promise<unknown>;
}

export class SourceError extends Error {
  override name = "SourceError";
}

function queryPairs(query: Query | undefined): [string, string][] {
  return Object.entries(query ?? {})
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]): [string, string] => [k, String(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** How long a rate-limited answer asks to wait: Retry-After (seconds or a date), else PagerDuty's `ratelimit-reset` seconds. */
export function rateLimitWaitMs(headers: Headers, now: number, attempt: number): number {
  const retryAfter = headers.get("retry-after");
  const reset = headers.get("ratelimit-reset") ?? headers.get("x-ratelimit-reset");
  let ms = Number.NaN;
  if (retryAfter !== null)
    ms = /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) * 1000 : Date.parse(retryAfter) - now;
  else if (reset !== null && /^\d+$/.test(reset.trim())) ms = Number(reset) * 1000;
  // Without a usable hint: 1, 2, 4, 8, 16 s.
  if (!Number.isFinite(ms)) ms = 1000 * 2 ** attempt;
  return Math.min(Math.max(ms, 0), MAX_WAIT_MS);
}

/** Rate-limited answers (429) are retried this many times, each wait at most a minute. */
export const RATE_LIMIT_RETRIES = 5;
const MAX_WAIT_MS = 60_000;

export type HttpSourceOptions = {
  /** Waits between retries; tests pass one that records the wait instead of taking it. */
  sleep?: (ms: number) => Promise<void>;
  /** Told of each wait, so the CLI can say why it paused. */
  onWait?: (ms: number, url: string) => void;
};

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function httpSource(
  baseUrl: string,
  headers: Record<string, string>,
  opts: HttpSourceOptions = {},
): JsonSource {
  const base = baseUrl.replace(/\/+$/, "");
  const sleep = opts.sleep ?? realSleep;
  return {
    origin: base,
    async get(path, query) {
      const url = new URL(base + (path.startsWith("/") ? path : `/${path}`));
      for (const [k, v] of queryPairs(query)) url.searchParams.set(k, v);
      let res: Response;
      for (let attempt = 0; ; attempt++) {
        try {
          res = await fetch(url, { headers: { accept: "application/json", ...headers } });
        } catch (err) {
          throw new SourceError(`GET ${url}: ${err instanceof Error ? err.message : String(err)}`);
        }
        // The vendors limit requests a minute; an import of a large account meets the limit.
        if (res.status !== 429 || attempt >= RATE_LIMIT_RETRIES) break;
        await res.body?.cancel();
        const wait = rateLimitWaitMs(res.headers, Date.now(), attempt);
        opts.onWait?.(wait, String(url));
        await sleep(wait);
      }
      const text = await res.text();
      if (!res.ok)
        throw new SourceError(`GET ${url}: HTTP ${res.status} ${res.statusText}: ${text.slice(0, 300)}`);
      try {
        return JSON.parse(text);
      } catch {
        throw new SourceError(`GET ${url}: the answer is not JSON: ${text.slice(0, 100)}`);
      }
    },
  };
}

export function directorySource(dir: string): JsonSource {
  const root = resolve(dir);
  const fileFor = (name: string) => {
    const file = resolve(join(root, `${name}.json`));
    if (!file.startsWith(root + sep)) throw new SourceError(`${name}: outside the directory ${root}`);
    return file;
  };
  const readJson = async (file: string) => {
    const text = await readFile(file, "utf8");
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new SourceError(`${file}: not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return {
    origin: root,
    async get(path, query) {
      const name = path.replace(/^\/+/, "").replace(/\/+$/, "");
      const pairs = queryPairs(query);
      const candidates = pairs.length
        ? [`${name}?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`, name]
        : [name];
      for (const candidate of candidates) {
        try {
          return await readJson(fileFor(candidate));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        }
      }
      throw new SourceError(
        `GET ${path}: no file ${candidates.map((c) => `${c}.json`).join(" or ")} in ${root}`,
      );
    },
  };
}
