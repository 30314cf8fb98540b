/** What every incident command checks first: who may see it (DATA-3), RED data (DATA-1), people. */
import type { Actor } from "../platform/auth.ts";
import { invalid, notFound } from "../platform/errors.ts";
import type { Incident } from "./model.ts";
import type { IncidentDb } from "./store.ts";
import * as store from "./store.ts";

export type UserInput = number | string;

export { assertNoRedData } from "../platform/reddata.ts";

export function viewerOf(actor: Actor): store.Viewer {
  return { id: actor.id, admin: actor.role === "admin" };
}

/** DATA-3: a private incident exists only for its participants and admins; others get 404. */
export async function visibleIncident(
  tx: IncidentDb,
  actor: Actor,
  id: number,
  lock: boolean,
): Promise<Incident> {
  const i = lock ? await store.lockIncident(tx, id) : await store.getIncident(tx, id);
  if (!i) throw notFound("incident", id);
  if (
    i.visibility === "private" &&
    actor.role !== "admin" &&
    !(await store.isParticipant(tx, id, actor.id))
  ) {
    throw notFound("incident", id);
  }
  return i;
}

export async function seesInternal(tx: IncidentDb, actor: Actor, id: number): Promise<boolean> {
  return actor.role === "admin" || store.isParticipant(tx, id, actor.id);
}

export async function activeUser(tx: IncidentDb, ref: UserInput, field: string): Promise<store.ActiveUser> {
  const u = await store.findActiveUser(tx, ref);
  if (!u) throw invalid(field, `no active user ${JSON.stringify(ref)}; give a username or user id`);
  return u;
}

/** Whoever owns an incident must be able to resolve it, so viewers cannot own one. */
export async function ownerCandidate(
  tx: IncidentDb,
  ref: UserInput,
  field: string,
): Promise<store.ActiveUser> {
  const u = await activeUser(tx, ref, field);
  if (u.role === "viewer") {
    throw invalid(
      field,
      `${u.username} is a viewer and could not run the incident; choose a responder or admin`,
    );
  }
  return u;
}

/**
 * Names of people for presenting incidents, remembered for a few seconds: nearly every response
 * names the same handful of people, and a lookup per response is a round trip saved. A renamed
 * person shows their new name within the TTL.
 */
export function createUserRefCache(
  load: (ids: number[]) => Promise<Map<number, store.UserRef>>,
  ttlMs = 5_000,
) {
  const cache = new Map<number, { ref: store.UserRef; until: number }>();
  return {
    async get(ids: number[]): Promise<Map<number, store.UserRef>> {
      const now = Date.now();
      const out = new Map<number, store.UserRef>();
      const missing: number[] = [];
      for (const id of new Set(ids)) {
        const hit = cache.get(id);
        if (hit && hit.until > now) out.set(id, hit.ref);
        else missing.push(id);
      }
      if (missing.length) {
        if (cache.size > 10_000) cache.clear();
        for (const [id, ref] of await load(missing)) {
          cache.set(id, { ref, until: now + ttlMs });
          out.set(id, ref);
        }
      }
      return out;
    },
  };
}
