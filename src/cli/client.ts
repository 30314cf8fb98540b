/**
 * The CLI's side of the HTTP API: one `request` that adds the token, and turns every failure
 * (no token, server down, problem+json) into a message a person can act on. Every POST carries an
 * `Idempotency-Key` of its own (decision 0009), kept on its retries: when the answer is lost (the
 * connection dropped, the server restarted, a 503, the first attempt still running), it is sent
 * again and the server answers what it did the first time instead of doing it twice.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import type { eventSchema, IncidentView, taskSchema } from "../incidents/schemas.ts";
import { states as allStates } from "../incidents/states.ts";

// The shapes the CLI reads: types only, taken from the server's own schemas so they cannot drift.
export type Incident = IncidentView;
export type TimelineEvent = z.infer<typeof eventSchema>;
export type Task = z.infer<typeof taskSchema>;
export type Me = { id: number; username: string; name: string; role: string };
export type Gate = {
  blocked: boolean;
  kind: "deployments" | "feature-flags";
  incidents: { id: number | null; title: string | null; severity: string; state: string; private: boolean }[];
};
/** The states a person can move an incident to (`merged` is reached only by merging). */
export const states: string[] = allStates.filter((s) => s !== "merged");

export type CreatedToken = { id: number; name: string; prefix: string; token: string };

/** A failure to report as `firebreak: <message>`, exit code 1. */
export class CliError extends Error {}
/** The command line itself is wrong: print the command's usage, exit code 2. */
export class UsageError extends Error {}

export type Query = Record<string, string | number | undefined>;
export type Api = {
  url: string;
  request<T>(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    body?: unknown,
    query?: Query,
  ): Promise<T>;
};

export const defaultUrl = "http://localhost:8080";
const timeoutMs = 30_000;
/** A POST is sent at most this many times (with the same key), waiting Retry-After (≤ 5 s) between. */
const postAttempts = 3;
/** Failures that mean the request never reached the server, whatever is retried. */
const unreached = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** The draft's form of the header's value: a Structured Field String. */
export const idempotencyKeyHeader = (key: string): string => `"${key}"`;

/** Whether an answer says "try again later with the same key": 503, or the first attempt still running. */
function worthRetrying(res: Response, body: unknown): boolean {
  if (res.status === 503) return true;
  const code = typeof body === "object" && body !== null ? (body as { code?: unknown }).code : undefined;
  return res.status === 409 && code === "idempotency-key-in-flight";
}

function retryDelayMs(res: Response | undefined): number {
  const seconds = Number(res?.headers.get("retry-after") ?? 1);
  return Math.min(Number.isFinite(seconds) && seconds >= 0 ? seconds : 1, 5) * 1000;
}

const missingToken = [
  "FIREBREAK_TOKEN is not set; the API needs a token.",
  "  The first start of `firebreak serve` prints the admin's token; anyone holding a token can make",
  "  another with `firebreak token create NAME`. Then: export FIREBREAK_TOKEN=<token>",
].join("\n");

/** Why fetch failed, in a word or two (ECONNREFUSED, ENOTFOUND, a timeout...). */
function reasonOf(err: unknown): string {
  if (err instanceof Error && err.name === "TimeoutError") return `no answer within ${timeoutMs / 1000} s`;
  const cause = err instanceof Error ? err.cause : undefined;
  const first = cause instanceof AggregateError ? cause.errors[0] : undefined;
  for (const e of [cause, first, err]) {
    const code = (e as { code?: unknown } | undefined)?.code;
    if (typeof code === "string") return code;
  }
  return cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
}

function messageOf(status: number, body: unknown, text: string): string {
  const problem =
    typeof body === "object" && body !== null ? (body as { detail?: unknown; code?: unknown }) : {};
  if (typeof problem.detail === "string" && problem.detail) {
    return problem.code === "unauthenticated" ? `${problem.detail} (check FIREBREAK_TOKEN)` : problem.detail;
  }
  const snippet = text.trim().slice(0, 200);
  return `the server answered HTTP ${status}${snippet ? `: ${snippet}` : ""}`;
}

/** An API client configured from FIREBREAK_URL and FIREBREAK_TOKEN. */
export function connect(env: NodeJS.ProcessEnv = process.env): Api {
  const url = (env.FIREBREAK_URL || defaultUrl).replace(/\/+$/, "");
  const token = env.FIREBREAK_TOKEN;
  return {
    url,
    async request<T>(method: string, path: string, body?: unknown, query: Query = {}): Promise<T> {
      if (!token) throw new CliError(missingToken);
      let target: URL;
      try {
        target = new URL(`${url}/api/v1${path}`);
      } catch {
        throw new CliError(`FIREBREAK_URL is not a valid URL: ${JSON.stringify(url)}`);
      }
      for (const [k, v] of Object.entries(query)) if (v !== undefined) target.searchParams.set(k, String(v));
      const key = method === "POST" ? randomUUID() : undefined;
      const send = () =>
        fetch(target, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: "application/json",
            ...(body === undefined ? {} : { "content-type": "application/json" }),
            ...(key ? { "idempotency-key": idempotencyKeyHeader(key) } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      let res: Response | undefined;
      let text = "";
      let parsed: unknown;
      for (let attempt = 1; ; attempt++) {
        const last = !key || attempt >= postAttempts;
        try {
          res = await send();
        } catch (err) {
          const reason = reasonOf(err);
          if (last || unreached.has(reason)) {
            throw new CliError(
              `cannot reach Firebreak at ${url} (${reason}); is it running? set FIREBREAK_URL`,
            );
          }
          await new Promise((r) => setTimeout(r, retryDelayMs(undefined)));
          continue;
        }
        text = await res.text();
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        if (last || !worthRetrying(res, parsed)) break;
        await new Promise((r) => setTimeout(r, retryDelayMs(res)));
      }
      if (!res.ok) throw new CliError(messageOf(res.status, parsed, text));
      if (parsed === undefined && text) {
        throw new CliError(
          `expected JSON from ${url}, got: ${text.trim().slice(0, 200)} (is FIREBREAK_URL right?)`,
        );
      }
      return parsed as T;
    },
  };
}
