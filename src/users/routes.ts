/** HTTP for people and API tokens. */
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import type { App } from "../platform/http.ts";
import { newPassword } from "./password.ts";
import {
  meSchema,
  personSchema,
  presentMe,
  presentPerson,
  presentToken,
  role,
  tokenSchema,
} from "./schemas.ts";
import type { UserService } from "./service.ts";
import type { SignInService } from "./signin.ts";

const tags = ["users"];
const idParams = z.object({ id: z.coerce.number().int().positive() });

export function userRoutes(service: UserService, signIn: SignInService) {
  return async (app: App) => {
    app.get(
      "/me",
      {
        schema: { tags, summary: "The user the token or session belongs to", response: { 200: meSchema } },
      },
      async (req) => presentMe(await service.get(actorOf(req).id)),
    );
    app.get(
      "/users",
      {
        schema: {
          tags,
          summary: "Everyone (admins also see whether each has a password)",
          response: { 200: z.object({ users: z.array(personSchema) }) },
        },
      },
      async (req) => ({ users: (await service.list()).map((u) => presentPerson(u, actorOf(req))) }),
    );
    app.post(
      "/users",
      {
        config: { minRole: "admin" },
        schema: {
          tags,
          summary: "Create a user (admin)",
          body: z
            .object({
              username: z
                .string()
                .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "expected lowercase letters, digits, . _ - (up to 63)"),
              name: z.string().min(1).max(200),
              email: z.email().optional(),
              role,
              password: newPassword.optional().describe("lets them sign in to the web app at once"),
            })
            .strict(),
          response: { 201: personSchema },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return presentPerson(await service.create(actorOf(req), req.body), actorOf(req));
      },
    );
    app.patch(
      "/users/:id",
      {
        schema: {
          tags,
          summary: "Change a user: own name/email, or (admin) role and active",
          description:
            "Deactivating (`active: false`) is refused with `409` while a schedule or escalation policy names them; the problem lists them in `places`: `[{ kind, id, name }]`.",
          params: idParams,
          body: z
            .object({
              name: z.string().min(1).max(200).optional(),
              email: z.email().nullable().optional(),
              role: role.optional(),
              active: z.boolean().optional(),
            })
            .strict(),
          response: { 200: personSchema },
        },
      },
      async (req) => presentPerson(await service.update(actorOf(req), req.params.id, req.body), actorOf(req)),
    );
    app.delete(
      "/users/:id",
      {
        config: { minRole: "admin" },
        schema: {
          tags,
          summary:
            "Remove a person: deactivates them (their history stays); refused while a rotation or policy names them",
          description:
            'The same as `PATCH /users/{id}` with `active: false`. While a schedule or escalation policy names them the answer is `409` with `places`: `[{ kind: "schedule" | "escalation-policy", id, name }]`.',
          params: idParams,
          response: { 200: personSchema },
        },
      },
      async (req) =>
        presentPerson(await service.update(actorOf(req), req.params.id, { active: false }), actorOf(req)),
    );
    app.put(
      "/users/:id/password",
      {
        schema: {
          tags,
          summary:
            "Set a password for the web app: your own (with the current one, if you have one), or anyone's as admin",
          description:
            "Every other session of that person is signed out. Wrong current passwords count towards the sign-in throttle.",
          params: idParams,
          body: z
            .object({
              password: newPassword,
              currentPassword: z
                .string()
                .max(1000)
                .optional()
                .describe("needed to change your own password once you have one"),
            })
            .strict(),
          response: { 204: z.null().describe("The password is set") },
        },
      },
      async (req, reply) => {
        await signIn.setPassword(actorOf(req), req.params.id, req.body);
        return reply.code(204).send(null);
      },
    );
    app.get(
      "/tokens",
      {
        schema: {
          tags,
          summary: "Your API tokens",
          response: { 200: z.object({ tokens: z.array(tokenSchema) }) },
        },
      },
      async (req) => ({ tokens: (await service.listTokens(actorOf(req))).map(presentToken) }),
    );
    app.post(
      "/tokens",
      {
        schema: {
          tags,
          summary: "Create an API token for yourself; the secret is shown only in this response",
          body: z.object({ name: z.string().min(1).max(100) }).strict(),
          response: { 201: tokenSchema.extend({ token: z.string() }) },
        },
      },
      async (req, reply) => {
        const t = await service.createToken(actorOf(req), req.body.name);
        reply.code(201);
        return { ...presentToken(t), token: t.secret };
      },
    );
    app.post(
      "/users/:id/tokens",
      {
        config: { minRole: "admin" },
        schema: {
          tags,
          summary: "Create an API token for another user (admin); the secret is shown only in this response",
          params: idParams,
          body: z.object({ name: z.string().min(1).max(100) }).strict(),
          response: { 201: tokenSchema.extend({ token: z.string() }) },
        },
      },
      async (req, reply) => {
        const t = await service.createTokenFor(actorOf(req), req.params.id, req.body.name);
        reply.code(201);
        return { ...presentToken(t), token: t.secret };
      },
    );
    app.delete(
      "/tokens/:id",
      { schema: { tags, summary: "Revoke a token (yours, or any as admin)", params: idParams } },
      async (req, reply) => {
        await service.revokeToken(actorOf(req), req.params.id);
        return reply.code(204).send();
      },
    );
  };
}
