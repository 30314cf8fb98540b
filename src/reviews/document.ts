/**
 * The review document generated from the incident (REV-1, TL-3, TL-4, LC-7): a Markdown draft
 * people then edit. Pure: the facts come in, Markdown comes out.
 */
import { type DetectionSource, type Phase, timeToDetectMinutes } from "./model.ts";

export type Person = { id: number; name: string; username: string } | null;

export type ReviewFacts = {
  incident: {
    id: number;
    title: string;
    type: string;
    severity: string;
    state: string;
    summary: string;
    declaredAt: Date;
    impactStartedAt: Date | null;
    impactEndedAt: Date | null;
    detectionSource: DetectionSource | null;
    detectedAt: Date | null;
    nearMissSeverity: string | null;
  };
  owner: Person;
  roles: { role: string; holder: Person }[];
  highlights: { at: Date; kind: string; body: string }[];
  pages: { at: Date; kind: string; body: string }[];
  changes: { at: Date; service: string; kind: string; summary: string }[];
  statusPosts: { at: Date; body: string }[];
  phases: Phase[];
  correctiveActions: {
    id: number;
    title: string;
    state: string;
    assignee: Person;
    dueAt: Date | null;
    severity: string | null;
    vagueReasons: string[];
  }[];
};

const sourceWords: Record<DetectionSource, string> = {
  monitoring: "monitoring or alerting",
  customer: "a customer report",
  team: "a team member's report",
  security: "a security report",
};

/** One line of people's text inside Markdown: no line breaks, no HTML, no leading block syntax. */
export function inline(text: string): string {
  return text
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[<>&]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;" })[c] ?? c)
    .replace(/^([#>*+-]|\d+\.)/, "\\$1");
}

const when = (d: Date | null) => (d ? d.toISOString().replace(".000Z", "Z") : "not recorded");
const who = (p: Person) => (p ? `${inline(p.name)} (@${p.username})` : "nobody");

function minutes(from: Date, to: Date | null): string {
  if (!to) return "ongoing";
  const m = Math.round((to.getTime() - from.getTime()) / 60_000);
  return m < 120 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function list<T>(items: T[], line: (t: T) => string, none: string): string[] {
  return items.length ? items.map((t) => `- ${line(t)}`) : [`_${none}_`];
}

export function reviewDocument(f: ReviewFacts): string {
  const i = f.incident;
  const ttd = timeToDetectMinutes(i);
  const out: string[] = [
    `# Post-incident review: incident #${i.id} ${inline(i.title) || "(untitled)"}`,
    "",
    `${i.severity} ${inline(i.type)} incident, declared ${when(i.declaredAt)}, now ${i.state}. Owner: ${who(f.owner)}.`,
  ];
  if (i.nearMissSeverity) out.push("", `Near miss: it would have been ${i.nearMissSeverity} (REV-3).`);
  out.push("", "## Summary", "", i.summary.trim() ? i.summary.trim() : "_No summary yet._");
  out.push(
    "",
    "## Impact",
    "",
    `- Customer impact started: ${when(i.impactStartedAt)}`,
    `- Customer impact ended: ${when(i.impactEndedAt)}`,
  );
  if (i.impactStartedAt) out.push(`- Duration: ${minutes(i.impactStartedAt, i.impactEndedAt)}`);
  out.push(
    "",
    "## Detection",
    "",
    `- Detected by: ${i.detectionSource ? sourceWords[i.detectionSource] : "not recorded"}`,
    `- Detected at: ${when(i.detectedAt)}`,
    `- Time to detect: ${ttd === null ? "unknown (needs the impact start and the detection time)" : `${ttd} min`}`,
  );
  out.push("", "## Phases", "");
  out.push(
    ...list(f.phases, (p) => `${p.name}: ${when(p.startedAt)}, ${minutes(p.startedAt, p.endedAt)}`, "none"),
  );
  out.push("", "## Timeline highlights", "");
  out.push(...list(f.highlights, (e) => `${when(e.at)} ${e.kind}: ${inline(e.body)}`, "No pinned events."));
  out.push("", "## Pages and acknowledgements", "");
  out.push(...list(f.pages, (e) => `${when(e.at)} ${e.kind}: ${inline(e.body)}`, "No pages."));
  out.push("", "## Changes near the start", "");
  out.push(
    ...list(
      f.changes,
      (c) => `${when(c.at)} ${inline(c.service)} ${c.kind}: ${inline(c.summary)}`,
      "No changes recorded for the incident's services.",
    ),
  );
  out.push("", "## Roles", "");
  out.push(...list(f.roles, (r) => `${inline(r.role)}: ${who(r.holder)}`, "No roles held."));
  out.push("", "## Status posts", "");
  out.push(...list(f.statusPosts, (s) => `${when(s.at)}: ${inline(s.body)}`, "No status updates."));
  out.push("", "## Causes", "", "_What caused it, and what let it happen (TL-3)._");
  out.push("", "## What went well", "", "_…_");
  out.push("", "## What went wrong", "", "_…_");
  out.push("", "## Corrective actions", "");
  out.push(...correctiveLines(f.correctiveActions));
  return `${out.join("\n")}\n`;
}

export function correctiveLines(actions: ReviewFacts["correctiveActions"]): string[] {
  return list(
    actions,
    (a) =>
      `[${a.state === "done" ? "x" : " "}] #${a.id} ${inline(a.title)} — ${who(a.assignee)}, due ${when(a.dueAt)}${a.severity ? `, ${a.severity}` : ""}${a.vagueReasons.length ? ` (flagged: ${a.vagueReasons.join("; ")})` : ""}`,
    "No corrective actions yet.",
  );
}
