/**
 * "Send me a test notification": one message through a contact method's channel now, by the path
 * pages and notices take (the channels' `send`: the same guarded HTTP client, signature and SMTP
 * transport), so a delivered test says pages will arrive. Synchronous within a deadline: a channel
 * gives up on its own after 10 s, so nearly every answer is final; a slower one answers `pending`
 * and the outcome is written when it comes (GET the test to read it). A test is tried once, never
 * retried, and is written on no incident's timeline. At most TESTS_PER_MINUTE per person, counted
 * in the database so every replica shares the limit.
 */
import { sql } from "kysely";
import type { Actor } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { AppError, notFound } from "../platform/errors.ts";
import type { Logger } from "../platform/logger.ts";
import type { OutgoingNotification, SendResult } from "./engine.ts";
import { pushDestination } from "./push.ts";
import type { ContactMethod, ContactTest, PagingDb } from "./store.ts";
import * as store from "./store.ts";

export const TESTS_PER_MINUTE = 5;
/** Longer than a channel's own deadline (10 s), shorter than a browser's or the CLI's patience. */
export const TEST_DEADLINE_MS = 15_000;

/** Where a contact method's messages go, as a channel takes it. */
export function destinationOf(cm: ContactMethod): OutgoingNotification["to"] {
  if (cm.kind === "email") return { kind: "email", address: cm.address };
  if (cm.kind === "webhook") return { kind: "webhook", url: cm.address, secret: cm.secret ?? "" };
  if (cm.kind === "ntfy") return { kind: "ntfy", url: cm.address, token: cm.secret };
  if (cm.kind === "sms" || cm.kind === "voice") return { kind: cm.kind, number: cm.address };
  if (cm.kind === "push") return pushDestination(cm);
  return { kind: "chat", url: cm.address };
}

/** The actor's own contact method `id`; anyone else's is "not found" (never "not yours"). */
export async function ownContactMethod(db: PagingDb, actor: Actor, id: number): Promise<ContactMethod> {
  const cm = await store.getContactMethod(db, id);
  if (!cm || cm.user_id !== actor.id) throw notFound("contact method", id);
  return cm;
}

/** `work`'s result, or null once `ms` have passed (the work goes on and records its own outcome). */
export async function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

export function createContactTests(deps: {
  db: PagingDb;
  clock: Clock;
  log: Logger;
  send: (n: OutgoingNotification) => Promise<SendResult>;
  deadlineMs?: number;
}) {
  const { db, clock, log } = deps;
  const deadlineMs = deps.deadlineMs ?? TEST_DEADLINE_MS;

  const ownMethod = (actor: Actor, id: number) => ownContactMethod(db, actor, id);

  /** Sends and records the outcome; never throws (a failure is an outcome). */
  async function deliver(cm: ContactMethod, test: ContactTest): Promise<ContactTest> {
    let result: SendResult;
    try {
      result = await deps.send({
        idempotencyKey: `test:${test.id}`,
        to: destinationOf(cm),
        subject: "[Firebreak] Test notification",
        text: `This is the test notification you asked for, sent to ${cm.label} (${cm.kind}) at ${test.created_at.toISOString()}. Nothing needs doing: pages and reminders reach you this way.`,
        links: [],
        pages: [],
        type: "notice",
      });
    } catch (err) {
      result = { status: "failed-retryable", reason: (err as Error).message };
    }
    const outcome = {
      status: result.status === "delivered" ? ("delivered" as const) : ("failed" as const),
      error: result.status === "delivered" ? null : result.reason,
      at: clock.now(),
    };
    try {
      return (await store.finishContactTest(db, test.id, outcome)) ?? { ...test, ...outcome };
    } catch (err) {
      log.warn({ contactTest: test.id, err }, "could not record a test notification's outcome");
      return { ...test, status: outcome.status, error: outcome.error, finished_at: outcome.at };
    }
  }

  return {
    /** Sends a test through the actor's contact method `id`; its outcome, or `pending` after the deadline. */
    async testContactMethod(actor: Actor, id: number): Promise<ContactTest> {
      const cm = await ownMethod(actor, id);
      if (!cm.verified_at)
        throw new AppError(
          "invalid-transition",
          `contact method ${id} is not verified yet: type the code sent to it (POST /api/v1/me/contact-methods/${id}/verify), or ask for a new one`,
        );
      const now = clock.now();
      const test = await db.transaction().execute(async (tx) => {
        // One person's tests queue here, so two at once cannot both take the last slot.
        await sql`SELECT pg_advisory_xact_lock(hashtext(${`contact-test:${actor.id}`}))`.execute(tx);
        const times = await store.contactTestTimes(tx, actor.id, new Date(now.getTime() - 60_000));
        if (times.length >= TESTS_PER_MINUTE) {
          // A slot frees when the oldest test that keeps the count at the limit leaves the minute.
          const freesAt = (times[times.length - TESTS_PER_MINUTE] as Date).getTime() + 60_000;
          const seconds = Math.max(1, Math.ceil((freesAt - now.getTime()) / 1000));
          throw new AppError(
            "rate-limited",
            `you sent ${TESTS_PER_MINUTE} test notifications in the last minute; send another in ${seconds} s`,
            { retryAfterSeconds: seconds },
          );
        }
        return store.insertContactTest(tx, { contact_method_id: cm.id, user_id: actor.id, created_at: now });
      });
      return (await withinDeadline(deliver(cm, test), deadlineMs)) ?? test;
    },

    async contactTest(actor: Actor, methodId: number, testId: number): Promise<ContactTest> {
      await ownMethod(actor, methodId);
      const test = await store.getContactTest(db, testId);
      if (!test || test.contact_method_id !== methodId) throw notFound("test notification", testId);
      return test;
    },

    /** The actor's contact methods, each with its latest test and latest message of any kind. */
    async listWithOutcomes(actor: Actor) {
      const methods = await store.listContactMethods(db, actor.id);
      const ids = methods.map((m) => m.id);
      const [tests, outcomes, codes] = await Promise.all([
        store.lastContactTests(db, ids),
        store.lastOutcomes(db, ids),
        store.verificationCodes(db, ids),
      ]);
      return methods.map((m) => ({
        method: m,
        code: codes.find((c) => c.contact_method_id === m.id) ?? null,
        lastTest: tests.find((t) => t.contact_method_id === m.id) ?? null,
        lastOutcome: outcomes.find((o) => o.contact_method_id === m.id) ?? null,
      }));
    },
  };
}

export type ContactTests = ReturnType<typeof createContactTests>;
