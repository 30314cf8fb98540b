/**
 * The one HTTP POST the webhook and chat channels make: bounded in time, never following
 * redirects, reading at most a snippet of the answer, and mapping every outcome to a
 * DeliveryResult instead of throwing.
 */
import { classifyHttpStatus, type DeliveryResult, retryable } from "./model.ts";

export type PostOptions = {
  fetch: typeof fetch;
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  now: () => Date;
};

/** Enough of an error answer to explain it (`invalid_payload`, `no_service`), no more. */
const snippetBytes = 512;

export async function postJson(o: PostOptions): Promise<DeliveryResult> {
  // One deadline for connect, headers and the body snippet: a receiver that trickles bytes must
  // not hold a job longer than a silent one.
  const signal = AbortSignal.timeout(o.timeoutMs);
  try {
    const res = await o.fetch(o.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": "Firebreak", ...o.headers },
      body: o.body,
      redirect: "manual",
      signal,
    });
    // The status is the answer; a body cut short by the deadline must not turn a 2xx into a retry.
    const detail = await readSnippet(res).catch(() => "");
    return classifyHttpStatus(res.status, detail, res.headers.get("retry-after"), o.now());
  } catch (err) {
    if (signal.aborted) return retryable(`no answer within ${o.timeoutMs} ms`);
    return retryable(`network error: ${describe(err)}`);
  }
}

async function readSnippet(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < snippetBytes) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  // Release the connection without downloading whatever else the receiver wants to send.
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, snippetBytes).toString("utf8").trim();
}

/** fetch wraps socket errors as `TypeError: fetch failed`; the cause says what happened. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${code} (${cause.message})` : cause.message;
  }
  return err.message;
}
