/**
 * Status page subscribers: subscribe (email with double opt-in, or a webhook that confirms by
 * calling back), confirm and unsubscribe by link, and the administrators' list. Delivery of
 * published updates is in subscribers-delivery.ts; both send through the notify capability.
 *
 * A subscribe request never tells whether the address is subscribed already: it is answered
 * the same way, and only an address that is not confirmed yet gets (another) confirmation.
 */
import { randomBytes } from "node:crypto";
import type { DeliveryResult, Notification } from "../notify/model.ts";
import { hashToken } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { AppError, invalid, notFound } from "../platform/errors.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import { createOutbound, type Outbound, parseAllowList } from "../platform/outbound.ts";
import { createDelivery } from "./subscribers-delivery.ts";
import { clientNetwork, isLinkToken, parseEmail, parseWebhookUrl, type Target } from "./subscribers-model.ts";
import type { SubscriberDb, SubscriberState } from "./subscribers-store.ts";
import * as store from "./subscribers-store.ts";

const HOUR = 3_600_000;

export type SubscriberDeps = {
  db: SubscriberDb;
  clock: Clock;
  jobs: Jobs;
  log: Logger;
  publicUrl: string;
  /** The notify channels: every email goes through them. */
  send: (n: Notification) => Promise<DeliveryResult>;
  /** The guarded HTTP client webhooks are POSTed through. Default: public internet only. */
  outbound?: Outbound;
  /**
   * OUTBOUND_ALLOWED_HOSTS: internal hosts webhooks may name (a page on an internal network;
   * tests). The same list as `outbound`'s; used to check a URL's form before it is resolved.
   */
  allowedHosts?: readonly string[];
  /** Wall-clock time for webhook signatures: receivers check them against their own clock. */
  now?: () => Date;
  /** Counts deliveries in /metrics (channel `status-email` or `status-webhook`). */
  onDelivery?: (channel: string, status: string) => void;
  /** Subscribe requests per address (or webhook URL) and per client network, per hour. */
  limits?: { perAddressPerHour?: number; perNetworkPerHour?: number };
  /** Whether email can be sent (SMTP_URL is set); without it, email subscriptions are refused. */
  emailEnabled?: boolean;
};

export const defaultLimits = { perAddressPerHour: 5, perNetworkPerHour: 20 };

export function createSubscriberService(deps: SubscriberDeps) {
  const { db, clock } = deps;
  const limits = { ...defaultLimits, ...deps.limits };
  const emailEnabled = deps.emailEnabled ?? true;
  const allowed = parseAllowList(deps.allowedHosts);
  // Host names are resolved at subscribe, and again when each POST connects, so a name that
  // later points inside is caught too.
  const outbound = deps.outbound ?? createOutbound({ allowedHosts: deps.allowedHosts });

  const delivery = createDelivery({ ...deps, outbound });
  delivery.register();

  /** The address asked for, checked for its form (its host is resolved later, after the rate limits). */
  function targetOf(body: { email?: string; webhookUrl?: string }): Target {
    if ((body.email === undefined) === (body.webhookUrl === undefined))
      throw invalid("email", "send either email or webhookUrl (one of them)");
    if (body.email !== undefined) {
      if (!emailEnabled)
        throw new AppError(
          "conflict",
          "this server sends no email (SMTP_URL is not set): subscribe with a webhookUrl instead",
          { field: "email" },
        );
      return { kind: "email", address: parseEmail(body.email) };
    }
    return { kind: "webhook", address: parseWebhookUrl(body.webhookUrl ?? "", allowed).toString() };
  }

  /** Counts one request against a limit; 429 with Retry-After when it is spent. */
  async function take(key: string, limit: number, what: string, now: Date) {
    const wait = await store.takeAttempt(db, hashToken(key), limit, now, HOUR);
    if (wait === null) return;
    throw new AppError(
      "rate-limited",
      `too many subscribe requests ${what} (at most ${limit} an hour); try again in ${Math.ceil(wait / 60)} minutes`,
      { retryAfterSeconds: wait },
    );
  }

  async function pageOr404(slug: string) {
    const page = await store.pageBySlug(db, slug);
    if (!page) throw notFound("status page", slug);
    return page;
  }

  /** The subscription a link token names, valid now and on this page; 404 otherwise. */
  async function byToken(tx: SubscriberDb, slug: string, token: string, purpose: "confirm" | "unsubscribe") {
    const s = isLinkToken(token)
      ? await store.subscriberByToken(tx, hashToken(token), purpose, clock.now())
      : undefined;
    if (!s || s.slug !== slug)
      throw new AppError(
        "not-found",
        purpose === "confirm"
          ? "this confirmation link is not valid: it may have been used already, or have expired (subscribe again for a new one)"
          : "this unsubscribe link is not valid",
      );
    return s;
  }

  const view = (s: Awaited<ReturnType<typeof byToken>>) => ({
    pageName: s.page_name,
    kind: s.kind,
    address: s.address,
    confirmed: s.confirmed_at !== null,
    unsubscribed: s.unsubscribed_at !== null,
  });

  return {
    /**
     * Asks for a subscription. Answered alike whether or not the address is subscribed already;
     * an address not confirmed yet gets a (new) confirmation, a confirmed one gets nothing.
     */
    async subscribe(slug: string, body: { email?: string; webhookUrl?: string }, ip: string) {
      const target = targetOf(body);
      const page = await pageOr404(slug);
      const now = clock.now();
      await take(`network:${clientNetwork(ip)}`, limits.perNetworkPerHour, "from your network", now);
      await take(
        `${target.kind}:${target.address}`,
        limits.perAddressPerHour,
        target.kind === "email" ? "for this address" : "for this URL",
        now,
      );
      await store.forgetAttempts(db, new Date(now.getTime() - HOUR));
      if (target.kind === "webhook") {
        const url = new URL(target.address);
        const problem = await outbound.check(url);
        if (problem) throw invalid("webhookUrl", problem);
      }
      await db.transaction().execute(async (tx) => {
        let s = await store.lockActive(tx, page.id, target.kind, target.address);
        if (s?.confirmed_at) return; // subscribed already: nothing to send, nothing to tell
        let round: number;
        if (s) {
          round = (await store.askAgain(tx, s.id)).confirm_requests;
        } else {
          s = await store.insertSubscriber(
            tx,
            {
              page_id: page.id,
              kind: target.kind,
              address: target.address,
              // The key that signs this webhook's POSTs; it reaches the URL in the confirmation request.
              secret: target.kind === "webhook" ? randomBytes(32).toString("base64url") : null,
              created_ip: ip,
            },
            now,
          );
          if (!s) return; // a concurrent request created it, and asks for the confirmation
          round = s.confirm_requests;
        }
        await delivery.askToConfirm(tx, s.id, round);
      });
      return { kind: target.kind };
    },

    /** What a confirm link is about, without using it (GET shows a button: mail scanners fetch links). */
    async confirmLink(slug: string, token: string) {
      const s = await byToken(db, slug, token, "confirm");
      return view(s);
    },

    /** Confirms a subscription: the link works once, and updates published from now on are sent. */
    async confirm(slug: string, token: string) {
      return db.transaction().execute(async (tx) => {
        const s = await byToken(tx, slug, token, "confirm");
        if (s.unsubscribed_at)
          throw new AppError(
            "not-found",
            "this subscription was cancelled; subscribe again to receive updates",
          );
        await store.setSubscriber(tx, s.id, { confirmed_at: clock.now() });
        await store.deleteTokens(tx, s.id, "confirm");
        deps.log.info({ subscriberId: s.id, kind: s.kind }, "status page subscription confirmed");
        return { ...view(s), confirmed: true };
      });
    },

    async unsubscribeLink(slug: string, token: string) {
      return view(await byToken(db, slug, token, "unsubscribe"));
    },

    /** One-click unsubscribe (RFC 8058): idempotent; nothing more is sent, queued deliveries included. */
    async unsubscribe(slug: string, token: string) {
      return db.transaction().execute(async (tx) => {
        const s = await byToken(tx, slug, token, "unsubscribe");
        if (s.unsubscribed_at) return { ...view(s), already: true };
        await store.setSubscriber(tx, s.id, { unsubscribed_at: clock.now() });
        await store.cancelPending(tx, s.id);
        deps.log.info({ subscriberId: s.id, kind: s.kind }, "status page subscriber unsubscribed");
        return { ...view(s), unsubscribed: true, already: false };
      });
    },

    /** A page's subscribers with counts, for administrators (addresses are personal data). */
    async list(slug: string, opts: { state?: SubscriberState; after?: number; limit?: number }) {
      const page = await pageOr404(slug);
      const limit = opts.limit ?? 100;
      const rows = await store.listSubscribers(db, page.id, { ...opts, after: opts.after ?? 0, limit });
      return {
        counts: await store.countSubscribers(db, page.id),
        subscribers: rows,
        nextAfter: rows.length === limit ? (rows[rows.length - 1]?.id ?? null) : null,
      };
    },

    /** Removes a subscriber and everything kept about them (tokens, deliveries). */
    async remove(slug: string, id: number) {
      const page = await pageOr404(slug);
      if (!(await store.deleteSubscriber(db, page.id, id))) throw notFound("subscriber", id);
      deps.log.info({ subscriberId: id, page: slug }, "status page subscriber removed");
    },

    /** The status service's `published` hook: runs inside the approving transaction. */
    published: delivery.published,
    deliveriesOf: (updateId: number) => store.deliveriesOf(db, updateId),
  };
}

export type SubscriberService = ReturnType<typeof createSubscriberService>;
