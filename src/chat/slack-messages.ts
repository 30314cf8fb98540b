/**
 * What Firebreak says in Slack, as Block Kit messages: the incident channel's pinned header, the
 * announcement of a new incident (DEC-2, COMM-7), a status update reminder with its button
 * (COMM-1) and the request for another incident manager (PAGE-5). Pure: the caller gives the
 * incident, the people and the links. Every text from people is escaped (escapeSlack), so a title
 * cannot mention @channel or fake a link.
 */
import type { Incident } from "../incidents/model.ts";
import { escapeSlack } from "../notify/chat.ts";

export type Block = Record<string, unknown>;
export type SlackText = { text: string; blocks: Block[] };

/** The action id of the "Post status update" button (handled with the interactions, issue 17). */
export const POST_STATUS_UPDATE = "post_status_update";

/** A person as a header shows them: a Slack mention when linked, else their name. */
export type Holder = { name: string; slackId?: string };

const clip = (value: string, max: number) => (value.length <= max ? value : `${value.slice(0, max - 1)}…`);
const link = (url: string, label: string) => `<${url}|${escapeSlack(label)}>`;
const who = (h: Holder | undefined) =>
  h === undefined ? "_nobody_" : h.slackId ? `<@${h.slackId}>` : escapeSlack(h.name);
const titleOf = (i: Pick<Incident, "title">) => i.title || "(untitled)";

const stateIcon: Record<string, string> = {
  triage: ":mag:",
  investigating: ":rotating_light:",
  fixing: ":hammer_and_wrench:",
  monitoring: ":eyes:",
  resolved: ":white_check_mark:",
  closed: ":white_check_mark:",
  declined: ":no_entry_sign:",
  merged: ":twisted_rightwards_arrows:",
};

export type HeaderInput = {
  incident: Pick<Incident, "id" | "title" | "state" | "severity" | "type" | "visibility" | "mergedInto">;
  owner: Holder;
  ownerRole: string;
  /** The policy's roles in order, each with its holder (undefined: vacant). */
  roles: { role: string; holder?: Holder }[];
  incidentUrl: string;
  videoBridge: string | null;
  trackerUrl: string | null;
};

/** The pinned header: what the incident is, its state and severity, who holds what, its links. */
export function headerMessage(h: HeaderInput): SlackText {
  const i = h.incident;
  const title = `#${i.id} ${titleOf(i)}`;
  const icon = stateIcon[i.state] ?? ":rotating_light:";
  const facts = [
    `*State:* ${escapeSlack(i.state)}`,
    `*Severity:* ${escapeSlack(i.severity)}`,
    `*Type:* ${escapeSlack(i.type)}`,
    ...(i.visibility === "private" ? ["*Private* (DATA-3)"] : []),
    ...(i.mergedInto !== null ? [`*Merged into* #${i.mergedInto}`] : []),
  ].join("   ");
  const roles = [
    `*${escapeSlack(h.ownerRole)} (owner):* ${who(h.owner)}`,
    ...h.roles.filter((r) => r.role !== h.ownerRole).map((r) => `*${escapeSlack(r.role)}:* ${who(r.holder)}`),
  ].join("\n");
  const links = [
    link(h.incidentUrl, `Incident #${i.id} in Firebreak`),
    ...(h.videoBridge ? [link(h.videoBridge, "Video bridge")] : []),
    ...(h.trackerUrl ? [link(h.trackerUrl, "Tracker issue")] : []),
  ].join("  ·  ");
  return {
    text: `${escapeSlack(title)}: ${i.state}, ${i.severity}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: clip(`${title}`, 150), emoji: false } },
      { type: "section", text: { type: "mrkdwn", text: `${icon} ${facts}` } },
      { type: "section", text: { type: "mrkdwn", text: clip(roles, 3000) } },
      { type: "context", elements: [{ type: "mrkdwn", text: clip(links, 3000) }] },
    ],
  };
}

/**
 * A new incident in an announcement channel. A private incident (DATA-3) is announced without its
 * title, type or channel: only that one was declared, its severity and a link only its
 * participants can open.
 */
export function announcementMessage(a: {
  incident: Pick<Incident, "id" | "title" | "severity" | "type" | "visibility" | "state">;
  incidentUrl: string;
  channelId: string | null;
}): SlackText {
  const i = a.incident;
  if (i.visibility === "private") {
    const text = `:lock: A private ${escapeSlack(i.severity)} incident was declared: ${link(a.incidentUrl, `incident #${i.id}`)} (only its participants can see it).`;
    return {
      text: `A private incident #${i.id} was declared`,
      blocks: [{ type: "section", text: { type: "mrkdwn", text } }],
    };
  }
  const where = a.channelId ? ` Join <#${a.channelId}>.` : "";
  const text = `:rotating_light: *${escapeSlack(i.severity)} ${escapeSlack(i.type)} incident declared:* ${link(a.incidentUrl, `#${i.id} ${titleOf(i)}`)} (${escapeSlack(i.state)}).${where}`;
  return {
    text: `${i.severity} incident #${i.id} declared: ${escapeSlack(titleOf(i))}`,
    blocks: [{ type: "section", text: { type: "mrkdwn", text: clip(text, 3000) } }],
  };
}

/** A reminder from the process in the incident channel; a status update reminder has the button (COMM-1). */
export function reminderMessage(r: {
  incidentId: number;
  message: string;
  statusUpdate: boolean;
  incidentUrl: string;
}): SlackText {
  const text = `:alarm_clock: ${escapeSlack(r.message)}`;
  const blocks: Block[] = [{ type: "section", text: { type: "mrkdwn", text: clip(text, 3000) } }];
  if (r.statusUpdate)
    blocks.push({
      type: "actions",
      elements: [
        {
          type: "button",
          action_id: POST_STATUS_UPDATE,
          text: { type: "plain_text", text: "Post status update" },
          style: "primary",
          value: String(r.incidentId),
        },
        {
          type: "button",
          action_id: "open_incident",
          text: { type: "plain_text", text: "Open in Firebreak" },
          url: r.incidentUrl,
        },
      ],
    });
  return { text: clip(r.message, 300), blocks };
}

/** PAGE-5: another incident manager is needed, in the IM channel; a private incident without its title. */
export function askMessage(a: {
  incident: Pick<Incident, "id" | "title" | "severity" | "visibility">;
  role: string;
  incidentUrl: string;
  channelId: string | null;
}): SlackText {
  const i = a.incident;
  const what = i.visibility === "private" ? `private incident #${i.id}` : `#${i.id} ${titleOf(i)}`;
  const where = a.channelId && i.visibility !== "private" ? ` (<#${a.channelId}>)` : "";
  const text = `:sos: *Another ${escapeSlack(a.role)} is needed* for the ${escapeSlack(i.severity)} incident ${link(a.incidentUrl, what)}${where}: take the ${escapeSlack(a.role)} role on the incident (PAGE-5).`;
  return {
    text: `Another ${a.role} is needed for incident #${i.id}`,
    blocks: [{ type: "section", text: { type: "mrkdwn", text: clip(text, 3000) } }],
  };
}

/** A follow-up as the resolved message lists it: its owner (mentioned when linked) and its issue. */
export type OpenFollowUp = { title: string; owner?: Holder; url: string | null };

/**
 * The seeds' "post-mortem tasks are notified in the incident channel once resolved": the follow-ups
 * still open, each with its owner and tracker issue, or a nudge to record them.
 */
export function resolvedMessage(r: {
  incidentId: number;
  followUps: OpenFollowUp[];
  incidentUrl: string;
}): SlackText {
  const head = `:white_check_mark: Incident #${r.incidentId} is resolved.`;
  const lines = r.followUps.map(
    (f) =>
      `• ${f.url ? link(f.url, f.title) : escapeSlack(f.title)} — ${f.owner ? who(f.owner) : "_no owner yet_"}`,
  );
  const body =
    lines.length > 0
      ? `${head} Follow-ups still open (${lines.length}):\n${lines.join("\n")}`
      : `${head} No follow-ups are recorded: add them on the ${link(r.incidentUrl, "incident page")} so nothing learned is lost.`;
  return {
    text: clip(lines.length ? `${head} ${lines.length} follow-ups still open.` : head, 300),
    blocks: [{ type: "section", text: { type: "mrkdwn", text: clip(body, 3000) } }],
  };
}
