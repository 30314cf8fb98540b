import type { Config } from "../platform/config.ts";
import { createLogger } from "../platform/logger.ts";
import { migrateWithoutTimeout, openConfiguredDatabase } from "../server.ts";

/** `firebreak migrate`: apply pending migrations and exit (for deployments that migrate first). */
export async function migrateOnly(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const { database, embedded, url } = await openConfiguredDatabase(config, log);
  try {
    const applied = await migrateWithoutTimeout(url, config, log);
    process.stdout.write(
      applied.length ? `applied: ${applied.join(", ")}\n` : "the database is up to date\n",
    );
  } finally {
    await database.close();
    await embedded?.stop();
  }
}
