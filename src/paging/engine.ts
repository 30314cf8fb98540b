/**
 * The escalation engine: durable timers (jobs) that notify each level, batch messages per contact
 * method, and deliver them exactly once. Every handler is safe to run twice: notifications carry
 * keys, deliveries carry idempotency keys, and timers carry the page's step so a stale one is a no-op.
 */
import { createHash, randomBytes } from "node:crypto";
import { hashToken } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import { destinationOf } from "./contact-test.ts";
import { type EscalationPolicy, escalationTimer, nextLevel, type Page } from "./model.ts";
import type { ContactMethod, PagingDb } from "./store.ts";
import * as store from "./store.ts";

/** What a channel provider is handed (the notify capability's shape). */
export type OutgoingNotification = {
  idempotencyKey: string;
  to:
    | { kind: "email"; address: string }
    | { kind: "webhook"; url: string; secret: string }
    | { kind: "push"; endpoint: string; keys: { p256dh: string; auth: string } }
    | { kind: "chat"; url: string }
    | { kind: "ntfy"; url: string; token: string | null }
    | { kind: "sms" | "voice"; number: string };
  /** The delivery this is, for providers that call back with receipts (Twilio). */
  deliveryId?: number;
  subject: string;
  text: string;
  links: { label: string; url: string }[];
  pages: { id: number; title: string; urgency: "high" | "low"; ackUrl?: string; url?: string }[];
  /** A page, or a notice that asks for no acknowledgement (the process's reminders). */
  type?: "page" | "notice";
};
export type SendResult =
  | { status: "delivered"; providerId?: string }
  | { status: "failed-retryable"; reason: string; retryAfterMs?: number }
  | { status: "failed-permanent"; reason: string };

/** One line of a page's (or notice's) life on its incident's timeline; `actorId` overrides the call's. */
export type TimelineNote = {
  kind: string;
  body: string;
  data: Record<string, unknown>;
  actorId?: number | null;
};
/** A page's life written to its incident's timeline (pages and acks are timeline events). */
export type IncidentTimeline = (
  db: PagingDb,
  incidentId: number,
  event: TimelineNote | TimelineNote[],
  actorId: number | null,
  at: Date,
) => Promise<void>;

/** A page event to record: on the page, and on its incident's timeline when it has one. */
export type PageNote = { kind: string; body: string; data: Record<string, unknown>; actorId: number | null };

export type EngineDeps = {
  db: PagingDb;
  clock: Clock;
  jobs: Jobs;
  log: Logger;
  publicUrl: string;
  send: (n: OutgoingNotification) => Promise<SendResult>;
  /** Who a schedule has on call at an instant (the on-call capability). */
  onCall: (db: PagingDb, scheduleId: number, at: Date) => Promise<number[]>;
  incidentTimeline?: IncidentTimeline;
  /** People paged for an incident become its participants (they see it even when private). */
  incidentParticipants?: (db: PagingDb, incidentId: number, userIds: number[], at: Date) => Promise<void>;
  onDelivery?: (channel: string, status: string) => void;
  /** After a delivery's outcome is written (channel-health.ts: a method that keeps failing alerts). */
  afterDelivery?: (cm: ContactMethod, delivered: boolean, error: string | null) => Promise<void>;
};

/** Several pages for one contact method within this window become one message. */
export const THROTTLE_MS = 60_000;
const ACK_LINK_TTL_MS = 24 * 3600_000;
export const escalationKey = (pageId: number) => `page:${pageId}:escalate`;
export const TEST_PAGE_SUBJECT = "[Firebreak] Test page";
/** A test page's words: it went the way pages go, and nothing needs doing. */
const testPageText = (cm: { kind: string; label: string }, at: Date) =>
  `This is a test page, sent to ${cm.label} (${cm.kind}) at ${at.toISOString()} through the same path as real pages. Nothing needs doing: it is on no incident and already resolved.`;

export function createEngine(deps: EngineDeps) {
  const { db, clock, jobs, log } = deps;

  /** Records page events (one insert each side), and the same on its incident's timeline. */
  async function recordAll(tx: PagingDb, page: Page, notes: PageNote[], at: Date) {
    await store.appendPageEvents(
      tx,
      notes.map((n) => ({ pageId: page.id, kind: n.kind, actorId: n.actorId, at, data: n.data })),
    );
    if (page.incidentId !== null && deps.incidentTimeline) {
      await deps.incidentTimeline(
        tx,
        page.incidentId,
        notes.map((n) => ({
          kind: n.kind,
          body: n.body,
          data: { ...n.data, pageId: page.id },
          actorId: n.actorId,
        })),
        null,
        at,
      );
    }
  }

  /** Records a page event, and the same on its incident's timeline when it has one. */
  async function record(
    tx: PagingDb,
    page: Page,
    kind: string,
    body: string,
    data: Record<string, unknown>,
    actorId: number | null,
    at: Date,
  ) {
    await recordAll(tx, page, [{ kind, body, data, actorId }], at);
  }

  /** Who a level of `policy` notifies at `now`: its users, and who its schedules have on call. */
  async function whoToNotify(tx: PagingDb, policy: EscalationPolicy, levelIndex: number, now: Date) {
    const users = new Set<number>();
    for (const t of policy.levels[levelIndex]?.targets ?? []) {
      if (t.kind === "user") users.add(t.id);
      else for (const u of await deps.onCall(tx, t.id, now)) users.add(u);
    }
    return [...users];
  }

  /** Enqueues the escalation of `page` to its current level now (the page was just changed). */
  async function armNow(tx: PagingDb, page: Page, at: Date) {
    await jobs.add(
      tx,
      "page.escalate",
      { pageId: page.id, step: page.step, level: page.level, round: page.round },
      { runAt: at, key: escalationKey(page.id) },
    );
  }

  /**
   * Notifies the users of the page's current level and arms the timer for the next level. A new
   * page is stored already assigned (`opts.stored`), with its own events recorded beside these
   * (`opts.before`): fewer statements in a storm.
   */
  async function notifyLevel(
    tx: PagingDb,
    page: Page,
    policy: EscalationPolicy,
    now: Date,
    opts: { stored?: boolean; before?: PageNote[] } = {},
  ): Promise<Page> {
    const assigned = opts.stored ? page.assignedTo : await whoToNotify(tx, policy, page.level, now);
    const rules = await store.pagingRules(tx, assigned, page.urgency);
    await store.insertNotifications(
      tx,
      rules.map((r) => ({
        key: `p${page.id}:s${page.step}:l${page.level}:r${page.round}:rule${r.id}`,
        page_id: page.id,
        user_id: r.user_id,
        contact_method_id: r.contact_method_id,
        due_at: new Date(now.getTime() + r.delay_minutes * 60_000),
        created_at: now,
      })),
    );
    const flushes = new Map<string, { cm: number; at: Date }>();
    for (const r of rules) {
      const at = new Date(now.getTime() + r.delay_minutes * 60_000);
      flushes.set(`${r.contact_method_id}:${at.getTime()}`, { cm: r.contact_method_id, at });
    }
    for (const f of flushes.values())
      await jobs.add(tx, "notify.flush", { contactMethodId: f.cm }, { runAt: f.at });

    if (page.incidentId !== null && assigned.length) {
      await deps.incidentParticipants?.(tx, page.incidentId, assigned, now);
    }
    const withoutRules = assigned.filter((u) => !rules.some((r) => r.user_id === u));
    const next = { ...page, assignedTo: assigned, updatedAt: now };
    if (!opts.stored) await store.updatePage(tx, next);
    await recordAll(
      tx,
      next,
      [
        ...(opts.before ?? []),
        {
          kind: "page-escalated",
          body: assigned.length
            ? `paged level ${page.level + 1} of ${policy.name}`
            : `level ${page.level + 1} of ${policy.name} has nobody to notify`,
          data: { level: page.level, round: page.round, users: assigned, withoutRules },
          actorId: null,
        },
      ],
      now,
    );
    const due = escalationTimer(policy, next, now);
    const upcoming = nextLevel(policy, next);
    if (due && upcoming) {
      await jobs.add(
        tx,
        "page.escalate",
        { pageId: page.id, step: page.step, level: upcoming.level, round: upcoming.round },
        { runAt: due, key: escalationKey(page.id) },
      );
    }
    return next;
  }

  async function escalateJob(p: Record<string, unknown>) {
    const now = clock.now();
    await db.transaction().execute(async (tx) => {
      const page = await store.lockPage(tx, Number(p.pageId));
      if (page?.state !== "triggered" || page.step !== Number(p.step)) return; // stale timer
      const policy = await store.getPolicy(tx, page.policyId);
      if (!policy) return;
      await notifyLevel(tx, { ...page, level: Number(p.level), round: Number(p.round) }, policy, now);
    });
  }

  async function ackTimeoutJob(p: Record<string, unknown>) {
    const now = clock.now();
    await db.transaction().execute(async (tx) => {
      const page = await store.lockPage(tx, Number(p.pageId));
      if (page?.state !== "acknowledged" || page.step !== Number(p.step)) return;
      const reopened: Page = { ...page, state: "triggered", step: page.step + 1, updatedAt: now };
      await store.updatePage(tx, reopened);
      await record(
        tx,
        reopened,
        "page-reopened",
        "acknowledged but not resolved in time: escalating again",
        {},
        null,
        now,
      );
      await armNow(tx, reopened, now);
    });
  }

  /** Gathers what is due for one contact method into one message (the throttle), at most once a minute. */
  async function flushJob(p: Record<string, unknown>) {
    const now = clock.now();
    await db.transaction().execute(async (tx) => {
      const cm = await store.lockContactMethod(tx, Number(p.contactMethodId));
      if (!cm) return;
      const last = await store.lastDeliveryAt(tx, cm.id);
      if (last && now.getTime() - last.getTime() < THROTTLE_MS) {
        const at = new Date(last.getTime() + THROTTLE_MS);
        await jobs.add(
          tx,
          "notify.flush",
          { contactMethodId: cm.id },
          { runAt: at, key: `flush:${cm.id}:${at.getTime()}` },
        );
        return;
      }
      const due = await store.dueNotifications(tx, cm.id, now);
      if (due.length === 0) return;
      const key = `d:${createHash("sha256")
        .update(
          due
            .map((n) => n.key)
            .sort()
            .join("|"),
        )
        .digest("hex")
        .slice(0, 40)}`;
      const delivery = await store.insertDelivery(tx, {
        idempotency_key: key,
        contact_method_id: cm.id,
        user_id: cm.user_id,
        page_ids: [...new Set(due.map((n) => n.page_id))],
        created_at: now,
      });
      if (!delivery) return;
      await store.markBatched(
        tx,
        due.map((n) => n.id),
        delivery.id,
      );
      await jobs.add(tx, "delivery.send", { deliveryId: delivery.id }, { maxAttempts: 10 });
    });
  }

  async function sendJob(p: Record<string, unknown>) {
    const now = clock.now();
    const prepared = await db.transaction().execute(async (tx) => {
      const d = await store.lockDelivery(tx, Number(p.deliveryId));
      if (!d || d.status === "delivered" || d.status === "failed-permanent" || d.status === "cancelled")
        return null;
      if (d.test_page_id !== null) {
        // A test page: the same send, with no page to acknowledge; resolved (the deadline passed) says nothing.
        const test = await store.getTestPage(tx, d.test_page_id);
        const cm = test && !test.resolved_at && (await store.getContactMethod(tx, d.contact_method_id));
        if (!test || !cm) {
          await store.updateDelivery(tx, d.id, { status: "cancelled" });
          return null;
        }
        await store.updateDelivery(tx, d.id, {
          status: "sending",
          attempts: d.attempts + 1,
          attempt_started_at: now,
        });
        return { d, cm, pages: [], links: [], test };
      }
      const pages = (await store.getPages(tx, d.page_ids)).filter((pg) => pg.state === "triggered");
      if (pages.length === 0) {
        await store.updateDelivery(tx, d.id, { status: "cancelled" }); // acknowledged meanwhile: say nothing
        return null;
      }
      const cm = await store.getContactMethod(tx, d.contact_method_id);
      if (!cm) return null;
      const links: { pageId: number; url: string }[] = [];
      for (const page of pages) {
        const secret = randomBytes(24).toString("base64url");
        await store.insertAckLink(tx, {
          token_hash: hashToken(secret),
          page_id: page.id,
          user_id: d.user_id,
          expires_at: new Date(now.getTime() + ACK_LINK_TTL_MS),
          created_at: now,
        });
        links.push({ pageId: page.id, url: `${deps.publicUrl}/ack/${secret}` });
      }
      await store.updateDelivery(tx, d.id, {
        status: "sending",
        attempts: d.attempts + 1,
        attempt_started_at: now,
      });
      return { d, cm, pages, links, test: null };
    });
    if (!prepared) return;
    const { d, cm, pages, links, test } = prepared;
    const ackUrl = (id: number) => links.find((l) => l.pageId === id)?.url;
    const subject = test
      ? TEST_PAGE_SUBJECT
      : pages.length === 1
        ? `[Firebreak] Page: ${pages[0]!.title}`
        : `[Firebreak] ${pages.length} pages: ${pages[0]!.title}, …`;
    const text = test
      ? testPageText(cm, test.created_at)
      : pages.map((pg) => `• ${pg.title} (${pg.urgency} urgency) — acknowledge: ${ackUrl(pg.id)}`).join("\n");
    const to =
      cm.kind === "email"
        ? { kind: "email" as const, address: cm.address }
        : cm.kind === "webhook"
          ? { kind: "webhook" as const, url: cm.address, secret: cm.secret ?? "" }
          : destinationOf(cm);
    let result: SendResult;
    try {
      result = await deps.send({
        idempotencyKey: d.idempotency_key,
        deliveryId: d.id,
        to,
        subject,
        text,
        links: links.map((l) => ({ label: `Acknowledge page ${l.pageId}`, url: l.url })),
        pages: pages.map((pg) => ({
          id: pg.id,
          title: pg.title,
          urgency: pg.urgency,
          ackUrl: ackUrl(pg.id),
          url: pg.incidentId ? `${deps.publicUrl}/incidents/${pg.incidentId}` : `${deps.publicUrl}/alerts`,
        })),
      });
    } catch (err) {
      result = { status: "failed-retryable", reason: (err as Error).message };
    }
    const done = clock.now();
    await db.transaction().execute(async (tx) => {
      await store.updateDelivery(tx, d.id, {
        status: result.status,
        last_error: result.status === "delivered" ? null : result.reason,
        sent_at: result.status === "delivered" ? done : null,
      });
      for (const page of pages) {
        const ok = result.status === "delivered";
        await record(
          tx,
          page,
          ok ? "page-notified" : "page-notification-failed",
          ok
            ? `notified by ${cm.kind} (${cm.label})`
            : `${cm.kind} (${cm.label}) failed: ${result.status === "delivered" ? "" : result.reason}`,
          { userId: d.user_id, contactMethodId: cm.id, deliveryId: d.id, status: result.status },
          null,
          done,
        );
      }
    });
    deps.onDelivery?.(cm.kind, result.status);
    await deps.afterDelivery?.(
      cm,
      result.status === "delivered",
      result.status === "delivered" ? null : result.reason,
    );
    if (result.status === "failed-retryable" && !test) {
      log.warn({ deliveryId: d.id, reason: result.reason }, "delivery failed; it will be retried");
      throw new Error(`delivery ${d.id} failed, will retry: ${result.reason}`); // graphile-worker backs off
    }
  }

  return {
    register() {
      jobs.register("page.escalate", escalateJob);
      jobs.register("page.ack-timeout", ackTimeoutJob);
      jobs.register("notify.flush", flushJob);
      jobs.register("delivery.send", sendJob);
    },
    record,
    armNow,
    notifyLevel,
    whoToNotify,
  };
}

export type Engine = ReturnType<typeof createEngine>;
