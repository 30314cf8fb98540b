/**
 * The browser's side of single sign-on: `/auth/oidc/login` sends it to the provider,
 * `/auth/oidc/callback` brings it back signed in, `/auth/oidc/logout` ends the provider's session
 * too. These are pages a browser navigates to, so they answer HTML and redirects, not JSON.
 */
import type { FastifyReply } from "fastify";
import { z } from "zod";
import type { Audit } from "../audit/service.ts";
import { AppError } from "../platform/errors.ts";
import { escapeHtml } from "../platform/html.ts";
import type { App } from "../platform/http.ts";
import {
  clearedSessionCookie,
  readSessionCookie,
  SESSION_MAX_MS,
  sessionCookie,
} from "../platform/session.ts";
import { contentSecurityPolicy } from "../web/routes.ts";
import { CALLBACK_PATH, LOGIN_TTL_MS, type Oidc } from "./oidc.ts";
import type { SignInService } from "./signin.ts";

const STATE_COOKIE = "firebreak_oidc";
const tags = ["session"];

/**
 * The state cookie is SameSite=Lax, not Strict like the session's: the provider's redirect back is
 * a navigation started by another site, and only Lax cookies travel with it.
 */
function stateCookie(value: string, opts: { secure: boolean; maxAgeSeconds: number }): string {
  const attrs = [`${STATE_COOKIE}=${value}`, "HttpOnly", "SameSite=Lax", "Path=/auth/oidc"];
  attrs.push(`Max-Age=${opts.maxAgeSeconds}`);
  if (opts.secure) attrs.push("Secure");
  return attrs.join("; ");
}

function readStateCookie(header: string | undefined): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === STATE_COOKIE) {
      const v = part.slice(eq + 1).trim();
      if (/^[\w-]{1,128}$/.test(v)) return v;
    }
  }
  return undefined;
}

function page(reply: FastifyReply, status: number, title: string, body: string, head = ""): FastifyReply {
  return reply
    .code(status)
    .headers({
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": contentSecurityPolicy,
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
    })
    .send(
      `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>${head}</head>\n<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>\n`,
    );
}

export function oidcRoutes(
  oidc: Oidc | undefined,
  signIn: SignInService,
  audit: Audit,
  opts: { secureCookies: boolean },
) {
  const secure = opts.secureCookies;
  return async (app: App) => {
    app.get(
      "/api/v1/session/methods",
      {
        config: { noCredential: true },
        schema: {
          tags,
          summary: "How people can sign in to the web app here (for the sign-in screen)",
          security: [],
          response: {
            200: z.object({
              password: z.boolean().describe("username and password (or an API token) are accepted"),
              sso: z
                .object({ name: z.string(), loginUrl: z.string() })
                .nullable()
                .describe("single sign-on, when configured: send the browser to loginUrl"),
            }),
          },
        },
      },
      async () => ({
        password: signIn.passwordsAllowed(),
        sso: oidc ? { name: oidc.name, loginUrl: "/auth/oidc/login" } : null,
      }),
    );

    if (!oidc) return;
    const hide = { hide: true, security: [] };

    app.get(
      "/auth/oidc/login",
      {
        config: { noCredential: true },
        schema: { ...hide, querystring: z.object({ returnTo: z.string().max(1000).optional() }) },
      },
      async (req, reply) => {
        const { url, state } = await oidc.begin(req.query.returnTo);
        return reply
          .header("set-cookie", stateCookie(state, { secure, maxAgeSeconds: LOGIN_TTL_MS / 1000 }))
          .header("cache-control", "no-store")
          .redirect(url, 302);
      },
    );

    app.get(CALLBACK_PATH, { config: { noCredential: true }, schema: hide }, async (req, reply) => {
      try {
        const signedIn = await oidc.finish(oidc.callbackUrl(req.url), readStateCookie(req.headers.cookie), {
          address: req.ip,
          userAgent: req.headers["user-agent"] ?? "",
        });
        const previous = readSessionCookie(req.headers.cookie);
        if (previous) await signIn.signOut(previous);
        await audit.record(req, 200, {
          action: "sign-in",
          actorId: signedIn.user.id,
          actorName: signedIn.user.username,
          detail: { method: "sso" },
        });
        reply.header("set-cookie", [
          sessionCookie(signedIn.secret, { secure, maxAgeSeconds: SESSION_MAX_MS / 1000 }),
          stateCookie("", { secure, maxAgeSeconds: 0 }),
        ]);
        // A page of this site moves the browser on: a redirect straight from here would still count
        // as the provider's navigation, and the SameSite=Strict session cookie would not be sent.
        const to = escapeHtml(signedIn.returnTo);
        return page(
          reply,
          200,
          "Signed in",
          `<p>Signed in as ${escapeHtml(signedIn.user.name)}. <a href="${to}">Continue</a>.</p>`,
          `<meta http-equiv="refresh" content="0;url=${to}">`,
        );
      } catch (err) {
        const e = err instanceof AppError ? err : new AppError("internal", "the sign-in failed");
        if (!(err instanceof AppError)) req.log.error({ err }, "single sign-on callback failed");
        await audit.record(req, e.status, {
          action: "sign-in-failed",
          detail: { method: "sso", reason: e.code, why: e.message.slice(0, 200) },
        });
        reply.header("set-cookie", stateCookie("", { secure, maxAgeSeconds: 0 }));
        if (e.status === 503) reply.header("retry-after", String(e.extra.retryAfterSeconds ?? 30));
        return page(
          reply,
          e.status,
          "Sign-in failed",
          `<p>${escapeHtml(e.message)}</p><p><a href="/">Back to sign-in</a></p>`,
        );
      }
    });

    app.get("/auth/oidc/logout", { config: { noCredential: true }, schema: hide }, async (req, reply) => {
      const secret = readSessionCookie(req.headers.cookie);
      const who = secret ? await signIn.signOut(secret) : null;
      if (who) await audit.record(req, 302, { action: "sign-out", actorId: who.id, actorName: who.username });
      const to = (await oidc.logoutUrl()) ?? "/";
      return reply
        .header("set-cookie", clearedSessionCookie({ secure }))
        .header("cache-control", "no-store")
        .redirect(to, 302);
    });
  };
}
