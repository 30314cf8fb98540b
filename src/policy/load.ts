import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Document, isMap, isSeq, LineCounter, parseDocument, visit } from "yaml";
import { z } from "zod";
import { type Policy, policySchema } from "./model.ts";

/** The shipped default: the handbook's process (RULES.md). */
export const defaultPolicyFile = fileURLToPath(new URL("./default.yaml", import.meta.url));

type Problem = { line: number | undefined; column: number | undefined; problem: string };

const position = (p: Problem) => (p.line === undefined ? "" : `line ${p.line}, column ${p.column}`);

/**
 * A policy file that cannot be used. The message names the file, the line and what was expected;
 * `line`/`column` (1-based) are those of the first problem, `moreProblems` holds the rest.
 */
export class PolicyError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly problem: string;
  readonly moreProblems: readonly Problem[];
  constructor(file: string, first: Problem, moreProblems: readonly Problem[] = []) {
    const more = moreProblems.map((p) => `\n  and ${position(p) || "also"}: ${p.problem}`).join("");
    super(
      `policy file ${file}${first.line === undefined ? "" : `, ${position(first)}`}: ${first.problem}${more}`,
    );
    this.name = "PolicyError";
    this.file = file;
    this.line = first.line;
    this.column = first.column;
    this.problem = first.problem;
    this.moreProblems = moreProblems;
  }
}

/** Reads and checks a policy file; no file means the shipped default. Throws PolicyError. */
export function loadPolicy(file?: string): Policy {
  const path = file ?? defaultPolicyFile;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new PolicyError(path, { line: undefined, column: undefined, problem: readProblem(err) });
  }
  return parsePolicy(text, path);
}

function readProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT")
    return "file not found; fix FIREBREAK_POLICY_FILE, or leave it empty for the shipped default";
  if (code === "EACCES") return "permission denied; the Firebreak user must be able to read it";
  if (code === "EISDIR") return "is a directory; expected a YAML file";
  return `cannot read it (${(err as Error).message})`;
}

/** Parses and checks policy YAML; `file` is only used in messages. Throws PolicyError. */
export function parsePolicy(text: string, file: string): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };

  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({ ...at(e.pos[0]), problem: `YAML syntax error: ${e.message}` }));
    throw policyError(file, problems);
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // Only an alias to a missing anchor gets here; find it to name its line.
    let offset: number | undefined;
    visit(doc, {
      Alias(_, node) {
        if (node.resolve(doc) !== undefined || !node.range) return undefined;
        offset = node.range[0];
        return visit.BREAK;
      },
    });
    const pos = offset === undefined ? { line: undefined, column: undefined } : at(offset);
    throw policyError(file, [{ ...pos, problem: `YAML error: ${(err as Error).message}` }]);
  }

  if (data === null || data === undefined) {
    const problem = "the file is empty; expected a policy (start from a copy of the shipped default.yaml)";
    throw policyError(file, [{ line: 1, column: 1, problem }]);
  }
  const result = policySchema.safeParse(data, { reportInput: true, error: expectation });
  if (result.success) return result.data;
  const found = result.error.issues.flatMap((issue) => describe(issue, doc, at));
  // A misspelt key also shows up as the real key missing; the "did you mean" says it all.
  const typos = new Set(found.map((f) => f.typoOf));
  throw policyError(
    file,
    found.filter((f) => f.missing === undefined || !typos.has(f.missing)),
  );
}

/** One error for all problems, the first in the file leading. */
function policyError(file: string, problems: Problem[]): PolicyError {
  const byPosition = (a: Problem, b: Problem) =>
    (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
  const [first, ...rest] = problems
    .map(({ line, column, problem }) => ({ line, column, problem }))
    .sort(byPosition);
  return new PolicyError(file, first ?? { line: undefined, column: undefined, problem: "invalid" }, rest);
}

type Path = PropertyKey[];

/** `severities[1].closeDelayMinutes`, as an operator would point at it. */
function pathText(path: Path): string {
  return path
    .map((k, i) => (typeof k === "number" ? `[${k}]` : `${i === 0 ? "" : "."}${String(k)}`))
    .join("");
}

const prefix = (path: Path) => (path.length === 0 ? "" : `${pathText(path)}: `);

/** `missing` and `typoOf` name a key path, so a typo can stand in for the key it misspells. */
type Found = Problem & { missing?: string; typoOf?: string };

function describe(
  issue: z.core.$ZodIssue,
  doc: Document,
  at: (o: number) => Omit<Problem, "problem">,
): Found[] {
  const node = locate(doc, issue.path);
  if (issue.code === "unrecognized_keys") {
    const known = keysAt(issue.path);
    return issue.keys.map((key) => {
      const meant = closest(key, known);
      const hint = meant ? `did you mean \`${meant}\`?` : `expected one of ${known.join(", ")}`;
      return {
        ...at(locate(doc, [...issue.path, key]).offset),
        problem: `${prefix(issue.path)}unknown key \`${key}\`; ${hint}`,
        ...(meant ? { typoOf: pathText([...issue.path, meant]) } : {}),
      };
    });
  }
  const key = issue.path.at(-1);
  if (issue.code === "invalid_type" && !node.found && typeof key === "string") {
    return [
      {
        ...at(node.offset),
        problem: `${prefix(issue.path.slice(0, -1))}missing required key \`${key}\` (${issue.message})`,
        missing: pathText(issue.path),
      },
    ];
  }
  const got = issue.code !== "custom" && "input" in issue ? `, got ${show(issue.input)}` : "";
  return [{ ...at(node.offset), problem: `${prefix(issue.path)}${issue.message}${got}` }];
}

/**
 * The offset of the YAML node at `path`: the key of a mapping entry, the start of a list item. A
 * missing key stops at the nearest parent that exists (found = false).
 */
function locate(doc: Document, path: Path): { offset: number; found: boolean } {
  let node: unknown = doc.contents;
  let offset = doc.contents?.range?.[0] ?? 0;
  for (const key of path) {
    let next: { at: number | undefined; value: unknown } | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalarLike(p.key) ? p.key.value : p.key) === String(key));
      if (pair) next = { at: rangeStart(pair.key), value: pair.value };
    } else if (isSeq(node) && typeof key === "number" && key < node.items.length) {
      const item = node.items[key];
      next = { at: rangeStart(item), value: item };
    }
    if (!next) return { offset, found: false };
    offset = next.at ?? offset;
    node = next.value;
  }
  return { offset, found: true };
}

const isScalarLike = (v: unknown): v is { value: unknown } =>
  typeof v === "object" && v !== null && "value" in v;
const rangeStart = (v: unknown): number | undefined =>
  typeof v === "object" && v !== null && "range" in v && Array.isArray(v.range) ? v.range[0] : undefined;

/** The keys the schema allows at `path`, for "did you mean" hints. */
function keysAt(path: Path): string[] {
  let schema: z.ZodType | undefined = policySchema;
  for (const key of path) {
    if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodObject) schema = schema.shape[String(key)] as z.ZodType | undefined;
    if (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** The known key `key` most likely misspells: the nearest by edit distance among plausible ones. */
function closest(key: string, known: string[]): string | undefined {
  const b = key.toLowerCase();
  return known
    .map((k) => ({ k, a: k.toLowerCase() }))
    .filter(({ a }) => a.includes(b) || b.includes(a) || editDistance(a, b) <= 2)
    .sort((x, y) => editDistance(x.a, b) - editDistance(y.a, b))[0]?.k;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next[j] = Math.min(next[j - 1]! + 1, row[j]! + 1, row[j - 1]! + cost);
    }
    row = next;
  }
  return row[b.length]!;
}

const typeWords: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping of keys to values",
};

/** Zod's default messages, reworded for someone editing YAML; schema-specific messages win over these. */
const expectation: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type") return `expected ${typeWords[issue.expected] ?? issue.expected}`;
  if (issue.code === "too_small" && issue.origin === "string") return "expected non-empty text";
  if (issue.code === "too_small" && issue.origin === "array")
    return `expected at least ${issue.minimum} entries`;
  return undefined;
};

function show(value: unknown): string {
  if (value === undefined || value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return JSON.stringify(value);
}
