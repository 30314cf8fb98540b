import { createHash } from "node:crypto";
import { Kysely, PostgresDialect, sql, type Transaction } from "kysely";
import pg from "pg";
import type { Logger } from "./logger.ts";

// int8 (ids, counts) as JS numbers: ids stay far below 2^53, and strings would leak into the API.
pg.types.setTypeParser(20, (v) => Number(v));
// int8[] too (pg's enum of builtin type ids lacks array types).
const INT8_ARRAY = 1016 as Parameters<typeof pg.types.getTypeParser>[0];
const parseInt8Array = pg.types.getTypeParser(INT8_ARRAY);
pg.types.setTypeParser(INT8_ARRAY, (v: string) => (parseInt8Array(v) as string[]).map(Number));

/** Tables owned by the platform. Capabilities add theirs with `db.withTables<…>()` in their store. */
export interface PlatformTables {
  users: {
    id: import("kysely").Generated<number>;
    username: string;
    name: string;
    email: string | null;
    role: "viewer" | "responder" | "admin";
    password_hash: string | null;
    created_at: import("kysely").Generated<Date>;
    deactivated_at: Date | null;
  };
  api_tokens: {
    id: import("kysely").Generated<number>;
    user_id: number;
    name: string;
    token_hash: string;
    prefix: string;
    created_at: import("kysely").Generated<Date>;
    last_used_at: Date | null;
    revoked_at: Date | null;
  };
}

export type Db = Kysely<PlatformTables>;
export type Tx<T = PlatformTables> = Transaction<T>;

export type Database = { pool: pg.Pool; db: Db; close(): Promise<void> };

/** How long the database may take before a request is answered 503 (DATABASE_*_TIMEOUT_MS). */
export type DatabaseTimeouts = {
  /** A new connection, or a free one from the pool. */
  connectMs: number;
  /** One statement; 0 for none (migrations, which may wait on each other's lock). */
  statementMs: number;
};

export const defaultTimeouts: DatabaseTimeouts = { connectMs: 5_000, statementMs: 10_000 };

/**
 * PostgreSQL enforces the statement timeout; this deadline is for a server that stops answering
 * altogether (frozen, partitioned), a little later so the server's own timeout normally wins.
 */
const CLIENT_DEADLINE_GRACE_MS = 1_000;

/**
 * Statements with parameters go out named (prepared once per connection): PostgreSQL parses an
 * unnamed one again on every execution and plans it every time, where a named one is parsed once
 * and, after a few executions, can keep a generic plan — planning was a quarter of PostgreSQL's time
 * on the incident commands (docs/decisions/0014-named-statements.md). The names are the texts'
 * hashes, so one text has one name on every connection. Bounded: past MAX_NAMED distinct texts
 * (statements built with a varying shape), new ones go out unnamed as before.
 */
const MAX_NAMED = 2_000;
const statementNames = new Map<string, string>();

export function statementName(text: string, values: readonly unknown[]): string | null {
  if (values.length === 0) return null; // may hold several statements, which only the simple protocol runs
  const known = statementNames.get(text);
  if (known) return known;
  if (statementNames.size >= MAX_NAMED) return null;
  const name = `fb_${createHash("sha1").update(text).digest("base64url")}`;
  statementNames.set(text, name);
  return name;
}

/** A prepared statement whose table's columns changed under it (SQLSTATE 0A000). */
const isStalePlan = (err: { code?: unknown; message?: unknown }) =>
  err.code === "0A000" &&
  typeof err.message === "string" &&
  /^cached plan must not change result type/.test(err.message);

/** Marks an error raised while connecting: whatever PostgreSQL said, the database was unreachable. */
const CONNECT_FAILED = Symbol("connect failed");

/**
 * pg's client with two changes: an error while connecting is marked as such, and a connection
 * whose query passed the client-side deadline (`query_timeout`) is closed. pg leaves such a
 * connection open with the query still on the wire, and the pool would hand it to the next
 * request, which would wait behind it.
 */
class GuardedClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's connect and query have many overloads; this passes them through
  override connect(...args: any[]): any {
    const mark = (err: unknown) => {
      if (err && typeof err === "object") Object.assign(err, { [CONNECT_FAILED]: true });
      return err;
    };
    const callback = args[0];
    if (typeof callback === "function") return super.connect((err: Error) => callback(mark(err)));
    return super.connect().catch((err: unknown) => Promise.reject(mark(err)));
  }

  // biome-ignore lint/suspicious/noExplicitAny: as above
  override query(...args: any[]): any {
    const name =
      typeof args[0] === "string" && Array.isArray(args[1]) ? statementName(args[0], args[1]) : null;
    if (name) args.splice(0, 2, { name, text: args[0], values: args[1] });
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === "function") {
      args[last] = (err: unknown, res: unknown) => {
        this.dropIfUnusable(err);
        callback(err, res);
      };
    }
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const result = (super.query as (...a: any[]) => any)(...args);
    if (result && typeof result.then === "function")
      result.then(undefined, (err: unknown) => this.dropIfUnusable(err));
    return result;
  }

  /**
   * Closes the connection after a client-side timeout (above), or when a statement it prepared no
   * longer matches its table (a column added by a newer replica's migration): every later run of
   * that statement on this connection would fail the same way, and a new connection prepares it
   * afresh. The request that met it answers 503 with Retry-After (`isDatabaseUnavailable`).
   */
  private dropIfUnusable(err: unknown): void {
    if (err instanceof Error && (err.message === "Query read timeout" || isStalePlan(err)))
      this.end().catch(() => undefined);
  }
}

/**
 * Runs `read` in a transaction whose statements are planned for their own values every time. For
 * reads whose parameters decide how much is read (optional filters, windows, `ORDER BY … LIMIT`):
 * their statements go out named (decision 0014), and a generic plan, made without the values, can
 * read far more than the values need. `settings` are more `SET LOCAL`s (fixed text, never input).
 */
export function withCustomPlans<T, R>(
  db: Kysely<T>,
  read: (tx: Transaction<T>) => Promise<R>,
  settings: string[] = [],
): Promise<R> {
  return db.transaction().execute(async (tx) => {
    await sql.raw([...settings, "SET LOCAL plan_cache_mode = force_custom_plan"].join("; ")).execute(tx);
    return read(tx);
  });
}

export function openDatabase(
  url: string,
  poolSize: number,
  log?: Logger,
  timeouts: DatabaseTimeouts = defaultTimeouts,
): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    idleTimeoutMillis: 30_000,
    // Waiting for a connection, new or from the pool.
    connectionTimeoutMillis: timeouts.connectMs,
    ...(timeouts.statementMs > 0
      ? {
          statement_timeout: timeouts.statementMs,
          query_timeout: timeouts.statementMs + CLIENT_DEADLINE_GRACE_MS,
        }
      : {}),
    keepAlive: true,
    Client: GuardedClient,
  });
  // An idle client losing its server (restart, failover) must not crash the process.
  pool.on("error", (err) => log?.warn({ error: err.message }, "idle database connection failed"));
  const db = new Kysely<PlatformTables>({ dialect: new PostgresDialect({ pool }) });
  return {
    pool,
    db,
    close: async () => {
      await db.destroy();
    },
  };
}

const unreachableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
]);
const unreachableMessages = [
  /^timeout exceeded when trying to connect/,
  /^Connection terminated/,
  /^Query read timeout/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Cannot use a pool after calling end on the pool/,
];

/**
 * Whether an error means the database cannot serve now (unreachable, refusing, restarting, too
 * slow) rather than a fault in the request or the code: connection errors, SQLSTATE class 08,
 * shutdowns and start-up (57P01–57P03), too many connections (53300), and both timeouts (57014
 * from the server, pg's read timeout from the client).
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 3) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (CONNECT_FAILED in e || isStalePlan(e)) return true;
  const code = typeof e.code === "string" ? e.code : "";
  if (unreachableCodes.has(code)) return true;
  if (/^08[0-9A-Z]{3}$/.test(code) || ["57P01", "57P02", "57P03", "53300", "57014"].includes(code))
    return true;
  const message = typeof e.message === "string" ? e.message : "";
  if (unreachableMessages.some((m) => m.test(message))) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}
