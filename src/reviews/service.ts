/**
 * Post-incident reviews (LC-6, REV-1..3) and corrective actions (FU-2). A review is created in the
 * incident's own transaction when it becomes required (the incident core tells its followers of
 * every change); reminders are durable jobs keyed by review, re-armed when the due date moves and
 * checked when they fire, so a stale one does nothing.
 */
import { activeUser, visibleIncident } from "../incidents/access.ts";
import type { Incident } from "../incidents/model.ts";
import type { IncidentService } from "../incidents/service.ts";
import * as incidents from "../incidents/store.ts";
import type { Actor } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import type { Database } from "../platform/db.ts";
import { AppError, invalid, notFound } from "../platform/errors.ts";
import type { Jobs } from "../platform/jobs.ts";
import { assertNoRedData } from "../platform/reddata.ts";
import type { NoticePort } from "../policy/ports.ts";
import type { PolicySource } from "../policy/source.ts";
import { createCorrectiveActions } from "./corrective.ts";
import { type ReviewFacts, reviewDocument } from "./document.ts";
import {
  type DetectionSource,
  phasesOf,
  type ReviewReason,
  reminderTimes,
  requirementOf,
  reviewDueAt,
  reviewSettings,
  smartReasons,
  timeToDetectMinutes,
} from "./model.ts";
import * as store from "./store.ts";
import { asReviewDb, type ReviewDb } from "./store.ts";

export type ReviewDeps = {
  database: Database;
  clock: Clock;
  policy: PolicySource;
  jobs: Jobs;
  /** Reminders and notices reach people through the paging capability's notices (wired in app.ts). */
  notices: { send(tx: ReviewDb, input: Parameters<NoticePort["send"]>[1]): Promise<unknown> };
  incidents: IncidentService;
  publicUrl: string;
};

const endedForReview = new Set(["resolved", "post-incident", "closed"]);
const reminderKinds = ["before", "overdue"] as const;
const reminderKey = (id: number, kind: string) => `review-reminder:${id}:${kind}`;

export function createReviews(deps: ReviewDeps) {
  const { clock, jobs } = deps;
  const db = asReviewDb(deps.database.db);
  const policyNow = () => deps.policy.current();
  const corrective = createCorrectiveActions(deps);

  async function note(
    tx: ReviewDb,
    incidentId: number,
    actorId: number | null,
    kind: `review-${string}` | `notice-${string}` | "fields-changed" | "action-changed",
    body: string,
    data: Record<string, unknown>,
  ) {
    await incidents.appendEvents(tx as unknown as incidents.IncidentDb, incidentId, actorId, clock.now(), [
      { kind, body, data },
    ]);
  }

  async function armReminders(tx: ReviewDb, r: store.Review): Promise<void> {
    if (!r.dueAt || r.completedAt) {
      for (const k of reminderKinds) await jobs.remove(tx, reminderKey(r.incidentId, k));
      return;
    }
    const t = reminderTimes(policyNow(), r.dueAt, clock.now());
    const payload = (kind: string) => ({ incidentId: r.incidentId, kind, dueAt: r.dueAt?.toISOString() });
    if (t.before)
      await jobs.add(tx, "review-reminder", payload("before"), {
        runAt: t.before,
        key: reminderKey(r.incidentId, "before"),
      });
    else await jobs.remove(tx, reminderKey(r.incidentId, "before"));
    await jobs.add(tx, "review-reminder", payload("overdue"), {
      runAt: t.overdue,
      key: reminderKey(r.incidentId, "overdue"),
    });
  }

  /** Creates (or makes required) the incident's review; `forced` records a reason rules cannot see. */
  async function ensure(tx: ReviewDb, i: Incident, forced?: ReviewReason): Promise<store.Review | undefined> {
    const policy = policyNow();
    const existing = await store.getReview(tx, i.id, true);
    const req = forced
      ? { required: true, reason: forced }
      : requirementOf(policy, i, existing ? { required: existing.required, reason: existing.reason } : null);
    if (!req.required || !req.reason) return existing;
    if (existing?.required) return existing;
    // A review for severity starts when the incident is resolved; one people ask for, at once.
    if (!existing && !forced && req.reason === "severity" && !endedForReview.has(i.state)) return undefined;
    const now = clock.now();
    const r: store.Review = existing
      ? {
          ...existing,
          required: true,
          reason: req.reason,
          dueAt: existing.dueAt ?? reviewDueAt(policy, now),
          updatedAt: now,
        }
      : {
          incidentId: i.id,
          required: true,
          reason: req.reason,
          // REV-3: the person who noticed a near miss (its declarer) owns its review.
          ownerId: req.reason === "near-miss" ? i.declaredBy : i.ownerId,
          reviewerIds: [],
          dueAt: reviewDueAt(policy, now),
          completedAt: null,
          completedBy: null,
          meetingAt: null,
          version: 0,
          createdAt: now,
          updatedAt: now,
        };
    if (existing) await store.updateReview(tx, r);
    else await store.insertReview(tx, r);
    await armReminders(tx, r);
    // The review task is announced to its owner when it becomes theirs (REV-1: resolved S1/S2).
    if (r.ownerId !== null)
      await deps.notices.send(tx, {
        key: `review-required:${i.id}`,
        userIds: [r.ownerId],
        incidentId: i.id,
        subject: `[Firebreak] The post-incident review of incident #${i.id} is yours, due ${r.dueAt?.toISOString().slice(0, 10)}`,
        body: `A post-incident review of ${i.severity} incident #${i.id} ${i.title || "(untitled)"} is required (${req.reason}); you own it. Write it, then mark it complete so the incident can close.\n${deps.publicUrl}/incidents/${i.id}/review`,
      });
    await note(
      tx,
      i.id,
      null,
      "review-required",
      `a post-incident review is required (${req.reason}); due ${r.dueAt?.toISOString()}`,
      {
        reason: req.reason,
        ownerId: r.ownerId,
        dueAt: r.dueAt?.toISOString(),
      },
    );
    return r;
  }

  async function remind(payload: Record<string, unknown>): Promise<void> {
    const incidentId = Number(payload.incidentId);
    await db.transaction().execute(async (tx) => {
      const i = await incidents.lockIncident(tx as unknown as incidents.IncidentDb, incidentId);
      const r = await store.getReview(tx, incidentId, true);
      // Stale: completed, moved, or given to nobody since it was armed.
      if (!i || !r?.dueAt || r.completedAt || !r.ownerId || r.dueAt.toISOString() !== payload.dueAt) return;
      const overdue = payload.kind === "overdue";
      const what = overdue
        ? `is overdue (it was due ${r.dueAt.toISOString()})`
        : `is due ${r.dueAt.toISOString()}`;
      await deps.notices.send(tx, {
        key: `review-reminder:${incidentId}:${String(payload.kind)}:${payload.dueAt}`,
        userIds: [r.ownerId],
        incidentId,
        subject: `[Firebreak] Reminder: the review of incident #${i.id} ${what}`,
        body: `The post-incident review of ${i.severity} incident #${i.id} ${i.title || "(untitled)"} ${what}. Mark it complete when it is done.\n${deps.publicUrl}/incidents/${i.id}/review`,
      });
      await note(
        tx,
        incidentId,
        null,
        "notice-review-reminder",
        `reminded the review's owner that the review ${what}`,
        {
          userId: r.ownerId,
          overdue,
        },
      );
    });
  }

  async function facts(
    tx: ReviewDb,
    actor: Actor,
    i: Incident,
    r: store.Review | undefined,
  ): Promise<ReviewFacts> {
    const detection = await store.getDetection(tx, i.id);
    const timeline = await deps.incidents.timeline(actor, i.id);
    const correctives = await store.correctiveActions(tx, i.id);
    const roleHolders = Object.entries(i.roles);
    const users = await deps.incidents.users([
      i.ownerId,
      ...roleHolders.map(([, u]) => u),
      ...correctives.flatMap((c) => (c.assigneeId ? [c.assigneeId] : [])),
    ]);
    const person = (id: number | null) => (id === null ? null : (users.get(id) ?? null));
    const start = detection.detectedAt ?? i.impactStartedAt ?? i.declaredAt;
    return {
      incident: {
        ...i,
        detectionSource: detection.source,
        detectedAt: detection.detectedAt,
        nearMissSeverity: detection.nearMissSeverity,
      },
      owner: person(i.ownerId),
      roles: roleHolders.map(([role, id]) => ({ role, holder: person(id) })),
      highlights: timeline.filter((e) => e.pinned).map((e) => ({ at: e.at, kind: e.kind, body: e.body })),
      pages: timeline
        .filter(
          (e) => e.kind === "page-triggered" || e.kind === "page-acknowledged" || e.kind === "page-escalated",
        )
        .map((e) => ({ at: e.at, kind: e.kind.slice(5), body: e.body })),
      changes: await store.changesNear(tx, i.id, start, 24),
      statusPosts: timeline
        .filter((e) => e.kind === "status-update")
        .map((e) => ({ at: e.at, body: e.body })),
      phases: phasesOf({
        detectedAt: detection.detectedAt,
        impactStartedAt: i.impactStartedAt,
        declaredAt: i.declaredAt,
        acceptedAt: i.acceptedAt,
        mitigatedAt: i.mitigatedAt,
        resolvedAt: i.resolvedAt,
        reviewCompletedAt: r?.completedAt ?? null,
        closedAt: i.closedAt,
        transitions: timeline
          .filter((e) => e.kind === "status-changed" && typeof e.data.to === "string")
          .map((e) => ({ at: e.at, to: String(e.data.to) })),
      }),
      correctiveActions: correctives.map((c) => ({
        id: c.id,
        title: c.title,
        state: c.state,
        assignee: person(c.assigneeId),
        dueAt: c.dueAt,
        severity: c.severity,
        vagueReasons: smartReasons(c),
      })),
    };
  }

  async function view(tx: ReviewDb, actor: Actor, i: Incident) {
    const r = await store.getReview(tx, i.id);
    const f = await facts(tx, actor, i, r);
    const latest = await store.latestVersion(tx, i.id);
    const requirement = requirementOf(policyNow(), i, r ? { required: r.required, reason: r.reason } : null);
    const now = clock.now();
    return {
      incidentId: i.id,
      exists: r !== undefined,
      required: requirement.required,
      reason: requirement.reason,
      ownerId: r?.ownerId ?? null,
      reviewerIds: r?.reviewerIds ?? [],
      dueAt: r?.dueAt ?? null,
      overdue: Boolean(r?.dueAt && !r.completedAt && r.dueAt.getTime() < now.getTime()),
      completedAt: r?.completedAt ?? null,
      completedBy: r?.completedBy ?? null,
      meetingAt: r?.meetingAt ?? null,
      version: r?.version ?? 0,
      body: latest?.body ?? reviewDocument(f),
      generated: latest === undefined,
      draft: reviewDocument(f),
      detection: {
        source: f.incident.detectionSource,
        detectedAt: f.incident.detectedAt,
        timeToDetectMinutes: timeToDetectMinutes(f.incident),
      },
      nearMissSeverity: f.incident.nearMissSeverity,
      phases: f.phases,
      correctiveActions: f.correctiveActions.map((c) => ({ ...c, assignee: c.assignee?.id ?? null })),
    };
  }

  /** The review row, created (not required) when someone writes one nobody asked for. */
  async function reviewFor(tx: ReviewDb, i: Incident): Promise<store.Review> {
    const r = (await ensure(tx, i)) ?? (await store.getReview(tx, i.id, true));
    if (r) return r;
    const now = clock.now();
    const fresh: store.Review = {
      incidentId: i.id,
      required: false,
      reason: "requested",
      ownerId: i.ownerId,
      reviewerIds: [],
      dueAt: null,
      completedAt: null,
      completedBy: null,
      meetingAt: null,
      version: 0,
      createdAt: now,
      updatedAt: now,
    };
    await store.insertReview(tx, fresh);
    return fresh;
  }

  function assertReviewOwner(actor: Actor, r: store.Review, what: string) {
    if (actor.role !== "admin" && actor.id !== r.ownerId)
      throw new AppError(
        "forbidden",
        `only the review's owner (user ${r.ownerId}) or an admin can ${what} the review of incident ${r.incidentId}; ask them, or make yourself its owner first (PATCH …/review with ownerId)`,
      );
  }

  const service = {
    register(): void {
      jobs.register("review-reminder", remind);
      corrective.register();
    },

    /** Told of every incident change in its transaction (wired as an incident follower). */
    async incidentChanged(tx: incidents.IncidentDb, i: Incident): Promise<void> {
      // Unless its severity or labels require one, a change leaves the review as it is (a stored
      // requirement stays what it was): no need to read it, a round trip on most changes.
      if (!requirementOf(policyNow(), i, null).required) return;
      await ensure(asReviewDb(tx), i);
    },

    /**
     * REV-2: a support-operations incident of criticality 1–2, or escalated to level 3, requires a
     * review. For the customer-incidents capability (issue 20) to call in its own transaction.
     */
    async requireSupportReview(tx: incidents.IncidentDb, incidentId: number): Promise<void> {
      const i = await incidents.lockIncident(tx, incidentId);
      if (!i) throw notFound("incident", incidentId);
      await ensure(asReviewDb(tx), i, "support-criticality");
    },

    async get(actor: Actor, id: number) {
      const i = await deps.incidents.get(actor, id);
      return view(db, actor, i);
    },

    async versions(actor: Actor, id: number) {
      await deps.incidents.get(actor, id);
      return store.listVersions(db, id);
    },

    /** Saves a new version of the document; `version` is the one edited (409 when stale). */
    async save(actor: Actor, id: number, input: { body: string; version: number }) {
      assertNoRedData({ body: input.body });
      await db.transaction().execute(async (tx) => {
        const i = await visibleIncident(tx as unknown as incidents.IncidentDb, actor, id, true);
        const r = await reviewFor(tx, i);
        if (r.version !== input.version)
          throw new AppError(
            "conflict",
            `the review of incident ${id} is at version ${r.version}, and this edit was made on version ${input.version}: load the latest version, bring your changes into it and save with version ${r.version}`,
            { currentVersion: r.version },
          );
        const now = clock.now();
        const next = { ...r, version: r.version + 1, updatedAt: now };
        await store.insertVersion(tx, id, {
          version: next.version,
          body: input.body,
          authorId: actor.id,
          createdAt: now,
        });
        await store.updateReview(tx, next);
        await note(tx, id, actor.id, "review-saved", `saved version ${next.version} of the review`, {
          version: next.version,
        });
      });
      return service.get(actor, id);
    },

    async update(
      actor: Actor,
      id: number,
      input: {
        owner?: number | string;
        reviewers?: (number | string)[];
        dueAt?: Date;
        meetingAt?: Date | null;
      },
    ) {
      await db.transaction().execute(async (tx) => {
        const itx = tx as unknown as incidents.IncidentDb;
        const i = await visibleIncident(itx, actor, id, true);
        const r = await reviewFor(tx, i);
        const next = { ...r, updatedAt: clock.now() };
        if (input.owner !== undefined) next.ownerId = (await activeUser(itx, input.owner, "owner")).id;
        if (input.reviewers !== undefined) {
          const ids: number[] = [];
          for (const [n, ref] of input.reviewers.entries())
            ids.push((await activeUser(itx, ref, `reviewers[${n}]`)).id);
          next.reviewerIds = [...new Set(ids)];
        }
        if (input.dueAt !== undefined) next.dueAt = input.dueAt;
        if (input.meetingAt !== undefined) next.meetingAt = input.meetingAt;
        await store.updateReview(tx, next);
        await incidents.addParticipants(
          itx,
          id,
          [next.ownerId, ...next.reviewerIds].filter((u): u is number => u !== null),
          next.updatedAt,
        );
        if (next.dueAt?.getTime() !== r.dueAt?.getTime() || next.ownerId !== r.ownerId)
          await armReminders(tx, next);
        await note(tx, id, actor.id, "review-changed", "changed the review's owner, reviewers or dates", {
          ownerId: next.ownerId,
          reviewerIds: next.reviewerIds,
          dueAt: next.dueAt?.toISOString() ?? null,
          meetingAt: next.meetingAt?.toISOString() ?? null,
        });
      });
      return service.get(actor, id);
    },

    /** Done = marked complete by its owner (REV-1); then the incident may close (LC-6). */
    async complete(actor: Actor, id: number) {
      await db.transaction().execute(async (tx) => {
        const i = await visibleIncident(tx as unknown as incidents.IncidentDb, actor, id, true);
        const r = await store.getReview(tx, id, true);
        if (!r)
          throw new AppError(
            "conflict",
            `incident ${id} has no review to complete; write one first (PUT /api/v1/incidents/${id}/review)`,
          );
        assertReviewOwner(actor, r, "complete");
        if (r.completedAt)
          throw new AppError(
            "conflict",
            `the review of incident ${id} was completed at ${r.completedAt.toISOString()}`,
          );
        const now = clock.now();
        const done = { ...r, completedAt: now, completedBy: actor.id, updatedAt: now };
        await store.updateReview(tx, done);
        await armReminders(tx, done);
        await note(
          tx,
          id,
          actor.id,
          "review-completed",
          "completed the post-incident review; the incident may close",
          { reason: r.reason },
        );
        const role = reviewSettings(policyNow()).seniorManagerRole;
        const manager = role ? i.roles[role] : undefined;
        if (r.reason === "support-criticality" && manager !== undefined) {
          // REV-2: the senior manager is told the review is complete.
          await deps.notices.send(tx, {
            key: `review-complete:${id}:${now.toISOString()}`,
            userIds: [manager],
            incidentId: id,
            subject: `[Firebreak] The review of incident #${id} is complete`,
            body: `The after-incident review of support incident #${id} ${i.title || "(untitled)"} is complete (REV-2).\n${deps.publicUrl}/incidents/${id}/review`,
          });
          await note(
            tx,
            id,
            null,
            "notice-review-complete",
            `told the ${role} that the review is complete (REV-2)`,
            { userId: manager },
          );
        }
      });
      return service.get(actor, id);
    },

    async reopen(actor: Actor, id: number) {
      await db.transaction().execute(async (tx) => {
        await visibleIncident(tx as unknown as incidents.IncidentDb, actor, id, true);
        const r = await store.getReview(tx, id, true);
        if (!r?.completedAt)
          throw new AppError(
            "conflict",
            `the review of incident ${id} is not complete; there is nothing to reopen`,
          );
        assertReviewOwner(actor, r, "reopen");
        const now = clock.now();
        const open = { ...r, completedAt: null, completedBy: null, updatedAt: now };
        await store.updateReview(tx, open);
        await armReminders(tx, open);
        await note(tx, id, actor.id, "review-reopened", "reopened the post-incident review", {});
      });
      return service.get(actor, id);
    },

    /** TL-4 (how and when it was detected) and REV-3 (the severity a near miss would have had). */
    async setDetection(
      actor: Actor,
      id: number,
      input: { source?: DetectionSource | null; detectedAt?: Date | null; nearMissSeverity?: string | null },
    ) {
      const policy = policyNow();
      if (input.nearMissSeverity && !policy.severities.some((s) => s.id === input.nearMissSeverity))
        throw invalid("nearMissSeverity", `expected one of ${policy.severities.map((s) => s.id).join(", ")}`);
      const now = clock.now();
      if (input.detectedAt && input.detectedAt.getTime() > now.getTime())
        throw invalid("detectedAt", `expected a time not after now (${now.toISOString()})`);
      return db.transaction().execute(async (tx) => {
        const i = await visibleIncident(tx as unknown as incidents.IncidentDb, actor, id, true);
        if (input.detectedAt && input.detectedAt.getTime() > (i.declaredAt.getTime() ?? 0))
          throw invalid(
            "detectedAt",
            `expected a time not after the incident was declared (${i.declaredAt.toISOString()})`,
          );
        const before = await store.getDetection(tx, id);
        const next = {
          source: input.source === undefined ? before.source : input.source,
          detectedAt: input.detectedAt === undefined ? before.detectedAt : input.detectedAt,
          nearMissSeverity:
            input.nearMissSeverity === undefined ? before.nearMissSeverity : input.nearMissSeverity,
        };
        await store.setDetection(tx, id, next, now);
        await note(
          tx,
          id,
          actor.id,
          "fields-changed",
          "recorded how and when the problem was detected (TL-4)",
          {
            detectionSource: next.source,
            detectedAt: next.detectedAt?.toISOString() ?? null,
            nearMissSeverity: next.nearMissSeverity,
          },
        );
        return next;
      });
    },

    ...corrective.commands,
  };
  return service;
}

export type Reviews = ReturnType<typeof createReviews>;
