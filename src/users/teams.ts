/**
 * Teams: who belongs to which team with which role, and the gate that lets a person change a
 * team's schedules, escalation policies, services and status pages only with a role in that team.
 */
import type { FastifyRequest } from "fastify";
import { type Actor, actorOf, type Role } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import type { Db } from "../platform/db.ts";
import { AppError, forbidden, invalid, notFound } from "../platform/errors.ts";
import { atLeast, resourceNames, roleInTeam } from "./teams-model.ts";
import * as store from "./teams-store.ts";

export type TeamsDeps = { db: Db; clock: Clock };

const isUnique = (err: unknown) => (err as { code?: string }).code === "23505";
const isForeignKey = (err: unknown) => (err as { code?: string }).code === "23503";

export function createTeams({ db, clock }: TeamsDeps) {
  /** A person may manage a team's members as an admin, or as an admin of that team. */
  async function mayManage(actor: Actor, teamId: number): Promise<store.Team> {
    const t = await store.teamAndRole(db, teamId, actor.id);
    const team = await store.findTeam(db, teamId);
    if (!t || !team) throw notFound("team", teamId);
    if (roleInTeam(actor.role, t.role) !== "admin")
      throw forbidden(`managing the members of team ${team.name} needs an admin, or an admin of that team`);
    return team;
  }

  /** The team a new resource goes to when none is named: the person's only team, else the default. */
  async function defaultTeamFor(userId: number): Promise<number> {
    const mine = await store.teamsOf(db, userId);
    if (mine.length === 1 && mine[0]) return mine[0].id;
    const all = await store.listTeams(db);
    const fallback = all.find((t) => t.isDefault) ?? all[0];
    if (!fallback) throw new AppError("conflict", "there is no team; create one first");
    return fallback.id;
  }

  function refuse(actor: Actor, role: Role, min: Role, teamName: string, what: string): never {
    throw new AppError(
      "forbidden",
      `user ${actor.username} is ${role === "viewer" ? "a viewer (or not a member)" : `a ${role}`} in team ${teamName}; changing its ${what} needs ${min} or higher there`,
      { role, required: min, team: teamName },
    );
  }

  return {
    list: () => store.listTeams(db),
    mine: (userId: number) => store.teamsOf(db, userId),

    async get(id: number) {
      const t = await store.findTeam(db, id);
      if (!t) throw notFound("team", id);
      return { ...t, members: await store.members(db, id) };
    },

    async create(input: { slug: string; name: string }) {
      try {
        return await store.insertTeam(db, { ...input, at: clock.now() });
      } catch (err) {
        if (isUnique(err)) throw new AppError("conflict", `a team ${input.slug} exists`, { field: "slug" });
        throw err;
      }
    },

    async rename(id: number, name: string) {
      const t = await store.renameTeam(db, id, name);
      if (!t) throw notFound("team", id);
      return t;
    },

    async remove(id: number) {
      const t = await store.findTeam(db, id);
      if (!t) throw notFound("team", id);
      if (t.isDefault) throw new AppError("conflict", "the default team cannot be deleted");
      const owned = await store.ownedCounts(db, id);
      const held = Object.entries(owned).filter(([, n]) => n > 0);
      if (held.length)
        throw new AppError(
          "conflict",
          `team ${t.name} still owns ${held.map(([k, n]) => `${n} ${resourceNames[k as keyof typeof owned]}`).join(", ")}; give them to another team first`,
          { owned },
        );
      await store.deleteTeam(db, id);
    },

    async setMember(actor: Actor, teamId: number, userId: number, role: Role) {
      await mayManage(actor, teamId);
      try {
        await store.setMember(db, teamId, userId, role);
      } catch (err) {
        if (isForeignKey(err)) throw notFound("user", userId);
        throw err;
      }
    },

    async removeMember(actor: Actor, teamId: number, userId: number) {
      await mayManage(actor, teamId);
      if (!(await store.removeMember(db, teamId, userId))) throw notFound(`member of team ${teamId}`, userId);
    },

    /**
     * preHandler for /api/v1: a route with `config.team` changes a team's resource only with the
     * role it needs in the team that owns it (and, when it names a `teamId`, in that team too);
     * a list with `?team=` is narrowed to those teams.
     */
    async gate(req: FastifyRequest) {
      const cfg = req.routeOptions.config.team;
      if (!cfg) return;
      const actor = actorOf(req);
      if (cfg.list) {
        const wanted = (req.query as { team?: "mine" | number } | undefined)?.team;
        if (wanted === undefined) return;
        req.teamFilter = wanted === "mine" ? (await store.teamsOf(db, actor.id)).map((t) => t.id) : [wanted];
        return;
      }
      const min = req.routeOptions.config.minRole ?? "viewer";
      const what = resourceNames[cfg.kind];
      const body = (req.body && typeof req.body === "object" ? req.body : undefined) as
        | { teamId?: number }
        | undefined;
      let current: number | undefined;
      if (cfg.param) {
        const key = (req.params as Record<string, string | number>)[cfg.param];
        if (key === undefined) return;
        const owner = await store.ownerAndRole(db, cfg.kind, key, actor.id);
        if (!owner) return; // the route answers its own 404
        current = owner.teamId;
        const role = roleInTeam(actor.role, owner.role);
        if (!atLeast(role, min)) refuse(actor, role, min, owner.teamName, what);
      } else if (body && body.teamId === undefined) {
        body.teamId = await defaultTeamFor(actor.id);
      }
      if (body?.teamId !== undefined && body.teamId !== current) {
        const target = await store.teamAndRole(db, body.teamId, actor.id);
        if (!target) throw invalid("teamId", `team ${body.teamId} does not exist; see GET /api/v1/teams`);
        const role = roleInTeam(actor.role, target.role);
        if (!atLeast(role, min)) refuse(actor, role, min, target.teamName, what);
      }
    },
  };
}

export type Teams = ReturnType<typeof createTeams>;
