/**
 * The per-contact-method throttle, pure: one person's phone buzzes at most once per window, and
 * a burst of pages becomes one message listing them all.
 *
 * Leading edge: a contact method that was quiet for a whole window gets its pending pages at
 * once (no added latency for the first page); anything that comes due within `windowMs` of that
 * send waits for the window to end and then goes out as ONE batched notification.
 *
 * The engine keeps pending notifications durably (one job per contact method, keyed by
 * `contactKey`), calls `batchForContact` when the job runs, sends each "send" plan, and
 * re-schedules the job at `until` for each "wait" plan. Pass only pages still unacknowledged:
 * acknowledging removes a page from every pending batch.
 */
import { createHash } from "node:crypto";
import { contactKey, type Link, type Notification, oneLine, type PageRef } from "./model.ts";

export type ThrottleOptions = {
  /** Minimum time between two notifications to one contact method, e.g. 60 000. */
  windowMs: number;
  now: Date;
  /** When anything was last sent to this contact method (by `contactKey`); undefined if never. */
  lastSentAt: (contactKey: string) => Date | undefined;
};

export type ContactPlan =
  /** Send `notification` now; it covers the inputs whose idempotency keys are in `covers`. */
  | { action: "send"; contactKey: string; notification: Notification; covers: string[] }
  /** Nothing may be sent before `until`; keep `pending` and ask again then. */
  | { action: "wait"; contactKey: string; until: Date; pending: Notification[] };

/**
 * Plans the pending notifications: per contact method, one "send" (all of its pending
 * notifications merged) or one "wait". Plans come sorted by contact key.
 */
export function batchForContact(pending: readonly Notification[], opts: ThrottleOptions): ContactPlan[] {
  const groups = new Map<string, Notification[]>();
  for (const n of pending) {
    const key = contactKey(n.to);
    const group = groups.get(key);
    if (group) group.push(n);
    else groups.set(key, [n]);
  }
  return [...groups.keys()].sort().map((key): ContactPlan => {
    const group = groups.get(key) ?? [];
    const last = opts.lastSentAt(key);
    if (last !== undefined && opts.now.getTime() - last.getTime() < opts.windowMs) {
      return {
        action: "wait",
        contactKey: key,
        until: new Date(last.getTime() + opts.windowMs),
        pending: group,
      };
    }
    const covers = [...new Set(group.map((n) => n.idempotencyKey))].sort();
    return { action: "send", contactKey: key, notification: mergeNotifications(group), covers };
  });
}

/**
 * The idempotency key of a batch: a hash of its sorted, de-duplicated input keys, so a retried
 * job that batches the same notifications produces the same key (and no second message).
 */
export function batchKey(keys: readonly string[]): string {
  const canonical = [...new Set(keys)].sort().join("\n");
  return `batch-${createHash("sha256").update(canonical).digest("hex").slice(0, 32)}`;
}

const byUrgencyThenId = (a: PageRef, b: PageRef): number =>
  a.urgency === b.urgency ? a.id - b.id : a.urgency === "high" ? -1 : 1;

/**
 * Several notifications for one contact method as one. A single notification is returned as it
 * is (same key: throttling a lone page changes nothing). Pages are listed once each (a reminder
 * and the first notice of the same page collapse), high urgency first.
 */
export function mergeNotifications(group: readonly Notification[]): Notification {
  // The same notification queued twice (a retried enqueue) counts once.
  const unique = new Map(group.map((n) => [n.idempotencyKey, n]));
  const sorted = [...unique.keys()].sort().map((k) => unique.get(k)!);
  const first = sorted[0];
  if (first === undefined) throw new Error("mergeNotifications needs at least one notification");
  if (sorted.length === 1) return first;
  const key = batchKey([...unique.keys()]);

  const pages = new Map<number, PageRef>();
  for (const n of sorted) for (const p of n.pages) if (!pages.has(p.id)) pages.set(p.id, p);
  const list = [...pages.values()].sort(byUrgencyThenId);
  if (list.length <= 1) return { ...first, idempotencyKey: key };

  const ackUrls = new Set(list.flatMap((p) => (p.ackUrl ? [p.ackUrl] : [])));
  const links: Link[] = list.flatMap((p) =>
    p.ackUrl ? [{ label: `Acknowledge #${p.id}`, url: p.ackUrl }] : [],
  );
  const seen = new Set(ackUrls);
  for (const n of sorted) {
    const about = n.pages.map((p) => `#${p.id}`).join(", ");
    for (const l of n.links) {
      if (seen.has(l.url)) continue;
      seen.add(l.url);
      links.push({ label: about ? `${l.label} (${about})` : l.label, url: l.url });
    }
  }

  const lines = list.map((p) => {
    const head = `[${p.urgency.toUpperCase()}] #${p.id} ${oneLine(p.title)}`;
    return p.ackUrl ? `${head}\nAcknowledge: ${p.ackUrl}` : head;
  });
  return {
    idempotencyKey: key,
    to: first.to,
    subject: oneLine(`${list.length} pages: ${list.map((p) => p.title).join(", ")}`, 150),
    text: `${list.length} pages need you:\n\n${lines.join("\n\n")}`,
    links,
    pages: list,
  };
}
