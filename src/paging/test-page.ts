/**
 * "Send me a test page": proves the whole paging path for one person. Unlike a contact method's
 * test notification (contact-test.ts, one channel called directly), a test page goes the way a real
 * page goes — a delivery row per contact method and the engine's `delivery.send` job, which a worker
 * on any replica picks up — but it names a test page instead of pages: it is on no incident and no
 * escalation policy, it has nothing to acknowledge, each delivery is tried once, and it is resolved
 * as soon as every method has answered or the deadline has passed. A method that has not answered
 * by then is reported `no receipt`: a page sent then would not have been confirmed either.
 */
import { type Actor, hasRole } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { forbidden, notFound } from "../platform/errors.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { ContactMethod, Delivery, PagingDb } from "./store.ts";
import * as store from "./store.ts";

/** How long a test page waits for each channel's receipt (a channel gives up on its own after 10 s). */
export const TEST_PAGE_DEADLINE_MS = 20_000;
const POLL_MS = 100;

/** `unverified`: the method waits for its verification code, so pages (and this test) skip it. */
export type TestPageOutcome = "delivered" | "failed" | "no receipt" | "unverified";
export type TestPageResult = {
  contactMethodId: number;
  kind: ContactMethod["kind"];
  label: string;
  outcome: TestPageOutcome;
  error?: string;
};
export type TestPageReport = { testPageId: number; userId: number; results: TestPageResult[] };

const finished = (d: Delivery) => d.status !== "pending" && d.status !== "sending";

export function outcomeOf(d: Delivery | undefined): Pick<TestPageResult, "outcome" | "error"> {
  if (!d || !finished(d) || d.status === "cancelled") return { outcome: "no receipt" };
  if (d.status === "delivered") return { outcome: "delivered" };
  return { outcome: "failed", error: d.last_error ?? d.status };
}

export function createTestPages(deps: {
  db: PagingDb;
  clock: Clock;
  jobs: Jobs;
  /** How long to wait for receipts (tests shorten it); default TEST_PAGE_DEADLINE_MS. */
  deadlineMs?: number;
}) {
  const { db, clock, jobs } = deps;
  const deadlineMs = deps.deadlineMs ?? TEST_PAGE_DEADLINE_MS;

  /** Sends a test page to every contact method of `userId`; its id (the receipts come later). */
  async function start(userId: number, requestedBy: number | null): Promise<number> {
    return db.transaction().execute(async (tx) => {
      const user = await tx
        .selectFrom("users")
        .select("id")
        .where("id", "=", userId)
        .where("deactivated_at", "is", null)
        .executeTakeFirst();
      if (!user) throw notFound("user", userId);
      const methods = await store.listContactMethods(tx, userId);
      const test = await store.insertTestPage(tx, {
        user_id: userId,
        requested_by: requestedBy,
        created_at: clock.now(),
      });
      const deliveries = await store.insertTestDeliveries(
        tx,
        test,
        methods.filter((m) => m.verified_at !== null),
      );
      // Tried once: a test's outcome is its first attempt, not a retry minutes later.
      for (const d of deliveries)
        await jobs.add(tx, "delivery.send", { deliveryId: d.id }, { maxAttempts: 1 });
      return test.id;
    });
  }

  /** Resolves the test page (a delivery not sent yet is then cancelled) and reports each method. */
  async function finish(testPageId: number): Promise<TestPageReport> {
    const test = await store.getTestPage(db, testPageId);
    if (!test) throw notFound("test page", testPageId);
    await store.resolveTestPage(db, testPageId, clock.now());
    const [methods, deliveries] = await Promise.all([
      store.listContactMethods(db, test.user_id),
      store.testPageDeliveries(db, testPageId),
    ]);
    return {
      testPageId,
      userId: test.user_id,
      // The methods the test page was sent to (one added since has no delivery of it), and those
      // it skipped because they wait for their verification code.
      results: methods.flatMap((m) => {
        const d = deliveries.find((x) => x.contact_method_id === m.id);
        if (!d && m.verified_at === null && m.created_at <= test.created_at)
          return [{ contactMethodId: m.id, kind: m.kind, label: m.label, outcome: "unverified" as const }];
        if (!d) return [];
        const o = outcomeOf(d);
        return [
          {
            contactMethodId: m.id,
            kind: m.kind,
            label: m.label,
            outcome: o.outcome,
            ...(o.error ? { error: o.error } : {}),
          },
        ];
      }),
    };
  }

  /** Sends a test page to every contact method of `userId` and waits for their receipts. */
  async function send(userId: number, requestedBy: number | null): Promise<TestPageReport> {
    const id = await start(userId, requestedBy);
    const until = Date.now() + deadlineMs;
    let deliveries = await store.testPageDeliveries(db, id);
    while (deliveries.some((d) => !finished(d)) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      deliveries = await store.testPageDeliveries(db, id);
    }
    return finish(id); // auto-resolved: a delivery not yet sent is cancelled by the engine when its job runs
  }

  return {
    deadlineMs,
    start,
    finish,
    send,
    /** Yourself; an admin for anyone. */
    async sendTestPage(actor: Actor, userId: number): Promise<TestPageReport> {
      if (actor.id !== userId && !hasRole(actor, "admin"))
        throw forbidden("only an admin can send a test page to someone else");
      return send(userId, actor.id);
    },
  };
}

export type TestPages = ReturnType<typeof createTestPages>;
