/**
 * Twilio's requests to Firebreak (not under /api/v1: Twilio signs, it sends no bearer token):
 * - POST /integrations/twilio/sms — an SMS to Firebreak's number (`ACK 123`, `RES 123`);
 * - POST /integrations/twilio/voice/{token} — a voice page's TwiML, and …/{token}/gather, the
 *   caller's keypress;
 * - POST /integrations/twilio/status/{deliveryId} — a message's or call's status callback.
 * Each must carry a valid X-Twilio-Signature over the public URL (FIREBREAK_PUBLIC_URL and the
 * path) and the form parameters, made with TWILIO_AUTH_TOKEN; anything else is refused with 403.
 */
import { z } from "zod";
import { twiml, verifyTwilioSignature } from "../notify/twilio.ts";
import type { App } from "../platform/http.ts";
import type { TwilioInbound } from "./twilio.ts";

export function twilioRoutes(inbound: TwilioInbound, settings: { authToken: string; publicUrl: string }) {
  const publicUrl = settings.publicUrl.replace(/\/$/, "");
  return async (app: App) => {
    // Twilio posts forms; every parameter is a string (a repeated name keeps its last value).
    app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    const form = z.record(z.string(), z.string());
    const schema = { tags: ["integrations"], security: [], hide: true, body: form };
    app.addHook("preValidation", async (req, reply) => {
      const params = (req.body ?? {}) as Record<string, string>;
      const header = req.headers["x-twilio-signature"];
      const ok = verifyTwilioSignature(
        settings.authToken,
        `${publicUrl}${req.url}`,
        params,
        typeof header === "string" ? header : undefined,
      );
      if (!ok) {
        reply.code(403).type("text/plain; charset=utf-8");
        return reply.send("X-Twilio-Signature is missing or does not match");
      }
    });
    const xml = (reply: { type(t: string): unknown }) => reply.type("text/xml; charset=utf-8");

    app.post("/integrations/twilio/sms", { schema }, async (req, reply) => {
      xml(reply);
      return inbound.smsReply(req.body.From ?? "", req.body.Body ?? "");
    });
    const token = z.object({ token: z.string().min(10).max(200) });
    app.post(
      "/integrations/twilio/voice/:token",
      { schema: { ...schema, params: token } },
      async (req, reply) => {
        xml(reply);
        return inbound.voiceAnswer(req.params.token);
      },
    );
    app.post(
      "/integrations/twilio/voice/:token/gather",
      { schema: { ...schema, params: token } },
      async (req, reply) => {
        xml(reply);
        return inbound.voiceGather(req.params.token, req.body.Digits ?? "");
      },
    );
    app.post(
      "/integrations/twilio/status/:deliveryId",
      { schema: { ...schema, params: z.object({ deliveryId: z.coerce.number().int().positive() }) } },
      async (req, reply) => {
        const known = await inbound.receipt(req.params.deliveryId, req.body);
        reply.code(known ? 200 : 404);
        xml(reply);
        return twiml("");
      },
    );
  };
}
