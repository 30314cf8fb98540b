/**
 * Web Push subscriptions as contact methods (kind `push`): the browser's endpoint is the address,
 * its two keys (p256dh, auth) are kept as JSON in `secret`. And Firebreak's VAPID key pair: the
 * settings' when set, otherwise a pair generated once at first start and kept in the database, so
 * a fresh install can send push without any setting and every replica signs with the same key.
 */
import { sql } from "kysely";
import webpush from "web-push";
import type { Actor } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { invalid } from "../platform/errors.ts";
import type { Outbound } from "../platform/outbound.ts";
import type { OutgoingNotification } from "./engine.ts";
import type { ContactMethod, PagingDb } from "./store.ts";
import * as store from "./store.ts";

export type VapidSettings = {
  /** VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY (base64url); both or neither. */
  publicKey?: string;
  privateKey?: string;
  /** VAPID_SUBJECT: `mailto:` or `https:`; default: the public URL when https, else a mailto. */
  subject?: string;
};

export type VapidKeys = { publicKey: string; privateKey: string; subject: string };

const base64url = /^[A-Za-z0-9_-]+$/;

/** The keys a `push` contact method keeps in `secret`. */
function keysOf(secret: string | null): { p256dh: string; auth: string } {
  try {
    const k = JSON.parse(secret ?? "") as { p256dh?: unknown; auth?: unknown };
    if (typeof k.p256dh === "string" && typeof k.auth === "string") return { p256dh: k.p256dh, auth: k.auth };
  } catch {
    // fall through: a channel refuses empty keys permanently
  }
  return { p256dh: "", auth: "" };
}

/** Where a `push` contact method's messages go, as the push channel takes it. */
export function pushDestination(cm: ContactMethod): OutgoingNotification["to"] {
  return { kind: "push", endpoint: cm.address, keys: keysOf(cm.secret) };
}

/** The subject a push service may write to about misbehaving messages. */
export function vapidSubject(settings: VapidSettings, publicUrl: string): string {
  if (settings.subject) return settings.subject;
  return publicUrl.startsWith("https:") ? publicUrl : "mailto:firebreak@localhost";
}

/**
 * The VAPID key pair: from the settings, or the one row of `push_vapid_keys`, generating it on
 * first use (two replicas racing insert one; both read the winner's). Remembered once read.
 */
export function createVapidKeys(deps: { db: PagingDb; settings: VapidSettings; publicUrl: string }) {
  let cached: Promise<VapidKeys> | undefined;
  const subject = vapidSubject(deps.settings, deps.publicUrl);
  async function load(): Promise<VapidKeys> {
    const { publicKey, privateKey } = deps.settings;
    if (publicKey && privateKey) return { publicKey, privateKey, subject };
    const fresh = webpush.generateVAPIDKeys();
    await sql`INSERT INTO push_vapid_keys (public_key, private_key) VALUES (${fresh.publicKey}, ${fresh.privateKey})
              ON CONFLICT (id) DO NOTHING`.execute(deps.db);
    const row = await sql<{ public_key: string; private_key: string }>`
      SELECT public_key, private_key FROM push_vapid_keys`.execute(deps.db);
    const kept = row.rows[0];
    if (!kept) throw new Error("push_vapid_keys is empty after insert");
    return { publicKey: kept.public_key, privateKey: kept.private_key, subject };
  }
  return {
    get(): Promise<VapidKeys> {
      cached ??= load().catch((err) => {
        cached = undefined; // a database hiccup is tried again next time
        throw err;
      });
      return cached;
    },
  };
}
export type VapidKeyStore = ReturnType<typeof createVapidKeys>;

/** Checked at start: a half-set or malformed pair must stop the server, not fail every push. */
export function vapidSettingsProblem(s: VapidSettings): string | null {
  if (!!s.publicKey !== !!s.privateKey) return "set both VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, or neither";
  if (s.publicKey && (!base64url.test(s.publicKey) || Buffer.from(s.publicKey, "base64url").length !== 65))
    return "VAPID_PUBLIC_KEY must be an uncompressed P-256 public key, base64url (65 bytes)";
  if (s.privateKey && (!base64url.test(s.privateKey) || Buffer.from(s.privateKey, "base64url").length !== 32))
    return "VAPID_PRIVATE_KEY must be a P-256 private key, base64url (32 bytes)";
  if (s.subject && !/^(mailto:\S+|https:\/\/\S+)$/.test(s.subject))
    return "VAPID_SUBJECT must be a mailto: or https: URL";
  return null;
}

export type PushSubscriptionInput = {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  label?: string;
};

export function createPushSubscriptions(deps: { db: PagingDb; clock: Clock; outbound: Outbound }) {
  return {
    /**
     * Registers this browser's subscription as a `push` contact method of the caller. The same
     * endpoint again (the browser re-subscribed, keys rotated) updates the keys in place.
     */
    async subscribe(actor: Actor, input: PushSubscriptionInput): Promise<ContactMethod> {
      let url: URL | undefined;
      try {
        url = /^https?:\/\/\S+$/.test(input.endpoint) ? new URL(input.endpoint) : undefined;
      } catch {
        url = undefined;
      }
      if (!url) throw invalid("endpoint", "expected the push service's https:// URL");
      const refused = await deps.outbound.check(url);
      if (refused) throw invalid("endpoint", `refused: ${refused}`);
      const p256dh = Buffer.from(input.keys.p256dh, "base64url");
      if (!base64url.test(input.keys.p256dh) || p256dh.length !== 65 || p256dh[0] !== 4)
        throw invalid("keys.p256dh", "expected the subscription's P-256 public key, base64url");
      if (!base64url.test(input.keys.auth) || Buffer.from(input.keys.auth, "base64url").length !== 16)
        throw invalid("keys.auth", "expected the subscription's 16-byte auth secret, base64url");
      const secret = JSON.stringify({ p256dh: input.keys.p256dh, auth: input.keys.auth });
      const label = input.label ?? `Web push (${url.hostname})`;
      const same = (await store.listContactMethods(deps.db, actor.id)).find(
        (c) => c.kind === "push" && c.address === input.endpoint,
      );
      if (same) {
        return deps.db
          .updateTable("contact_methods")
          .set({ secret, label })
          .where("id", "=", same.id)
          .returningAll()
          .executeTakeFirstOrThrow();
      }
      return store.insertContactMethod(deps.db, {
        user_id: actor.id,
        kind: "push",
        label,
        address: input.endpoint,
        secret,
        created_at: deps.clock.now(),
        // The browser made this subscription itself: it proves the device.
        verified_at: deps.clock.now(),
      });
    },
    /** Removes the caller's subscription with this endpoint (the browser unsubscribed). */
    async unsubscribe(actor: Actor, endpoint: string): Promise<number> {
      const r = await deps.db
        .deleteFrom("contact_methods")
        .where("user_id", "=", actor.id)
        .where("kind", "=", "push")
        .where("address", "=", endpoint)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    /** The push service said the subscription is gone (404/410): remove it, whoever owns it. */
    async expire(endpoint: string): Promise<void> {
      await deps.db
        .deleteFrom("contact_methods")
        .where("kind", "=", "push")
        .where("address", "=", endpoint)
        .execute();
    },
  };
}
export type PushSubscriptions = ReturnType<typeof createPushSubscriptions>;
