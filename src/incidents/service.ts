/**
 * Incident commands. Each runs in one transaction: lock the incident, apply the pure rule from
 * model.ts (people.ts, fields.ts), write the new state, append its timeline events, record
 * participants, then let the policy's rules react (pages, reminders, clocks) in the same
 * transaction. Either all of it happens or none of it does.
 */

import type { Actor } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { AppError, invalid, notFound } from "../platform/errors.ts";
import type { Metrics } from "../platform/metrics.ts";
import { type Policy, severitiesOf } from "../policy/model.ts";
import { newRun, type RunContext } from "../policy/ports.ts";
import type { PolicySource } from "../policy/source.ts";
import { reviewGate } from "../reviews/store.ts";
import {
  activeUser,
  assertNoRedData,
  createUserRefCache,
  ownerCandidate,
  type UserInput,
  viewerOf,
  visibleIncident,
} from "./access.ts";
import * as fields from "./fields.ts";
import type { Decision, EventDraft, ImpactLevel, Incident, State, Visibility } from "./model.ts";
import * as model from "./model.ts";
import * as people from "./people.ts";
import type { IncidentDb, IncidentFilter, TimelineEvent } from "./store.ts";
import * as store from "./store.ts";
import type { Task } from "./tasks-store.ts";
import * as taskStore from "./tasks-store.ts";
import { createWorkCommands } from "./work.ts";

/** What other capabilities write on an incident's timeline (pages, alerts, the status page, notices). */
type RecordedEvent = {
  kind: `page-${string}` | `alert-${string}` | `status-page-${string}` | `notice-${string}`;
  body: string;
  data: Record<string, unknown>;
  actorId?: number | null;
};

export type { UserInput } from "./access.ts";

/** Paging, as the incident core needs it; wired to the paging capability in app.ts. */
export type Pager = {
  /** Pages the escalation policy of an incident role (OWN-1: escalating with no IM). */
  pageRole(
    tx: IncidentDb,
    input: {
      policyName: string;
      title: string;
      urgency: "high" | "low";
      incidentId: number;
      actorId: number | null;
      engage: { role: string; own?: boolean } | null;
      rule: string;
    },
  ): Promise<"paged" | "already-paged" | "no-policy">;
  urgencyFor(severity: string): "high" | "low";
  /** Acknowledges the incident's triggered pages (accepting a triage incident means someone is on it). */
  acknowledgeAll?(tx: IncidentDb, incidentId: number, actor: Actor): Promise<void>;
  /** Resolves the incident's open pages (it was declined or resolved: nobody needs paging). */
  resolveAll?(tx: IncidentDb, incidentId: number, actor: Actor): Promise<void>;
};

/** The process (policy/process.ts), as the incident core calls it after every change. */
export type ProcessHooks = {
  incidentChanged(
    tx: IncidentDb,
    change: { incident: Incident; events: EventDraft[]; run: RunContext; isNew?: boolean },
  ): Promise<void>;
  /** Whether any rule reacts to this kind of event (so others' events cost nothing otherwise). */
  reactsTo(kind: string): boolean;
};

/**
 * Places outside Firebreak that follow incidents (tracker issues), told of every change to an
 * incident and its follow-ups inside the change's transaction, so they enqueue their work with it.
 */
export type IncidentFollower = {
  incidentChanged(tx: IncidentDb, incident: Incident): Promise<void>;
  taskChanged(tx: IncidentDb, task: Task, incident: Incident): Promise<void>;
};

export type IncidentDeps = {
  db: IncidentDb;
  clock: Clock;
  policy: PolicySource;
  metrics?: Metrics;
  pager?: Pager;
  process?: ProcessHooks;
  followers?: IncidentFollower[];
};

/** A decision plus people who take part in the incident because of it. */
type Outcome = Decision & { participants?: number[] };

/** Firebreak acting for a rule: no person, every permission a rule's change needs. */
const systemActor = { id: 0, role: "admin" as const };

/** People a change brings into the incident: new role holders and owners see it from then on. */
function peopleIn(events: EventDraft[]): number[] {
  return events.flatMap((e) =>
    (e.kind === "role-changed" || e.kind === "owner-changed") && typeof e.data.to === "number"
      ? [e.data.to]
      : [],
  );
}

export function createIncidentService(deps: IncidentDeps) {
  const { db, clock } = deps;
  const userRefs = createUserRefCache((ids) => store.findUsers(db, ids));
  const policyNow = (): Policy => deps.policy.current();

  function ctx(actor: Actor | typeof systemActor): model.Context {
    return { actor, now: clock.now(), policy: policyNow() };
  }

  /** A severity the policy defines, and one the incident's type takes (Sev0/Sev1 vs S1–S4). */
  function checkSeverity(severity: string, type?: string) {
    const p = policyNow();
    const allowed = type === undefined ? p.severities : severitiesOf(p, type);
    if (!allowed.some((s) => s.id === severity))
      throw invalid(
        "severity",
        `expected one of ${allowed.map((s) => s.id).join(", ")}${type === undefined ? "" : ` (the severities of ${type} incidents)`}`,
      );
  }

  /** Writes a decision and lets the rules react; returns the incident as it is afterwards. */
  async function write(
    tx: IncidentDb,
    d: Outcome,
    actorId: number | null,
    run: RunContext,
  ): Promise<{ incident: Incident; events: TimelineEvent[] }> {
    const incident = model.withLabels(policyNow(), d.incident);
    const now = incident.updatedAt;
    // One statement: the incident, its events and its people (a round trip each before).
    const events = await store.writeChange(tx, incident, actorId, now, d.events, [
      ...(actorId ? [actorId] : []),
      incident.ownerId,
      ...peopleIn(d.events),
      ...(d.participants ?? []),
    ]);
    for (const f of deps.followers ?? []) await f.incidentChanged(tx, incident);
    await deps.process?.incidentChanged(tx, { incident, events: d.events, run });
    // The rules may have changed it (an owner by default, an engaged role): answer with what is.
    const latest = run.depth === 0 && deps.process ? await store.getIncident(tx, incident.id) : incident;
    return { incident: latest ?? incident, events };
  }

  /** Runs one command on one incident inside a transaction and records its outcome. */
  async function command(
    actor: Actor,
    id: number,
    decide: (i: Incident, tx: IncidentDb) => Promise<Outcome> | Outcome,
  ): Promise<{ incident: Incident; events: TimelineEvent[] }> {
    return db.transaction().execute(async (tx) => {
      const current = await visibleIncident(tx, actor, id, true);
      const d = await decide(current, tx);
      return write(tx, d, actor.id, newRun(actor.id));
    });
  }

  const work = createWorkCommands({ db, clock, ctx, command, followers: deps.followers ?? [] });

  /** A change Firebreak makes for a rule, inside the command's transaction (`run` one level deeper). */
  async function applySystem(tx: IncidentDb, d: Decision, run: RunContext): Promise<Incident> {
    return (await write(tx, d, null, run)).incident;
  }

  async function lockOrThrow(tx: IncidentDb, id: number): Promise<Incident> {
    const i = await store.lockIncident(tx, id);
    if (!i) throw notFound("incident", id);
    return i;
  }

  const service = {
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
      const policy = policyNow();
      const type = policy.incidentTypes.find((t) => t.name === input.type);
      if (!type) {
        throw invalid(
          "type",
          `unknown type ${JSON.stringify(input.type)}; expected one of ${policy.incidentTypes.map((t) => t.name).join(", ")}`,
        );
      }
      checkSeverity(input.severity, input.type);
      const c = { actor, now: clock.now(), policy };
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
            ownerChosen: owner !== null,
            blocksDeployments: input.blocksDeployments ?? false,
          },
          c,
          recurrent ? await store.closedSince(tx, since) : [],
        );
        const { incident } = await store.insertIncidentWith(tx, d.incident, actor.id, c.now, d.events, [
          actor.id,
          d.incident.ownerId,
        ]);
        for (const f of deps.followers ?? []) await f.incidentChanged(tx, incident);
        // The rules react in the same transaction: DEC-3 pages the EOC, PAGE-1 the IM, …
        await deps.process?.incidentChanged(tx, {
          incident,
          events: d.events,
          run: newRun(actor.id),
          isNew: true,
        });
        deps.metrics?.incidentsDeclared.labels(incident.severity).inc();
        return deps.process ? ((await store.getIncident(tx, incident.id)) ?? incident) : incident;
      };
      return outer ? run(outer) : db.transaction().execute(run);
    },

    async get(actor: Actor, id: number): Promise<Incident> {
      return visibleIncident(db, actor, id, false);
    },

    async list(actor: Actor, filter: IncidentFilter): Promise<Incident[]> {
      return store.listIncidents(db, viewerOf(actor), filter);
    },

    async participants(actor: Actor, id: number): Promise<number[]> {
      await visibleIncident(db, actor, id, false);
      return store.listParticipants(db, id);
    },

    transition(actor: Actor, id: number, input: { to: State; severity?: string; reason?: string }) {
      assertNoRedData({ reason: input.reason });
      if (input.severity) checkSeverity(input.severity);
      return command(actor, id, async (i, tx) => {
        if (input.severity) checkSeverity(input.severity, i.type);
        // LC-6: closing waits for a required review, whichever path asks (API, CLI, chat, web).
        const gate = input.to === "closed" ? await reviewGate(tx, policyNow(), i) : undefined;
        const d = model.transition(i, input, ctx(actor), gate);
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

    /** SEV-1: severity changes with a reason; raising it pages as the policy says (SEV-3, PAGE-1). */
    changeSeverity(actor: Actor, id: number, severity: string, reason: string) {
      assertNoRedData({ reason });
      checkSeverity(severity);
      return command(actor, id, (i) => {
        checkSeverity(severity, i.type);
        return model.changeSeverity(i, severity, reason, ctx(actor));
      });
    },

    async changeOwner(actor: Actor, id: number, owner: UserInput, reason: string) {
      assertNoRedData({ reason });
      return command(actor, id, async (i, tx) => {
        const u = await ownerCandidate(tx, owner, "owner");
        return people.changeOwner(i, u.id, reason, ctx(actor));
      });
    },

    /**
     * OWN-1: the owner escalates ownership to the IM. With nobody in the IM role, the IM on call is
     * paged and takes ownership when they acknowledge.
     */
    escalateToIncidentManager(actor: Actor, id: number, reason: string) {
      assertNoRedData({ reason });
      return command(actor, id, async (i, tx) => {
        const c = ctx(actor);
        const d = people.escalateToIncidentManager(i, reason, c);
        if (d) return d;
        const role = c.policy.incidentManagerRole;
        const policyName = c.policy.roles.find((r) => r.name === role)?.escalationPolicy;
        const outcome = policyName
          ? await deps.pager?.pageRole(tx, {
              policyName,
              title: `Escalated to you: ${i.severity} incident #${i.id} ${i.title || "(untitled)"}`,
              urgency: deps.pager.urgencyFor(i.severity),
              incidentId: i.id,
              actorId: actor.id,
              engage: { role, own: true },
              rule: "OWN-1",
            })
          : undefined;
        if (outcome === undefined || outcome === "no-policy")
          throw new AppError(
            "conflict",
            `incident ${i.id} has no ${role}, and nobody can be paged for the role (${policyName ? `no escalation policy named ${policyName}` : `the ${role} role has no escalationPolicy in the policy file`}); give the ${role} role to someone first, then escalate`,
          );
        return {
          incident: { ...i, updatedAt: c.now },
          events: [
            {
              kind: "escalation-requested",
              body:
                reason ||
                (outcome === "paged"
                  ? `paged the ${role} on call, who takes ownership on acknowledging (OWN-1)`
                  : `the ${role} on call is paged already and takes ownership on acknowledging (OWN-1)`),
              data: { role, outcome },
            },
          ],
        };
      });
    },

    assignRole(actor: Actor, id: number, role: string, holder: UserInput | null) {
      return command(actor, id, async (i, tx) => {
        const pick = role === policyNow().ownerRole ? ownerCandidate : activeUser;
        const holderId = holder === null ? null : (await pick(tx, holder, "user")).id;
        // The new holder takes part in the incident from now on (sees it even if private).
        return {
          ...people.assignRole(i, role, holderId, ctx(actor)),
          participants: holderId ? [holderId] : [],
        };
      });
    },

    editFields(actor: Actor, id: number, changes: fields.FieldChanges) {
      assertNoRedData({ title: changes.title, summary: changes.summary });
      return command(actor, id, (i) => fields.editFields(i, changes, ctx(actor)));
    },

    addLabel(actor: Actor, id: number, label: string) {
      assertNoRedData({ label });
      return command(actor, id, (i) => fields.addLabel(i, label, ctx(actor)));
    },

    removeLabel(actor: Actor, id: number, label: string) {
      return command(actor, id, (i) => fields.removeLabel(i, label, ctx(actor)));
    },

    /** DATA-3: make an incident private (any responder who sees it) or public again (admins). */
    setVisibility(actor: Actor, id: number, to: Visibility, reason: string) {
      assertNoRedData({ reason });
      return command(actor, id, (i) => fields.setVisibility(i, to, reason, ctx(actor)));
    },

    recordImpact(actor: Actor, id: number, edge: "started" | "ended", at?: Date, level?: ImpactLevel) {
      const c = ctx(actor);
      return command(actor, id, (i) => fields.recordImpact(i, edge, at ?? c.now, c, level));
    },

    async merge(actor: Actor, id: number, into: number, reason: string) {
      assertNoRedData({ reason });
      return db.transaction().execute(async (tx) => {
        const run = newRun(actor.id);
        // Lock in id order so two merges touching the same pair cannot deadlock.
        const [first, second] = id < into ? [id, into] : [into, id];
        const a = await visibleIncident(tx, actor, first, true);
        const b = await visibleIncident(tx, actor, second, true);
        return mergeLocked(tx, a.id === id ? a : b, a.id === id ? b : a, reason, actor.id, run);
      });
    },

    async addParticipant(actor: Actor, id: number, who: UserInput) {
      return db.transaction().execute(async (tx) => {
        const i = await visibleIncident(tx, actor, id, true);
        const u = await activeUser(tx, who, "user");
        const now = clock.now();
        // Sharing an incident is a change people must be able to audit (TL-1, DATA-3).
        await store.appendEvents(tx, i.id, actor.id, now, [
          { kind: "participant-added", body: u.username, data: { userId: u.id } },
        ]);
        await store.addParticipants(tx, i.id, [actor.id, u.id], now);
        return u;
      });
    },

    timeline: work.timeline,
    addNote: work.addNote,
    addRoomMessage: work.addRoomMessage,
    /** A task changed outside the work commands (made a corrective action, FU-2): its followers hear of it. */
    async taskChanged(tx: IncidentDb, taskId: number): Promise<void> {
      const task = await taskStore.getTask(tx, taskId);
      const incident = task && (await store.getIncident(tx, task.incidentId));
      if (!task || !incident) return;
      for (const f of deps.followers ?? []) await f.taskChanged(tx, task, incident);
    },
    addStatusUpdate: work.addStatusUpdate,
    pin: work.pin,
    tasks: work.tasks,
    addTask: work.addTask,
    updateTask: work.updateTask,

    /** Another capability's event on an incident's timeline (e.g. a page and its acknowledgement). */
    async recordEvent(
      tx: IncidentDb,
      incidentId: number,
      e: RecordedEvent | RecordedEvent[],
      actorId: number | null,
      at: Date,
    ): Promise<void> {
      const events = [e].flat();
      await store.appendEvents(tx, incidentId, actorId, at, events);
      // Alerts grouping into an incident can trigger rules; nothing is read unless one does.
      if (deps.process && events.some((x) => deps.process?.reactsTo(x.kind))) {
        const i = await store.lockIncident(tx, incidentId);
        if (i) await deps.process.incidentChanged(tx, { incident: i, events, run: newRun(null) });
      }
    },

    /**
     * A person acknowledged a page sent for an incident role: they take the role if it is free
     * (or it is handed over to them, OWN-8), and ownership too when the page escalated it (OWN-1).
     * What cannot follow is said on the timeline; the acknowledgement stands either way.
     */
    async engageFromPage(
      tx: IncidentDb,
      page: {
        id: number;
        incidentId: number;
        engage: { role: string; own?: boolean; handOverFrom?: number };
      },
      userId: number,
    ): Promise<boolean> {
      const i = await store.lockIncident(tx, page.incidentId);
      if (!i) return false;
      const c = ctx(systemActor);
      const { role, own, handOverFrom } = page.engage;
      const outcome = people.engage(i, role, userId, c, {
        handOverFrom: handOverFrom ?? null,
        reason:
          handOverFrom !== undefined
            ? `took over on acknowledging page ${page.id} (OWN-8)`
            : `acknowledged page ${page.id}`,
      });
      const run = newRun(userId);
      if ("refused" in outcome) {
        await store.appendEvents(tx, i.id, userId, c.now, [
          {
            kind: "page-role-not-taken",
            body: `acknowledged page ${page.id} but did not take ${role}: ${outcome.refused}`,
            data: { pageId: page.id, role },
          },
        ]);
        return false;
      }
      const d = outcome.decision;
      if (own && d.incident.ownerId !== userId) {
        d.incident = { ...d.incident, ownerId: userId, ownerDeliberate: true };
        d.events.push({
          kind: "owner-changed",
          body: `escalated to the ${role} (OWN-1): took ownership on acknowledging page ${page.id}`,
          data: { from: i.ownerId, to: userId, escalatedTo: role },
        });
      }
      await write(tx, d, userId, run);
      return true;
    },

    /** COMM-2: a post about the incident was published on a status page. */
    async publicPostPublished(
      tx: IncidentDb,
      incidentId: number,
      actorId: number,
      e: { body: string; data: Record<string, unknown> },
    ): Promise<void> {
      const i = await store.lockIncident(tx, incidentId);
      if (!i) return;
      const now = clock.now();
      await write(
        tx,
        {
          incident: { ...fields.recordPublicPost(i, now), updatedAt: now },
          events: [{ kind: "status-page-published", body: e.body, data: e.data }],
        },
        actorId,
        newRun(actorId),
      );
    },

    /** DATA-3: the subset of these incidents the actor may see. */
    async visibleIds(actor: Actor, ids: number[]): Promise<Set<number>> {
      return store.visibleIncidentIds(db, viewerOf(actor), ids);
    },

    /** People paged for an incident take part in it (they must see it, even when private). */
    addParticipants: (tx: IncidentDb, incidentId: number, userIds: number[], at: Date) =>
      store.addParticipants(tx, incidentId, userIds, at),

    /** Locks an incident (page changes take it before the page: one lock order everywhere). */
    async lock(tx: IncidentDb, id: number): Promise<void> {
      await store.lockIncident(tx, id);
    },

    /** The people an incident refers to, for presenting it. */
    users: (ids: number[]) => userRefs.get(ids),

    // -- deploy gate (LC-4) ------------------------------------------------------------------

    /**
     * Pipelines ask before deploying. Every blocking incident counts, private ones too (a gate that
     * let a deploy through because the caller cannot see the incident would be unsafe), but a
     * private incident the caller cannot see is listed without its title.
     */
    async deployGate(actor: Actor, kind: "deployments" | "feature-flags") {
      const blocking = policyNow()
        .severities.filter((s) => s.blocksDeployments)
        .map((s) => s.id);
      const blockers = await store.deployBlockers(db, blocking);
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

    /** What the policy's rules may do to incidents (policy/ports.ts IncidentPort). */
    rulesPort: createRulesPort(),
  };

  async function mergeLocked(
    tx: IncidentDb,
    duplicate: Incident,
    primary: Incident,
    reason: string,
    actorId: number | null,
    run: RunContext,
  ) {
    const c = ctx(systemActor);
    const d = fields.merge(duplicate, primary, reason, c);
    const dup = await write(tx, d.duplicate, actorId, run);
    await taskStore.moveTasks(tx, duplicate.id, primary.id);
    // The duplicate's participants keep sight of the work they were part of.
    const people = await store.listParticipants(tx, duplicate.id);
    await store.addParticipants(tx, primary.id, [...(actorId ? [actorId] : []), ...people], c.now);
    const prim = await write(tx, d.primary, actorId, run);
    return { duplicate: dup.incident, primary: prim.incident };
  }

  function createRulesPort() {
    return {
      lock: (tx: IncidentDb, id: number) => store.lockIncident(tx, id),
      get: (tx: IncidentDb, id: number) => store.getIncident(tx, id),
      async record(tx: IncidentDb, incidentId: number, drafts: EventDraft[], at: Date) {
        await store.appendEvents(tx, incidentId, null, at, drafts);
      },
      async engage(
        tx: IncidentDb,
        incidentId: number,
        role: string,
        userId: number,
        reason: string,
        run: RunContext,
      ) {
        const i = await lockOrThrow(tx, incidentId);
        const outcome = people.engage(i, role, userId, ctx(systemActor), { reason });
        if ("refused" in outcome) return false;
        await applySystem(tx, outcome.decision, run);
        return true;
      },
      async ownByRule(tx: IncidentDb, incidentId: number, role: string, rule: string, run: RunContext) {
        const i = await lockOrThrow(tx, incidentId);
        const holder = i.roles[role];
        const d = holder === undefined ? null : people.ownByRule(i, holder, rule, ctx(systemActor));
        if (d) await applySystem(tx, d, run);
      },
      async label(tx: IncidentDb, incidentId: number, label: string, rule: string, run: RunContext) {
        const i = await lockOrThrow(tx, incidentId);
        if (i.extraLabels.includes(label)) return;
        await applySystem(tx, fields.addLabel(i, label, ctx(systemActor), rule), run);
      },
      async raise(
        tx: IncidentDb,
        incidentId: number,
        severity: string,
        reason: string,
        rule: string,
        run: RunContext,
      ) {
        const i = await lockOrThrow(tx, incidentId);
        const p = policyNow();
        if (
          !model.openStates.includes(i.state) ||
          !model.moreSevere(p, severity, i.severity) ||
          severity === i.severity ||
          !severitiesOf(p, i.type).some((s) => s.id === severity)
        )
          return;
        const d = model.changeSeverity(i, severity, reason, ctx(systemActor));
        d.events[0]!.data.rule = rule;
        await applySystem(tx, d, run);
      },
      async merge(tx: IncidentDb, duplicateId: number, primaryId: number, reason: string, run: RunContext) {
        const [first, second] = duplicateId < primaryId ? [duplicateId, primaryId] : [primaryId, duplicateId];
        const a = await lockOrThrow(tx, first);
        const b = await lockOrThrow(tx, second);
        await mergeLocked(tx, a.id === duplicateId ? a : b, a.id === duplicateId ? b : a, reason, null, run);
      },
      async addTask(
        tx: IncidentDb,
        incidentId: number,
        task: { kind: "action" | "follow-up"; title: string },
      ) {
        await work.insertTask(tx, incidentId, { ...task, assigneeId: null }, null);
      },
      /** An action or follow-up, wherever a merge moved it. */
      task: (tx: IncidentDb, taskId: number) => taskStore.getTask(tx, taskId),
      isAutomation: (tx: IncidentDb, userId: number) => store.isAutomationUser(tx, userId),
      async templateValues(tx: IncidentDb, incidentId: number) {
        const i = await store.getIncident(tx, incidentId);
        if (!i) throw notFound("incident", incidentId);
        const latest = await store.latestStatusUpdate(tx, incidentId);
        const due = fields.nextUpdateDue(policyNow(), i);
        const owner = (await store.findUsers(tx, [i.ownerId])).get(i.ownerId);
        const tasks = (await taskStore.listTasks(tx, incidentId)).filter((t) => t.state === "open");
        return {
          id: String(i.id),
          title: i.title,
          type: i.type,
          severity: i.severity,
          state: i.state,
          summary: i.summary,
          impact: latest?.impact ?? "",
          actions: latest?.actions ?? "",
          nextSteps: tasks.map((t) => `- ${t.title}`).join("\n"),
          nextUpdateAt: due ? `${due.toISOString().slice(0, 16).replace("T", " ")} UTC` : "",
          owner: owner ? `${owner.name} (${owner.username})` : "",
          url: "",
        };
      },
      async userName(tx: IncidentDb, userId: number) {
        const u = (await store.findUsers(tx, [userId])).get(userId);
        return u ? u.username : `user ${userId}`;
      },
      countOpen: (tx: IncidentDb, severities: string[], upTo: number) =>
        store.countOpenIncidents(tx, severities, upTo),
      busyInRole: (tx: IncidentDb, role: string, userIds: number[], exceptId: number) =>
        store.holdersBusyInRole(tx, role, userIds, exceptId),
      async timeline(tx: IncidentDb, incidentId: number) {
        const events = await store.readTimeline(tx, incidentId, true);
        return events.filter((e) => e.incidentId === incidentId);
      },
      lifetimes: (tx: IncidentDb, exceptId: number, from: Date, to: Date) =>
        store.lifetimes(tx, exceptId, from, to),
    };
  }

  return service;
}

export type IncidentService = ReturnType<typeof createIncidentService>;
