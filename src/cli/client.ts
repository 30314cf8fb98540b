/**
 * The CLI's side of the HTTP API: one `request` that adds the token, and turns every failure
 * (no token, server down, problem+json) into a message a person can act on.
 */
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
      let res: Response;
      try {
        res = await fetch(target, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: "application/json",
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new CliError(
          `cannot reach Firebreak at ${url} (${reasonOf(err)}); is it running? set FIREBREAK_URL`,
        );
      }
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
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
