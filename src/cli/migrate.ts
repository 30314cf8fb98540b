import type { Config } from "../platform/config.ts";
import { createLogger } from "../platform/logger.ts";
import { migrate } from "../platform/migrate.ts";
import { openConfiguredDatabase } from "../server.ts";

/** `firebreak migrate`: apply pending migrations and exit (for deployments that migrate first). */
export async function migrateOnly(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const { database, embedded } = await openConfiguredDatabase(config, log);
  try {
    const applied = await migrate(database.pool);
    process.stdout.write(
      applied.length ? `applied: ${applied.join(", ")}\n` : "the database is up to date\n",
    );
  } finally {
    await database.close();
    await embedded?.stop();
  }
}
