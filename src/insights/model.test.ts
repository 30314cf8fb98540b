import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  alertDays,
  csvField,
  DEFAULT_WINDOW_DAYS,
  MAX_WINDOW_DAYS,
  share,
  toCsv,
  windowOf,
} from "./model.ts";

const now = new Date("2026-11-20T12:00:00Z");

describe("windowOf", () => {
  it("defaults to the 90 days up to now", () => {
    expect(windowOf(now, undefined, undefined)).toEqual({
      from: new Date(now.getTime() - DEFAULT_WINDOW_DAYS * 86_400_000),
      to: now,
    });
  });
  it("ends the default window at `to` when only `to` is given", () => {
    const to = new Date("2026-06-01T00:00:00Z");
    expect(windowOf(now, undefined, to)).toEqual({ from: new Date("2026-03-03T00:00:00Z"), to });
  });
  it("refuses an empty or reversed window and one longer than the maximum", () => {
    expect(windowOf(now, now, now)).toHaveProperty("problem");
    expect(windowOf(now, now, new Date(now.getTime() - 1))).toHaveProperty("problem");
    const long = new Date(now.getTime() - (MAX_WINDOW_DAYS + 1) * 86_400_000);
    expect(windowOf(now, long, now)).toHaveProperty("problem");
  });
});

describe("share", () => {
  it("is null when nothing was due", () => {
    expect(share(0, 0)).toBeNull();
    expect(share(1, 4)).toBe(0.25);
  });
});

/** Reads back one RFC 4180 line (the test's own small parser). */
function parseLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = "";
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          v += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else v += line[i++];
      }
      out.push(v);
      i++;
    } else {
      const end = line.indexOf(",", i);
      const stop = end === -1 ? line.length : end;
      out.push(line.slice(i, stop));
      i = stop + 1;
    }
  }
  return out;
}

describe("CSV", () => {
  it("quotes commas, quotes and line breaks, and defuses formulas in names", () => {
    expect(csvField('a "b", c')).toBe('"a ""b"", c"');
    expect(csvField("=SUM(A1)")).toBe("'=SUM(A1)");
    expect(csvField(-3)).toBe("-3");
    expect(csvField(null)).toBe("");
  });
  it("every text survives a round trip through a line (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string().filter((s) => !/^[=+\-@\t\r]/.test(s)),
          { minLength: 1, maxLength: 5 },
        ),
        (cells) => {
          const line = cells.map(csvField).join(",");
          if (cells.some((c) => /[\r\n]/.test(c))) return; // a quoted line break spans lines; the parser above reads one
          expect(parseLine(line)).toEqual(cells);
        },
      ),
    );
  });
  it("writes a header and one CRLF line per row", () => {
    expect(toCsv(["week", "incidents"], [{ week: "2026-11-02", incidents: 3 }])).toBe(
      "week,incidents\r\n2026-11-02,3\r\n",
    );
  });
});

describe("alertDays", () => {
  const DAY = 86_400_000;
  it("reads the whole UTC days from the kept counts and the partial ones from the alerts", () => {
    expect(alertDays(new Date("2026-11-01T06:00:00Z"), new Date("2026-11-04T12:00:00Z"))).toEqual({
      days: { from: new Date("2026-11-02T00:00:00Z"), to: new Date("2026-11-04T00:00:00Z") },
      edges: [
        { from: new Date("2026-11-01T06:00:00Z"), to: new Date("2026-11-02T00:00:00Z") },
        { from: new Date("2026-11-04T00:00:00Z"), to: new Date("2026-11-04T12:00:00Z") },
      ],
    });
    const midnight = { from: new Date("2026-11-01T00:00:00Z"), to: new Date("2026-12-01T00:00:00Z") };
    expect(alertDays(midnight.from, midnight.to)).toEqual({ days: midnight, edges: [] });
  });
  it("reads a window within one day, or across one midnight, from the alerts alone", () => {
    const w = { from: new Date("2026-11-01T06:00:00Z"), to: new Date("2026-11-02T05:00:00Z") };
    expect(alertDays(w.from, w.to)).toEqual({ days: null, edges: [w] });
  });
  it("covers every instant of the window exactly once, and no other", () => {
    const instant = fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 });
    fc.assert(
      fc.property(
        instant,
        fc.integer({ min: 1, max: 40 * DAY }),
        fc.integer({ min: -DAY, max: 41 * DAY }),
        (f, len, off) => {
          const from = new Date(f);
          const to = new Date(f + len);
          const t = f + off;
          const { days, edges } = alertDays(from, to);
          const parts = [...(days ? [days] : []), ...edges];
          const hits = parts.filter((p) => p.from.getTime() <= t && t < p.to.getTime()).length;
          expect(hits).toBe(t >= f && t < f + len ? 1 : 0);
          if (days) {
            expect(days.from.getTime() % DAY).toBe(0);
            expect(days.to.getTime() % DAY).toBe(0);
          }
        },
      ),
    );
  });
});
