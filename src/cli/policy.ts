/**
 * `firebreak policy`: check a policy file before it goes live (offline), explain what the policy in
 * force does with an incident (its pending clocks, and why each rule does or does not apply), and
 * replay a recorded incident under another policy file to see what would have gone differently.
 */
import { readFileSync } from "node:fs";
import { type Call, type Command, id, write } from "./args.ts";
import { UsageError } from "./client.ts";
import { clip, table, when } from "./format.ts";

type Clocks = {
  now: string;
  clocks: { ruleId: string; rule: string | null; kind: string; dueAt: string; fires: string; why: string }[];
  deadlines: { ruleId: string; name: string; dueAt: string; outcome: string; settledAt: string | null }[];
  fired: { ruleId: string; at: string; did: string }[];
};
type Explanation = {
  now: string;
  rules: {
    id: string;
    rule: string | null;
    trigger: string;
    does: string;
    holds: boolean;
    conditions: { text: string; holds: boolean | null }[];
    pending: { dueAt: string }[];
    firedAt: string | null;
  }[];
};
type SimAction = { at: string; ruleId: string; does: string; trigger: string };
type Simulation = {
  incidentId: number;
  from: string;
  until: string;
  inForce: SimAction[];
  other: SimAction[];
  onlyInForce: SimAction[];
  onlyOther: SimAction[];
  notes: string[];
};

/** "in 14m", "2h 5m ago": how far `iso` is from `now`. */
export function countdown(iso: string, now: string): string {
  const ms = Date.parse(iso) - Date.parse(now);
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const text = minutes >= 60 ? `${Math.floor(minutes / 60)}h ${minutes % 60}m` : `${minutes}m`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

function readFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

async function check(c: Call, file: string): Promise<number> {
  // Loaded only here: the other commands start faster without the policy schema.
  const { PolicyError, parsePolicy } = await import("../policy/load.ts");
  const text = readFile(file);
  try {
    const p = parsePolicy(text, file);
    const rules = p.rules ?? [];
    await c.print(
      { ok: true, file, rules: rules.length, severities: p.severities.length, roles: p.roles.length },
      `${file}: ok — ${p.severities.length} severities, ${p.roles.length} roles, ${p.escalationPolicies?.length ?? 0} escalation policies, ${rules.length} rules`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    const problems = [{ line: err.line, column: err.column, problem: err.problem }, ...err.moreProblems];
    if (c.json) await c.print({ ok: false, file, problems }, "");
    else
      await write(
        process.stderr,
        problems.map((p) => `${file}:${p.line ?? 0}:${p.column ?? 0}: ${p.problem}`).join("\n"),
      );
    return 1;
  }
}

async function explain(c: Call, target: string): Promise<number> {
  const incident = id(target, "INCIDENT");
  const [clocks, why] = await Promise.all([
    c.api.request<Clocks>("GET", `/incidents/${incident}/clocks`),
    c.api.request<Explanation>("GET", `/incidents/${incident}/explain`),
  ]);
  return c.print({ ...clocks, rules: why.rules }, () => {
    const out = [`#${incident} at ${when(clocks.now)}`, "", "Pending clocks:"];
    out.push(
      clocks.clocks.length
        ? table(
            ["DUE", "", "RULE", "DOES", "WHY"],
            clocks.clocks.map((k) => [
              when(k.dueAt),
              countdown(k.dueAt, clocks.now),
              k.ruleId,
              k.fires,
              k.why,
            ]),
          )
        : "  none",
    );
    if (clocks.deadlines.length) {
      out.push("", "Deadlines:");
      out.push(
        table(
          ["DEADLINE", "DUE", "OUTCOME"],
          clocks.deadlines.map((d) => [d.name, when(d.dueAt), d.outcome]),
        ),
      );
    }
    out.push("", "Rules (✓ holds now, ✗ does not):");
    for (const r of why.rules) {
      const state = r.firedAt ? `fired ${when(r.firedAt)}` : r.pending.length ? "clock pending" : "";
      out.push(`${r.holds ? "✓" : "✗"} ${r.id}  ${r.trigger} → ${r.does}${state ? `  [${state}]` : ""}`);
      for (const k of r.conditions) out.push(`    ${k.holds === null ? "?" : k.holds ? "✓" : "✗"} ${k.text}`);
    }
    if (clocks.fired.length) {
      out.push("", "Fired:");
      out.push(
        table(
          ["AT", "RULE", "DID"],
          clocks.fired.map((f) => [when(f.at), f.ruleId, clip(f.did, 80)]),
        ),
      );
    }
    return out.join("\n");
  });
}

async function simulate(c: Call, file: string): Promise<number> {
  const incident = id(c.must("incident"), "--incident");
  const s = await c.api.request<Simulation>("POST", "/policy/simulate", {
    policy: readFile(file),
    incidentId: incident,
  });
  const rows = (list: SimAction[]) =>
    list.length
      ? table(
          ["AT", "RULE", "DOES", "WHEN"],
          list.map((a) => [when(a.at), a.ruleId, a.does, a.trigger]),
        )
      : "  none";
  return c.print(s, () =>
    [
      `Replayed #${s.incidentId} from ${when(s.from)} to ${when(s.until)}.`,
      "",
      `Only under the policy in force (${s.onlyInForce.length}):`,
      rows(s.onlyInForce),
      "",
      `Only under ${file} (${s.onlyOther.length}):`,
      rows(s.onlyOther),
      "",
      `The same under both: ${s.inForce.length - s.onlyInForce.length} actions.`,
      ...s.notes.map((n) => `Note: ${n}`),
    ].join("\n"),
  );
}

export const policyCommands: Record<string, Command> = {
  policy: {
    summary:
      "Check a policy file (exit 1 with FILE:LINE:COLUMN errors), explain an incident's clocks and rules, or replay an incident under another policy.",
    synopsis: ["check FILE", "explain INCIDENT", "simulate FILE --incident ID"],
    args: ["ACTION", "TARGET"],
    flags: { incident: { value: "ID", help: "simulate: the recorded incident to replay" } },
    async run(c) {
      const action = c.must("ACTION");
      const target = c.must("TARGET");
      if (action === "check") return check(c, target);
      if (action === "explain") return explain(c, target);
      if (action === "simulate") return simulate(c, target);
      throw new UsageError(`unknown action ${JSON.stringify(action)}; expected check, explain or simulate`);
    },
  },
};
