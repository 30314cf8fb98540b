/**
 * Acting on a service-level change (STAT-4, COMM-2, COMM-3): a component's breach opens, worsens
 * or ends in one transaction each — the triage incident linked or opened, the CMOC engaged, the
 * public post drafted for an approver. service.ts decides when; this file does it.
 */
import type { IncidentService } from "../incidents/service.ts";
import type { IncidentDb } from "../incidents/store.ts";
import type { Actor } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import type { Logger } from "../platform/logger.ts";
import type { PolicySource } from "../policy/source.ts";
import * as statusStore from "../statuspage/store.ts";
import type { ComponentStatus } from "../statuspage/types.ts";
import { draftWords, type nextStep } from "./model.ts";
import type { BreachRow, BreachSource, ProposedStatus, SloDb } from "./store.ts";
import * as store from "./store.ts";
import { asStatusDb } from "./store.ts";

/** COMM-2: the role a breach engages. */
const CMOC = "CMOC";

export type BreachStep = Exclude<ReturnType<typeof nextStep>, { kind: "none" }>;

export type BreachDeps = {
  db: SloDb;
  clock: Clock;
  log: Logger;
  policy: PolicySource;
  incidents: IncidentService;
  /** Pages an escalation policy for an incident (paging.pageForIncident), engaging the role. */
  pageRole(
    tx: SloDb,
    input: {
      policyName: string;
      title: string;
      incidentId: number;
      severity: string;
      role: string;
      rule: string;
    },
  ): Promise<"paged" | "already-paged" | "no-policy">;
  /** The service-levels automation user that drafts and notes. */
  automationActor(tx: SloDb): Promise<Actor>;
};

export function createBreaches(deps: BreachDeps) {
  const { db, clock, log, automationActor } = deps;
  const asIncidentDb = (tx: SloDb) => tx as unknown as IncidentDb;

  /** One component's breach opens, worsens or ends: one transaction. Returns 1 when it acted. */
  async function act(
    componentId: number,
    source: BreachSource,
    step: BreachStep,
    reasons: string[],
  ): Promise<number> {
    try {
      return await db.transaction().execute(async (tx) => {
        const c = await store.lockComponent(tx, componentId);
        if (!c) return 0;
        const now = clock.now();
        const actor = await automationActor(tx);
        if (step.kind === "open") {
          const status = step.status as ProposedStatus;
          const b = await store.insertBreach(tx, {
            component_id: c.id,
            source,
            status,
            reasons,
            started_at: now,
          });
          if (!b) return 0; // another replica's cycle opened it
          const incidentId = await linkOrOpen(tx, c, source, status, reasons, actor);
          if (incidentId !== null) {
            await note(tx, incidentId, "status-page-breach", breachWords(c.name, status, source, reasons), {
              componentId: c.id,
              breachId: b.id,
              status,
              reasons,
            });
            if (source === "objectives") await engageCmoc(tx, incidentId, c.name);
          }
          const draft = await draftPost(tx, c, incidentId, status, source, actor, now);
          await store.updateBreach(tx, b.id, {
            incident_id: incidentId,
            status_incident_id: draft.statusIncidentId,
            draft_update_ids: [draft.updateId],
          });
          return 1;
        }
        const b = await store.lockOpenBreach(tx, c.id, source);
        if (!b) return 0;
        if (step.kind === "worsen") {
          const status = step.status as ProposedStatus;
          if (b.incident_id !== null) {
            await note(
              tx,
              b.incident_id,
              "status-page-breach",
              breachWords(c.name, status, source, reasons),
              {
                componentId: c.id,
                breachId: b.id,
                status,
                reasons,
              },
            );
            if (source === "objectives") await engageCmoc(tx, b.incident_id, c.name);
          }
          const draft = await draftUpdate(tx, b, c, status, source, actor, now);
          await store.updateBreach(tx, b.id, {
            status,
            reasons,
            status_incident_id: draft.statusIncidentId,
            draft_update_ids: [...b.draft_update_ids, draft.updateId],
          });
          return 1;
        }
        // Recovery: the all-clear is drafted on the breach's public incident unless it is over already.
        const ids = [...b.draft_update_ids];
        const si =
          b.status_incident_id === null
            ? undefined
            : await statusStore.lockIncident(asStatusDb(tx), b.status_incident_id);
        if (si && si.status !== "resolved") {
          const words = draftWords(c.name, b.status, source);
          const u = await statusStore.insertUpdate(
            asStatusDb(tx),
            {
              status_incident_id: si.id,
              status: "resolved",
              body: words.allClear,
              affected: [{ componentId: c.id, newStatus: "operational" }],
              drafted_by: actor.id,
            },
            now,
          );
          ids.push(u.id);
          if (b.incident_id !== null)
            await note(tx, b.incident_id, "status-page-update", `drafted the all-clear for "${si.name}"`, {
              updateId: u.id,
            });
        }
        if (b.incident_id !== null)
          await note(
            tx,
            b.incident_id,
            "status-page-recovery",
            `${c.name} is within its ${source === "objectives" ? "service levels" : "alerts"} again`,
            { componentId: c.id, breachId: b.id },
          );
        await store.updateBreach(tx, b.id, { ended_at: now, draft_update_ids: ids });
        return 1;
      });
    } catch (err) {
      log.error(
        { err, componentId, source },
        "acting on a service-level change failed; the next cycle tries again",
      );
      return 0;
    }
  }

  function breachWords(component: string, status: ComponentStatus, source: BreachSource, reasons: string[]) {
    const what = status === "degraded_performance" ? "degraded" : status.replace("_", " ");
    return `${source === "objectives" ? "STAT-4" : "alerts"}: ${component} is ${what} (${reasons.join("; ") || "no reason recorded"})`;
  }

  async function note(
    tx: SloDb,
    incidentId: number,
    kind: `status-page-${string}`,
    body: string,
    data: Record<string, unknown>,
  ) {
    await deps.incidents.recordEvent(
      asIncidentDb(tx),
      incidentId,
      { kind, body, data },
      (await automationActor(tx)).id,
      clock.now(),
    );
  }

  /**
   * The triage incident of a breach: one a breach of the other source holds open, else an open
   * incident of the component's alerting services, else (objectives only) a new triage incident.
   */
  async function linkOrOpen(
    tx: SloDb,
    c: { id: number; name: string },
    source: BreachSource,
    status: ComponentStatus,
    reasons: string[],
    actor: Actor,
  ): Promise<number | null> {
    const other = await store.lockOpenBreach(tx, c.id, source === "objectives" ? "alerts" : "objectives");
    const open = async (id: number | null) => {
      if (id === null) return null;
      const i = await deps.incidents.rulesPort.get(asIncidentDb(tx), id);
      return i && ["triage", "investigating", "fixing", "monitoring"].includes(i.state) ? id : null;
    };
    const linked = (await open(other?.incident_id ?? null)) ?? (await store.openAlertIncident(tx, c.id));
    if (linked !== null || source === "alerts") return linked;
    const policy = deps.policy.current();
    const incident = await deps.incidents.declare(
      actor,
      {
        title: `${c.name}: ${status === "major_outage" ? "outage" : "degraded"} (service levels)`,
        type: policy.incidentTypes[0]?.name ?? "",
        severity: policy.severities.at(-1)?.id ?? "",
        status: "triage",
        summary: `Opened by the service levels of ${c.name} (STAT-4): ${reasons.join("; ")}. Accept it (with a severity) or decline it.`,
      },
      asIncidentDb(tx),
    );
    return incident.id;
  }

  /** COMM-2: a degraded or outage lasting over 5 minutes engages the CMOC. */
  async function engageCmoc(tx: SloDb, incidentId: number, component: string) {
    const i = await deps.incidents.rulesPort.get(asIncidentDb(tx), incidentId);
    if (!i) return;
    if (i.roles[CMOC] !== undefined) {
      await note(tx, incidentId, "status-page-breach", `COMM-2: the ${CMOC} holds the role already`, {
        role: CMOC,
        userId: i.roles[CMOC],
      });
      return;
    }
    const def = deps.policy.current().roles.find((r) => r.name === CMOC);
    if (!def?.escalationPolicy) {
      await note(
        tx,
        incidentId,
        "status-page-breach",
        `COMM-2: the ${CMOC} role has no escalation policy; nobody was paged`,
        {
          role: CMOC,
        },
      );
      return;
    }
    await deps.pageRole(tx, {
      policyName: def.escalationPolicy,
      title: `${component}: service levels breached (COMM-2): incident #${i.id}`,
      incidentId: i.id,
      severity: i.severity,
      role: CMOC,
      rule: "COMM-2",
    });
  }

  /** COMM-3: a new public incident with its first update, a draft until an approver publishes it. */
  async function draftPost(
    tx: SloDb,
    c: { id: number; name: string; page_id: number },
    incidentId: number | null,
    status: ComponentStatus,
    source: BreachSource,
    actor: Actor,
    now: Date,
  ) {
    const words = draftWords(c.name, status, source);
    const si = await statusStore.insertIncident(
      asStatusDb(tx),
      {
        page_id: c.page_id,
        incident_id: incidentId,
        kind: "incident",
        name: words.name,
        status: "investigating",
        impact: "none",
        security: false,
        published: false,
        scheduled_for: null,
        scheduled_until: null,
        started_at: now,
        monitoring_at: null,
        resolved_at: null,
        criticality: null,
      },
      now,
    );
    const u = await statusStore.insertUpdate(
      asStatusDb(tx),
      {
        status_incident_id: si.id,
        status: "investigating",
        body: words.body,
        affected: [{ componentId: c.id, newStatus: status }],
        drafted_by: actor.id,
      },
      now,
    );
    if (incidentId !== null)
      await note(tx, incidentId, "status-page-update", `drafted a status page update for "${si.name}"`, {
        updateId: u.id,
      });
    return { statusIncidentId: si.id, updateId: u.id };
  }

  /** A worsening: one more draft on the breach's public incident (a new one if that is over). */
  async function draftUpdate(
    tx: SloDb,
    b: BreachRow,
    c: { id: number; name: string; page_id: number },
    status: ComponentStatus,
    source: BreachSource,
    actor: Actor,
    now: Date,
  ) {
    const si =
      b.status_incident_id === null
        ? undefined
        : await statusStore.lockIncident(asStatusDb(tx), b.status_incident_id);
    if (!si || si.status === "resolved") return draftPost(tx, c, b.incident_id, status, source, actor, now);
    const words = draftWords(c.name, status, source);
    const u = await statusStore.insertUpdate(
      asStatusDb(tx),
      {
        status_incident_id: si.id,
        status: si.status,
        body: words.body,
        affected: [{ componentId: c.id, newStatus: status }],
        drafted_by: actor.id,
      },
      now,
    );
    if (b.incident_id !== null)
      await note(tx, b.incident_id, "status-page-update", `drafted a status page update for "${si.name}"`, {
        updateId: u.id,
      });
    return { statusIncidentId: si.id, updateId: u.id };
  }

  return { act };
}
