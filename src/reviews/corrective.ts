/**
 * Corrective actions (FU-2): follow-ups marked corrective carry the `corrective action` and
 * `infradev` labels, the highest severity of the related incidents, a priority defaulting to it,
 * an owner and a due date, and the reasons they are not SMART. An overdue one reminds its owner
 * (a durable job keyed by the task, re-armed when the date moves, checked when it fires).
 */
import { activeUser, visibleIncident } from "../incidents/access.ts";
import * as incidents from "../incidents/store.ts";
import type { Actor } from "../platform/auth.ts";
import { invalid, notFound } from "../platform/errors.ts";
import { CORRECTIVE_LABELS, highestSeverity, smartReasons } from "./model.ts";
import type { ReviewDeps } from "./service.ts";
import * as store from "./store.ts";
import { asReviewDb, type ReviewDb } from "./store.ts";

const correctiveKey = (taskId: number) => `corrective-reminder:${taskId}`;

export function createCorrectiveActions(deps: ReviewDeps) {
  const { clock, jobs } = deps;
  const db = asReviewDb(deps.database.db);
  const policyNow = () => deps.policy.current();
  const note = (
    tx: ReviewDb,
    incidentId: number,
    actorId: number | null,
    kind: "action-changed" | `notice-${string}`,
    body: string,
    data: Record<string, unknown>,
  ) =>
    incidents.appendEvents(tx as unknown as incidents.IncidentDb, incidentId, actorId, clock.now(), [
      { kind, body, data },
    ]);

  async function remind(payload: Record<string, unknown>): Promise<void> {
    const incidentId = Number(payload.incidentId);
    await db.transaction().execute(async (tx) => {
      const i = await incidents.lockIncident(tx as unknown as incidents.IncidentDb, incidentId);
      const t = await store.getTask(tx, incidentId, Number(payload.taskId), true);
      if (
        !i ||
        !t?.dueAt ||
        !t.corrective ||
        t.state !== "open" ||
        !t.assigneeId ||
        t.dueAt.toISOString() !== payload.dueAt
      )
        return;
      await deps.notices.send(tx, {
        key: `corrective-reminder:${t.id}:${payload.dueAt}`,
        userIds: [t.assigneeId],
        incidentId,
        subject: `[Firebreak] Overdue corrective action: ${i.visibility === "private" ? `follow-up ${t.id}` : t.title}`,
        body: `Corrective action ${t.id} of incident #${i.id} was due ${t.dueAt.toISOString()} and is still open (FU-2).\n${deps.publicUrl}/incidents/${i.id}`,
      });
      await note(
        tx,
        incidentId,
        null,
        "notice-corrective-overdue",
        `reminded the owner of corrective action ${t.id} that it is overdue`,
        {
          taskId: t.id,
          userId: t.assigneeId,
        },
      );
    });
  }

  const commands = {
    /** FU-2: marks a follow-up as a corrective action (or not); owner and due date required. */
    async markCorrective(
      actor: Actor,
      id: number,
      taskId: number,
      input: { corrective: boolean; assignee?: number | string; dueAt?: Date; priority?: string },
    ) {
      const policy = policyNow();
      if (input.priority && !policy.severities.some((s) => s.id === input.priority))
        throw invalid("priority", `expected a severity id: ${policy.severities.map((s) => s.id).join(", ")}`);
      return db.transaction().execute(async (tx) => {
        const itx = tx as unknown as incidents.IncidentDb;
        await visibleIncident(itx, actor, id, true);
        const t = await store.getTask(tx, id, taskId, true);
        if (!t) throw notFound("follow-up", taskId);
        if (t.kind !== "follow-up")
          throw invalid(
            "taskId",
            `task ${taskId} is an action during the incident; only follow-ups can be corrective actions (FU-1, FU-2)`,
          );
        const now = clock.now();
        let next: store.Corrective;
        if (!input.corrective) {
          next = { ...t, corrective: false, labels: [], vagueReasons: [], severity: null, priority: null };
          await jobs.remove(tx, correctiveKey(taskId));
        } else {
          const assigneeId =
            input.assignee !== undefined
              ? (await activeUser(itx, input.assignee, "assignee")).id
              : t.assigneeId;
          if (assigneeId === null)
            throw invalid(
              "assignee",
              "a corrective action needs an owner (FU-2): give `assignee`, a user id or username",
            );
          const dueAt = input.dueAt ?? t.dueAt;
          if (!dueAt)
            throw invalid(
              "dueAt",
              "a corrective action needs a due date (FU-2): give `dueAt`, e.g. 2026-12-20T17:00:00Z",
            );
          const severity = highestSeverity(policy, await store.relatedSeverities(tx, id));
          next = {
            ...t,
            corrective: true,
            assigneeId,
            dueAt,
            severity,
            priority: input.priority ?? t.priority ?? severity,
            labels: [...CORRECTIVE_LABELS],
            vagueReasons: smartReasons({ title: t.title, assigneeId, dueAt }),
          };
          await jobs.add(
            tx,
            "corrective-reminder",
            { incidentId: id, taskId, dueAt: dueAt.toISOString() },
            { runAt: dueAt, key: correctiveKey(taskId) },
          );
        }
        await store.saveCorrective(tx, next, now);
        await deps.incidents.taskChanged(itx, taskId); // its tracker issue takes the labels
        if (next.assigneeId) await incidents.addParticipants(itx, id, [next.assigneeId], now);
        await note(
          tx,
          id,
          actor.id,
          "action-changed",
          next.corrective
            ? `marked follow-up ${taskId} a corrective action${next.vagueReasons.length ? ` (flagged: ${next.vagueReasons.join("; ")})` : ""}`
            : `follow-up ${taskId} is no longer a corrective action`,
          { taskId, corrective: next.corrective, vagueReasons: next.vagueReasons },
        );
        return { ...next, vagueReasons: next.corrective ? smartReasons(next) : [] };
      });
    },

    async correctiveActions(actor: Actor, id: number) {
      await deps.incidents.get(actor, id);
      return (await store.correctiveActions(db, id)).map((c) => ({ ...c, vagueReasons: smartReasons(c) }));
    },
  };

  return {
    register(): void {
      jobs.register("corrective-reminder", remind);
    },
    commands,
  };
}
