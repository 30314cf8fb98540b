import { Kysely, PostgresDialect, type Transaction } from "kysely";
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

export function openDatabase(url: string, poolSize: number, log?: Logger): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, idleTimeoutMillis: 30_000 });
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
