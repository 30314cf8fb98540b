/** SQL for people and their API tokens. */

import type { Role } from "../platform/auth.ts";
import type { Db } from "../platform/db.ts";

export type User = {
  id: number;
  username: string;
  name: string;
  email: string | null;
  role: Role;
  createdAt: Date;
  deactivatedAt: Date | null;
  /** Whether they can sign in to the web app with a password (the hash itself never leaves here). */
  hasPassword: boolean;
};

const userColumns = [
  "id",
  "username",
  "name",
  "email",
  "role",
  "created_at",
  "deactivated_at",
  "password_hash",
] as const;

type UserRow = {
  id: number;
  username: string;
  name: string;
  email: string | null;
  role: Role;
  created_at: Date;
  deactivated_at: Date | null;
  password_hash: string | null;
};

function fromRow(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    name: r.name,
    email: r.email,
    role: r.role,
    createdAt: r.created_at,
    deactivatedAt: r.deactivated_at,
    hasPassword: r.password_hash !== null,
  };
}

/** People only: automation actors such as `@alerts` (created by a migration) do not count. */
export async function countUsers(db: Db): Promise<number> {
  const r = await db
    .selectFrom("users")
    .where("username", "not like", "@%")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertUser(
  db: Db,
  u: {
    username: string;
    name: string;
    email: string | null;
    role: Role;
    createdAt: Date;
    passwordHash?: string | null;
  },
): Promise<User> {
  const row = await db
    .insertInto("users")
    .values({
      username: u.username,
      name: u.name,
      email: u.email,
      role: u.role,
      created_at: u.createdAt,
      password_hash: u.passwordHash ?? null,
    })
    .returning(userColumns)
    .executeTakeFirstOrThrow();
  return fromRow(row);
}

export async function findUser(db: Db, ref: number | string): Promise<User | undefined> {
  const q = db.selectFrom("users").select(userColumns);
  const row = await (typeof ref === "number"
    ? q.where("id", "=", ref)
    : q.where("username", "=", ref)
  ).executeTakeFirst();
  return row && fromRow(row);
}

export async function listUsers(db: Db): Promise<User[]> {
  return (await db.selectFrom("users").select(userColumns).orderBy("username").execute()).map(fromRow);
}

export async function updateUser(
  db: Db,
  id: number,
  changes: { name?: string; email?: string | null; role?: Role; deactivatedAt?: Date | null },
): Promise<User> {
  // An UPDATE without a column to set is not SQL: nothing to change, the user as they are.
  if (Object.values(changes).every((v) => v === undefined)) {
    const same = await db
      .selectFrom("users")
      .select(userColumns)
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    return fromRow(same);
  }
  const row = await db
    .updateTable("users")
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.email !== undefined ? { email: changes.email } : {}),
      ...(changes.role !== undefined ? { role: changes.role } : {}),
      ...(changes.deactivatedAt !== undefined ? { deactivated_at: changes.deactivatedAt } : {}),
    })
    .where("id", "=", id)
    .returning(userColumns)
    .executeTakeFirstOrThrow();
  return fromRow(row);
}

/** What signing in needs to know about a person: the stored password hash included. */
export type Credentials = {
  id: number;
  username: string;
  role: Role;
  deactivatedAt: Date | null;
  passwordHash: string | null;
};

export async function findCredentials(db: Db, ref: number | string): Promise<Credentials | undefined> {
  const q = db
    .selectFrom("users")
    .select(["id", "username", "role", "deactivated_at as deactivatedAt", "password_hash as passwordHash"]);
  return (
    typeof ref === "number" ? q.where("id", "=", ref) : q.where("username", "=", ref)
  ).executeTakeFirst();
}

export async function setPasswordHash(db: Db, id: number, hash: string): Promise<void> {
  await db.updateTable("users").set({ password_hash: hash }).where("id", "=", id).execute();
}

/** A live API token and the active user it belongs to (signing in to the web app with a token). */
export async function findTokenOwner(
  db: Db,
  tokenHash: string,
): Promise<{ userId: number; tokenId: number } | undefined> {
  return db
    .selectFrom("api_tokens as t")
    .innerJoin("users as u", "u.id", "t.user_id")
    .select(["u.id as userId", "t.id as tokenId"])
    .where("t.token_hash", "=", tokenHash)
    .where("t.revoked_at", "is", null)
    .where("u.deactivated_at", "is", null)
    .executeTakeFirst();
}

export async function countActiveAdmins(db: Db): Promise<number> {
  const r = await db
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("role", "=", "admin")
    .where("deactivated_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export type Token = {
  id: number;
  userId: number;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

const tokenColumns = ["id", "user_id", "name", "prefix", "created_at", "last_used_at", "revoked_at"] as const;

function tokenFromRow(r: {
  id: number;
  user_id: number;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}): Token {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    prefix: r.prefix,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

export async function insertToken(
  db: Db,
  t: { userId: number; name: string; hash: string; prefix: string; createdAt: Date },
): Promise<Token> {
  const row = await db
    .insertInto("api_tokens")
    .values({
      user_id: t.userId,
      name: t.name,
      token_hash: t.hash,
      prefix: t.prefix,
      created_at: t.createdAt,
    })
    .returning(tokenColumns)
    .executeTakeFirstOrThrow();
  return tokenFromRow(row);
}

export async function tokenHashExists(db: Db, hash: string): Promise<boolean> {
  return (
    (await db.selectFrom("api_tokens").select("id").where("token_hash", "=", hash).executeTakeFirst()) !==
    undefined
  );
}

export async function listTokens(db: Db, userId: number): Promise<Token[]> {
  const rows = await db
    .selectFrom("api_tokens")
    .select(tokenColumns)
    .where("user_id", "=", userId)
    .orderBy("id")
    .execute();
  return rows.map(tokenFromRow);
}

export async function findToken(db: Db, id: number): Promise<Token | undefined> {
  const row = await db.selectFrom("api_tokens").select(tokenColumns).where("id", "=", id).executeTakeFirst();
  return row && tokenFromRow(row);
}

export async function revokeToken(db: Db, id: number, at: Date): Promise<void> {
  await db.updateTable("api_tokens").set({ revoked_at: at }).where("id", "=", id).execute();
}
