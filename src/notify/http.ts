/**
 * The one HTTP POST the webhook and chat channels (and status page subscriber webhooks) make,
 * through the guarded outbound client (src/platform/outbound.ts): only hosts on the public
 * internet or on OUTBOUND_ALLOWED_HOSTS, checked at connect time, no redirects, one deadline.
 * Every outcome becomes a DeliveryResult instead of throwing, and its reason holds the status
 * code or a short error code, never the receiver's text: `lastError` is shown to the person who
 * typed the URL, and must not carry what an internal service answered.
 */
import type { Outbound, Reach } from "../platform/outbound.ts";
import { classifyHttpStatus, type DeliveryResult, permanent, retryable } from "./model.ts";

export type PostOptions = {
  outbound: Outbound;
  url: string;
  body: string | Uint8Array;
  headers: Record<string, string>;
  timeoutMs: number;
  now: () => Date;
  /** Which addresses may be reached (src/platform/outbound.ts). Default `public`. */
  reach?: Reach;
};

export async function postJson(o: PostOptions): Promise<DeliveryResult> {
  const outcome = await o.outbound.post({
    url: o.url,
    body: o.body,
    headers: o.headers,
    timeoutMs: o.timeoutMs,
    ...(o.reach ? { reach: o.reach } : {}),
  });
  switch (outcome.kind) {
    case "answered":
      return classifyHttpStatus(outcome.status, outcome.retryAfter, o.now());
    case "refused":
      // The host will not move onto the public internet by itself: no retry.
      return permanent(`refused: ${outcome.reason}`);
    case "failed":
      return retryable(outcome.reason);
  }
}
