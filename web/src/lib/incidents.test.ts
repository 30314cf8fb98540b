import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Incident } from "../api/types.ts";
import { allStates, groupByState, isOpen, severityTone, transitionLabel } from "./incidents.ts";

const severities = ["S1", "S2", "S3", "S4"];
const incident = (id: number, state: Incident["state"], severity: string) =>
  ({ id, state, severity }) as Incident;

describe("grouping the incidents list", () => {
  it("puts every incident in exactly one group, open states first, most severe then newest first", () => {
    const arb = fc.array(
      fc.record({
        id: fc.integer({ min: 1, max: 10_000 }),
        state: fc.constantFrom(...allStates),
        severity: fc.constantFrom(...severities, "X9"),
      }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(arb, (rows) => {
        const list = rows.map((r) => incident(r.id, r.state, r.severity));
        const groups = groupByState(list, severities);
        expect(groups.flatMap((g) => g.incidents)).toHaveLength(list.length);
        const openFlags = groups.map((g) => isOpen(g.state));
        expect(openFlags).toEqual([...openFlags].sort((a, b) => Number(b) - Number(a)));
        for (const g of groups) {
          expect(g.incidents.every((i) => i.state === g.state)).toBe(true);
          for (const [a, b] of g.incidents.slice(1).map((x, k) => [g.incidents[k]!, x] as const)) {
            const ra = severities.indexOf(a.severity) < 0 ? 9 : severities.indexOf(a.severity);
            const rb = severities.indexOf(b.severity) < 0 ? 9 : severities.indexOf(b.severity);
            expect(ra < rb || (ra === rb && a.id >= b.id)).toBe(true);
          }
        }
      }),
    );
  });

  it("shows triage before investigating and ended incidents last", () => {
    const groups = groupByState(
      [incident(1, "closed", "S1"), incident(2, "investigating", "S3"), incident(3, "triage", "S2")],
      severities,
    );
    expect(groups.map((g) => g.state)).toEqual(["triage", "investigating", "closed"]);
  });
});

describe("words and colours", () => {
  it("colours a severity by its rank, so a policy's own ids still read right", () => {
    expect(
      ["P1", "P2", "P3", "P4", "P5"].map((id) => severityTone(id, ["P1", "P2", "P3", "P4", "P5"])),
    ).toEqual(["critical", "high", "medium", "low", "low"]);
  });

  it("names the workflow's buttons by what they do", () => {
    expect(transitionLabel("triage", "investigating")).toBe("Accept");
    expect(transitionLabel("triage", "declined")).toBe("Decline");
    expect(transitionLabel("closed", "investigating")).toBe("Reopen");
    expect(transitionLabel("fixing", "investigating")).toBe("Back to investigating");
    expect(transitionLabel("investigating", "fixing")).toBe("Move to fixing");
    expect(transitionLabel("monitoring", "fixing")).toBe("Back to fixing");
    expect(transitionLabel("fixing", "resolved")).toBe("Resolve");
  });
});
