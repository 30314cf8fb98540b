/**
 * Notices: messages from the process that ask for no acknowledgement and never escalate — a
 * reminder that a status update is due (COMM-1), a heads-up to leadership (PAGE-6), a hand-over
 * prompt (OWN-8). Each reaches a person through the contact methods their notification rules use,
 * once: a notice has a key built from what it is about, and each delivery an idempotency key.
 */
import type { Kysely } from "kysely";
import type { Clock } from "../platform/clock.ts";
import type { PlatformTables } from "../platform/db.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import { destinationOf } from "./contact-test.ts";
import type { IncidentTimeline, OutgoingNotification, SendResult } from "./engine.ts";
import type { PagingDb } from "./store.ts";
import * as store from "./store.ts";

interface NoticeTables {
  notices: {
    id?: number;
    key: string;
    user_id: number;
    incident_id: number | null;
    subject: string;
    body: string;
    created_at: Date;
  };
  notice_deliveries: {
    id?: number;
    notice_id: number;
    contact_method_id: number | null;
    kind: string;
    status: "pending" | "delivered" | "failed-retryable" | "failed-permanent";
    attempts?: number;
    last_error: string | null;
    sent_at: Date | null;
    created_at: Date;
  };
}
type NoticeDb = Kysely<PlatformTables & NoticeTables>;

export type NoticeInput = {
  /** What it is about (e.g. the rule firing); with the person's id it makes the notice's key. */
  key: string;
  userIds: number[];
  incidentId: number | null;
  subject: string;
  body: string;
  links?: { label: string; url: string }[];
};

/** Per person: how many contact methods the notice went out to (0: it reached only the timeline). */
export type NoticeOutcome = { userId: number; methods: number };

export function createNotices(deps: {
  db: PagingDb;
  clock: Clock;
  jobs: Jobs;
  log: Logger;
  send: (n: OutgoingNotification) => Promise<SendResult>;
  incidentTimeline?: IncidentTimeline;
}) {
  const { clock, jobs, log } = deps;
  const asNotices = (db: PagingDb) => db as unknown as NoticeDb;

  async function send(tx: PagingDb, input: NoticeInput): Promise<NoticeOutcome[]> {
    const db = asNotices(tx);
    const now = clock.now();
    const out: NoticeOutcome[] = [];
    for (const userId of [...new Set(input.userIds)]) {
      const notice = await db
        .insertInto("notices")
        .values({
          key: `${input.key}:u${userId}`,
          user_id: userId,
          incident_id: input.incidentId,
          subject: input.subject,
          body: [input.body, ...(input.links ?? []).map((l) => `${l.label}: ${l.url}`)].join("\n\n"),
          created_at: now,
        })
        .onConflict((oc) => oc.column("key").doNothing())
        .returning("id")
        .executeTakeFirst();
      if (!notice?.id) continue; // sent before: a re-run owes nothing twice
      const methods = await store.ruledContactMethods(tx, userId);
      for (const cm of methods) {
        const d = await db
          .insertInto("notice_deliveries")
          .values({
            notice_id: notice.id,
            contact_method_id: cm.id,
            kind: cm.kind,
            status: "pending",
            last_error: null,
            sent_at: null,
            created_at: now,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        await jobs.add(tx, "notice.send", { deliveryId: d.id }, { maxAttempts: 10, key: `notice:${d.id}` });
      }
      out.push({ userId, methods: methods.length });
    }
    return out;
  }

  async function sendJob(p: Record<string, unknown>) {
    const id = Number(p.deliveryId);
    const prepared = await deps.db.transaction().execute(async (tx) => {
      const db = asNotices(tx);
      const d = await db
        .selectFrom("notice_deliveries")
        .innerJoin("notices", "notices.id", "notice_deliveries.notice_id")
        .select([
          "notice_deliveries.id",
          "notice_deliveries.status",
          "notice_deliveries.contact_method_id",
          "notices.subject",
          "notices.body",
          "notices.incident_id",
        ])
        .where("notice_deliveries.id", "=", id)
        .forUpdate("notice_deliveries")
        .executeTakeFirst();
      if (!d || d.status === "delivered" || d.status === "failed-permanent" || d.contact_method_id === null)
        return null;
      const cm = await store.getContactMethod(tx, d.contact_method_id);
      if (!cm) return null;
      await db
        .updateTable("notice_deliveries")
        .set((eb) => ({ attempts: eb("attempts", "+", 1) }))
        .where("id", "=", id)
        .execute();
      return { d, cm };
    });
    if (!prepared) return;
    const { d, cm } = prepared;
    const to =
      cm.kind === "email"
        ? { kind: "email" as const, address: cm.address }
        : cm.kind === "webhook"
          ? { kind: "webhook" as const, url: cm.address, secret: cm.secret ?? "" }
          : destinationOf(cm);
    let result: SendResult;
    try {
      result = await deps.send({
        idempotencyKey: `notice:${id}`,
        to,
        subject: d.subject,
        text: d.body,
        links: [],
        pages: [],
        type: "notice",
      });
    } catch (err) {
      result = { status: "failed-retryable", reason: (err as Error).message };
    }
    const done = clock.now();
    await deps.db.transaction().execute(async (tx) => {
      await asNotices(tx)
        .updateTable("notice_deliveries")
        .set({
          status: result.status,
          last_error: result.status === "delivered" ? null : result.reason,
          sent_at: result.status === "delivered" ? done : null,
        })
        .where("id", "=", id)
        .execute();
      if (d.incident_id !== null && result.status !== "failed-retryable")
        await deps.incidentTimeline?.(
          tx,
          d.incident_id,
          {
            kind: result.status === "delivered" ? "notice-delivered" : "notice-failed",
            body:
              result.status === "delivered"
                ? `"${d.subject}" reached ${cm.label} (${cm.kind})`
                : `"${d.subject}" could not reach ${cm.label} (${cm.kind}): ${result.reason}`,
            data: { deliveryId: id, userId: cm.user_id, contactMethodId: cm.id, status: result.status },
          },
          null,
          done,
        );
    });
    if (result.status === "failed-retryable") {
      log.warn({ noticeDelivery: id, reason: result.reason }, "notice delivery failed; it will be retried");
      throw new Error(`notice delivery ${id} failed, will retry: ${result.reason}`);
    }
  }

  return {
    register() {
      jobs.register("notice.send", sendJob);
    },
    send,
  };
}

export type Notices = ReturnType<typeof createNotices>;
