/**
 * Live incidents for the web app, as server-sent events.
 *
 * A trigger NOTIFYs `firebreak_incidents` with the incident id whenever a timeline event is
 * appended or an incident row changes (migrations/0007), so the notification commits with the
 * change. Each replica holds one LISTEN connection for all its readers; on a notification every
 * open stream of that incident reads again what its reader may see (GET timeline and GET incident,
 * visibility rules included) and sends what the reader does not have yet.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type pg from "pg";
import type { Actor } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { AppError } from "../platform/errors.ts";
import type { Logger } from "../platform/logger.ts";
import type { PolicySource } from "../policy/source.ts";
import { presentEvent, presentIncident, type TrackerIssueView, userIdsOf } from "./schemas.ts";
import type { IncidentService } from "./service.ts";
import type { TimelineEvent } from "./store.ts";

export const INCIDENTS_CHANNEL = "firebreak_incidents";

/** An incident that changed, or null: notifications may have been missed (the listener reconnected). */
type ChangeListener = (incidentId: number | null) => void;

/** The replica's one LISTEN connection. Reconnects after errors, backing off up to 5 seconds. */
export function listenForIncidentChanges(pool: pg.Pool, log: Logger) {
  const listeners = new Set<ChangeListener>();
  let client: pg.PoolClient | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let delayMs = 250;
  const emit = (id: number | null) => {
    for (const l of listeners) l(id);
  };
  const retry = () => {
    client?.release(true);
    client = undefined;
    if (stopped) return;
    timer = setTimeout(connect, delayMs);
    delayMs = Math.min(delayMs * 2, 5_000);
  };
  async function connect() {
    try {
      client = await pool.connect();
      client.on("notification", (n) => {
        const id = Number(n.payload);
        if (Number.isSafeInteger(id)) emit(id);
      });
      client.on("error", (err) => {
        log.warn({ err }, "incident change listener lost its connection; reconnecting");
        retry();
      });
      await client.query(`LISTEN ${INCIDENTS_CHANNEL}`);
      delayMs = 250;
      // Whatever changed while nobody listened: every stream reads again.
      emit(null);
    } catch (err) {
      log.warn({ err }, "incident change listener could not connect; retrying");
      retry();
    }
  }
  return {
    start: connect,
    subscribe(listener: ChangeListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** How many listeners there are (one per open stream). */
    get listeners(): number {
      return listeners.size;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      if (c) {
        await c.query(`UNLISTEN ${INCIDENTS_CHANNEL}`).catch(() => undefined);
        c.release();
      }
    },
  };
}

export type IncidentChanges = ReturnType<typeof listenForIncidentChanges>;

/** A slow reader of live updates is cut off past this much unsent data; it reconnects with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

type EventStream = {
  /** A live update: a reader that has fallen more than MAX_BUFFERED_BYTES behind is cut off. */
  send(event: string, data: unknown, id?: number): void;
  /**
   * Part of the backlog (what the reader asked for on connecting): waits for the reader to take
   * what was written before sending more, so a long timeline reaches a reader who reads it.
   */
  sendPatiently(event: string, data: unknown, id?: number): Promise<void>;
  end(): void;
  readonly ended: boolean;
};

const eventText = (event: string, data: unknown, id?: number) =>
  `event: ${event}\n${id === undefined ? "" : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;

/**
 * Takes the response over from Fastify and keeps it open: no compression, no proxy buffering, no
 * timeout; a comment every `keepAliveMs` keeps proxies from closing an idle stream. A client that
 * left before the stream opened (while its request was authenticated or the incident read) gets an
 * already ended stream: nothing is left behind for it.
 */
function openEventStream(
  req: FastifyRequest,
  reply: FastifyReply,
  opts: { keepAliveMs: number; onTick: () => void; onEnd: () => void },
): EventStream {
  reply.hijack();
  const res = reply.raw;
  let ended = false;
  let ticker: NodeJS.Timeout | undefined;
  // Backlog writes waiting for `drain`: meanwhile the buffered bytes are the backlog's, not a lag.
  let patient = 0;
  const waiting = new Set<() => void>();
  const gone = () => res.destroyed || res.writableEnded || req.raw.socket.destroyed;
  const write = (text: string): boolean => {
    if (ended) return false;
    if (gone()) {
      stream.end();
      return false;
    }
    const more = res.write(text);
    if (patient === 0 && res.writableLength > MAX_BUFFERED_BYTES) {
      stream.end();
      return false;
    }
    return more;
  };
  const stream: EventStream = {
    send(event, data, id) {
      write(eventText(event, data, id));
    },
    async sendPatiently(event, data, id) {
      patient++;
      try {
        if (write(eventText(event, data, id)) || ended) return;
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done);
            res.off("close", done);
            waiting.delete(done);
            resolve();
          };
          res.on("drain", done);
          res.on("close", done);
          waiting.add(done);
        });
      } finally {
        patient--;
      }
      if (gone()) stream.end();
    },
    end() {
      if (ended) return;
      ended = true;
      clearInterval(ticker);
      for (const wake of [...waiting]) wake();
      if (!res.destroyed && !res.writableEnded) res.end();
      opts.onEnd();
    },
    get ended() {
      return ended;
    },
  };
  // `close` may already have come and gone (the client left while we awaited): check as well.
  res.on("close", () => stream.end());
  if (gone()) {
    stream.end();
    return stream;
  }
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
    "x-request-id": req.id,
  });
  req.raw.socket.setTimeout(0);
  req.raw.socket.setNoDelay(true);
  ticker = setInterval(() => {
    if (!write(": keep-alive\n\n") && ended) return;
    opts.onTick();
  }, opts.keepAliveMs);
  // Reconnect after 2 seconds when the connection drops; the first bytes also flush the headers.
  write("retry: 2000\n\n");
  return stream;
}

/**
 * Runs `work` now, or once more after the running one when asked meanwhile: a burst of
 * notifications costs at most two reads, never a queue of them.
 */
function coalesced(work: () => Promise<void>) {
  let running = false;
  let again = false;
  return async function run(): Promise<void> {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await work();
      } while (again);
    } finally {
      running = false;
    }
  };
}

/**
 * The event of a merge that brought each incident's timeline into this one: a duplicate's events
 * became part of the stream at its `duplicate-merged` event (or later, if what it merged into
 * joined later). The incident itself is there from the start.
 */
export function joinedAt(incidentId: number, events: TimelineEvent[]): (member: number) => number {
  const merges = new Map<number, { eventId: number; into: number }>();
  for (const e of events) {
    if (e.kind === "duplicate-merged")
      merges.set(Number(e.data.duplicate), { eventId: e.id, into: e.incidentId });
  }
  const memo = new Map<number, number>([[incidentId, 0]]);
  const resolve = (member: number, depth: number): number => {
    const known = memo.get(member);
    if (known !== undefined) return known;
    const m = merges.get(member);
    // No merge seen (it cannot be told when it joined): treat it as new, so nothing is missed.
    const at = !m || depth > 100 ? Number.POSITIVE_INFINITY : Math.max(m.eventId, resolve(m.into, depth + 1));
    memo.set(member, at);
    return at;
  };
  return (member) => resolve(member, 0);
}

export type LiveDeps = {
  service: IncidentService;
  changes: IncidentChanges;
  /** The request's credential checked again (a signed-out session or revoked token ends the stream). */
  currentActor: (req: FastifyRequest) => Promise<Actor | null>;
  policy: PolicySource;
  clock: Clock;
  log: Logger;
  keepAliveMs?: number;
  /**
   * A reader was let in to follow an incident (the audit log records reads of private ones; the
   * stream's own response never "finishes" for Fastify, so the usual hook would not see it).
   */
  onOpened?: (req: FastifyRequest, incident: { id: number; visibility: string }) => Promise<void>;
  /** Tracker issues of incidents by id (DEC-2), shown in the incident as GET presents it. */
  trackerIssues?: (ids: number[]) => Promise<Map<number, TrackerIssueView>>;
};

export function createLiveIncidents(deps: LiveDeps) {
  const { service } = deps;
  const keepAliveMs = deps.keepAliveMs ?? 20_000;
  const open = new Set<EventStream>();

  /**
   * Opens a stream whose reader is checked again at every keep-alive, and hears of changes through
   * `listen` for as long as it is open (not at all when the client has already left).
   */
  function start(
    req: FastifyRequest,
    reply: FastifyReply,
    listen: (stream: EventStream) => ChangeListener,
  ): EventStream {
    let unsubscribe = () => {};
    // Unset while opening: a stream whose client already left ends before it is known here.
    let opened: EventStream | undefined;
    const stream = openEventStream(req, reply, {
      keepAliveMs,
      onTick: () =>
        void deps
          .currentActor(req)
          .then((actor) => actor ?? opened?.end())
          .catch(() => opened?.end()),
      onEnd: () => {
        if (opened) open.delete(opened);
        unsubscribe();
      },
    });
    if (stream.ended) return stream;
    opened = stream;
    open.add(stream);
    unsubscribe = deps.changes.subscribe(listen(stream));
    return stream;
  }

  const gone = (err: unknown) => err instanceof AppError && err.code === "not-found";

  return {
    /**
     * GET /incidents/:id/stream. `after`: the last event id the reader has (Last-Event-ID); without
     * it the whole visible timeline is sent first. 404 (before the stream starts) when the incident
     * is not visible to the reader.
     */
    async incident(req: FastifyRequest, reply: FastifyReply, actor: Actor, id: number, after = 0) {
      const seen = await service.get(actor, id);
      await deps.onOpened?.(req, seen);
      const sent = new Set<number>();
      let family = new Set<number>([id]);
      let lastIncident = "";
      // The first read sends the backlog, waiting for the reader; later ones are live updates.
      let backlogSent = false;
      const refresh = coalesced(async () => {
        if (stream.ended) return;
        try {
          const reader = await deps.currentActor(req);
          if (!reader) return stream.end();
          const timeline = await service.timeline(reader, id);
          const incident = await service.get(reader, id);
          const joined = joinedAt(id, timeline);
          const fresh = timeline
            .filter((e) => !sent.has(e.id) && (e.id > after || joined(e.incidentId) > after))
            .sort((a, b) => a.id - b.id);
          const people = await service.users(fresh.flatMap((e) => (e.actorId === null ? [] : [e.actorId])));
          for (const e of fresh) {
            if (stream.ended) return;
            if (backlogSent) stream.send("timeline", presentEvent(e, people), e.id);
            else await stream.sendPatiently("timeline", presentEvent(e, people), e.id);
            sent.add(e.id);
          }
          family = new Set([id, ...timeline.map((e) => e.incidentId)]);
          const view = presentIncident(
            incident,
            await service.users(userIdsOf(incident)),
            deps.policy.current(),
            deps.clock.now(),
            (await deps.trackerIssues?.([id]))?.get(id) ?? null,
          );
          const json = JSON.stringify(view);
          if (json !== lastIncident) {
            stream.send("incident", view);
            lastIncident = json;
          }
          backlogSent = true;
        } catch (err) {
          if (!gone(err)) deps.log.warn({ err, incidentId: id }, "incident stream failed; closing it");
          stream.end();
        }
      });
      const stream = start(req, reply, () => (changed) => {
        if (changed === null || family.has(changed)) void refresh();
      });
      await refresh();
      return reply;
    },

    /** GET /incidents/stream: `incident` with `{ id }` whenever an incident the reader can see changes. */
    async list(req: FastifyRequest, reply: FastifyReply) {
      const pending = new Set<number>();
      const flush = coalesced(async () => {
        if (stream.ended || pending.size === 0) return;
        const ids = [...pending];
        pending.clear();
        try {
          const reader = await deps.currentActor(req);
          if (!reader) return stream.end();
          const visible = await service.visibleIds(reader, ids);
          for (const id of ids) if (visible.has(id)) stream.send("incident", { id });
        } catch (err) {
          deps.log.warn({ err }, "incident list stream failed; closing it");
          stream.end();
        }
      });
      const stream = start(req, reply, (self) => (changed) => {
        // Notifications may have been missed: closing makes the browser reconnect and re-read the list.
        if (changed === null) return self.end();
        pending.add(changed);
        void flush();
      });
      return reply;
    },

    /** Ends every open stream (the server is stopping; browsers reconnect to another replica). */
    closeAll(): void {
      for (const s of [...open]) s.end();
    },

    /** How many streams are open on this replica (each holds a change listener and a keep-alive timer). */
    get openStreams(): number {
      return open.size;
    },
  };
}

export type LiveIncidents = ReturnType<typeof createLiveIncidents>;
