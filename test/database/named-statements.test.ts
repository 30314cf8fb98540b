/**
 * Statements with parameters are prepared once per connection (decision 0014): PostgreSQL holds
 * them by the text's name, so a second run binds and executes without parsing again.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AlertDb, listAlerts } from "../../src/alerts/store.ts";
import { listEntries } from "../../src/audit/store.ts";
import { type IncidentDb, listIncidents } from "../../src/incidents/store.ts";
import { type Database, isDatabaseUnavailable, openDatabase, statementName } from "../../src/platform/db.ts";
import { createTestDatabase } from "../support/database.ts";

let database: Database;

beforeAll(async () => {
  database = openDatabase(await createTestDatabase(), 1);
});
afterAll(() => database?.close());

/** The connection's prepared statements (the pool has one connection, so it is always the same). */
const prepared = async () =>
  (
    await sql<{
      name: string;
      statement: string;
    }>`SELECT name, statement FROM pg_prepared_statements`.execute(database.db)
  ).rows;

describe("named statements", () => {
  it("a statement with parameters is prepared once on the connection, under its text's name", async () => {
    const text = "SELECT count(*)::int AS n FROM users WHERE id > $1";
    const name = statementName(text, [0]);
    expect(name).toMatch(/^fb_/);
    expect((await prepared()).map((p) => p.name)).not.toContain(name);
    for (let i = 0; i < 3; i++)
      expect((await database.pool.query(text, [i])).rows[0]?.n).toBeGreaterThanOrEqual(0);
    const mine = (await prepared()).filter((p) => p.name === name);
    expect(mine).toEqual([{ name, statement: text }]);
  });

  it("Kysely's queries are named the same way; one text, one name", async () => {
    await sql`SELECT id FROM users WHERE username = ${"nobody"}`.execute(database.db);
    await sql`SELECT id FROM users WHERE username = ${"somebody"}`.execute(database.db);
    const mine = (await prepared()).filter((p) => p.statement === "SELECT id FROM users WHERE username = $1");
    expect(mine).toHaveLength(1);
  });

  it("a query without parameters is not prepared: it may hold several statements", async () => {
    const text = "SELECT 1 AS a; SELECT 2 AS b";
    expect(statementName(text, [])).toBeNull();
    await database.pool.query(text);
    expect((await prepared()).map((p) => p.statement)).not.toContain(text);
  });

  it("a parameter error on a named statement leaves the connection usable", async () => {
    const text = "SELECT $1::int AS n";
    await expect(database.pool.query(text, ["not a number"])).rejects.toMatchObject({ code: "22P02" });
    expect((await database.pool.query(text, ["7"])).rows[0]?.n).toBe(7);
  });

  it("a statement prepared before its table changed fails as unavailable once, then runs on a new connection", async () => {
    await database.pool.query("CREATE TABLE named_scratch (id int)");
    await database.pool.query("INSERT INTO named_scratch VALUES (1)");
    const text = "SELECT * FROM named_scratch WHERE id >= $1";
    expect((await database.pool.query(text, [0])).rows).toEqual([{ id: 1 }]);
    // What a newer replica's migration does under this one.
    await database.pool.query("ALTER TABLE named_scratch ADD COLUMN note text");
    const stale = await database.pool.query(text, [0]).then(
      () => null,
      (err: unknown) => err,
    );
    expect(stale).toMatchObject({ code: "0A000" });
    expect(isDatabaseUnavailable(stale)).toBe(true);
    expect((await database.pool.query(text, [0])).rows).toEqual([{ id: 1, note: null }]);
  });
});

describe("list reads with filters are planned for their own values", () => {
  /** How the connection has planned its prepared statements whose text is `LIKE` the pattern. */
  const plans = async (pattern: string) =>
    (
      await sql<{ generic_plans: number; custom_plans: number }>`
        SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE ${pattern}`.execute(
        database.db,
      )
    ).rows;
  const day = 86_400_000;
  const now = new Date();

  // Past the five runs after which PostgreSQL may keep a generic plan. Measured on 200k audit
  // entries, 500k alerts and 50k incidents (decision 0014), a generic plan read the whole index
  // for a rare value: the audit log of an active actor over two years (38 ms, 0.1 custom), a quiet
  // service's alerts (24–44 ms, 0.3 custom), the open incidents (13 ms, 0.1 custom).
  const runs = 8;

  it("the audit log's window", async () => {
    for (let i = 0; i < runs; i++)
      await listEntries(database.db, {
        actorId: 1 + (i % 2),
        since: new Date(+now - 730 * day),
        until: now,
        limit: 100,
      });
    expect(await plans('select * from "audit_log" where "actor_id" = $1 and "at" >= $2 %')).toEqual([
      { generic_plans: 0, custom_plans: runs },
    ]);
  });

  it("the alert list", async () => {
    for (let i = 0; i < runs; i++)
      await listAlerts(database.db as unknown as AlertDb, { serviceId: 1 + (i % 2), limit: 100 });
    expect(
      await plans('select "a"."id", % where "a"."service_id" = $1 order by "a"."id" desc limit $2'),
    ).toEqual([{ generic_plans: 0, custom_plans: runs }]);
  });

  it("the incident list", async () => {
    for (let i = 0; i < runs; i++)
      await listIncidents(
        database.db as unknown as IncidentDb,
        { id: 1, admin: true },
        { states: ["triage", "investigating", "fixing", "monitoring"], limit: 100 },
      );
    expect(await plans('select * from "incidents" where "state" in ($1, $2, $3, $4) order by %')).toEqual([
      { generic_plans: 0, custom_plans: runs },
    ]);
  });
});
