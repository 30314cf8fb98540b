/** The users API's shapes (validation, types and OpenAPI from one schema) and presenters. */
import { z } from "zod";
import type { Token, User } from "./store.ts";

export const role = z.enum(["viewer", "responder", "admin"]);

export const userSchema = z.object({
  id: z.number(),
  username: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  role,
  active: z.boolean(),
  createdAt: z.string(),
});

/** A person as they see themselves (GET /me, the session): also whether they have a password. */
export const meSchema = userSchema
  .extend({
    hasPassword: z
      .boolean()
      .describe("whether they can sign in with a password; changing it then needs the current one"),
  })
  .meta({ id: "Me" });

/** A person as the people list shows them: admins also learn whether they have a password. */
export const personSchema = userSchema.extend({
  hasPassword: z
    .boolean()
    .optional()
    .describe("admins only: whether they can sign in with a password (else a token or single sign-on)"),
});

export const tokenSchema = z.object({
  id: z.number(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const presentUser = (u: User) => ({
  id: u.id,
  username: u.username,
  name: u.name,
  email: u.email,
  role: u.role,
  active: u.deactivatedAt === null,
  createdAt: u.createdAt.toISOString(),
});

export const presentMe = (u: User) => ({ ...presentUser(u), hasPassword: u.hasPassword });

/** Whether a person has a password is for admins to see (to know whom to give one); others get the user. */
export const presentPerson = (u: User, viewer: { role: string }) =>
  viewer.role === "admin" ? presentMe(u) : presentUser(u);

export const presentToken = (t: Token) => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  createdAt: t.createdAt.toISOString(),
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  revokedAt: t.revokedAt?.toISOString() ?? null,
});
