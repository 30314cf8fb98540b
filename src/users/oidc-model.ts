/**
 * Single sign-on, the pure part: which role a provider's claims give, what username a new person
 * gets, where a browser may be sent back to. No I/O.
 */
import type { Role } from "../platform/auth.ts";

const rank: Record<Role, number> = { viewer: 0, responder: 1, admin: 2 };
const roles = new Set<string>(["viewer", "responder", "admin"]);

/** A claim's values: a string, a list of strings, or nothing usable. */
export function claimValues(claim: unknown): string[] {
  if (typeof claim === "string") return [claim];
  if (Array.isArray(claim)) return claim.filter((v): v is string => typeof v === "string");
  return [];
}

/**
 * The highest role the claim's values map to (a value naming a role maps to that role), or
 * undefined when none does.
 */
export function roleFromClaim(claim: unknown, map: Record<string, Role>): Role | undefined {
  let best: Role | undefined;
  for (const v of claimValues(claim)) {
    const r = map[v] ?? (roles.has(v) ? (v as Role) : undefined);
    if (r && (best === undefined || rank[r] > rank[best])) best = r;
  }
  return best;
}

const usernameShape = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * A username for a person the provider introduces: their preferred username, else the part of
 * their email before @, folded to what usernames allow (lowercase letters, digits, . _ -).
 */
export function usernameFor(claims: { preferred_username?: unknown; email?: unknown }): string {
  const from = [
    claims.preferred_username,
    typeof claims.email === "string" ? claims.email.split("@")[0] : "",
  ];
  for (const raw of from) {
    if (typeof raw !== "string") continue;
    const folded = raw
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/@.*$/, "")
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[._-]+/, "")
      .slice(0, 56);
    if (usernameShape.test(folded)) return folded;
  }
  return "user";
}

/** The nth alternative when a username is taken: name, name-2, name-3, … */
export const nthUsername = (base: string, n: number): string => (n <= 1 ? base : `${base}-${n}`);

/**
 * Where the browser goes after signing in: a path on this site only (`/incidents?x=1`), never
 * another site (`//evil.example`, `https://…`, `/\evil`); anything else is `/`.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== "string" || value.length > 1000) return "/";
  if (!/^\/(?![/\\])[\x21-\x7e]*$/.test(value)) return "/";
  return value;
}
