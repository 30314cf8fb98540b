/**
 * Proves test/support/alertmanager.ts against a real Alertmanager: a plain node:http receiver
 * (not Firebreak) records what Alertmanager's webhook and PagerDuty integrations send.
 */
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  type RecordedRequest,
  type RunningAlertmanager,
  requireAlertmanagerBinary,
  startAlertmanager,
  startRecordingReceiver,
  waitFor,
} from "./support/alertmanager.ts";

const HOOK = "/api/v1/integrations/alertmanager/test-key";
const ENQUEUE = "/v2/enqueue";
const ROUTING_KEY = "R0UT1NGKEY0000000000000000000001";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** A recording receiver and an Alertmanager sending both integrations to it. */
async function setup(respond?: Parameters<typeof startRecordingReceiver>[0]) {
  requireAlertmanagerBinary();
  const receiver = await startRecordingReceiver(respond);
  cleanups.push(receiver.close);
  const am: RunningAlertmanager = await startAlertmanager({
    webhookUrl: `${receiver.url}${HOOK}`,
    pagerdutyUrl: `${receiver.url}${ENQUEUE}`,
    routingKey: ROUTING_KEY,
  });
  cleanups.push(am.stop);
  const wait = <T>(what: string, predicate: () => T | undefined | false, timeoutMs = 10_000) =>
    waitFor(predicate, {
      timeoutMs,
      message: () =>
        `${what}\nreceived: ${JSON.stringify(
          receiver.requests.map((r) => [r.path, r.status, r.body]),
          null,
          1,
        )}` + `\nalertmanager output:\n${am.output()}`,
    });
  return { receiver, am, wait };
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const find = (rs: RecordedRequest[], pred: (body: RecordedRequest["body"]) => boolean) =>
  rs.find((r) => r.status < 300 && pred(r.body));

describe("alertmanager harness (real Alertmanager)", () => {
  it("delivers firing and resolved notifications to a webhook and to PagerDuty Events v2", async () => {
    const { receiver, am, wait } = await setup();
    const alert = {
      labels: { alertname: "HighLatency", service: "api", severity: "critical" },
      annotations: { summary: "p99 latency above 2s" },
      generatorURL: "http://prometheus.test/graph?g0.expr=latency",
    };
    await am.postAlerts([alert]);

    const hook = await wait("webhook firing", () => find(receiver.to(HOOK), (b) => b.status === "firing"));
    expect(hook.method).toBe("POST");
    expect(hook.headers["content-type"]).toBe("application/json");
    expect(hook.headers["user-agent"]).toMatch(/^Alertmanager\//);
    expect(hook.body).toMatchObject({
      version: "4",
      status: "firing",
      receiver: "firebreak",
      groupLabels: { alertname: "HighLatency", service: "api" },
      commonLabels: alert.labels,
      externalURL: am.url,
    });
    expect(hook.body.groupKey).toBe('{}:{alertname="HighLatency", service="api"}');
    expect(hook.body.alerts).toHaveLength(1);
    expect(hook.body.alerts[0]).toMatchObject({
      status: "firing",
      labels: alert.labels,
      annotations: alert.annotations,
      generatorURL: alert.generatorURL,
      endsAt: "0001-01-01T00:00:00Z",
    });
    expect(hook.body.alerts[0].fingerprint).toMatch(/^[0-9a-f]{16}$/);

    const trigger = await wait("pagerduty trigger", () =>
      find(receiver.to(ENQUEUE), (b) => b.event_action === "trigger"),
    );
    expect(trigger.headers["content-type"]).toBe("application/json");
    expect(trigger.body).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: "trigger",
      client: "Alertmanager",
      payload: { source: "Alertmanager", severity: "error" },
    });
    expect(trigger.body.payload.summary).toBe("[FIRING:1] HighLatency api (critical)");
    expect(trigger.body.dedup_key).toBe(sha256(hook.body.groupKey));

    await am.resolveAlerts([alert]);
    const resolved = await wait("webhook resolved", () =>
      find(receiver.to(HOOK), (b) => b.status === "resolved"),
    );
    expect(resolved.body.groupKey).toBe(hook.body.groupKey);
    expect(resolved.body.alerts[0]).toMatchObject({
      status: "resolved",
      fingerprint: hook.body.alerts[0].fingerprint,
    });
    expect(resolved.body.alerts[0].endsAt).not.toBe("0001-01-01T00:00:00Z");
    const resolve = await wait("pagerduty resolve", () =>
      find(receiver.to(ENQUEUE), (b) => b.event_action === "resolve"),
    );
    expect(resolve.body.dedup_key).toBe(trigger.body.dedup_key);
    expect(resolve.body.payload.summary).toBe("[RESOLVED] HighLatency api (critical)");
  });

  it("retries a receiver that answers 5xx until it succeeds", async () => {
    const failures = new Map([
      [HOOK, 2],
      [ENQUEUE, 2],
    ]);
    const { receiver, am, wait } = await setup((req) => {
      const left = failures.get(req.path) ?? 0;
      failures.set(req.path, left - 1);
      if (left > 0) return req.path === HOOK ? 500 : 503;
      return req.path === ENQUEUE ? 202 : 200;
    });
    await am.postAlerts([{ labels: { alertname: "DiskFull", service: "db" } }]);

    const okHook = await wait("webhook delivered after 5xx", () => find(receiver.to(HOOK), () => true));
    const okEnqueue = await wait("pagerduty delivered after 5xx", () =>
      find(receiver.to(ENQUEUE), () => true),
    );
    for (const [p, ok] of [
      [HOOK, okHook],
      [ENQUEUE, okEnqueue],
    ] as const) {
      const attempts = receiver.to(p);
      expect(attempts.map((r) => r.status).slice(0, 3)).toEqual(
        p === HOOK ? [500, 500, 200] : [503, 503, 202],
      );
      // The retries carry the same notification (same group, same dedup key).
      expect(new Set(attempts.map((r) => r.raw)).size).toBe(1);
      expect(ok.at - attempts[0]!.at).toBeGreaterThan(0);
    }
    expect(okEnqueue.body.dedup_key).toBe(sha256(okHook.body.groupKey));
  });

  it("re-sends after a 429 (PagerDuty retries at once; the webhook at the next group_interval)", async () => {
    const failures = new Map([
      [HOOK, 1],
      [ENQUEUE, 1],
    ]);
    const { receiver, am, wait } = await setup((req) => {
      const left = failures.get(req.path) ?? 0;
      failures.set(req.path, left - 1);
      if (left > 0) return 429;
      return req.path === ENQUEUE ? 202 : 200;
    });
    await am.postAlerts([{ labels: { alertname: "Throttled", service: "edge" } }]);

    await wait("webhook delivered after 429", () => find(receiver.to(HOOK), () => true));
    await wait("pagerduty delivered after 429", () => find(receiver.to(ENQUEUE), () => true));
    expect(receiver.to(HOOK).map((r) => r.status)).toEqual([429, 200]);
    expect(receiver.to(ENQUEUE).map((r) => r.status)).toEqual([429, 202]);
  });
});
