/**
 * Timeline events in words: a heading for what happened and the text people wrote. Unknown kinds
 * still show (their kind, humanized, and body), so a new event type never disappears from view.
 */
import type { TimelineEvent } from "../api/types.ts";

export type EventTone = "note" | "internal" | "update" | "change" | "page" | "alert" | "status-page";
export type DescribedEvent = { heading: string; text: string; detail?: string; tone: EventTone };

/** Names people by id; events store ids, the screen knows the people. */
export type NameOf = (id: unknown) => string;

const str = (v: unknown) => (typeof v === "string" ? v : v === null || v === undefined ? "" : String(v));
const humanize = (kind: string) => {
  const words = kind.replace(/-/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** Finds another event of the timeline (a pin names the event it marks). */
export type EventOf = (id: unknown) => TimelineEvent | undefined;

/** The tracker issue's life (docs/trackers.md). */
const trackerHeadings: Record<string, string> = {
  "tracker-issue-created": "Tracker issue opened",
  "tracker-follow-up-created": "Follow-up issue opened",
  "tracker-failed": "Tracker issue not in step",
  "tracker-recovered": "Tracker answers again",
};

export function describeEvent(e: TimelineEvent, nameOf: NameOf, eventOf?: EventOf): DescribedEvent {
  const d = e.data;
  const body = e.body;
  switch (e.kind) {
    case "declared":
      return {
        heading: `Declared ${str(d.severity)} ${str(d.type)}`.trim(),
        text: body,
        tone: "change",
      };
    case "status-changed": {
      const verb = str(d.verb);
      const heading =
        verb === "accepted"
          ? "Accepted"
          : verb === "declined"
            ? "Declined"
            : verb === "reopened"
              ? `Reopened (${str(d.to)})`
              : `Moved from ${str(d.from)} to ${str(d.to)}`;
      return { heading, text: body, tone: "change" };
    }
    case "severity-changed":
      return { heading: `Severity ${str(d.from)} → ${str(d.to)}`, text: body, tone: "change" };
    case "owner-changed":
      return { heading: `Owner ${nameOf(d.from)} → ${nameOf(d.to)}`, text: body, tone: "change" };
    case "role-changed":
      return {
        heading: d.to === null ? `${str(d.role)} left unheld` : `${str(d.role)}: ${nameOf(d.to)}`,
        text: body,
        tone: "change",
      };
    case "fields-changed": {
      const changed = Object.keys((d.changed as Record<string, unknown> | undefined) ?? {});
      return { heading: `Edited ${changed.join(", ") || "fields"}`, text: body, tone: "change" };
    }
    case "chat-message":
      // The incident's room, or its Slack channel; someone without a linked account by their chat name.
      return {
        heading: `Message${d.source === "room" ? "" : " in chat"}${d.author ? ` from ${str(d.author)}` : ""}`,
        text: body,
        tone: "note",
      };
    case "note":
      return {
        heading: e.internal ? "Internal note" : "Note",
        text: body,
        tone: e.internal ? "internal" : "note",
      };
    case "status-update":
      return {
        heading: "Status update",
        text: str(d.impact) || body,
        detail: d.actions ? `Actions: ${str(d.actions)}` : undefined,
        tone: "update",
      };
    case "pinned":
    case "unpinned": {
      const marked = eventOf?.(d.eventId);
      const what = marked ? describeEvent(marked, nameOf) : undefined;
      return {
        heading: e.kind === "pinned" ? "Pinned as a highlight" : "Unpinned",
        text: what
          ? [what.heading, what.text].filter(Boolean).join(": ")
          : `an earlier entry (#${str(d.eventId)})`,
        tone: "change",
      };
    }
    case "impact-started":
    case "impact-ended":
      return {
        heading: humanize(e.kind.replace("impact", "customer impact")),
        text: str(d.at),
        tone: "change",
      };
    case "merged":
      return { heading: `Merged into #${str(d.into)}`, text: body, tone: "change" };
    case "duplicate-merged":
      return {
        heading: `Duplicate #${str(d.duplicate)} merged into this incident`,
        text: body,
        tone: "change",
      };
    case "action-added":
      return {
        heading: `${d.kind === "follow-up" ? "Follow-up" : "Action"} added`,
        text: body,
        tone: "change",
      };
    case "action-changed":
      return { heading: "Task changed", text: body, tone: "change" };
    case "participant-added":
      return { heading: "Participant added", text: body, tone: "change" };
  }
  if (e.kind.startsWith("page-")) return { heading: humanize(e.kind), text: body, tone: "page" };
  if (e.kind.startsWith("alert-")) return { heading: humanize(e.kind), text: body, tone: "alert" };
  if (e.kind.startsWith("status-page-")) return { heading: "Status page", text: body, tone: "status-page" };
  if (e.kind.startsWith("tracker-"))
    return { heading: trackerHeadings[e.kind] ?? humanize(e.kind), text: body, tone: "change" };
  return { heading: humanize(e.kind), text: body, tone: "change" };
}

/** Pins and unpins are bookkeeping of the highlights, not things that happened to the incident. */
export const isPinnable = (e: TimelineEvent) => e.kind !== "pinned" && e.kind !== "unpinned";
