/**
 * The audit log: records sign-ins (and failed ones), tokens made and revoked, every change an admin
 * makes, and every read of a private incident, with the actor, the time, the client's network and
 * the request id; lists and exports them for admins; forgets entries past the retention.
 *
 * Recording never fails a request: an entry that cannot be written is logged as an error instead
 * (the request's own change is already committed by then).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { createBatcher } from "../platform/batcher.ts";
import type { Clock } from "../platform/clock.ts";
import type { Db } from "../platform/db.ts";
import type { Logger } from "../platform/logger.ts";
import { type AuditAction, actionOfRequest, type NewAuditEntry, targetOf } from "./model.ts";
import * as store from "./store.ts";

export type AuditDeps = { db: Db; clock: Clock; log: Logger; retentionDays: number };

export type AuditFacts = {
  action: AuditAction;
  actorId?: number | null;
  actorName?: string | null;
  target?: string | null;
  detail?: Record<string, unknown>;
};

const DAY_MS = 24 * 60 * 60_000;
/** Private incident reads: the routes that show one incident (its page, timeline, stream, clocks…). */
const incidentRead = /^\/api\/v1\/incidents\/:id(\/(?!stream$)|$)/;

export function createAudit({ db, clock, log, retentionDays }: AuditDeps) {
  // Entries recorded while others are being written go in together: a crowd of admins' changes
  // costs one INSERT and one commit per batch instead of one each. Each still waits for its own.
  const batcher = createBatcher(
    async (entries: NewAuditEntry[]) => {
      await store.insertEntries(db, entries);
      return entries.map(() => undefined);
    },
    { what: "the audit log", maxBatch: 200, maxConcurrent: 2, maxQueued: 10_000 },
  );

  async function write(entry: NewAuditEntry) {
    try {
      await batcher.submit([entry]);
    } catch (err) {
      log.error(
        { err, audit: { action: entry.action, actorId: entry.actorId } },
        "an audit entry could not be written",
      );
    }
  }

  function fromRequest(req: FastifyRequest, status: number | null, facts: AuditFacts): NewAuditEntry {
    return {
      at: clock.now(),
      action: facts.action,
      actorId: facts.actorId ?? req.actor?.id ?? null,
      actorName: facts.actorName ?? req.actor?.username ?? null,
      target: facts.target ?? null,
      method: req.method,
      route: req.routeOptions.url ?? null,
      status,
      network: req.ip,
      requestId: String(req.id),
      detail: facts.detail ?? {},
    };
  }

  async function recordRequest(req: FastifyRequest, reply: FastifyReply) {
    const route = req.routeOptions.url;
    if (!route) return;
    const params = (req.params ?? {}) as Record<string, unknown>;
    const action = actionOfRequest({
      method: req.method,
      route,
      status: reply.statusCode,
      minRole: req.routeOptions.config.minRole,
      actorRole: req.actor?.role,
    });
    if (action) {
      await write(fromRequest(req, reply.statusCode, { action, target: targetOf(route, params) }));
      return;
    }
    if (req.method === "GET" && reply.statusCode === 200 && incidentRead.test(route)) {
      const id = Number(params.id);
      if (Number.isSafeInteger(id) && (await store.isPrivateIncident(db, id).catch(() => false)))
        await write(
          fromRequest(req, reply.statusCode, {
            action: "private-incident-read",
            target: targetOf(route, params),
          }),
        );
    }
  }

  return {
    /** Records something a route knows happened (a sign-in, a failed one). */
    record: (req: FastifyRequest, status: number, facts: AuditFacts) =>
      write(fromRequest(req, status, facts)),

    /**
     * onSend hook for /api/v1: records the requests `actionOfRequest` names and private incident
     * reads before the answer leaves, so whoever has the answer finds the entry.
     */
    async onSend(req: FastifyRequest, reply: FastifyReply, payload: unknown) {
      await recordRequest(req, reply);
      return payload;
    },

    /** A live stream of a private incident opened (a hijacked stream never passes onSend). */
    async streamOpened(req: FastifyRequest, incident: { id: number; visibility: string }) {
      if (incident.visibility !== "private") return;
      await write(
        fromRequest(req, 200, {
          action: "private-incident-read",
          target: `incidents ${incident.id} / stream`,
        }),
      );
    },

    list: (filter: store.AuditFilter) => store.listEntries(db, filter),

    /** Forgets entries older than the retention; how many. */
    expire: (now = clock.now()) => store.expireEntries(db, new Date(now.getTime() - retentionDays * DAY_MS)),

    /** Sweeps once an hour on this replica (each replica may; deleting twice is harmless). */
    startSweeping(): () => void {
      const sweep = () =>
        void this.expire().catch((err: unknown) =>
          log.warn({ err }, "the audit log's retention sweep failed"),
        );
      const timer = setInterval(sweep, 60 * 60_000);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

export type Audit = ReturnType<typeof createAudit>;
