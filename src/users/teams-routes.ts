/** HTTP for teams and their members. */
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import type { App } from "../platform/http.ts";
import { role } from "./schemas.ts";
import type { Teams } from "./teams.ts";

const tags = ["teams"];
const id = z.object({ id: z.coerce.number().int().positive() });
const teamSchema = z
  .object({
    id: z.number(),
    slug: z.string(),
    name: z.string(),
    isDefault: z.boolean(),
    myRole: role.nullable().describe("your role in the team (null: not a member)"),
  })
  .meta({ id: "Team" });
const memberSchema = z.object({ userId: z.number(), username: z.string(), name: z.string(), role });

export function teamRoutes(teams: Teams) {
  return async (app: App) => {
    app.get(
      "/teams",
      {
        schema: {
          tags,
          summary: "Every team, with your role in each",
          response: { 200: z.object({ teams: z.array(teamSchema) }) },
        },
      },
      async (req) => {
        const mine = new Map((await teams.mine(actorOf(req).id)).map((t) => [t.id, t.role]));
        return { teams: (await teams.list()).map((t) => ({ ...t, myRole: mine.get(t.id) ?? null })) };
      },
    );
    app.post(
      "/teams",
      {
        config: { minRole: "admin" },
        schema: {
          tags,
          summary: "Create a team (admin)",
          body: z
            .object({
              slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected lowercase letters, digits and -"),
              name: z.string().trim().min(1).max(100),
            })
            .strict(),
          response: { 201: teamSchema },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return { ...(await teams.create(req.body)), myRole: null };
      },
    );
    app.get(
      "/teams/:id",
      {
        schema: {
          tags,
          summary: "A team and its members",
          params: id,
          response: { 200: teamSchema.omit({ myRole: true }).extend({ members: z.array(memberSchema) }) },
        },
      },
      async (req) => teams.get(req.params.id),
    );
    app.patch(
      "/teams/:id",
      {
        config: { minRole: "admin" },
        schema: {
          tags,
          summary: "Rename a team (admin)",
          params: id,
          body: z.object({ name: z.string().trim().min(1).max(100) }).strict(),
          response: { 200: teamSchema.omit({ myRole: true }) },
        },
      },
      async (req) => teams.rename(req.params.id, req.body.name),
    );
    app.delete(
      "/teams/:id",
      {
        config: { minRole: "admin" },
        schema: {
          tags,
          summary: "Delete a team that owns nothing (admin; never the default team)",
          params: id,
        },
      },
      async (req, reply) => {
        await teams.remove(req.params.id);
        return reply.code(204).send();
      },
    );
    const member = z.object({
      id: z.coerce.number().int().positive(),
      userId: z.coerce.number().int().positive(),
    });
    app.put(
      "/teams/:id/members/:userId",
      {
        schema: {
          tags,
          summary: "Add a person to a team or change their role there (an admin, or an admin of the team)",
          params: member,
          body: z.object({ role }).strict(),
        },
      },
      async (req, reply) => {
        await teams.setMember(actorOf(req), req.params.id, req.params.userId, req.body.role);
        return reply.code(204).send();
      },
    );
    app.delete(
      "/teams/:id/members/:userId",
      {
        schema: {
          tags,
          summary: "Take a person out of a team (an admin, or an admin of the team)",
          params: member,
        },
      },
      async (req, reply) => {
        await teams.removeMember(actorOf(req), req.params.id, req.params.userId);
        return reply.code(204).send();
      },
    );
  };
}
