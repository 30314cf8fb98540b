/**
 * The policy in force, which can change while Firebreak runs: the file is watched and re-read
 * (also on SIGHUP and `POST /api/v1/policy/reload`). A file with a mistake is reported with its
 * line and column and the policy in force stays; a good one replaces it at once. Commands read
 * `current()` once at their start, so one command never sees two policies.
 */
import { createHash } from "node:crypto";
import { readFileSync, unwatchFile, watchFile } from "node:fs";
import { defaultPolicyFile, PolicyError, parsePolicy } from "./load.ts";
import type { Policy } from "./model.ts";

export type PolicyStatus = {
  /** The file in force (the shipped default when none is configured). */
  file: string;
  /** SHA-256 of the text in force, so operators can tell which version runs where. */
  hash: string;
  loadedAt: Date;
  /** The last attempt to load a changed file that failed; null after a good load. */
  lastError: { message: string; line: number | null; column: number | null; at: Date } | null;
};

export type ReloadResult = { changed: boolean; error: PolicyError | null };

export interface PolicySource {
  current(): Policy;
  status(): PolicyStatus;
  /** Re-reads the file now. A bad file leaves the policy in force and is returned as `error`. */
  reload(): ReloadResult;
  /** Called after a new policy took force. Returns a function that removes the listener. */
  onChange(listener: (policy: Policy) => void): () => void;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A policy that never changes: tests and tools that hold a parsed policy. */
export function fixedPolicy(policy: Policy): PolicySource {
  const status: PolicyStatus = {
    file: "(in memory)",
    hash: sha256(JSON.stringify(policy)),
    loadedAt: new Date(),
    lastError: null,
  };
  return {
    current: () => policy,
    status: () => status,
    reload: () => ({ changed: false, error: null }),
    onChange: () => () => undefined,
  };
}

export const isPolicySource = (p: Policy | PolicySource): p is PolicySource =>
  typeof (p as PolicySource).current === "function";

export const asPolicySource = (p: Policy | PolicySource): PolicySource =>
  isPolicySource(p) ? p : fixedPolicy(p);

/**
 * The policy from a file (or the shipped default). Throws PolicyError if the file cannot be used
 * at first: Firebreak must not start on a broken policy. `now` stamps loads and errors.
 */
export function filePolicy(
  file: string | undefined,
  now: () => Date = () => new Date(),
): PolicySource & {
  /** Polls the file for changes (editors often replace files, which fs.watch loses). */
  watch(intervalMs?: number): void;
  unwatch(): void;
} {
  const path = file ?? defaultPolicyFile;
  const read = () => readFileSync(path, "utf8");
  let text = read();
  let policy = parsePolicy(text, path);
  let status: PolicyStatus = { file: path, hash: sha256(text), loadedAt: now(), lastError: null };
  const listeners = new Set<(p: Policy) => void>();
  let watching = false;

  function reload(): ReloadResult {
    let next: string;
    try {
      next = read();
    } catch (err) {
      const error = new PolicyError(path, {
        line: undefined,
        column: undefined,
        problem: `cannot read it (${(err as Error).message}); the policy in force stays`,
      });
      status = { ...status, lastError: { message: error.message, line: null, column: null, at: now() } };
      return { changed: false, error };
    }
    if (next === text) {
      if (status.lastError) status = { ...status, lastError: null };
      return { changed: false, error: null };
    }
    try {
      policy = parsePolicy(next, path);
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      status = {
        ...status,
        lastError: { message: err.message, line: err.line ?? null, column: err.column ?? null, at: now() },
      };
      return { changed: false, error: err };
    }
    text = next;
    status = { file: path, hash: sha256(text), loadedAt: now(), lastError: null };
    for (const l of listeners) l(policy);
    return { changed: true, error: null };
  }

  return {
    current: () => policy,
    status: () => status,
    reload,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    watch(intervalMs = 2_000) {
      if (watching) return;
      watching = true;
      watchFile(path, { interval: intervalMs, persistent: false }, () => reload());
    },
    unwatch() {
      if (watching) unwatchFile(path);
      watching = false;
    },
  };
}
