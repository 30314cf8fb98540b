/** early-answers.ts: the app's first GET of a path early.ts asked for gets that response, once. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { takeEarlyRequests } from "./early-answers.ts";

const asked: string[] = [];
const realFetch = globalThis.fetch;
const network = (input: RequestInfo | URL) => {
  asked.push(String(input));
  return Promise.resolve(new Response("from the network"));
};

beforeEach(() => {
  asked.length = 0;
  globalThis.fetch = network as typeof fetch;
});
afterEach(() => {
  globalThis.fetch = realFetch;
});

const answered = (status: number, body: string) => Promise.resolve(new Response(body, { status }));
const text = async (res: Promise<Response>) => (await res).text();

describe("handing early requests to the app", () => {
  it("answers the first GET of each path with the early response, and asks the network after that", async () => {
    let settle = () => {};
    takeEarlyRequests(
      { "/session": answered(200, "early session"), "/policy": answered(200, "early policy") },
      (then) => {
        settle = then;
      },
    );
    expect(await text(fetch("/api/v1/session", { method: "GET" }))).toBe("early session");
    expect(await text(fetch("/api/v1/session"))).toBe("from the network");
    // A write to the same path is never answered by an early GET.
    expect(await text(fetch("/api/v1/policy", { method: "PUT" }))).toBe("from the network");
    expect(await text(fetch("/api/v1/policy"))).toBe("early policy");
    expect(asked).toEqual(["/api/v1/session", "/api/v1/policy"]);
    // Every early response taken: the browser's own fetch is back.
    expect(globalThis.fetch).toBe(network);
    settle();
    expect(globalThis.fetch).toBe(network);
  });

  it("drops what it holds once the first page has settled", async () => {
    let settle = () => {};
    takeEarlyRequests({ "/policy": answered(200, "early policy") }, (then) => {
      settle = then;
    });
    settle();
    expect(globalThis.fetch).toBe(network);
    expect(await text(fetch("/api/v1/policy"))).toBe("from the network");
  });

  it("drops the other answers when the session's was not a success: they were for a signed-out browser", async () => {
    takeEarlyRequests(
      {
        "/session": answered(401, "no session"),
        "/policy": answered(401, "early policy"),
        "/incidents?limit=200": answered(401, "early list"),
      },
      () => {},
    );
    const session = await fetch("/api/v1/session");
    expect(session.status).toBe(401);
    expect(await text(fetch("/api/v1/policy"))).toBe("from the network");
    expect(await text(fetch("/api/v1/incidents?limit=200"))).toBe("from the network");
    expect(asked).toEqual(["/api/v1/policy", "/api/v1/incidents?limit=200"]);
  });

  it("changes nothing when early.ts did not run (the sign-in screen, or a build without it)", () => {
    takeEarlyRequests(undefined, () => {});
    expect(globalThis.fetch).toBe(network);
  });
});
