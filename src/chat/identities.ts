/**
 * Who a chat account is in Firebreak: a Slack or Mattermost account linked to a person
 * (chat_identities, migration 0020), by email the first time it is seen (the link is then kept as a
 * cache) or by hand with a one-time code (chat_link_codes, migration 0022): the person asks for
 * the code on their profile, signed in, and types `/inc link CODE` in chat, where the chat says who
 * they are. A code shown only to a signed-in person cannot make someone else's chat account act as
 * a third person.
 */
import { createHash, randomInt } from "node:crypto";
import { type Kysely, sql } from "kysely";
import type { Actor } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import type { PlatformTables } from "../platform/db.ts";

export type Provider = "slack" | "mattermost";
export type ChatAccount = { provider: Provider; externalId: string; teamId: string | null };

type Tables = PlatformTables & {
  chat_identities: {
    user_id: number;
    provider: Provider;
    external_id: string;
    team_id: string | null;
    linked_by: "email" | "manual";
    created_at: Date;
  };
  chat_link_codes: { user_id: number; code_hash: string; expires_at: Date; created_at: Date };
};
// biome-ignore lint/suspicious/noExplicitAny: the app's one pool, typed per capability
export type IdentityDb = Kysely<Tables> | Kysely<any>;
const asDb = (db: IdentityDb) => db as Kysely<Tables>;

/** How long a link code may be typed in chat. */
export const LINK_CODE_MINUTES = 10;
/** No 0/O, 1/I/L: read from a screen and typed in chat. 8 of 31 symbols ≈ 40 bits, for 10 minutes. */
const alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

const normalCode = (code: string) => code.toUpperCase().replace(/[^A-Z0-9]/g, "");
const hashCode = (code: string) =>
  createHash("sha256")
    .update(`chat-link:${normalCode(code)}`)
    .digest("hex");

export type LinkedAccount = {
  provider: Provider;
  externalId: string;
  teamId: string | null;
  linkedBy: "email" | "manual";
  createdAt: Date;
};

export function createIdentities(deps: { db: IdentityDb; clock: Clock }) {
  const db = asDb(deps.db);

  /** An active person (not an automation user) as the actor chat commands run as. */
  async function actorOf(userId: number): Promise<Actor | null> {
    const u = await db
      .selectFrom("users")
      .select(["id", "username", "role"])
      .where("id", "=", userId)
      .where("deactivated_at", "is", null)
      .executeTakeFirst();
    if (!u || u.username.startsWith("@")) return null;
    return { id: Number(u.id), username: u.username, role: u.role, tokenId: null };
  }

  return {
    actorOf,

    /** The person this chat account is linked to, or null. */
    async linked(account: Pick<ChatAccount, "provider" | "externalId">): Promise<Actor | null> {
      // One round trip: every command asks this first.
      const u = await db
        .selectFrom("chat_identities")
        .innerJoin("users", "users.id", "chat_identities.user_id")
        .select(["users.id", "users.username", "users.role"])
        .where("chat_identities.provider", "=", account.provider)
        .where("chat_identities.external_id", "=", account.externalId)
        .where("users.deactivated_at", "is", null)
        .executeTakeFirst();
      if (!u || u.username.startsWith("@")) return null;
      return { id: Number(u.id), username: u.username, role: u.role, tokenId: null };
    },

    /** The active person with this email (case-insensitive), or null. */
    async byEmail(email: string): Promise<Actor | null> {
      if (!email) return null;
      const row = await db
        .selectFrom("users")
        .select("id")
        .where(sql<boolean>`lower(email) = lower(${email})`)
        .where("deactivated_at", "is", null)
        .executeTakeFirst();
      return row ? actorOf(Number(row.id)) : null;
    },

    /** The active person with this username, or null (Mattermost's user_name as a last resort). */
    async byUsername(username: string): Promise<Actor | null> {
      const row = await db
        .selectFrom("users")
        .select("id")
        .where("username", "=", username)
        .where("deactivated_at", "is", null)
        .executeTakeFirst();
      return row ? actorOf(Number(row.id)) : null;
    },

    /** Keeps an email match; a link made by hand is never replaced by one. */
    async rememberEmailMatch(userId: number, account: ChatAccount): Promise<void> {
      await db
        .insertInto("chat_identities")
        .values({
          user_id: userId,
          provider: account.provider,
          external_id: account.externalId,
          team_id: account.teamId,
          linked_by: "email",
          created_at: deps.clock.now(),
        })
        .onConflict((oc) => oc.columns(["provider", "external_id"]).doNothing())
        .execute();
    },

    /** A new one-time code for `userId` (any earlier one stops working). */
    async newLinkCode(userId: number): Promise<{ code: string; expiresAt: Date }> {
      const raw = Array.from({ length: 8 }, () => alphabet[randomInt(alphabet.length)]).join("");
      const code = `${raw.slice(0, 4)}-${raw.slice(4)}`;
      const now = deps.clock.now();
      const expiresAt = new Date(now.getTime() + LINK_CODE_MINUTES * 60_000);
      await db
        .insertInto("chat_link_codes")
        .values({ user_id: userId, code_hash: hashCode(code), expires_at: expiresAt, created_at: now })
        .onConflict((oc) =>
          oc
            .column("user_id")
            .doUpdateSet({ code_hash: hashCode(code), expires_at: expiresAt, created_at: now }),
        )
        .execute();
      return { code, expiresAt };
    },

    /**
     * Uses a code typed in chat: the chat account becomes the code's person (replacing an email
     * match or an earlier link). Null when the code is unknown, used or expired.
     */
    async redeem(account: ChatAccount, code: string): Promise<Actor | null> {
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .deleteFrom("chat_link_codes")
          .where("code_hash", "=", hashCode(code))
          .returning(["user_id", "expires_at"])
          .executeTakeFirst();
        if (!row || row.expires_at.getTime() < deps.clock.now().getTime()) return null;
        const userId = Number(row.user_id);
        await tx
          .insertInto("chat_identities")
          .values({
            user_id: userId,
            provider: account.provider,
            external_id: account.externalId,
            team_id: account.teamId,
            linked_by: "manual",
            created_at: deps.clock.now(),
          })
          .onConflict((oc) =>
            oc.columns(["provider", "external_id"]).doUpdateSet({
              user_id: userId,
              team_id: account.teamId,
              linked_by: "manual",
              created_at: deps.clock.now(),
            }),
          )
          .execute();
        return actorOf(userId);
      });
    },

    async list(userId: number): Promise<LinkedAccount[]> {
      const rows = await db
        .selectFrom("chat_identities")
        .selectAll()
        .where("user_id", "=", userId)
        .orderBy("created_at")
        .execute();
      return rows.map((r) => ({
        provider: r.provider,
        externalId: r.external_id,
        teamId: r.team_id,
        linkedBy: r.linked_by,
        createdAt: r.created_at,
      }));
    },

    /** Unlinks one of the person's chat accounts; false when it was not theirs. */
    async unlink(userId: number, provider: Provider, externalId: string): Promise<boolean> {
      const r = await db
        .deleteFrom("chat_identities")
        .where("user_id", "=", userId)
        .where("provider", "=", provider)
        .where("external_id", "=", externalId)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}

export type Identities = ReturnType<typeof createIdentities>;
