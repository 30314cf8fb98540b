/**
 * Support operations (issue 20): the systems catalogue with each system's criticality, the systems
 * an incident touches (its criticality is the highest of theirs) and the escalation settings;
 * PAGE-8's clocks and REV-2 are in escalation.ts.
 */
import { visibleIncident } from "../incidents/access.ts";
import * as incidentStore from "../incidents/store.ts";
import type { Actor } from "../platform/auth.ts";
import { AppError, forbidden, invalid, notFound } from "../platform/errors.ts";
import { assertNoRedData } from "../platform/reddata.ts";
import { createEscalations, type SupportDeps } from "./escalation.ts";
import { type Criticality, criticalityById, criticalityChoices, isEnded, parseCriticality } from "./model.ts";
import * as store from "./store.ts";
import { asSupportDb, type SupportDb } from "./store.ts";

export type { SupportDeps };

type IncidentDb = incidentStore.IncidentDb;

export function createSupport(deps: SupportDeps) {
  const { clock } = deps;
  const db = asSupportDb(deps.database.db);
  const policyNow = () => deps.policy.current();
  const escalations = createEscalations(deps);
  const { note, rerate, view } = escalations;

  function requireAdmin(actor: Actor, what: string) {
    if (actor.role !== "admin") throw forbidden(`only admins can ${what}; ask an admin`);
  }

  function criticalityOrThrow(field: string, input: string | number): Criticality {
    const c = parseCriticality(input);
    if (!c)
      throw invalid(
        field,
        `unknown criticality ${JSON.stringify(input)}; expected one of ${criticalityChoices}`,
      );
    return c;
  }

  function systemName(field: string, name: string): string {
    const n = name.trim();
    if (!n) throw invalid(field, "expected a name with at least one character that is not a space");
    assertNoRedData({ [field]: n });
    return n;
  }

  async function systemOrThrow(tx: SupportDb, ref: number | string, field: string) {
    const s = await store.findSystem(tx, ref);
    if (!s)
      throw invalid(
        field,
        `no system ${typeof ref === "number" ? `with id ${ref}` : `named ${JSON.stringify(ref)}`}; add it to the catalogue first (POST /api/v1/systems) or pick one of GET /api/v1/systems`,
      );
    return s;
  }

  const service = {
    register: escalations.register,
    /** Told of every incident change in its transaction (wired as an incident follower). */
    incidentChanged: escalations.incidentChanged,

    async listSystems() {
      return store.listSystems(db);
    },

    async createSystem(actor: Actor, input: { name: string; criticality: string | number }) {
      requireAdmin(actor, "add systems to the catalogue");
      const name = systemName("name", input.name);
      const c = criticalityOrThrow("criticality", input.criticality);
      return db.transaction().execute(async (tx) => {
        const s = await store.insertSystem(tx, {
          name,
          criticality: c.id,
          createdBy: actor.id,
          at: clock.now(),
        });
        if (!s) {
          const taken = await store.findSystem(tx, name);
          throw new AppError(
            "conflict",
            `a system named ${JSON.stringify(taken?.name ?? name)} is in the catalogue already (id ${taken?.id}); change it with PATCH /api/v1/systems/${taken?.id}`,
            { systemId: taken?.id },
          );
        }
        return s;
      });
    },

    /** A re-rated system re-rates the open incidents that touch it, in the same transaction. */
    async updateSystem(actor: Actor, id: number, input: { name?: string; criticality?: string | number }) {
      requireAdmin(actor, "change systems in the catalogue");
      const name = input.name === undefined ? undefined : systemName("name", input.name);
      const c =
        input.criticality === undefined ? undefined : criticalityOrThrow("criticality", input.criticality);
      return db.transaction().execute(async (tx) => {
        const before = await store.findSystem(tx, id);
        if (!before) throw notFound("system", id);
        if (name !== undefined) {
          const taken = await store.findSystem(tx, name);
          if (taken && taken.id !== id)
            throw new AppError(
              "conflict",
              `a system named ${JSON.stringify(taken.name)} is in the catalogue already (id ${taken.id}); pick another name`,
            );
        }
        const s = await store.updateSystem(tx, id, { name, criticality: c?.id, at: clock.now() });
        if (c && c.id !== before.criticality)
          for (const incidentId of await store.incidentsOfSystem(tx, id)) {
            const i = await incidentStore.lockIncident(tx as unknown as IncidentDb, incidentId);
            if (i && !isEnded(i.state)) await rerate(tx, i, actor.id);
          }
        return s;
      });
    },

    async incidentSystems(actor: Actor, incidentId: number) {
      return db.transaction().execute(async (tx) => {
        const i = await visibleIncident(tx as unknown as IncidentDb, actor, incidentId, false);
        return view(tx, i);
      });
    },

    /** Links the incident to these systems (`replace`: exactly these); timeline and criticality follow. */
    async linkSystems(actor: Actor, incidentId: number, refs: (number | string)[], replace: boolean) {
      if (actor.role === "viewer")
        throw forbidden("viewers cannot change an incident's systems; ask a responder");
      return db.transaction().execute(async (tx) => {
        const i = await visibleIncident(tx as unknown as IncidentDb, actor, incidentId, true);
        const wanted: store.System[] = [];
        for (const [n, ref] of refs.entries()) wanted.push(await systemOrThrow(tx, ref, `systems[${n}]`));
        const current = await store.systemsOf(tx, incidentId);
        const now = clock.now();
        const added = wanted.filter(
          (w, n) => !current.some((x) => x.id === w.id) && wanted.findIndex((x) => x.id === w.id) === n,
        );
        const removed = replace ? current.filter((x) => !wanted.some((w) => w.id === x.id)) : [];
        for (const s of added) await store.link(tx, incidentId, s.id, actor.id, now);
        await store.unlink(
          tx,
          incidentId,
          removed.map((s) => s.id),
        );
        if (added.length || removed.length) {
          const words = [
            added.length
              ? `linked ${added.map((s) => `${s.name} (${criticalityById(s.criticality).name})`).join(", ")}`
              : "",
            removed.length ? `unlinked ${removed.map((s) => s.name).join(", ")}` : "",
          ].filter(Boolean);
          await note(tx, incidentId, actor.id, "fields-changed", `${words.join("; ")} (systems touched)`, {
            systemsAdded: added.map((s) => s.id),
            systemsRemoved: removed.map((s) => s.id),
          });
          await rerate(tx, i, actor.id);
        }
        const latest = (await incidentStore.getIncident(tx as unknown as IncidentDb, incidentId)) ?? i;
        return view(tx, latest);
      });
    },

    async settings() {
      return store.getSettings(db);
    },

    async updateSettings(actor: Actor, input: Partial<store.Settings>) {
      requireAdmin(actor, "change the support escalation settings");
      return db.transaction().execute(async (tx) => {
        const next = { ...(await store.getSettings(tx)), ...input };
        if (next.teamChannel !== null) next.teamChannel = next.teamChannel.trim().replace(/^#/, "") || null;
        const roles = policyNow().roles.map((r) => r.name);
        for (const field of ["specialistRole", "engineerRole"] as const)
          if (!roles.includes(next[field]))
            throw invalid(
              field,
              `the policy has no role ${JSON.stringify(next[field])}; expected one of ${roles.join(", ")}`,
            );
        await store.putSettings(tx, next, actor.id, clock.now());
        return next;
      });
    },
  };
  return service;
}

export type Support = ReturnType<typeof createSupport>;
