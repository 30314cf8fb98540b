import { readdirSync, readFileSync } from "node:fs";
import type pg from "pg";
import { migrateJobs } from "./jobs.ts";

/** Numbered, forward-only plain SQL files: migrations/0001_name.sql, applied in order, each once. */
const migrationsDir = new URL("../../migrations/", import.meta.url);

export type Migration = { id: number; name: string; sql: string };

export function listMigrations(): Migration[] {
  return readdirSync(migrationsDir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      id: Number(f.slice(0, 4)),
      name: f.replace(/\.sql$/, ""),
      sql: readFileSync(new URL(f, migrationsDir), "utf8"),
    }));
}

// Any fixed number: replicas starting together queue on it instead of migrating twice.
const MIGRATION_LOCK = 7_314_221;

/**
 * Applies pending migrations in one transaction under an advisory lock, then graphile-worker's own
 * schema (durable jobs); returns the names of Firebreak's migrations applied.
 */
export async function migrate(pool: pg.Pool): Promise<string[]> {
  const applied = await migrateFirebreak(pool);
  await migrateJobs(pool);
  return applied;
}

async function migrateFirebreak(pool: pg.Pool): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS firebreak_migrations (
      id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await client.query<{ id: number }>("SELECT id FROM firebreak_migrations")).rows.map((r) => r.id),
    );
    const applied: string[] = [];
    for (const m of listMigrations()) {
      if (done.has(m.id)) continue;
      await client.query(m.sql);
      await client.query("INSERT INTO firebreak_migrations (id, name) VALUES ($1, $2)", [m.id, m.name]);
      applied.push(m.name);
    }
    await client.query("COMMIT");
    return applied;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** True when the database answers and every known migration is applied (for /readyz). */
export async function migrationsComplete(pool: pg.Pool): Promise<boolean> {
  const latest = listMigrations().at(-1)?.id ?? 0;
  const { rows } = await pool.query<{ max: number | null }>(
    "SELECT max(id) AS max FROM firebreak_migrations",
  );
  return (rows[0]?.max ?? 0) >= latest;
}
