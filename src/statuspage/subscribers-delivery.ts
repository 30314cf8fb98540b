/**
 * Sending to status page subscribers, on durable jobs:
 * - `statuspage.confirm`: the double opt-in mail, or the confirmation request POSTed to a webhook;
 * - `statuspage.fanout`: a published update becomes one delivery row per confirmed subscriber
 *   (unique per subscriber and update, so it happens once), in batches;
 * - `statuspage.deliver`: one delivery, sent with the delivery's id as idempotency key; the
 *   outcome is recorded, a retryable failure throws so the worker retries with back-off.
 * Every handler is safe to run twice. Email goes through the notify channels; webhooks carry
 * their own JSON, POSTed and signed with the notify capability's HTTP helper and signature.
 */
import { postJson } from "../notify/http.ts";
import { type DeliveryResult, retryable } from "../notify/model.ts";
import { idempotencyHeader, signatureHeader, signWebhook } from "../notify/webhook.ts";
import { hashToken } from "../platform/auth.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Outbound } from "../platform/outbound.ts";
import type { Affected } from "./store.ts";
import type { SubscriberDeps } from "./subscribers.ts";
import {
  confirmationEmail,
  confirmationPayload,
  newLinkToken,
  type UpdateFacts,
  updateEmail,
  updatePayload,
} from "./subscribers-model.ts";
import type { SubscriberDb } from "./subscribers-store.ts";
import * as store from "./subscribers-store.ts";

export const CONFIRM_JOB = "statuspage.confirm";
export const FANOUT_JOB = "statuspage.fanout";
export const DELIVER_JOB = "statuspage.deliver";
/** Attempts per message; graphile-worker's back-off spreads ten over about three hours. */
export const MAX_ATTEMPTS = 10;
/** Subscribers per fan-out transaction: bounded transactions whatever the audience. */
const FANOUT_BATCH = 500;
const CONFIRM_TTL_MS = 7 * 24 * 3_600_000;
const WEBHOOK_TIMEOUT_MS = 10_000;

type JobDb = Parameters<Jobs["add"]>[0];

export function createDelivery(deps: SubscriberDeps & { outbound: Outbound }) {
  const { db, clock, jobs, log } = deps;
  const wallClock = deps.now ?? (() => new Date());
  const pageUrl = (slug: string) => `${deps.publicUrl}/status/${slug}`;

  /** Inserts an unsubscribe token for the next message; every one stays valid (old mails keep working). */
  async function unsubscribeLink(tx: SubscriberDb, subscriberId: number, slug: string) {
    const token = newLinkToken();
    await store.insertToken(
      tx,
      { token_hash: hashToken(token), subscriber_id: subscriberId, purpose: "unsubscribe", expires_at: null },
      clock.now(),
    );
    return `${pageUrl(slug)}/subscriptions/unsubscribe/${token}`;
  }

  async function postWebhook(
    url: string,
    secret: string,
    payload: (sentAt: Date) => object,
    key: string,
  ): Promise<DeliveryResult> {
    // The host is checked when the POST connects: an internal one is a permanent failure.
    const at = wallClock();
    const body = JSON.stringify(payload(at));
    return postJson({
      outbound: deps.outbound,
      url,
      body,
      timeoutMs: WEBHOOK_TIMEOUT_MS,
      now: wallClock,
      headers: {
        [idempotencyHeader]: key,
        [signatureHeader]: signWebhook(body, secret, at.getTime() / 1000),
      },
    });
  }

  /** Sends by the subscriber's kind; counted in /metrics either way. */
  async function sendTo(
    s: { kind: "email" | "webhook"; address: string; secret: string | null },
    key: string,
    email: {
      subject: string;
      text: string;
      links: { label: string; url: string }[];
      headers: Record<string, string>;
    },
    payload: (sentAt: Date) => object,
  ): Promise<DeliveryResult> {
    let result: DeliveryResult;
    try {
      result =
        s.kind === "email"
          ? await deps.send({
              idempotencyKey: key,
              to: { kind: "email", address: s.address },
              pages: [],
              ...email,
            })
          : await postWebhook(s.address, s.secret ?? "", payload, key);
    } catch (err) {
      result = retryable((err as Error).message);
    }
    deps.onDelivery?.(`status-${s.kind}`, result.status);
    return result;
  }

  async function confirmJob(p: Record<string, unknown>) {
    const id = Number(p.subscriberId);
    const round = Number(p.round);
    const now = clock.now();
    const prepared = await db.transaction().execute(async (tx) => {
      const s = await store.lockSubscriber(tx, id);
      if (!s || s.confirmed_at || s.unsubscribed_at || s.confirm_requests !== round) return null;
      const page = await store.pageById(tx, s.page_id);
      if (!page) return null;
      // A retry makes a new token; the earlier ones stay valid until one is used or they expire.
      const token = newLinkToken();
      const expiresAt = new Date(now.getTime() + CONFIRM_TTL_MS);
      await store.insertToken(
        tx,
        { token_hash: hashToken(token), subscriber_id: s.id, purpose: "confirm", expires_at: expiresAt },
        now,
      );
      const urls = {
        page: pageUrl(page.slug),
        confirm: `${pageUrl(page.slug)}/subscriptions/confirm/${token}`,
        unsubscribe: await unsubscribeLink(tx, s.id, page.slug),
      };
      return { s, facts: { page: { ...page, timeZone: page.time_zone }, urls, expiresAt } };
    });
    if (!prepared) return;
    const { s, facts } = prepared;
    const key = `status-confirm:${s.id}:${round}`;
    const result = await sendTo(s, key, confirmationEmail(facts), (at) =>
      confirmationPayload(facts, s.secret ?? "", key, at),
    );
    if (result.status === "failed-retryable") {
      log.warn({ subscriberId: s.id, reason: result.reason }, "subscription confirmation failed; will retry");
      throw new Error(`confirmation to subscriber ${s.id} failed, will retry: ${result.reason}`);
    }
    if (result.status === "failed-permanent")
      log.warn({ subscriberId: s.id, reason: result.reason }, "subscription confirmation cannot be sent");
  }

  async function fanoutJob(p: Record<string, unknown>) {
    const updateId = Number(p.updateId);
    const after = Number(p.after ?? 0);
    const now = clock.now();
    const count = await db.transaction().execute(async (tx) => {
      const u = await store.publishedUpdate(tx, updateId);
      if (!u?.published_at) return 0;
      // Subscribers confirmed by the time it was published, and still subscribed.
      const batch = await store.confirmedSubscribers(tx, u.page_id, u.published_at, after, FANOUT_BATCH);
      const created = await store.insertDeliveries(
        tx,
        updateId,
        batch.map((b) => b.id),
        now,
      );
      for (const d of created)
        await jobs.add(
          tx,
          DELIVER_JOB,
          { deliveryId: d.id },
          { key: `statuspage:deliver:${d.id}`, maxAttempts: MAX_ATTEMPTS },
        );
      const last = batch[batch.length - 1];
      if (batch.length === FANOUT_BATCH && last)
        await jobs.add(
          tx,
          FANOUT_JOB,
          { updateId, after: last.id },
          { key: `statuspage:fanout:${updateId}:${last.id}` },
        );
      return created.length;
    });
    log.info({ updateId, deliveries: count }, "status update queued for subscribers");
  }

  async function deliverJob(p: Record<string, unknown>) {
    const id = Number(p.deliveryId);
    const prepared = await db.transaction().execute(async (tx) => {
      const d = await store.lockDelivery(tx, id);
      if (!d || d.status === "delivered" || d.status === "failed-permanent" || d.status === "cancelled")
        return null;
      const s = await store.lockSubscriber(tx, d.subscriber_id);
      const u = await store.publishedUpdate(tx, d.update_id);
      if (!s || s.unsubscribed_at || !u?.published_at) {
        await store.setDelivery(tx, id, { status: "cancelled" });
        return null;
      }
      const affected = u.affected as Affected[];
      const names = new Map(
        (
          await store.componentNames(
            tx,
            affected.map((a) => a.componentId),
          )
        ).map((c) => [c.id, c.name]),
      );
      const facts: UpdateFacts = {
        page: { id: u.page_id, slug: u.slug, name: u.page_name, timeZone: u.time_zone },
        incident: {
          id: u.incident_id,
          name: u.incident_name,
          kind: u.kind,
          status: u.incident_status,
          impact: u.impact,
          scheduledFor: u.scheduled_for,
          scheduledUntil: u.scheduled_until,
        },
        update: {
          id: u.id,
          status: u.status,
          body: u.body,
          publishedAt: u.published_at,
          affected: affected.map((a) => ({ ...a, name: names.get(a.componentId) ?? "(removed)" })),
        },
        urls: {
          page: pageUrl(u.slug),
          incident: `${pageUrl(u.slug)}/incidents/${u.incident_id}`,
          unsubscribe: await unsubscribeLink(tx, s.id, u.slug),
        },
      };
      await store.setDelivery(tx, id, { status: "sending", attempts: d.attempts + 1 });
      return { s, facts, attempts: d.attempts + 1 };
    });
    if (!prepared) return;
    const { s, facts, attempts } = prepared;
    const key = `status-delivery:${id}`;
    const result = await sendTo(s, key, updateEmail(facts), (at) => updatePayload(facts, key, at));
    const gaveUp = result.status === "failed-retryable" && attempts >= MAX_ATTEMPTS;
    await store.setDelivery(db, id, {
      status: gaveUp ? "failed-permanent" : result.status,
      last_error:
        result.status === "delivered"
          ? null
          : gaveUp
            ? `gave up after ${attempts} attempts: ${result.reason}`
            : result.reason,
      sent_at: result.status === "delivered" ? clock.now() : null,
    });
    if (result.status === "delivered") return;
    log.warn(
      {
        deliveryId: id,
        subscriberId: s.id,
        kind: s.kind,
        status: result.status,
        reason: result.reason,
        attempts,
      },
      gaveUp || result.status === "failed-permanent"
        ? "status update delivery failed for good"
        : "status update delivery failed; it will be retried",
    );
    if (result.status !== "failed-retryable" || gaveUp) return;
    if (result.retryAfterMs !== undefined) {
      // The receiver said when to come back (Retry-After, capped at an hour): a job for then.
      await jobs.add(
        db,
        DELIVER_JOB,
        { deliveryId: id },
        {
          key: `statuspage:deliver:${id}`,
          runAt: new Date(clock.now().getTime() + Math.max(result.retryAfterMs, 1000)),
          maxAttempts: MAX_ATTEMPTS,
        },
      );
      return;
    }
    throw new Error(`status delivery ${id} failed, will retry: ${result.reason}`); // the worker backs off
  }

  return {
    /** Enqueues the confirmation of a subscription, on the caller's transaction. */
    async askToConfirm(tx: SubscriberDb, subscriberId: number, round: number) {
      await jobs.add(
        tx,
        CONFIRM_JOB,
        { subscriberId, round },
        { key: `statuspage:confirm:${subscriberId}`, maxAttempts: MAX_ATTEMPTS },
      );
    },
    /** The status service's `published` hook: enqueues the fan-out atomically with the publication. */
    async published(tx: JobDb, e: { updateId: number }) {
      await jobs.add(
        tx,
        FANOUT_JOB,
        { updateId: e.updateId, after: 0 },
        { key: `statuspage:fanout:${e.updateId}:0` },
      );
    },
    register() {
      jobs.register(CONFIRM_JOB, confirmJob);
      jobs.register(FANOUT_JOB, fanoutJob);
      jobs.register(DELIVER_JOB, deliverJob);
    },
  };
}
