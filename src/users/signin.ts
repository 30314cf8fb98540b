/**
 * Proving who you are to the web app: signing in with a password or an API token (which opens a
 * browser session), signing out, and setting passwords.
 */
import { type Actor, hashToken, tokenPrefix } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import type { Db } from "../platform/db.ts";
import { AppError, forbidden, invalid, notFound } from "../platform/errors.ts";
import {
  insertSession,
  newSessionSecret,
  revokeSessionBySecret,
  revokeUserSessions,
  type SignInMethod,
  sessionMethod,
} from "../platform/session.ts";
import { hashPassword, needsRehash, verifyNothing, verifyPassword } from "./password.ts";
import * as store from "./store.ts";
import type { Throttle } from "./throttle.ts";

export type SignInDeps = {
  db: Db;
  clock: Clock;
  throttle: Throttle;
  /**
   * Whether passwords and API tokens open browser sessions. Off (single sign-on only), the
   * break-glass admin still can: the way in when the provider is down.
   */
  localSignIn?: { enabled: boolean; breakGlass: string };
};
/** Where a sign-in comes from: the throttle counts per address; people see the browser in audits. */
export type Client = { address: string; userAgent: string };
export type SignedIn = { user: store.User; secret: string; expiresAt: Date };

/** One answer for an unknown user, a wrong password and a user without one: none says which. */
const wrongCredentials = () => new AppError("unauthenticated", "username or password is wrong");

export function createSignInService({ db, clock, throttle, localSignIn }: SignInDeps) {
  const localAllowed = (username: string) =>
    !localSignIn || localSignIn.enabled || username === localSignIn.breakGlass;
  const localRefused = () =>
    new AppError(
      "forbidden",
      "sign in with single sign-on: password and token sign-in are switched off here (PASSWORD_SIGNIN=off)",
    );

  /** `tokenId`: the API token signed in with; revoking it ends the session. */
  async function openSession(
    userId: number,
    client: Client,
    tokenId?: number,
    via?: SignInMethod,
  ): Promise<SignedIn> {
    const secret = newSessionSecret();
    const s = await insertSession(db, {
      userId,
      tokenId,
      secretHash: hashToken(secret),
      userAgent: client.userAgent,
      now: clock.now(),
      via,
    });
    const user = await store.findUser(db, userId);
    if (!user) throw notFound("user", userId);
    return { user, secret, expiresAt: s.expiresAt };
  }

  return {
    async withPassword(input: { username: string; password: string }, client: Client): Promise<SignedIn> {
      // Usernames are lowercase; people type them as they like.
      const username = input.username.trim().toLowerCase();
      if (!localAllowed(username)) throw localRefused();
      const attempt = await throttle.begin({ username, address: client.address });
      const person = await store.findCredentials(db, username);
      const ok = person?.passwordHash
        ? await verifyPassword(input.password, person.passwordHash)
        : await verifyNothing(input.password);
      // A deactivated person gets the same answer as a wrong password, and the attempt stays
      // counted: the answer must not tell whether a guessed password is theirs.
      if (!ok || !person?.passwordHash || person.deactivatedAt) {
        await throttle.failed();
        throw wrongCredentials();
      }
      if (needsRehash(person.passwordHash)) {
        await store.setPasswordHash(db, person.id, await hashPassword(input.password));
      }
      const signedIn = await openSession(person.id, client);
      // Only a session actually opened forgets the username's failures.
      await throttle.succeeded(attempt);
      return signedIn;
    },

    /** How the first admin signs in before having a password, and how anyone can without one. */
    async withToken(token: string, client: Client): Promise<SignedIn> {
      const attempt = await throttle.begin({ address: client.address });
      const owner = await store.findTokenOwner(db, hashToken(token));
      if (!owner) {
        await throttle.failed();
        throw new AppError(
          "unauthenticated",
          `the API token starting ${tokenPrefix(token)}… is unknown, revoked, or its user is deactivated`,
        );
      }
      const person = await store.findUser(db, owner.userId);
      if (!person || !localAllowed(person.username)) {
        await throttle.succeeded(attempt);
        throw localRefused();
      }
      const signedIn = await openSession(owner.userId, client, owner.tokenId);
      await throttle.succeeded(attempt);
      return signedIn;
    },

    /** A person the single sign-on provider vouched for (src/users/oidc.ts) gets a session. */
    withIdentity: (userId: number, client: Client): Promise<SignedIn> =>
      openSession(userId, client, undefined, "sso"),

    /** How a browser session was opened. */
    methodOf: (sessionId: number): Promise<SignInMethod> => sessionMethod(db, sessionId),

    /** Which ways of signing in the sign-in screen should offer. */
    passwordsAllowed: (): boolean => !localSignIn || localSignIn.enabled,

    /** Ends the session with this secret at once (nothing happens for an unknown one). */
    async signOut(secret: string): Promise<{ id: number; username: string } | null> {
      const userId = await revokeSessionBySecret(db, hashToken(secret), clock.now());
      const person = userId === null ? undefined : await store.findUser(db, userId);
      return person ? { id: person.id, username: person.username } : null;
    },

    /**
     * People set their own password (giving the current one, if they have one); admins set
     * anyone's. Every other session of that person ends: whoever knew the old password is out.
     */
    async setPassword(actor: Actor, id: number, input: { password: string; currentPassword?: string }) {
      const self = actor.id === id;
      if (!self && actor.role !== "admin") {
        throw forbidden("people set their own password; setting someone else's needs an admin");
      }
      const person = await store.findCredentials(db, id);
      if (!person) throw notFound("user", id);
      if (self && person.passwordHash) {
        if (input.currentPassword === undefined) {
          throw invalid("currentPassword", "give your current password to set a new one");
        }
        const attempt = await throttle.begin({ username: person.username });
        if (!(await verifyPassword(input.currentPassword, person.passwordHash))) {
          await throttle.failed();
          throw invalid("currentPassword", "that is not your current password");
        }
        await throttle.succeeded(attempt);
      }
      const hash = await hashPassword(input.password);
      await db.transaction().execute(async (tx) => {
        await store.setPasswordHash(tx, id, hash);
        await revokeUserSessions(tx, id, clock.now(), self ? actor.sessionId : undefined);
      });
    },
  };
}

export type SignInService = ReturnType<typeof createSignInService>;
