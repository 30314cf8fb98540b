import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "./clock.ts";
import type { Db } from "./db.ts";
import { AppError } from "./errors.ts";
import { findLiveSession, readSessionCookie } from "./session.ts";

export type Role = "viewer" | "responder" | "admin";
/** What teams own. */
export type TeamResource = "schedule" | "policy" | "service" | "statusPage";
/** Who makes a request, and with what: an API token, or a browser session of the web app. */
export type Actor = {
  id: number;
  username: string;
  role: Role;
  tokenId: number | null;
  sessionId?: number;
};

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
    /** Lists with `?team=`: the teams whose resources to show (undefined: every team). */
    teamFilter?: number[];
  }
  interface FastifyContextConfig {
    /** Least role a route needs; every /api/v1 route needs at least a valid credential (viewer). */
    minRole?: Role;
    /** Alert intake routes: the integration their requests are counted under in /metrics. */
    integration?: string;
    /** Signing in and out: the route runs without a credential (the CSRF rule still applies). */
    noCredential?: boolean;
    /**
     * A change to a resource a team owns: `minRole` is checked against the caller's role in that
     * team (admins: everywhere), not their role alone. `param` names the resource (`id`, or a
     * status page's `slug`); without it the route creates one, in the body's `teamId` (or the
     * caller's team). A list with `list: true` filters by `?team=mine|<id>`.
     */
    team?: { kind: TeamResource; param?: string; list?: boolean };
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

const SAFE_METHODS = new Set(["GET", "HEAD"]);
export const CLIENT_HEADER = "x-firebreak-client";

type Credential = { kind: "token"; secret: string } | { kind: "session"; secret: string };

/** A bearer token wins over the cookie: a request that names a token means that token. */
function credentialOf(req: FastifyRequest): Credential | null {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      throw new AppError("unauthenticated", "the Authorization header must be `Bearer <token>`");
    }
    return { kind: "token", secret: match[1] };
  }
  const secret = readSessionCookie(req.headers.cookie);
  return secret ? { kind: "session", secret } : null;
}

/**
 * CSRF: a browser sends the session cookie with any request to this site, but a page on another
 * site cannot add a custom header without a CORS preflight (which Firebreak never grants). So a
 * cookie-signed change must carry `x-firebreak-client: web`; reads and bearer tokens need nothing.
 */
function checkCsrf(req: FastifyRequest): void {
  if (SAFE_METHODS.has(req.method) || req.headers.authorization) return;
  if (!readSessionCookie(req.headers.cookie)) return;
  if (req.headers[CLIENT_HEADER] !== "web") {
    throw new AppError(
      "missing-client-header",
      `a ${req.method} signed in with the session cookie must send the header \`${CLIENT_HEADER}: web\` (the web app does); scripts should send \`Authorization: Bearer <token>\` instead`,
      { header: CLIENT_HEADER },
    );
  }
}

export type AuthDeps = { db: Db; clock: Clock };

/** Authentication for /api/v1: an API token (`Authorization: Bearer`) or the web app's session cookie. */
export function createAuth({ db, clock }: AuthDeps) {
  /** `touch`: this is a request of its own, so it counts as the session's activity. */
  async function resolve(c: Credential, touch: boolean): Promise<Actor | null> {
    if (c.kind === "token") return findActor(db, c.secret);
    // Sessions are not cached: a signed-out session stops at once, on every replica.
    const s = await findLiveSession(db, hashToken(c.secret), clock.now(), { touch });
    return s && { id: s.userId, username: s.username, role: s.role, tokenId: null, sessionId: s.sessionId };
  }

  return {
    /** onRequest hook: a credential is required (except where a route says so), and the route's least role. */
    async authenticate(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
      checkCsrf(req);
      if (req.routeOptions.config.noCredential) return;
      const credential = credentialOf(req);
      if (!credential) {
        throw new AppError(
          "unauthenticated",
          "not signed in: send `Authorization: Bearer <token>` (create one with `firebreak` or in the web app), or sign in with POST /api/v1/session",
        );
      }
      const actor = await resolve(credential, true);
      if (!actor) {
        throw new AppError(
          "unauthenticated",
          credential.kind === "token"
            ? `the API token starting ${tokenPrefix(credential.secret)}… is unknown, revoked, or its user is deactivated`
            : "your session has ended (signed out, 12 hours idle, 7 days old, or your user was deactivated); sign in again",
        );
      }
      req.actor = actor;
      const min = req.routeOptions.config.minRole ?? "viewer";
      // Team resources are checked against the role in the owning team once the body is parsed.
      if (!req.routeOptions.config.team && !hasRole(actor, min)) {
        throw new AppError(
          "forbidden",
          `user ${actor.username} has the ${actor.role} role; this needs ${min} or higher (ask an admin to change your role)`,
          { role: actor.role, required: min },
        );
      }
    },

    /**
     * The request's credential checked again now: long-lived responses (live streams) ask before
     * sending more, so a revoked token, a signed-out session or a new role applies to them too.
     * Only a look: it does not count as activity, so an open stream does not keep an idle session
     * alive (only the browser's own requests do).
     */
    async currentActor(req: FastifyRequest): Promise<Actor | null> {
      const credential = credentialOf(req);
      return credential ? resolve(credential, false) : null;
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;

/** The actor of an authenticated request (routes under /api/v1 always have one). */
export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw new AppError("unauthenticated", "this route needs an API token or a session");
  return req.actor;
}
