/**
 * Chat webhooks in the Slack incoming-webhook format (Block Kit), which Mattermost, Rocket.Chat
 * and others accept too. Incoming webhooks have no idempotency header: a retried delivery after
 * a lost answer can show twice, which the engine keeps rare by retrying only on failure.
 */
import { createOutbound, type Outbound } from "../platform/outbound.ts";
import { postJson } from "./http.ts";
import {
  type Channel,
  type DeliveryResult,
  isHttpUrl,
  type Notification,
  oneLine,
  permanent,
} from "./model.ts";

export type ChatChannelOptions = {
  /** The guarded HTTP client. Default: public internet only (no OUTBOUND_ALLOWED_HOSTS). */
  outbound?: Outbound;
  /** Whole-request deadline. Default 10 000 ms. */
  timeoutMs?: number;
  now?: () => Date;
};

type TextObject = { type: "plain_text" | "mrkdwn"; text: string };
type Button = { type: "button"; text: TextObject; url: string };
type Block = { type: "section"; text: TextObject } | { type: "actions"; elements: Button[] };
export type SlackMessage = { text: string; blocks: Block[] };

// Block Kit limits; a message over them is rejected with invalid_blocks.
const maxButtons = 25;
const maxButtonText = 75;
const maxSectionText = 3000;
const maxUrl = 3000;

/**
 * Slack reads `&`, `<` and `>` as control characters (`<!channel>`, `<url|label>`); escaping them
 * keeps an incident title from mentioning everyone or faking a link. Nothing else is escaped:
 * Slack decodes only these three entities.
 */
export function escapeSlack(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const clip = (value: string, max: number): string =>
  value.length <= max ? value : `${value.slice(0, max - 1)}…`;

/** The Slack message for a notification: a section with the text, and a button per link. */
export function slackMessage(n: Notification): SlackMessage {
  const usable = n.links.filter((l) => isHttpUrl(l.url) && l.url.length <= maxUrl);
  const buttons = usable.slice(0, maxButtons);
  // Links that do not fit as buttons still reach the reader, as mrkdwn links in the text.
  const overflow = usable
    .slice(maxButtons)
    .map((l) => `<${escapeSlack(l.url)}|${escapeSlack(oneLine(l.label, 80))}>`);
  const subject = escapeSlack(oneLine(n.subject));
  const body = [`*${subject}*`, escapeSlack(n.text), ...overflow].filter((s) => s !== "").join("\n");
  const blocks: Block[] = [{ type: "section", text: { type: "mrkdwn", text: clip(body, maxSectionText) } }];
  if (buttons.length > 0) {
    blocks.push({
      type: "actions",
      elements: buttons.map((l) => ({
        type: "button",
        text: { type: "plain_text", text: oneLine(l.label, maxButtonText) },
        url: l.url,
      })),
    });
  }
  // `text` is what the phone's notification and old clients show.
  return { text: subject, blocks };
}

export function createChatChannel(options: ChatChannelOptions = {}): Channel {
  const outbound = options.outbound ?? createOutbound();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  return {
    kind: "chat",
    async send(n: Notification): Promise<DeliveryResult> {
      if (n.to.kind !== "chat") return permanent(`chat channel cannot send to ${n.to.kind}`);
      if (!isHttpUrl(n.to.url)) return permanent("chat webhook URL must be http:// or https://");
      // Slack answers 200 "ok"; its errors (400 invalid_payload, 404 no_service, 410
      // channel_is_archived, 403 action_prohibited) are permanent, 429 and 5xx retryable. Only the
      // status is kept: the error's text is the receiver's, and could be anyone's.
      return postJson({
        outbound,
        url: n.to.url,
        body: JSON.stringify(slackMessage(n)),
        headers: {},
        timeoutMs,
        now,
      });
    },
  };
}
