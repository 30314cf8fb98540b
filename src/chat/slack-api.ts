/**
 * Slack's Web API through Slack's own client (`@slack/web-api`), configured for Firebreak:
 * - every request goes through the outbound guard's fetch (an internal SLACK_API_URL only when
 *   OUTBOUND_ALLOWED_HOSTS names it);
 * - the client's own retries are off: the durable job that called retries instead, so a Slack
 *   outage holds a job, not a worker, and a rate limit's Retry-After becomes the job's next run;
 * - failures become one error type, `SlackCallError`, saying whether trying again can help.
 */
import {
  LogLevel,
  type Logger as SlackLogger,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
} from "@slack/web-api";
import type { Logger } from "../platform/logger.ts";
import type { Outbound } from "../platform/outbound.ts";

export type SlackSettings = { botToken: string; apiUrl: string };

/** Slack's answer to a method: `ok` was true; the rest is the method's documented fields. */
export type SlackAnswer = Record<string, unknown> & { ok: true };

/** Slack errors trying again cannot fix (a missing scope, a bad token, an archived channel). */
const permanentErrors = new Set([
  "not_authed",
  "invalid_auth",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "no_permission",
  "missing_scope",
  "not_allowed_token_type",
  "is_archived",
  "invalid_name",
  "invalid_name_specials",
  "invalid_name_punctuation",
  "invalid_name_maxlength",
  "invalid_name_required",
  "invalid_blocks",
  "msg_too_long",
  "restricted_action",
  "user_not_found",
  "users_not_found",
]);

export class SlackCallError extends Error {
  override name = "SlackCallError";
  constructor(
    readonly method: string,
    /** Slack's error code (`channel_not_found`, `ratelimited`…) or a transport failure. */
    readonly error: string,
    /** Whether the same call may succeed later. */
    readonly retryable: boolean,
    /** Seconds Slack asked us to wait (HTTP 429 Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(`Slack ${method}: ${error}`);
  }
}

export type SlackApi = {
  /** Calls a Web API method; resolves Slack's answer or rejects with a SlackCallError. */
  call(method: string, args?: Record<string, unknown>): Promise<SlackAnswer>;
};

/** The client's messages go to Firebreak's log at debug level (its bodies are redacted by it). */
function slackLogger(log: Logger): SlackLogger {
  let level = LogLevel.WARN;
  const text = (msg: unknown[]) => msg.map(String).join(" ");
  return {
    debug: (...msg) => log.debug({ slack: true }, text(msg)),
    info: (...msg) => log.debug({ slack: true }, text(msg)),
    warn: (...msg) => log.debug({ slack: true }, text(msg)),
    error: (...msg) => log.warn({ slack: true }, text(msg)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

export function createSlackApi(settings: SlackSettings, outbound: Outbound, log: Logger): SlackApi {
  const client = new WebClient(settings.botToken, {
    slackApiUrl: settings.apiUrl,
    fetch: outbound.fetch(),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    // Method names only: an absolute URL could carry the token elsewhere.
    allowAbsoluteUrls: false,
    logger: slackLogger(log),
  });
  return {
    async call(method, args = {}) {
      try {
        return (await client.apiCall(method, args)) as SlackAnswer;
      } catch (err) {
        throw asCallError(method, err);
      }
    },
  };
}

function asCallError(method: string, err: unknown): SlackCallError {
  if (err instanceof WebAPIRateLimitedError)
    return new SlackCallError(method, "ratelimited", true, err.retryAfter);
  if (err instanceof WebAPIPlatformError) {
    const code = String(err.data.error);
    return new SlackCallError(method, code, !permanentErrors.has(code));
  }
  if (err instanceof WebAPIHTTPError)
    return new SlackCallError(
      method,
      `HTTP ${err.statusCode}`,
      err.statusCode >= 500 || err.statusCode === 408,
    );
  if (err instanceof WebAPIRequestError) return new SlackCallError(method, err.original.message, true);
  return new SlackCallError(method, err instanceof Error ? err.message : String(err), true);
}
