/**
 * Answering chat within its deadline (Slack gives a slash command 3 seconds): a command's reply is
 * the HTTP answer when it is ready within ACK_WITHIN_MS; otherwise the answer is an ephemeral
 * "working on it" and the reply follows to the request's `response_url` as a durable job (retried
 * while the chat is down; a response_url lives 30 minutes at Slack). Only the chat's own hosts may
 * be a response_url: hooks.slack.com (or the configured Slack API's host) and the Mattermost server.
 */
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import type { Outbound } from "../platform/outbound.ts";
import type { IdentityDb } from "./identities.ts";

/** How long a command may run before the request is answered and its reply posted afterwards. */
export const ACK_WITHIN_MS = 250;
const JOB = "chat.respond";

/** `done` with the value when `work` settles within `ms`; `pending` otherwise (it carries on). */
export async function within<T>(
  work: Promise<T>,
  ms: number,
): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
  });
  try {
    return await Promise.race([work.then((value) => ({ done: true as const, value })), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `url` is an https (or, for a configured host, http) URL on one of `hosts`. */
export function isResponseUrl(url: string, hosts: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return (u.protocol === "https:" || u.protocol === "http:") && hosts.includes(u.host.toLowerCase());
}

export function createResponder(deps: { db: IdentityDb; jobs: Jobs; outbound: Outbound; log: Logger }) {
  return {
    register() {
      deps.jobs.register(JOB, async (payload) => {
        const url = String(payload.url);
        const r = await deps.outbound.post({
          url,
          body: String(payload.body),
          headers: { "content-type": "application/json" },
          timeoutMs: 10_000,
        });
        if (r.kind === "answered" && r.status < 300) return;
        // A refused host or a 4xx (an expired or used-up response_url) will not change by retrying.
        if (r.kind === "refused" || (r.kind === "answered" && r.status < 500 && r.status !== 429)) {
          deps.log.warn(
            {
              status: r.kind === "answered" ? r.status : undefined,
              reason: r.kind === "refused" ? r.reason : undefined,
            },
            "a chat reply could not be posted to its response_url; it is dropped",
          );
          return;
        }
        throw new Error(
          `posting a chat reply failed: ${r.kind === "answered" ? `HTTP ${r.status}` : r.reason}; it is retried`,
        );
      });
    },

    /** Posts `body` (JSON) to the response_url as a durable job. */
    async later(url: string, body: Record<string, unknown>): Promise<void> {
      await deps.jobs.add(deps.db, JOB, { url, body: JSON.stringify(body) }, { maxAttempts: 8 });
    },
  };
}

export type Responder = ReturnType<typeof createResponder>;
