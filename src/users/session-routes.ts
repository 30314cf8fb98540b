/** HTTP for the web app's browser sessions: sign in, who is signed in, sign out. */
import { z } from "zod";
import type { Audit } from "../audit/service.ts";
import { actorOf } from "../platform/auth.ts";
import { AppError, invalid } from "../platform/errors.ts";
import type { App } from "../platform/http.ts";
import {
  clearedSessionCookie,
  readSessionCookie,
  SESSION_COOKIE,
  SESSION_MAX_MS,
  sessionCookie,
} from "../platform/session.ts";
import { meSchema, presentMe } from "./schemas.ts";
import type { UserService } from "./service.ts";
import type { SignInService } from "./signin.ts";

const tags = ["session"];
const signedIn = z.object({
  user: meSchema,
  signedInWith: z
    .enum(["password", "token", "sso"])
    .optional()
    .describe("how this browser session was opened (absent for API tokens)"),
});

export function sessionRoutes(
  signIn: SignInService,
  users: UserService,
  audit: Audit,
  opts: { secureCookies: boolean },
) {
  const secure = opts.secureCookies;
  return async (app: App) => {
    app.post(
      "/session",
      {
        config: { noCredential: true },
        schema: {
          tags,
          summary: "Sign in to the web app with a username and password, or with an API token",
          description: `Answers with the user and sets the HttpOnly cookie \`${SESSION_COOKIE}\`. A session ends when signed out, after 12 hours without a request or 7 days after sign-in. Failed attempts are throttled per username and per client address (429 with Retry-After). Requests with the cookie that are not GET or HEAD must send \`x-firebreak-client: web\`.`,
          security: [],
          body: z
            .object({
              username: z.string().min(1).max(64).optional(),
              password: z.string().min(1).max(1000).optional(),
              token: z.string().min(1).max(200).optional().describe("an API token instead of a password"),
            })
            .strict(),
          response: { 200: signedIn },
        },
      },
      async (req, reply) => {
        const { username, password, token } = req.body;
        const client = { address: req.ip, userAgent: req.headers["user-agent"] ?? "" };
        let session: Awaited<ReturnType<SignInService["withToken"]>>;
        const method = token === undefined ? "password" : "token";
        try {
          if (token !== undefined && username === undefined && password === undefined) {
            session = await signIn.withToken(token, client);
          } else if (token === undefined && username !== undefined && password !== undefined) {
            session = await signIn.withPassword({ username, password }, client);
          } else {
            throw invalid("body", "give either `username` and `password`, or `token` (an API token)");
          }
        } catch (err) {
          if (err instanceof AppError && err.code !== "invalid-request")
            await audit.record(req, err.status, {
              action: "sign-in-failed",
              actorName: username?.trim().toLowerCase().slice(0, 64) ?? null,
              detail: { method, reason: err.code },
            });
          throw err;
        }
        await audit.record(req, 200, {
          action: "sign-in",
          actorId: session.user.id,
          actorName: session.user.username,
          detail: { method },
        });
        // A sign-in replaces whatever session this browser had.
        const previous = readSessionCookie(req.headers.cookie);
        if (previous) await signIn.signOut(previous);
        reply
          .header(
            "set-cookie",
            sessionCookie(session.secret, { secure, maxAgeSeconds: SESSION_MAX_MS / 1000 }),
          )
          .header("cache-control", "no-store");
        return {
          user: presentMe(session.user),
          signedInWith: token === undefined ? "password" : "token",
        } as const;
      },
    );

    app.get(
      "/session",
      {
        schema: {
          tags,
          summary: "Who is signed in (401 when the session has ended)",
          response: { 200: signedIn },
        },
      },
      async (req, reply) => {
        reply.header("cache-control", "no-store");
        const actor = actorOf(req);
        return {
          user: presentMe(await users.get(actor.id)),
          ...(actor.sessionId === undefined ? {} : { signedInWith: await signIn.methodOf(actor.sessionId) }),
        };
      },
    );

    app.delete(
      "/session",
      {
        config: { noCredential: true },
        schema: {
          tags,
          summary: "Sign out: ends this browser's session at once and clears the cookie",
          security: [],
          response: { 204: z.null().describe("Signed out (also when there was no session)") },
        },
      },
      async (req, reply) => {
        const secret = readSessionCookie(req.headers.cookie);
        if (secret) {
          const who = await signIn.signOut(secret);
          if (who)
            await audit.record(req, 204, { action: "sign-out", actorId: who.id, actorName: who.username });
        }
        return reply.header("set-cookie", clearedSessionCookie({ secure })).code(204).send(null);
      },
    );
  };
}
