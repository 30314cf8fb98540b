/**
 * PAGE-8's escalation running by itself, and REV-2. Each incident's clock is a row of its own,
 * claimed by one replica when due and acted on in that transaction; incident changes (a resolution
 * path found or lost, the incident resolved) reach it as a follower of the incident core, in the
 * change's transaction. REV-2 reviews are required through the review capability in the
 * transaction that makes them needed.
 */
import type { Incident } from "../incidents/model.ts";
import type { IncidentService } from "../incidents/service.ts";
import * as incidentStore from "../incidents/store.ts";
import type { NoticeInput } from "../paging/notices.ts";
import type { Clock } from "../platform/clock.ts";
import type { Database } from "../platform/db.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import { newRun } from "../policy/ports.ts";
import type { PolicySource } from "../policy/source.ts";
import {
  type Criticality,
  criticalityById,
  dueAtOf,
  escalationLevels,
  follow,
  highestCriticality,
  type IncidentFacts,
  isEnded,
  needsReview,
  nextLevelAt,
  nextStep,
  recriticize,
  type Step,
  type SupportClock,
  startClock,
} from "./model.ts";
import * as store from "./store.ts";
import { asSupportDb, type SupportDb } from "./store.ts";

type IncidentDb = incidentStore.IncidentDb;

export type SupportDeps = {
  database: Database;
  clock: Clock;
  jobs: Jobs;
  log: Logger;
  policy: PolicySource;
  publicUrl: string;
  incidents: Pick<IncidentService, "rulesPort">;
  /** Pages a policy for the incident through the real paging path (wired in app.ts). */
  paging: {
    pageForIncident(
      tx: SupportDb,
      input: {
        policyName: string;
        title: string;
        incidentId: number;
        engage: { role: string };
        rule: string;
      },
    ): Promise<"paged" | "already-paged" | "no-policy">;
  };
  oncall: {
    onCallIn(tx: SupportDb, rotation: string, at: Date): Promise<number[]>;
    membersOf(tx: SupportDb, rotation: string): Promise<number[]>;
  };
  notices: { send(tx: SupportDb, input: NoticeInput): Promise<unknown> };
  reviews: { requireSupportReview(tx: IncidentDb, incidentId: number): Promise<void> };
  /** Slack's Web API when SLACK_BOT_TOKEN is set: level 1 posts in the team's channel there. */
  slack?: { call(method: string, args?: Record<string, unknown>): Promise<unknown> };
};

const TEAM_POST_JOB = "support.team-post";
const RULE = "PAGE-8";

const facts = (i: Incident): IncidentFacts => ({
  state: i.state,
  declaredAt: i.declaredAt,
  resolvedAt: i.resolvedAt,
});
const hours = (c: Criticality) => `${c.resolveWithinHours.from}–${c.resolveWithinHours.to} h`;
const every = (m: number) => (m % 60 === 0 ? `${m / 60} h` : `${m} min`);

export function createEscalations(deps: SupportDeps) {
  const { clock, jobs, log } = deps;
  const db = asSupportDb(deps.database.db);
  const policyNow = () => deps.policy.current();
  const base = deps.publicUrl.replace(/\/$/, "");

  async function note(
    tx: SupportDb,
    incidentId: number,
    actorId: number | null,
    kind: "fields-changed" | `rule-${string}`,
    body: string,
    data: Record<string, unknown>,
  ) {
    await incidentStore.appendEvents(tx as unknown as IncidentDb, incidentId, actorId, clock.now(), [
      { kind, body, data: kind === "fields-changed" ? data : { rule: RULE, ...data } },
    ]);
  }
  /**
   * REV-2: the review is required, and the senior manager takes the role that is told when it is
   * complete — the one on call in the role's rotation, without a page (nothing is urgent yet).
   */
  async function requireReview(tx: SupportDb, incidentId: number, why: string) {
    await deps.reviews.requireSupportReview(tx as unknown as IncidentDb, incidentId);
    await note(
      tx,
      incidentId,
      null,
      "rule-support-review",
      `REV-2: an after-incident review is required (${why})`,
      {
        rule: "REV-2",
      },
    );
    const policy = policyNow();
    const role = policy.reviews?.seniorManagerRole;
    if (!role) {
      await note(
        tx,
        incidentId,
        null,
        "rule-support-review",
        "REV-2: the policy names no reviews.seniorManagerRole, so nobody is told when the review is complete",
        { rule: "REV-2" },
      );
      return;
    }
    const i = await incidentStore.getIncident(tx as unknown as IncidentDb, incidentId);
    if (!i || i.roles[role] !== undefined) return;
    const rotation = policy.roles.find((r) => r.name === role)?.rotation;
    const onCall = rotation ? await deps.oncall.onCallIn(tx, rotation, clock.now()) : [];
    const manager = onCall[0];
    if (manager === undefined) {
      await note(
        tx,
        incidentId,
        null,
        "rule-support-review",
        `REV-2: nobody is on call as ${role}${rotation ? ` in the rotation ${rotation}` : " (the role has no rotation)"}; give the role to the senior manager so they are told when the review is complete`,
        { rule: "REV-2", role },
      );
      return;
    }
    await deps.incidents.rulesPort.engage(
      tx as unknown as IncidentDb,
      incidentId,
      role,
      manager,
      "REV-2: told when the after-incident review is complete",
      newRun(null),
    );
  }

  /** Writes the clock; requires the review (REV-2) the first time it becomes needed. */
  async function save(tx: SupportDb, i: Incident, c: SupportClock, reason: string) {
    const newlyNeeded = needsReview(c) && !c.reviewRequired;
    const next = newlyNeeded ? { ...c, reviewRequired: true } : c;
    // Written first: the review's role change reaches this capability again as an incident change.
    await store.putClock(tx, i.id, next, dueAtOf(next, facts(i)), clock.now());
    if (newlyNeeded) await requireReview(tx, i.id, reason);
  }

  /** The incident's criticality from its systems now; starts, re-rates or stops its clock. */
  async function rerate(tx: SupportDb, i: Incident, actorId: number | null) {
    const now = clock.now();
    const systems = await store.systemsOf(tx, i.id);
    const c = highestCriticality(systems.map((s) => s.criticality));
    const before = await store.getClock(tx, i.id);
    if (!c) {
      if (before) {
        await store.deleteClock(tx, i.id);
        await note(
          tx,
          i.id,
          actorId,
          "rule-support-criticality",
          "PAGE-8: no systems left; no criticality, and no escalation",
          {
            criticality: null,
          },
        );
      }
      return;
    }
    const next = before ? recriticize(before, c, facts(i), now) : startClock(c, facts(i), now);
    if (before?.criticality !== c.id)
      await note(
        tx,
        i.id,
        actorId,
        "rule-support-criticality",
        `PAGE-8: criticality ${c.name} (${c.rank}): resolve within ${hours(c)}; escalate every ${every(c.escalateEveryMinutes)} without a resolution path, up to level ${c.escalateUpTo}`,
        { criticality: c.id, previous: before?.criticality ?? null },
      );
    await save(tx, i, next, `criticality ${c.name}`);
  }

  const settingsOf = (tx: SupportDb) => store.getSettings(tx);

  /** Level 1: the team's Slack channel when Slack is set up, else a notice to the team's people. */
  async function askTeam(
    tx: SupportDb,
    i: Incident,
    c: Criticality,
    level: number,
  ): Promise<{ target: string; outcome: string }> {
    const settings = await settingsOf(tx);
    const what =
      i.visibility === "private"
        ? `private incident #${i.id}`
        : `incident #${i.id} ${i.title || "(untitled)"}`;
    const text = `Support escalation level ${level} (${RULE}): ${c.name} ${what} has had no resolution path for ${every(c.escalateEveryMinutes)}. Can you help? ${base}/incidents/${i.id}`;
    if (deps.slack && settings.teamChannel) {
      await jobs.add(
        tx,
        TEAM_POST_JOB,
        { incidentId: i.id, channel: settings.teamChannel, text },
        { maxAttempts: 10 },
      );
      return { target: `#${settings.teamChannel}`, outcome: `asked in Slack's #${settings.teamChannel}` };
    }
    const policy = policyNow();
    const rotations = [settings.specialistRole, settings.engineerRole]
      .map((r) => policy.roles.find((x) => x.name === r)?.rotation)
      .filter((r): r is string => r !== undefined);
    const people = [
      ...new Set((await Promise.all(rotations.map((r) => deps.oncall.membersOf(tx, r)))).flat()),
    ];
    await deps.notices.send(tx, {
      key: `support-level-1:${i.id}:${clock.now().toISOString()}`,
      userIds: people,
      incidentId: i.id,
      subject: `[Firebreak] Support escalation: can you help with incident #${i.id}?`,
      body: text,
      links: [{ label: "Incident", url: `${base}/incidents/${i.id}` }],
    });
    return {
      target: "the team",
      outcome: people.length
        ? `asked the team (${people.length} ${people.length === 1 ? "person" : "people"} of ${rotations.join(", ")}) on the incident room and by notice`
        : "asked on the incident room; the team's rotations have nobody in them",
    };
  }

  async function pageLevel(
    tx: SupportDb,
    i: Incident,
    c: Criticality,
    level: number,
  ): Promise<{ target: string; outcome: string }> {
    const settings = await settingsOf(tx);
    const policy = policyNow();
    const role =
      level === 2
        ? settings.specialistRole
        : level === 3
          ? settings.engineerRole
          : policy.reviews?.seniorManagerRole;
    if (!role)
      return { target: "nobody", outcome: "not paged: the policy names no reviews.seniorManagerRole" };
    const def = policy.roles.find((r) => r.name === role);
    if (!def?.escalationPolicy)
      return {
        target: role,
        outcome: def
          ? `not paged: the role ${role} has no escalationPolicy in the policy`
          : `not paged: the policy has no role ${role} (set it with PUT /api/v1/support/settings)`,
      };
    const what =
      i.visibility === "private"
        ? `private incident #${i.id}`
        : `incident #${i.id}: ${i.title || "(untitled)"}`;
    const outcome = await deps.paging.pageForIncident(tx, {
      policyName: def.escalationPolicy,
      title: `Support escalation level ${level} (${RULE}), ${c.name} ${what}`,
      incidentId: i.id,
      engage: { role },
      rule: RULE,
    });
    const words = {
      paged: `paged ${def.escalationPolicy}`,
      "already-paged": `${def.escalationPolicy} was already paged for this incident`,
      "no-policy": `not paged: no escalation policy named ${def.escalationPolicy}`,
    } as const;
    return { target: role, outcome: words[outcome] };
  }

  async function perform(tx: SupportDb, i: Incident, c: Criticality, step: Step) {
    if (step.kind === "resolve-missed" || step.reason === "past-time-to-resolve") {
      await note(
        tx,
        i.id,
        null,
        "rule-support-time-to-resolve",
        `${RULE}: the time to resolve a ${c.name} incident (${hours(c)}) ran out: missed`,
        { outcome: "missed", criticality: c.id },
      );
      if (step.kind === "resolve-missed") return;
    }
    const level = step.level;
    const done = level === 1 ? await askTeam(tx, i, c, level) : await pageLevel(tx, i, c, level);
    const action = escalationLevels[level - 1]?.action ?? "";
    const why =
      step.reason === "past-time-to-resolve"
        ? `past the time to resolve (${hours(c)})`
        : `no resolution path for ${every(c.escalateEveryMinutes)}`;
    await store.insertEscalation(tx, i.id, {
      level,
      reason: step.reason,
      target: done.target,
      outcome: done.outcome,
      at: clock.now(),
    });
    await note(
      tx,
      i.id,
      null,
      "rule-support-escalated",
      `${RULE}: level ${level}, ${action} (${why}): ${done.outcome}`,
      {
        level,
        reason: step.reason,
        target: done.target,
        criticality: c.id,
      },
    );
  }

  /** Everything due on the claimed incident at `now`, in its transaction. */
  async function escalate(tx: SupportDb, incidentId: number, now: Date) {
    const i = await incidentStore.getIncident(tx as unknown as IncidentDb, incidentId);
    let c = await store.getClock(tx, incidentId);
    if (!i || !c) return;
    const steps: Step[] = [];
    for (let n = 0; n < 8; n++) {
      const s = nextStep(c, facts(i), now);
      if (!s) break;
      steps.push(s.step);
      c = s.clock;
    }
    const crit = criticalityById(c.criticality);
    await save(tx, i, c, `escalated to level ${c.level}`);
    for (const s of steps) await perform(tx, i, crit, s);
  }

  async function runNext(now: Date): Promise<boolean> {
    let claimed: number | null = null;
    try {
      return await db.transaction().execute(async (tx) => {
        claimed = await store.claimDue(tx, now);
        if (claimed === null) return false;
        await escalate(tx, claimed, now);
        return true;
      });
    } catch (err) {
      if (claimed === null) throw err;
      // Rolled back, nothing half done: try again later, backing off up to an hour.
      const attempts = await store.attemptsOf(db, claimed);
      const wait = Math.min(60, 2 ** attempts) * 60_000;
      await store.recordFailure(db, claimed, String(err), new Date(now.getTime() + wait));
      log.warn({ incident: claimed, error: String(err) }, "a support escalation failed; it is retried");
      return true;
    }
  }

  async function teamPost(payload: Record<string, unknown>) {
    if (!deps.slack) return;
    try {
      await deps.slack.call("chat.postMessage", {
        channel: String(payload.channel),
        text: String(payload.text),
        unfurl_links: false,
      });
    } catch (err) {
      // Retried by the job's backoff unless Slack says it never will work (a channel it is not in).
      if (err && typeof err === "object" && "retryable" in err && err.retryable === false) {
        log.warn({ incident: payload.incidentId, error: String(err) }, "Slack refused the support team post");
        await db.transaction().execute((tx) =>
          note(
            tx,
            Number(payload.incidentId),
            null,
            "rule-support-escalated",
            `${RULE}: Slack refused the post in #${String(payload.channel)}: ${String(err)}; invite the Firebreak app there`,
            {
              level: 1,
              failed: true,
            },
          ),
        );
        return;
      }
      throw err;
    }
  }

  async function view(tx: SupportDb, i: Incident) {
    const systems = await store.systemsOf(tx, i.id);
    const c = await store.getClock(tx, i.id);
    const status = await store.clockStatus(tx, i.id);
    const crit = c ? criticalityById(c.criticality) : null;
    return {
      incidentId: i.id,
      systems: systems.map((s) => ({ ...s, criticalityName: criticalityById(s.criticality).name })),
      criticality: crit,
      escalation:
        c && crit
          ? {
              level: c.level,
              levelAt: c.level > 0 ? c.levelAt : null,
              escalatesUpTo: crit.escalateUpTo,
              nextLevelAt: nextLevelAt(c, facts(i)),
              resolutionPath: c.pathAt !== null,
              resolutionPathAt: c.pathAt,
              resolveBy: c.resolveBy,
              timeToResolve: (c.resolveOutcome ?? (isEnded(i.state) ? "stopped" : "running")) as
                | "met"
                | "missed"
                | "stopped"
                | "running",
              reviewRequired: c.reviewRequired,
              retryAt: status?.retry_at ?? null,
              lastError: status?.last_error ?? null,
              history: await store.escalationsOf(tx, i.id),
            }
          : null,
    };
  }
  return {
    register(): void {
      jobs.attach({ name: "support escalations", runNext });
      jobs.register(TEAM_POST_JOB, teamPost);
    },

    /** Told of every incident change in its transaction (wired as an incident follower). */
    async incidentChanged(tx: IncidentDb, i: Incident): Promise<void> {
      const sdb = asSupportDb(tx);
      const before = await store.getClock(sdb, i.id);
      if (!before) return;
      const now = clock.now();
      const { clock: next, changes } = follow(before, facts(i), now);
      const status = await store.clockStatus(sdb, i.id);
      const due = dueAtOf(next, facts(i));
      if (!changes.length && (status?.due_at?.getTime() ?? null) === (due?.getTime() ?? null)) return;
      const c = criticalityById(next.criticality);
      for (const ch of changes) {
        if (ch.kind === "path-found")
          await note(
            sdb,
            i.id,
            null,
            "rule-support-resolution-path",
            `${RULE}: the incident has a resolution path (${i.state}); escalation stops at level ${next.level}`,
            {
              resolutionPath: true,
            },
          );
        else if (ch.kind === "path-lost")
          await note(
            sdb,
            i.id,
            null,
            "rule-support-resolution-path",
            next.level >= c.escalateUpTo
              ? `${RULE}: back to ${i.state} without a resolution path; level ${next.level} is the last for ${c.name}`
              : `${RULE}: back to ${i.state} without a resolution path; level ${next.level + 1} follows in ${every(c.escalateEveryMinutes)}`,
            { resolutionPath: false },
          );
        else
          await note(
            sdb,
            i.id,
            null,
            "rule-support-time-to-resolve",
            `${RULE}: resolved ${ch.outcome === "met" ? "within" : "after"} the time to resolve a ${c.name} incident (${hours(c)}): ${ch.outcome}`,
            { outcome: ch.outcome, criticality: c.id },
          );
      }
      await save(sdb, i, next, `criticality ${c.name}`);
    },

    note,
    rerate,
    view,
  };
}

export type Escalations = ReturnType<typeof createEscalations>;
