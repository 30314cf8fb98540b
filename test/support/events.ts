/** PagerDuty Events API v2 events sent to a test app, as a monitoring tool would send them. */
import { expect } from "vitest";
import type { TestApp } from "./app.ts";

/**
 * Sends one event to `/v2/enqueue`, insists it was accepted (202), and runs the jobs it queued, so
 * its incident, page and figures are there when this returns.
 */
export async function sendEvent(
  t: TestApp,
  e: {
    key: string;
    action?: "trigger" | "acknowledge" | "resolve";
    dedup: string;
    summary?: string;
    source?: string;
  },
): Promise<void> {
  const r = await fetch(`${t.base}/v2/enqueue`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      routing_key: e.key,
      event_action: e.action ?? "trigger",
      dedup_key: e.dedup,
      payload: {
        summary: e.summary ?? `${e.dedup} on host-1`,
        source: e.source ?? "host-1",
        severity: "critical",
      },
    }),
  });
  expect(r.status, await r.text()).toBe(202);
  await t.runJobs();
}
