/**
 * Status from service levels (STAT-4, COMM-2, COMM-3). A durable job judges every component's
 * objectives against Prometheus once per interval, at the cycle's due instant; a component whose
 * judgement turns bad opens a breach, which in one transaction links (or opens) a triage incident,
 * engages the CMOC and drafts the component's status change as a public post for approval. A
 * worsening drafts one more update, recovery drafts the all-clear. Open alerts of services mapped to
 * a component propose its status the same way (drafts only: the alerts page through their own
 * escalation policy). Nothing is ever published here: an approver does that (COMM-3).
 */
import type { IncidentService } from "../incidents/service.ts";
import type { Actor } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { invalid, notFound } from "../platform/errors.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import type { PolicySource } from "../policy/source.ts";
import * as statusStore from "../statuspage/store.ts";
import { type BreachDeps, createBreaches } from "./breaches.ts";
import {
  alertProposal,
  componentLevel,
  type Judgement,
  judge,
  nextDue,
  nextStep,
  type ObjectiveKind,
  objectiveWords,
  statusOfLevel,
  type Window,
} from "./model.ts";
import type { Prometheus } from "./prometheus.ts";
import type { BreachSource, ObjectiveRow, ProposedStatus, SloDb } from "./store.ts";
import * as store from "./store.ts";
import { asStatusDb } from "./store.ts";

export const CYCLE_JOB = "service-levels-cycle";

export type ServiceLevelSettings = {
  /** How often every objective is judged (default 30 s). */
  intervalMs: number;
  /** STAT-4's "sustained": how far back every sample must be bad (default 5 minutes). */
  sustainMs: number;
  /** The range query's step inside that window (default 30 s). */
  stepMs: number;
  /** Range queries in flight at once (default 16). */
  concurrency: number;
};

export const defaultServiceLevelSettings: ServiceLevelSettings = {
  intervalMs: 30_000,
  sustainMs: 300_000,
  stepMs: 30_000,
  concurrency: 16,
};

/** One evaluation cycle, for the benchmark and the log. */
export type CycleReport = {
  due: Date;
  startedAt: number;
  finishedAt: number;
  objectives: number;
  judged: number;
  changes: number;
  cpuMicros: number;
};

export type ObjectiveInput = { kind: ObjectiveKind; query: string; threshold: number };

export function createServiceLevels(deps: {
  db: SloDb;
  clock: Clock;
  jobs: Jobs;
  log: Logger;
  policy: PolicySource;
  /** PROMETHEUS_URL's client; undefined when it is not set (objectives are then not judged). */
  prometheus?: Prometheus;
  settings?: Partial<ServiceLevelSettings>;
  incidents: IncidentService;
  /** Pages an escalation policy for an incident (paging.pageForIncident), engaging the role. */
  pageRole: BreachDeps["pageRole"];
}) {
  const { db, clock, jobs, log } = deps;
  const settings = { ...defaultServiceLevelSettings, ...deps.settings };
  const cycles: CycleReport[] = [];

  let automation: Actor | undefined;
  async function automationActor(tx: SloDb): Promise<Actor> {
    automation ??= {
      id: await store.automationUserId(tx),
      username: "@service-levels",
      role: "responder",
      tokenId: 0,
    };
    return automation;
  }
  const { act } = createBreaches({ ...deps, automationActor });

  async function componentOr404(tx: SloDb, slug: string, componentId: number) {
    const page = await statusStore.findPage(asStatusDb(tx), slug);
    if (!page) throw notFound("status page", slug);
    const c = await statusStore.getComponent(asStatusDb(tx), page.id, componentId);
    if (!c) throw notFound("component", componentId);
    return c;
  }

  /** Starts the schedule in `tx` unless it runs already (a new set-up is judged at once). */
  async function arm(tx: SloDb, at = clock.now()) {
    await jobs.add(tx, CYCLE_JOB, { due: at.toISOString() }, { runAt: at, key: CYCLE_JOB });
  }

  function checkObjectives(objectives: ObjectiveInput[]) {
    const kinds = new Set<string>();
    for (const [i, o] of objectives.entries()) {
      if (kinds.has(o.kind))
        throw invalid(`objectives.${i}.kind`, `${o.kind} is given twice; one line per kind`);
      kinds.add(o.kind);
      if (o.kind === "apdex" && !(o.threshold > 0 && o.threshold <= 1))
        throw invalid(
          `objectives.${i}.threshold`,
          "an apdex objective is a score above 0 and at most 1, e.g. 0.95",
        );
      if (o.kind !== "apdex" && !(o.threshold >= 0 && o.threshold < 1))
        throw invalid(
          `objectives.${i}.threshold`,
          "an error ratio line is a share of requests from 0 up to (not including) 1, e.g. 0.01",
        );
    }
    const er = objectives.find((o) => o.kind === "error_ratio");
    const out = objectives.find((o) => o.kind === "outage");
    if (er && out && out.threshold <= er.threshold)
      throw invalid(
        "objectives",
        `the outage error line (${out.threshold}) must be above the error-ratio objective (${er.threshold}): an outage is worse than degraded`,
      );
  }

  // -- reading ------------------------------------------------------------------------------------

  async function view(slug: string, componentId: number) {
    const c = await componentOr404(db, slug, componentId);
    const [objectives, alertServices, breaches] = await Promise.all([
      store.listObjectives(db, c.id),
      store.listAlertServices(db, c.id),
      store.listBreaches(db, c.id, 20),
    ]);
    return {
      componentId: c.id,
      objectives,
      alertServices,
      breaches,
      evaluation: {
        prometheus: deps.prometheus !== undefined,
        intervalSeconds: settings.intervalMs / 1000,
        sustainSeconds: settings.sustainMs / 1000,
      },
    };
  }

  // -- judging --------------------------------------------------------------------------------------

  async function judgeAll(objectives: ObjectiveRow[], w: Window): Promise<Map<number, Judgement>> {
    const out = new Map<number, Judgement>();
    const prometheus = deps.prometheus;
    if (!prometheus) {
      for (const o of objectives)
        out.set(o.id, { state: "unknown", value: null, reason: "PROMETHEUS_URL is not set" });
      return out;
    }
    const client: Prometheus = prometheus;
    let next = 0;
    const start = new Date(w.at - w.sustainMs);
    const end = new Date(w.at);
    async function worker() {
      while (next < objectives.length) {
        const o = objectives[next++] as ObjectiveRow;
        const answer = await client.queryRange(o.query, start, end, w.stepMs);
        out.set(
          o.id,
          answer.ok
            ? judge(o.kind, o.threshold, answer.samples, w)
            : { state: "unknown", value: null, reason: answer.reason },
        );
      }
    }
    await Promise.all(Array.from({ length: Math.min(settings.concurrency, objectives.length) }, worker));
    return out;
  }

  const fmt = (v: number | null) => (v === null ? "no value" : String(Math.round(v * 10_000) / 10_000));

  /** One cycle at `due`: judge, record, and act on every component whose judgement changed. */
  async function evaluate(due: Date): Promise<CycleReport> {
    const startedAt = Date.now();
    const cpu = process.cpuUsage();
    const w: Window = { at: due.getTime(), sustainMs: settings.sustainMs, stepMs: settings.stepMs };
    const [objectives, open, mappings] = await Promise.all([
      store.listObjectives(db),
      store.openBreaches(db),
      store.alertServicesWithOpenAlerts(db),
    ]);
    const judgements = await judgeAll(objectives, w);
    await store.recordJudgements(
      db,
      objectives.map((o) => {
        const j = judgements.get(o.id) as Judgement;
        return { id: o.id, state: j.state, value: j.value, reason: j.state === "unknown" ? j.reason : null };
      }),
      due,
    );
    const openOf = (componentId: number, source: BreachSource) =>
      open.find((b) => b.component_id === componentId && b.source === source);
    let changes = 0;

    // Objectives: each component's level against its open breach.
    const byComponent = new Map<number, ObjectiveRow[]>();
    for (const o of objectives)
      byComponent.set(o.component_id, [...(byComponent.get(o.component_id) ?? []), o]);
    for (const [componentId, os] of byComponent) {
      const js = os.map((o) => ({ o, kind: o.kind, judgement: judgements.get(o.id) as Judgement }));
      const level = componentLevel(js);
      const proposed = level === "outage" || level === "degraded" ? statusOfLevel(level) : level;
      const step = nextStep(openOf(componentId, "objectives")?.status ?? null, proposed);
      if (step.kind === "none") continue;
      const reasons = js
        .filter((j) => j.judgement.state === "breached")
        .map(
          (j) =>
            `${j.kind === "apdex" ? "apdex" : "error ratio"} ${fmt(j.judgement.value)} ${j.kind === "apdex" ? "below" : "above"} the ${objectiveWords[j.kind]} ${j.o.threshold} for ${settings.sustainMs / 60_000} minutes`,
        );
      changes += await act(componentId, "objectives", step, reasons);
    }
    // Components whose objectives were all removed while a breach was open: it ends.
    for (const b of open)
      if (b.source === "objectives" && !byComponent.has(b.component_id))
        changes += await act(b.component_id, "objectives", { kind: "recover" }, []);

    // Alerts mapped to components: the worst status their open alerts propose.
    const byMapped = new Map<number, typeof mappings>();
    for (const m of mappings) byMapped.set(m.component_id, [...(byMapped.get(m.component_id) ?? []), m]);
    const alertComponents = new Set([
      ...byMapped.keys(),
      ...open.filter((b) => b.source === "alerts").map((b) => b.component_id),
    ]);
    for (const componentId of alertComponents) {
      const ms = byMapped.get(componentId) ?? [];
      const proposal = alertProposal(
        ms.map((m) => ({ status: m.status, openAlerts: Number(m.open_alerts ?? 0) })),
      );
      const step = nextStep(openOf(componentId, "alerts")?.status ?? null, proposal ?? "ok");
      if (step.kind === "none") continue;
      const reasons = ms
        .filter((m) => Number(m.open_alerts ?? 0) > 0)
        .map((m) => `${m.open_alerts} open alert(s) of the service ${m.service_name}`);
      changes += await act(componentId, "alerts", step, reasons);
    }

    const used = process.cpuUsage(cpu);
    const report: CycleReport = {
      due,
      startedAt,
      finishedAt: Date.now(),
      objectives: objectives.length,
      judged: judgements.size,
      changes,
      cpuMicros: used.user + used.system,
    };
    cycles.push(report);
    if (cycles.length > 1000) cycles.splice(0, cycles.length - 1000);
    log.debug({ ...report, due: due.toISOString() }, "service levels judged");
    return report;
  }

  return {
    settings,
    view,
    evaluate,
    /** The latest cycles (at most 1000), oldest first. */
    recentCycles: () => [...cycles],

    /** Replaces a component's objectives (one per kind; an empty list removes them). */
    async setObjectives(slug: string, componentId: number, objectives: ObjectiveInput[]) {
      checkObjectives(objectives);
      await db.transaction().execute(async (tx) => {
        const c = await componentOr404(tx, slug, componentId);
        if (c.is_group)
          throw invalid(
            "componentId",
            `component ${c.id} is a group; its status is its members' worst, so objectives go on the members`,
          );
        await store.replaceObjectives(tx, c.id, objectives, clock.now());
        if (objectives.length) await arm(tx);
      });
      return view(slug, componentId);
    },

    /** Replaces which alert services propose this component's status. */
    async setAlertServices(
      slug: string,
      componentId: number,
      services: { serviceId: number; status: ProposedStatus }[],
    ) {
      const seen = new Set<number>();
      for (const [i, s] of services.entries()) {
        if (seen.has(s.serviceId))
          throw invalid(`services.${i}.serviceId`, `service ${s.serviceId} is given twice`);
        seen.add(s.serviceId);
      }
      await db.transaction().execute(async (tx) => {
        const c = await componentOr404(tx, slug, componentId);
        if (c.is_group)
          throw invalid("componentId", `component ${c.id} is a group; map alert services to its members`);
        const missing = await store.missingServices(tx, [...seen]);
        if (missing.length) throw invalid("services", `no service with id ${missing.join(", ")}`);
        await store.replaceAlertServices(tx, c.id, services, clock.now());
        if (services.length) await arm(tx);
      });
      return view(slug, componentId);
    },

    /** The durable schedule: one job, re-armed by each cycle while there is anything to judge. */
    register() {
      jobs.register(CYCLE_JOB, async (payload) => {
        const due = typeof payload.due === "string" ? new Date(payload.due) : clock.now();
        try {
          await evaluate(due);
        } catch (err) {
          log.error({ err }, "a service-level cycle failed; the next one runs on time");
        }
        if (!(await store.anythingToEvaluate(db))) return;
        const next = new Date(nextDue(due.getTime(), clock.now().getTime(), settings.intervalMs));
        await jobs.add(db, CYCLE_JOB, { due: next.toISOString() }, { runAt: next, key: CYCLE_JOB });
      });
    },

    /** On start: the schedule runs when there is anything to judge (a lost job is re-armed). */
    async start() {
      try {
        if (await store.anythingToEvaluate(db)) await arm(db);
      } catch (err) {
        log.warn({ err }, "could not arm the service-level schedule; a change of objectives arms it");
      }
    },
  };
}

export type ServiceLevels = ReturnType<typeof createServiceLevels>;
