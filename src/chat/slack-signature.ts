/**
 * Slack's request signatures (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{X-Slack-Request-Timestamp}:{raw body}">` under
 * the app's signing secret, and a timestamp at most 5 minutes from now (a captured request cannot
 * be replayed later). Slack's own verifier ships inside @slack/bolt, a whole web framework; this is
 * the same check in a few lines. Pure: the caller gives the time.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** How far a request's timestamp may be from now, either way. */
export const REPLAY_WINDOW_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function slackSignatureOf(secret: string, timestamp: string, rawBody: string | Buffer): string {
  const mac = createHmac("sha256", secret);
  mac.update(`v0:${timestamp}:`);
  mac.update(rawBody);
  return `v0=${mac.digest("hex")}`;
}

/** Whether a request carries Slack's signature for this body, made within the replay window of `now`. */
export function verifySlackSignature(input: {
  secret: string | undefined;
  timestamp: string | string[] | undefined;
  signature: string | string[] | undefined;
  rawBody: string | Buffer;
  now: Date;
}): SignatureCheck {
  if (!input.secret)
    return { ok: false, reason: "SLACK_SIGNING_SECRET is not set: requests from Slack cannot be verified" };
  const ts = typeof input.timestamp === "string" ? input.timestamp : undefined;
  const sig = typeof input.signature === "string" ? input.signature : undefined;
  if (!ts || !/^\d{1,12}$/.test(ts))
    return { ok: false, reason: "X-Slack-Request-Timestamp is missing or not a number of seconds" };
  if (!sig) return { ok: false, reason: "X-Slack-Signature is missing" };
  const age = Math.abs(input.now.getTime() / 1000 - Number(ts));
  if (age > REPLAY_WINDOW_SECONDS)
    return {
      ok: false,
      reason: "X-Slack-Request-Timestamp is more than 5 minutes from now (a replayed or delayed request)",
    };
  const expected = Buffer.from(slackSignatureOf(input.secret, ts, input.rawBody));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return {
      ok: false,
      reason:
        "X-Slack-Signature does not match the body (expected v0= and the HMAC-SHA256 under the signing secret)",
    };
  return { ok: true };
}
