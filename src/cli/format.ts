/** Readable output: aligned tables, the incident block, timeline lines. Pure string functions. */
import type { Gate, Incident, Task, TimelineEvent } from "./client.ts";

/** A compact UTC time: `2026-03-02 10:05Z` (seconds are noise in a terminal). */
export function when(iso: string | null | undefined): string {
  if (!iso) return "-";
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
}

/** One line of at most `max` characters, with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Columns padded to their widest cell; the last column is left ragged. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

export function incidentTable(incidents: Incident[]): string {
  if (incidents.length === 0) return "no incidents match";
  return table(
    ["ID", "SEV", "STATE", "OWNER", "TITLE", "DECLARED"],
    incidents.map((i) => [
      String(i.id),
      i.severity,
      i.state,
      i.owner.username,
      clip(`${i.visibility === "private" ? "🔒 " : ""}${i.title || "(untitled)"}`, 60),
      when(i.declaredAt),
    ]),
  );
}

const label = (name: string, value: string) => `  ${name.padEnd(10)} ${value}`;

export function incidentBlock(i: Incident, tasks: Task[]): string {
  const roles = Object.entries(i.roles).map(([role, u]) => `${role}: ${u.username}`);
  const blocks = [i.blocks.deployments && "deployments", i.blocks.featureFlags && "feature-flags"].filter(
    Boolean,
  );
  const at = (iso: string | null) => (iso ? when(iso) : null);
  const impact = i.impactStartedAt && `${when(i.impactStartedAt)} → ${at(i.impactEndedAt) ?? "ongoing"}`;
  const times: [string, string | null][] = [
    ["accepted", i.acceptedAt === i.declaredAt ? null : at(i.acceptedAt)],
    ["mitigated", at(i.mitigatedAt)],
    ["resolved", at(i.resolvedAt)],
    ["may close", at(i.closableAt)],
    ["closed", at(i.closedAt)],
    ["impact", impact],
  ];
  const lines = [
    `#${i.id} ${i.title || "(untitled)"}`,
    label("state", `${i.state}${i.nextStates.length ? ` (next: ${i.nextStates.join(", ")})` : ""}`),
    label("severity", i.maxSeverity === i.severity ? i.severity : `${i.severity} (was ${i.maxSeverity})`),
    label("type", `${i.type}, ${i.visibility}`),
    label("owner", `${i.owner.username} (${i.owner.name})`),
    label("roles", roles.join(", ") || "-"),
    label("labels", i.labels.join(", ")),
    label("blocks", blocks.join(", ") || "nothing"),
    label("declared", `${when(i.declaredAt)} by ${i.declaredBy.username}`),
    ...times.flatMap(([name, value]) => (value ? [label(name, value)] : [])),
    ...(i.mergedInto ? [label("merged", `into #${i.mergedInto}`)] : []),
    ...(i.videoBridge ? [label("call", i.videoBridge)] : []),
    ...(i.trackerIssue ? [label("issue", i.trackerIssue.url)] : []),
  ];
  if (i.summary) lines.push("", "  summary", ...i.summary.split("\n").map((l) => `    ${l}`));
  if (tasks.length) {
    lines.push("", "  actions and follow-ups");
    for (const t of tasks) {
      lines.push(
        `    [${t.state}] ${t.kind} ${t.id}: ${t.title}${t.assignee ? ` (${t.assignee.username})` : ""}${t.trackerIssue ? ` ${t.trackerIssue.url}` : ""}`,
      );
    }
  }
  return lines.join("\n");
}

const str = (v: unknown) => (v === null || v === undefined ? "-" : String(v));
const withReason = (text: string, body: string) => (body ? `${text}: ${body}` : text);

/** Names a user id from event data (usernames known from the incident and the actors). */
type Namer = (id: unknown) => string;

/** What an event says, for the kinds whose meaning lives in `data` rather than `body`. */
const describe: Record<string, (d: Record<string, unknown>, body: string, name: Namer) => string> = {
  "status-changed": (d, b) => withReason(`${str(d.from)} → ${str(d.to)}`, b),
  "severity-changed": (d, b) => withReason(`${str(d.from)} → ${str(d.to)}`, b),
  "owner-changed": (d, b, name) => withReason(`owner ${name(d.from)} → ${name(d.to)}`, b),
  "role-changed": (d, _, name) => `${str(d.role)}: ${name(d.from)} → ${name(d.to)}`,
  "fields-changed": (d) => `changed ${Object.keys((d.changed as object | undefined) ?? {}).join(", ")}`,
  "status-update": (d) => `impact: ${str(d.impact)} | actions: ${str(d.actions)}`,
  pinned: (d) => `event ${str(d.eventId)}`,
  unpinned: (d) => `event ${str(d.eventId)}`,
  merged: (d, b) => withReason(`merged into #${str(d.into)}`, b),
  "duplicate-merged": (d, b) => withReason(`#${str(d.duplicate)} merged into this one`, b),
  "impact-started": (d) => `at ${when(str(d.at))}`,
  "impact-ended": (d) => `at ${when(str(d.at))}`,
};

/** The timeline of incident `i`; events that came from a merged duplicate are marked with its id. */
export function timelineTable(events: TimelineEvent[], i: Incident): string {
  if (events.length === 0) return "no timeline events";
  const people = [i.owner, i.declaredBy, ...Object.values(i.roles), ...events.flatMap((e) => e.actor ?? [])];
  const usernames = new Map(people.map((u) => [u.id, u.username]));
  const name: Namer = (id) =>
    id === null || id === undefined ? "nobody" : (usernames.get(Number(id)) ?? `user ${str(id)}`);
  return table(
    ["ID", "TIME", "ACTOR", "KIND", "BODY"],
    events.map((e) => {
      const text = describe[e.kind]?.(e.data, e.body, name) ?? e.body;
      const from = e.incidentId === i.id ? "" : `(#${e.incidentId}) `;
      const marks = `${e.pinned ? "📌 " : ""}${from}${e.internal ? "(internal) " : ""}`;
      return [String(e.id), when(e.at), e.actor?.username ?? "firebreak", e.kind, clip(marks + text, 100)];
    }),
  );
}

export function gateText(g: Gate): string {
  if (!g.blocked) return `${g.kind}: not blocked`;
  const lines = [
    `${g.kind}: BLOCKED by ${g.incidents.length} open incident${g.incidents.length === 1 ? "" : "s"}`,
  ];
  for (const i of g.incidents) {
    const name = i.id === null ? "a private incident" : `#${i.id} ${i.title ?? ""}`.trim();
    lines.push(`  ${name} (${i.severity}, ${i.state})`);
  }
  return lines.join("\n");
}
