import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bySoonest, countdown, skewOf } from "./clocks.ts";

const now = Date.parse("2026-11-18T12:00:00Z");

describe("an incident's clocks as a countdown", () => {
  it("counts minutes and seconds, hours when there are any, and says overdue after", () => {
    expect(countdown("2026-11-18T12:30:00Z", now)).toEqual({ text: "in 30:00", overdue: false });
    expect(countdown("2026-11-18T12:04:05Z", now)).toEqual({ text: "in 4:05", overdue: false });
    expect(countdown("2026-11-18T13:02:03Z", now)).toEqual({ text: "in 1:02:03", overdue: false });
    expect(countdown("2026-11-18T12:00:00Z", now)).toEqual({ text: "in 0:00", overdue: false });
    expect(countdown("2026-11-18T11:59:18Z", now)).toEqual({ text: "overdue by 0:42", overdue: true });
  });

  it("counts from the server's clock, not the browser's", () => {
    const skew = skewOf("2026-11-18T12:00:00Z", Date.parse("2026-12-06T09:00:00Z"));
    expect(countdown("2026-11-18T12:10:00Z", Date.parse("2026-12-06T09:00:00Z") + skew).text).toBe(
      "in 10:00",
    );
  });

  it("ticks down by one second per second, for any due time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 * 3600 }), (seconds) => {
        const due = new Date(now + seconds * 1000).toISOString();
        const a = countdown(due, now);
        const b = countdown(due, now + 1000);
        const secs = (t: string) =>
          t
            .replace(/^(in |overdue by )/, "")
            .split(":")
            .reduce((acc, p) => acc * 60 + Number(p), 0);
        expect(secs(a.text) - secs(b.text)).toBe(1);
        expect(a.overdue).toBe(false);
      }),
    );
  });

  it("lists the soonest first", () => {
    const c = (ruleId: string, dueAt: string, kind = "clock") => ({
      ruleId,
      rule: null,
      kind,
      dueAt,
      fires: "",
      why: "",
    });
    expect(
      bySoonest([
        c("b", "2026-11-18T13:00:00Z"),
        c("a", "2026-11-18T12:30:00Z"),
        c("d", "2026-11-18T13:00:00Z", "deadline"),
      ]).map((x) => x.ruleId),
    ).toEqual(["a", "b", "d"]);
  });
});
