import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Db } from "./db.ts";
import { AppError } from "./errors.ts";

export type Role = "viewer" | "responder" | "admin";
export type Actor = { id: number; username: string; role: Role; tokenId: number };

const rank: Record<Role, number> = { viewer: 0, responder: 1, admin: 2 };

export function hasRole(actor: Actor, min: Role): boolean {
  return rank[actor.role] >= rank[min];
}

/** API tokens carry 256 random bits, so a plain SHA-256 is enough to store them safely. */
export function hashToken(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function newTokenSecret(): string {
  return `fbk_${randomBytes(32).toString("base64url")}`;
}

export function tokenPrefix(secret: string): string {
  return secret.slice(0, 8);
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    /** Least role a route needs; every /api/v1 route needs at least a valid token (viewer). */
    minRole?: Role;
    /** Alert intake routes: the integration their requests are counted under in /metrics. */
    integration?: string;
  }
}

// last_used_at is a convenience for people auditing tokens; write it at most once a minute per token.
const lastTouched = new Map<number, number>();

/**
 * Tokens seen in the last few seconds, so a burst of requests costs one lookup. A revoked token or a
 * changed role takes effect on this replica at once (forgetTokens) and on others within the TTL.
 */
const TOKEN_CACHE_MS = 5_000;
const tokenCache = new Map<string, { actor: Actor; until: number }>();

export function forgetTokens(): void {
  tokenCache.clear();
}

async function findActor(db: Db, secret: string): Promise<Actor | null> {
  const hash = hashToken(secret);
  const cached = tokenCache.get(hash);
  if (cached && cached.until > Date.now()) return cached.actor;
  const actor = await lookUpActor(db, hash);
  if (actor) {
    if (tokenCache.size > 10_000) tokenCache.clear(); // bounded: a flood of tokens cannot grow it
    tokenCache.set(hash, { actor, until: Date.now() + TOKEN_CACHE_MS });
  }
  return actor;
}

async function lookUpActor(db: Db, hash: string): Promise<Actor | null> {
  const row = await db
    .selectFrom("api_tokens as t")
    .innerJoin("users as u", "u.id", "t.user_id")
    .select(["t.id as tokenId", "u.id as id", "u.username", "u.role"])
    .where("t.token_hash", "=", hash)
    .where("t.revoked_at", "is", null)
    .where("u.deactivated_at", "is", null)
    .executeTakeFirst();
  if (!row) return null;
  const now = Date.now();
  if ((lastTouched.get(row.tokenId) ?? 0) < now - 60_000) {
    lastTouched.set(row.tokenId, now);
    await db
      .updateTable("api_tokens")
      .set({ last_used_at: new Date(now) })
      .where("id", "=", row.tokenId)
      .execute();
  }
  return row;
}

/** onRequest hook for /api/v1: a bearer token is required, and the route's least role. */
export function authenticate(db: Db) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = req.headers.authorization;
    if (!header) {
      throw new AppError(
        "unauthenticated",
        "no API token: send `Authorization: Bearer <token>` (create one with `firebreak` or in the web app)",
      );
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      throw new AppError("unauthenticated", "the Authorization header must be `Bearer <token>`");
    }
    const actor = await findActor(db, match[1]);
    if (!actor) {
      throw new AppError(
        "unauthenticated",
        `the API token starting ${tokenPrefix(match[1])}… is unknown, revoked, or its user is deactivated`,
      );
    }
    req.actor = actor;
    const min = req.routeOptions.config.minRole ?? "viewer";
    if (!hasRole(actor, min)) {
      throw new AppError(
        "forbidden",
        `user ${actor.username} has the ${actor.role} role; this needs ${min} or higher (ask an admin to change your role)`,
        { role: actor.role, required: min },
      );
    }
  };
}

/** The actor of an authenticated request (routes under /api/v1 always have one). */
export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw new AppError("unauthenticated", "this route needs an API token");
  return req.actor;
}
