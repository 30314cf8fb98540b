/**
 * Passwords for the web app. People choose them, so unlike API tokens they get a slow, salted,
 * memory-hard hash: scrypt, stored as `scrypt$N$r$p$salt$hash` so the cost can be raised later
 * without invalidating anyone's password (a sign-in rehashes a password stored at a lower cost).
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";
import { z } from "zod";

/** N = 2^15, r = 8: 32 MiB and roughly 50-100 ms per hash on a server core. */
export const CURRENT_COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/** The rule for a new password, checked at the edge so the 400 names it. */
export const newPassword = z
  .string()
  .min(12, "a password needs at least 12 characters (a few unrelated words are easy to remember)")
  .max(200, "a password may have at most 200 characters")
  .describe("at least 12 characters, at most 200");

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }) {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, KEY_BYTES, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, CURRENT_COST);
  const { N, r, p } = CURRENT_COST;
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

type Parsed = { N: number; r: number; p: number; salt: Buffer; key: Buffer };

function parse(stored: string): Parsed | null {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !key) return null;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  if (![cost.N, cost.r, cost.p].every((v) => Number.isInteger(v) && v > 0)) return null;
  return { ...cost, salt: Buffer.from(salt, "base64url"), key: Buffer.from(key, "base64url") };
}

/** Compares in constant time; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** Whether a stored hash was made at a lower cost than today's (rehash it at the next sign-in). */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  return !parsed || parsed.N < CURRENT_COST.N || parsed.r < CURRENT_COST.r || parsed.p < CURRENT_COST.p;
}

let decoy: Promise<string> | undefined;
/**
 * Spends the time a real check would for a person who does not exist or has no password, so the
 * response time does not tell an attacker which usernames are real.
 */
export async function verifyNothing(password: string): Promise<false> {
  decoy ??= hashPassword("firebreak decoy password");
  await verifyPassword(password, await decoy);
  return false;
}
