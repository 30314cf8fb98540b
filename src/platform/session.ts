/**
 * Browser sessions of the web app: a random secret in an HttpOnly cookie, stored only as its
 * SHA-256 (like API tokens: 256 random bits need no slow hash). A session ends when signed out,
 * after 12 hours without a request, or 7 days after sign-in, whichever comes first; one opened with
 * an API token also ends when that token is revoked.
 */
import { randomBytes } from "node:crypto";
import type { Generated, Kysely } from "kysely";
import type { Role } from "./auth.ts";
import type { Db, PlatformTables } from "./db.ts";

export const SESSION_COOKIE = "firebreak_session";
export const SESSION_IDLE_MS = 12 * 60 * 60_000;
export const SESSION_MAX_MS = 7 * 24 * 60 * 60_000;
/** last_seen_at moves at most once a minute per session: enough for a 12-hour idle limit. */
const TOUCH_EVERY_MS = 60_000;

export type SessionTables = {
  web_sessions: {
    id: Generated<number>;
    user_id: number;
    /** The API token the session was opened with (its revocation ends the session), or null. */
    token_id: number | null;
    secret_hash: string;
    user_agent: string;
    created_at: Date;
    last_seen_at: Date;
    expires_at: Date;
    revoked_at: Date | null;
    via: Generated<SignInMethod>;
  };
};

/** How a session was opened. */
export type SignInMethod = "password" | "token" | "sso";

type SessionDb = Kysely<PlatformTables & SessionTables>;
const withSessions = (db: Db): SessionDb => db.withTables<SessionTables>();

export function newSessionSecret(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * The session secret from a Cookie header, if it carries one: the first well-formed
 * `firebreak_session` value (a malformed one, say set by another app on a parent domain, is skipped).
 */
export function readSessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      if (/^[\w-]{1,128}$/.test(value)) return value;
    }
  }
  return undefined;
}

/**
 * SameSite=Strict: browsers never send it on requests started by another site. HttpOnly: scripts
 * (an injected one included) cannot read it. Secure whenever Firebreak is served over https.
 */
export function sessionCookie(secret: string, opts: { secure: boolean; maxAgeSeconds: number }): string {
  const attrs = [`${SESSION_COOKIE}=${secret}`, "HttpOnly", "SameSite=Strict", "Path=/"];
  attrs.push(`Max-Age=${Math.max(0, Math.floor(opts.maxAgeSeconds))}`);
  if (opts.secure) attrs.push("Secure");
  return attrs.join("; ");
}

export function clearedSessionCookie(opts: { secure: boolean }): string {
  return sessionCookie("", { secure: opts.secure, maxAgeSeconds: 0 });
}

export type SessionActor = {
  sessionId: number;
  userId: number;
  username: string;
  role: Role;
  lastSeenAt: Date;
  expiresAt: Date;
};

export async function insertSession(
  db: Db,
  s: {
    userId: number;
    tokenId?: number;
    secretHash: string;
    userAgent: string;
    now: Date;
    via?: SignInMethod;
  },
): Promise<{ id: number; expiresAt: Date }> {
  const expiresAt = new Date(s.now.getTime() + SESSION_MAX_MS);
  const row = await withSessions(db)
    .insertInto("web_sessions")
    .values({
      user_id: s.userId,
      token_id: s.tokenId ?? null,
      secret_hash: s.secretHash,
      user_agent: s.userAgent.slice(0, 500),
      created_at: s.now,
      last_seen_at: s.now,
      expires_at: expiresAt,
      via: s.via ?? (s.tokenId === undefined ? "password" : "token"),
    })
    .returning(["id", "expires_at"])
    .executeTakeFirstOrThrow();
  return { id: row.id, expiresAt: row.expires_at };
}

/**
 * The live session with this secret and its (active) user, or nothing: revoked, expired, idle too
 * long, the user is deactivated, or the API token it was opened with is revoked. A request moves
 * last_seen_at (at most once a minute); `touch: false` only looks, for re-checks that are not
 * requests of their own (a live stream's keep-alive), so an open stream does not keep a session alive.
 */
export async function findLiveSession(
  db: Db,
  secretHash: string,
  now: Date,
  opts: { touch?: boolean } = {},
): Promise<SessionActor | null> {
  const sdb = withSessions(db);
  const row = await sdb
    .selectFrom("web_sessions as s")
    .innerJoin("users as u", "u.id", "s.user_id")
    .leftJoin("api_tokens as t", "t.id", "s.token_id")
    .select([
      "s.id as sessionId",
      "u.id as userId",
      "u.username",
      "u.role",
      "s.last_seen_at as lastSeenAt",
      "s.expires_at as expiresAt",
    ])
    .where("s.secret_hash", "=", secretHash)
    .where("s.revoked_at", "is", null)
    .where("s.expires_at", ">", now)
    .where("s.last_seen_at", ">", new Date(now.getTime() - SESSION_IDLE_MS))
    .where("u.deactivated_at", "is", null)
    .where((eb) => eb.or([eb("s.token_id", "is", null), eb("t.revoked_at", "is", null)]))
    .executeTakeFirst();
  if (!row) return null;
  if (opts.touch !== false && now.getTime() - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    await sdb
      .updateTable("web_sessions")
      .set({ last_seen_at: now })
      .where("id", "=", row.sessionId)
      .execute();
    row.lastSeenAt = now;
  }
  return row;
}

/** Signs one session out (by its secret); true when there was a live one. */
/** Ends the session with this secret; whose it was (null when there was no live one). */
export async function revokeSessionBySecret(db: Db, secretHash: string, now: Date): Promise<number | null> {
  const r = await withSessions(db)
    .updateTable("web_sessions")
    .set({ revoked_at: now })
    .where("secret_hash", "=", secretHash)
    .where("revoked_at", "is", null)
    .returning("user_id")
    .executeTakeFirst();
  return r?.user_id ?? null;
}

/** Ends the sessions opened with an API token (the token is being revoked). */
export async function revokeTokenSessions(db: Db, tokenId: number, now: Date): Promise<void> {
  await withSessions(db)
    .updateTable("web_sessions")
    .set({ revoked_at: now })
    .where("token_id", "=", tokenId)
    .where("revoked_at", "is", null)
    .execute();
}

/** Signs a person out everywhere (a new password, deactivation), except the session that asked. */
export async function revokeUserSessions(db: Db, userId: number, now: Date, exceptSessionId?: number) {
  await withSessions(db)
    .updateTable("web_sessions")
    .set({ revoked_at: now })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .$if(exceptSessionId !== undefined, (q) => q.where("id", "!=", exceptSessionId!))
    .execute();
}

/** How the session was opened (password, token or single sign-on). */
export async function sessionMethod(db: Db, sessionId: number): Promise<SignInMethod> {
  const row = await withSessions(db)
    .selectFrom("web_sessions")
    .select("via")
    .where("id", "=", sessionId)
    .executeTakeFirst();
  return row?.via ?? "password";
}
