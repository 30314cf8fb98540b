/**
 * The command table's machinery: a command is data (positional names, flags, a run function);
 * this file parses a command line against it with `node:util` parseArgs and writes its help.
 */
import { parseArgs } from "node:util";
import { type Api, UsageError } from "./client.ts";

/** A flag: with `value` it takes one (`--title TEXT`), without it is a switch (`--triage`). */
export type Flag = { value?: string; required?: boolean; help: string };

export type Call = {
  api: Api;
  json: boolean;
  /** A positional (by its upper-case name, e.g. "ID") or flag value; a usage error when absent. */
  must(name: string): string;
  /** An optional positional or flag value. */
  opt(name: string): string | undefined;
  /** Whether a switch is on or a flag was given. */
  has(name: string): boolean;
  /** Prints the API's JSON with --json, the readable text otherwise; resolves to exit code 0. */
  print(raw: unknown, text: string | (() => string)): Promise<number>;
};

export type Command = {
  summary: string;
  /** Positional names: "ID" required, "USER?" optional, "TEXT..." takes the rest of the words ("TEXT...?": may be none). */
  args?: string[];
  flags?: Record<string, Flag>;
  /** For commands with several forms, the usage lines after `firebreak <name>`. */
  synopsis?: string[];
  /** Resolves to the exit code. */
  run(call: Call): Promise<number>;
};

const common: Record<string, Flag> = {
  json: { help: "print the API's JSON response instead of text" },
  help: { help: "show this help" },
};

/** Writes and waits for the write: process.exit right after must not cut the output short. */
export function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text.endsWith("\n") ? text : `${text}\n`, () => resolve()));
}

const baseName = (arg: string) => arg.replace(/(\?|\.\.\.|\.\.\.\?)$/, "");

export function synopsis(name: string, cmd: Command): string[] {
  if (cmd.synopsis) return cmd.synopsis.map((s) => `firebreak ${name} ${s}`);
  const args = (cmd.args ?? []).map((a) => (a.endsWith("?") ? `[${baseName(a)}]` : a));
  const flags = Object.entries(cmd.flags ?? {}).map(([f, d]) => {
    const text = `--${f}${d.value ? ` ${d.value}` : ""}`;
    return d.required ? text : `[${text}]`;
  });
  return [["firebreak", name, ...args, ...flags].join(" ")];
}

export function commandHelp(name: string, cmd: Command): string {
  const flags = Object.entries({ ...cmd.flags, ...common }).map(
    ([f, d]) => [`--${f}${d.value ? ` ${d.value}` : ""}`, d.help] as const,
  );
  const width = Math.max(...flags.map(([f]) => f.length));
  return [
    ...synopsis(name, cmd).map((s, n) => `${n === 0 ? "usage:" : "      "} ${s}`),
    "",
    cmd.summary,
    "",
    ...flags.map(([f, help]) => `  ${f.padEnd(width)}  ${help}`),
    "",
  ].join("\n");
}

/** parseArgs' messages are long and mention internals; say what is wrong in a few words. */
function shortMessage(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) return `unknown flag ${option}`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    return /does not take/.test(message) ? `${option} takes no value` : `${option} needs a value`;
  }
  return message.split(". ")[0] ?? message;
}

/** Parses argv for one command; "help" when --help was asked for. Throws UsageError. */
export function parse(cmd: Command, argv: string[], api: Api, output: NodeJS.WriteStream): Call | "help" {
  const flags = { ...cmd.flags, ...common };
  const options = Object.fromEntries(
    Object.entries(flags).map(([f, d]) => [
      f,
      { type: d.value ? ("string" as const) : ("boolean" as const) },
    ]),
  );
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError(shortMessage(err));
  }
  const values = new Map<string, string | boolean>();
  for (const [k, v] of Object.entries(parsed.values)) if (v !== undefined) values.set(k, v);
  if (values.get("help")) return "help";

  const rest = [...parsed.positionals];
  for (const arg of cmd.args ?? []) {
    const name = baseName(arg);
    const value = /\.\.\.\??$/.test(arg) ? rest.splice(0).join(" ") || undefined : rest.shift();
    if (value !== undefined) values.set(name, value);
    else if (!arg.endsWith("?")) throw new UsageError(`missing ${name}`);
  }
  if (rest.length) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  for (const [f, d] of Object.entries(cmd.flags ?? {})) {
    if (d.required && !values.has(f)) throw new UsageError(`missing --${f} ${d.value ?? ""}`.trimEnd());
  }

  const json = values.get("json") === true;
  const opt = (name: string) => {
    const v = values.get(name);
    return typeof v === "string" ? v : undefined;
  };
  return {
    api,
    json,
    opt,
    has: (name) => values.has(name) && values.get(name) !== false,
    must(name) {
      const v = opt(name);
      if (v === undefined) throw new UsageError(`missing ${/^[A-Z]/.test(name) ? name : `--${name}`}`);
      return v;
    },
    async print(raw, text) {
      await write(output, json ? JSON.stringify(raw, null, 2) : typeof text === "string" ? text : text());
      return 0;
    },
  };
}

// -- values --------------------------------------------------------------------------------------

/** An incident or event id: `12` or `#12`. */
export function id(text: string, what = "ID"): number {
  const n = Number(text.replace(/^#/, ""));
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new UsageError(`${what} must be a number like 12, not ${JSON.stringify(text)}`);
  return n;
}

/** A person by numeric id (sent as a JSON number) or username (sent as a string). */
export const user = (text: string): number | string => (/^\d+$/.test(text) ? Number(text) : text);

export function yesNo(text: string, what: string): boolean {
  if (/^(yes|y|true|on)$/i.test(text)) return true;
  if (/^(no|n|false|off)$/i.test(text)) return false;
  throw new UsageError(`${what} takes yes or no, not ${JSON.stringify(text)}`);
}

/** An ISO time, or a time from now: `+30m`, `2h`. */
export function instant(text: string, now = new Date()): string {
  const rel = /^\+?(\d+)\s*(m|min|h)$/.exec(text);
  const at = rel
    ? new Date(now.getTime() + Number(rel[1]) * (rel[2] === "h" ? 3_600_000 : 60_000))
    : new Date(text);
  if (Number.isNaN(at.getTime()))
    throw new UsageError(`not a time: ${JSON.stringify(text)} (use an ISO time or +30m)`);
  return at.toISOString();
}

/** The API path of the incident named by the ID argument, plus a suffix. */
export const incidentPath = (c: Call, suffix = "") => `/incidents/${id(c.must("ID"))}${suffix}`;

export const optional = <T>(text: string | undefined, convert: (s: string) => T): T | undefined =>
  text === undefined ? undefined : convert(text);
