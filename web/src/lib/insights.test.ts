import { describe, expect, it } from "vitest";
import { apiQuery, csvHref, duration, niceMax, percent, validateInsightsSearch } from "./insights.ts";

describe("Insights search", () => {
  it("keeps valid filters and drops what a bad or old link holds", () => {
    expect(
      validateInsightsSearch({ from: "2026-11-01", to: "nope", severity: "S2", service: "-4", by: "week" }),
    ).toEqual({ from: "2026-11-01", severity: "S2", by: "week" });
    expect(validateInsightsSearch({ by: "all", service: "7" })).toEqual({ service: 7 });
  });
  it("asks the API for whole UTC days, the last one included", () => {
    expect(apiQuery({ from: "2026-11-01", to: "2026-11-30" })).toMatchObject({
      from: "2026-11-01T00:00:00.000Z",
      to: "2026-12-01T00:00:00.000Z",
    });
  });
  it("links the CSV with the same filters", () => {
    expect(csvHref("/on-call-load", { severity: "S1", service: 3 })).toBe(
      "/api/v1/insights/on-call-load?severity=S1&service=3&format=csv",
    );
  });
});

describe("formatting", () => {
  it("writes durations as people read them", () => {
    expect(duration(null)).toBe("–");
    expect(duration(45)).toBe("45 s");
    expect(duration(720)).toBe("12 min");
    expect(duration(7200)).toBe("2 h");
    expect(duration(7500)).toBe("2 h 5 min");
    expect(duration(3 * 86_400 + 4 * 3600)).toBe("3 d 4 h");
    expect(percent(1 / 3)).toBe("33 %");
    expect(percent(null)).toBe("–");
  });
  it("rounds a chart's top to 1, 2 or 5 × 10ⁿ at or above the largest value", () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(3)).toBe(5);
    expect(niceMax(12)).toBe(20);
    expect(niceMax(50)).toBe(50);
    expect(niceMax(51)).toBe(100);
  });
});
