/**
 * `firebreak config export|plan|apply`: the set-up as a YAML document (src/config,
 * docs/config-as-code.md). Export writes it; plan shows what applying a file would change, per
 * object, and what was changed on the server since the last apply (drift); apply makes the server
 * match the file in one transaction and prints the integration keys it issued, once.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { LineCounter, parseDocument, stringify } from "yaml";
import type { Change, Drift, ObjectRef } from "../config/model.ts";
import { type Call, type Command, write } from "./args.ts";
import { CliError, UsageError } from "./client.ts";

/** The exit code of `plan --exit-code` when applying would change something (CI reads it). */
export const CHANGES_EXIT_CODE = 4;

type Plan = { changes: Change[]; drift: Drift[]; kept: ObjectRef[] };
type Applied = {
  changes: Change[];
  issuedKeys: { service: string; integration: string; keyId: number; key: string; hint: string }[];
};

const kindWords: Record<Change["kind"], string> = {
  user: "user",
  team: "team",
  schedule: "schedule",
  escalationPolicy: "escalationPolicy",
  service: "service",
  integration: "integration",
  statusPage: "statusPage",
  component: "component",
  policy: "policy",
};
const sign = { create: "+", update: "~", delete: "-" } as const;

/** One line per change: `+ schedule "Primary"`, `~ service "checkout" (escalationPolicy, description)`. */
export function changeLine(c: Change): string {
  const fields = c.fields?.length ? ` (${c.fields.join(", ")})` : "";
  const drifted = c.drifted ? "  ! changed on the server since the last apply: this overwrites it" : "";
  return `${sign[c.action]} ${kindWords[c.kind]} ${JSON.stringify(c.name)}${fields}${drifted}`;
}

export function planText(p: Plan, prune: boolean): string {
  const out: string[] = [];
  out.push(...(p.changes.length ? p.changes.map(changeLine) : ["no changes: the server matches the file"]));
  if (p.drift.length) {
    out.push("", "Drift: changed on the server since the last apply (apply puts the file's version back):");
    for (const d of p.drift)
      out.push(
        `  ! ${kindWords[d.kind]} ${JSON.stringify(d.name)} (last applied ${d.appliedAt}${d.appliedBy ? ` by ${d.appliedBy}` : ""})`,
      );
  }
  const users = p.kept.filter((k) => k.kind === "user").length;
  const others = p.kept.filter((k) => k.kind !== "user");
  if (others.length) {
    out.push(
      "",
      prune
        ? "Kept (never deleted by prune):"
        : "Kept: on the server, not in the file (--prune deletes them):",
      ...others.map((k) => `  = ${kindWords[k.kind]} ${JSON.stringify(k.name)}`),
    );
  }
  if (users) out.push("", `${users} people on the server are not in the file: a file never deletes people.`);
  const counts = (["create", "update", "delete"] as const).map(
    (a) => `${p.changes.filter((c) => c.action === a).length} to ${a}`,
  );
  out.push("", `Plan: ${counts.join(", ")}.`);
  return out.join("\n");
}

function readInput(file: string): string {
  try {
    return readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${file === "-" ? "standard input" : file}: ${(err as Error).message}`);
  }
}

/** The document in FILE (YAML, or JSON which is YAML too); a syntax error names its line and column. */
export function readDocument(file: string): unknown {
  const text = readInput(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const name = file === "-" ? "<stdin>" : file;
  if (doc.errors.length) {
    throw new CliError(
      doc.errors
        .map((e) => {
          const { line, col } = lines.linePos(e.pos[0]);
          return `${name}:${line}:${col}: ${e.message.split("\n")[0]}`;
        })
        .join("\n"),
    );
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined)
    throw new CliError(`${name}: the file is empty; expected a document (firebreak config export)`);
  return data;
}

async function exportCommand(c: Call): Promise<number> {
  const doc = await c.api.request<unknown>("GET", "/config");
  if (c.json) return c.print(doc, "");
  const text = stringify(doc, { lineWidth: 0 });
  const output = c.opt("output");
  if (output === undefined || output === "-") {
    await write(process.stdout, text);
    return 0;
  }
  writeFileSync(output, text, "utf8");
  await write(process.stderr, `wrote ${output}`);
  return 0;
}

async function planCommand(c: Call, file: string): Promise<number> {
  const prune = c.has("prune");
  const p = await c.api.request<Plan>("POST", "/config/plan", { document: readDocument(file), prune });
  await c.print(p, () => planText(p, prune));
  return c.has("exit-code") && p.changes.length ? CHANGES_EXIT_CODE : 0;
}

async function applyCommand(c: Call, file: string): Promise<number> {
  const prune = c.has("prune");
  const r = await c.api.request<Applied>("POST", "/config/apply", { document: readDocument(file), prune });
  return c.print(r, () => {
    const out = r.changes.length
      ? r.changes.map(changeLine)
      : ["no changes: the server already matched the file"];
    if (r.issuedKeys.length) {
      out.push("", "Integration keys issued (shown only now: store them where their senders read them):");
      for (const k of r.issuedKeys) out.push(`  ${k.service}/${k.integration}  ${k.key}`);
    }
    return out.join("\n");
  });
}

export const configCommands: Record<string, Command> = {
  config: {
    summary:
      "the set-up as a YAML document: export it, plan a file against the server, apply a file (admins)",
    synopsis: [
      "export [--output FILE]",
      "plan FILE [--prune] [--exit-code]      (FILE - reads standard input)",
      "apply FILE [--prune]",
    ],
    args: ["ACTION", "FILE?"],
    flags: {
      output: { value: "FILE", help: "export: write the document to FILE instead of standard output" },
      prune: {
        help: "plan, apply: delete what the file does not name (never people, never the default team)",
      },
      "exit-code": { help: `plan: exit ${CHANGES_EXIT_CODE} when applying would change something (for CI)` },
    },
    async run(c) {
      const action = c.must("ACTION");
      if (action === "export") {
        if (c.opt("FILE") !== undefined)
          throw new UsageError("export takes --output FILE, not a FILE argument");
        return exportCommand(c);
      }
      if (action === "plan") return planCommand(c, c.must("FILE"));
      if (action === "apply") {
        if (c.has("exit-code")) throw new UsageError("--exit-code is for plan");
        return applyCommand(c, c.must("FILE"));
      }
      throw new UsageError(`unknown action ${JSON.stringify(action)}; expected export, plan or apply`);
    },
  },
};
