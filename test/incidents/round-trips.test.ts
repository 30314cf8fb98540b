/**
 * Issue 21: an incident command's own write is one statement (the incident, its events and the
 * people it brings in), and a note is one statement altogether, atomic without a transaction.
 * Statements are counted at the database pool (every query a connection sends), so these are facts
 * about round trips, not timings. The refusals a note's one statement folds in (DATA-3, merged)
 * still answer as before.
 */
import { sql } from "kysely";
import type pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { declare, expectProblem, read, timeline } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

let t: TestApp;
type User = Awaited<ReturnType<TestApp["user"]>>;
let kim: User;
let lou: User;

/** Every SQL text the app's pool sends, in order, while `seen` is recording. */
let seen: string[] | null = null;
function recordStatements(pool: pg.Pool) {
  const wrapped = new WeakSet<pg.PoolClient>();
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  // Kysely takes a connection per query or transaction: wrap each one's query once.
  Object.assign(pool, {
    async connect() {
      const c = await connect();
      if (!wrapped.has(c)) {
        wrapped.add(c);
        const query = c.query.bind(c) as (...args: unknown[]) => unknown;
        Object.assign(c, {
          query: (...args: unknown[]) => {
            const q = args[0] as string | { text?: string };
            seen?.push((typeof q === "string" ? q : (q.text ?? "")).replace(/\s+/g, " ").trim());
            return query(...args);
          },
        });
      }
      return c;
    },
  });
}

/**
 * The statements one request sends for its command: without the audit log's entry, and without
 * the token and people's names (cached for a few seconds, so read only now and then).
 */
async function statementsOf(request: () => Promise<{ status: number }>, status: number): Promise<string[]> {
  seen = [];
  const r = await request();
  const sent = seen;
  seen = null;
  expect(r.status).toBe(status);
  return sent.filter(
    (s) => !/^insert into "audit_log"|"api_tokens"|^select .* from "users" where "id" in/i.test(s),
  );
}

/** Statements that write these tables, a statement of CTEs counting once. */
const writesOf = (statements: string[], tables: RegExp) =>
  statements.filter((s) => /^(insert into|update|with)\b/i.test(s) && tables.test(s));
const ownTables = /"?(incidents|timeline_events|incident_participants)"? /;

beforeAll(async () => {
  t = await startTestApp();
  recordStatements(t.database.pool);
  kim = await t.user("kim", "responder");
  lou = await t.user("lou", "responder");
});
afterAll(() => t?.close());
beforeEach(() => t.clock.advanceMinutes(6 * 60));

const on = (id: number, rest = "") => `/api/v1/incidents/${id}${rest}`;

describe("issue 21: round trips of incident commands", () => {
  it("a note is one statement: no BEGIN or COMMIT; it is on the timeline and its writer takes part", async () => {
    const i = await declare(kim, { title: "Queue backlog" });
    const sent = await statementsOf(() => lou.request("POST", on(i.id, "/notes"), { body: "looking" }), 201);
    expect(sent, sent.join("\n")).toHaveLength(1);
    expect(sent[0]).toMatch(/^WITH i AS/);
    const notes = (await timeline(kim, i.id)).filter((e) => e.kind === "note");
    expect(notes.map((e) => [e.body, e.actor.id])).toEqual([["looking", lou.id]]);
    const people = await kim.request("GET", on(i.id, "/participants"));
    expect(people.status).toBe(200);
    expect(JSON.stringify(people.body)).toContain(`"id":${lou.id}`);
  });

  it("a note with an Idempotency-Key runs in a transaction, which marks the key; a retry replays it", async () => {
    const i = await declare(kim, { title: "Keyed note" });
    const keyed = () =>
      kim.request("POST", on(i.id, "/notes"), { body: "once" }, { "idempotency-key": "note-1" });
    const sent = await statementsOf(keyed, 201);
    expect(sent.filter((s) => /^(begin|commit)$/i.test(s))).toEqual(["begin", "commit"]);
    expect(sent.some((s) => /idempotency_keys SET committed = true/i.test(s))).toBe(true);
    const again = await keyed();
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await timeline(kim, i.id)).filter((e) => e.kind === "note").map((e) => e.body)).toEqual(["once"]);
  });

  it("a note on a private incident by a non-participant is 404 and writes nothing; a participant's is written", async () => {
    const i = await declare(kim, { title: "Leaked key", visibility: "private" });
    expectProblem(await lou.request("POST", on(i.id, "/notes"), { body: "peek" }), 404);
    expect((await timeline(kim, i.id)).some((e) => e.kind === "note")).toBe(false);
    const added = await kim.request("POST", on(i.id, "/participants"), { user: "lou" });
    expect(added.status).toBe(201);
    expect((await lou.request("POST", on(i.id, "/notes"), { body: "on it" })).status).toBe(201);
    expect((await timeline(kim, i.id)).filter((e) => e.kind === "note").map((e) => e.body)).toEqual([
      "on it",
    ]);
  });

  it("a note on a merged incident is refused as before, and on a missing one is 404", async () => {
    const primary = await declare(kim, { title: "Primary" });
    const dup = await declare(kim, { title: "Duplicate" });
    const merged = await kim.request("POST", on(dup.id, "/merge"), {
      into: primary.id,
      reason: "same cause",
    });
    expect(merged.status).toBe(200);
    expect((await read(kim, dup.id)).state).toBe("merged");
    const refused = expectProblem(await kim.request("POST", on(dup.id, "/notes"), { body: "late" }), 409);
    expect(refused.detail).toContain(`merged into ${primary.id}`);
    expectProblem(await kim.request("POST", on(999_999, "/notes"), { body: "nobody" }), 404);
  });

  it("a command writes the incident, its events and its people in one statement", async () => {
    const i = await declare(kim, { title: "Checkout errors" });
    const commands: [string, string, unknown, number][] = [
      ["POST", "/status", { status: "fixing" }, 200],
      ["POST", "/severity", { severity: "S4", reason: "fewer customers" }, 200],
      ["PUT", "/roles/CMOC", { user: "lou" }, 200],
      ["POST", "/updates", { impact: "Some errors.", actions: "Rolling back." }, 201],
    ];
    for (const [method, path, body, status] of commands) {
      const sent = await statementsOf(() => kim.request(method, on(i.id, path), body), status);
      const own = writesOf(sent, ownTables);
      expect(own, `${method} ${path}: ${sent.join("\n")}`).toEqual([
        expect.stringMatching(/^WITH u AS \(UPDATE incidents/),
      ]);
    }
    const after = await read(kim, i.id);
    expect([after.state, after.severity]).toEqual(["fixing", "S4"]);
    const people = await kim.request("GET", on(i.id, "/participants"));
    expect(JSON.stringify(people.body)).toContain(`"id":${lou.id}`);
  });

  it("COMM-1: a status update re-arms the update clock in one statement, the old one cancelled", async () => {
    const i = await declare(kim, { title: "Slow pages" });
    await kim.request("POST", on(i.id, "/status"), { status: "investigating" });
    // Through Kysely: this file's pool hands out connections by promise only (recordStatements).
    const pendingComm1 = async () =>
      (
        await sql<{ key: string; due_at: Date }>`SELECT key, due_at FROM process_clocks
          WHERE incident_id = ${i.id} AND rule_id = 'COMM-1' AND state = 'pending'`.execute(t.database.db)
      ).rows;
    const before = await pendingComm1();
    expect(before).toHaveLength(1);
    t.clock.advanceMinutes(10);
    const sent = await statementsOf(
      () =>
        kim.request("POST", on(i.id, "/updates"), { impact: "Pages load slowly.", actions: "Scaling out." }),
      201,
    );
    expect(writesOf(sent, /process_clocks/), sent.join("\n")).toEqual([
      expect.stringMatching(/^with "cancelled" as \(delete from "process_clocks"/),
    ]);
    const after = await pendingComm1();
    expect(after).toHaveLength(1);
    expect(after[0]?.key).not.toBe(before[0]?.key);
    expect(after[0]?.due_at.getTime()).toBe((before[0]?.due_at.getTime() ?? 0) + 10 * 60_000);
  });

  it("a declare inserts the incident, its first events and its people in one statement", async () => {
    const sent = await statementsOf(
      () =>
        kim.request("POST", "/api/v1/incidents", {
          title: "New incident",
          type: "GitLab.com",
          severity: "S3",
          status: "active",
        }),
      201,
    );
    // BEGIN, SEV-4's look-back (an S3 can recur), then the declare's one write; what follows is
    // the rules' (DEC-3, PAGE-4: their own events and pages).
    expect(sent.slice(0, 3).map((s) => s.slice(0, 28))).toEqual([
      "begin",
      expect.stringMatching(/^select /),
      "WITH i AS (INSERT INTO incid",
    ]);
    expect(writesOf(sent, /INSERT INTO incidents/i)).toHaveLength(1);
  });
});
