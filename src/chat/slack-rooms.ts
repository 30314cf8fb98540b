/**
 * Each incident's Slack channel (DEC-2): made, kept current and announced by a durable job.
 *
 * - A declared incident (any path: web, API, CLI, alerts, chat) gets a `slack_rooms` row and a
 *   `slack.room` job in the declaring transaction; every later change to the incident (state,
 *   severity, title, owner, roles, visibility) enqueues the same job again, keyed per incident, so
 *   a burst of changes is one sync.
 * - The job does what is not done yet, step by step, recording each step: create the channel
 *   (private for a private incident; `-2`, `-3`… when the name is taken), invite the participants
 *   found in Slack by email, post the header, pin it, edit it when it no longer says what is true,
 *   announce the incident in the announcement channels. A retry carries on where the last stopped.
 * - Slack failing: the first failure is said on the incident's timeline (once), the job comes back
 *   later (Slack's Retry-After when it gave one, else a growing delay) and, when Slack answers
 *   again, that is said too. The incident itself never waits for Slack.
 * - Reminders (COMM-1) go to the incident channel with the status update button; requests for
 *   another incident manager (PAGE-5) to the policy's incidentManagerChannel.
 */
import { sql } from "kysely";
import type { EventDraft, Incident } from "../incidents/model.ts";
import { announcementChannelsOf, channelNameOf, videoBridgeOf } from "../incidents/places.ts";
import type { Task } from "../incidents/tasks-store.ts";
import type { Clock } from "../platform/clock.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import type { Policy } from "../policy/model.ts";
import type { PolicySource } from "../policy/source.ts";
import { type SlackApi, SlackCallError } from "./slack-api.ts";
import {
  announcementMessage,
  askMessage,
  type Holder,
  headerMessage,
  reminderMessage,
  resolvedMessage,
} from "./slack-messages.ts";
import type { ChatDb } from "./store.ts";
import * as store from "./store.ts";

/** What the rooms need of incidents (wired in app.ts). */
export type RoomIncidents = {
  get(db: ChatDb, id: number): Promise<Incident | undefined>;
  participants(db: ChatDb, id: number): Promise<number[]>;
  /** The incident's actions and follow-ups (FU-1). */
  tasks(db: ChatDb, id: number): Promise<Task[]>;
  /** Writes a `chat-…` event on the incident's timeline. */
  record(
    db: ChatDb,
    id: number,
    e: { kind: `chat-${string}`; body: string; data: Record<string, unknown> },
  ): Promise<void>;
};

export type SlackRoomsDeps = {
  db: ChatDb;
  clock: Clock;
  jobs: Jobs;
  log: Logger;
  /** Undefined: Slack is not configured (no SLACK_BOT_TOKEN) and nothing is done. */
  api: SlackApi | undefined;
  policy: PolicySource;
  publicUrl: string;
  incidents: RoomIncidents;
};

const ROOM_JOB = "slack.room";
const POST_JOB = "slack.post";
/** The first advisory-lock key of a room's sync (the second is the incident id). */
const ROOM_LOCK = 17017;
/** After this many failed syncs in a row the job stops coming back (a later change starts it again). */
const MAX_ATTEMPTS = 20;

/** Seconds to wait before sync attempt `attempt` (1-based) comes back: 30 s doubling, at most an hour. */
export function retryDelaySeconds(attempt: number, retryAfter?: number): number {
  const backoff = Math.min(30 * 2 ** Math.max(0, attempt - 1), 3600);
  return Math.max(backoff, retryAfter ?? 0);
}

/** Errors about one person that should not hold up the others' invitations. */
const personErrors = new Set([
  "already_in_channel",
  "cant_invite_self",
  "user_not_found",
  "user_is_restricted",
  "user_is_ultra_restricted",
  "cant_invite",
  "ura_max_channels",
  "user_is_bot",
]);

/** Incident events that change what the header says. */
const headerKinds = new Set([
  "status-changed",
  "severity-changed",
  "owner-changed",
  "role-changed",
  "fields-changed",
  "visibility-changed",
  "merged",
  "duplicate-merged",
]);

export function createSlackRooms(deps: SlackRoomsDeps) {
  const { db, clock, jobs, log, api } = deps;
  const incidentUrl = (id: number) => `${deps.publicUrl}/incidents/${id}`;
  let trackerTable: boolean | undefined;

  async function enqueueSync(tx: ChatDb, incidentId: number, attempt = 1, runAt?: Date) {
    await jobs.add(
      tx,
      ROOM_JOB,
      { incidentId, attempt },
      { key: `slack-room:${incidentId}`, runAt, maxAttempts: 5 },
    );
  }

  /** The tracker issue recorded for the incident (issue 17's trackers), when that table exists. */
  async function trackerUrl(id: number): Promise<string | null> {
    if (trackerTable === undefined) {
      const r = await sql<{ t: string | null }>`SELECT to_regclass('tracker_issues')::text AS t`.execute(db);
      trackerTable = r.rows[0]?.t != null;
    }
    if (!trackerTable) return null;
    const r = await sql<{ url: string | null }>`
      SELECT url FROM tracker_issues WHERE incident_id = ${id} AND task_id IS NULL AND url IS NOT NULL`.execute(
      db,
    );
    return r.rows[0]?.url ?? null;
  }

  /** The tracker issues of these follow-ups, by task id. */
  async function followUpUrls(taskIds: number[]): Promise<Map<number, string>> {
    if (taskIds.length === 0) return new Map();
    const r = await sql<{ task_id: string; url: string }>`
      SELECT task_id, url FROM tracker_issues WHERE task_id = ANY(${taskIds}::bigint[]) AND url IS NOT NULL`.execute(
      db,
    );
    return new Map(r.rows.map((x) => [Number(x.task_id), x.url]));
  }

  /** Slack accounts of these people: linked ones, else found by email (and kept). */
  async function slackAccounts(userIds: number[]): Promise<Map<number, string>> {
    const known = await store.slackIdsOf(db, userIds);
    if (!api) return known;
    const people = await store.peopleOf(
      db,
      userIds.filter((id) => !known.has(id)),
    );
    for (const p of people) {
      if (!p.active || !p.email) continue;
      try {
        const found = await api.call("users.lookupByEmail", { email: p.email });
        const user = found.user as { id: string; team_id?: string } | undefined;
        if (!user?.id) continue;
        await store.linkByEmail(db, p.id, user.id, user.team_id ?? null);
        known.set(p.id, user.id);
      } catch (err) {
        // Not in the workspace: they are simply not invited. Anything else stops the sync.
        if (!(err instanceof SlackCallError) || err.error !== "users_not_found") throw err;
      }
    }
    return known;
  }

  async function header(policy: Policy, i: Incident, channelAccounts: Map<number, string>) {
    const ownerRole = policy.ownerRole ?? policy.incidentManagerRole;
    const holderIds = [i.ownerId, ...Object.values(i.roles)];
    const people = new Map((await store.peopleOf(db, holderIds)).map((p) => [p.id, p]));
    const accounts = new Map([...(await store.slackIdsOf(db, holderIds)), ...channelAccounts]);
    const holder = (id: number | undefined): Holder | undefined =>
      id === undefined
        ? undefined
        : { name: people.get(id)?.name ?? `user ${id}`, slackId: accounts.get(id) };
    return headerMessage({
      incident: i,
      owner: holder(i.ownerId) ?? { name: `user ${i.ownerId}` },
      ownerRole,
      roles: policy.roles.map((r) => ({ role: r.name, holder: holder(i.roles[r.name]) })),
      incidentUrl: incidentUrl(i.id),
      videoBridge: videoBridgeOf(policy, i),
      trackerUrl: await trackerUrl(i.id),
    });
  }

  /** conversations.create, adding -2, -3… while the name is taken. */
  async function createChannel(slack: SlackApi, policy: Policy, i: Incident) {
    const base = channelNameOf(policy.chat ?? { channelName: "inc-{id}-{slug}" }, i);
    for (let n = 1; n <= 20; n++) {
      const suffix = n === 1 ? "" : `-${n}`;
      const name = `${base.slice(0, 80 - suffix.length).replace(/-+$/, "")}${suffix}`;
      try {
        const r = await slack.call("conversations.create", { name, is_private: i.visibility === "private" });
        const channel = r.channel as { id: string; name: string };
        return { id: channel.id, name: channel.name };
      } catch (err) {
        if (!(err instanceof SlackCallError) || err.error !== "name_taken") throw err;
      }
    }
    throw new SlackCallError("conversations.create", "name_taken (20 names tried)", false);
  }

  /** One sync of one room; throws SlackCallError when Slack failed (progress so far is kept). */
  async function sync(slack: SlackApi, incidentId: number): Promise<void> {
    const policy = deps.policy.current();
    let room = await store.getRoom(db, incidentId);
    const i = await deps.incidents.get(db, incidentId);
    if (!room || !i) return;
    const now = () => clock.now();
    if (!room.channel_id) {
      const c = await createChannel(slack, policy, i);
      await store.updateRoom(db, incidentId, { channel_id: c.id, channel_name: c.name }, now());
      room = { ...room, channel_id: c.id, channel_name: c.name };
    }
    const channel = room.channel_id as string;
    // Invitations: every participant found in Slack, once.
    const participants = await deps.incidents.participants(db, incidentId);
    const accounts = await slackAccounts(participants);
    const invited = new Set(room.invited);
    for (const slackId of new Set(accounts.values())) {
      if (invited.has(slackId)) continue;
      try {
        await slack.call("conversations.invite", { channel, users: slackId });
      } catch (err) {
        if (!(err instanceof SlackCallError) || !personErrors.has(err.error)) throw err;
      }
      invited.add(slackId);
      await store.updateRoom(db, incidentId, { invited: [...invited] }, now());
    }
    // The header: posted once, edited when it no longer says what is true, pinned.
    const h = await header(policy, i, accounts);
    const said = JSON.stringify(h.blocks);
    if (!room.header_ts) {
      const r = await slack.call("chat.postMessage", {
        channel,
        text: h.text,
        blocks: h.blocks,
        unfurl_links: false,
      });
      await store.updateRoom(db, incidentId, { header_ts: String(r.ts), header_text: said }, now());
      room = { ...room, header_ts: String(r.ts), header_text: said };
    } else if (room.header_text !== said) {
      await slack.call("chat.update", { channel, ts: room.header_ts, text: h.text, blocks: h.blocks });
      await store.updateRoom(db, incidentId, { header_text: said }, now());
    }
    if (!room.header_pinned) {
      try {
        await slack.call("pins.add", { channel, timestamp: room.header_ts });
      } catch (err) {
        if (!(err instanceof SlackCallError) || err.error !== "already_pinned") throw err;
      }
      await store.updateRoom(db, incidentId, { header_pinned: true }, now());
    }
    // Announcements (DEC-2, COMM-7): once per channel.
    const announced = new Set(room.announced);
    for (const target of announcementChannelsOf(policy, i.type)) {
      if (announced.has(target)) continue;
      const a = announcementMessage({ incident: i, incidentUrl: incidentUrl(i.id), channelId: channel });
      await slack.call("chat.postMessage", {
        channel: target,
        text: a.text,
        blocks: a.blocks,
        unfurl_links: false,
      });
      announced.add(target);
      await store.updateRoom(db, incidentId, { announced: [...announced] }, now());
    }
  }

  /** Says Slack's failure on the timeline once per outage, and when it answers again. */
  async function noteOutcome(incidentId: number, failure: SlackCallError | null): Promise<void> {
    await db.transaction().execute(async (tx) => {
      const room = await store.getRoom(tx, incidentId, true);
      if (!room) return;
      const now = clock.now();
      if (failure && !room.failing_since) {
        await deps.incidents.record(tx, incidentId, {
          kind: "chat-failed",
          body: `Slack: could not set up or update the incident channel (${failure.method}: ${failure.error}); ${failure.retryable ? "trying again later" : "check the Slack app's token and scopes; trying again later"}`,
          data: { provider: "slack", method: failure.method, error: failure.error },
        });
        await store.updateRoom(tx, incidentId, { failing_since: now, last_error: failure.message }, now);
      } else if (failure) {
        await store.updateRoom(tx, incidentId, { last_error: failure.message }, now);
      } else if (room.failing_since) {
        await deps.incidents.record(tx, incidentId, {
          kind: "chat-recovered",
          body: `Slack answers again: the incident channel${room.channel_name ? ` #${room.channel_name}` : ""} is up to date`,
          data: {
            provider: "slack",
            channel: room.channel_id,
            failingSince: room.failing_since.toISOString(),
          },
        });
        await store.updateRoom(tx, incidentId, { failing_since: null, last_error: null }, now);
      }
    });
  }

  async function roomJob(payload: Record<string, unknown>): Promise<void> {
    const incidentId = Number(payload.incidentId);
    const attempt = Number(payload.attempt ?? 1);
    if (!api || !Number.isSafeInteger(incidentId)) return;
    let failure: SlackCallError | null = null;
    // One sync per room at a time (a change during a sync queues the next one).
    await db.transaction().execute(async (lockTx) => {
      await sql`SELECT pg_advisory_xact_lock(${ROOM_LOCK}, ${incidentId}::int)`.execute(lockTx);
      try {
        await sync(api, incidentId);
      } catch (err) {
        if (!(err instanceof SlackCallError)) throw err;
        failure = err;
      }
    });
    await noteOutcome(incidentId, failure);
    if (failure === null) return;
    const f: SlackCallError = failure;
    log.warn(
      { incident: incidentId, method: f.method, error: f.error, attempt },
      "Slack failed; the incident channel sync will be retried",
    );
    if (attempt >= MAX_ATTEMPTS) return;
    const runAt = new Date(clock.now().getTime() + retryDelaySeconds(attempt, f.retryAfterSeconds) * 1000);
    await enqueueSync(db, incidentId, attempt + 1, runAt);
  }

  async function postJob(payload: Record<string, unknown>): Promise<void> {
    if (!api) return;
    const incidentId = Number(payload.incidentId);
    const i = await deps.incidents.get(db, incidentId);
    if (!i) return;
    const room = await store.getRoom(db, incidentId);
    const policy = deps.policy.current();
    let channel: string | undefined;
    let message: { text: string; blocks: unknown[] };
    if (payload.kind === "resolved") {
      if (!room?.channel_id) return; // no channel (yet): the header says resolved when it comes
      channel = room.channel_id;
      const open = (await deps.incidents.tasks(db, incidentId)).filter(
        (t) => t.kind === "follow-up" && t.state === "open",
      );
      const owners = [...new Set(open.flatMap((t) => (t.assigneeId === null ? [] : [t.assigneeId])))];
      const [accounts, people, urls] = await Promise.all([
        slackAccounts(owners),
        store.peopleOf(db, owners),
        followUpUrls(open.map((t) => t.id)),
      ]);
      message = resolvedMessage({
        incidentId,
        incidentUrl: incidentUrl(incidentId),
        followUps: open.map((t) => {
          const p = people.find((x) => x.id === t.assigneeId);
          const slackId = t.assigneeId === null ? undefined : accounts.get(t.assigneeId);
          return {
            title: t.title,
            url: urls.get(t.id) ?? null,
            ...(p ? { owner: { name: p.name, ...(slackId ? { slackId } : {}) } } : {}),
          };
        }),
      });
    } else if (payload.kind === "reminder") {
      if (!room) return; // no Slack channel for this incident (declared before Slack was set up)
      if (!room.channel_id)
        throw new Error(`incident ${incidentId}'s Slack channel is not made yet; trying again`);
      channel = room.channel_id;
      message = reminderMessage({
        incidentId,
        message: String(payload.message ?? ""),
        statusUpdate: payload.statusUpdate === true,
        incidentUrl: incidentUrl(incidentId),
      });
    } else {
      channel = policy.chat?.incidentManagerChannel;
      if (!channel) return;
      message = askMessage({
        incident: i,
        role: String(payload.role ?? policy.incidentManagerRole),
        incidentUrl: incidentUrl(incidentId),
        channelId: room?.channel_id ?? null,
      });
    }
    try {
      await api.call("chat.postMessage", {
        channel,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
      });
    } catch (err) {
      // Thrown: graphile-worker retries it with its own backoff (a reminder late beats none).
      if (err instanceof SlackCallError && !err.retryable) {
        log.warn({ incident: incidentId, error: err.error }, "Slack refused a reminder; not retried");
        return;
      }
      throw err;
    }
  }

  /** Whether a reminder is the status update one (COMM-1), which gets the button. */
  function isStatusUpdateReminder(policy: Policy, ruleId: unknown): boolean {
    const rule = policy.rules?.find((r) => r.id === ruleId);
    return ruleId === "COMM-1" || rule?.rule === "COMM-1";
  }

  return {
    register(): void {
      jobs.register(ROOM_JOB, roomJob);
      jobs.register(POST_JOB, postJob);
    },

    /** The incident core's hook (beside the process): a new incident gets a room; a change, a sync. */
    async incidentChanged(
      tx: ChatDb,
      change: { incident: Incident; events: EventDraft[]; isNew?: boolean },
    ): Promise<void> {
      if (!api) return;
      const id = change.incident.id;
      if (change.isNew) {
        await store.insertRoom(tx, id, change.incident.visibility === "private", clock.now());
        await enqueueSync(tx, id);
        return;
      }
      if (!change.events.some((e) => headerKinds.has(e.kind))) return;
      if (!(await store.getRoom(tx, id))) return;
      await enqueueSync(tx, id);
      if (change.events.some((e) => e.kind === "status-changed" && e.data.to === "resolved"))
        await jobs.add(tx, POST_JOB, { incidentId: id, kind: "resolved" }, { maxAttempts: 10 });
    },

    /**
     * Others' timeline events: a rule's reminder goes to the incident channel, a PAGE-5 ask to the
     * IM channel, a new tracker issue into the header.
     */
    async recorded(tx: ChatDb, incidentId: number, drafts: EventDraft[]): Promise<void> {
      if (!api) return;
      const policy = deps.policy.current();
      for (const d of drafts) {
        if (d.kind === "rule-reminder") {
          const message = d.body ?? "";
          await jobs.add(
            tx,
            POST_JOB,
            {
              incidentId,
              kind: "reminder",
              message,
              statusUpdate: isStatusUpdateReminder(policy, d.data.rule),
            },
            { maxAttempts: 10 },
          );
        } else if (d.kind === "tracker-issue-created") {
          // The header links the tracker issue: say it once the issue exists.
          if (await store.getRoom(tx, incidentId)) await enqueueSync(tx, incidentId);
        } else if (
          d.kind === "rule-asked" &&
          d.data.role === policy.incidentManagerRole &&
          policy.chat?.incidentManagerChannel
        ) {
          await jobs.add(tx, POST_JOB, { incidentId, kind: "ask", role: d.data.role }, { maxAttempts: 10 });
        }
      }
    },
  };
}

export type SlackRooms = ReturnType<typeof createSlackRooms>;
