/**
 * Throttles password guessing: at most so many sign-in attempts that did not succeed per username
 * and per client address within a window. Attempts are rows in PostgreSQL, so every replica counts
 * the same ones. An attempt is recorded before its password is checked (under a lock per key), so
 * a burst of parallel guesses cannot slip past the limit; a success removes its own record.
 */
import { isIP } from "node:net";
import { sql } from "kysely";
import type { Clock } from "../platform/clock.ts";
import type { Db } from "../platform/db.ts";
import { AppError } from "../platform/errors.ts";

export type ThrottleLimits = {
  /** The window attempts are counted in (default 15 minutes). */
  windowMs: number;
  /** Attempts per username in the window (default 10). */
  perUsername: number;
  /**
   * Attempts per client network in the window (an IPv4 address or an IPv6 /64; default 50:
   * people behind one office or proxy address share it).
   */
  perAddress: number;
};

export const defaultThrottleLimits: ThrottleLimits = {
  windowMs: 15 * 60_000,
  perUsername: 10,
  perAddress: 50,
};

type AttemptTables = { sign_in_attempts: { id: import("kysely").Generated<number>; key: string; at: Date } };

/**
 * The network a client address belongs to, as the throttle counts it: an IPv4 address as it is, an
 * IPv6 address by its /64 (one host is usually given a whole /64, so counting single IPv6
 * addresses would let it guess without limit), and an IPv4-mapped IPv6 address as its IPv4 one.
 */
export function clientNetwork(address: string): string {
  const ip = address.replace(/%.*$/, ""); // a zone (fe80::1%eth0) names an interface, not a host
  if (isIP(ip) !== 6) return address;
  const groups = ipv6Groups(ip);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join(".");
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail included). */
function ipv6Groups(ip: string): number[] {
  let text = ip.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const front = head ? head.split(":") : [];
  const back = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - front.length - back.length).fill("0");
  return [...front, ...zeros, ...back].map((g) => Number.parseInt(g, 16));
}

// Advisory locks are (class, key) pairs; this class is the sign-in throttle's.
const LOCK_CLASS = 7_314_230;

export type Attempt = { ids: number[]; userKey?: string };

export function createThrottle(deps: { db: Db; clock: Clock; limits?: Partial<ThrottleLimits> }) {
  const limits = { ...defaultThrottleLimits, ...deps.limits };
  const db = deps.db.withTables<AttemptTables>();

  return {
    limits,
    /**
     * Records an attempt for a username and/or an address, or refuses with 429 and Retry-After
     * when either has used up its attempts.
     */
    async begin(who: { username?: string; address?: string }): Promise<Attempt> {
      const now = deps.clock.now();
      const since = new Date(now.getTime() - limits.windowMs);
      const keys: { key: string; limit: number; what: string }[] = [];
      if (who.username !== undefined) {
        keys.push({ key: `user:${who.username}`, limit: limits.perUsername, what: `for ${who.username}` });
      }
      if (who.address !== undefined) {
        keys.push({
          key: `address:${clientNetwork(who.address)}`,
          limit: limits.perAddress,
          what: "from your address",
        });
      }
      keys.sort((a, b) => a.key.localeCompare(b.key)); // one lock order: no deadlocks
      const ids = await db.transaction().execute(async (tx) => {
        for (const k of keys) {
          await sql`SELECT pg_advisory_xact_lock(${LOCK_CLASS}, hashtext(${k.key}))`.execute(tx);
          const r = await tx
            .selectFrom("sign_in_attempts")
            .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.min("at").as("oldest")])
            .where("key", "=", k.key)
            .where("at", ">", since)
            .executeTakeFirstOrThrow();
          if (Number(r.n) >= k.limit && r.oldest) {
            const retryAfterSeconds = Math.max(
              1,
              Math.ceil((new Date(r.oldest).getTime() + limits.windowMs - now.getTime()) / 1000),
            );
            throw new AppError(
              "rate-limited",
              `too many failed sign-ins ${k.what} (at most ${k.limit} in ${limits.windowMs / 60_000} minutes); try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s)`,
              { retryAfterSeconds },
            );
          }
        }
        const rows = await tx
          .insertInto("sign_in_attempts")
          .values(keys.map((k) => ({ key: k.key, at: now })))
          .returning("id")
          .execute();
        return rows.map((r) => r.id);
      });
      const userKey = keys.find((k) => k.key.startsWith("user:"))?.key;
      return { ids, userKey };
    },

    /** The attempt succeeded: forget it, and the username's earlier failures with it. */
    async succeeded(attempt: Attempt): Promise<void> {
      await db
        .deleteFrom("sign_in_attempts")
        .where((eb) =>
          eb.or([
            eb("id", "in", attempt.ids.length ? attempt.ids : [0]),
            ...(attempt.userKey ? [eb("key", "=", attempt.userKey)] : []),
          ]),
        )
        .execute();
    },

    /** The attempt failed: it stays counted. Attempts older than the window are dropped here. */
    async failed(): Promise<void> {
      const since = new Date(deps.clock.now().getTime() - limits.windowMs);
      await db.deleteFrom("sign_in_attempts").where("at", "<=", since).execute();
    },
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
