/** People, roles and API tokens. */
import { sql } from "kysely";
import {
  type Actor,
  forgetTokens,
  hashToken,
  newTokenSecret,
  type Role,
  tokenPrefix,
} from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import type { Db } from "../platform/db.ts";
import { AppError, forbidden, invalid, notFound } from "../platform/errors.ts";
import { revokeTokenSessions, revokeUserSessions } from "../platform/session.ts";
import { hashPassword } from "./password.ts";
import * as store from "./store.ts";

/** A schedule whose rotations or overrides name a person, or an escalation policy that pages them. */
export type Place = { kind: "schedule" | "escalation-policy"; id: number; name: string };

export type UserDeps = {
  db: Db;
  clock: Clock;
  /** Where a person is relied on (rotations, escalation policies): they cannot leave while there. */
  placesOf?: (userId: number) => Promise<Place[]>;
};

const placeText = (p: Place) =>
  `${p.kind === "schedule" ? "schedule" : "escalation policy"} ${p.name} (#${p.id})`;

/** What PATCH /users/{id} takes: at least one of these. */
const userChanges = ["name", "email", "role", "active"] as const;

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === "23505";

export function createUserService({ db, clock, placesOf }: UserDeps) {
  async function issueToken(tx: Db, userId: number, name: string, secret = newTokenSecret()) {
    const token = await store.insertToken(tx, {
      userId,
      name,
      hash: hashToken(secret),
      prefix: tokenPrefix(secret),
      createdAt: clock.now(),
    });
    return { ...token, secret };
  }

  return {
    /**
     * First start: create the admin user and its token (the given one for scripted installs, or a
     * random one shown once). Later starts change nothing.
     */
    async bootstrap(
      given?: string,
    ): Promise<{ userId: number; username: string; secret: string | null } | null> {
      return db.transaction().execute(async (tx) => {
        // Replicas starting together on an empty database queue here; only the first creates the admin.
        await sql`SELECT pg_advisory_xact_lock(7314222)`.execute(tx);
        if ((await store.countUsers(tx)) > 0) return null;
        const admin = await store.insertUser(tx, {
          username: "admin",
          name: "Administrator",
          email: null,
          role: "admin",
          createdAt: clock.now(),
        });
        const t = await issueToken(tx, admin.id, "bootstrap", given);
        return { userId: admin.id, username: admin.username, secret: given ? null : t.secret };
      });
    },

    async create(
      actor: Actor,
      input: { username: string; name: string; email?: string; role: Role; password?: string },
    ) {
      if (actor.role !== "admin") throw forbidden("only admins create users");
      const { password, ...person } = input;
      const passwordHash = password === undefined ? null : await hashPassword(password);
      try {
        return await store.insertUser(db, {
          ...person,
          email: person.email ?? null,
          createdAt: clock.now(),
          passwordHash,
        });
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new AppError("conflict", `username ${input.username} is taken; choose another`, {
            field: "username",
          });
        }
        throw err;
      }
    },

    list: () => store.listUsers(db),

    async get(ref: number | string) {
      const u = await store.findUser(db, ref);
      if (!u) throw notFound("user", ref);
      return u;
    },

    async update(
      actor: Actor,
      id: number,
      changes: { name?: string; email?: string | null; role?: Role; active?: boolean },
    ) {
      if (userChanges.every((k) => changes[k] === undefined))
        throw invalid("body", `nothing to change: send at least one of ${userChanges.join(", ")}`);
      if (actor.role !== "admin" && (actor.id !== id || changes.role || changes.active !== undefined)) {
        throw forbidden("people may change their own name and email; roles and deactivation need an admin");
      }
      if (changes.active === false) {
        const places = (await placesOf?.(id)) ?? [];
        if (places.length) {
          // `places` lets a client link to each schedule and policy; the detail says the same in words.
          throw new AppError(
            "conflict",
            `user ${id} is still relied on by ${places.map(placeText).join(", ")}; take them off those first so no page goes unanswered`,
            { places },
          );
        }
      }
      return db.transaction().execute(async (tx) => {
        const u = await store.findUser(tx, id);
        if (!u) throw notFound("user", id);
        const next = await store.updateUser(tx, id, {
          name: changes.name,
          email: changes.email,
          role: changes.role,
          deactivatedAt: changes.active === undefined ? undefined : changes.active ? null : clock.now(),
        });
        // A deactivated person is signed out everywhere; reactivating them does not revive old sessions.
        if (changes.active === false) await revokeUserSessions(tx, id, clock.now());
        // Keep at least one admin who can still sign in.
        if (u.role === "admin" && (await store.countActiveAdmins(tx)) === 0) {
          throw new AppError("conflict", "this would leave no active admin; make someone else admin first");
        }
        forgetTokens(); // a new role or a deactivation applies to the next request
        return next;
      });
    },

    /** Creates a token for the caller; the secret is returned this once and stored only hashed. */
    createToken: (actor: Actor, name: string) => issueToken(db, actor.id, name),

    /** An admin issues a user's first token (how a new person or a pipeline gets access). */
    async createTokenFor(actor: Actor, userId: number, name: string) {
      if (actor.role !== "admin") throw forbidden("only admins create tokens for other users");
      const u = await store.findUser(db, userId);
      if (!u || u.deactivatedAt) throw notFound("active user", userId);
      return issueToken(db, userId, name);
    },

    listTokens: (actor: Actor) => store.listTokens(db, actor.id),

    async revokeToken(actor: Actor, id: number) {
      const t = await store.findToken(db, id);
      if (!t || (t.userId !== actor.id && actor.role !== "admin")) throw notFound("token", id);
      if (t.revokedAt) throw new AppError("conflict", `token ${id} is already revoked`);
      // The browser sessions signed in with this token end with it.
      await db.transaction().execute(async (tx) => {
        await store.revokeToken(tx, id, clock.now());
        await revokeTokenSessions(tx, id, clock.now());
      });
      forgetTokens();
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
