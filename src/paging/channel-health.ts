/**
 * A channel that keeps failing raises one alert: when a contact method's last
 * CHANNEL_FAILURES_TO_ALERT deliveries (pages, test pages) all failed, the admins get one alert
 * about it (deduplicated by the method, however many more fail), resolved by the method's next
 * delivered message. Called by the engine after each delivery attempt; never throws into it.
 */
import type { Logger } from "../platform/logger.ts";
import type { ContactMethod, PagingDb } from "./store.ts";
import * as store from "./store.ts";

/** Failed deliveries in a row that raise the alert. */
export const CHANNEL_FAILURES_TO_ALERT = 3;

export const channelAlertKey = (contactMethodId: number) => `contact-method:${contactMethodId}:failing`;
const failed = (s: string) => s === "failed-retryable" || s === "failed-permanent";

export function createChannelHealth(deps: {
  db: PagingDb;
  log: Logger;
  raise: (dedupKey: string, summary: string, details: Record<string, unknown>) => Promise<void>;
  clear: (dedupKey: string) => Promise<void>;
  /** Whether the alert with this dedup key is open (firing or acknowledged). */
  isOpen: (dedupKey: string) => Promise<boolean>;
  failuresToAlert?: number;
}) {
  const n = deps.failuresToAlert ?? CHANNEL_FAILURES_TO_ALERT;

  async function check(cm: ContactMethod, delivered: boolean, error: string | null) {
    if (delivered) {
      // Raised by a failing streak or by the scheduled self-test: either way this delivery ends it.
      if (await deps.isOpen(channelAlertKey(cm.id))) await deps.clear(channelAlertKey(cm.id));
      return;
    }
    const streak = await store.lastFinishedDeliveries(deps.db, cm.id, n);
    if (streak.length < n || !streak.every(failed)) return;
    const owner = await deps.db
      .selectFrom("users")
      .select("username")
      .where("id", "=", cm.user_id)
      .executeTakeFirst();
    await deps.raise(
      channelAlertKey(cm.id),
      `Contact method "${cm.label}" (${cm.kind}) of ${owner?.username ?? `user ${cm.user_id}`} failed ${n} deliveries in a row${error ? `: ${error}` : ""}`,
      { contactMethodId: cm.id, userId: cm.user_id, kind: cm.kind, failuresInARow: n, lastError: error },
    );
  }

  return {
    /** After a delivery's outcome is written: raise or resolve the method's alert. */
    async afterDelivery(cm: ContactMethod, delivered: boolean, error: string | null): Promise<void> {
      try {
        await check(cm, delivered, error);
      } catch (err) {
        deps.log.warn({ contactMethod: cm.id, err }, "could not raise or resolve a failing channel's alert");
      }
    },
  };
}

export type ChannelHealth = ReturnType<typeof createChannelHealth>;
