/**
 * The channels the engine sends through, chosen by the contact method's kind. A new provider
 * (SMS, voice, push) is a Channel added here and a kind added to ContactMethod; the engine does
 * not change.
 */
import { createOutbound, type Outbound } from "../platform/outbound.ts";
import { createChatChannel } from "./chat.ts";
import { createEmailChannel } from "./email.ts";
import {
  type Channel,
  type ContactMethod,
  type DeliveryResult,
  invalidKeyReason,
  type Notification,
  permanent,
  retryable,
} from "./model.ts";
import { createNtfyChannel } from "./ntfy.ts";
import { createPushChannel, type PushChannelOptions } from "./push.ts";
import { createTwilioChannels, type TwilioChannelOptions } from "./twilio.ts";
import { createWebhookChannel } from "./webhook.ts";

export type ChannelsConfig = {
  /** SMTP_URL; without it email contact methods fail permanently with a message saying so. */
  smtpUrl?: string;
  emailFrom: string;
  /**
   * The guarded HTTP client for webhooks and chat, holding OUTBOUND_ALLOWED_HOSTS. Default: only
   * hosts on the public internet.
   */
  outbound?: Outbound;
  /** Deadline of one delivery attempt, per channel. Default 10 000 ms. */
  timeoutMs?: number;
  now?: () => Date;
  /** Web Push: the VAPID keys and what to do with a subscription the push service says is gone. */
  push?: Pick<PushChannelOptions, "vapid" | "onGone">;
  /** TWILIO_*: SMS and voice calls. Without it, sms and voice methods fail permanently saying so. */
  twilio?: Omit<TwilioChannelOptions, "outbound" | "timeoutMs" | "now">;
  /** Extra or replacement channels (a new provider, or a test double of one), by kind. */
  channels?: Channel[];
};

export type Channels = {
  send(n: Notification): Promise<DeliveryResult>;
  close(): Promise<void>;
};

export function createChannels(config: ChannelsConfig): Channels {
  const http = {
    outbound: config.outbound ?? createOutbound(),
    timeoutMs: config.timeoutMs,
    now: config.now,
  };
  const email = config.smtpUrl
    ? createEmailChannel({ smtpUrl: config.smtpUrl, from: config.emailFrom, timeoutMs: config.timeoutMs })
    : undefined;
  const byKind = new Map<ContactMethod["kind"], Channel>();
  if (email) byKind.set("email", email);
  byKind.set("webhook", createWebhookChannel(http));
  byKind.set("chat", createChatChannel(http));
  byKind.set("ntfy", createNtfyChannel(http));
  if (config.twilio) {
    const twilio = createTwilioChannels({ ...config.twilio, ...http });
    byKind.set("sms", twilio.sms);
    byKind.set("voice", twilio.voice);
  }
  if (config.push) byKind.set("push", createPushChannel({ ...http, ...config.push }));
  for (const c of config.channels ?? []) byKind.set(c.kind, c);

  return {
    async send(n) {
      const badKey = invalidKeyReason(n.idempotencyKey);
      if (badKey) return permanent(badKey);
      const channel = byKind.get(n.to.kind);
      if (!channel) {
        return n.to.kind === "email"
          ? permanent("email is not configured: set SMTP_URL")
          : n.to.kind === "sms" || n.to.kind === "voice"
            ? permanent(
                "SMS and voice are not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM",
              )
            : permanent(`no channel for contact method kind "${String(n.to.kind)}"`);
      }
      try {
        return await channel.send(n);
      } catch (err) {
        // A channel should not throw; if one does, retrying is the choice that loses no page.
        return retryable(
          `channel ${channel.kind} failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    },
    async close() {
      await email?.close();
    },
  };
}
