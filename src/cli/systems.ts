/**
 * `firebreak systems …`: the support systems catalogue, the systems an incident touches (its
 * criticality and PAGE-8 escalation) and where the escalation goes (docs/support-operations.md).
 */
import { type Call, type Command, id } from "./args.ts";
import { UsageError } from "./client.ts";
import { table, when } from "./format.ts";

type System = {
  id: number;
  name: string;
  criticality: string;
  criticalityName: string;
  criticalityRank: number;
};
type IncidentSystems = {
  incidentId: number;
  systems: System[];
  criticality: { name: string; rank: number; escalateUpTo: number } | null;
  escalation: {
    level: number;
    nextLevelAt: string | null;
    resolutionPath: boolean;
    resolveBy: string;
    timeToResolve: string;
    reviewRequired: boolean;
    lastError: string | null;
    history: { level: number; reason: string; target: string; outcome: string; at: string }[];
  } | null;
};
type Settings = { teamChannel: string | null; specialistRole: string; engineerRole: string };

const actions = ["list", "add", "rate", "show", "link", "clear", "settings"] as const;

function incidentText(v: IncidentSystems): string {
  if (!v.criticality || !v.escalation)
    return `#${v.incidentId}: touches no system (no criticality, no escalation)`;
  const e = v.escalation;
  return [
    `#${v.incidentId}: ${v.criticality.name} (${v.criticality.rank}), from ${v.systems.map((s) => `${s.name} (${s.criticalityName})`).join(", ")}`,
    `level ${e.level} of ${v.criticality.escalateUpTo}; ${e.resolutionPath ? "has a resolution path" : "no resolution path"}; next level: ${e.nextLevelAt ? when(e.nextLevelAt) : "none coming"}`,
    `time to resolve: ${e.timeToResolve} (by ${when(e.resolveBy)}); review ${e.reviewRequired ? "required (REV-2)" : "not required"}`,
    ...(e.lastError ? [`last failure (retried): ${e.lastError}`] : []),
    ...e.history.map((h) => `  ${when(h.at)}  level ${h.level} (${h.reason}): ${h.outcome}`),
  ].join("\n");
}

async function run(c: Call): Promise<number> {
  const action = c.opt("ACTION") ?? "list";
  if (!(actions as readonly string[]).includes(action))
    throw new UsageError(`unknown action ${JSON.stringify(action)}; expected one of ${actions.join(", ")}`);
  const first = c.opt("FIRST");
  if (action === "list") {
    const r = await c.api.request<{ systems: System[] }>("GET", "/systems");
    return c.print(r, () =>
      r.systems.length
        ? table(
            ["ID", "SYSTEM", "CRITICALITY"],
            r.systems.map((s) => [String(s.id), s.name, `${s.criticalityRank} ${s.criticalityName}`]),
          )
        : "no systems yet; add one with: firebreak systems add --criticality 'Mission Critical' NAME",
    );
  }
  if (action === "add") {
    if (!first) throw new UsageError("missing NAME (the system's name; quote it when it has spaces)");
    const r = await c.api.request<System>("POST", "/systems", {
      name: first,
      criticality: c.must("criticality"),
    });
    return c.print(r, `system ${r.id} ${r.name}: ${r.criticalityName}`);
  }
  if (action === "rate") {
    if (!first) throw new UsageError("missing ID (the system's id, from firebreak systems list)");
    const r = await c.api.request<System>("PATCH", `/systems/${id(first)}`, {
      criticality: c.must("criticality"),
    });
    return c.print(r, `system ${r.id} ${r.name}: ${r.criticalityName} (its open incidents re-rated)`);
  }
  if (action === "settings") {
    const body = {
      ...(c.has("team-channel") ? { teamChannel: c.opt("team-channel") || null } : {}),
      ...(c.has("specialist-role") ? { specialistRole: c.opt("specialist-role") } : {}),
      ...(c.has("engineer-role") ? { engineerRole: c.opt("engineer-role") } : {}),
    };
    const r = Object.keys(body).length
      ? await c.api.request<Settings>("PUT", "/support/settings", body)
      : await c.api.request<Settings>("GET", "/support/settings");
    return c.print(
      r,
      [
        `level 1 posts in: ${r.teamChannel ? `#${r.teamChannel} (Slack; a notice to the team without Slack)` : "a notice to the team"}`,
        `level 2 pages: ${r.specialistRole}`,
        `level 3 pages: ${r.engineerRole}`,
        "level 4 pages: the policy's reviews.seniorManagerRole",
      ].join("\n"),
    );
  }
  if (!first) throw new UsageError("missing INCIDENT (the incident's id)");
  const name = c.opt("SECOND");
  const path = `/incidents/${id(first)}/systems`;
  let r: IncidentSystems;
  if (action === "show") r = await c.api.request<IncidentSystems>("GET", path);
  else if (action === "clear") r = await c.api.request<IncidentSystems>("PUT", path, { systems: [] });
  else {
    if (!name) throw new UsageError("missing SYSTEM (a system's name or id) after the incident's ID");
    r = await c.api.request<IncidentSystems>("POST", path, {
      system: /^\d+$/.test(name) ? Number(name) : name,
    });
  }
  return c.print(r, () => incidentText(r));
}

export const systemCommands: Record<string, Command> = {
  systems: {
    summary: "Support systems and their criticality; an incident's systems and PAGE-8 escalation.",
    synopsis: [
      "list",
      "add --criticality LEVEL NAME      (LEVEL: Mission Critical, Business Critical, Business Operational, Administrative, or 1–4)",
      "rate ID --criticality LEVEL       (admins; the system's open incidents are re-rated)",
      "show INCIDENT                     (criticality, escalation level, next level, time to resolve)",
      "link INCIDENT SYSTEM              (SYSTEM: a name, quoted, or id; the incident takes the highest criticality)",
      "clear INCIDENT                    (unlink every system)",
      "settings [--team-channel NAME] [--specialist-role ROLE] [--engineer-role ROLE]",
    ],
    args: ["ACTION?", "FIRST?", "SECOND?"],
    flags: {
      criticality: { value: "LEVEL", help: "add, rate: the level's name, id or rank" },
      "team-channel": { value: "NAME", help: "settings: the Slack channel level 1 posts in (empty: none)" },
      "specialist-role": { value: "ROLE", help: "settings: the policy role level 2 pages" },
      "engineer-role": { value: "ROLE", help: "settings: the policy role level 3 pages" },
    },
    run,
  },
};
