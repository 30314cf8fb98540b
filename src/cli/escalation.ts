/**
 * `firebreak escalation list|show|create|edit|delete` (PAGE-2): escalation policies. Not
 * `firebreak policy`, which is the policy file's (check, explain, simulate). `create` and `edit`
 * take a whole policy from `--file` (JSON or YAML, the API's body; people and schedules may be
 * named), or flags for a simple one-level policy. `edit` replaces the policy (PUT): with flags it
 * reads the policy first and changes only what the flags name.
 */
import { readFileSync } from "node:fs";
import type { Call, Command } from "./args.ts";
import { UsageError } from "./client.ts";
import { clip, table } from "./format.ts";
import { findPolicy } from "./pages.ts";

type Target = { kind: "user" | "schedule"; id: number };
type Hours = { timeZone: string; days: number[]; start: string; end: string };
export type EscalationPolicy = {
  id: number;
  teamId: number;
  name: string;
  description: string;
  levels: { timeoutMinutes: number; targets: Target[] }[];
  repeat: number;
  ackTimeoutMinutes: number;
  businessHours: Hours;
  managed: boolean;
};
type Body = Omit<EscalationPolicy, "id" | "teamId" | "managed"> & { teamId?: number };
type Named = { id: number; name: string };
type Directory = { users: { id: number; username: string; name: string }[]; schedules: Named[] };

const days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

const listPolicies = async (c: Call) =>
  (await c.api.request<{ policies: EscalationPolicy[] }>("GET", "/escalation-policies")).policies;

async function directory(c: Call): Promise<Directory> {
  const [u, s] = await Promise.all([
    c.api.request<{ users: Directory["users"] }>("GET", "/users"),
    c.api.request<{ schedules: Named[] }>("GET", "/schedules"),
  ]);
  return { users: u.users, schedules: s.schedules };
}

/** "alice", "schedule Primary" */
export function targetName(t: Target, dir: Directory): string {
  if (t.kind === "user") return dir.users.find((u) => u.id === t.id)?.username ?? `user ${t.id}`;
  return `schedule ${dir.schedules.find((s) => s.id === t.id)?.name ?? `#${t.id}`}`;
}

/**
 * A target as written: `user:alice`, `schedule:Primary`, `schedule:3`, a bare username, or in a
 * file `{ kind, id }` with `id` a number or a name. Unknown names are usage errors naming the known.
 */
export function resolveTarget(raw: unknown, dir: Directory, where: string): Target {
  let kind: string;
  let ref: string;
  if (typeof raw === "string") {
    const m = /^(user|schedule):(.+)$/.exec(raw.trim());
    [kind, ref] = m ? [m[1] ?? "", (m[2] ?? "").trim()] : ["user", raw.trim()];
  } else if (typeof raw === "object" && raw !== null && "kind" in raw && "id" in raw) {
    kind = String(raw.kind);
    ref = String(raw.id);
  } else {
    throw new UsageError(`${where}: expected user:NAME, schedule:NAME or { kind, id }`);
  }
  if (kind === "user") {
    const u = /^\d+$/.test(ref)
      ? { id: Number(ref) }
      : dir.users.find((x) => x.username === ref || x.username.toLowerCase() === ref.toLowerCase());
    if (!u) throw new UsageError(`${where}: no user ${JSON.stringify(ref)}`);
    return { kind: "user", id: u.id };
  }
  if (kind === "schedule") {
    const s = /^\d+$/.test(ref)
      ? { id: Number(ref) }
      : dir.schedules.find((x) => x.name === ref || x.name.toLowerCase() === ref.toLowerCase());
    if (!s) {
      const known = dir.schedules.map((x) => x.name).join(", ") || "none";
      throw new UsageError(`${where}: no schedule ${JSON.stringify(ref)} (known: ${known})`);
    }
    return { kind: "schedule", id: s.id };
  }
  throw new UsageError(`${where}: a target's kind is user or schedule, not ${JSON.stringify(kind)}`);
}

/** A whole number from a flag, or a usage error. */
function count(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw new UsageError(`--${flag} takes a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** The policy a file holds (JSON or YAML, the API's body), its targets resolved to ids. */
async function fromFile(path: string, dir: Directory): Promise<Body> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(path) ? JSON.parse(text) : (await import("yaml")).parse(text);
  } catch (err) {
    throw new UsageError(
      `${path} is not valid ${/\.json$/i.test(path) ? "JSON" : "YAML"}: ${(err as Error).message}`,
    );
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new UsageError(`${path}: expected a policy (name, levels, …)`);
  const body = { ...(raw as Record<string, unknown>) };
  // What `show --json` prints can be edited and sent back: its read-only fields are dropped.
  delete body.id;
  delete body.managed;
  if (Array.isArray(body.levels)) {
    body.levels = body.levels.map((level: unknown, i: number) => {
      if (typeof level !== "object" || level === null) return level;
      const l = level as { targets?: unknown };
      return Array.isArray(l.targets)
        ? { ...l, targets: l.targets.map((t, j) => resolveTarget(t, dir, `levels[${i}].targets[${j}]`)) }
        : level;
    });
  }
  return body as Body;
}

const simpleFlags = ["name", "description", "notify", "timeout", "repeat", "ack-timeout", "team"];

/** The flags' policy over `base` (a new policy's defaults, or the policy being edited). */
function fromFlags(c: Call, base: Body, dir: Directory): Body {
  const body: Body = { ...base };
  const name = c.opt("name");
  if (name !== undefined) body.name = name;
  const description = c.opt("description");
  if (description !== undefined) body.description = description;
  const notify = c.opt("notify");
  const timeout = count(c.opt("timeout"), "timeout");
  if (notify !== undefined) {
    const targets = notify
      .split(",")
      .filter((t) => t.trim())
      .map((t) => resolveTarget(t, dir, "--notify"));
    body.levels = [{ timeoutMinutes: timeout ?? base.levels[0]?.timeoutMinutes ?? 15, targets }];
  } else if (timeout !== undefined) {
    if (base.levels.length !== 1)
      throw new UsageError("--timeout alone changes a one-level policy; give --notify too, or use --file");
    body.levels = base.levels.map((l) => ({ ...l, timeoutMinutes: timeout }));
  }
  const repeat = count(c.opt("repeat"), "repeat");
  if (repeat !== undefined) body.repeat = repeat;
  const ack = count(c.opt("ack-timeout"), "ack-timeout");
  if (ack !== undefined) body.ackTimeoutMinutes = ack;
  const team = count(c.opt("team"), "team");
  if (team !== undefined) body.teamId = team;
  return body;
}

/** The ID / NAME / TEAM / LEVELS / FIRST / SOURCE table. */
export function policyTable(policies: EscalationPolicy[], dir: Directory): string {
  if (policies.length === 0) return "no escalation policies";
  return table(
    ["ID", "NAME", "TEAM", "LEVELS", "NOTIFIES FIRST", "SOURCE"],
    policies.map((p) => [
      String(p.id),
      p.name,
      String(p.teamId),
      `${p.levels.length}${p.repeat ? ` ×${p.repeat + 1}` : ""}`,
      clip((p.levels[0]?.targets ?? []).map((t) => targetName(t, dir)).join(", ") || "nobody", 50),
      p.managed ? "policy file" : "api",
    ]),
  );
}

/** A policy in lines: its levels with their timeouts, repeats, acknowledgement and business hours. */
export function policyBlock(p: EscalationPolicy, dir: Directory): string {
  const h = p.businessHours;
  const lines = [
    `escalation policy ${p.id}: ${p.name}${p.managed ? " (defined by the policy file: edit it there)" : ""}`,
    ...(p.description ? [`  ${p.description}`] : []),
    `  team       ${p.teamId}`,
  ];
  p.levels.forEach((l, i) => {
    const who = l.targets.map((t) => targetName(t, dir)).join(", ") || "nobody";
    const next = i < p.levels.length - 1 || p.repeat > 0 ? `; next after ${l.timeoutMinutes} min` : "";
    lines.push(`  level ${i + 1}    ${who}${next}`);
  });
  lines.push(
    `  repeat     ${p.repeat === 0 ? "no (runs once)" : `${p.repeat} more time${p.repeat === 1 ? "" : "s"}`}`,
    `  ack        acknowledged but unresolved escalates again after ${p.ackTimeoutMinutes} min`,
    `  hours      ${h.days.map((d) => days[d - 1] ?? d).join(" ")} ${h.start}-${h.end} ${h.timeZone} (low urgency escalates only then)`,
  );
  return lines.join("\n");
}

async function create(c: Call): Promise<number> {
  const dir = await directory(c);
  const file = c.opt("file");
  let body: Body;
  if (file) {
    if (simpleFlags.some((f) => c.has(f))) throw new UsageError("give --file or flags, not both");
    body = await fromFile(file, dir);
  } else {
    if (!c.has("name")) throw new UsageError("missing --name (or --file)");
    if (!c.has("notify")) throw new UsageError("missing --notify (or --file)");
    body = fromFlags(
      c,
      {
        name: "",
        description: "",
        levels: [],
        repeat: 0,
        ackTimeoutMinutes: 30,
        businessHours: { timeZone: "UTC", days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" },
      },
      dir,
    );
  }
  const p = await c.api.request<EscalationPolicy>("POST", "/escalation-policies", body);
  return c.print(p, () => `escalation policy ${p.id} created: ${p.name}\n${policyBlock(p, dir)}`);
}

async function edit(c: Call, target: string): Promise<number> {
  const [policies, dir] = await Promise.all([listPolicies(c), directory(c)]);
  const found = findPolicy(policies, target, "POLICY");
  const file = c.opt("file");
  let body: Body;
  if (file) {
    if (simpleFlags.some((f) => c.has(f))) throw new UsageError("give --file or flags, not both");
    body = await fromFile(file, dir);
  } else {
    if (!simpleFlags.some((f) => c.has(f))) throw new UsageError("nothing to change: give --file or flags");
    const current = await c.api.request<EscalationPolicy>("GET", `/escalation-policies/${found.id}`);
    const { id: _id, managed: _managed, ...rest } = current;
    body = fromFlags(c, rest, dir);
  }
  const p = await c.api.request<EscalationPolicy>("PUT", `/escalation-policies/${found.id}`, body);
  return c.print(p, () => `escalation policy ${p.id} saved: ${p.name}\n${policyBlock(p, dir)}`);
}

export const escalationCommands: Record<string, Command> = {
  escalation: {
    summary:
      "Escalation policies: list, show, create, edit (replaces), delete. (`firebreak policy` is the policy file.)\nPOLICY is a name or a numeric id; --notify takes user:NAME and schedule:NAME, comma-separated.",
    synopsis: [
      "list",
      "show POLICY",
      "create --file FILE | --name NAME --notify TARGETS [--timeout MIN] [--repeat N] [--ack-timeout MIN] [--description TEXT] [--team ID]",
      "edit POLICY --file FILE | [--name NAME] [--notify TARGETS] [--timeout MIN] [--repeat N] [--ack-timeout MIN] [--description TEXT]",
      "delete POLICY",
    ],
    args: ["ACTION", "POLICY?"],
    flags: {
      file: { value: "FILE", help: "create/edit: the whole policy as JSON or YAML (the API's body)" },
      name: { value: "NAME", help: "create/edit: the policy's name" },
      description: { value: "TEXT", help: "create/edit: what it is for" },
      notify: {
        value: "TARGETS",
        help: "create/edit: the one level's targets, e.g. schedule:Primary,user:alice (edit: replaces the levels)",
      },
      timeout: { value: "MIN", help: "create/edit: minutes before the level is notified again (default 15)" },
      repeat: { value: "N", help: "create/edit: runs of the whole policy after the first, 0-9 (default 0)" },
      "ack-timeout": {
        value: "MIN",
        help: "create/edit: an acknowledged page unresolved this long escalates again (default 30)",
      },
      team: { value: "ID", help: "create/edit: the owning team's id (default: yours)" },
    },
    async run(c) {
      const action = c.must("ACTION");
      const target = c.opt("POLICY");
      const needTarget = () => {
        if (target === undefined) throw new UsageError(`missing POLICY for ${action}`);
        return target;
      };
      if (action === "list") {
        if (target !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(target)}`);
        const policies = await listPolicies(c);
        if (c.json) return c.print({ policies }, "");
        const dir = await directory(c);
        return c.print({ policies }, () => policyTable(policies, dir));
      }
      if (action === "show") {
        const found = findPolicy(await listPolicies(c), needTarget(), "POLICY");
        const p = await c.api.request<EscalationPolicy>("GET", `/escalation-policies/${found.id}`);
        if (c.json) return c.print(p, "");
        const dir = await directory(c);
        return c.print(p, () => policyBlock(p, dir));
      }
      if (action === "create") {
        if (target !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(target)}`);
        return create(c);
      }
      if (action === "edit") return edit(c, needTarget());
      if (action === "delete") {
        const found = findPolicy(await listPolicies(c), needTarget(), "POLICY");
        await c.api.request<void>("DELETE", `/escalation-policies/${found.id}`);
        return c.print({ deleted: found.id }, `escalation policy ${found.id} deleted: ${found.name}`);
      }
      throw new UsageError(
        `unknown action ${JSON.stringify(action)}; expected list, show, create, edit or delete`,
      );
    },
  },
};
