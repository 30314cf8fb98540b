/**
 * `firebreak schedule list|show|create|edit|delete` (PAGE-7): on-call schedules from a terminal.
 * `create` and `edit` take the API's body from a JSON or YAML file (`--file`; participants may be
 * usernames), or flags for the common case of one rotation. `edit` replaces, as PUT does: with
 * flags, the schedule is read first and only what the flags name changes.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { type Call, type Command, id } from "./args.ts";
import { CliError, UsageError } from "./client.ts";
import { table, when } from "./format.ts";

type Restriction = { days: number[]; start: string; end: string };
type Layer = {
  name: string;
  timeZone: string;
  participants: number[];
  shiftLength: { unit: "hours" | "days" | "weeks"; count: number };
  start: string;
  restrictions?: Restriction[];
};
/** GET /schedules/:id's answer. */
export type Schedule = {
  id: number;
  teamId: number;
  name: string;
  timeZone: string;
  layers: Layer[];
  overrides: { id: number; userId: number; start: string; end: string; reason?: string }[];
};
type Body = { name: string; timeZone: string; teamId?: number; layers: Layer[] };
type Users = { users: { id: number; username: string }[] };
type Teams = { teams: { id: number; slug: string; name: string }[] };

const units = { h: "hours", d: "days", w: "weeks" } as const;
const dayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** "1w", "2d", "12h" → a shift length. */
export function shiftLength(text: string): Layer["shiftLength"] {
  const m = /^(\d+)\s*(h|d|w)$/.exec(text.trim());
  if (!m)
    throw new UsageError(`--every takes a count and h, d or w, like 1w or 12h; not ${JSON.stringify(text)}`);
  return { unit: units[m[2] as keyof typeof units], count: Number(m[1]) };
}

/** "every week", "every 12 hours" */
export const lengthLabel = (l: Layer["shiftLength"]) =>
  l.count === 1 ? `every ${l.unit.replace(/s$/, "")}` : `every ${l.count} ${l.unit}`;

/** "Mon-Fri 09:00-17:00": a restriction window in words. */
export function windowLabel(r: Restriction): string {
  const days = [...r.days].sort((a, b) => a - b);
  const first = days[0] ?? 0;
  const run = days.length > 2 && days.every((d, i) => d === first + i);
  const names = run
    ? `${dayNames[first - 1]}-${dayNames[(days.at(-1) ?? 1) - 1]}`
    : days.map((d) => dayNames[d - 1] ?? d).join(",");
  return `${names} ${r.start}-${r.end}`;
}

async function usernames(c: Call): Promise<Map<number, string>> {
  const { users } = await c.api.request<Users>("GET", "/users");
  return new Map(users.map((u) => [u.id, u.username]));
}

/** Participants as ids: numbers stay, usernames are looked up (an unknown one is an error). */
async function participantIds(c: Call, people: unknown[]): Promise<number[]> {
  const byName = people.some((p) => typeof p === "string" && !/^\d+$/.test(p))
    ? await usernames(c)
    : new Map();
  const ids = new Map([...byName].map(([uid, name]) => [name, uid]));
  return people.map((p) => {
    if (typeof p === "number") return p;
    if (typeof p === "string" && /^\d+$/.test(p)) return Number(p);
    const found = typeof p === "string" ? ids.get(p) : undefined;
    if (found === undefined)
      throw new CliError(`no user ${JSON.stringify(p)} (participants are usernames or user ids)`);
    return found;
  });
}

function readBody(file: string): Body {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("expected an object");
    return parsed as Body;
  } catch (err) {
    throw new UsageError(`${file} is not a schedule (${(err as Error).message.split("\n")[0]})`);
  }
}

/** A team by id or slug. */
async function teamId(c: Call, text: string): Promise<number> {
  if (/^\d+$/.test(text)) return Number(text);
  const { teams } = await c.api.request<Teams>("GET", "/teams");
  const team = teams.find((t) => t.slug === text);
  if (!team) throw new CliError(`no team ${JSON.stringify(text)}; see GET /api/v1/teams`);
  return team.id;
}

const layerFlags = ["participants", "every", "start", "layer-name", "layer-time-zone"];

/** The body from --file, or from the flags over `base` (a new schedule: nothing). */
async function bodyOf(c: Call, base: Body | null): Promise<Body> {
  const file = c.opt("file");
  const flags = ["name", "time-zone", "team", ...layerFlags].filter((f) => c.has(f));
  if (file && flags.length) throw new UsageError(`--file and --${flags[0]} do not go together`);
  let body: Body;
  if (file) {
    body = readBody(file);
  } else {
    if (!base && !c.has("name")) throw new UsageError("missing --name (or --file)");
    if (base && flags.length === 0) throw new UsageError("nothing to change: give --file or flags");
    const zone = c.opt("time-zone") ?? base?.timeZone ?? "UTC";
    const layers = base?.layers ?? [];
    if (layers.length > 1 && layerFlags.some((f) => c.has(f))) {
      throw new UsageError(`the schedule has ${layers.length} layers; edit it with --file`);
    }
    const old = layers[0];
    const layer = {
      name: c.opt("layer-name") ?? old?.name ?? c.opt("name") ?? "",
      timeZone: c.opt("layer-time-zone") ?? old?.timeZone ?? zone,
      participants: c.has("participants")
        ? (c.opt("participants") ?? "")
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : (old?.participants ?? []),
      shiftLength: c.has("every")
        ? shiftLength(c.must("every"))
        : (old?.shiftLength ?? { unit: "weeks", count: 1 }),
      start: c.opt("start") ?? old?.start ?? "",
      ...(old?.restrictions ? { restrictions: old.restrictions } : {}),
    };
    if (!old && !c.has("participants")) throw new UsageError("missing --participants (or --file)");
    if (!old && !c.has("start"))
      throw new UsageError("missing --start (the first hand-off, like 2026-03-02T09:00)");
    body = { name: c.opt("name") ?? base?.name ?? "", timeZone: zone, layers: [layer as Layer] };
    if (base) body.teamId = base.teamId;
  }
  if (c.has("team")) body.teamId = await teamId(c, c.must("team"));
  if (Array.isArray(body.layers)) {
    body.layers = await Promise.all(
      body.layers.map(async (l) =>
        Array.isArray(l?.participants) ? { ...l, participants: await participantIds(c, l.participants) } : l,
      ),
    );
  }
  return body;
}

export function scheduleBlock(s: Schedule, names: ReadonlyMap<number, string>): string {
  const who = (u: number) => names.get(u) ?? `user ${u}`;
  const lines = [`#${s.id} ${s.name}`, `  zone       ${s.timeZone}`, `  team       ${s.teamId}`];
  s.layers.forEach((l, i) => {
    lines.push(
      "",
      `  layer ${i + 1}: ${l.name}`,
      `    participants  ${l.participants.map(who).join(", ") || "nobody"}`,
      `    hand-offs     ${lengthLabel(l.shiftLength)} from ${l.start.replace("T", " ")} ${l.timeZone}`,
      `    on call       ${l.restrictions?.length ? l.restrictions.map(windowLabel).join("; ") : "around the clock"}`,
    );
  });
  if (s.overrides.length) {
    lines.push("", "  overrides");
    for (const o of s.overrides) {
      lines.push(`    ${who(o.userId)}  ${when(o.start)} → ${when(o.end)}${o.reason ? `  ${o.reason}` : ""}`);
    }
  }
  return lines.join("\n");
}

async function list(c: Call): Promise<number> {
  const r = await c.api.request<{ schedules: Schedule[] }>("GET", "/schedules", undefined, {
    team: c.opt("team"),
  });
  if (c.json) return c.print(r, "");
  if (r.schedules.length === 0) return c.print(r, "no schedules");
  const names = await usernames(c);
  return c.print(r, () =>
    table(
      ["ID", "NAME", "TEAM", "ZONE", "LAYERS"],
      r.schedules.map((s) => [
        String(s.id),
        s.name,
        String(s.teamId),
        s.timeZone,
        s.layers
          .map(
            (l) =>
              `${l.name}: ${l.participants.map((u) => names.get(u) ?? `user ${u}`).join(",")} ${lengthLabel(l.shiftLength)}`,
          )
          .join("; "),
      ]),
    ),
  );
}

async function show(c: Call, target: string): Promise<number> {
  const s = await c.api.request<Schedule>("GET", `/schedules/${id(target, "SCHEDULE")}`);
  if (c.json) return c.print(s, "");
  return c.print(s, scheduleBlock(s, await usernames(c)));
}

export const scheduleCommands: Record<string, Command> = {
  schedule: {
    summary: "On-call schedules: list, show, create, edit (replace) or delete one.",
    synopsis: [
      "list [--team mine|ID]",
      "show SCHEDULE",
      "create --file FILE [--team TEAM]",
      "create --name NAME --participants USER,USER,... --start YYYY-MM-DDTHH:MM [--every 1w] [--time-zone ZONE] [--layer-name NAME] [--team TEAM]",
      "edit SCHEDULE --file FILE",
      "edit SCHEDULE [--name NAME] [--participants USER,...] [--start ...] [--every 1w] [--time-zone ZONE] [--team TEAM]",
      "delete SCHEDULE",
    ],
    args: ["ACTION", "SCHEDULE?"],
    flags: {
      file: {
        value: "FILE",
        help: "create/edit: the schedule as JSON or YAML (the API's body; participants may be usernames)",
      },
      name: { value: "NAME", help: "the schedule's name" },
      "time-zone": {
        value: "ZONE",
        help: "the zone it is shown in, and the layer's if not given (default UTC)",
      },
      team: { value: "TEAM", help: "the owning team (id or slug); list: mine or a team id" },
      participants: { value: "USER,...", help: "the rotation's people in turn order (usernames or ids)" },
      every: { value: "N{h|d|w}", help: "the shift length, like 1w, 2d, 12h (default 1w)" },
      start: { value: "LOCAL", help: "the first hand-off, local time in the layer's zone: 2026-03-02T09:00" },
      "layer-name": { value: "NAME", help: "the rotation's name (default: the schedule's)" },
      "layer-time-zone": {
        value: "ZONE",
        help: "the zone the rotation hands off in (default: the schedule's)",
      },
    },
    async run(c) {
      const action = c.must("ACTION");
      const target = c.opt("SCHEDULE");
      const needs = (what: string) => {
        if (!target) throw new UsageError(`missing SCHEDULE (${what} needs a schedule id)`);
        return id(target, "SCHEDULE");
      };
      if (action !== "list" && action !== "create" && !target) needs(action);
      if ((action === "list" || action === "create") && target)
        throw new UsageError(`unexpected argument ${JSON.stringify(target)}`);
      switch (action) {
        case "list":
          return list(c);
        case "show":
          return show(c, target ?? "");
        case "create": {
          const s = await c.api.request<Schedule>("POST", "/schedules", await bodyOf(c, null));
          return c.print(
            s,
            `created schedule #${s.id} ${s.name} (${s.layers.length} layer${s.layers.length === 1 ? "" : "s"})`,
          );
        }
        case "edit": {
          const sid = needs("edit");
          const base = c.has("file") ? null : await c.api.request<Schedule>("GET", `/schedules/${sid}`);
          const s = await c.api.request<Schedule>("PUT", `/schedules/${sid}`, await bodyOf(c, base));
          return c.print(
            s,
            `schedule #${s.id} ${s.name} saved (${s.layers.length} layer${s.layers.length === 1 ? "" : "s"})`,
          );
        }
        case "delete": {
          const sid = needs("delete");
          await c.api.request<void>("DELETE", `/schedules/${sid}`);
          return c.print({ id: sid, deleted: true }, `schedule #${sid} deleted`);
        }
        default:
          throw new UsageError(
            `unknown action ${JSON.stringify(action)}; expected list, show, create, edit or delete`,
          );
      }
    },
  },
};
