/**
 * The process running by itself: after every incident command (in its transaction) the policy's
 * event rules fire their actions and the incident's clocks are reconciled — the clocks it should
 * have are computed from scratch, the ones no longer wanted are cancelled, new ones are armed as
 * durable jobs keyed by what they are about. When a clock falls due, a replica's worker checks it
 * is still wanted (a stale clock is a no-op) and runs its actions, once (the row is marked fired in
 * the same transaction).
 */
import type { Incident } from "../incidents/model.ts";
import type { Clock } from "../platform/clock.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import { type ActionDeps, runActions } from "./actions.ts";
import {
  type CustomerFacts,
  checkConditions,
  type FactNeed,
  type Facts,
  type IncidentSubject,
  type MaintenanceSubject,
  openIncidentsKey,
  type Subject,
  verdict,
} from "./conditions.ts";
import { subjectOf, toRuleEvents } from "./events.ts";
import type { Policy } from "./model.ts";
import { type MaintenancePort, newRun, type RunContext, type Tx } from "./ports.ts";
import {
  anchorTime,
  type DesiredClock,
  deadlineMetAt,
  deadlineOutcomeKey,
  desiredClocks,
  eventRules,
  firingKey,
  type RuleEvent,
} from "./rules.ts";
import { MAX_OPEN_COUNT, type Rule } from "./rules-schema.ts";
import { difference, replay, type SimAction } from "./simulate.ts";
import type { PolicySource } from "./source.ts";
import * as store from "./store.ts";

/**
 * A subject's clock rows, read once and shared by the steps of one reconcile; `unsaved`: firings of
 * this cascade not yet written (they count as fired all the same).
 */
type ClockRows = { list: store.ClockRow[] | undefined; unsaved?: store.NewClock[] };

/** What fired, from a subject's clock rows (event firings and fired clocks). */
function firedFacts(
  rows: Pick<store.ClockRow, "state" | "key" | "rule_id" | "fired_at" | "due_at">[],
): Pick<Facts, "firedKeys" | "firstFired"> {
  const fired = rows.filter((r) => r.state === "fired");
  const firstFired = new Map<string, Date>();
  for (const r of [...fired].sort((a, b) => (a.fired_at?.getTime() ?? 0) - (b.fired_at?.getTime() ?? 0)))
    if (!firstFired.has(r.rule_id)) firstFired.set(r.rule_id, r.fired_at ?? r.due_at);
  return { firedKeys: new Set(fired.map((r) => r.key)), firstFired };
}

/** The subject a clock key is about: `i42:…` an incident, `m7:…` a maintenance. */
export function subjectOfKey(key: string): store.SubjectRef | null {
  const m = /^([im])(\d+):/.exec(key);
  if (!m) return null;
  return { kind: m[1] === "i" ? "incident" : "maintenance", id: Number(m[2]) };
}

/** How deep one command's consequences may cascade (a rule's change firing further rules). */
const MAX_DEPTH = 4;
const MINUTE = 60_000;

export type ProcessDeps = ActionDeps & {
  db: Tx;
  clock: Clock;
  jobs: Jobs;
  log: Logger;
  policy: PolicySource;
  maintenance?: MaintenancePort;
  /** COMM-6: the affected customers and their last update (src/customers), for rules that ask. */
  customers?: { facts(tx: Tx, incidentId: number): Promise<CustomerFacts> };
};

export function createProcess(deps: ProcessDeps) {
  const { clock, jobs, log } = deps;
  const automation = new Map<number, boolean>();
  let firingSeq = 0;

  async function declaredByAutomation(tx: Tx, i: Incident): Promise<boolean> {
    let known = automation.get(i.declaredBy);
    if (known === undefined) {
      known = await deps.incidents.isAutomation(tx, i.declaredBy);
      if (automation.size > 10_000) automation.clear();
      automation.set(i.declaredBy, known);
    }
    return known;
  }

  async function incidentSubject(tx: Tx, i: Incident): Promise<IncidentSubject> {
    return subjectOf(i, await declaredByAutomation(tx, i));
  }

  /** Loads what the rules asked for into `facts`. */
  async function load(
    tx: Tx,
    subject: Subject,
    needs: FactNeed[],
    facts: Facts,
    now: Date,
    rows?: ClockRows,
  ): Promise<void> {
    const policy = deps.policy.current();
    for (const need of needs) {
      if (need.kind === "fired" && !facts.firedKeys) {
        // One read of the subject's clocks serves what fired and what is pending (`rows`).
        const all = rows?.list ?? (await store.clocksFor(tx, subject));
        if (rows) rows.list = all;
        const unsaved = (rows?.unsaved ?? []).map((r) => ({ ...r, fired_at: r.fired_at ?? null }));
        Object.assign(facts, firedFacts([...all, ...unsaved]));
      } else if (need.kind === "openIncidents") {
        facts.openIncidents ??= new Map();
        const key = openIncidentsKey(need.severities);
        if (!facts.openIncidents.has(key))
          facts.openIncidents.set(key, await deps.incidents.countOpen(tx, need.severities, MAX_OPEN_COUNT));
      } else if (need.kind === "onCallBusy" && subject.kind === "incident") {
        facts.onCallBusy ??= new Map();
        const rotation = policy.roles.find((r) => r.name === need.role)?.rotation;
        const onCall = rotation ? await deps.oncall.onCallIn(tx, rotation, now) : [];
        const busy = await deps.incidents.busyInRole(tx, need.role, onCall, subject.id);
        facts.onCallBusy.set(need.role, onCall.length > 0 && onCall.every((u) => busy.includes(u)));
      } else if (need.kind === "customers" && subject.kind === "incident" && !facts.customers) {
        facts.customers = deps.customers
          ? await deps.customers.facts(tx, subject.id)
          : { affected: 0, lastUpdateAt: null, nextUpdateAt: null };
      } else if (need.kind === "shiftEnd" && subject.kind === "incident") {
        facts.shiftEnd ??= new Map();
        const rotation = policy.roles.find((r) => r.name === need.role)?.rotation;
        const holder = subject.roles[need.role];
        const since = subject.roleSince[need.role];
        // The shift the holder was on when they took the role: stable, so its end is a fixed instant.
        facts.shiftEnd.set(
          need.role,
          rotation && holder !== undefined && since
            ? await deps.oncall.shiftEndOf(tx, rotation, holder, since)
            : null,
        );
      }
    }
  }

  /** Runs `compute` until it needs nothing more (each pass loads what the last asked for). */
  async function withFacts<T extends { needs: FactNeed[] }>(
    tx: Tx,
    subject: Subject,
    facts: Facts,
    now: Date,
    compute: () => T,
    rows?: ClockRows,
  ): Promise<T> {
    let result = compute();
    for (let pass = 0; pass < 4 && result.needs.length > 0; pass++) {
      await load(tx, subject, result.needs, facts, now, rows);
      result = compute();
    }
    return result;
  }

  async function desired(
    tx: Tx,
    subject: Subject,
    facts: Facts,
    now: Date,
    rows?: ClockRows,
  ): Promise<DesiredClock[]> {
    const policy = deps.policy.current();
    const compute = () => desiredClocks(policy, subject, facts, now);
    return (await withFacts(tx, subject, facts, now, compute, rows)).clocks;
  }

  const rowOf = (subject: Subject, c: DesiredClock, now: Date): store.NewClock => ({
    key: c.key,
    incident_id: subject.kind === "incident" ? subject.id : null,
    maintenance_id: subject.kind === "maintenance" ? subject.id : null,
    rule_id: c.ruleId,
    rule: c.rule,
    kind: c.kind,
    state: "pending",
    due_at: c.dueAt,
    fires: c.fires,
    why: c.why,
    deadline: c.deadline?.name ?? null,
    outcome: null,
    fired_at: null,
    created_at: now,
  });

  /**
   * Makes the stored clocks of a subject the ones it should have: cancel, arm, leave the rest.
   * `rows`: the subject's clock rows when the caller has them (read under the subject's lock).
   */
  async function reconcile(
    tx: Tx,
    subject: Subject,
    opts: { isNew?: boolean; rows?: store.ClockRow[] } = {},
  ): Promise<void> {
    const now = clock.now();
    const rows: ClockRows = { list: opts.rows ?? (opts.isNew ? [] : undefined) };
    const facts: Facts = rows.list ? firedFacts(rows.list) : {};
    const want = await desired(tx, subject, facts, now, rows);
    if (opts.isNew && want.length === 0) return;
    const pending = (rows.list ?? (await store.clocksFor(tx, subject))).filter((r) => r.state === "pending");
    const wanted = new Set(want.map((c) => c.key));
    const have = new Set(pending.map((p) => p.key));
    await store.replaceClocks(
      tx,
      pending.filter((p) => !wanted.has(p.key)).map((p) => p.key),
      want.filter((c) => !have.has(c.key)).map((c) => rowOf(subject, c, now)),
    );
  }

  /** Records that a rule fired (for `once` and `fired:` anchors) and runs its actions. */
  async function fireRule(tx: Tx, subject: Subject, rule: Rule, why: string, run: RunContext, now: Date) {
    const policy = deps.policy.current();
    const key = firingKey(subject, rule.id, now, firingSeq++);
    // Written with the cascade's other firings when it ends (`saveFirings`); until then the
    // cascade's own checks (`once`) see it in `run.fired`.
    run.fired.push({
      key,
      incident_id: subject.kind === "incident" ? subject.id : null,
      maintenance_id: subject.kind === "maintenance" ? subject.id : null,
      rule_id: rule.id,
      rule: rule.rule ?? null,
      kind: "event",
      state: "fired",
      due_at: now,
      fires: rule.description,
      why,
      deadline: null,
      outcome: null,
      fired_at: now,
      created_at: now,
    });
    if (subject.kind === "incident") await runActions(deps, tx, subject.id, { policy, rule, key, now, run });
    else await runMaintenanceActions(tx, subject, rule, key, now);
  }

  /** Writes the cascade's rule firings, in one insert. */
  async function saveFirings(tx: Tx, run: RunContext): Promise<void> {
    await store.insertClocks(tx, run.fired.splice(0));
  }

  /** This cascade's firings for a subject, not yet written. */
  const unsavedFor = (run: RunContext, s: Subject) =>
    run.fired.filter((r) => (s.kind === "incident" ? r.incident_id === s.id : r.maintenance_id === s.id));

  /** A maintenance rule can only notify (the policy checks so): tell the roles' on-call people. */
  async function runMaintenanceActions(tx: Tx, m: MaintenanceSubject, rule: Rule, key: string, now: Date) {
    const policy = deps.policy.current();
    for (const [n, a] of rule.do.entries()) {
      if (a.notify === undefined) continue;
      const userIds: number[] = [];
      for (const role of [a.notify].flat()) {
        const rotation = policy.roles.find((r) => r.name === role)?.rotation;
        if (rotation) userIds.push(...(await deps.oncall.onCallIn(tx, rotation, now)));
      }
      const sent = await deps.notices.send(tx, {
        key: `${key}:a${n}`,
        userIds,
        incidentId: null,
        subject: `[Firebreak] ${m.criticality ? `${m.criticality} ` : ""}maintenance "${m.name}" starts at ${m.scheduledFor.toISOString().slice(11, 16)} UTC`,
        body: `${a.message ?? rule.description}\n\n${rule.rule ?? rule.id}: ${rule.description}`,
      });
      log.info(
        { rule: rule.id, maintenance: m.id, users: sent.map((s) => s.userId) },
        "maintenance notice sent",
      );
    }
  }

  /** Deadlines met by this command's events (e.g. the first public post, COMM-2), recorded now. */
  async function recordMetDeadlines(
    tx: Tx,
    subject: IncidentSubject,
    events: RuleEvent[],
    run: RunContext,
    now: Date,
  ) {
    const policy = deps.policy.current();
    const meets = new Set(
      events.map((e) =>
        e.kind === "public-post"
          ? "public-post"
          : e.kind === "status-update"
            ? "status-update"
            : e.kind === "customer-update"
              ? "customer-update"
              : "",
      ),
    );
    const facts: Facts = {};
    for (const rule of policy.rules ?? []) {
      if (!rule.deadline || (rule.on ?? "incident") !== "incident" || !meets.has(rule.deadline.metBy))
        continue;
      const anchor = anchorTime(rule.deadline.from, subject, facts);
      if (rule.deadline.metBy === "customer-update")
        await load(tx, subject, [{ kind: "customers" }], facts, now);
      const met = deadlineMetAt(rule, subject, facts);
      if (!anchor.at || !met) continue;
      const due = new Date(anchor.at.getTime() + rule.deadline.after * MINUTE);
      if (met > due) continue; // late: the due clock records it missed
      await load(tx, subject, [{ kind: "fired" }], facts, now, {
        list: undefined,
        unsaved: unsavedFor(run, subject),
      });
      const key = deadlineOutcomeKey(subject, rule.id, due);
      if (facts.firedKeys?.has(key)) continue;
      if (verdict(checkConditions(policy, rule, subject, facts, due)) !== true) continue;
      await settleDeadline(tx, subject, rule, due, met, key, now);
    }
  }

  async function settleDeadline(
    tx: Tx,
    subject: IncidentSubject,
    rule: Rule,
    due: Date,
    metAt: Date | null,
    key: string,
    now: Date,
  ) {
    const name = rule.deadline?.name ?? rule.id;
    const outcome = metAt && metAt <= due ? "met" : "missed";
    const existing = await store.getClock(tx, key);
    if (existing?.state === "fired") return;
    if (existing) await store.markFired(tx, key, now, outcome);
    else
      await store.insertClocks(tx, [
        {
          key,
          incident_id: subject.id,
          maintenance_id: null,
          rule_id: rule.id,
          rule: rule.rule ?? null,
          kind: "deadline",
          state: "fired",
          due_at: due,
          fires: `record the ${name} deadline as met or missed`,
          why: rule.description,
          deadline: name,
          outcome,
          fired_at: now,
          created_at: now,
        },
      ]);
    const hhmm = (d: Date) => `${d.toISOString().slice(11, 16)} UTC`;
    await deps.incidents.record(
      tx,
      subject.id,
      [
        {
          kind: outcome === "met" ? "rule-deadline-met" : "rule-deadline-missed",
          body:
            outcome === "met"
              ? `${rule.rule ?? rule.id}: the ${name} deadline (${hhmm(due)}) was met at ${hhmm(metAt as Date)}`
              : `${rule.rule ?? rule.id}: the ${name} deadline (${hhmm(due)}) was missed`,
          data: {
            rule: rule.id,
            deadline: name,
            dueAt: due.toISOString(),
            outcome,
            metAt: metAt?.toISOString() ?? null,
          },
        },
      ],
      now,
    );
  }

  /** A claimed clock (its subject locked by the claim): fire it if it is still wanted. */
  async function fireClaimed(tx: Tx, key: string, now: Date): Promise<void> {
    const ref = subjectOfKey(key);
    if (!ref) return;
    // The subject first: every change to its clocks is made under its lock, so what is read
    // next stays true until the commit.
    let subject: Subject | undefined;
    let locked: Incident | undefined;
    if (ref.kind === "incident") {
      locked = await deps.incidents.lock(tx, ref.id);
      subject = locked && (await incidentSubject(tx, locked));
    } else subject = await deps.maintenance?.lock(tx, ref.id);
    const rows = await store.clocksFor(tx, ref);
    const row = rows.find((r) => r.key === key);
    if (row?.state !== "pending") return;
    if (!subject) {
      await store.deleteClocks(tx, [key]);
      return;
    }
    const facts = firedFacts(rows);
    const want = (await desired(tx, subject, facts, now)).find((c) => c.key === key);
    if (!want) {
      // Stale: what it was about changed and no command cancelled it (e.g. a new policy).
      await store.deleteClocks(tx, [key]);
      await reconcile(tx, subject, { rows: rows.filter((r) => r.key !== key) });
      return;
    }
    const policy = deps.policy.current();
    const rule = (policy.rules ?? []).find((r) => r.id === row.rule_id);
    if (!rule) {
      await store.deleteClocks(tx, [key]);
      return;
    }
    const run = newRun(null);
    if (want.kind === "deadline" && subject.kind === "incident") {
      const met = deadlineMetAt(rule, subject, facts) ?? null;
      await settleDeadline(tx, subject, rule, want.dueAt, met, key, now);
    } else {
      await store.markFired(tx, key, now, null);
      if (subject.kind === "maintenance") await runMaintenanceActions(tx, subject, rule, key, now);
      else if (locked) await runActions(deps, tx, locked, { policy, rule, key, now, run });
    }
    await saveFirings(tx, run); // what the actions' changes fired in turn
    // What fired is now fired; unless the actions changed the subject (and so perhaps its
    // clocks), the rows read above are the ones to reconcile against.
    const after = rows.map((r) =>
      r.key === key ? { ...r, state: "fired" as const, fired_at: now, outcome: r.outcome } : r,
    );
    if (subject.kind === "maintenance") {
      await reconcile(tx, subject, { rows: after });
      return;
    }
    if (!run.touched.has(subject.id)) await reconcile(tx, subject, { rows: after });
    for (const id of run.touched) {
      const latest = await deps.incidents.get(tx, id);
      if (latest) await reconcile(tx, await incidentSubject(tx, latest));
    }
  }

  const service = {
    /**
     * After an incident command, in its transaction: run the event rules on what it wrote, then
     * (for the outermost command) reconcile the clocks of every incident the cascade touched.
     */
    async incidentChanged(
      tx: Tx,
      change: {
        incident: Incident;
        events: { kind: string; data: Record<string, unknown> }[];
        run: RunContext;
        isNew?: boolean;
      },
    ): Promise<void> {
      const { run } = change;
      run.touched.add(change.incident.id);
      const now = clock.now();
      const policy = deps.policy.current();
      const ruleEvents = toRuleEvents(change.events);
      let fired = false;
      if (ruleEvents.length > 0 && run.depth < MAX_DEPTH) {
        const subject = await incidentSubject(tx, change.incident);
        const facts: Facts = {};
        const { fire } = await withFacts(
          tx,
          subject,
          facts,
          now,
          () => eventRules(policy, subject, ruleEvents, facts, now),
          { list: undefined, unsaved: unsavedFor(run, subject) },
        );
        for (const { rule, event } of fire) {
          fired = true;
          await fireRule(
            tx,
            subject,
            rule,
            `on ${event.kind}${event.role ? ` (${event.role})` : ""}`,
            run,
            now,
          );
        }
        if (ruleEvents.some((e) => ["public-post", "status-update", "customer-update"].includes(e.kind))) {
          const latest = await deps.incidents.get(tx, change.incident.id);
          if (latest) await recordMetDeadlines(tx, await incidentSubject(tx, latest), ruleEvents, run, now);
        }
      } else if (ruleEvents.length > 0) {
        log.warn(
          { incident: change.incident.id, depth: run.depth },
          "rules cascade stopped at its depth limit",
        );
      }
      if (run.depth > 0) return;
      await saveFirings(tx, run);
      for (const id of run.touched) {
        // Rules that fired may have changed the incident since the command wrote it.
        const latest =
          id === change.incident.id && !fired ? change.incident : await deps.incidents.get(tx, id);
        if (latest)
          await reconcile(tx, await incidentSubject(tx, latest), {
            isNew: change.isNew && id === change.incident.id && !fired, // rules that fired wrote rows
          });
      }
    },

    /** After a maintenance changed (drafted, rescheduled, discarded): reconcile its clocks (STAT-5). */
    async maintenanceChanged(tx: Tx, m: MaintenanceSubject): Promise<void> {
      await reconcile(tx, m);
    },

    /**
     * Fires the earliest due clock nobody else holds, in one transaction (a replica that dies
     * mid-way leaves it pending for the next claim). Returns whether there was one. A clock whose
     * actions fail stays pending and is tried again later, with back-off.
     */
    async fireNext(now: Date = clock.now()): Promise<boolean> {
      let claimed: string | undefined;
      try {
        return await deps.db.transaction().execute(async (tx) => {
          claimed = await store.claimDue(tx, now);
          if (claimed === undefined) return false;
          await fireClaimed(tx, claimed, now);
          return true;
        });
      } catch (err) {
        if (claimed === undefined) throw err; // the claim itself failed: the database is away
        const key = claimed;
        const attempts = await deps.db
          .transaction()
          .execute(async (tx) => {
            const ref = subjectOfKey(key);
            if (ref?.kind === "incident") await deps.incidents.lock(tx, ref.id);
            return store.recordFailure(tx, key, String(err), now);
          })
          .catch(() => undefined);
        log.error(
          { clock: key, attempts, error: String(err) },
          "a clock's actions failed; it will be tried again",
        );
        return true;
      }
    },

    /** Re-computes the clocks of every open subject (after the policy changed). */
    async reconcileAll(): Promise<number> {
      let count = 0;
      const since = new Date(clock.now().getTime() - 2 * 86_400_000);
      for (const kind of ["incident", "maintenance"] as const) {
        let after = 0;
        for (;;) {
          const ids = await store.openSubjects(deps.db, kind, after, 200, since);
          if (ids.length === 0) break;
          for (const id of ids) {
            await deps.db.transaction().execute(async (tx) => {
              if (kind === "incident") {
                const i = await deps.incidents.lock(tx, id);
                if (i) await reconcile(tx, await incidentSubject(tx, i));
              } else {
                const m = await deps.maintenance?.lock(tx, id);
                if (m) await reconcile(tx, m);
              }
            });
            count++;
          }
          after = ids.at(-1) ?? after;
        }
      }
      return count;
    },

    /** Pending clocks and what fired, for the clocks API and `policy explain`. */
    async clocksOf(incidentId: number) {
      return {
        pending: await store.pendingClocks(deps.db, { kind: "incident", id: incidentId }),
        fired: await store.firedFor(deps.db, { kind: "incident", id: incidentId }),
      };
    },

    /**
     * `policy simulate`: the incident's recorded timeline replayed under the policy in force and
     * under `other`, up to now; what each would have done, and where they differ.
     */
    async simulate(incident: Incident, other: Policy) {
      const tx = deps.db;
      const now = clock.now();
      const events = await deps.incidents.timeline(tx, incident.id);
      const from = events[0]?.at ?? incident.declaredAt;
      // A day past its end is enough to see its deadlines settle, and keeps repeats bounded.
      const ended = incident.closedAt ?? incident.resolvedAt;
      const until =
        ended && ended.getTime() + 86_400_000 < now.getTime() ? new Date(ended.getTime() + 86_400_000) : now;
      const others = await deps.incidents.lifetimes(tx, incident.id, from, until);
      const automated = await declaredByAutomation(tx, incident);
      const a = replay(deps.policy.current(), incident, automated, events, others, until);
      const b = replay(other, incident, automated, events, others, until);
      const present = (x: SimAction) => ({ ...x, at: x.at.toISOString() });
      return {
        incidentId: incident.id,
        from: from.toISOString(),
        until: until.toISOString(),
        inForce: a.actions.map(present),
        other: b.actions.map(present),
        onlyInForce: difference(a.actions, b.actions).map(present),
        onlyOther: difference(b.actions, a.actions).map(present),
        notes: [
          "The replay follows what people did; pages are listed, not sent, and nobody acknowledges them in the replay.",
          "Who is on call is not replayed: rules that depend on it (a busy IM, a shift's end) are taken not to apply.",
          ...(a.truncated || b.truncated ? ["The list was cut at 500 actions."] : []),
        ],
      };
    },

    /** Every rule held against the incident now: does it apply, and why (not). */
    async explainIncident(incident: Incident) {
      const tx = deps.db;
      const policy = deps.policy.current();
      const now = clock.now();
      const subject = await incidentSubject(tx, incident);
      const facts: Facts = {};
      await load(tx, subject, [{ kind: "fired" }], facts, now);
      const clocks = await desired(tx, subject, facts, now);
      const out = [];
      for (const rule of (policy.rules ?? []).filter((r) => (r.on ?? "incident") === "incident")) {
        const needs = checkConditions(policy, rule, subject, facts, now)
          .filter((c) => c.ok === undefined && c.need)
          .map((c) => c.need as FactNeed);
        await load(tx, subject, needs, facts, now);
        const checks = checkConditions(policy, rule, subject, facts, now);
        out.push({
          rule,
          checks,
          holds: verdict(checks) === true,
          clocks: clocks.filter((c) => c.ruleId === rule.id),
          firedAt: facts.firstFired?.get(rule.id) ?? null,
        });
      }
      return { now, rules: out };
    },

    subjectOf: incidentSubject,

    /** Whether a rule reacts to this kind of timeline event (others' events then cost nothing). */
    reactsTo(kind: string): boolean {
      const events = toRuleEvents([{ kind, data: {} }]).map((e) => e.kind);
      return (
        events.length > 0 &&
        (deps.policy.current().rules ?? []).some((r) => r.when?.some((w) => events.includes(w)))
      );
    },

    register() {
      jobs.attach({ name: "process clocks", runNext: (now) => service.fireNext(now) });
      jobs.register("policy.reconcile", async () => {
        const n = await service.reconcileAll();
        log.info({ subjects: n }, "clocks reconciled with the policy in force");
      });
    },
    /** Asks one replica to reconcile every clock with the policy in force (after a reload). */
    async scheduleReconcile(): Promise<void> {
      await jobs.add(deps.db, "policy.reconcile", {}, { key: "policy:reconcile" });
    },
  };

  return service;
}

export type Process = ReturnType<typeof createProcess>;
export type { Policy };
