/** Proves test/support/prometheus.ts: a real Prometheus scrapes the test's target and computes its numbers. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/alertmanager.ts";
import {
  type RunningPrometheus,
  type ServiceTarget,
  serviceLevelQueries,
  startPrometheus,
  startServiceTarget,
} from "../support/prometheus.ts";

let target: ServiceTarget;
let prometheus: RunningPrometheus;
beforeAll(async () => {
  target = await startServiceTarget(["api"]);
  prometheus = await startPrometheus({ targets: [target.address] });
}, 30_000);
afterAll(async () => {
  await prometheus?.stop();
  await target?.close();
});

describe("prometheus harness (real Prometheus)", () => {
  it("computes the error ratio and apdex the target is told to produce", async () => {
    const q = serviceLevelQueries("api");
    await waitFor(async () => (await prometheus.value(q.errorRatio)) === 0, {
      timeoutMs: 15_000,
      message: () => prometheus.output(),
    });
    target.set("api", { errorRatio: 0.1, satisfied: 0.5, tolerating: 0.3 });
    // Once the rate window holds only the new traffic, Prometheus's numbers are the target's.
    const ratio = await waitFor(
      async () => {
        const v = await prometheus.value(q.errorRatio);
        return Math.abs(v - 0.1) < 1e-9 ? v : undefined;
      },
      { timeoutMs: 15_000, message: () => prometheus.output() },
    );
    expect(ratio).toBeCloseTo(0.1, 9);
    expect(await prometheus.value(q.apdex)).toBeCloseTo(0.65, 9);
    expect(target.scrapes()).toBeGreaterThan(3);
  }, 30_000);
});
