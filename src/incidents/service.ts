/**
 * Incident commands. Each runs in one transaction: lock the incident, apply the pure rule from
 * model.ts, write the new state, append its timeline events, record participants. Either all of
 * it happens or none of it does.
 */

import type { Actor } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { AppError, invalid, notFound } from "../platform/errors.ts";
import type { Metrics } from "../platform/metrics.ts";
import type { Policy } from "../policy/model.ts";
import type { Decision, Incident, State, Visibility } from "./model.ts";
import * as model from "./model.ts";
import { describeRedData, findRedData } from "./reddata.ts";
import type { IncidentDb, IncidentFilter, Task, TimelineEvent } from "./store.ts";
import * as store from "./store.ts";

/** Paging, as the incident core needs it (PAGE-1, SEV-3); wired to the paging capability in app.ts. */
export type Pager = {
  page(
    tx: IncidentDb,
    input: { policyName: string; incident: Incident; actor: Actor; reason: string },
  ): Promise<void>;
  /** Acknowledges the incident's triggered pages (accepting a triage incident means someone is on it). */
  acknowledgeAll?(tx: IncidentDb, incidentId: number, actor: Actor): Promise<void>;
  /** Resolves the incident's open pages (it was declined or resolved: nobody needs paging). */
  resolveAll?(tx: IncidentDb, incidentId: number, actor: Actor): Promise<void>;
};

export type IncidentDeps = { db: IncidentDb; clock: Clock; policy: Policy; metrics?: Metrics; pager?: Pager };
export type UserInput = number | string;

/**
 * Names of people for presenting incidents, remembered for a few seconds: nearly every response
 * names the same handful of people, and a lookup per response is a round trip saved. A renamed
 * person shows their new name within the TTL.
 */
function createUserRefCache(load: (ids: number[]) => Promise<Map<number, store.UserRef>>, ttlMs = 5_000) {
  const cache = new Map<number, { ref: store.UserRef; until: number }>();
  return {
    async get(ids: number[]): Promise<Map<number, store.UserRef>> {
      const now = Date.now();
      const out = new Map<number, store.UserRef>();
      const missing: number[] = [];
      for (const id of new Set(ids)) {
        const hit = cache.get(id);
        if (hit && hit.until > now) out.set(id, hit.ref);
        else missing.push(id);
      }
      if (missing.length) {
        if (cache.size > 10_000) cache.clear();
        for (const [id, ref] of await load(missing)) {
          cache.set(id, { ref, until: now + ttlMs });
          out.set(id, ref);
        }
      }
      return out;
    },
  };
}

/** DATA-1: refuse RED data before anything is written. */
function assertNoRedData(fields: Record<string, string | null | undefined>): void {
  const found = findRedData(fields);
  if (found) {
    throw new AppError("red-data", describeRedData(found), { field: found.field, found: found.kind });
  }
}

function viewerOf(actor: Actor): store.Viewer {
  return { id: actor.id, admin: actor.role === "admin" };
}

/** A decision plus people who take part in the incident because of it. */
type Outcome = Decision & { participants?: number[] };

export function createIncidentService(deps: IncidentDeps) {
  const { db, clock, policy } = deps;
  const userRefs = createUserRefCache((ids) => store.findUsers(db, ids));

  function ctx(actor: Actor): model.Context {
    return { actor, now: clock.now(), policy };
  }

  async function user(tx: IncidentDb, ref: UserInput, field: string): Promise<store.ActiveUser> {
    const u = await store.findActiveUser(tx, ref);
    if (!u) throw invalid(field, `no active user ${JSON.stringify(ref)}; give a username or user id`);
    return u;
  }

  /** Whoever owns an incident must be able to resolve it, so viewers cannot own one. */
  async function ownerCandidate(tx: IncidentDb, ref: UserInput, field: string): Promise<store.ActiveUser> {
    const u = await user(tx, ref, field);
    if (u.role === "viewer") {
      throw invalid(
        field,
        `${u.username} is a viewer and could not run the incident; choose a responder or admin`,
      );
    }
    return u;
  }

  /** DATA-3: a private incident exists only for its participants and admins; others get 404. */
  async function visible(tx: IncidentDb, actor: Actor, id: number, lock: boolean): Promise<Incident> {
    const i = lock ? await store.lockIncident(tx, id) : await store.getIncident(tx, id);
    if (!i) throw notFound("incident", id);
    if (
      i.visibility === "private" &&
      actor.role !== "admin" &&
      !(await store.isParticipant(tx, id, actor.id))
    ) {
      throw notFound("incident", id);
    }
    return i;
  }

  async function seesInternal(tx: IncidentDb, actor: Actor, id: number): Promise<boolean> {
    return actor.role === "admin" || store.isParticipant(tx, id, actor.id);
  }

  /** Runs one command on one incident inside a transaction and records its outcome. */
  async function command(
    actor: Actor,
    id: number,
    decide: (i: Incident, tx: IncidentDb) => Promise<Outcome> | Outcome,
  ): Promise<{ incident: Incident; events: TimelineEvent[] }> {
    return db.transaction().execute(async (tx) => {
      const current = await visible(tx, actor, id, true);
      const d = await decide(current, tx);
      await store.updateIncident(tx, d.incident);
      const now = d.incident.updatedAt;
      const events = await store.appendEvents(tx, id, actor.id, now, d.events);
      await store.addParticipants(tx, id, [actor.id, d.incident.ownerId, ...(d.participants ?? [])], now);
      return { incident: d.incident, events };
    });
  }

  return {
    async declare(
      actor: Actor,
      input: {
        title: string;
        type: string;
        severity: string;
        status: "triage" | "active";
        summary?: string;
        visibility?: Visibility;
        owner?: UserInput;
        blocksDeployments?: boolean;
      },
      /** Another command's transaction (alerts declaring a triage incident); its own otherwise. */
      outer?: IncidentDb,
    ): Promise<Incident> {
      assertNoRedData({ title: input.title, summary: input.summary });
      const type = policy.incidentTypes.find((t) => t.name === input.type);
      if (!type) {
        throw invalid(
          "type",
          `unknown type ${JSON.stringify(input.type)}; expected one of ${policy.incidentTypes.map((t) => t.name).join(", ")}`,
        );
      }
      if (!policy.severities.some((s) => s.id === input.severity)) {
        throw invalid("severity", `expected one of ${policy.severities.map((s) => s.id).join(", ")}`);
      }
      const c = ctx(actor);
      const run = async (tx: IncidentDb) => {
        const owner = input.owner === undefined ? null : await ownerCandidate(tx, input.owner, "owner");
        const since = new Date(c.now.getTime() - policy.recurrence.windowMinutes * 60_000);
        // SEV-4 only looks back when this severity could be raised by a recurrence.
        const recurrent = model.recurrenceUpgrade(policy, input.severity, c.now, [
          { id: 0, severity: policy.recurrence.severities[0] ?? "", closedAt: c.now, visibility: "public" },
        ]);
        const d = model.declare(
          {
            title: input.title,
            type: input.type,
            severity: input.severity,
            status: input.status,
            summary: input.summary ?? "",
            // DEC-5: security types are private unless the declarer says otherwise.
            visibility: input.visibility ?? (type.security ? "private" : "public"),
            ownerId: owner?.id ?? actor.id,
            blocksDeployments: input.blocksDeployments ?? false,
          },
          c,
          recurrent ? await store.closedSince(tx, since) : [],
        );
        const incident = await store.insertIncident(tx, d.incident);
        await store.appendEvents(tx, incident.id, actor.id, c.now, d.events);
        await store.addParticipants(tx, incident.id, [actor.id, incident.ownerId], c.now);
        // PAGE-1: serious incidents page the incident manager, in the same transaction.
        const paging = policy.paging;
        if (paging && policy.severities.find((s) => s.id === incident.severity)?.pagesIncidentManager) {
          await deps.pager?.page(tx, {
            policyName: paging.incidentManagerPolicy,
            incident,
            actor,
            reason: "declared",
          });
        }
        deps.metrics?.incidentsDeclared.labels(incident.severity).inc();
        return incident;
      };
      return outer ? run(outer) : db.transaction().execute(run);
    },

    async get(actor: Actor, id: number): Promise<Incident> {
      return visible(db, actor, id, false);
    },

    async list(actor: Actor, filter: IncidentFilter): Promise<Incident[]> {
      return store.listIncidents(db, viewerOf(actor), filter);
    },

    async participants(actor: Actor, id: number): Promise<number[]> {
      await visible(db, actor, id, false);
      return store.listParticipants(db, id);
    },

    transition(actor: Actor, id: number, input: { to: State; severity?: string; reason?: string }) {
      assertNoRedData({ reason: input.reason });
      if (input.severity && !policy.severities.some((s) => s.id === input.severity)) {
        throw invalid("severity", `expected one of ${policy.severities.map((s) => s.id).join(", ")}`);
      }
      return command(actor, id, async (i, tx) => {
        const d = model.transition(i, input, ctx(actor));
        // A triage incident opened by alerts is owned by their automation actor until a person
        // accepts it; the person who accepts it owns it (OWN-1: one owner, a person).
        const accepting = i.state === "triage" && input.to === "investigating" && i.ownerId !== actor.id;
        if (accepting && (await store.isAutomationUser(tx, i.ownerId))) {
          d.incident = { ...d.incident, ownerId: actor.id };
          d.events.push({
            kind: "owner-changed",
            body: "accepted the triage incident opened by alerts",
            data: { from: i.ownerId, to: actor.id },
          });
        }
        if (i.state === "triage" && input.to === "investigating")
          await deps.pager?.acknowledgeAll?.(tx, i.id, actor);
        if (input.to === "declined" || input.to === "resolved")
          await deps.pager?.resolveAll?.(tx, i.id, actor);
        return d;
      });
    },

    changeSeverity(actor: Actor, id: number, severity: string, reason: string) {
      assertNoRedData({ reason });
      if (!policy.severities.some((s) => s.id === severity)) {
        throw invalid("severity", `expected one of ${policy.severities.map((s) => s.id).join(", ")}`);
      }
      return command(actor, id, async (i, tx) => {
        const d = model.changeSeverity(i, severity, reason, ctx(actor));
        // SEV-3: raising severity pages the EOC, the IM and the CMOC.
        if (d.events[0]?.data.raised && policy.paging) {
          for (const policyName of policy.paging.severityRaisedPolicies) {
            await deps.pager?.page(tx, {
              policyName,
              incident: d.incident,
              actor,
              reason: `raised to ${severity}`,
            });
          }
        }
        return d;
      });
    },

    async changeOwner(actor: Actor, id: number, owner: UserInput, reason: string) {
      assertNoRedData({ reason });
      return command(actor, id, async (i, tx) => {
        const u = await ownerCandidate(tx, owner, "owner");
        return model.changeOwner(i, u.id, reason, ctx(actor));
      });
    },

    escalateToIncidentManager(actor: Actor, id: number, reason: string) {
      assertNoRedData({ reason });
      return command(actor, id, (i) => model.escalateToIncidentManager(i, reason, ctx(actor)));
    },

    assignRole(actor: Actor, id: number, role: string, holder: UserInput | null) {
      return command(actor, id, async (i, tx) => {
        const pick = role === policy.ownerRole ? ownerCandidate : user;
        const holderId = holder === null ? null : (await pick(tx, holder, "user")).id;
        // The new holder takes part in the incident from now on (sees it even if private).
        return {
          ...model.assignRole(i, role, holderId, ctx(actor)),
          participants: holderId ? [holderId] : [],
        };
      });
    },

    editFields(actor: Actor, id: number, changes: model.FieldChanges) {
      assertNoRedData({ title: changes.title, summary: changes.summary });
      return command(actor, id, (i) => model.editFields(i, changes, ctx(actor)));
    },

    recordImpact(actor: Actor, id: number, edge: "started" | "ended", at?: Date) {
      const c = ctx(actor);
      return command(actor, id, (i) => model.recordImpact(i, edge, at ?? c.now, c));
    },

    async merge(actor: Actor, id: number, into: number, reason: string) {
      assertNoRedData({ reason });
      const c = ctx(actor);
      return db.transaction().execute(async (tx) => {
        // Lock in id order so two merges touching the same pair cannot deadlock.
        const [first, second] = id < into ? [id, into] : [into, id];
        const a = await visible(tx, actor, first, true);
        const b = await visible(tx, actor, second, true);
        const duplicate = a.id === id ? a : b;
        const primary = a.id === id ? b : a;
        const d = model.merge(duplicate, primary, reason, c);
        await store.updateIncident(tx, d.duplicate.incident);
        await store.updateIncident(tx, d.primary.incident);
        await store.appendEvents(tx, duplicate.id, actor.id, c.now, d.duplicate.events);
        await store.appendEvents(tx, primary.id, actor.id, c.now, d.primary.events);
        await store.moveTasks(tx, duplicate.id, primary.id);
        // The duplicate's participants keep sight of the work they were part of.
        const people = await store.listParticipants(tx, duplicate.id);
        await store.addParticipants(tx, primary.id, [actor.id, ...people], c.now);
        return { duplicate: d.duplicate.incident, primary: d.primary.incident };
      });
    },

    async addParticipant(actor: Actor, id: number, who: UserInput) {
      return db.transaction().execute(async (tx) => {
        const i = await visible(tx, actor, id, true);
        const u = await user(tx, who, "user");
        const now = clock.now();
        // Sharing an incident is a change people must be able to audit (TL-1, DATA-3).
        await store.appendEvents(tx, i.id, actor.id, now, [
          { kind: "participant-added", body: u.username, data: { userId: u.id } },
        ]);
        await store.addParticipants(tx, i.id, [actor.id, u.id], now);
        return u;
      });
    },

    // -- timeline ---------------------------------------------------------------------------

    async timeline(actor: Actor, id: number): Promise<(TimelineEvent & { pinned: boolean })[]> {
      await visible(db, actor, id, false);
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

    /** A free-text note; internal notes are seen only by participants and admins (DATA-2). */
    async addNote(actor: Actor, id: number, body: string, internal: boolean): Promise<TimelineEvent> {
      assertNoRedData({ body });
      return appendOnly(actor, id, { kind: "note", body, internal, data: {} });
    },

    /** COMM-1: a status update states the current customer impact and the actions under way. */
    async addStatusUpdate(
      actor: Actor,
      id: number,
      input: { impact: string; actions: string; nextUpdateAt?: Date },
    ): Promise<TimelineEvent> {
      assertNoRedData({ impact: input.impact, actions: input.actions });
      const r = await command(actor, id, (i) => model.postStatusUpdate(i, input, ctx(actor)));
      return r.events[0]!;
    },

    async pin(actor: Actor, id: number, eventId: number, pinned: boolean): Promise<TimelineEvent> {
      const timeline = await this.timeline(actor, id);
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
      await visible(db, actor, id, false);
      return store.listTasks(db, id);
    },

    async addTask(
      actor: Actor,
      id: number,
      input: { kind: "action" | "follow-up"; title: string; assignee?: UserInput },
    ): Promise<Task> {
      assertNoRedData({ title: input.title });
      return db.transaction().execute(async (tx) => {
        const i = await visible(tx, actor, id, true);
        if (i.state === "merged") {
          throw new AppError(
            "invalid-transition",
            `incident ${id} is merged into ${i.mergedInto}; add it there`,
            {
              currentState: i.state,
              allowed: [],
            },
          );
        }
        const assignee = input.assignee === undefined ? null : await user(tx, input.assignee, "assignee");
        const now = clock.now();
        const task = await store.insertTask(tx, {
          incidentId: id,
          kind: input.kind,
          title: input.title,
          assigneeId: assignee?.id ?? null,
          state: "open",
          createdBy: actor.id,
          createdAt: now,
          updatedAt: now,
        });
        await store.appendEvents(tx, id, actor.id, now, [
          {
            kind: "action-added",
            body: input.title,
            data: { taskId: task.id, kind: input.kind, assigneeId: task.assigneeId },
          },
        ]);
        await store.addParticipants(tx, id, [actor.id, ...(assignee ? [assignee.id] : [])], now);
        return task;
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
        await visible(tx, actor, id, true);
        const task = await store.lockTask(tx, id, taskId);
        if (!task) throw notFound(`action or follow-up on incident ${id}:`, taskId);
        const assigneeId =
          changes.assignee === undefined
            ? task.assigneeId
            : changes.assignee === null
              ? null
              : (await user(tx, changes.assignee, "assignee")).id;
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
        await store.updateTask(tx, next);
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
        return next;
      });
    },

    /** Another capability's event on an incident's timeline (e.g. a page and its acknowledgement). */
    async recordEvent(
      tx: IncidentDb,
      incidentId: number,
      e: {
        kind: `page-${string}` | `alert-${string}` | `status-page-${string}`;
        body: string;
        data: Record<string, unknown>;
      },
      actorId: number | null,
      at: Date,
    ): Promise<void> {
      await store.appendEvents(tx, incidentId, actorId, at, [e]);
    },

    /** DATA-3: the subset of these incidents the actor may see. */
    async visibleIds(actor: Actor, ids: number[]): Promise<Set<number>> {
      return store.visibleIncidentIds(db, viewerOf(actor), ids);
    },

    /** People paged for an incident take part in it (they must see it, even when private). */
    addParticipants: (tx: IncidentDb, incidentId: number, userIds: number[], at: Date) =>
      store.addParticipants(tx, incidentId, userIds, at),

    /** The people an incident refers to, for presenting it. */
    users: (ids: number[]) => userRefs.get(ids),

    // -- deploy gate (LC-4) ------------------------------------------------------------------

    /**
     * Pipelines ask before deploying. Every blocking incident counts, private ones too (a gate that
     * let a deploy through because the caller cannot see the incident would be unsafe), but a
     * private incident the caller cannot see is listed without its title.
     */
    async deployGate(actor: Actor, kind: "deployments" | "feature-flags") {
      const blockers = await store.deployBlockers(db, `blocks ${kind}`);
      const listed = await Promise.all(
        blockers.map(async (i) => {
          const seen =
            i.visibility === "public" ||
            actor.role === "admin" ||
            (await store.isParticipant(db, i.id, actor.id));
          return seen
            ? {
                id: i.id,
                title: i.title,
                severity: i.severity,
                state: i.state,
                private: i.visibility === "private",
              }
            : { id: null, title: null, severity: i.severity, state: i.state, private: true };
        }),
      );
      return { blocked: listed.length > 0, kind, incidents: listed };
    },
  };

  async function appendOnly(actor: Actor, id: number, draft: model.EventDraft): Promise<TimelineEvent> {
    return db.transaction().execute(async (tx) => {
      const i = await visible(tx, actor, id, true);
      if (i.state === "merged") {
        throw new AppError(
          "invalid-transition",
          `incident ${id} is merged into ${i.mergedInto}; write there`,
          {
            currentState: i.state,
            allowed: [],
          },
        );
      }
      const now = clock.now();
      const [event] = await store.appendEvents(tx, id, actor.id, now, [draft]);
      await store.addParticipants(tx, id, [actor.id], now);
      return event!;
    });
  }
}

export type IncidentService = ReturnType<typeof createIncidentService>;
