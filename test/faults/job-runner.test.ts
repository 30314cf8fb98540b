/**
 * The job runner outlives a database outage (issue 14, hole 2): graphile-worker's worker that
 * cannot record a job's outcome exits for good, and its pool does not replace it. A job finishing
 * while the database refuses connections must not leave the replica without workers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/platform/clock.ts";
import { type Database, openDatabase } from "../../src/platform/db.ts";
import { createJobs, type Jobs } from "../../src/platform/jobs.ts";
import { createLogger } from "../../src/platform/logger.ts";
import { createTestDatabase } from "../support/database.ts";
import { databaseOutage } from "../support/replicas.ts";

let url: string;
let database: Database;
let jobs: Jobs;
beforeAll(async () => {
  url = await createTestDatabase();
  database = openDatabase(url, 5, undefined, { connectMs: 1_000, statementMs: 2_000 });
});
afterAll(async () => {
  await jobs?.stop().catch(() => undefined);
  await database?.close();
});

async function until(what: string, done: () => boolean, limitMs: number) {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the job runner after an outage", () => {
  it("a job that ends while the database is away does not cost the replica its worker", {
    timeout: 30_000,
  }, async () => {
    jobs = createJobs(database.pool, createLogger(process.env.TEST_LOG_LEVEL ?? "silent"), systemClock);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let slowStarted = 0;
    let quickRan = 0;
    jobs.register("test.slow", async () => {
      slowStarted++;
      await gate;
    });
    jobs.register("test.quick", async () => {
      quickRan++;
    });
    // One worker: losing it stops every job of this replica.
    await jobs.start(1);
    await jobs.add(database.db, "test.slow", {}, { maxAttempts: 1 });
    await until("the slow job starting", () => slowStarted === 1, 5_000);

    const outage = await databaseOutage(new URL(url).pathname.slice(1));
    try {
      await outage.begin();
      release(); // the job ends now, and its worker cannot record that
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      await outage.close();
    }

    await jobs.add(database.db, "test.quick", {});
    await until("a job added after the outage running", () => quickRan === 1, 15_000);
    expect(quickRan).toBe(1);
  });
});
