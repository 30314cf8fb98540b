/**
 * The first screen's API requests, started while the app's JavaScript is still downloading.
 * index.html loads this module `async` before the app's entry (web/vite.config.ts puts it there);
 * it imports nothing, so it runs as soon as its few hundred bytes arrive, long before the entry has
 * been parsed and run. Without it the app would ask for the session only after the entry ran, and
 * for the policy and the list only after the session answered.
 *
 * The requests are the app's own (api/client.ts): same-origin GETs with its headers. The app's
 * first GET of the same path gets the response (early-answers.ts, from main.tsx); a path the app no
 * longer asks for is never used, and the app asks for what it needs itself, as before.
 */

/** API paths (after /api/v1) to the responses already on their way. */
export type EarlyRequests = Record<string, Promise<Response>>;

declare global {
  interface Window {
    /** null once the app has started (main.tsx): then it is too late to ask early. */
    firebreakEarly?: EarlyRequests | null;
  }
}

const get = (path: string): Promise<Response> => {
  const response = fetch(`/api/v1${path}`, {
    credentials: "same-origin",
    headers: { accept: "application/json", "x-firebreak-client": "web" },
    // Ahead of the home screen's chunks that index.html preloads: the screen waits for these most.
    priority: "high",
  });
  // Not every answer is read (a signed-out browser goes to sign in): no unhandled rejection.
  response.catch(() => {});
  return response;
};

const { pathname, search } = window.location;
// The sign-in screen asks for nothing before someone signs in. On a reload both scripts may come
// from the cache, and the app may then have started first: it asks for itself. A page the server
// marked (first in its head) brings these answers itself (src/web/routes.ts, lib/first-screen.ts).
const pageBringsAnswers = document.querySelector('meta[name="firebreak-first-screen"]') !== null;
if (pathname !== "/sign-in" && window.firebreakEarly === undefined && !pageBringsAnswers) {
  const early: EarlyRequests = { "/session": get("/session"), "/policy": get("/policy") };
  // The home is the incidents list; unfiltered, it asks for this (lib/search.ts listQuery).
  if ((pathname === "/" || pathname === "/incidents") && search === "") {
    early["/incidents?limit=200"] = get("/incidents?limit=200");
  }
  window.firebreakEarly = early;
}
