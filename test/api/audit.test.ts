/**
 * The audit log: sign-ins and failed ones, tokens made and revoked, admin changes and reads of
 * private incidents are recorded with the actor, time, network and request id; the log is
 * append-only in the database; admins list, filter, page and export it; the retention sweep
 * removes only what is past it; behind a trusted proxy the client's own address is recorded.
 */
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { declare } from "./helpers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
type Json = any;
const entries = async (query = ""): Promise<Json[]> => {
  const r = await t.admin.get(`/api/v1/audit${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.entries;
};
const signIn = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${t.base}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("the audit log", () => {
  it("records a sign-in and a failed one with the network and the request id", async () => {
    await t.admin.request("POST", "/api/v1/users", {
      username: "ivy",
      name: "Ivy",
      role: "responder",
      password: "correct horse battery staple",
    });
    expect(
      (await signIn({ username: "ivy", password: "wrong password!" }, { "x-request-id": "req-fail-1" }))
        .status,
    ).toBe(401);
    expect(
      (
        await signIn(
          { username: "ivy", password: "correct horse battery staple" },
          { "x-request-id": "req-ok-1" },
        )
      ).status,
    ).toBe(200);
    const failed = (await entries("?action=sign-in-failed"))[0];
    expect(failed).toMatchObject({
      action: "sign-in-failed",
      actorId: null,
      actorName: "ivy",
      network: "127.0.0.1",
      requestId: "req-fail-1",
      status: 401,
      detail: { method: "password", reason: "unauthenticated" },
    });
    const ok = (await entries("?action=sign-in"))[0];
    expect(ok).toMatchObject({
      action: "sign-in",
      actorName: "ivy",
      requestId: "req-ok-1",
      detail: { method: "password" },
    });
    expect(typeof ok.actorId).toBe("number");
    expect(Date.parse(ok.at)).toBe(t.clock.now().getTime());
  });

  it("records tokens made and revoked, and admin changes with what they changed; not a responder's own work", async () => {
    const zoe = await t.user("zoe", "responder");
    const made = await zoe.request("POST", "/api/v1/tokens", { name: "laptop" });
    expect(made.status).toBe(201);
    expect((await zoe.request("DELETE", `/api/v1/tokens/${made.body.id}`)).status).toBe(204);
    const tokens = await entries(`?actorId=${zoe.id}`);
    expect(tokens.map((e) => [e.action, e.route])).toEqual([
      ["token-revoked", "/api/v1/tokens/:id"],
      ["token-created", "/api/v1/tokens"],
    ]);
    expect(tokens[0].target).toBe(`tokens ${made.body.id}`);

    await declare(zoe, { title: "Responder work is not an admin action" });
    expect(await entries(`?actorId=${zoe.id}&action=admin-action`)).toEqual([]);

    const patch = await t.admin.request("PATCH", `/api/v1/users/${zoe.id}`, { role: "viewer" });
    expect(patch.status).toBe(200);
    const change = (await entries("?action=admin-action"))[0];
    expect(change).toMatchObject({
      actorName: "admin",
      method: "PATCH",
      route: "/api/v1/users/:id",
      target: `users ${zoe.id}`,
      status: 200,
    });
  });

  it("records each of many admin changes at once before its answer, several to a commit", async () => {
    // The log is locked, so the first entries wait and the rest gather behind them.
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    const n = 30;
    try {
      await holder.query("BEGIN");
      await holder.query("LOCK TABLE audit_log IN EXCLUSIVE MODE");
      let answered = 0;
      const changes = Array.from({ length: n }, (_, i) =>
        t.admin
          .request("POST", "/api/v1/users", { username: `batch-${i}`, name: `Batch ${i}`, role: "viewer" })
          .then((r) => {
            answered++;
            return r;
          }),
      );
      const made = async () =>
        Number(
          (await holder.query("SELECT count(*) FROM users WHERE username LIKE 'batch-%'")).rows[0].count,
        );
      await expect.poll(made, { timeout: 10_000 }).toBe(n);
      const waiting = async () =>
        Number(
          (
            await holder.query(
              "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'insert into \"audit_log\"%'",
            )
          ).rows[0].count,
        );
      await expect.poll(waiting, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(answered).toBe(0); // no answer before its entry is written
      await holder.query("COMMIT");

      const replies = await Promise.all(changes);
      for (const r of replies) expect(r.status, JSON.stringify(r.body)).toBe(201);
      const ids = replies.map((r) => String(r.headers.get("x-request-id")));
      const rows = (
        await holder.query<{ request_id: string; commit: string }>(
          "SELECT request_id, xmin::text AS commit FROM audit_log WHERE request_id = ANY($1)",
          [ids],
        )
      ).rows;
      expect(rows.map((r) => r.request_id).sort()).toEqual([...ids].sort());
      expect(new Set(rows.map((r) => r.commit)).size).toBeLessThan(n);
    } finally {
      await holder.end();
    }
  });

  it("records every read of a private incident, and none of a public one", async () => {
    const lead = await t.user("lead", "responder");
    const secret = await declare(lead, { title: "Leaked key", visibility: "private" });
    const open = await declare(lead, { title: "Slow pages" });
    const before = (await entries(`?action=private-incident-read&actorId=${lead.id}`)).length;
    expect((await lead.get(`/api/v1/incidents/${secret.id}`)).status).toBe(200);
    expect((await lead.get(`/api/v1/incidents/${secret.id}/timeline`)).status).toBe(200);
    expect((await lead.get(`/api/v1/incidents/${open.id}`)).status).toBe(200);
    const reads = await entries(`?action=private-incident-read&actorId=${lead.id}`);
    expect(reads.length - before).toBe(2);
    expect(reads.map((r) => r.target)).toEqual([
      `incidents ${secret.id} / timeline`,
      `incidents ${secret.id}`,
    ]);
    // Following it live is a read too, though a stream never finishes as other answers do.
    const ac = new AbortController();
    const live = await fetch(`${t.base}/api/v1/incidents/${secret.id}/stream`, {
      headers: { authorization: `Bearer ${lead.token}` },
      signal: ac.signal,
    });
    expect(live.status).toBe(200);
    await live.body?.getReader().read();
    ac.abort();
    const streamed = await entries(`?action=private-incident-read&actorId=${lead.id}`);
    expect(streamed[0].target).toBe(`incidents ${secret.id} / stream`);
    expect(streamed.length - before).toBe(3);
    // A non-participant's refused read shows nothing and is not a read.
    const other = await t.user("other", "responder");
    expect((await other.get(`/api/v1/incidents/${secret.id}`)).status).toBe(404);
    expect(await entries(`?action=private-incident-read&actorId=${other.id}`)).toEqual([]);
  });

  it("is append-only in the database: no update, delete or truncate", async () => {
    const db = t.database.db;
    await expect(sql`UPDATE audit_log SET actor_name = 'someone else'`.execute(db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`DELETE FROM audit_log`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`TRUNCATE audit_log`.execute(db)).rejects.toThrow(/append-only/);
  });

  it("the retention sweep removes only the entries past the retention", async () => {
    const total = async () =>
      Number(
        (await sql<{ n: string }>`SELECT count(*) AS n FROM audit_log`.execute(t.database.db)).rows[0]?.n,
      );
    const all = await total();
    expect(all).toBeGreaterThan(0);
    expect(await t.services.audit.expire(t.clock.now())).toBe(0);
    expect(await total()).toBe(all);
    // A year and a day later, everything recorded so far is past 365 days.
    const later = new Date(t.clock.now().getTime() + 366 * 24 * 60 * 60_000);
    expect(await t.services.audit.expire(later)).toBe(all);
    expect(await total()).toBe(0);
  });

  it("is for admins only; pages with next; filters by time", async () => {
    const viewer = await t.user("vic", "viewer");
    const refused = await viewer.get("/api/v1/audit");
    expect(refused.status).toBe(403);
    for (let i = 0; i < 3; i++) await signIn({ username: "nobody", password: "not a password" });
    const first = await t.admin.get("/api/v1/audit?action=sign-in-failed&limit=2");
    expect(first.body.entries).toHaveLength(2);
    expect(first.body.next).toBe(first.body.entries[1].id);
    const second = await t.admin.get(`/api/v1/audit?action=sign-in-failed&limit=2&before=${first.body.next}`);
    expect(second.body.entries.length).toBeGreaterThanOrEqual(1);
    expect(second.body.entries[0].id).toBeLessThan(first.body.next);
    const future = new Date(t.clock.now().getTime() + 60_000).toISOString();
    expect(await entries(`?since=${encodeURIComponent(future)}`)).toEqual([]);
    const bad = await t.admin.get("/api/v1/audit?action=everything");
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe("querystring.action");
  });

  it("exports CSV that a spreadsheet opens as text, not formulas", async () => {
    await signIn({ username: "=HYPERLINK(1)", password: "not a password" });
    const r = await fetch(`${t.base}/api/v1/audit?format=csv&action=sign-in-failed`, {
      headers: { authorization: `Bearer ${t.admin.token}` },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(r.headers.get("content-disposition")).toMatch(/attachment/);
    const lines = (await r.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "id,at,action,actorId,actorName,target,method,route,status,network,requestId,detail",
    );
    expect(lines[1]).toContain(",'=hyperlink(1),");
    expect(lines[1]).toContain('"{""method"":""password""');
  });
});

describe("behind a trusted proxy", () => {
  let proxied: TestApp;
  beforeAll(async () => {
    proxied = await startTestApp({ trustedProxies: ["127.0.0.1"] });
  });
  afterAll(() => proxied?.close());

  it("records the client's address from X-Forwarded-For, and only a trusted proxy's", async () => {
    const send = (base: string, xff: string) =>
      fetch(`${base}/api/v1/session`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": xff },
        body: JSON.stringify({ username: "ghost", password: "not a password" }),
      });
    await send(proxied.base, "198.51.100.23");
    const viaProxy = await proxied.admin.get("/api/v1/audit?action=sign-in-failed");
    expect(viaProxy.body.entries[0].network).toBe("198.51.100.23");
    // Without the setting, anyone could claim any address: the connection's own is kept.
    await send(t.base, "198.51.100.23");
    expect((await entries("?action=sign-in-failed"))[0].network).toBe("127.0.0.1");
  });
});
