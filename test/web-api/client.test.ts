/**
 * The web app's API client (web/src/api/client.ts) against the real server: its POSTs carry
 * idempotency keys the server keeps (a retried action is answered once, not done twice), a fresh
 * key per new action, and reads and other methods none. The only stand-in is the browser's own
 * part of a request: the page's origin before the relative URL and the session cookie, as the
 * browser adds them; every request reaches the server.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { api } from "../../web/src/api/client.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { browser } from "./helpers.ts";

let t: TestApp;
const realFetch = globalThis.fetch;
/** Every request as it left for the server: method, path and headers. */
const sent: { method: string; url: string; headers: Headers }[] = [];

beforeAll(async () => {
  t = await startTestApp();
  const r = await t.admin.request("POST", "/api/v1/users", {
    username: "wes",
    name: "Wes",
    role: "responder",
    password: "correct horse battery staple",
  });
  expect(r.status).toBe(201);
  const b = browser(t.base);
  expect((await b.signIn({ username: "wes", password: "correct horse battery staple" })).status).toBe(200);
  const cookie = b.cookie ?? "";
  // What the browser adds to the app's requests: its origin and its cookie jar.
  vi.stubGlobal("fetch", (url: string, init: RequestInit = {}) => {
    const headers = { ...(init.headers as Record<string, string>), cookie };
    sent.push({ method: init.method ?? "GET", url, headers: new Headers(headers) });
    return realFetch(`${t.base}${url}`, { ...init, headers });
  });
});
afterEach(() => {
  sent.length = 0;
});
afterAll(async () => {
  vi.unstubAllGlobals();
  await t?.close();
});

const keysKept = async () =>
  Number(
    (await t.database.pool.query<{ n: string }>("SELECT count(*) AS n FROM idempotency_keys")).rows[0]?.n,
  );

describe("the web app's requests and idempotency keys", () => {
  it("each new POST carries a key of its own: two identical declarations are two incidents", async () => {
    const before = await keysKept();
    const body = { title: "Checkout errors", type: "GitLab.com", severity: "S3", status: "active" };
    const a = await api<{ id: number }>("POST", "/incidents", body);
    const b = await api<{ id: number }>("POST", "/incidents", body);
    expect(a.id).not.toBe(b.id);
    expect(await keysKept()).toBe(before + 2);
    // In the draft's form: a Structured Field String.
    expect(sent).toHaveLength(2);
    for (const r of sent) expect(r.headers.get("idempotency-key")).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it("a retried action sends its key again: the note is written once and the retry answered the same", async () => {
    const i = await api<{ id: number }>("POST", "/incidents", {
      title: "Search slow",
      type: "GitLab.com",
      severity: "S3",
      status: "active",
    });
    const first = await api<{ id: number }>(
      "POST",
      `/incidents/${i.id}/notes`,
      { body: "n" },
      { idempotencyKey: "note-1" },
    );
    const retry = await api<{ id: number }>(
      "POST",
      `/incidents/${i.id}/notes`,
      { body: "n" },
      { idempotencyKey: "note-1" },
    );
    expect(retry.id).toBe(first.id);
    const timeline = await api<{ events: { kind: string }[] }>("GET", `/incidents/${i.id}/timeline`);
    expect(timeline.events.filter((e) => e.kind === "note")).toHaveLength(1);
  });

  it("reads and other methods carry none", async () => {
    const i = await api<{ id: number }>("POST", "/incidents", {
      title: "Disk full",
      type: "GitLab.com",
      severity: "S3",
      status: "active",
    });
    sent.length = 0;
    await api("GET", "/incidents");
    await api("PATCH", `/incidents/${i.id}`, { title: "Disk full on db-2" });
    await api("DELETE", `/incidents/${i.id}/labels/none`).catch(() => undefined);
    expect(sent.map((r) => r.method)).toEqual(["GET", "PATCH", "DELETE"]);
    for (const r of sent) expect(r.headers.get("idempotency-key"), r.method).toBeNull();
  });
});
