/**
 * Status page commands: pages, components, public incidents and scheduled maintenance, whose
 * updates are drafted by responders and published only when a CMOC or an admin approves (COMM-3).
 * `snapshot` reads a whole page for the renderers.
 */
import { IANAZone } from "luxon";
import type { IncidentService } from "../incidents/service.ts";
import type { IncidentDb } from "../incidents/store.ts";
import type { Actor } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { AppError, forbidden, invalid, notFound } from "../platform/errors.ts";
import { assertNoRedData } from "../platform/reddata.ts";
import type { MaintenanceSubject } from "../policy/conditions.ts";
import type { PolicySource } from "../policy/source.ts";
import { componentsUnderMaintenance, impactOf, maintenanceStateAt } from "./model.ts";
import type { Affected, StatusDb, StatusIncidentRow } from "./store.ts";
import * as store from "./store.ts";
import {
  type Component,
  type ComponentStatus,
  type Impact,
  type IncidentState,
  incidentStates,
  type MaintenanceState,
  maintenanceStates,
  type PageSnapshot,
  type PublicIncident,
} from "./types.ts";

const HISTORY_DAYS = 90;
const DAY = 86_400_000;
/** Without a `statusPage` section in the policy: the handbook's approval (COMM-3, STAT-3). */
const defaultStatusPolicy = {
  approverRoles: ["CMOC"],
  confirmImpactWith: ["EOC", "IM"],
  setDirectly: {
    admin: ["operational", "degraded_performance", "under_maintenance"] as ComponentStatus[],
    responder: [] as ComponentStatus[],
  },
};
const outages: ComponentStatus[] = ["partial_outage", "major_outage"];
const statusWords: Record<ComponentStatus, string> = {
  operational: "operational",
  degraded_performance: "degraded performance",
  partial_outage: "partial outage",
  major_outage: "major outage",
  under_maintenance: "under maintenance",
};

const impacts: Impact[] = ["none", "minor", "major", "critical"];
const worseImpact = (a: Impact, b: Impact): Impact => (impacts.indexOf(a) >= impacts.indexOf(b) ? a : b);

const isUnique = (err: unknown) => (err as { code?: string }).code === "23505";

export type ComponentBody = {
  name: string;
  description?: string | null;
  status?: ComponentStatus;
  groupId?: number | null;
  group?: boolean;
  position?: number;
  showcase?: boolean;
  onlyShowIfDegraded?: boolean;
  startDate?: string | null;
};

/** What PATCH of a component takes: at least one of these. */
const componentChanges = [
  "name",
  "description",
  "status",
  "groupId",
  "group",
  "position",
  "showcase",
  "onlyShowIfDegraded",
  "startDate",
] as const satisfies readonly (keyof ComponentBody)[];

export type DraftBody = {
  status: IncidentState | MaintenanceState;
  body: string;
  affected?: { componentId: number; newStatus: ComponentStatus }[];
};

/** STAT-5: a maintenance's criticality; C1 is treated as an undeclared incident. */
export const criticalities = ["C1", "C2", "C3", "C4"] as const;

export function createStatusService(deps: {
  db: StatusDb;
  clock: Clock;
  publicUrl: string;
  incidents: IncidentService;
  /** Who approves, who may set statuses directly, the IM role STAT-3 requires (the policy file). */
  policy: PolicySource;
  /** STAT-5: a maintenance changed; its clocks are reconciled in the same transaction. */
  maintenanceChanged?: (tx: StatusDb, m: MaintenanceSubject) => Promise<void>;
  /** Called after every change a visitor can see: caches of this page are stale (all replicas). */
  changed: (pageId: number) => Promise<void>;
  /**
   * Called inside the approving transaction when an update is published, so subscriber
   * notifications are enqueued atomically with the publication (subscribers.ts).
   */
  published?: (
    tx: StatusDb,
    e: { pageId: number; statusIncidentId: number; updateId: number },
  ) => Promise<void>;
}) {
  const { db, clock, incidents } = deps;
  const asIncidentDb = (tx: StatusDb) => tx as unknown as IncidentDb;
  const rules = () => deps.policy.current().statusPage ?? defaultStatusPolicy;
  const imRole = () => deps.policy.current().incidentManagerRole;

  /** COMM-3: the statuses this person may set on a component without a post and its approval. */
  function assertMaySet(actor: Actor, status: ComponentStatus) {
    const direct = rules().setDirectly;
    const allowed = actor.role === "admin" ? [...direct.admin, ...direct.responder] : direct.responder;
    if (allowed.includes(status)) return;
    throw forbidden(
      `setting a component to ${statusWords[status]} is a public statement and goes through a post: draft an update of a public incident with this component as affected, and an approver publishes it (COMM-3${outages.includes(status) ? ", STAT-3" : ""}); the policy's statusPage.setDirectly names who may set which statuses directly`,
    );
  }

  /** STAT-5: a maintenance as the rules see it, locked. */
  async function maintenanceSubject(tx: StatusDb, id: number): Promise<MaintenanceSubject | undefined> {
    const m = await store.lockMaintenance(tx, id);
    if (!m) return undefined;
    return {
      kind: "maintenance",
      id: m.id,
      name: m.name,
      criticality: m.criticality,
      scheduledFor: m.scheduled_for,
      active: m.active,
    };
  }

  async function pageOr404(tx: StatusDb, slug: string) {
    const p = await store.findPage(tx, slug);
    if (!p) throw notFound("status page", slug);
    return p;
  }

  async function checkAffected(tx: StatusDb, pageId: number, affected: DraftBody["affected"] = []) {
    for (const [i, a] of affected.entries()) {
      const c = await store.getComponent(tx, pageId, a.componentId);
      if (!c) throw invalid(`affected[${i}].componentId`, `no component ${a.componentId} on this page`);
      if (c.is_group)
        throw invalid(`affected[${i}].componentId`, `component ${c.name} is a group; name its members`);
    }
  }

  /** COMM-3: admins, or whoever holds an approver role (the CMOC) on the linked internal incident. */
  async function mayApprove(actor: Actor, incidentId: number | null): Promise<boolean> {
    if (actor.role === "admin") return true;
    if (incidentId === null) return false;
    const i = await incidents.get(actor, incidentId).catch(() => null);
    return rules().approverRoles.some((role) => i?.roles[role] === actor.id);
  }

  /**
   * DATA-3: the public incidents whose internal incident this person may see (participants and
   * admins, for a private one, as the incident API decides); those without one are everyone's.
   */
  async function seenLinks(actor: Actor, rows: readonly { incident_id: number | null }[]) {
    const linked = [...new Set(rows.flatMap((r) => (r.incident_id === null ? [] : [r.incident_id])))];
    const visible = await incidents.visibleIds(actor, linked);
    return (r: { incident_id: number | null }) => r.incident_id === null || visible.has(r.incident_id);
  }

  /** DATA-3: a draft or public incident linked to a private incident is 404 to those who may not see it. */
  async function assertSeesLink(actor: Actor, i: { incident_id: number | null }, what: string, id: number) {
    if (!(await seenLinks(actor, [i]))(i)) throw notFound(what, id);
  }

  /** A component's group must be a group on the same page (and not the component itself). */
  async function checkGroup(tx: StatusDb, pageId: number, groupId: number, self?: number) {
    if (groupId === self) throw invalid("groupId", `component ${self} cannot be in a group of its own`);
    const g = await store.getComponent(tx, pageId, groupId);
    if (!g?.is_group) throw invalid("groupId", `no component group ${groupId} on this page`);
  }

  function checkTimeZone(timeZone: string | undefined) {
    if (timeZone !== undefined && !IANAZone.isValidZone(timeZone))
      throw invalid(
        "timeZone",
        `unknown time zone ${JSON.stringify(timeZone)}; expected an IANA name such as "Europe/Berlin"`,
      );
  }

  /** The page already has a component of this name (the unique constraint said so). */
  const nameTaken = (name: string | undefined) => (err: unknown) => {
    if (isUnique(err))
      throw new AppError("conflict", `the page already has a component named ${JSON.stringify(name)}`, {
        field: "name",
      });
    throw err;
  };

  const approvers = () =>
    ["an admin", ...rules().approverRoles.map((r) => `the incident's ${r}`)].join(" or ");

  const service = {
    // -- pages -----------------------------------------------------------------------------------
    listPages: () => store.listPages(db),
    page: (slug: string) => pageOr404(db, slug),
    async createPage(body: { slug: string; name: string; timeZone?: string; teamId?: number }) {
      assertNoRedData({ name: body.name });
      checkTimeZone(body.timeZone);
      return store
        .insertPage(
          db,
          {
            slug: body.slug,
            name: body.name,
            time_zone: body.timeZone ?? "UTC",
            ...(body.teamId === undefined ? {} : { team_id: body.teamId }),
          },
          clock.now(),
        )
        .catch((err: unknown) => {
          if (isUnique(err))
            throw new AppError("conflict", `a status page ${body.slug} exists`, { field: "slug" });
          throw err;
        });
    },

    /** Renames a page or moves it to another time zone; visitors see it at once. */
    async updatePage(slug: string, body: { name?: string; timeZone?: string }) {
      if (body.name === undefined && body.timeZone === undefined)
        throw invalid("body", "nothing to change: send name or timeZone");
      assertNoRedData({ name: body.name });
      checkTimeZone(body.timeZone);
      const page = await pageOr404(db, slug);
      const after = await store.updatePage(
        db,
        page.id,
        {
          ...(body.name !== undefined && { name: body.name }),
          ...(body.timeZone !== undefined && { time_zone: body.timeZone }),
        },
        clock.now(),
      );
      await deps.changed(page.id);
      return after;
    },

    // -- components --------------------------------------------------------------------------------
    /**
     * Puts every component of the page in the order given (positions 0, 1, …), in one transaction.
     * Groups and their members share the one sequence: the public page orders the top level and
     * each group's members by it. The list names every component once, so a reader who missed a
     * component added meanwhile is told to reload rather than leave it somewhere unforeseen.
     */
    async reorderComponents(slug: string, ids: readonly number[]) {
      const now = clock.now();
      const pageId = await db.transaction().execute(async (tx) => {
        const page = await pageOr404(tx, slug);
        await store.lockPage(tx, page.id);
        const have = new Set((await store.listComponents(tx, page.id)).map((c) => c.id));
        const seen = new Set<number>();
        const twice = ids.filter((id) => seen.has(id) || !seen.add(id));
        const unknown = ids.filter((id) => !have.has(id));
        const missing = [...have].filter((id) => !seen.has(id));
        const problems = [
          twice.length ? `named more than once: ${twice.join(", ")}` : "",
          unknown.length ? `not on this page: ${unknown.join(", ")}` : "",
          missing.length ? `missing: ${missing.join(", ")} (added meanwhile? reload and try again)` : "",
        ].filter(Boolean);
        if (problems.length)
          throw invalid("ids", `expected every component of the page once; ${problems.join("; ")}`);
        await store.setPositions(tx, new Map(ids.map((id, n) => [id, n])), now);
        await store.touchPage(tx, page.id, now);
        return page.id;
      });
      await deps.changed(pageId);
      return service.listComponents(slug);
    },
    async listComponents(slug: string) {
      return store.listComponents(db, (await pageOr404(db, slug)).id);
    },
    async createComponent(actor: Actor, slug: string, body: ComponentBody) {
      assertNoRedData({ name: body.name, description: body.description });
      if (body.status && body.status !== "operational") assertMaySet(actor, body.status);
      const now = clock.now();
      return db
        .transaction()
        .execute(async (tx) => {
          const page = await pageOr404(tx, slug);
          if (body.groupId != null) await checkGroup(tx, page.id, body.groupId);
          const status = body.group ? "operational" : (body.status ?? "operational");
          const c = await store
            .insertComponent(
              tx,
              {
                page_id: page.id,
                name: body.name,
                description: body.description ?? null,
                status,
                group_id: body.groupId ?? null,
                is_group: body.group ?? false,
                position: body.position ?? 0,
                showcase: body.showcase ?? true,
                only_show_if_degraded: body.onlyShowIfDegraded ?? false,
                start_date: body.startDate ?? null,
              },
              now,
            )
            .catch(nameTaken(body.name));
          await store.recordChange(tx, c.id, status, now);
          await store.touchPage(tx, page.id, now);
          return c;
        })
        .then(async (c) => {
          await deps.changed(c.page_id);
          return c;
        });
    },
    /** Changes a component (its status among them, recorded for the uptime history). */
    async updateComponent(actor: Actor, slug: string, id: number, body: Partial<ComponentBody>) {
      if (componentChanges.every((k) => body[k] === undefined))
        throw invalid("body", `nothing to change: send at least one of ${componentChanges.join(", ")}`);
      assertNoRedData({ name: body.name, description: body.description });
      const now = clock.now();
      const c = await db.transaction().execute(async (tx) => {
        const page = await pageOr404(tx, slug);
        const before = await store.getComponent(tx, page.id, id);
        if (!before) throw notFound("component", id);
        const isGroup = body.group ?? before.is_group;
        if (body.status && isGroup) throw invalid("status", "a group's status is its members' worst");
        if (body.status && body.status !== before.status) assertMaySet(actor, body.status);
        if (body.groupId != null) await checkGroup(tx, page.id, body.groupId, id);
        if (before.is_group && !isGroup && (await store.hasMembers(tx, id)))
          throw new AppError(
            "conflict",
            `component ${before.name} is the group of other components; move them out of it first`,
            { field: "group" },
          );
        const after = await store
          .updateComponent(tx, id, {
            ...(body.name !== undefined && { name: body.name }),
            ...(body.description !== undefined && { description: body.description }),
            ...(body.status !== undefined && { status: body.status }),
            ...(body.groupId !== undefined && { group_id: body.groupId }),
            ...(body.group !== undefined && { is_group: body.group }),
            ...(body.position !== undefined && { position: body.position }),
            ...(body.showcase !== undefined && { showcase: body.showcase }),
            ...(body.onlyShowIfDegraded !== undefined && { only_show_if_degraded: body.onlyShowIfDegraded }),
            ...(body.startDate !== undefined && { start_date: body.startDate }),
            updated_at: now,
          })
          .catch(nameTaken(body.name));
        if (body.status && body.status !== before.status) await store.recordChange(tx, id, body.status, now);
        await store.touchPage(tx, page.id, now);
        return after ?? before;
      });
      await deps.changed(c.page_id);
      return c;
    },
    async deleteComponent(slug: string, id: number) {
      const page = await pageOr404(db, slug);
      if (!(await store.deleteComponent(db, page.id, id))) throw notFound("component", id);
      await deps.changed(page.id);
    },

    // -- public incidents and maintenance: drafts and approval --------------------------------------
    /**
     * Drafts a new public incident (or, with `scheduledFor`/`scheduledUntil`, a maintenance) with its
     * first update. Nothing is public until an approver publishes the update.
     */
    async draftIncident(
      actor: Actor,
      slug: string,
      body: DraftBody & {
        name: string;
        incidentId?: number | null;
        security?: boolean;
        scheduledFor?: Date;
        scheduledUntil?: Date;
        criticality?: (typeof criticalities)[number] | null;
      },
    ) {
      assertNoRedData({ name: body.name, body: body.body });
      const now = clock.now();
      const maintenance = body.scheduledFor !== undefined || body.scheduledUntil !== undefined;
      if (
        maintenance &&
        !(body.scheduledFor && body.scheduledUntil && body.scheduledUntil > body.scheduledFor)
      )
        throw invalid("scheduledUntil", "a maintenance needs scheduledFor and a later scheduledUntil");
      if (!maintenance && !(incidentStates as readonly string[]).includes(body.status))
        throw invalid("status", `expected one of ${incidentStates.join(", ")}`);
      if (body.incidentId != null) await incidents.get(actor, body.incidentId); // 404 unless visible
      return db.transaction().execute(async (tx) => {
        const page = await pageOr404(tx, slug);
        await checkAffected(tx, page.id, body.affected);
        const i = await store.insertIncident(
          tx,
          {
            page_id: page.id,
            incident_id: body.incidentId ?? null,
            kind: maintenance ? "maintenance" : "incident",
            name: body.name,
            status: maintenance ? "scheduled" : body.status,
            impact: maintenance ? "maintenance" : "none",
            security: body.security ?? false,
            published: false,
            scheduled_for: body.scheduledFor ?? null,
            scheduled_until: body.scheduledUntil ?? null,
            started_at: body.scheduledFor ?? now,
            monitoring_at: null,
            resolved_at: null,
            criticality: maintenance ? (body.criticality ?? null) : null,
          },
          now,
        );
        const u = await insertDraft(tx, actor, i, { ...body, status: i.status }, now);
        if (maintenance) await maintenanceChanged(tx, i.id);
        return { incident: i, update: u };
      });
    },

    /** Drafts a further update of a public incident (a new state, a message, component changes). */
    async draftUpdate(actor: Actor, slug: string, statusIncidentId: number, body: DraftBody) {
      assertNoRedData({ body: body.body });
      const now = clock.now();
      return db.transaction().execute(async (tx) => {
        const page = await pageOr404(tx, slug);
        const i = await store.getIncident(tx, page.id, statusIncidentId);
        if (!i) throw notFound("public incident", statusIncidentId);
        await assertSeesLink(actor, i, "public incident", statusIncidentId);
        if (i.status === "resolved" || i.status === "completed")
          throw new AppError(
            "invalid-transition",
            `public incident ${i.id} is ${i.status}; it takes no more updates`,
            {
              currentState: i.status,
            },
          );
        const allowed: readonly string[] = i.kind === "maintenance" ? maintenanceStates : incidentStates;
        if (!allowed.includes(body.status)) throw invalid("status", `expected one of ${allowed.join(", ")}`);
        await checkAffected(tx, page.id, body.affected);
        const u = await insertDraft(tx, actor, i, body, now);
        if (i.kind === "maintenance") await maintenanceChanged(tx, i.id);
        return u;
      });
    },

    /** Drafts waiting for approval, but not those of private incidents the reader does not take part in (DATA-3). */
    async listDrafts(actor: Actor, slug: string) {
      const drafts = await store.listDrafts(db, (await pageOr404(db, slug)).id);
      return drafts.filter(await seenLinks(actor, drafts));
    },

    /** COMM-3: publishes a drafted update; applies its component statuses and the incident's state. */
    async approve(
      actor: Actor,
      slug: string,
      updateId: number,
      opts: { impactConfirmedWith?: number | string } = {},
    ) {
      const now = clock.now();
      const result = await db.transaction().execute(async (tx) => {
        const page = await pageOr404(tx, slug);
        const u = await store.lockUpdate(tx, updateId);
        const i = u ? await store.lockIncident(tx, u.status_incident_id) : undefined;
        if (!u || !i || i.page_id !== page.id) throw notFound("draft update", updateId);
        await assertSeesLink(actor, i, "draft update", updateId);
        if (u.state !== "draft")
          throw new AppError("conflict", `update ${updateId} is already ${u.state}`, {
            currentState: u.state,
          });
        if (!(await mayApprove(actor, i.incident_id)))
          throw forbidden(`only ${approvers()} can publish to the status page (COMM-3)`);
        // COMM-3: a second person looks at every post before it is public.
        if (u.drafted_by === actor.id)
          throw forbidden(
            `you drafted update ${u.id}; someone else (${approvers()}) publishes it, so every public post is seen by two people (COMM-3)`,
          );
        // COMM-4: a security incident reaches the public page only when marked for it on purpose.
        if (i.incident_id !== null && !i.security) {
          const internal = await incidents.get({ ...actor, role: "admin" }, i.incident_id);
          if (internal.visibility === "private")
            throw new AppError(
              "conflict",
              `incident ${internal.id} is private (a security incident is kept off the status page): draft it with "security": true to publish it on purpose (COMM-4)`,
            );
        }
        // STAT-3: a partial or full disruption is published only with an incident manager engaged.
        const disruption = u.affected.some((a) => outages.includes(a.newStatus as ComponentStatus));
        let confirmedWith: number | null = null;
        if (i.kind === "incident" && disruption) {
          const role = imRole();
          const internal =
            i.incident_id === null ? null : await incidents.get({ ...actor, role: "admin" }, i.incident_id);
          if (!internal?.roles[role])
            throw new AppError(
              "conflict",
              internal
                ? `a partial or full outage needs an engaged incident manager: give the ${role} role on incident ${internal.id} first (STAT-3)`
                : `a partial or full outage needs an engaged incident manager: link the public incident to its internal incident (incidentId) with an ${role} (STAT-3)`,
            );
          // COMM-3: incidents are often declared high and lowered; the impact is confirmed first.
          confirmedWith = await confirmedImpact(internal, actor, opts.impactConfirmedWith);
        }
        const affected: Affected[] = [];
        for (const a of u.affected) {
          const c = await store.getComponent(tx, page.id, a.componentId);
          if (!c) continue; // deleted since the draft
          affected.push({ ...a, oldStatus: c.status });
          // A maintenance covers its components only while in progress (see snapshot), not from approval.
          if (i.kind !== "maintenance" && c.status !== a.newStatus) {
            await store.updateComponent(tx, c.id, { status: a.newStatus, updated_at: now });
            await store.recordChange(tx, c.id, a.newStatus, now);
          }
        }
        // An incident's impact is the worst its updates ever gave it: recovering does not erase it.
        const impact =
          i.kind === "maintenance"
            ? "maintenance"
            : worseImpact(i.impact as Impact, impactOf(affected.map((a) => a.newStatus)));
        const updated = await store.updateIncident(tx, i.id, {
          status: u.status,
          published: true,
          impact,
          monitoring_at: u.status === "monitoring" ? (i.monitoring_at ?? now) : i.monitoring_at,
          resolved_at: u.status === "resolved" || u.status === "completed" ? now : null,
          updated_at: now,
        });
        await store.setUpdate(tx, u.id, {
          state: "published",
          approved_by: actor.id,
          published_at: now,
          affected,
          impact_confirmed_with: confirmedWith,
        });
        await deps.published?.(tx, { pageId: page.id, statusIncidentId: i.id, updateId: u.id });
        await store.touchPage(tx, page.id, now);
        if (i.incident_id !== null)
          await incidents.publicPostPublished(asIncidentDb(tx), i.incident_id, actor.id, {
            body: `published to the status page: ${u.status} — ${u.body}${confirmedWith === null ? "" : ` (customer impact confirmed with user ${confirmedWith})`}`,
            data: {
              updateId: u.id,
              statusIncidentId: i.id,
              page: page.slug,
              impactConfirmedWith: confirmedWith,
            },
          });
        if (i.kind === "maintenance") await maintenanceChanged(tx, i.id);
        return { page, incident: updated };
      });
      await deps.changed(result.page.id);
      return result.incident;
    },

    /**
     * Corrects the text of a published update (a typo, a wrong time). Only an approver may, as
     * the text is public at once; the internal incident's timeline keeps both versions.
     */
    async editPublished(actor: Actor, slug: string, updateId: number, body: string) {
      assertNoRedData({ body });
      const result = await db.transaction().execute(async (tx) => {
        const page = await pageOr404(tx, slug);
        const u = await store.lockUpdate(tx, updateId);
        const i = u ? await store.getIncident(tx, page.id, u.status_incident_id) : undefined;
        if (!u || !i || u.state !== "published") throw notFound("published update", updateId);
        if (!(await mayApprove(actor, i.incident_id)))
          throw forbidden(`only ${approvers()} can edit a published update (COMM-3)`);
        await store.setUpdateBody(tx, u.id, body);
        await store.updateIncident(tx, i.id, { updated_at: clock.now() });
        await store.touchPage(tx, page.id, clock.now());
        await note(tx, i.incident_id, actor, `edited a published status page update: ${body}`, {
          updateId: u.id,
          before: u.body,
        });
        return { pageId: page.id, update: { ...u, body } };
      });
      await deps.changed(result.pageId);
      return result.update;
    },

    async discard(actor: Actor, slug: string, updateId: number) {
      await db.transaction().execute(async (tx) => {
        const page = await pageOr404(tx, slug);
        const u = await store.lockUpdate(tx, updateId);
        const i = u ? await store.getIncident(tx, page.id, u.status_incident_id) : undefined;
        if (!u || !i || u.state !== "draft") throw notFound("draft update", updateId);
        await assertSeesLink(actor, i, "draft update", updateId);
        if (u.drafted_by !== actor.id && !(await mayApprove(actor, i.incident_id)))
          throw forbidden(`only the update's author or ${approvers()} can discard it`);
        await store.setUpdate(tx, u.id, { state: "discarded" });
        if (i.kind === "maintenance") await maintenanceChanged(tx, i.id);
      });
    },

    /**
     * Public incidents with their published updates (drafts too, for the admin view). DATA-3: of a
     * public incident linked to a private incident the reader does not take part in, only what is
     * published shows, without the link; unpublished, it does not show at all.
     */
    async listIncidents(actor: Actor, slug: string, opts: { drafts: boolean }) {
      const page = await pageOr404(db, slug);
      const all = await store.listIncidents(db, page.id, { publishedOnly: !opts.drafts, limit: 200 });
      const sees = await seenLinks(actor, all);
      const rows = all
        .filter((r) => r.published || sees(r))
        .map((r) => (sees(r) ? { ...r, draftsSeen: true } : { ...r, incident_id: null, draftsSeen: false }));
      const updates = await store.listUpdates(
        db,
        rows.map((r) => r.id),
        opts.drafts ? ["draft", "published"] : ["published"],
      );
      return rows.map(({ draftsSeen, ...r }) => ({
        ...r,
        updates: updates.filter(
          (u) => u.status_incident_id === r.id && (draftsSeen || u.state === "published"),
        ),
      }));
    },

    /** Everything a visitor sees on one page, at this moment. */
    async snapshot(slug: string): Promise<PageSnapshot> {
      const now = clock.now();
      const page = await pageOr404(db, slug);
      const components = await store.listComponents(db, page.id);
      const rows = await store.listIncidents(db, page.id, { publishedOnly: true, limit: 500 });
      const updates = await store.listUpdates(
        db,
        rows.map((r) => r.id),
        ["published"],
      );
      const since = new Date(now.getTime() - (HISTORY_DAYS + 1) * DAY);
      const history = await store.history(
        db,
        components.map((c) => c.id),
        since,
      );
      const names = new Map(components.map((c) => [c.id, c.name]));
      const url = `${deps.publicUrl}/status/${page.slug}`;
      const present = (r: (typeof rows)[number]): PublicIncident => {
        const mine = updates.filter((u) => u.status_incident_id === r.id);
        const componentIds = [...new Set(mine.flatMap((u) => u.affected.map((a) => a.componentId)))];
        return {
          id: String(r.id),
          name: r.name,
          status: r.status as PublicIncident["status"],
          impact: r.impact as Impact,
          scheduledFor: r.scheduled_for,
          scheduledUntil: r.scheduled_until,
          createdAt: r.created_at,
          updatedAt: r.updated_at,
          monitoringAt: r.monitoring_at,
          resolvedAt: r.resolved_at,
          startedAt: r.started_at,
          shortlink: `${url}/incidents/${r.id}`,
          updates: mine.map((u) => ({
            id: String(u.id),
            status: u.status as PublicIncident["status"],
            body: u.body,
            createdAt: u.created_at,
            displayAt: u.published_at ?? u.created_at,
            affectedComponents: u.affected.map((a) => ({
              id: String(a.componentId),
              name: names.get(a.componentId) ?? "(removed)",
              oldStatus: a.oldStatus ?? a.newStatus,
              newStatus: a.newStatus,
            })),
          })),
          components: componentIds.flatMap((id) =>
            names.has(id) ? [{ id: String(id), name: names.get(id) ?? "" }] : [],
          ),
        };
      };
      const presentComponent = (c: (typeof components)[number]): Component => ({
        id: String(c.id),
        name: c.name,
        description: c.description,
        status: c.status,
        groupId: c.group_id === null ? null : String(c.group_id),
        group: c.is_group,
        position: c.position,
        showcase: c.showcase,
        onlyShowIfDegraded: c.only_show_if_degraded,
        startDate: c.start_date ? c.start_date.toISOString().slice(0, 10) : null,
        createdAt: c.created_at,
        updatedAt: c.updated_at,
      });
      // Scheduled maintenance moves itself with the clock, and covers its components meanwhile.
      const maintenances = rows
        .filter((r) => r.kind === "maintenance")
        .map(present)
        .map((m) =>
          m.scheduledFor && m.scheduledUntil
            ? {
                ...m,
                status: maintenanceStateAt(
                  {
                    scheduledFor: m.scheduledFor,
                    scheduledUntil: m.scheduledUntil,
                    status: m.status as MaintenanceState,
                  },
                  now,
                ),
              }
            : m,
        )
        .sort((a, b) => (a.scheduledFor?.getTime() ?? 0) - (b.scheduledFor?.getTime() ?? 0));
      const underMaintenance = new Set(componentsUnderMaintenance(maintenances, now));
      const shown = components
        .map(presentComponent)
        .map((c) =>
          underMaintenance.has(c.id) && c.status === "operational"
            ? { ...c, status: "under_maintenance" as const }
            : c,
        );
      return {
        page: {
          id: String(page.id),
          name: page.name,
          slug: page.slug,
          url,
          timeZone: page.time_zone,
          updatedAt: page.updated_at,
        },
        generatedAt: now,
        components: shown,
        incidents: rows.filter((r) => r.kind === "incident").map(present),
        maintenances,
        securityIssue: rows.some((r) => r.kind === "incident" && r.security && r.status !== "resolved"),
        history: history.map((h) => ({ componentId: String(h.component_id), status: h.status, at: h.at })),
      };
    },
  };

  /**
   * COMM-3: the person with whom the approver confirmed customer impact — a holder of one of the
   * policy's confirmImpactWith roles on the incident, not the approver. Returns their id.
   */
  async function confirmedImpact(
    internal: { id: number; roles: Record<string, number> },
    actor: Actor,
    given: number | string | undefined,
  ): Promise<number> {
    const roles = rules().confirmImpactWith;
    const holders = roles.flatMap((r) =>
      internal.roles[r] === undefined ? [] : [{ role: r, id: internal.roles[r]! }],
    );
    const others = holders.filter((h) => h.id !== actor.id);
    const who = others.length
      ? others.map((h) => `the ${h.role} (user ${h.id})`).join(" or ")
      : `the ${roles.join(" or ")} of incident ${internal.id} (nobody else holds ${roles.length > 1 ? "these roles" : "the role"} yet)`;
    if (given === undefined)
      throw new AppError(
        "invalid-request",
        `impactConfirmedWith: publishing an outage needs the customer impact confirmed first with ${who} (COMM-3): say with whom`,
        { field: "impactConfirmedWith" },
      );
    const user = (await incidents.users(typeof given === "number" ? [given] : [])).get(Number(given));
    const id =
      typeof given === "number"
        ? given
        : [...(await incidents.users(holders.map((h) => h.id))).values()].find((u) => u.username === given)
            ?.id;
    if (id === undefined || !others.some((h) => h.id === id))
      throw new AppError(
        "invalid-request",
        `impactConfirmedWith: ${user?.username ?? JSON.stringify(given)} does not hold ${roles.join(" or ")} on incident ${internal.id} (or is you); confirm the impact with ${who} (COMM-3)`,
        { field: "impactConfirmedWith" },
      );
    return id;
  }

  async function maintenanceChanged(tx: StatusDb, id: number) {
    if (!deps.maintenanceChanged) return;
    const m = await maintenanceSubject(tx, id);
    if (m) await deps.maintenanceChanged(tx, m);
  }

  /** A draft update of public incident `i`, noted on the internal incident's timeline. */
  async function insertDraft(
    tx: StatusDb,
    actor: Actor,
    i: Pick<StatusIncidentRow, "id" | "incident_id" | "name">,
    body: Omit<DraftBody, "status"> & { status: string },
    now: Date,
  ) {
    const u = await store.insertUpdate(
      tx,
      {
        status_incident_id: i.id,
        status: body.status,
        body: body.body,
        affected: body.affected ?? [],
        drafted_by: actor.id,
      },
      now,
    );
    await note(tx, i.incident_id, actor, `drafted a status page update for "${i.name}"`, { updateId: u.id });
    return u;
  }

  /** Publishing, editing and drafting are timeline events of the internal incident. */
  async function note(
    tx: StatusDb,
    incidentId: number | null,
    actor: Actor,
    body: string,
    data: Record<string, unknown>,
  ) {
    if (incidentId === null) return;
    await incidents.recordEvent(
      asIncidentDb(tx),
      incidentId,
      { kind: "status-page-update", body, data },
      actor.id,
      clock.now(),
    );
  }

  return { ...service, maintenanceSubject };
}

export type StatusService = ReturnType<typeof createStatusService>;
