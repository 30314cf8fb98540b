/** SQL for single sign-on: identities linked to people, and sign-ins on their way through the provider. */
import type { Kysely } from "kysely";
import type { Db, PlatformTables } from "../platform/db.ts";

export type SsoTables = {
  user_identities: {
    issuer: string;
    subject: string;
    user_id: number;
    email: string | null;
    created_at: Date;
    last_sign_in_at: Date;
  };
  oidc_logins: {
    state_hash: string;
    nonce: string;
    code_verifier: string;
    return_to: string;
    created_at: Date;
  };
};

type SsoDb = Kysely<PlatformTables & SsoTables>;
const sso = (db: Db): SsoDb => db.withTables<SsoTables>();

export type PendingLogin = { nonce: string; codeVerifier: string; returnTo: string; createdAt: Date };

export async function insertLogin(db: Db, stateHash: string, login: PendingLogin): Promise<void> {
  await sso(db)
    .insertInto("oidc_logins")
    .values({
      state_hash: stateHash,
      nonce: login.nonce,
      code_verifier: login.codeVerifier,
      return_to: login.returnTo,
      created_at: login.createdAt,
    })
    .execute();
}

/** Takes a pending sign-in (it can be finished once), and forgets those older than `before`. */
export async function takeLogin(db: Db, stateHash: string, before: Date): Promise<PendingLogin | undefined> {
  await sso(db).deleteFrom("oidc_logins").where("created_at", "<", before).execute();
  const row = await sso(db)
    .deleteFrom("oidc_logins")
    .where("state_hash", "=", stateHash)
    .returning(["nonce", "code_verifier", "return_to", "created_at"])
    .executeTakeFirst();
  return (
    row && {
      nonce: row.nonce,
      codeVerifier: row.code_verifier,
      returnTo: row.return_to,
      createdAt: row.created_at,
    }
  );
}

export async function findIdentity(db: Db, issuer: string, subject: string): Promise<number | undefined> {
  const row = await sso(db)
    .selectFrom("user_identities")
    .select("user_id")
    .where("issuer", "=", issuer)
    .where("subject", "=", subject)
    .executeTakeFirst();
  return row?.user_id;
}

export async function linkIdentity(
  db: Db,
  i: { issuer: string; subject: string; userId: number; email: string | null; at: Date },
): Promise<void> {
  await sso(db)
    .insertInto("user_identities")
    .values({
      issuer: i.issuer,
      subject: i.subject,
      user_id: i.userId,
      email: i.email,
      created_at: i.at,
      last_sign_in_at: i.at,
    })
    .onConflict((oc) =>
      oc.columns(["issuer", "subject"]).doUpdateSet({ last_sign_in_at: i.at, email: i.email }),
    )
    .execute();
}

/** People (not automation actors) whose email is this one, ignoring case. */
export async function usersWithEmail(db: Db, email: string): Promise<{ id: number; active: boolean }[]> {
  const rows = await db
    .selectFrom("users")
    .select(["id", "deactivated_at"])
    .where((eb) => eb(eb.fn("lower", ["email"]), "=", email.toLowerCase()))
    .where("username", "not like", "@%")
    .orderBy("id")
    .execute();
  return rows.map((r) => ({ id: r.id, active: r.deactivated_at === null }));
}

export async function usernameTaken(db: Db, username: string): Promise<boolean> {
  return !!(await db.selectFrom("users").select("id").where("username", "=", username).executeTakeFirst());
}

export async function setRole(db: Db, userId: number, role: "viewer" | "responder" | "admin"): Promise<void> {
  await db.updateTable("users").set({ role }).where("id", "=", userId).execute();
}
