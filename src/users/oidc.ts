/**
 * Single sign-on with an OpenID Connect provider: the authorization code flow with PKCE, the
 * state bound to the browser by a cookie, the nonce and the ID token's signature checked (by
 * `openid-client`), people matched by the provider's subject, or at first sign-in by a verified
 * email, or created; their role set from a claim at each sign-in.
 */
import * as oidc from "openid-client";
import { forgetTokens, hashToken, type Role } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import type { OidcConfig } from "../platform/config.ts";
import type { Db } from "../platform/db.ts";
import { AppError } from "../platform/errors.ts";
import type { Logger } from "../platform/logger.ts";
import { claimValues, nthUsername, roleFromClaim, safeReturnTo, usernameFor } from "./oidc-model.ts";
import * as ssoStore from "./oidc-store.ts";
import type { Client, SignInService } from "./signin.ts";
import * as store from "./store.ts";
import { replaceMemberships } from "./teams-store.ts";

/** How long a browser has to come back from the provider. */
export const LOGIN_TTL_MS = 10 * 60_000;
export const CALLBACK_PATH = "/auth/oidc/callback";

export type OidcDeps = {
  db: Db;
  clock: Clock;
  log: Logger;
  config: OidcConfig;
  publicUrl: string;
  signIn: SignInService;
};

const isLoopback = (url: URL) => ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);

export function createOidc({ db, clock, log, config, publicUrl, signIn }: OidcDeps) {
  const issuerUrl = new URL(config.issuer);
  const redirectUri = `${publicUrl}${CALLBACK_PATH}`;
  let discovered: Promise<oidc.Configuration> | undefined;

  /**
   * The provider's configuration, read from its discovery document once and kept; a failed read
   * is tried again at the next sign-in (the provider may be down when Firebreak starts).
   */
  function provider(): Promise<oidc.Configuration> {
    discovered ??= oidc
      .discovery(
        issuerUrl,
        config.clientId,
        config.clientSecret,
        config.clientSecret ? undefined : oidc.None(),
        // Plain http only for a provider on this machine (a development or test set-up).
        isLoopback(issuerUrl) ? { execute: [oidc.allowInsecureRequests], timeout: 10 } : { timeout: 10 },
      )
      .then((cfg) => {
        // The ID token's signature is checked against the provider's published keys, not only
        // trusted because it came over TLS.
        oidc.enableNonRepudiationChecks(cfg);
        return cfg;
      })
      .catch((err: unknown) => {
        discovered = undefined;
        log.warn({ err, issuer: config.issuer }, "the single sign-on provider's discovery failed");
        throw new AppError(
          "unavailable",
          `the single sign-on provider (${config.issuer}) does not answer; try again, or ask an admin`,
          { retryAfterSeconds: 30 },
        );
      });
    return discovered;
  }

  /** The role the claims give, or undefined when no role claim is configured or none maps. */
  function roleOf(claims: Record<string, unknown>): Role | undefined {
    if (!config.roleClaim) return undefined;
    return roleFromClaim(claims[config.roleClaim], config.roleMap);
  }

  async function personFor(claims: Record<string, unknown>, now: Date): Promise<number> {
    const subject = String(claims.sub);
    const email = typeof claims.email === "string" ? claims.email.trim().toLowerCase() : null;
    const verified = claims.email_verified === true;
    const role = roleOf(claims);
    return db.transaction().execute(async (tx) => {
      let userId = await ssoStore.findIdentity(tx, config.issuer, subject);
      if (userId === undefined) {
        if (!email || !verified)
          throw new AppError(
            "forbidden",
            "the provider did not give a verified email address, which a first sign-in needs to find or create your Firebreak account",
          );
        const matches = await ssoStore.usersWithEmail(tx, email);
        if (matches.length > 1)
          throw new AppError(
            "conflict",
            `several Firebreak accounts have the email ${email}; an admin must give each its own email before you can sign in`,
          );
        userId = matches[0]?.id ?? (await createPerson(tx, claims, email, role ?? config.defaultRole, now));
      }
      await ssoStore.linkIdentity(tx, { issuer: config.issuer, subject, userId, email, at: now });
      const person = await store.findUser(tx, userId);
      if (!person || person.deactivatedAt)
        throw new AppError("forbidden", "your Firebreak account is deactivated; ask an admin");
      if (role && role !== person.role) {
        await ssoStore.setRole(tx, userId, role);
        forgetTokens();
      }
      if (config.teamsClaim)
        await replaceMemberships(tx, userId, claimValues(claims[config.teamsClaim]), role ?? person.role);
      return userId;
    });
  }

  async function createPerson(
    tx: Db,
    claims: Record<string, unknown>,
    email: string,
    role: Role,
    now: Date,
  ): Promise<number> {
    const base = usernameFor(claims);
    let n = 1;
    while (await ssoStore.usernameTaken(tx, nthUsername(base, n))) n++;
    const name =
      typeof claims.name === "string" && claims.name.trim() ? claims.name.trim().slice(0, 200) : base;
    const person = await store.insertUser(tx, {
      username: nthUsername(base, n),
      name,
      email,
      role,
      createdAt: now,
    });
    return person.id;
  }

  return {
    name: config.name,

    /** The URL the provider sent the browser back to, as the provider knows it (it checks it). */
    callbackUrl: (pathAndQuery: string): URL => new URL(pathAndQuery, publicUrl),

    /** Starts a sign-in: where to send the browser, and the state the browser keeps in a cookie. */
    async begin(returnTo: unknown): Promise<{ url: string; state: string }> {
      const cfg = await provider();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const codeVerifier = oidc.randomPKCECodeVerifier();
      await ssoStore.insertLogin(db, hashToken(state), {
        nonce,
        codeVerifier,
        returnTo: safeReturnTo(returnTo),
        createdAt: clock.now(),
      });
      const url = oidc.buildAuthorizationUrl(cfg, {
        redirect_uri: redirectUri,
        scope: config.scopes,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: "S256",
        state,
        nonce,
      });
      return { url: url.href, state };
    },

    /**
     * Finishes a sign-in from the provider's redirect: `callbackUrl` is the URL the browser came
     * back to, `cookieState` the state its cookie holds. Opens a Firebreak session.
     */
    async finish(callbackUrl: URL, cookieState: string | undefined, client: Client) {
      const state = callbackUrl.searchParams.get("state");
      const error = callbackUrl.searchParams.get("error");
      if (!state || !cookieState || state !== cookieState)
        throw new AppError(
          "unauthenticated",
          "this sign-in was not started in this browser, or it was already used; start again from the sign-in page",
        );
      const now = clock.now();
      const login = await ssoStore.takeLogin(db, hashToken(state), new Date(now.getTime() - LOGIN_TTL_MS));
      if (!login)
        throw new AppError("unauthenticated", "this sign-in expired or was already used; start again");
      if (error) {
        const said = (callbackUrl.searchParams.get("error_description") ?? error).slice(0, 200);
        throw new AppError("unauthenticated", `the provider refused the sign-in: ${said}`);
      }
      const cfg = await provider();
      let claims: Record<string, unknown>;
      try {
        const tokens = await oidc.authorizationCodeGrant(cfg, callbackUrl, {
          pkceCodeVerifier: login.codeVerifier,
          expectedState: state,
          expectedNonce: login.nonce,
          idTokenExpected: true,
        });
        const idClaims = tokens.claims();
        if (!idClaims) throw new Error("no ID token");
        // Email and groups often come only from the userinfo endpoint; its subject must match.
        const info = await oidc.fetchUserInfo(cfg, tokens.access_token, idClaims.sub);
        claims = { ...info, ...idClaims };
      } catch (err) {
        log.warn({ err }, "a single sign-on callback failed its checks");
        throw new AppError(
          "unauthenticated",
          `the provider's answer did not pass the checks (${whyRefused(err)}); start again`,
        );
      }
      const userId = await personFor(claims, now);
      const session = await signIn.withIdentity(userId, client);
      return { ...session, returnTo: login.returnTo };
    },

    /** Where to send the browser to end its session at the provider too, if the provider says. */
    async logoutUrl(): Promise<string | undefined> {
      const cfg = await provider().catch(() => undefined);
      if (!cfg?.serverMetadata().end_session_endpoint) return undefined;
      return oidc.buildEndSessionUrl(cfg, {
        client_id: config.clientId,
        post_logout_redirect_uri: `${publicUrl}/`,
      }).href;
    },
  };
}

export type Oidc = ReturnType<typeof createOidc>;

/** What a failed check says, with the claim it was about (`nonce`, `aud`…) when the library names it. */
function whyRefused(err: unknown): string {
  if (!(err instanceof Error)) return "unknown";
  // openid-client wraps oauth4webapi's error, whose cause names the claim.
  let claim: unknown;
  for (let c: unknown = err.cause, i = 0; c && typeof c === "object" && i < 4; c = (c as Error).cause, i++)
    claim ??= (c as { claim?: unknown }).claim;
  return `${err.message.slice(0, 200)}${typeof claim === "string" ? `: ${claim}` : ""}`;
}
