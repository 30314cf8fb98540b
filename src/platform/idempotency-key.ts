/**
 * What an Idempotency-Key is and which requests are the same (draft-ietf-httpapi-idempotency-key-
 * header): the header's form, a request's fingerprint, and the routes whose answer is written in
 * the command's transaction. Pure; idempotency.ts carries keys through requests and transactions.
 */
import { createHash } from "node:crypto";
import { invalid } from "./errors.ts";

export const IDEMPOTENCY_HEADER = "idempotency-key";
export const REPLAYED_HEADER = "idempotent-replayed";
/**
 * Routes whose answer is written in the command's own transaction (idempotency.ts says how): an
 * incident's commands and a page's (a responder's clicks, retried on flaky phone networks); each
 * runs one command and then only presents its result — it writes nothing more and reads nothing
 * the command wrote on another connection (decision 0009). Names and tracker issues the answers
 * show are not written by these commands (trackers claim their issues in a job after the commit).
 */
export const answerInTransaction: ReadonlySet<string> = new Set(
  [
    "",
    "/:id/status",
    "/:id/severity",
    "/:id/owner",
    "/:id/escalate",
    "/:id/impact",
    "/:id/labels",
    "/:id/visibility",
    "/:id/merge",
    "/:id/participants",
    "/:id/notes",
    "/:id/updates",
    "/:id/tasks",
  ]
    .map((path) => `POST /api/v1/incidents${path}`)
    .concat(
      ["", "/:id/acknowledge", "/:id/resolve", "/:id/escalate", "/:id/reassign"].map(
        (path) => `POST /api/v1/pages${path}`,
      ),
    ),
);

/** The OpenAPI description every keyed route shares (docs/errors.md has the whole story). */
export const HEADER_DOC =
  "Idempotent with an `Idempotency-Key` header (1–255 visible ASCII characters, e.g. a UUID; the draft's quoted form is accepted too): a retry with the same key and body within 24 hours gets the first answer again with `Idempotent-Replayed: true`, nothing done twice; the same key with another body is a 422, and while the first is still running a 409 with Retry-After.";

/** The header's value: a Structured Field String (`"…"`, as the draft has it) or the bare key. */
export function parseIdempotencyKey(raw: string | string[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const problem = "must be one key of 1–255 visible ASCII characters, e.g. a UUID";
  if (Array.isArray(raw)) throw invalid("Idempotency-Key", `${problem}; the header was sent more than once`);
  let key = raw.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) {
    key = key.slice(1, -1).replace(/\\(["\\])/g, "$1");
  }
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw invalid("Idempotency-Key", problem);
  return key;
}

/** JSON with object keys sorted at every depth: equal requests have equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** What makes two requests the same request: the path (with its ids and query) and the body. */
export function fingerprintOf(path: string, body: unknown): string {
  return createHash("sha256")
    .update(canonicalJson({ path, body: body ?? null }))
    .digest("hex");
}
