/**
 * Once per test run: a PostgreSQL server (the embedded one, or the server at DATABASE_URL) and a
 * template database with every migration applied. Each test file clones the template, so files
 * run in parallel on databases of their own (the idea graphile-worker's test setup uses).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbedded } from "../../src/platform/embedded.ts";
import { createLogger } from "../../src/platform/logger.ts";
import { migrate } from "../../src/platform/migrate.ts";

declare module "vitest" {
  export interface ProvidedContext {
    dbAdminUrl: string;
    dbTemplate: string;
  }
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  const log = createLogger("warn");
  let adminUrl = process.env.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  let dir: string | undefined;
  if (!adminUrl) {
    dir = mkdtempSync(path.join(tmpdir(), "firebreak-test-"));
    const server = await startEmbedded(dir, log, { durable: false });
    adminUrl = server.url;
    stopEmbedded = server.stop;
  }
  const runId = `fbt_${randomBytes(4).toString("hex")}`;
  const template = `${runId}_template`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  const pool = new pg.Pool({ connectionString: withDatabase(adminUrl, template), max: 1 });
  await migrate(pool);
  await pool.end();
  project.provide("dbAdminUrl", adminUrl);
  project.provide("dbTemplate", template);

  return async () => {
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE $1",
      [`${runId}%`],
    );
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => undefined);
    }
    await admin.end();
    await stopEmbedded?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}
