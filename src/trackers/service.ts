/**
 * Tracker issues for incidents and their follow-ups (DEC-2, FU-1). The incident core tells this
 * service of every change inside the change's transaction; the service enqueues one durable job
 * per incident (or follow-up), keyed so changes made while it waits collapse into one sync. The
 * job brings the issue in step with what the incident is when it runs.
 *
 * The tracker being down never stops the incident: the job fails, graphile-worker retries it with
 * back-off, and the failure is written on the timeline once (its recovery once more). An issue is
 * created at most once: its row is written before the create is sent, and a retried job whose
 * earlier answer was lost finds the issue by the marker in its description instead.
 */
import type { Incident } from "../incidents/model.ts";
import type { Task } from "../incidents/tasks-store.ts";
import type { Clock } from "../platform/clock.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import type { PolicySource } from "../policy/source.ts";
import { type TrackerClient, TrackerError } from "./clients.ts";
import {
  followUpIssue,
  type IssueContent,
  incidentIssue,
  incidentUrl,
  markerOf,
  type TrackerKind,
  trackerOf,
} from "./model.ts";
import type { TrackerDb, TrackerIssue } from "./store.ts";
import * as store from "./store.ts";

/** A timeline event this service writes (actor: Firebreak). */
export type TrackerEvent = { kind: `tracker-${string}`; body: string; data: Record<string, unknown> };

export type TrackerDeps = {
  db: TrackerDb;
  clock: Clock;
  jobs: Jobs;
  log: Logger;
  policy: PolicySource;
  publicUrl: string;
  clients: Record<TrackerKind, TrackerClient>;
  /** The incident capability, as this one needs it (wired in app.ts). */
  incidents: {
    get(db: TrackerDb, id: number): Promise<Incident | undefined>;
    task(db: TrackerDb, taskId: number): Promise<Task | undefined>;
    record(db: TrackerDb, incidentId: number, e: TrackerEvent, at: Date): Promise<void>;
  };
};

/** The tracker issue as the API shows it on an incident or a follow-up. */
export type TrackerIssueView = { kind: TrackerKind; project: string; number: number; url: string };

const INCIDENT_JOB = "tracker.incident";
const FOLLOW_UP_JOB = "tracker.follow-up";
/** graphile-worker backs off exp(min(attempt, 10)) seconds: 20 attempts keep trying about three days. */
const MAX_ATTEMPTS = 20;
/** A lost create is looked for among issues created since its first attempt, less this margin. */
const LOOKUP_MARGIN_MS = 24 * 3600_000;

export function createTrackers(deps: TrackerDeps) {
  const { db, clock, jobs, log } = deps;
  const policy = () => deps.policy.current();

  /** Runs `work` on an issue; a tracker's failure is said once on the timeline and retried. */
  async function attempt(row: TrackerIssue, client: TrackerClient, what: string, work: () => Promise<void>) {
    if (client.missing) {
      // Nothing will change until the operator sets it: say so once, and do not retry.
      await failed(row, `${client.name} ${what}: ${client.missing}`, false);
      return;
    }
    try {
      await work();
    } catch (err) {
      if (!(err instanceof TrackerError)) throw err;
      // What retrying cannot change is said once and left until the incident changes again.
      await failed(row, err.retry ? `${err.message}; Firebreak keeps trying` : err.message, err.retry);
      if (err.retry) throw err;
      return;
    }
    if (row.failingSince) {
      const now = clock.now();
      await db.transaction().execute(async (tx) => {
        await store.update(tx, row.id, { failing_since: null, last_error: null, updated_at: now });
        await deps.incidents.record(
          tx,
          row.incidentId,
          {
            kind: "tracker-recovered",
            body: `${client.name} answers again: ${what} done`,
            data: { tracker: row.kind, project: row.project, taskId: row.taskId, url: row.url },
          },
          now,
        );
      });
    }
  }

  async function failed(row: TrackerIssue, message: string, retrying: boolean) {
    log.warn(
      { incidentId: row.incidentId, taskId: row.taskId, tracker: row.kind, error: message },
      "tracker issue not in step",
    );
    const now = clock.now();
    await db.transaction().execute(async (tx) => {
      await store.update(tx, row.id, {
        failing_since: row.failingSince ?? now,
        last_error: message,
        updated_at: now,
      });
      if (row.failingSince) return;
      await deps.incidents.record(
        tx,
        row.incidentId,
        {
          kind: "tracker-failed",
          body: message,
          data: { tracker: row.kind, project: row.project, taskId: row.taskId, retrying },
        },
        now,
      );
    });
  }

  /**
   * The issue's number: the stored one, else the one a lost answer created (found by its marker),
   * else a new issue. The row says a create was sent before it is sent, and the number is stored
   * as soon as it is known, with the timeline event that names it.
   */
  async function ensureCreated(
    client: TrackerClient,
    row: TrackerIssue,
    content: IssueContent,
    marker: string,
    search: string,
    created: (url: string, n: number) => TrackerEvent,
  ): Promise<TrackerIssue> {
    if (row.number !== null) return row;
    let ref = row.attemptedAt
      ? await client.find(row.project, marker, search, new Date(row.attemptedAt.getTime() - LOOKUP_MARGIN_MS))
      : null;
    if (!ref) {
      await store.update(db, row.id, {
        attempted_at: row.attemptedAt ?? clock.now(),
        updated_at: clock.now(),
      });
      ref = await client.create(row.project, content);
    }
    const now = clock.now();
    const done = ref;
    await db.transaction().execute(async (tx) => {
      await store.update(tx, row.id, {
        number: done.number,
        url: done.url,
        labels: content.labels,
        updated_at: now,
      });
      await deps.incidents.record(tx, row.incidentId, created(done.url, done.number), now);
    });
    return { ...row, number: ref.number, url: ref.url, labels: content.labels };
  }

  async function syncIncident(incidentId: number): Promise<void> {
    await store.withIssueLock(db, 1, incidentId, async () => {
      const i = await deps.incidents.get(db, incidentId);
      if (!i) return;
      const existing = await store.findIssue(db, incidentId);
      const target = existing ?? trackerOf(policy(), i.type);
      if (!target) return;
      const client = deps.clients[target.kind];
      const row =
        existing ??
        (await store.claim(db, {
          incidentId,
          taskId: null,
          kind: target.kind,
          project: target.project,
          now: clock.now(),
        }));
      const content = incidentIssue(policy(), i, deps.publicUrl);
      const url = incidentUrl(deps.publicUrl, i.id);
      await attempt(row, client, "incident issue kept in step", async () => {
        const fresh = row.number === null;
        const issue = await ensureCreated(client, row, content, markerOf(url), url, (issueUrl, n) => ({
          kind: "tracker-issue-created",
          body: `${client.name} issue ${row.project}#${n} opened: ${issueUrl}`,
          data: { tracker: row.kind, project: row.project, number: n, url: issueUrl },
        }));
        // A new issue is as the incident is, unless the incident ended while it was being created.
        const rewrite = fresh ? false : row.visibility !== i.visibility;
        if (!fresh || !content.open)
          await client.update(row.project, issue.number as number, content, row.labels, rewrite);
        await store.update(db, row.id, {
          labels: content.labels,
          visibility: i.visibility,
          updated_at: clock.now(),
        });
      });
    });
  }

  async function syncFollowUp(taskId: number): Promise<void> {
    const first = await deps.incidents.task(db, taskId);
    if (first?.kind !== "follow-up") return;
    // The follow-up links to the incident's issue: that one first (its failure is the incident's).
    const parentId = (await store.findTaskIssue(db, taskId))?.incidentId ?? first.incidentId;
    if ((await store.findIssue(db, parentId))?.number == null) await syncIncident(parentId);
    await store.withIssueLock(db, 2, taskId, async () => {
      const task = await deps.incidents.task(db, taskId);
      if (task?.kind !== "follow-up") return;
      const existing = await store.findTaskIssue(db, taskId);
      const incidentId = existing?.incidentId ?? task.incidentId;
      const i = await deps.incidents.get(db, incidentId);
      if (!i) return;
      const target = existing ?? trackerOf(policy(), i.type);
      if (!target) return;
      const client = deps.clients[target.kind];
      const row =
        existing ??
        (await store.claim(db, {
          incidentId,
          taskId,
          kind: target.kind,
          project: target.project,
          now: clock.now(),
        }));
      await attempt(row, client, `issue of follow-up ${taskId} kept in step`, async () => {
        const parent = await store.findIssue(db, incidentId);
        if (parent?.number === null || parent?.number === undefined)
          throw new TrackerError(
            `the incident's ${client.name} issue is not there yet to link follow-up ${taskId} to`,
            true,
          );
        const content = followUpIssue(
          i,
          task,
          deps.publicUrl,
          client.reference(parent.number),
          await store.taskLabels(db, taskId),
        );
        const url = incidentUrl(deps.publicUrl, i.id);
        const fresh = row.number === null;
        const issue = await ensureCreated(
          client,
          row,
          content,
          markerOf(url, taskId),
          url,
          (issueUrl, n) => ({
            kind: "tracker-follow-up-created",
            body: `${client.name} issue ${row.project}#${n} opened for follow-up “${content.title}”: ${issueUrl}`,
            data: { tracker: row.kind, project: row.project, number: n, url: issueUrl, taskId },
          }),
        );
        const n = issue.number as number;
        if (!fresh || !content.open)
          await client.update(row.project, n, content, row.labels, row.visibility !== i.visibility && !fresh);
        if (!row.linked) await client.link(row.project, n, parent.number);
        await store.update(db, row.id, {
          linked: true,
          labels: content.labels,
          visibility: i.visibility,
          updated_at: clock.now(),
        });
      });
    });
  }

  const key = (kind: "incident" | "task", id: number) => `tracker:${kind}:${id}`;

  return {
    register(): void {
      jobs.register(INCIDENT_JOB, async (p) => syncIncident(Number(p.incidentId)));
      jobs.register(FOLLOW_UP_JOB, async (p) => syncFollowUp(Number(p.taskId)));
    },

    /**
     * Called in every incident change's transaction (declare included): the issue follows. Types
     * without a tracker cost nothing (no query): a type whose tracker was taken out of the policy
     * leaves its incidents' issues as they are.
     */
    async incidentChanged(tx: TrackerDb, i: Incident): Promise<void> {
      if (!trackerOf(policy(), i.type)) return;
      await jobs.add(
        tx,
        INCIDENT_JOB,
        { incidentId: i.id },
        { key: key("incident", i.id), maxAttempts: MAX_ATTEMPTS },
      );
    },

    /** Called when a follow-up is added or changed (FU-1): its linked issue follows. */
    async taskChanged(tx: TrackerDb, task: Task, i: Incident): Promise<void> {
      if (task.kind !== "follow-up" || !trackerOf(policy(), i.type)) return;
      await jobs.add(
        tx,
        FOLLOW_UP_JOB,
        { taskId: task.id },
        { key: key("task", task.id), maxAttempts: MAX_ATTEMPTS },
      );
    },

    /** The created issues of these incidents, by incident id. */
    async issuesOf(ids: number[]): Promise<Map<number, TrackerIssueView>> {
      const rows = await store.issuesOfIncidents(db, ids);
      return new Map(
        rows.map((r) => [
          r.incident_id,
          { kind: r.kind, project: r.project, number: r.number as number, url: r.url as string },
        ]),
      );
    },

    /** The created issues of these follow-ups, by task id. */
    async issuesOfTasks(taskIds: number[]): Promise<Map<number, TrackerIssueView>> {
      const rows = await store.issuesOfTasks(db, taskIds);
      return new Map(
        rows.map((r) => [
          r.task_id as number,
          { kind: r.kind, project: r.project, number: r.number as number, url: r.url as string },
        ]),
      );
    },
  };
}

export type Trackers = ReturnType<typeof createTrackers>;
