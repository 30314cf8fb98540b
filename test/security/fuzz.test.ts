/**
 * Malformed input to every operation of the OpenAPI document that takes a body, a query or path
 * parameters (issue 14), sent as the first admin, the most powerful caller: text PostgreSQL cannot
 * store (NUL, lone surrogates), wrong types, huge numbers, a 2 MB body, deep nesting, unknown
 * members, ids that do not exist. Every answer must be a 4xx problem document with a `detail` and
 * a `code` — never a 5xx — and no row of any table may change. The values come from fast-check
 * with a fixed seed, so a failure is the same failure on every run.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  type Answer,
  changedTables,
  deref,
  exampleBody,
  exampleOf,
  fillPath,
  type Json,
  type Operation,
  operationsOf,
  pathValuesFor,
  Raw,
  type Schema,
  seedWorld,
  send,
  tableChecksums,
  typesOf,
  type World,
} from "../support/operations.ts";

const SEED = 1414;
/** Random malformed values per field, on top of the fixed cases every field gets. */
const RUNS = 10;

/** Tables refused requests may write to, each for its reason; no other may change. */
const WRITTEN_BY_REFUSALS: Record<string, string> = {
  audit_log: "refused and failed sign-ins are audited",
  sign_in_attempts: "failed sign-ins are counted (throttling)",
  status_subscribe_attempts: "subscription attempts are counted per address (rate limit)",
  api_tokens: "last_used_at of the admin's token",
  firebreak_replicas: "the replica's heartbeat",
  idempotency_keys: "swept by the clock",
};

/** Long-lived answers (server-sent events) are not fuzzed beyond their parameters. */
const isStream = (op: Operation) => op.path.endsWith("/stream");

let t: TestApp;
let doc: Json;
let ops: Operation[];
let world: World;
let admin: Record<string, string>;

beforeAll(async () => {
  t = await startTestApp();
  doc = (await t.admin.get("/api/openapi.json")).body;
  ops = operationsOf(doc);
  world = await seedWorld(t);
  admin = { authorization: `Bearer ${t.admin.token}` };
}, 60_000);

afterAll(async () => {
  await t?.close();
});

type Case = { what: string; method: string; url: string; body?: unknown };

const values = (op: Operation) => pathValuesFor(op, world.values);
const urlOf = (op: Operation, over: Record<string, string> = {}, query = "") => {
  const v = { ...values(op) };
  for (const [name, raw] of Object.entries(over)) v[`${op.key} ${name}`] = raw;
  const filled = fillPath(op, v);
  // Values already percent-encoded on purpose (%00, invalid UTF-8) go in as they are.
  const url = Object.values(over).reduce((u, raw) => u.replace(encodeURIComponent(raw), raw), filled);
  return url + query;
};

// --- malformed values --------------------------------------------------------------------

const nul = fc
  .tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }))
  .map(([a, b]) => `${a}\u0000${b}`);
const lone = fc
  .tuple(fc.string({ maxLength: 8 }), fc.constantFrom("\ud800", "\udfff", "\udbff"))
  .map(([a, s]) => `${a}${s}`);
const nested = (depth: number, kind: "array" | "object"): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = kind === "array" ? [v] : { a: v };
  return v;
};
/** Nesting the fuzzed routes take (deeper than the 64 levels checked: refused with a 400). */
const NESTED = 1_000;
const deepArrays = (n: number) => `${"[".repeat(n)}1${"]".repeat(n)}`;
const deepObjects = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
const HUGE = [1e20, -1e20, 1e308, Number.MAX_SAFE_INTEGER + 2];

/** Values a field of this schema must refuse. */
function malformed(schema: Schema): fc.Arbitrary<unknown> {
  const s = deref(doc, schema);
  const types = typesOf(doc, s);
  const any = types.size === 0;
  const options: fc.Arbitrary<unknown>[] = [nul, lone];
  if (!any) {
    const wrong: unknown[] = [];
    if (!types.has("string")) wrong.push("1", "");
    if (!types.has("number")) wrong.push(1, 0, -1);
    if (!types.has("boolean")) wrong.push(true);
    if (!types.has("null")) wrong.push(null);
    if (!types.has("array")) wrong.push([], ["x"]);
    if (!types.has("object")) wrong.push({}, { x: 1 });
    if (wrong.length) options.push(fc.constantFrom(...wrong));
    if (!types.has("array")) options.push(fc.integer({ min: 100, max: 1000 }).map((d) => nested(d, "array")));
    if (!types.has("object"))
      options.push(fc.integer({ min: 100, max: 1000 }).map((d) => nested(d, "object")));
  }
  const huge = HUGE.filter((h) => beyond(s, h));
  if (types.has("number") && !any && huge.length) options.push(fc.constantFrom(...huge));
  return fc.oneof(...options);
}

/** Whether a number is outside what the schema takes (so sending it must be refused). */
function beyond(schema: Schema, n: number): boolean {
  const branches: Schema[] = schema.anyOf ?? schema.oneOf ?? [schema];
  return branches.every((b) => {
    const s = deref(doc, b);
    if (s.type !== "number" && s.type !== "integer") return true;
    if (s.type === "integer" && !Number.isSafeInteger(n)) return true;
    if (typeof s.maximum === "number" && n > s.maximum) return true;
    if (typeof s.minimum === "number" && n < s.minimum) return true;
    if (typeof s.exclusiveMinimum === "number" && n <= s.exclusiveMinimum) return true;
    return false;
  });
}

/** Whether an object schema refuses members it does not name. */
const closed = (schema: Schema) => {
  const s = deref(doc, schema);
  return s.type === "object" && s.additionalProperties === false;
};

/** Fixed cases for a body: the whole body wrong, too large, unknown or unstorable member names. */
function bodyCases(op: Operation): Case[] {
  const url = urlOf(op);
  const base = exampleBody(doc, op, world.hints) as Json;
  const cases: Case[] = [];
  const add = (what: string, body: unknown) => cases.push({ what, method: op.method, url, body });
  add("a body over the limit (2 MB)", { ...base, zz: "x".repeat(2 * 1024 * 1024) });
  add("deeply nested arrays as the body", new Raw(deepArrays(NESTED)));
  add("deeply nested objects as the body", new Raw(deepObjects(NESTED)));
  add("a member named with a NUL", { ...base, "ti\u0000tle": "x" });
  add("a member named with a lone surrogate", { ...base, "\ud800": "x" });
  add("a number as the body", 42);
  add("a string as the body", "\u0000");
  add("not JSON", new Raw("{"));
  add("a number beyond float range", new Raw(`{"n": 1e400}`));
  const types = typesOf(doc, op.body);
  if (types.size > 0 && !types.has("array")) add("an array as the body", [base]);
  if (closed(op.body as Schema)) add("an unknown member", { ...base, zzUnknown: 1 });
  // Unknown members one level down, where a member is a closed object.
  const props = deref(doc, op.body).properties ?? {};
  for (const [name, p] of Object.entries<Schema>(props)) {
    if (!closed(p)) continue;
    add(`an unknown member in ${name}`, {
      ...base,
      [name]: { ...(exampleOf(doc, p, world.hints) as Json), zzUnknown: 1 },
    });
  }
  return cases;
}

/** Fixed cases for a path parameter: ids that are not ids, do not exist, or cannot be stored. */
function pathCases(op: Operation, name: string, schema: Schema): Case[] {
  const types = typesOf(doc, schema);
  const base = exampleBody(doc, op, world.hints);
  const raw = [
    "%00",
    "a%00b",
    "%ED%A0%80",
    "%F0%9F",
    "x".repeat(501),
    ...(types.has("number")
      ? ["abc", "-1", "0", "1.5", "1e3", "100000000000000000000", "9223372036854775808", "999999"]
      : []),
    ...(types.has("string") ? ["no-such-thing"] : []),
  ];
  return raw.map((v) => ({
    what: `path ${name} = ${v.slice(0, 20)}`,
    method: op.method,
    url: urlOf(op, { [name]: v }),
    body: base,
  }));
}

/** Fixed cases for a query parameter. */
function queryCases(op: Operation, name: string, schema: Schema): Case[] {
  const s = deref(doc, schema);
  const types = typesOf(doc, s);
  const base = exampleBody(doc, op, world.hints);
  const raw = ["%00", "a%00b"];
  if (types.has("number") && !types.has("string")) raw.push("abc", "1.5", "100000000000000000000", "-1e400");
  if (types.has("boolean") && !types.has("string")) raw.push("maybe");
  if (Array.isArray(s.enum)) raw.push("zz-not-one");
  if (typeof s.maxLength === "number") raw.push("x".repeat(s.maxLength + 1));
  return raw.map((v) => ({
    what: `query ${name} = ${v.slice(0, 20)}`,
    method: op.method,
    url: urlOf(op, {}, `?${name}=${v}`),
    body: base,
  }));
}

// --- the check ---------------------------------------------------------------------------

/**
 * Pages people open in a browser (the public status page, its subscription links) answer their
 * 4xx as an HTML page, not a problem document.
 */
const forPeople = (c: Case) =>
  (/^\/status\//.test(c.url) && c.method === "GET") || /\/subscriptions\/(confirm|unsubscribe)\//.test(c.url);

function verdict(c: Case, a: Answer): string | undefined {
  const page = forPeople(c) && a.status >= 400 && a.status < 500 && a.type.startsWith("text/html");
  const problem =
    page ||
    (a.status >= 400 &&
      a.status < 500 &&
      a.type.startsWith("application/problem+json") &&
      typeof a.body?.detail === "string" &&
      a.body.detail.length > 0 &&
      typeof a.body?.code === "string");
  if (problem) return undefined;
  const body = c.body instanceof Raw ? c.body.text : JSON.stringify(c.body);
  return `${c.what}: ${c.method} ${c.url.slice(0, 200)} ${body?.slice(0, 200) ?? ""} → ${a.status} ${a.type} ${a.text.slice(0, 300)}`;
}

const withInputs = () =>
  ops.filter((op) => op.body || op.params.some((p) => p.in === "path" || p.in === "query"));

describe("malformed input to every operation", () => {
  test("the operations with input are many", () => {
    expect(withInputs().length, "is the list shrinking?").toBeGreaterThanOrEqual(90);
  });

  test("is refused with a 4xx problem document, and changes no row", async () => {
    const skip = new Set(Object.keys(WRITTEN_BY_REFUSALS));
    const failures: string[] = [];
    let sent = 0;
    for (const op of withInputs()) {
      const before = await tableChecksums(t, skip);
      const run = async (c: Case) => {
        sent++;
        const a = await send(t.base, c.method, c.url, c.body, admin);
        const bad = verdict(c, a);
        if (bad) failures.push(`${op.key} — ${bad}`);
        return !bad;
      };
      for (const p of op.params) {
        if (p.in === "path") for (const c of pathCases(op, p.name, p.schema)) await run(c);
        if (p.in === "query") for (const c of queryCases(op, p.name, p.schema)) await run(c);
      }
      if (op.body && !isStream(op)) {
        for (const c of bodyCases(op)) await run(c);
        // Each member of the body in turn, malformed, the rest valid.
        const base = exampleBody(doc, op, world.hints) as Json;
        const props = Object.entries<Schema>(deref(doc, op.body).properties ?? {});
        for (const [name, schema] of props) {
          await fc
            .assert(
              fc.asyncProperty(malformed(schema), async (v) =>
                run({
                  what: `body ${name} = ${JSON.stringify(v)?.slice(0, 40)}`,
                  method: op.method,
                  url: urlOf(op),
                  body: { ...base, [name]: v },
                }),
              ),
              { seed: SEED, numRuns: RUNS, endOnFailure: true },
            )
            .catch(() => undefined); // the failure is in `failures`, with the request
        }
      }
      const changed = changedTables(before, await tableChecksums(t, skip));
      if (changed.length) failures.push(`${op.key} — refused requests changed ${changed.join(", ")}`);
      // Numbers the schema bounds nowhere may be taken, but must never fail the server.
      if (op.body && !isStream(op)) {
        const base = exampleBody(doc, op, world.hints) as Json;
        for (const [name, schema] of Object.entries<Schema>(deref(doc, op.body).properties ?? {})) {
          if (!typesOf(doc, schema).has("number")) continue;
          for (const n of HUGE.filter((h) => !beyond(deref(doc, schema), h))) {
            sent++;
            const a = await send(t.base, op.method, urlOf(op), { ...base, [name]: n }, admin);
            if (a.status >= 500)
              failures.push(`${op.key} — body ${name} = ${n}: ${a.status} ${a.text.slice(0, 200)}`);
          }
        }
      }
    }
    expect(sent).toBeGreaterThan(1000);
    expect(failures).toEqual([]);
  }, 120_000);
});

describe("defects these tests found, fixed", () => {
  test("renaming an escalation policy to a name another has is a 409 naming the field, not a 500", async () => {
    const levels = [{ timeoutMinutes: 5, targets: [{ kind: "user", id: world.ids.target }] }];
    const other = await t.admin.request("POST", "/api/v1/escalation-policies", {
      name: "Taken name",
      levels,
    });
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    const a = await send(
      t.base,
      "PUT",
      `/api/v1/escalation-policies/${world.ids.policy}`,
      { name: "Taken name", levels },
      admin,
    );
    expect(a.status, a.text).toBe(409);
    expect(a.body).toMatchObject({ code: "conflict", field: "name" });
  });
});

describe("bodies and queries the checks once failed on", () => {
  test("a body nested 100,000 levels deep is a 400 naming the body, not a 500", async () => {
    const a = await send(t.base, "POST", "/api/v1/incidents", new Raw(deepArrays(100_000)), admin);
    expect(a.status).toBe(400);
    expect(a.body).toMatchObject({ code: "invalid-request", field: "body" });
  });

  test("a query whose percent-escapes are not UTF-8 is a 400 naming the url, as docs/errors.md says", async () => {
    for (const q of ["q=%ED%A0%80", "q=%FF", "severity=%C3"]) {
      const a = await send(t.base, "GET", `/api/v1/incidents?${q}`, undefined, admin);
      expect(a.status, q).toBe(400);
      expect(a.body).toMatchObject({ code: "invalid-request", field: "url" });
    }
  });
});
