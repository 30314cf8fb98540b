import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ComponentStatus } from "../statuspage/types.ts";
import {
  alertProposal,
  componentLevel,
  instants,
  type Judgement,
  judge,
  nextDue,
  nextStep,
  type Sample,
  type Window,
} from "./model.ts";

const MIN = 60_000;
const w: Window = { at: 10 * MIN, sustainMs: 5 * MIN, stepMs: 30_000 };
/** A sample at every step of the window, valued by `f`. */
const full = (f: (t: number, i: number) => number): Sample[] => instants(w).map((t, i) => [t, f(t, i)]);

describe("judge (STAT-4: sustained over the window)", () => {
  it("a window of 5 minutes at 30 s steps has 11 instants, ending at the evaluation instant", () => {
    const ts = instants(w);
    expect(ts).toHaveLength(11);
    expect(ts[0]).toBe(5 * MIN);
    expect(ts.at(-1)).toBe(10 * MIN);
  });

  it("STAT-4: error ratio above the objective at every instant of 5 minutes is breached; apdex below it too", () => {
    expect(
      judge(
        "error_ratio",
        0.01,
        full(() => 0.02),
        w,
      ),
    ).toEqual({ state: "breached", value: 0.02 });
    expect(
      judge(
        "outage",
        0.2,
        full(() => 0.5),
        w,
      ).state,
    ).toBe("breached");
    expect(
      judge(
        "apdex",
        0.95,
        full(() => 0.9),
        w,
      ),
    ).toEqual({ state: "breached", value: 0.9 });
  });

  it("STAT-4: one good instant, or a missing one, inside the window means it was not sustained", () => {
    expect(
      judge(
        "error_ratio",
        0.01,
        full((_, i) => (i === 4 ? 0.001 : 0.5)),
        w,
      ).state,
    ).toBe("met");
    const gap = full(() => 0.5).filter((_, i) => i !== 3);
    expect(judge("error_ratio", 0.01, gap, w).state).toBe("met");
    // A series that started 4 minutes ago has not been bad for 5.
    expect(judge("error_ratio", 0.01, full(() => 0.5).slice(2), w).state).toBe("met");
    // No traffic (0/0) is not bad.
    expect(
      judge(
        "error_ratio",
        0.01,
        full((_, i) => (i === 0 ? Number.NaN : 0.5)),
        w,
      ).state,
    ).toBe("met");
  });

  it("exactly at the line is not a breach", () => {
    expect(
      judge(
        "error_ratio",
        0.05,
        full(() => 0.05),
        w,
      ).state,
    ).toBe("met");
    expect(
      judge(
        "apdex",
        0.9,
        full(() => 0.9),
        w,
      ).state,
    ).toBe("met");
  });

  it("no samples at all is unknown (never a recovery nor a breach)", () => {
    const j = judge("apdex", 0.9, [], w);
    expect(j.state).toBe("unknown");
    expect(judge("apdex", 0.9, [[w.at + 1000, 0.1]], w).state).toBe("unknown");
  });

  it("property: breached exactly when every instant has a bad sample", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }), {
          minLength: 11,
          maxLength: 11,
        }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, threshold) => {
          const samples: Sample[] = instants(w).flatMap((t, i) =>
            values[i] === undefined ? [] : [[t, values[i] as number] as const],
          );
          const expected = values.every((v) => v !== undefined && v > threshold);
          const j = judge("error_ratio", threshold, samples, w);
          if (samples.length === 0) return j.state === "unknown";
          return (j.state === "breached") === expected;
        },
      ),
    );
  });
});

describe("componentLevel", () => {
  const j = (state: Judgement["state"]): Judgement =>
    state === "unknown" ? { state, value: null, reason: "x" } : { state, value: 1 };
  it("the outage line wins; apdex or error ratio make it degraded; all unknown is unknown", () => {
    expect(
      componentLevel([
        { kind: "apdex", judgement: j("breached") },
        { kind: "outage", judgement: j("breached") },
      ]),
    ).toBe("outage");
    expect(componentLevel([{ kind: "apdex", judgement: j("breached") }])).toBe("degraded");
    expect(componentLevel([{ kind: "error_ratio", judgement: j("breached") }])).toBe("degraded");
    expect(
      componentLevel([
        { kind: "error_ratio", judgement: j("met") },
        { kind: "apdex", judgement: j("unknown") },
      ]),
    ).toBe("ok");
    expect(componentLevel([{ kind: "apdex", judgement: j("unknown") }])).toBe("unknown");
  });
});

describe("nextStep (idempotent per breach)", () => {
  it("opens once, worsens once per worse status, recovers once; unknown does nothing", () => {
    expect(nextStep(null, "degraded_performance")).toEqual({ kind: "open", status: "degraded_performance" });
    expect(nextStep("degraded_performance", "degraded_performance")).toEqual({ kind: "none" });
    expect(nextStep("degraded_performance", "major_outage")).toEqual({
      kind: "worsen",
      status: "major_outage",
    });
    expect(nextStep("major_outage", "degraded_performance")).toEqual({ kind: "none" });
    expect(nextStep("major_outage", "ok")).toEqual({ kind: "recover" });
    expect(nextStep(null, "ok")).toEqual({ kind: "none" });
    expect(nextStep("major_outage", "unknown")).toEqual({ kind: "none" });
  });

  it("property: applying the step and judging the same again asks for nothing", () => {
    const proposals = fc.constantFrom(
      "ok" as const,
      "unknown" as const,
      "degraded_performance" as const,
      "partial_outage" as const,
      "major_outage" as const,
    );
    fc.assert(
      fc.property(fc.array(proposals, { maxLength: 30 }), (seq) => {
        let open: ComponentStatus | null = null;
        for (const p of seq) {
          const s = nextStep(open, p);
          if (s.kind === "open" || s.kind === "worsen") open = s.status;
          if (s.kind === "recover") open = null;
          if (nextStep(open, p).kind !== "none") return false;
        }
        return true;
      }),
    );
  });
});

describe("alertProposal", () => {
  it("the worst status among mapped services with open alerts; none open: null", () => {
    expect(
      alertProposal([
        { status: "degraded_performance", openAlerts: 2 },
        { status: "major_outage", openAlerts: 0 },
        { status: "partial_outage", openAlerts: 1 },
      ]),
    ).toBe("partial_outage");
    expect(alertProposal([{ status: "major_outage", openAlerts: 0 }])).toBeNull();
  });
});

describe("nextDue", () => {
  it("one interval on; a late cycle skips to the next slot after now on the same grid", () => {
    expect(nextDue(0, 5_000, 30_000)).toBe(30_000);
    expect(nextDue(0, 30_000, 30_000)).toBe(60_000);
    expect(nextDue(0, 95_000, 30_000)).toBe(120_000);
  });
  it("property: always after now, on the grid, at most one interval ahead", () => {
    fc.assert(
      fc.property(fc.nat(1e9), fc.nat(1e7), fc.integer({ min: 1, max: 600_000 }), (due, late, interval) => {
        const n = nextDue(due, due + late, interval);
        return n > due + late && (n - due) % interval === 0 && n - (due + late) <= interval;
      }),
    );
  });
});
