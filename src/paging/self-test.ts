/**
 * The scheduled self-test (policy file: `selfTest`): every `every` hours from `at` (UTC), a test page
 * to whoever is on call in each named rotation. Its receipts are read when the test page's deadline
 * has passed (a second job, so no worker waits); a contact method that failed or did not confirm
 * raises the failing-channel alert for the admins (channel-health.ts: the same alert, the same dedup
 * key, resolved by the method's next delivered message), and a person on call with no contact method
 * raises one too. One timer, `self-test:next`, re-armed after each run and on every policy change.
 */
import type { Clock } from "../platform/clock.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import type { SelfTest } from "../policy/model.ts";
import { channelAlertKey } from "./channel-health.ts";
import type { PagingDb } from "./store.ts";
import type { TestPages } from "./test-page.ts";

const NEXT_KEY = "self-test:next";

/** The first run at or after `from`: `at` (UTC) and every `every` hours from it, in the day. */
export function nextSelfTest(cfg: SelfTest, from: Date): Date {
  const hours = Number(cfg.every.slice(0, -1));
  const [h, m] = cfg.at.split(":").map(Number) as [number, number];
  const day = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate());
  const first = day + ((h % hours) * 60 + m) * 60_000; // the day's first slot
  const step = hours * 3600_000;
  const k = Math.max(0, Math.ceil((from.getTime() - first) / step));
  return new Date(first + k * step);
}

export function createSelfTest(deps: {
  db: PagingDb;
  clock: Clock;
  jobs: Jobs;
  log: Logger;
  config: () => SelfTest | undefined;
  onCallIn: (db: PagingDb, rotation: string, at: Date) => Promise<number[]>;
  testPages: Pick<TestPages, "start" | "finish" | "deadlineMs">;
  raise: (dedupKey: string, summary: string, details: Record<string, unknown>) => Promise<void>;
}) {
  const { db, clock, jobs } = deps;

  const username = async (userId: number) =>
    (await db.selectFrom("users").select("username").where("id", "=", userId).executeTakeFirst())?.username ??
    `user ${userId}`;

  /** Arms the next run from the policy now (none when the policy has no selfTest). */
  async function arm(after?: Date) {
    const cfg = deps.config();
    if (!cfg) return jobs.remove(db, NEXT_KEY);
    const from = after ?? clock.now();
    await jobs.add(db, "self-test.run", {}, { runAt: nextSelfTest(cfg, from), key: NEXT_KEY });
  }

  async function run() {
    const cfg = deps.config();
    const now = clock.now();
    if (!cfg) return;
    try {
      for (const rotation of cfg.rotations) {
        for (const userId of await deps.onCallIn(db, rotation, now)) {
          const testPageId = await deps.testPages.start(userId, null);
          await jobs.add(
            db,
            "self-test.verify",
            { testPageId, rotation },
            {
              runAt: new Date(now.getTime() + deps.testPages.deadlineMs),
              key: `self-test:verify:${testPageId}`,
            },
          );
        }
      }
    } finally {
      await arm(new Date(now.getTime() + 60_000)); // the next slot, not this one again
    }
  }

  async function verify(p: Record<string, unknown>) {
    const report = await deps.testPages.finish(Number(p.testPageId));
    const rotation = String(p.rotation);
    const who = await username(report.userId);
    if (report.results.length === 0) {
      await deps.raise(
        `self-test:no-contact-methods:${report.userId}`,
        `Scheduled self-test: ${who}, on call in ${rotation}, has no contact method; pages cannot reach them`,
        { userId: report.userId, rotation, testPageId: report.testPageId },
      );
      return;
    }
    if (report.results.every((r) => r.outcome === "unverified")) {
      await deps.raise(
        `self-test:no-contact-methods:${report.userId}`,
        `Scheduled self-test: ${who}, on call in ${rotation}, has no verified contact method; pages cannot reach them`,
        { userId: report.userId, rotation, testPageId: report.testPageId },
      );
      return;
    }
    for (const r of report.results) {
      // Pages skip an unverified method: the person is reached (or not) through the others.
      if (r.outcome === "delivered" || r.outcome === "unverified") continue;
      await deps.raise(
        channelAlertKey(r.contactMethodId),
        `Scheduled self-test: contact method "${r.label}" (${r.kind}) of ${who}, on call in ${rotation}: ${r.outcome === "failed" ? `failed: ${r.error ?? "no reason given"}` : "no receipt"}`,
        {
          contactMethodId: r.contactMethodId,
          userId: report.userId,
          rotation,
          outcome: r.outcome,
          error: r.error ?? null,
          testPageId: report.testPageId,
        },
      );
    }
  }

  return {
    register() {
      jobs.register("self-test.run", run);
      jobs.register("self-test.verify", verify);
    },
    arm: (after?: Date) =>
      arm(after).catch((err: unknown) => deps.log.warn({ err }, "could not arm the scheduled self-test")),
  };
}
