/**
 * The work on an incident: its timeline (notes, status updates, pins) and its actions and
 * follow-ups (FU-1). Each command is one transaction, like the incident's own commands.
 */
import type { Actor } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { AppError, invalid, notFound } from "../platform/errors.ts";
import {
  activeUser,
  assertNoRedData,
  seesInternal,
  type UserInput,
  viewerOf,
  visibleIncident,
} from "./access.ts";
import { postStatusUpdate } from "./fields.ts";
import type { Context, EventDraft, Incident } from "./model.ts";
import type { IncidentDb, TimelineEvent } from "./store.ts";
import * as store from "./store.ts";
import type { Task } from "./tasks-store.ts";
import * as taskStore from "./tasks-store.ts";

type Command = (
  actor: Actor,
  id: number,
  decide: (i: Incident, tx: IncidentDb) => ReturnType<typeof postStatusUpdate>,
) => Promise<{ incident: Incident; events: TimelineEvent[] }>;

const mergedRefusal = (i: Incident, what: string) =>
  new AppError("invalid-transition", `incident ${i.id} is merged into ${i.mergedInto}; ${what} there`, {
    currentState: i.state,
    allowed: [],
  });

export function createWorkCommands(deps: {
  db: IncidentDb;
  clock: Clock;
  ctx: (actor: Actor) => Context;
  /** The incident service's command pipeline (lock, decide, write, run the rules). */
  command: Command;
  /** Told of every added or changed action and follow-up, in its transaction (tracker issues). */
  followers: { taskChanged(tx: IncidentDb, task: Task, incident: Incident): Promise<void> }[];
}) {
  const { db, clock } = deps;

  /**
   * `alone`: the caller knows no other write must join this one (a request without an
   * Idempotency-Key, whose key would be marked inside the command's transaction): one statement,
   * atomic on its own, instead of BEGIN, lock, insert, insert, COMMIT.
   */
  async function appendOnly(
    actor: Actor,
    id: number,
    draft: EventDraft,
    alone = false,
  ): Promise<TimelineEvent> {
    if (alone) {
      const written = await store.appendIfWritable(db, viewerOf(actor), id, clock.now(), draft);
      if (written) return written;
      // Refused: the command step by step says why (404 or merged), or writes it if the incident
      // changed in between.
    }
    return db.transaction().execute(async (tx) => {
      const i = await visibleIncident(tx, actor, id, true);
      if (i.state === "merged") throw mergedRefusal(i, "write");
      const now = clock.now();
      const [event] = await store.appendEvents(tx, id, actor.id, now, [draft]);
      await store.addParticipants(tx, id, [actor.id], now);
      return event!;
    });
  }

  const work = {
    async timeline(actor: Actor, id: number): Promise<(TimelineEvent & { pinned: boolean })[]> {
      await visibleIncident(db, actor, id, false);
      const events = await store.readTimeline(db, id, await seesInternal(db, actor, id));
      // TL-2: pins are events too; an event is pinned when its last pin/unpin is a pin.
      const pinned = new Set<number>();
      for (const e of events) {
        const target = Number(e.data.eventId);
        if (e.kind === "pinned") pinned.add(target);
        if (e.kind === "unpinned") pinned.delete(target);
      }
      return events.map((e) => ({ ...e, pinned: pinned.has(e.id) }));
    },

    /**
     * A free-text note; internal notes are seen only by participants and admins (DATA-2).
     * `opts.alone`: see `appendOnly` (the notes route, for a request without an Idempotency-Key).
     */
    async addNote(
      actor: Actor,
      id: number,
      body: string,
      internal: boolean,
      opts: { alone?: boolean } = {},
    ): Promise<TimelineEvent> {
      assertNoRedData({ body });
      return appendOnly(actor, id, { kind: "note", body, internal, data: {} }, opts.alone);
    },

    /** COMM-1: a status update states the current customer impact and the actions under way. */
    async addStatusUpdate(
      actor: Actor,
      id: number,
      input: { impact: string; actions: string; nextUpdateAt?: Date },
    ): Promise<TimelineEvent> {
      assertNoRedData({ impact: input.impact, actions: input.actions });
      const r = await deps.command(actor, id, (i) => postStatusUpdate(i, input, deps.ctx(actor)));
      return r.events[0]!;
    },

    /**
     * A message in the incident's own room (the built-in chat): a `chat-message` event, as messages
     * from Slack are, by the person who typed it. `mentions` are usernames typed after `@`: those
     * of active people go to `notify` with the event, in the same transaction; naming someone who
     * cannot see a private incident is refused (DATA-3), so a mention never leaks it.
     */
    async addRoomMessage(
      actor: Actor,
      id: number,
      body: string,
      mentions: string[],
      notify: (tx: IncidentDb, i: Incident, event: TimelineEvent, userIds: number[]) => Promise<void>,
    ): Promise<{ event: TimelineEvent; mentioned: number[] }> {
      assertNoRedData({ text: body });
      return db.transaction().execute(async (tx) => {
        const i = await visibleIncident(tx, actor, id, true);
        if (i.state === "merged") throw mergedRefusal(i, "write");
        const mentioned: number[] = [];
        for (const name of mentions) {
          const u = await store.findActiveUser(tx, name);
          if (!u || u.id === actor.id || mentioned.includes(u.id)) continue;
          if (i.visibility === "private" && u.role !== "admin" && !(await store.isParticipant(tx, id, u.id)))
            throw invalid(
              "text",
              `@${name} cannot see this private incident, so is not told of it; make them a participant first (assign them a role or page them)`,
            );
          mentioned.push(u.id);
        }
        const now = clock.now();
        const [event] = await store.appendEvents(tx, id, actor.id, now, [
          { kind: "chat-message", body, internal: false, data: { source: "room", mentions: mentioned } },
        ]);
        await store.addParticipants(tx, id, [actor.id], now);
        if (mentioned.length) await notify(tx, i, event!, mentioned);
        return { event: event!, mentioned };
      });
    },

    async pin(actor: Actor, id: number, eventId: number, pinned: boolean): Promise<TimelineEvent> {
      const timeline = await work.timeline(actor, id);
      const target = timeline.find((e) => e.id === eventId);
      if (!target) throw notFound(`timeline event on incident ${id}:`, eventId);
      if (target.kind === "pinned" || target.kind === "unpinned") {
        throw invalid("eventId", "pin a message or change, not a pin itself");
      }
      if (target.pinned === pinned) {
        throw new AppError("conflict", `event ${eventId} is already ${pinned ? "pinned" : "not pinned"}`);
      }
      return appendOnly(actor, id, {
        kind: pinned ? "pinned" : "unpinned",
        internal: target.internal,
        data: { eventId },
      });
    },

    // -- actions and follow-ups (FU-1) -------------------------------------------------------

    async tasks(actor: Actor, id: number): Promise<Task[]> {
      await visibleIncident(db, actor, id, false);
      return taskStore.listTasks(db, id);
    },

    async addTask(
      actor: Actor,
      id: number,
      input: { kind: "action" | "follow-up"; title: string; assignee?: UserInput },
    ): Promise<Task> {
      assertNoRedData({ title: input.title });
      return db.transaction().execute(async (tx) => {
        const i = await visibleIncident(tx, actor, id, true);
        if (i.state === "merged") throw mergedRefusal(i, "add it");
        const assignee =
          input.assignee === undefined ? null : await activeUser(tx, input.assignee, "assignee");
        return insertTask(
          tx,
          id,
          { kind: input.kind, title: input.title, assigneeId: assignee?.id ?? null },
          actor.id,
        );
      });
    },

    async updateTask(
      actor: Actor,
      id: number,
      taskId: number,
      changes: { title?: string; assignee?: UserInput | null; state?: Task["state"] },
    ): Promise<Task> {
      assertNoRedData({ title: changes.title });
      return db.transaction().execute(async (tx) => {
        await visibleIncident(tx, actor, id, true);
        const task = await taskStore.lockTask(tx, id, taskId);
        if (!task) throw notFound(`action or follow-up on incident ${id}:`, taskId);
        const assigneeId =
          changes.assignee === undefined
            ? task.assigneeId
            : changes.assignee === null
              ? null
              : (await activeUser(tx, changes.assignee, "assignee")).id;
        const now = clock.now();
        const next: Task = {
          ...task,
          title: changes.title ?? task.title,
          state: changes.state ?? task.state,
          assigneeId,
          updatedAt: now,
        };
        const changed = (["title", "state", "assigneeId"] as const).filter((k) => next[k] !== task[k]);
        if (changed.length === 0)
          throw new AppError("conflict", "nothing to change: the values are the same");
        await taskStore.updateTask(tx, next);
        await store.appendEvents(tx, id, actor.id, now, [
          {
            kind: "action-changed",
            body: next.title,
            data: {
              taskId,
              changed: Object.fromEntries(changed.map((k) => [k, { from: task[k], to: next[k] }])),
            },
          },
        ]);
        await store.addParticipants(tx, id, [actor.id, ...(assigneeId ? [assigneeId] : [])], now);
        await taskChanged(tx, next);
        return next;
      });
    },

    /** A task Firebreak opens for a rule (actor null): same record, same timeline event. */
    insertTask,
  };

  async function insertTask(
    tx: IncidentDb,
    id: number,
    t: { kind: "action" | "follow-up"; title: string; assigneeId: number | null },
    actorId: number | null,
  ): Promise<Task> {
    const now = clock.now();
    const task = await taskStore.insertTask(tx, {
      incidentId: id,
      kind: t.kind,
      title: t.title,
      assigneeId: t.assigneeId,
      state: "open",
      // A rule's task is recorded as created by nobody in particular: Firebreak (the owner sees it).
      createdBy: actorId ?? (await store.getIncident(tx, id))?.ownerId ?? 0,
      createdAt: now,
      updatedAt: now,
    });
    await store.appendEvents(tx, id, actorId, now, [
      {
        kind: "action-added",
        body: t.title,
        data: { taskId: task.id, kind: t.kind, assigneeId: task.assigneeId },
      },
    ]);
    await store.addParticipants(
      tx,
      id,
      [...(actorId ? [actorId] : []), ...(t.assigneeId ? [t.assigneeId] : [])],
      now,
    );
    await taskChanged(tx, task);
    return task;
  }

  async function taskChanged(tx: IncidentDb, task: Task): Promise<void> {
    if (deps.followers.length === 0) return;
    const incident = await store.getIncident(tx, task.incidentId);
    if (incident) for (const f of deps.followers) await f.taskChanged(tx, task, incident);
  }

  return work;
}
