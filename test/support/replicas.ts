/**
 * Several replicas of the app in this process, on ONE test database: each has its own connection
 * pool, response cache and LISTEN connection, exactly as separate `firebreak serve` processes would,
 * but they start in milliseconds. Also a real database outage: connections refused and every
 * session to the database killed, from an admin connection, then the database let back in.
 */
import pg from "pg";
import { inject } from "vitest";
import { buildApp } from "../../src/app.ts";
import { TestClock } from "../../src/platform/clock.ts";
import { openDatabase } from "../../src/platform/db.ts";
import { createLogger } from "../../src/platform/logger.ts";
import { loadPolicy } from "../../src/policy/load.ts";
import { type Client, client } from "./app.ts";
import { createTestDatabase } from "./database.ts";

export type Replica = {
  name: string;
  base: string;
  /** The bootstrap admin's token works on every replica: they share the database. */
  admin: Client;
  /** A responder: drafts status page posts, which someone else approves (COMM-3). */
  drafter: Client;
  close(): Promise<void>;
};

/** Starts `names.length` replicas on a fresh test database, sharing one test clock. */
export async function startReplicas(names: string[], opts: { clockStart?: Date | string } = {}) {
  const url = await createTestDatabase();
  const databaseName = new URL(url).pathname.slice(1);
  const clock = new TestClock(opts.clockStart ?? "2026-03-02T10:00:00Z");
  const policy = loadPolicy();
  const replicas: Replica[] = [];
  let token: string | undefined;
  let drafterToken: string | undefined;
  for (const name of names) {
    const database = openDatabase(url, 5);
    const { app, services } = await buildApp({
      database,
      clock,
      policy,
      log: createLogger(process.env.TEST_LOG_LEVEL ?? "silent"),
      bodyLimitBytes: 1024 * 1024,
      publicUrl: "http://firebreak.test",
      emailFrom: "Firebreak <firebreak@test>",
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    // The first replica creates the admin; the others find it in the shared database.
    token ??= (await services.users.bootstrap())?.secret ?? undefined;
    if (!token) throw new Error("bootstrapping the first replica gave no admin token");
    if (!drafterToken) {
      const admin = client(base, token);
      const u = await admin.request("POST", "/api/v1/users", {
        username: "drafter",
        name: "Drafter",
        role: "responder",
      });
      const t = await admin.request("POST", `/api/v1/users/${u.body.id}/tokens`, { name: "drafter" });
      if (t.status !== 201) throw new Error(`drafter token: ${JSON.stringify(t.body)}`);
      drafterToken = t.body.token as string;
    }
    replicas.push({
      name,
      base,
      admin: client(base, token),
      drafter: client(base, drafterToken),
      async close() {
        await app.close();
        await database.close();
      },
    });
  }
  return {
    url,
    databaseName,
    clock,
    replicas,
    async close() {
      for (const r of replicas) await r.close().catch(() => undefined);
    },
  };
}

/**
 * A database outage as the replicas see it: new connections are refused ("database … is not
 * currently accepting connections") and every open session is terminated. Works on the embedded
 * server and on the one at DATABASE_URL, since it only needs the tests' admin (superuser) URL.
 */
export async function databaseOutage(databaseName: string) {
  if (!/^[a-z0-9_]+$/.test(databaseName)) throw new Error(`unexpected database name ${databaseName}`);
  const admin = new pg.Client({ connectionString: inject("dbAdminUrl") });
  await admin.connect();
  const sessions = async () =>
    Number(
      (
        await admin.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
          [databaseName],
        )
      ).rows[0]?.n,
    );
  let down = false;
  async function end() {
    if (!down) return;
    await admin.query(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS true`);
    down = false;
  }
  return {
    /** Refuses new connections and kills the open ones; returns once no session is left. */
    async begin(limitMs = 5_000) {
      down = true;
      await admin.query(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS false`);
      const deadline = Date.now() + limitMs;
      for (;;) {
        await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
          [databaseName],
        );
        if ((await sessions()) === 0) return;
        if (Date.now() > deadline) throw new Error(`sessions to ${databaseName} outlived the outage`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /** Lets connections in again. */
    end,
    /** Sessions whose last statement was `text` (e.g. the replicas' LISTEN connections). */
    async sessionsRunning(text: string): Promise<number> {
      const { rows } = await admin.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND query = $2",
        [databaseName, text],
      );
      return Number(rows[0]?.n);
    },
    /** Ends the outage if it is still on, and closes the admin connection. */
    async close() {
      await end().catch(() => undefined);
      await admin.end().catch(() => undefined);
    },
  };
}
