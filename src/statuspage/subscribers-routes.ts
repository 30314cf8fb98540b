/**
 * HTTP for status page subscribers. Public (no token): subscribe (JSON, or an HTML form post from
 * the status page), and the confirm and unsubscribe links, where GET only shows a button (mail
 * scanners fetch links) and POST acts; unsubscribe POST is RFC 8058's one-click. Administrators
 * (token) list and remove subscribers under /api/v1.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { AppError } from "../platform/errors.ts";
import { escapeHtml } from "../platform/html.ts";
import type { App } from "../platform/http.ts";
import { statusPageSecurityHeaders } from "./public.ts";
import type { SubscriberService } from "./subscribers.ts";

const HTML = "text/html; charset=utf-8";
const FORM = "application/x-www-form-urlencoded";
const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected a page slug");
const linkParams = z.object({ slug, token: z.string().max(200) });
const isoOrNull = (d: Date | null) => d?.toISOString() ?? null;

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head><body style="font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;line-height:1.5">${body}</body></html>`;
const button = (label: string) =>
  `<form method="post"><button type="submit" style="font-size:1.1rem;padding:.6rem 1.2rem">${escapeHtml(label)}</button></form>`;
const back = (slugValue: string) =>
  `<p><a href="/status/${escapeHtml(slugValue)}">Back to the status page</a></p>`;

/** An AppError as an HTML page with its status (and Retry-After when it has one). */
function htmlError(reply: FastifyReply, err: unknown, title: string, slugValue?: string) {
  if (!(err instanceof AppError)) throw err;
  reply.code(err.status).type(HTML);
  const retry = err.extra.retryAfterSeconds;
  if (typeof retry === "number") reply.header("retry-after", String(retry));
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(err.message)}</p>${slugValue ? back(slugValue) : ""}`,
  );
}

const isForm = (req: FastifyRequest) => (req.headers["content-type"] ?? "").startsWith(FORM);

const pendingMessage = {
  email:
    "Check your email: if the address can receive mail, a confirmation link is on its way. Updates are sent once it is confirmed.",
  webhook:
    "A confirmation request was POSTed to the URL: it carries the signing secret and a confirmUrl to POST to. Updates are sent once it is confirmed.",
};

export function subscriberPublicRoutes(service: SubscriberService) {
  return async (app: App) => {
    const tags = ["status page (public)"];
    // The confirm and unsubscribe pages are status pages too: the same headers (no script, no frames).
    app.addHook("onSend", (_req, reply, payload, done) => {
      if (String(reply.getHeader("content-type") ?? "").startsWith("text/html"))
        reply.headers(statusPageSecurityHeaders);
      done(null, payload);
    });

    // Subscribing: JSON, or the status page's HTML form (works with JavaScript off).
    await app.register(async (plugin) => {
      const scope = plugin as unknown as App;
      scope.addContentTypeParser(FORM, { parseAs: "string" }, (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      });
      scope.post(
        "/status/:slug/subscriptions",
        {
          schema: {
            tags,
            security: [],
            summary:
              "Subscribe to a page's updates: an email address (double opt-in) or a webhook URL (confirmed by POSTing the confirmUrl it is sent). Always 202, whether or not already subscribed.",
            params: z.object({ slug }),
            body: z.object({
              email: z.string().max(1000).optional(),
              webhookUrl: z.string().max(4000).optional(),
            }),
            response: {
              202: z.object({ status: z.literal("pending"), detail: z.string() }),
            },
          },
        },
        async (req, reply) => {
          const form = isForm(req);
          const html = reply as unknown as FastifyReply; // HTML bypasses the JSON schema
          try {
            const r = await service.subscribe(req.params.slug, req.body, req.ip);
            reply.code(202);
            if (!form) return { status: "pending" as const, detail: pendingMessage[r.kind] };
            html
              .type(HTML)
              .send(
                page(
                  "Check your email",
                  `<h1>Almost done</h1><p>${escapeHtml(pendingMessage[r.kind])}</p>${back(req.params.slug)}`,
                ),
              );
          } catch (err) {
            if (!form) throw err;
            html.send(htmlError(html, err, "Cannot subscribe", req.params.slug));
          }
        },
      );
    });

    // The links in mails and webhook confirmations. Any body is accepted and ignored: RFC 8058
    // clients POST `List-Unsubscribe=One-Click` as a form or as multipart.
    await app.register(async (plugin) => {
      const scope = plugin as unknown as App;
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser("*", { parseAs: "string", bodyLimit: 4096 }, (_req, _body, done) =>
        done(null, undefined),
      );
      const schema = (summary: string) => ({ tags, security: [], summary, params: linkParams });

      scope.get(
        "/status/:slug/subscriptions/confirm/:token",
        { schema: schema("The confirmation link: shows a Confirm button (a GET changes nothing)") },
        async (req, reply) => {
          reply.type(HTML);
          try {
            const s = await service.confirmLink(req.params.slug, req.params.token);
            return page(
              "Confirm subscription",
              `<h1>Confirm your subscription</h1><p>Send the updates of the <strong>${escapeHtml(s.pageName)}</strong> status page to <strong>${escapeHtml(s.address)}</strong>?</p>${button("Confirm")}`,
            );
          } catch (err) {
            return htmlError(reply, err, "Link not valid", req.params.slug);
          }
        },
      );
      scope.post(
        "/status/:slug/subscriptions/confirm/:token",
        { schema: schema("Confirm a subscription (the link works once)") },
        async (req, reply) => {
          reply.type(HTML);
          try {
            const s = await service.confirm(req.params.slug, req.params.token);
            return page(
              "Subscribed",
              `<h1>Subscribed</h1><p>${escapeHtml(s.address)} will receive the updates of the ${escapeHtml(s.pageName)} status page. Every message has a link to unsubscribe.</p>${back(req.params.slug)}`,
            );
          } catch (err) {
            return htmlError(reply, err, "Link not valid", req.params.slug);
          }
        },
      );
      scope.get(
        "/status/:slug/subscriptions/unsubscribe/:token",
        { schema: schema("The unsubscribe link: shows an Unsubscribe button (a GET changes nothing)") },
        async (req, reply) => {
          reply.type(HTML);
          try {
            const s = await service.unsubscribeLink(req.params.slug, req.params.token);
            if (s.unsubscribed)
              return page(
                "Unsubscribed",
                `<h1>Unsubscribed</h1><p>${escapeHtml(s.address)} receives no more updates of the ${escapeHtml(s.pageName)} status page.</p>`,
              );
            return page(
              "Unsubscribe",
              `<h1>Unsubscribe?</h1><p>Stop sending the updates of the <strong>${escapeHtml(s.pageName)}</strong> status page to <strong>${escapeHtml(s.address)}</strong>?</p>${button("Unsubscribe")}`,
            );
          } catch (err) {
            return htmlError(reply, err, "Link not valid", req.params.slug);
          }
        },
      );
      scope.post(
        "/status/:slug/subscriptions/unsubscribe/:token",
        { schema: schema("Unsubscribe (RFC 8058 one-click; idempotent)") },
        async (req, reply) => {
          reply.type(HTML);
          try {
            const s = await service.unsubscribe(req.params.slug, req.params.token);
            return page(
              "Unsubscribed",
              `<h1>Unsubscribed</h1><p>${escapeHtml(s.address)} receives no more updates of the ${escapeHtml(s.pageName)} status page.</p>${back(req.params.slug)}`,
            );
          } catch (err) {
            return htmlError(reply, err, "Link not valid", req.params.slug);
          }
        },
      );
    });
  };
}

const subscriberSchema = z
  .object({
    id: z.number(),
    kind: z.enum(["email", "webhook"]),
    address: z.string().describe("the email address or webhook URL"),
    state: z.enum(["pending", "confirmed", "unsubscribed"]),
    createdAt: z.string(),
    confirmedAt: z.string().nullable(),
    unsubscribedAt: z.string().nullable(),
    lastDelivery: z
      .object({
        status: z.string(),
        attempts: z.number(),
        lastError: z.string().nullable(),
        createdAt: z.string(),
        sentAt: z.string().nullable(),
      })
      .nullable()
      .describe("the latest update sent to this subscriber"),
  })
  .meta({ id: "StatusSubscriber" });

export function subscriberAdminRoutes(service: SubscriberService) {
  return async (app: App) => {
    const tags = ["status page"];
    const admin = { minRole: "admin" as const };
    app.get(
      "/status-pages/:slug/subscribers",
      {
        config: admin,
        schema: {
          tags,
          summary:
            "A page's subscribers with their addresses and counts (admins: addresses are personal data)",
          params: z.object({ slug }),
          querystring: z.object({
            state: z.enum(["pending", "confirmed", "unsubscribed"]).optional(),
            after: z.coerce.number().int().min(0).optional().describe("the last id of the previous page"),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          }),
          response: {
            200: z.object({
              counts: z.object({ pending: z.number(), confirmed: z.number(), unsubscribed: z.number() }),
              subscribers: z.array(subscriberSchema),
              nextAfter: z.number().nullable().describe("pass as `after` for the next page; null at the end"),
            }),
          },
        },
      },
      async (req) => {
        const r = await service.list(req.params.slug, req.query);
        return {
          counts: r.counts,
          nextAfter: r.nextAfter,
          subscribers: r.subscribers.map((s) => ({
            id: s.id,
            kind: s.kind,
            address: s.address,
            state: s.unsubscribed_at
              ? ("unsubscribed" as const)
              : s.confirmed_at
                ? ("confirmed" as const)
                : ("pending" as const),
            createdAt: s.created_at.toISOString(),
            confirmedAt: isoOrNull(s.confirmed_at),
            unsubscribedAt: isoOrNull(s.unsubscribed_at),
            lastDelivery:
              s.last_status && s.last_created_at
                ? {
                    status: s.last_status,
                    attempts: s.last_attempts ?? 0,
                    lastError: s.last_error,
                    createdAt: s.last_created_at.toISOString(),
                    sentAt: isoOrNull(s.last_sent_at),
                  }
                : null,
          })),
        };
      },
    );
    app.delete(
      "/status-pages/:slug/subscribers/:id",
      {
        config: admin,
        schema: {
          tags,
          summary: "Remove a subscriber and everything kept about them; nothing more is sent to them",
          params: z.object({ slug, id: z.coerce.number().int().positive() }),
        },
      },
      async (req, reply) => {
        await service.remove(req.params.slug, req.params.id);
        return reply.code(204).send();
      },
    );
  };
}
