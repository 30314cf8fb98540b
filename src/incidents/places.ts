/**
 * Where an incident lives besides Firebreak (DEC-2): its chat channel's name and its video bridge,
 * both made from templates in the policy file. Pure, so chat, the incident page and trackers agree.
 */
import type { ChatSettings, Policy } from "../policy/model.ts";
import { findType } from "../policy/model.ts";

/** Lowercase words of the title joined by `-`, ASCII letters and digits only, at most `max` long. */
export function slugOf(title: string, max = 40): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/ß/g, "ss")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return slug.slice(0, max).replace(/-+$/, "");
}

type Named = { id: number; title: string; type: string };

function fill(template: string, values: Record<string, string>, encode: (s: string) => string): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) =>
    key in values ? encode(values[key] as string) : whole,
  );
}

/**
 * The per-incident channel's name: Slack and Mattermost allow lowercase letters, digits, `-` and
 * `_`, at most 80 characters; an untitled incident gets `inc-123`.
 */
export function channelNameOf(chat: Pick<ChatSettings, "channelName">, i: Named): string {
  const name = fill(chat.channelName, { id: String(i.id), slug: slugOf(i.title) }, (s) => s)
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "");
  return (name || `inc-${i.id}`).slice(0, 80).replace(/-+$/, "");
}

/** The incident's video bridge from its type's `videoBridge` template, or null when it has none. */
export function videoBridgeOf(policy: Policy, i: Named): string | null {
  const template = findType(policy, i.type)?.videoBridge;
  if (!template) return null;
  const slug = slugOf(i.title) || "incident";
  return fill(template, { id: String(i.id), slug, type: i.type }, encodeURIComponent);
}

/** Announcement channels for a new incident of this type: the policy's own, then the type's (COMM-7). */
export function announcementChannelsOf(policy: Policy, type: string): string[] {
  const all = [
    ...(policy.chat?.announcementChannels ?? []),
    ...(findType(policy, type)?.announcementChannels ?? []),
  ];
  return [...new Set(all)];
}
