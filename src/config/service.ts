/**
 * Configuration as code (issue 19): export the set-up as a document, plan a document against the
 * server, and apply it in one transaction. The pure parts are in model.ts (documents and their
 * differences) and check.ts (references and validity); the writes are in apply.ts.
 */
import { readFileSync } from "node:fs";
import { sql } from "kysely";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { type Actor, forgetTokens } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import type { Db } from "../platform/db.ts";
import { AppError } from "../platform/errors.ts";
import { canonicalJson } from "../platform/idempotency-key.ts";
import type { Jobs } from "../platform/jobs.ts";
import { defaultPolicyFile, PolicyError, parsePolicy } from "../policy/load.ts";
import type { Policy } from "../policy/model.ts";
import type { PolicySource } from "../policy/source.ts";
import { applyChanges, type IssuedKey, writePolicyFile } from "./apply.ts";
import { checkDocument, type DocumentProblem } from "./check.ts";
import { type ConfigDocument, configDocument } from "./document.ts";
import {
  alignComponentOrder,
  type Change,
  type Drift,
  diff,
  documentOf,
  driftOf,
  exportDocument,
  fingerprints,
  idRef,
  markDrift,
  type ObjectRef,
  type ServerState,
} from "./model.ts";
import type { ConfigDb } from "./store.ts";
import * as store from "./store.ts";

/** A document that cannot be applied: 422, every problem with its place in the file. */
export class DocumentError extends AppError {
  constructor(problems: DocumentProblem[]) {
    // One problem per line: the CLI prints the detail as it is.
    const shown = problems.slice(0, 50).map((p) => `\n  ${p.path}: ${p.message}`);
    const more = problems.length > 50 ? `\n  and ${problems.length - 50} more (see errors)` : "";
    super("invalid-document", `the document cannot be applied:${shown.join("")}${more}`, {
      field: problems[0]?.path,
      errors: problems.map((p) => ({ field: p.path, message: p.message })),
    });
  }
}

export type PlanResult = { changes: Change[]; drift: Drift[]; kept: ObjectRef[] };
export type ApplyResult = { changes: Change[]; issuedKeys: IssuedKey[] };

/** Apply takes this lock for its transaction: two applies at once take turns. */
const APPLY_LOCK = 1_900_026;

export function createConfigService(deps: {
  db: Db;
  clock: Clock;
  policy: PolicySource;
  jobs: Jobs;
  /** A status page changed: its cached responses are cleared (after the commit). */
  statusPageChanged: (pageId: number) => Promise<void> | void;
}) {
  const db = deps.db as unknown as ConfigDb;
  const { clock } = deps;

  /** The policy file's path when one is configured (FIREBREAK_POLICY_FILE), else null. */
  function policyFile(): string | null {
    const file = deps.policy.status().file;
    return file === defaultPolicyFile || file === "(in memory)" ? null : file;
  }

  /** The policy in force as document data: the file's own YAML, or the policy held in memory. */
  function policyData(): Record<string, unknown> {
    const file = deps.policy.status().file;
    if (file !== "(in memory)") {
      try {
        return parseYaml(readFileSync(file, "utf8")) as Record<string, unknown>;
      } catch {
        // The file changed under us into something unreadable; what is in force is what counts.
      }
    }
    return JSON.parse(JSON.stringify(deps.policy.current())) as Record<string, unknown>;
  }

  function parseDocument(raw: unknown): ConfigDocument {
    const r = configDocument.safeParse(raw);
    if (r.success) return r.data;
    throw new DocumentError(
      r.error.issues.map((i) => ({
        path:
          i.path.map((p, n) => (typeof p === "number" ? `[${p}]` : `${n ? "." : ""}${String(p)}`)).join("") ||
          "(document)",
        message: i.message,
      })),
    );
  }

  /** The document's policy, checked by the policy parser; undefined when it carries none. */
  function desiredPolicy(doc: ConfigDocument): Policy | undefined {
    if (doc.policy === undefined) return undefined;
    try {
      return parsePolicy(stringifyYaml(doc.policy), "the document's policy");
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      // The parser's lines are those of the policy as YAML on its own: the field path says more.
      throw new DocumentError(
        [err, ...err.moreProblems].map((p) => {
          const field = /^([\w$.[\]-]+): (.*)$/s.exec(p.problem);
          return field
            ? { path: `policy.${field[1]}`, message: field[2]! }
            : { path: "policy", message: p.problem };
        }),
      );
    }
  }

  const samePolicy = (a: Policy, b: Policy) => canonicalJson(a) === canonicalJson(b);

  /** The comparison plan and apply share: what changes, what drifted, what stays. */
  async function compare(tx: ConfigDb, doc: ConfigDocument, prune: boolean, desired: Policy | undefined) {
    const now = clock.now();
    const [state, applied] = await Promise.all([store.readState(tx, now), store.readApplied(tx)]);
    const current = deps.policy.current();
    const checked = checkDocument(doc, state, { prune, policy: desired ?? current, now });
    if (checked.problems.length) throw new DocumentError(checked.problems);
    const have = withPolicy(documentOf(state, idRef), current);
    const want = desired ? withPolicy(checked.want, desired) : { ...checked.want, policy: undefined };
    const defaultTeam = state.teams.find((t) => t.isDefault)?.slug;
    const result = diff(want, alignComponentOrder(want, have), prune);
    // The default team is never deleted: it owns what no other team does.
    const undeletable = (c: ObjectRef) => c.kind === "team" && c.name === defaultTeam;
    const changes = result.changes.filter((c) => !(c.action === "delete" && undeletable(c)));
    const kept = [
      ...result.kept,
      ...result.changes.filter((c) => c.action === "delete" && undeletable(c)),
    ].map((c) => ({ kind: c.kind, name: c.name }));
    // Drift concerns what the file manages: the objects it names, and those prune would delete.
    const managed = new Set([
      ...fingerprints(want).keys(),
      ...changes.filter((c) => c.action === "delete").map((c) => `${c.kind}\u0000${c.name}`),
    ]);
    const drift = driftOf(
      applied.filter((a) => managed.has(`${a.kind}\u0000${a.name}`)),
      fingerprints(have),
    );
    return { state, want, changes: markDrift(changes, drift), drift, kept, applied, current };
  }

  return {
    /** The configuration as a document (stable: sorted, defaults left out). */
    async exportDocument(): Promise<ConfigDocument> {
      const state = await store.readState(db, clock.now());
      return exportDocument(state, policyData());
    },

    async plan(raw: unknown, prune: boolean): Promise<PlanResult> {
      const doc = parseDocument(raw);
      const desired = desiredPolicy(doc);
      const r = await compare(db, doc, prune, desired);
      return { changes: r.changes, drift: r.drift, kept: r.kept };
    },

    async apply(actor: Actor, raw: unknown, prune: boolean): Promise<ApplyResult> {
      const doc = parseDocument(raw);
      const desired = desiredPolicy(doc);
      const file = policyFile();
      if (desired && !samePolicy(desired, deps.policy.current()) && file === null)
        throw new AppError(
          "conflict",
          "the document changes the policy, but this server has no policy file to write it to; set FIREBREAK_POLICY_FILE to a file the server may write (a copy of the policy in force), restart, and apply again — nothing was applied",
          { field: "policy" },
        );
      const outcome = await db.transaction().execute(async (tx) => {
        await sql`SELECT pg_advisory_xact_lock(${APPLY_LOCK})`.execute(tx);
        const r = await compare(tx, doc, prune, desired);
        const now = clock.now();
        const written = await applyChanges(tx, {
          actor,
          now,
          state: r.state,
          want: r.want,
          changes: r.changes,
          jobs: deps.jobs,
          problem: (problems) => new DocumentError(problems),
        });
        // What the objects the file names look like now: the fingerprints drift is measured from.
        const after = await store.readState(tx, now);
        const prints = fingerprints(withPolicy(documentOf(after, idRef), desired ?? r.current));
        const stored = new Map(r.applied.map((a) => [`${a.kind}\u0000${a.name}`, a.fingerprint]));
        const named = fingerprintsOfNamed(r.want, prints);
        // Objects the file no longer names are no longer its to watch (deleted ones among them).
        const namedKeys = new Set(named.map((n) => `${n.kind}\u0000${n.name}`));
        await store.writeApplied(
          tx,
          named.filter((n) => stored.get(`${n.kind}\u0000${n.name}`) !== n.fingerprint),
          r.applied.filter((a) => !namedKeys.has(`${a.kind}\u0000${a.name}`)),
          now,
          actor.id,
        );
        return { changes: r.changes, issuedKeys: written.issuedKeys, pages: written.statusPages };
      });
      if (desired && file !== null && outcome.changes.some((c) => c.kind === "policy")) {
        writePolicyFile(file, stringifyYaml(doc.policy, { lineWidth: 0 }));
        const reloaded = deps.policy.reload();
        if (reloaded.error) throw reloaded.error;
      }
      // A new role applies to the person's next request, as when an admin changes it (users/service.ts).
      if (outcome.changes.some((c) => c.kind === "user" && c.action === "update")) forgetTokens();
      for (const pageId of outcome.pages) await deps.statusPageChanged(pageId);
      return { changes: outcome.changes.map(({ drifted, ...c }) => c), issuedKeys: outcome.issuedKeys };
    },
  };
}

const withPolicy = (doc: ConfigDocument, policy: Policy): ConfigDocument => ({
  ...doc,
  policy: JSON.parse(JSON.stringify(policy)) as Record<string, unknown>,
});

/** The fingerprints of the objects a (normalised, resolved) document names. */
function fingerprintsOfNamed(
  want: ConfigDocument,
  prints: ReturnType<typeof fingerprints>,
): { kind: ObjectRef["kind"]; name: string; fingerprint: string }[] {
  const wanted = fingerprints(want);
  return [...wanted.keys()].flatMap((k) => {
    const p = prints.get(k);
    return p ? [{ ...p.ref, fingerprint: p.fingerprint }] : [];
  });
}

export type ConfigService = ReturnType<typeof createConfigService>;
export type { ServerState };
