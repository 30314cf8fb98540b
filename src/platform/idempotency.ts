/**
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header; Stripe's behaviour): a POST under
 * /api/v1 that carries the header is carried out once per caller, route and key; a retry with the
 * same request gets the first answer again (`Idempotent-Replayed: true`), the same key with another
 * request a 422, and the same key while the first is still running a 409 with Retry-After.
 *
 * The key is atomic with the command (decision 0009). Before the handler, the key is reserved in a
 * short statement of its own. Then every transaction the handler's commands run marks the key
 * `committed` inside that same transaction, fenced by the attempt's owner id — so a command that
 * committed is never run again, even if the process died before answering. On routes listed in
 * `answerInTransaction` (idempotency-key.ts: an incident's and a page's commands), the command's
 * transaction stays open until the answer is serialized, and the answer is written in it too: a
 * commit without its answer cannot happen, and the answer goes out only after the commit.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { type Kysely, sql, type TransactionBuilder } from "kysely";
import type { Clock } from "./clock.ts";
import type { Db } from "./db.ts";
import { AppError, problemOf } from "./errors.ts";
import {
  answerInTransaction,
  fingerprintOf,
  HEADER_DOC,
  IDEMPOTENCY_HEADER,
  parseIdempotencyKey,
  REPLAYED_HEADER,
} from "./idempotency-key.ts";
import type { DueRunner } from "./jobs.ts";
import type { Logger } from "./logger.ts";
import { requestContext } from "./request-context.ts";

/** How long a key and its answer are kept. */
export const KEEP_MS = 24 * 60 * 60_000;
/**
 * How long an unanswered, uncommitted key counts as in flight. After it, the attempt is taken to
 * have died before its command committed and a retry runs the command; the fence makes that safe
 * even if the first attempt was only slow (its commit fails instead).
 */
export const LEASE_MS = 30_000;
/** The longest a command's transaction is held open waiting for the route's answer. */
const DEFER_MAX_MS = 10_000;
/** How often a replica deletes expired keys. */
const SWEEP_EVERY_MS = 10 * 60_000;
const SWEEP_BATCH = 1000;

/** Answers that are not kept: a retry may well succeed (client timeouts, too early, rate limits). */
const TRANSIENT = new Set([408, 425, 429]);
/** Response headers replayed with the answer. */
const KEPT_HEADERS = ["content-type", "location"];

export type IdempotencyTables = {
  idempotency_keys: {
    user_id: number;
    method: string;
    route: string;
    key: string;
    fingerprint: string;
    created_at: Date;
    owner: string;
    locked_until: Date;
    committed: boolean;
    status: number | null;
    headers: Record<string, string> | null;
    body: string | null;
  };
};
type KeyDb = Kysely<IdempotencyTables>;

type Scope = { userId: number; method: string; route: string; key: string };
export type Answer = { status: number; headers: Record<string, string>; body: string | null };

/** One attempt at a keyed request, from reservation to its answer. */
type Attempt = Scope & {
  owner: string;
  /** Whether this route's answer is written in the command's transaction. */
  deferrable: boolean;
  /** A transaction of this attempt committed (and marked the key). */
  committed: boolean;
  /** The answer is stored; nothing more to do. */
  answered: boolean;
  /** The request is over: transactions started later (background work) are not its own. */
  done: boolean;
  /** A command's transaction held open for the answer. */
  held?: Held;
  /** Ends the request's context (see request-context.ts); called once its answer is settled. */
  leave?: () => void;
};
type Held = {
  /** The answer to write and commit; null commits the mark alone; "rollback" undoes the command. */
  give(answer: Answer | null | "rollback"): void;
  /** Settles when the transaction has ended: the error if it did not commit. */
  ended: Promise<unknown>;
};

type Outcome = { kind: "run"; attempt: Attempt } | { kind: "replay"; answer: Answer };

// biome-ignore lint/suspicious/noExplicitAny: transactions of every capability's tables
type AnyKysely = Kysely<any>;
const WRAPPED = Symbol("idempotency: transactions wrapped");

export function createIdempotency(deps: {
  db: Db;
  clock: Clock;
  log: Logger;
  /**
   * At most this many transactions are held open for their answers at once (half the pool): a
   * held one may need another connection to present its answer, and holding every connection
   * would leave none. Past it, a command commits at once and its answer is stored after.
   */
  maxHeld: number;
}) {
  const { clock, log } = deps;
  let held = 0;
  const db = deps.db.withTables<IdempotencyTables>() as unknown as KeyDb;
  const current = requestContext<Attempt>();
  const attempts = new WeakMap<FastifyRequest, Attempt>();

  const where = (s: Scope) =>
    sql<boolean>`user_id = ${s.userId} AND method = ${s.method} AND route = ${s.route} AND key = ${s.key}`;

  /** Reserves the key for a new attempt, or says what the earlier one left (replay, 409, 422). */
  async function begin(scope: Scope, fingerprint: string, deferrable: boolean): Promise<Outcome> {
    const now = clock.now();
    const owner = randomUUID();
    for (let tries = 0; tries < 3; tries++) {
      // New, expired (not swept yet), or left by an attempt that died before committing: ours.
      const taken = await sql<{ owner: string }>`
        INSERT INTO idempotency_keys (user_id, method, route, key, fingerprint, created_at, owner, locked_until)
        VALUES (${scope.userId}, ${scope.method}, ${scope.route}, ${scope.key}, ${fingerprint}, ${now},
                ${owner}, ${new Date(now.getTime() + LEASE_MS)})
        ON CONFLICT (user_id, method, route, key) DO UPDATE SET
          fingerprint = excluded.fingerprint, created_at = excluded.created_at, owner = excluded.owner,
          locked_until = excluded.locked_until, committed = false, status = NULL, headers = NULL, body = NULL
        WHERE idempotency_keys.created_at <= ${new Date(now.getTime() - KEEP_MS)}
           OR (idempotency_keys.fingerprint = excluded.fingerprint AND NOT idempotency_keys.committed
               AND idempotency_keys.status IS NULL AND idempotency_keys.locked_until <= ${now})
        RETURNING owner`.execute(db);
      if (taken.rows[0]?.owner === owner) {
        return {
          kind: "run",
          attempt: { ...scope, owner, deferrable, committed: false, answered: false, done: false },
        };
      }
      const found = await db
        .selectFrom("idempotency_keys")
        .select(["fingerprint", "committed", "status", "headers", "body"])
        .where(where(scope))
        .executeTakeFirst();
      if (!found) continue; // released (a 5xx) between the two statements: try again
      if (found.fingerprint !== fingerprint) {
        throw new AppError(
          "idempotency-key-reused",
          `the Idempotency-Key ${JSON.stringify(scope.key)} was used for a different request to ${scope.method} ${scope.route} (another path or body) in the last 24 hours; send a new key for a new request`,
          { header: "Idempotency-Key" },
        );
      }
      if (found.status !== null) {
        return {
          kind: "replay",
          answer: { status: found.status, headers: found.headers ?? {}, body: found.body },
        };
      }
      if (found.committed) {
        throw new AppError(
          "conflict",
          `the request with Idempotency-Key ${JSON.stringify(scope.key)} was carried out, but the server stopped before its answer was recorded; it will not be done again — look the result up instead`,
          { header: "Idempotency-Key" },
        );
      }
      throw new AppError(
        "idempotency-key-in-flight",
        `a request with Idempotency-Key ${JSON.stringify(scope.key)} is still being carried out; retry after a moment for its answer`,
        { header: "Idempotency-Key", retryAfterSeconds: 1 },
      );
    }
    throw new AppError(
      "idempotency-key-in-flight",
      "the Idempotency-Key is contended; retry after a moment",
      {
        retryAfterSeconds: 1,
      },
    );
  }

  /**
   * In the command's transaction: the key's attempt committed (and its answer, when known). Fails —
   * rolling the command back — if another attempt took the key over meanwhile.
   */
  async function markCommitted(tx: AnyKysely, a: Attempt, answer?: Answer): Promise<void> {
    const r = await sql`
      UPDATE idempotency_keys SET committed = true,
        status = ${answer?.status ?? null}, headers = ${answer ? JSON.stringify(answer.headers) : null}::jsonb,
        body = ${answer?.body ?? null}
      WHERE ${where(a)} AND owner = ${a.owner}`.execute(tx);
    if (Number(r.numAffectedRows ?? 0) === 0) {
      throw new AppError(
        "idempotency-key-in-flight",
        `another attempt with Idempotency-Key ${JSON.stringify(a.key)} took it over; this one was undone`,
        { header: "Idempotency-Key", retryAfterSeconds: 1 },
      );
    }
  }

  async function storeAnswer(a: Attempt, answer: Answer): Promise<void> {
    await sql`
      UPDATE idempotency_keys SET status = ${answer.status}, headers = ${JSON.stringify(answer.headers)}::jsonb,
        body = ${answer.body}
      WHERE ${where(a)} AND owner = ${a.owner}`.execute(db);
  }

  /** Gives the key up (a 5xx before anything committed): a retry runs the command. */
  async function release(a: Attempt): Promise<void> {
    await sql`DELETE FROM idempotency_keys WHERE ${where(a)} AND owner = ${a.owner} AND NOT committed`.execute(
      db,
    );
  }

  /** A transaction started inside a keyed request: it marks the key before it commits. */
  async function transact<T>(
    builder: TransactionBuilder<unknown>,
    callback: (tx: AnyKysely) => Promise<T>,
  ): Promise<T> {
    const a = current.get();
    if (!a || a.done) return builder.execute(callback as never) as Promise<T>;
    // A second transaction: the held one commits first, or it could wait on the held one's locks.
    const failed = await endHeld(a, null);
    if (failed) throw failed;
    if (!a.deferrable || a.committed || held >= deps.maxHeld) {
      const result = await builder.execute(async (tx) => {
        const r = await callback(tx as AnyKysely);
        await markCommitted(tx as AnyKysely, a);
        return r;
      });
      a.committed = true;
      return result as T;
    }
    return hold(builder, callback, a);
  }

  /**
   * Runs the command, hands its result to the caller, and keeps the transaction open until the
   * route's answer is known (onSend) — then writes the answer and commits, or rolls back on a 5xx.
   */
  function hold<T>(
    builder: TransactionBuilder<unknown>,
    callback: (tx: AnyKysely) => Promise<T>,
    a: Attempt,
  ): Promise<T> {
    held++;
    return new Promise<T>((resolve, reject) => {
      let handedOver = false;
      let ended: (err: unknown) => void = () => undefined;
      const endedPromise = new Promise<unknown>((r) => {
        ended = r;
      });
      builder
        .execute(async (tx) => {
          const result = await callback(tx as AnyKysely);
          const answer = await new Promise<Answer | null | "rollback">((give) => {
            const timer = setTimeout(() => give(null), DEFER_MAX_MS);
            timer.unref();
            a.held = {
              give: (x) => {
                clearTimeout(timer);
                give(x);
              },
              ended: endedPromise,
            };
            handedOver = true;
            resolve(result);
          });
          if (answer === "rollback") throw new Rollback();
          await markCommitted(tx as AnyKysely, a, answer ?? undefined);
          if (answer) a.answered = true;
        })
        .finally(() => held--)
        .then(
          () => {
            a.committed = true;
            ended(undefined);
          },
          (err) => {
            a.answered = false;
            if (handedOver) ended(err);
            else reject(err);
          },
        );
    });
  }

  /** Ends a held transaction with `answer`; the error when it did not commit. */
  async function endHeld(a: Attempt, answer: Answer | null | "rollback"): Promise<unknown> {
    const held = a.held;
    if (!held) return undefined;
    a.held = undefined;
    held.give(answer);
    return held.ended;
  }

  function wrapBuilder(builder: TransactionBuilder<unknown>): TransactionBuilder<unknown> {
    return new Proxy(builder, {
      get(target, prop) {
        if (prop === "execute") return (cb: (tx: AnyKysely) => Promise<unknown>) => transact(target, cb);
        const value = Reflect.get(target, prop, target);
        if (prop === "setIsolationLevel" || prop === "setAccessMode") {
          return (...args: unknown[]) =>
            wrapBuilder((value as (...a: unknown[]) => never).apply(target, args));
        }
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  function applies(req: FastifyRequest): boolean {
    return req.method === "POST" && req.actor !== null && req.actor !== undefined;
  }

  /** preHandler: a keyed POST is reserved, replayed or refused; its handler runs as the attempt. */
  function preHandler(req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    let key: string | undefined;
    try {
      key = applies(req) ? parseIdempotencyKey(req.headers[IDEMPOTENCY_HEADER]) : undefined;
    } catch (err) {
      done(err as Error);
      return;
    }
    if (key === undefined) {
      done();
      return;
    }
    const route = req.routeOptions.url ?? req.url.split("?")[0] ?? "";
    const scope = { userId: req.actor?.id ?? 0, method: req.method, route, key };
    begin(scope, fingerprintOf(req.url, req.body), answerInTransaction.has(`${req.method} ${route}`)).then(
      (outcome) => {
        if (outcome.kind === "replay") {
          const { status, headers, body } = outcome.answer;
          reply.code(status).headers({ ...headers, [REPLAYED_HEADER]: "true" });
          reply.send(body ?? undefined);
          return;
        }
        attempts.set(req, outcome.attempt);
        outcome.attempt.leave = current.enter(outcome.attempt, () => done());
      },
      (err: Error) => done(err),
    );
  }

  /** onSend: the answer is kept (2xx, 4xx) or the key given up (5xx), before the answer goes out. */
  async function onSend(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const a = attempts.get(req);
    if (!a || a.done) return payload;
    try {
      const body =
        typeof payload === "string" ? payload : Buffer.isBuffer(payload) ? payload.toString("utf8") : null;
      const status = reply.statusCode;
      const keep = status < 500 && !(TRANSIENT.has(status) && !a.committed) && (body !== null || !payload);
      const answer: Answer = { status, headers: keptHeaders(reply), body };
      if (a.held) {
        const failed = await endHeld(a, keep ? answer : "rollback");
        if (failed && !(failed instanceof Rollback)) {
          // The command did not commit after all: say so, never the success it had computed.
          req.log.warn({ err: failed }, "a held command's transaction did not commit");
          await release(a).catch(() => undefined);
          const err = new AppError(
            "unavailable",
            "the change could not be committed; retry with the same Idempotency-Key",
          );
          reply.code(503).type("application/problem+json").header("retry-after", "1");
          return JSON.stringify(problemOf(err, req.url));
        }
      }
      if (a.answered) return payload;
      if (keep) await storeAnswer(a, answer);
      else if (!a.committed) await release(a);
      return payload;
    } catch (err) {
      log.warn({ err }, "could not record an Idempotency-Key's answer; a retry will be told it is in flight");
      return payload;
    } finally {
      a.done = true;
      a.leave?.();
    }
  }

  return {
    /**
     * Makes `db`'s transactions mark the key of the request they run in (one Kysely instance is
     * shared by the services; instances from `withTables` are not covered: no creating command uses one).
     */
    wrapTransactions(target: AnyKysely): void {
      const marked = target as AnyKysely & { [WRAPPED]?: true };
      if (marked[WRAPPED]) return;
      const original = target.transaction.bind(target);
      target.transaction = () => wrapBuilder(original() as TransactionBuilder<unknown>) as never;
      marked[WRAPPED] = true;
    },

    /** Adds the hooks to the /api/v1 scope (after authentication, so the caller is known). */
    attach(app: FastifyInstance): void {
      app.addHook("preHandler", preHandler);
      app.addHook("onSend", onSend);
      // The OpenAPI document says so on every POST that takes the header.
      app.addHook("onRoute", (route) => {
        const methods = [route.method].flat();
        if (!methods.includes("POST") || route.config?.noCredential || !route.schema) return;
        const said = route.schema.description;
        route.schema.description = said ? `${said}\n\n${HEADER_DOC}` : HEADER_DOC;
      });
    },

    /** Deletes keys older than 24 hours, a batch at a time, every ten minutes per replica. */
    sweeper(): DueRunner {
      let last: number | undefined;
      return {
        name: "idempotency keys",
        async runNext(now) {
          const t = now.getTime();
          if (last !== undefined && t >= last && t - last < SWEEP_EVERY_MS) return false;
          last = t;
          const r = await sql`DELETE FROM idempotency_keys WHERE ctid IN (
              SELECT ctid FROM idempotency_keys WHERE created_at <= ${new Date(t - KEEP_MS)} LIMIT ${SWEEP_BATCH})`.execute(
            db,
          );
          const deleted = Number(r.numAffectedRows ?? 0);
          if (deleted === SWEEP_BATCH) last = undefined; // more to delete: go on at once
          return deleted > 0;
        },
      };
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;

/** Thrown inside a held transaction to undo the command (its answer was a 5xx). */
class Rollback extends Error {}

function keptHeaders(reply: FastifyReply): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const v = reply.getHeader(name);
    if (v !== undefined) kept[name] = String(v);
  }
  return kept;
}
