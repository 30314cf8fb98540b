/**
 * HTTP for Web Push: the VAPID public key the browser subscribes with, and the browser's
 * subscription registered (and removed) as the caller's `push` contact method.
 */
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import type { App } from "../platform/http.ts";
import type { PushSubscriptions, VapidKeyStore } from "./push.ts";

const subscriptionSchema = z
  .object({
    endpoint: z.string().min(10).max(2000).describe("PushSubscription.endpoint: the push service's URL"),
    expirationTime: z
      .number()
      .nullable()
      .optional()
      .describe("ignored; a 404/410 from the push service ends it"),
    keys: z
      .object({
        p256dh: z.string().min(1).max(200).describe("the subscription's P-256 public key, base64url"),
        auth: z.string().min(1).max(100).describe("the subscription's auth secret, base64url"),
      })
      .strict(),
    label: z.string().min(1).max(100).optional().describe('shown in the contact methods list, e.g. "Phone"'),
  })
  .strict()
  .describe("A browser's PushSubscription.toJSON(), with an optional label");

const contactSchema = z.object({
  id: z.number(),
  kind: z.literal("push"),
  label: z.string(),
  address: z.string().describe("the endpoint"),
});

export function pushRoutes(subscriptions: PushSubscriptions, vapid: VapidKeyStore) {
  return async (app: App) => {
    const tags = ["paging"];
    app.get(
      "/push/public-key",
      {
        schema: {
          tags,
          summary: "The VAPID public key to subscribe to Web Push with (applicationServerKey)",
          response: {
            200: z.object({ publicKey: z.string().describe("base64url, 65 bytes uncompressed P-256") }),
          },
        },
      },
      async () => ({ publicKey: (await vapid.get()).publicKey }),
    );
    app.post(
      "/me/push-subscriptions",
      {
        schema: {
          tags,
          summary: "Register this browser's Web Push subscription as one of your contact methods",
          description:
            "Creates a `push` contact method whose address is the endpoint (the same endpoint again updates its keys). Add a notification rule for it to be paged there. A push service that answers 404 or 410 removes it.",
          body: subscriptionSchema,
          response: { 201: contactSchema },
        },
      },
      async (req, reply) => {
        const cm = await subscriptions.subscribe(actorOf(req), req.body);
        reply.code(201);
        return { id: cm.id, kind: "push" as const, label: cm.label, address: cm.address };
      },
    );
    app.delete(
      "/me/push-subscriptions",
      {
        schema: {
          tags,
          summary: "Remove this browser's Web Push subscription (after PushSubscription.unsubscribe())",
          body: z.object({ endpoint: z.string().min(10).max(2000) }).strict(),
          response: { 200: z.object({ removed: z.number() }) },
        },
      },
      async (req) => ({ removed: await subscriptions.unsubscribe(actorOf(req), req.body.endpoint) }),
    );
  };
}
