import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "./client.ts";

/** Calls `api` with fetch stubbed; returns the headers of each request sent. */
async function sent(calls: (() => Promise<unknown>)[]): Promise<Headers[]> {
  const seen: Headers[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (_url: string, init: RequestInit) => {
      seen.push(new Headers(init.headers));
      return new Response("{}", { status: 201, headers: { "content-type": "application/json" } });
    }),
  );
  for (const call of calls) await call();
  return seen;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

const quotedKey = /^"[0-9a-f]{32}"$/;

describe("Idempotency-Key from the web app", () => {
  it("every POST carries a key of its own, in the draft's quoted form", async () => {
    const [a, b] = await sent([
      () => api("POST", "/incidents", { title: "x" }),
      () => api("POST", "/incidents", { title: "x" }),
    ]);
    expect(a?.get("idempotency-key")).toMatch(quotedKey);
    expect(b?.get("idempotency-key")).toMatch(quotedKey);
    expect(a?.get("idempotency-key")).not.toBe(b?.get("idempotency-key"));
  });

  it("a retried action sends the key it was given again", async () => {
    const [a, b] = await sent([
      () => api("POST", "/incidents/1/notes", { body: "n" }, { idempotencyKey: "action-1" }),
      () => api("POST", "/incidents/1/notes", { body: "n" }, { idempotencyKey: "action-1" }),
    ]);
    expect(a?.get("idempotency-key")).toBe('"action-1"');
    expect(b?.get("idempotency-key")).toBe('"action-1"');
  });

  it("reads and other methods carry none", async () => {
    const seen = await sent([
      () => api("GET", "/incidents"),
      () => api("PATCH", "/incidents/1", { title: "y" }),
      () => api("DELETE", "/incidents/1/labels/x"),
    ]);
    for (const h of seen) expect(h.get("idempotency-key")).toBeNull();
  });
});
