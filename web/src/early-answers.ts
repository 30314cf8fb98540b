/**
 * Hands the requests early.ts started to the app as it starts. The app asks as it always does
 * (api/client.ts, with its own reading of the answer, its error handling and retries); the first
 * GET of a path early.ts already asked for gets that response instead of a new request. So a path
 * early.ts asks for that the app no longer asks for is simply never used.
 *
 * An early response is kept for the first screen only: it is dropped once the router has settled
 * the first page, and at once when the session's answer was not a success (the other answers were
 * then given to a signed-out browser, and must not be read after signing in).
 */
import type { EarlyRequests } from "./early.ts";

const API = "/api/v1";

export function takeEarlyRequests(
  early: EarlyRequests | null | undefined,
  firstPageSettled: (then: () => void) => void,
): void {
  if (!early) return;
  const waiting = new Map(Object.entries(early).map(([path, res]) => [`${API}${path}`, res]));
  const plainFetch = globalThis.fetch;
  const done = () => {
    waiting.clear();
    if (globalThis.fetch === earlyFetch) globalThis.fetch = plainFetch;
  };
  function earlyFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const method = (init?.method ?? "GET").toUpperCase();
    const res = typeof input === "string" && method === "GET" ? waiting.get(input) : undefined;
    if (!res) return plainFetch(input, init);
    waiting.delete(input as string);
    if (waiting.size === 0) done();
    return res;
  }
  globalThis.fetch = earlyFetch;
  const session = early["/session"];
  void session?.then(
    (res) => {
      if (!res.ok)
        for (const path of Object.keys(early)) if (path !== "/session") waiting.delete(`${API}${path}`);
    },
    () => waiting.clear(),
  );
  firstPageSettled(done);
}
