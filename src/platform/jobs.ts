/**
 * Durable jobs and timers on graphile-worker. A command enqueues its side effects with `add` on its
 * own transaction, so the change and its consequences commit together (or not at all). Every
 * replica runs a worker; PostgreSQL hands each job to exactly one of them (SKIP LOCKED), and a
 * replica that dies mid-job leaves it to be retried by another.
 */

import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Runner, Task, TaskList, WorkerEvents, Logger as WorkerLogger } from "graphile-worker";
import { Logger as GraphileLogger, run, runMigrations, runOnce } from "graphile-worker";
import { type Kysely, sql } from "kysely";
import type pg from "pg";
import type { Clock } from "./clock.ts";
import type { Logger } from "./logger.ts";

export type JobHandler = (payload: Record<string, unknown>) => Promise<void>;

/**
 * Timers a capability keeps in its own table (the process's clocks, decision 0007), run beside the
 * jobs: each replica's loops claim and run the earliest due one; tests fast-forward them with
 * `runDue`.
 */
export type DueRunner = {
  name: string;
  /** Runs the earliest item due at `now` that nobody else holds; whether there was one. */
  runNext(now: Date): Promise<boolean>;
};

export type AddJob = {
  /** When it should run (defaults to the clock's now); timers are jobs with a future `runAt`. */
  runAt?: Date;
  /** A job with the same key replaces the pending one, so a timer is re-armed, never doubled. */
  key?: string;
  maxAttempts?: number;
};

// biome-ignore lint/suspicious/noExplicitAny: jobs are added on any capability's transaction
type AnyDb = Kysely<any>;

function quietLogger(log: Logger): WorkerLogger {
  return new GraphileLogger(() => (level, message, meta) => {
    if (level === "error") log.error({ ...meta }, message);
    else if (level === "warning") log.warn({ ...meta }, message);
    else log.debug({ ...meta }, message);
  });
}

/** How often a replica says it is alive, and how long silence means it is gone. */
const HEARTBEAT_MS = 5_000;
/**
 * Nothing wakes a worker when a timer falls due (LISTEN/NOTIFY covers only new jobs), so idle
 * workers look every POLL_MS: timers run at most this late. 200 ms is ~20 cheap polls a second.
 */
const POLL_MS = 200;
const DEAD_AFTER_SECONDS = 20;
/** How soon a runner whose worker died is replaced (and, while the database is away, retried). */
const RESTART_AFTER_MS = 1_000;

export function createJobs(pool: pg.Pool, log: Logger, clock: Clock) {
  const handlers = new Map<string, JobHandler>();
  let runner: Runner | undefined;
  let beat: NodeJS.Timeout | undefined;
  const replicaId = randomUUID();
  const workerIds: string[] = [];
  const dueRunners: DueRunner[] = [];
  const stopLoops: (() => Promise<void>)[] = [];

  /**
   * `concurrency` loops run `r`'s due items one after another. An idle loop waits for the poll
   * tick (one idle loop wakes per tick, so an idle replica polls POLL_MS apart); a loop that found
   * one wakes the others, since more may be due.
   */
  function runLoops(r: DueRunner, concurrency: number): () => Promise<void> {
    let running = true;
    const waiting: (() => void)[] = [];
    const wakeAll = () => {
      for (const wake of waiting.splice(0)) wake();
    };
    const tick = setInterval(() => waiting.shift()?.(), POLL_MS);
    tick.unref();
    async function loop() {
      while (running) {
        let found = false;
        try {
          found = await r.runNext(clock.now());
        } catch (err) {
          log.warn({ runner: r.name, error: String(err) }, "could not claim a due item; trying again");
        }
        if (!running) break;
        if (found) wakeAll();
        else await new Promise<void>((wake) => waiting.push(wake));
      }
    }
    const loops = Array.from({ length: concurrency }, loop);
    return async () => {
      running = false;
      clearInterval(tick);
      wakeAll();
      await Promise.all(loops);
    };
  }

  /**
   * Heartbeat, then unlock the jobs of replicas that stopped beating so the living take them over.
   * Wall-clock (database) time on purpose: liveness is about real seconds, not the product's clock.
   */
  async function heartbeatAndSweep(): Promise<void> {
    await pool.query(
      `INSERT INTO firebreak_replicas (id, worker_ids, heartbeat_at) VALUES ($1, $2, now())
       ON CONFLICT (id) DO UPDATE SET worker_ids = $2, heartbeat_at = now()`,
      [replicaId, workerIds],
    );
    const { rows } = await pool.query<{ worker_ids: string[] }>(
      `DELETE FROM firebreak_replicas WHERE heartbeat_at < now() - make_interval(secs => $1) RETURNING worker_ids`,
      [DEAD_AFTER_SECONDS],
    );
    const orphaned = rows.flatMap((r) => r.worker_ids);
    if (orphaned.length) {
      await pool.query("SELECT graphile_worker.force_unlock_workers($1::text[])", [orphaned]);
      log.warn({ workers: orphaned.length }, "took over the jobs of a replica that stopped");
    }
  }
  const logger = quietLogger(log);
  let stopped = true;
  let restartTimer: NodeJS.Timeout | undefined;
  /** Workers that died holding a job: their jobs are unlocked once a new runner is up. */
  const deadWorkers: string[] = [];

  /**
   * graphile-worker's worker that cannot record a job's outcome (the database went away while
   * it ran) exits for good, and its pool does not replace it: after an outage a replica would run
   * fewer jobs, then none. So a worker's fatal error starts a fresh runner (retried until the
   * database answers) and retires the old one.
   */
  async function startRunner(concurrency: number): Promise<Runner> {
    const events: WorkerEvents = new EventEmitter();
    events.on("worker:create", ({ worker }) => {
      workerIds.push(worker.workerId);
    });
    events.on("worker:fatalError", ({ worker, error }) => {
      deadWorkers.push(worker.workerId);
      log.warn({ error: String(error) }, "a job worker stopped (the database failed); starting a new runner");
      scheduleRestart(concurrency);
    });
    return run(
      { pgPool: pool, concurrency, noHandleSignals: true, pollInterval: POLL_MS, logger, events },
      taskList(),
    );
  }

  function scheduleRestart(concurrency: number): void {
    if (stopped || restartTimer) return;
    restartTimer = setTimeout(async () => {
      const old = runner;
      try {
        runner = await startRunner(concurrency);
        restartTimer = undefined;
        const dead = deadWorkers.splice(0);
        await pool
          .query("SELECT graphile_worker.force_unlock_workers($1::text[])", [dead])
          .catch(() => deadWorkers.push(...dead));
        if (stopped) await runner.stop().catch(() => undefined);
        await old?.stop().catch(() => undefined);
      } catch (err) {
        log.warn({ error: String(err) }, "could not start a new job runner; trying again");
        restartTimer = undefined;
        scheduleRestart(concurrency);
      }
    }, RESTART_AFTER_MS);
    restartTimer.unref();
  }

  function taskList(): TaskList {
    const list: TaskList = {};
    for (const [name, handler] of handlers) {
      const task: Task = async (payload) => handler((payload ?? {}) as Record<string, unknown>);
      list[name] = task;
    }
    return list;
  }

  /**
   * graphile-worker reads the time from `Date` when `useNodeTime` is on, so it is pinned to `now`
   * while it runs what is due.
   */
  async function runJobsOnce(now: Date): Promise<void> {
    const RealDate = Date;
    const offset = now.getTime() - RealDate.now();
    class PinnedDate extends RealDate {
      constructor(...args: ConstructorParameters<DateConstructor> | []) {
        if (args.length === 0) super(RealDate.now() + offset);
        else super(...(args as ConstructorParameters<DateConstructor>));
      }
      static override now() {
        return RealDate.now() + offset;
      }
    }
    globalThis.Date = PinnedDate as DateConstructor;
    try {
      await runOnce({ pgPool: pool, useNodeTime: true, noHandleSignals: true, logger }, taskList());
    } finally {
      globalThis.Date = RealDate;
    }
  }

  return {
    register(name: string, handler: JobHandler): void {
      if (handlers.has(name)) throw new Error(`job ${name} is registered twice`);
      handlers.set(name, handler);
    },

    /** Enqueues a job inside the caller's transaction. */
    async add(db: AnyDb, name: string, payload: Record<string, unknown>, opts: AddJob = {}): Promise<void> {
      await sql`SELECT graphile_worker.add_job(
        ${name}::text,
        ${JSON.stringify(payload)}::json,
        run_at => ${(opts.runAt ?? clock.now()).toISOString()}::timestamptz,
        job_key => ${opts.key ?? null}::text,
        max_attempts => ${opts.maxAttempts ?? 25}::int,
        job_key_mode => 'replace'
      )`.execute(db);
    },

    /** Runs `r`'s due items beside the jobs (call before `start`). */
    attach(r: DueRunner): void {
      dueRunners.push(r);
    },

    /** Cancels a pending job by key (a no-op when it already ran or never existed). */
    async remove(db: AnyDb, key: string): Promise<void> {
      await sql`SELECT graphile_worker.remove_job(${key}::text)`.execute(db);
    },

    /** Starts this replica's worker (LISTEN/NOTIFY wakes it within milliseconds of a commit). */
    async start(concurrency = 4): Promise<void> {
      stopped = false;
      runner = await startRunner(concurrency);
      for (const r of dueRunners) stopLoops.push(runLoops(r, concurrency));
      await heartbeatAndSweep();
      beat = setInterval(() => {
        heartbeatAndSweep().catch((err) => log.warn({ error: String(err) }, "replica heartbeat failed"));
      }, HEARTBEAT_MS);
      beat.unref();
    },

    /**
     * Runs every job and due item due at `now` until none is left, then returns. Tests use it to
     * fast-forward. What one runs may make more due (a clock's page queues its notifications), so
     * it goes round until a round finds nothing.
     */
    async runDue(now: Date): Promise<void> {
      for (let round = 0; round < 100; round++) {
        await runJobsOnce(now);
        let found = 0;
        for (const r of dueRunners) while (await r.runNext(now)) found++;
        if (found === 0) return;
      }
      throw new Error("runDue: work kept making more work due after 100 rounds");
    },

    async stop(): Promise<void> {
      stopped = true;
      if (restartTimer) clearTimeout(restartTimer);
      for (const stopLoop of stopLoops.splice(0)) await stopLoop();
      if (beat) clearInterval(beat);
      await runner?.stop();
      if (runner)
        await pool.query("DELETE FROM firebreak_replicas WHERE id = $1", [replicaId]).catch(() => undefined);
      runner = undefined;
    },
  };
}

export type Jobs = ReturnType<typeof createJobs>;

/** graphile-worker's own schema, installed beside Firebreak's migrations. */
export async function migrateJobs(pool: pg.Pool): Promise<void> {
  await runMigrations({ pgPool: pool, logger: new GraphileLogger(() => () => undefined) });
}
