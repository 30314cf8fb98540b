/**
 * Alert commands: services and their keys, intake (every sender's events go through one batched
 * writer), grouping into triage incidents that page (DEC-3, SEV-6), changes, heartbeats and
 * maintenance windows.
 */
import { randomBytes } from "node:crypto";
import type { Incident } from "../incidents/model.ts";
import { openStates } from "../incidents/model.ts";
import type { IncidentService } from "../incidents/service.ts";
import type { IncidentDb } from "../incidents/store.ts";
import type { Urgency } from "../paging/model.ts";
import type { PagingService } from "../paging/service.ts";
import type { PagingDb } from "../paging/store.ts";
import { type Actor, hashToken } from "../platform/auth.ts";
import { createBatcher } from "../platform/batcher.ts";
import type { Clock } from "../platform/clock.ts";
import { AppError, invalid, notFound } from "../platform/errors.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import type { PolicySource } from "../policy/source.ts";
import {
  type AlertEvent,
  type AlertStatus,
  type FoldedAlert,
  foldBatch,
  type GenericMapping,
  isFlapping,
  placeAlerts,
} from "./model.ts";
import { createSourceSilence } from "./source-silence.ts";
import type { AlertDb, LockedService, UpsertedAlert } from "./store.ts";
import * as store from "./store.ts";
import * as vendorStore from "./vendor-store.ts";

export type IntakeItem = { serviceId: number; event: AlertEvent };
export type IntakeResult = { dedupKey: string };

/** A resolved integration key: the service it belongs to and, for the generic webhook, its mapping. */
export type Integration = {
  keyId: number;
  serviceId: number;
  serviceName: string;
  mapping: GenericMapping | null;
};

export type ServiceBody = {
  name: string;
  description?: string;
  escalationPolicyId?: number;
  incidentType?: string;
  incidentSeverity?: string;
  groupingWindowMinutes?: number;
  flapChanges?: number;
  flapWindowMinutes?: number;
  teamId?: number;
};

const KEY_CACHE_MS = 5_000;
const DEFAULT_POLICY = "Engineer On Call";
const DEFAULTS = { groupingWindowMinutes: 60, flapChanges: 4, flapWindowMinutes: 30 };

export type AlertServiceDeps = {
  db: AlertDb;
  clock: Clock;
  policy: PolicySource;
  jobs: Jobs;
  incidents: IncidentService;
  paging: PagingService;
  /** The urgency of a page for an incident of this severity now (SEV-5). */
  urgencyFor: (severity: string) => Urgency;
  intake?: { maxBatch?: number; maxConcurrent?: number; maxQueued?: number };
  log?: Logger;
};

/**
 * Runs a transaction again when PostgreSQL aborted it for a deadlock or a serialization failure:
 * concurrent groups can lock the same alerts in different orders (acknowledge/resolve updates).
 */
async function retryConflicts<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (i >= attempts || (code !== "40P01" && code !== "40001")) throw err;
    }
  }
}

/** A new integration key: 32 lowercase hex characters, the length Events v2 senders expect. */
const newKey = () => randomBytes(16).toString("hex");

export function createAlertService(deps: AlertServiceDeps) {
  const { db, clock, jobs, incidents, paging } = deps;
  const policyNow = () => deps.policy.current();
  const asIncidentDb = (tx: AlertDb) => tx as unknown as IncidentDb;
  const asPagingDb = (tx: AlertDb) => tx as unknown as PagingDb;

  let automation: Actor | undefined;
  // Made in its own committed statement on the pool, never in the caller's transaction: the id is
  // kept for the process, and concurrent intake transactions use it before that one would commit.
  async function automationActor(): Promise<Actor> {
    automation ??= {
      id: await store.automationUserId(db),
      username: "@alerts",
      role: "responder",
      tokenId: 0,
    };
    return automation;
  }

  // -- keys ------------------------------------------------------------------------------------
  const keyCache = new Map<string, { at: number; integration: Integration | null }>();

  async function integrationFor(key: string): Promise<Integration | null> {
    const hash = hashToken(key);
    const cached = keyCache.get(hash);
    if (cached && Date.now() - cached.at < KEY_CACHE_MS) {
      if (cached.integration) await silence.heardFrom(cached.integration.keyId, cached.integration.serviceId);
      return cached.integration;
    }
    const row = await store.findKey(db, hash);
    const integration = row
      ? { keyId: row.id, serviceId: row.service_id, serviceName: row.name, mapping: row.mapping }
      : null;
    if (keyCache.size > 10_000) keyCache.clear();
    keyCache.set(hash, { at: Date.now(), integration });
    if (integration) await silence.heardFrom(integration.keyId, integration.serviceId);
    return integration;
  }

  // -- placing alerts ----------------------------------------------------------------------------
  const defaultType = () => policyNow().incidentTypes[0]?.name ?? "";
  const leastSevere = () => policyNow().severities.at(-1)?.id ?? "";

  async function record(
    tx: AlertDb,
    incidentId: number,
    kind: `alert-${string}`,
    body: string,
    data: Record<string, unknown>,
    actorId: number,
  ) {
    await incidents.recordEvent(asIncidentDb(tx), incidentId, { kind, body, data }, actorId, clock.now());
  }

  async function openGroup(tx: AlertDb, s: LockedService, first: UpsertedAlert & { summary: string }) {
    const actor = await automationActor();
    const incident: Incident = await incidents.declare(
      actor,
      {
        title: `${s.name}: ${first.summary}`.slice(0, 300),
        type: s.incident_type ?? defaultType(),
        severity: s.incident_severity ?? leastSevere(),
        status: "triage",
        summary: `Opened by alerts of the service ${s.name}. Accept it (with a severity) or decline it.`,
      },
      asIncidentDb(tx),
    );
    const page = await paging.trigger(
      actor,
      {
        policyId: s.escalation_policy_id,
        title: incident.title,
        urgency: deps.urgencyFor(incident.severity),
        incidentId: incident.id,
      },
      asPagingDb(tx),
    );
    const group = await store.insertGroup(
      tx,
      { service_id: s.id, incident_id: incident.id, page_id: page.id },
      clock.now(),
    );
    await record(
      tx,
      incident.id,
      "alert-grouped",
      `alerts of ${s.name} open this triage incident`,
      { serviceId: s.id },
      actor.id,
    );
    return group.id;
  }

  type Opened = UpsertedAlert & { summary: string };

  /** The latest group of a service as placeAlerts sees it. */
  const groupOf = (s: LockedService) =>
    s.group_id === null || s.group_last_alert_at === null
      ? null
      : {
          id: s.group_id,
          incidentOpen: s.incident_open === true,
          pageResolved: s.page_state === null || s.page_state === "resolved",
          lastAlertAt: s.group_last_alert_at,
        };

  const flagsOf = (s: LockedService, alerts: Opened[], now: Date) => {
    const flap = { changes: s.flap_changes, windowMinutes: s.flap_window_minutes };
    return alerts.map((a) => ({ a, flapping: !a.inserted && isFlapping(a.changes, now, flap) }));
  };

  /**
   * Whether these alerts of the service just join its open group: no maintenance, no new group, no
   * re-page. Joining needs no lock — only opening a group or re-paging does (one incident and one
   * page per group, whatever runs at once) — so a hot service's batches do not queue on its lock.
   * Decided on a state read without the lock: a group another batch opens meanwhile is seen only
   * after that batch commits, and joining the group before it is what running first would have done.
   */
  const joinsOpenGroup = (s: LockedService, flags: { flapping: boolean }[], now: Date) => {
    if (s.in_maintenance) return false;
    const where = placeAlerts(groupOf(s), now, s.grouping_window_minutes, flags);
    return where.kind === "attach" && !where.repage;
  };

  /** A group's last-alert time is moved on by the lock-free path only when older than this (the window is minutes). */
  const TOUCH_AFTER_MS = 1000;
  const stale = (s: LockedService, now: Date) =>
    s.group_last_alert_at === null || now.getTime() - s.group_last_alert_at.getTime() >= TOUCH_AFTER_MS;

  /** Newly firing alerts: flapping, maintenance, then the group they join (or open). */
  async function place(tx: AlertDb, opened: Opened[], now: Date, seen: ReadonlyMap<number, LockedService>) {
    const byService = new Map<number, Opened[]>();
    for (const a of opened) {
      const list = byService.get(a.service_id);
      if (list) list.push(a);
      else byService.set(a.service_id, [a]);
    }
    // Attachments are written for all services at once: two statements per batch, not per service.
    const attach: { alertIds: number[]; groupId: number }[] = [];
    const touched: { groupId: number; pageId: number | null }[] = [];
    const toLock: number[] = [];
    for (const [id, alerts] of byService) {
      const s = seen.get(id);
      if (s && joinsOpenGroup(s, flagsOf(s, alerts, now), now)) {
        await placeService(tx, s, alerts, now, attach, stale(s, now) ? touched : []);
      } else toLock.push(id);
    }
    if (toLock.length) {
      for (const s of await store.lockServices(tx, toLock, now, openStates))
        await placeService(tx, s, byService.get(s.id) ?? [], now, attach, touched);
    }
    await store.attachAlerts(tx, attach);
    return touched;
  }

  async function placeService(
    tx: AlertDb,
    s: LockedService,
    alerts: Opened[],
    now: Date,
    attach: { alertIds: number[]; groupId: number }[],
    touched: { groupId: number; pageId: number | null }[],
  ) {
    const flags = flagsOf(s, alerts, now);
    await store.setAlerts(
      tx,
      flags
        .filter((f) => f.flapping !== f.a.flapping)
        .filter((f) => f.flapping)
        .map((f) => f.a.id),
      { flapping: true },
    );
    await store.setAlerts(
      tx,
      flags
        .filter((f) => f.flapping !== f.a.flapping)
        .filter((f) => !f.flapping)
        .map((f) => f.a.id),
      { flapping: false },
    );
    const ids = alerts.map((a) => a.id);
    if (s.in_maintenance) {
      // Recorded, never paged: the service is being worked on.
      await store.setAlerts(tx, ids, { suppressed: true });
      return;
    }
    const group = groupOf(s);
    const where = placeAlerts(group, now, s.grouping_window_minutes, flags);
    if (where.kind === "attach" && group) {
      attach.push({ alertIds: ids, groupId: group.id });
      let pageId: number | null = null;
      if (where.repage && s.incident_id !== null) {
        const actor = await automationActor();
        const page = await paging.trigger(
          actor,
          {
            policyId: s.escalation_policy_id,
            title: s.incident_title ?? s.name,
            urgency: deps.urgencyFor(s.incident_severity_now ?? leastSevere()),
            incidentId: s.incident_id,
          },
          asPagingDb(tx),
        );
        pageId = page.id;
        await record(
          tx,
          s.incident_id,
          "alert-refired",
          `alerts of ${s.name} fire again`,
          { serviceId: s.id },
          actor.id,
        );
      }
      touched.push({ groupId: group.id, pageId });
    } else if (where.kind === "new-group") {
      const first = flags.find((f) => !f.flapping)?.a ?? alerts[0];
      if (!first) return;
      attach.push({ alertIds: ids, groupId: await openGroup(tx, s, first) });
    }
  }

  /** Groups whose alerts resolved or were acknowledged: settle their pages, say so on the incident. */
  async function settle(tx: AlertDb, resolvedGroups: number[], ackedGroups: number[]) {
    const actor = await automationActor();
    for (const o of await store.groupOutcomes(tx, [...new Set([...resolvedGroups, ...ackedGroups])])) {
      if (!o.unresolved && resolvedGroups.includes(o.id)) {
        const triage = o.incident_state === "triage";
        if (o.page_id !== null && o.page_state !== "resolved") {
          await paging.settle(
            asPagingDb(tx),
            o.page_id,
            "resolved",
            actor.id,
            "every alert of its incident resolved",
          );
        }
        await record(
          tx,
          o.incident_id,
          "alert-resolved",
          triage
            ? "every alert resolved; its page is resolved"
            : "every alert resolved; the incident stays open until its owner resolves it",
          { groupId: o.id },
          actor.id,
        );
      } else if (o.unresolved && !o.firing && o.page_id !== null && o.page_state === "triggered") {
        await paging.settle(asPagingDb(tx), o.page_id, "acknowledged", actor.id, "every alert acknowledged");
      }
    }
  }

  /** One round of a batch: each alert at most once (see foldBatch). */
  async function writeRound(tx: AlertDb, round: FoldedAlert[], now: Date) {
    const triggers = round.filter((f) => f.action === "trigger");
    // Read first (no lock), so that new alerts of a service with an open group are inserted into
    // it: no second write of each new row, no lock, and no statement to attach them.
    const seen = new Map(
      (triggers.length
        ? await store.serviceStates(tx, [...new Set(triggers.map((f) => f.serviceId))], now, openStates)
        : []
      ).map((s) => [s.id, s]),
    );
    const joinGroup = new Map<number, number>();
    for (const s of seen.values())
      if (s.group_id !== null && joinsOpenGroup(s, [{ flapping: false }], now))
        joinGroup.set(s.id, s.group_id);
    const rows = [
      ...(await store.upsertTriggered(tx, triggers, now, joinGroup)),
      ...(await store.updateStatuses(
        tx,
        round.filter((f) => f.action !== "trigger"),
        now,
      )),
    ];
    const summaries = new Map(round.map((f) => [`${f.serviceId}\u0000${f.dedupKey}`, f.last.summary]));
    // Newly firing: new, re-fired, or still firing after the maintenance window that held it back.
    const opened = rows
      .filter(
        (r) =>
          r.status !== "resolved" &&
          (r.inserted || r.previous_status === "resolved" || (r.suppressed && r.group_id === null)),
      )
      .map((r) => ({ ...r, summary: summaries.get(`${r.service_id}\u0000${r.dedup_key}`) ?? "" }));
    // New alerts inserted into their service's open group are placed already.
    const joined = (r: UpsertedAlert) =>
      r.inserted && r.group_id !== null && joinGroup.get(r.service_id) === r.group_id;
    const rest = opened.filter((r) => !joined(r));
    // Their groups' last-alert times, moved on at most once a second (see stale).
    const touched: { groupId: number; pageId: number | null }[] = [];
    for (const id of new Set(opened.filter(joined).map((r) => r.service_id))) {
      const s = seen.get(id);
      if (s?.group_id != null && stale(s, now)) touched.push({ groupId: s.group_id, pageId: null });
    }
    const resolved = rows.filter((r) => r.status === "resolved" && r.previous_status !== "resolved");
    const acked = rows.filter((r) => r.status === "acknowledged" && r.previous_status === "firing");
    if (rest.length) touched.push(...(await place(tx, rest, now, seen)));
    await store.touchGroups(tx, touched, now);
    const groupsOf = (rs: UpsertedAlert[]) => [
      ...new Set(rs.flatMap((r) => (r.group_id === null ? [] : [r.group_id]))),
    ];
    if (resolved.length || acked.length) await settle(tx, groupsOf(resolved), groupsOf(acked));
  }

  /** One transaction for a whole batch of events (see platform/batcher.ts). */
  async function write(items: IntakeItem[]): Promise<IntakeResult[]> {
    const now = clock.now();
    const rounds = foldBatch(items);
    await retryConflicts(() =>
      db.transaction().execute(async (tx) => {
        for (const round of rounds) await writeRound(tx, round, now);
      }),
    );
    return items.map((i) => ({ dedupKey: i.event.dedupKey }));
  }

  const batcher = createBatcher(write, {
    what: "alert intake",
    maxBatch: deps.intake?.maxBatch ?? 500,
    maxConcurrent: deps.intake?.maxConcurrent ?? 4,
    maxQueued: deps.intake?.maxQueued ?? 10_000,
  });

  const silence = createSourceSilence({
    db,
    clock,
    jobs,
    log: deps.log,
    submit: (items) => batcher.submit(items),
  });
  silence.register();

  // -- heartbeats --------------------------------------------------------------------------------
  const heartbeatKey = (id: number) => `heartbeat:${id}`;
  const heartbeatDedupKey = (name: string) => `heartbeat:${name}`;

  jobs.register("heartbeat.check", async (payload) => {
    const id = Number(payload.heartbeatId);
    const h = await store.getHeartbeat(db, id);
    if (!h) return;
    const now = clock.now();
    const since = h.last_ping_at ?? h.created_at;
    if (now.getTime() - since.getTime() < h.interval_minutes * 60_000) return; // pinged meanwhile
    await batcher.submit([
      {
        serviceId: h.service_id,
        event: {
          dedupKey: heartbeatDedupKey(h.name),
          action: "trigger",
          source: "heartbeat",
          summary: `No heartbeat "${h.name}" for ${h.interval_minutes} minutes (last ${h.last_ping_at?.toISOString() ?? "never"})`,
          severity: "critical",
          details: { heartbeat: h.name, intervalMinutes: h.interval_minutes, lastPingAt: h.last_ping_at },
        },
      },
    ]);
  });

  const service = {
    integrationFor,
    /** Writes events and resolves once they are committed; throws Overloaded when the queue is full. */
    intake: (items: IntakeItem[]) => batcher.submit(items),
    get queued() {
      return batcher.queued;
    },
    /** Overloaded while the intake queue is full: a request can be refused before its body is read. */
    refusalWhenFull: () => batcher.refusalWhenFull(),

    // -- services --------------------------------------------------------------------------------
    async createService(body: ServiceBody) {
      const now = clock.now();
      return db.transaction().execute(async (tx) => {
        const policyId =
          body.escalationPolicyId ?? (await paging.policyIdByName(asPagingDb(tx), DEFAULT_POLICY));
        if (policyId === null)
          throw invalid(
            "escalationPolicyId",
            `required: there is no escalation policy named ${DEFAULT_POLICY}`,
          );
        await checkServiceFields(tx, { ...body, escalationPolicyId: policyId });
        const s = await store
          .insertService(tx, {
            name: body.name,
            description: body.description ?? "",
            escalation_policy_id: policyId,
            incident_type: body.incidentType ?? null,
            incident_severity: body.incidentSeverity ?? null,
            grouping_window_minutes: body.groupingWindowMinutes ?? DEFAULTS.groupingWindowMinutes,
            flap_changes: body.flapChanges ?? DEFAULTS.flapChanges,
            flap_window_minutes: body.flapWindowMinutes ?? DEFAULTS.flapWindowMinutes,
            ...(body.teamId === undefined ? {} : { team_id: body.teamId }),
            created_at: now,
            updated_at: now,
          })
          .catch(uniqueName(body.name));
        const key = await addKey(tx, s.id, "default", null);
        return { service: s, integrationKey: key.integrationKey, key: key.key };
      });
    },
    listServices: () => store.listServices(db),
    async getService(id: number) {
      const s = await store.getService(db, id);
      if (!s) throw notFound("service", id);
      return s;
    },
    async updateService(id: number, body: Partial<ServiceBody>) {
      return db.transaction().execute(async (tx) => {
        const current = await store.getService(tx, id);
        if (!current) throw notFound("service", id);
        await checkServiceFields(tx, body);
        const s = await store
          .updateService(tx, id, {
            ...(body.name !== undefined && { name: body.name }),
            ...(body.description !== undefined && { description: body.description }),
            ...(body.escalationPolicyId !== undefined && { escalation_policy_id: body.escalationPolicyId }),
            ...(body.incidentType !== undefined && { incident_type: body.incidentType }),
            ...(body.incidentSeverity !== undefined && { incident_severity: body.incidentSeverity }),
            ...(body.groupingWindowMinutes !== undefined && {
              grouping_window_minutes: body.groupingWindowMinutes,
            }),
            ...(body.flapChanges !== undefined && { flap_changes: body.flapChanges }),
            ...(body.flapWindowMinutes !== undefined && { flap_window_minutes: body.flapWindowMinutes }),
            ...(body.teamId !== undefined && { team_id: body.teamId }),
            updated_at: clock.now(),
          })
          .catch(uniqueName(body.name ?? current.name));
        if (!s) throw notFound("service", id);
        return s;
      });
    },
    async deleteService(id: number) {
      if (!(await store.deleteService(db, id))) throw notFound("service", id);
      keyCache.clear();
    },
    async addKey(serviceId: number, name: string, mapping: GenericMapping | null) {
      return db.transaction().execute(async (tx) => {
        if (!(await store.getService(tx, serviceId))) throw notFound("service", serviceId);
        return addKey(tx, serviceId, name, mapping);
      });
    },
    listKeys: (serviceId: number) => store.listKeys(db, serviceId),
    /** Source silence: alert when no event arrives on the key for `minutes` (null: never). */
    async setKeySilence(serviceId: number, keyId: number, minutes: number | null) {
      if (!(await silence.setSilence(serviceId, keyId, minutes))) throw notFound("integration key", keyId);
    },
    async deleteKey(serviceId: number, id: number) {
      if (!(await store.deleteKey(db, serviceId, id))) throw notFound("integration key", id);
      // Other replicas forget it within KEY_CACHE_MS.
      keyCache.clear();
    },

    /** The incidents this service's alerts opened or joined (the incidents list filters by it). */
    incidentsOfService: (serviceId: number) => store.incidentsOfService(db, serviceId),
    /** SEV-5: incidents of the same alerting services since `since` (policy/ports.ts CausePort). */
    sameCauseSince: (tx: AlertDb, incidentId: number, since: Date) =>
      store.sameCauseSince(tx, incidentId, since),

    // -- alerts ----------------------------------------------------------------------------------
    listAlerts: (f: Parameters<typeof store.listAlerts>[1]) => store.listAlerts(db, f),
    async getAlert(id: number) {
      const a = await store.getAlert(db, id);
      if (!a) throw notFound("alert", id);
      return a;
    },
    /** A person acknowledges or resolves one alert, as a sender would. */
    async setAlertStatus(id: number, to: Exclude<AlertStatus, "firing">) {
      const a = await store.getAlert(db, id);
      if (!a) throw notFound("alert", id);
      await batcher.submit([
        {
          serviceId: a.service_id,
          event: {
            dedupKey: a.dedup_key,
            action: to === "acknowledged" ? "acknowledge" : "resolve",
            source: a.source as AlertEvent["source"],
            summary: a.summary,
            severity: a.severity,
            details: a.details,
          },
        },
      ]);
      return (await store.getAlert(db, id)) ?? a;
    },

    /** Acknowledging an incident acknowledges its pages and its firing alerts, in one transaction. */
    async acknowledgeIncident(actor: Actor, incidentId: number) {
      await incidents.get(actor, incidentId); // 404 unless the actor may see it (DATA-3)
      return db.transaction().execute(async (tx) => {
        const pages = await paging.acknowledgeIncident(actor, incidentId, asPagingDb(tx));
        const alerts = await store.acknowledgeIncidentAlerts(tx, incidentId);
        return { pages, alerts };
      });
    },

    // -- changes ---------------------------------------------------------------------------------
    async recordChange(
      serviceId: number,
      c: {
        summary: string;
        source?: string;
        kind?: string;
        at?: Date;
        links?: unknown[];
        details?: Record<string, unknown>;
      },
    ) {
      const now = clock.now();
      return store.insertChange(
        db,
        {
          service_id: serviceId,
          summary: c.summary,
          source: c.source ?? "",
          kind: c.kind ?? "change",
          happened_at: c.at ?? now,
          links: c.links ?? [],
          details: c.details ?? {},
        },
        now,
      );
    },
    /** "What changed?": changes to the incident's services in the `hours` before now. */
    async changesForIncident(actor: Actor, incidentId: number, hours: number) {
      await incidents.get(actor, incidentId);
      const now = clock.now();
      const services = await store.servicesOfIncident(db, incidentId);
      return store.listChanges(db, services, new Date(now.getTime() - hours * 3_600_000), now);
    },
    async listServiceChanges(serviceId: number, hours: number) {
      const now = clock.now();
      await service.getService(serviceId);
      return store.listChanges(db, [serviceId], new Date(now.getTime() - hours * 3_600_000), now);
    },

    // -- heartbeats --------------------------------------------------------------------------------
    async createHeartbeat(serviceId: number, body: { name: string; intervalMinutes: number }) {
      const now = clock.now();
      return db.transaction().execute(async (tx) => {
        if (!(await store.getService(tx, serviceId))) throw notFound("service", serviceId);
        const h = await store
          .insertHeartbeat(
            tx,
            { service_id: serviceId, name: body.name, interval_minutes: body.intervalMinutes },
            now,
          )
          .catch((err: unknown) => {
            if ((err as { code?: string }).code === "23505")
              throw new AppError(
                "conflict",
                `the service already has a heartbeat named ${JSON.stringify(body.name)}`,
                {
                  field: "name",
                },
              );
            throw err;
          });
        await jobs.add(
          tx,
          "heartbeat.check",
          { heartbeatId: h.id },
          {
            runAt: new Date(now.getTime() + h.interval_minutes * 60_000),
            key: heartbeatKey(h.id),
          },
        );
        return h;
      });
    },
    listHeartbeats: (serviceId: number) => store.listHeartbeats(db, serviceId),
    async deleteHeartbeat(serviceId: number, id: number) {
      await db.transaction().execute(async (tx) => {
        if (!(await store.deleteHeartbeat(tx, serviceId, id))) throw notFound("heartbeat", id);
        await jobs.remove(tx, heartbeatKey(id));
      });
    },
    /** A ping: re-arms the dead man's switch and resolves its alert when it had fired. */
    async ping(serviceId: number, name: string) {
      const now = clock.now();
      const h = await db.transaction().execute(async (tx) => {
        const found = await store.findHeartbeat(tx, serviceId, name);
        if (!found) throw notFound("heartbeat", JSON.stringify(name));
        await store.pingHeartbeat(tx, found.id, now);
        await jobs.add(
          tx,
          "heartbeat.check",
          { heartbeatId: found.id },
          {
            runAt: new Date(now.getTime() + found.interval_minutes * 60_000),
            key: heartbeatKey(found.id),
          },
        );
        return found;
      });
      await batcher.submit([
        {
          serviceId,
          event: {
            dedupKey: heartbeatDedupKey(h.name),
            action: "resolve",
            source: "heartbeat",
            summary: "",
            severity: "critical",
            details: {},
          },
        },
      ]);
      return { ...h, last_ping_at: now };
    },

    // -- drop-in vendor APIs (opsgenie.ts, grafana-oncall.ts, events-v1.ts) -----------------------
    /** The service's alert a vendor names: by its dedup key, or (Opsgenie `id`/`tiny`) its id. */
    async vendorAlert(serviceId: number, by: { dedupKey: string } | { id: number }) {
      const a =
        "id" in by
          ? await store.getAlert(db, by.id)
          : await vendorStore.alertByKey(db, serviceId, by.dedupKey);
      return a && a.service_id === serviceId ? a : undefined;
    },
    /**
     * A sender's note on an alert (Opsgenie's "add note"), on the timeline of the incident the
     * alert is grouped into; false when it is in none (suppressed by maintenance).
     */
    async noteOnAlert(alertId: number, note: string, from: { source: string; user?: string }) {
      return db.transaction().execute(async (tx) => {
        const a = await store.getAlert(tx, alertId);
        if (a?.incident_id == null) return false;
        const actor = await automationActor();
        await record(
          tx,
          a.incident_id,
          "alert-note",
          note,
          { alertId, source: from.source, user: from.user ?? null },
          actor.id,
        );
        return true;
      });
    },
    recordVendorRequest: (r: vendorStore.RequestRow) => vendorStore.insertRequest(db, r),
    vendorRequest: (keyId: number, requestId: string) => vendorStore.getRequest(db, keyId, requestId),

    // -- maintenance -------------------------------------------------------------------------------
    async addMaintenance(actor: Actor, serviceId: number, body: { start: Date; end: Date; reason?: string }) {
      if (!(body.end > body.start)) throw invalid("end", "expected an end after the start");
      if (!(await store.getService(db, serviceId))) throw notFound("service", serviceId);
      return store.insertMaintenance(
        db,
        {
          service_id: serviceId,
          start_at: body.start,
          end_at: body.end,
          reason: body.reason ?? "",
          created_by: actor.id,
        },
        clock.now(),
      );
    },
    async listMaintenance(serviceId: number) {
      await service.getService(serviceId);
      return store.listMaintenance(db, serviceId, clock.now());
    },
    async deleteMaintenance(serviceId: number, id: number) {
      if (!(await store.deleteMaintenance(db, serviceId, id))) throw notFound("maintenance window", id);
    },
  };

  async function addKey(tx: AlertDb, serviceId: number, name: string, mapping: GenericMapping | null) {
    const key = newKey();
    const row = await store.insertKey(
      tx,
      { service_id: serviceId, name, key_hash: hashToken(key), key_hint: key.slice(-4), mapping },
      clock.now(),
    );
    return { key: row, integrationKey: key };
  }

  async function checkServiceFields(tx: AlertDb, body: Partial<ServiceBody>) {
    if (
      body.escalationPolicyId !== undefined &&
      !(await paging.policyExists(asPagingDb(tx), body.escalationPolicyId))
    )
      throw invalid("escalationPolicyId", `no escalation policy ${body.escalationPolicyId}`);
    const policy = policyNow();
    if (body.incidentType !== undefined && !policy.incidentTypes.some((t) => t.name === body.incidentType))
      throw invalid(
        "incidentType",
        `unknown type ${JSON.stringify(body.incidentType)}; expected one of ${policy.incidentTypes.map((t) => t.name).join(", ")}`,
      );
    if (body.incidentSeverity !== undefined && !policy.severities.some((s) => s.id === body.incidentSeverity))
      throw invalid("incidentSeverity", `expected one of ${policy.severities.map((s) => s.id).join(", ")}`);
  }

  function uniqueName(name: string) {
    return (err: unknown): never => {
      if ((err as { code?: string }).code === "23505")
        throw new AppError("conflict", `a service named ${JSON.stringify(name)} already exists`, {
          field: "name",
        });
      throw err;
    };
  }

  return service;
}

export type AlertService = ReturnType<typeof createAlertService>;
