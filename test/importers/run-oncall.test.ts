/**
 * The import's on-call check (src/importers/run-oncall.ts): the window is the next 4 weeks from
 * the start of the hour; someone counts for an hour when any part of their shift falls in it; the
 * Firebreak schedules a source schedule became are compared together; a schedule missing in
 * Firebreak is reported, not passed.
 */
import { describe, expect, it } from "vitest";
import { emptyDocument } from "../../src/config/document.ts";
import { checkWindow, compareOnCall, documentShifts } from "../../src/importers/run-oncall.ts";
import type { SourceOnCall } from "../../src/importers/types.ts";

const at = (iso: string) => new Date(iso);
const window = checkWindow(at("2026-03-02T10:59:59Z"), 1);
const shift = (user: string, start: string, end: string) => ({ user, start: at(start), end: at(end) });
const source = (shifts: ReturnType<typeof shift>[], schedules = ["S"]): SourceOnCall => ({
  source: { id: "P1", name: "Primary" },
  schedules,
  shifts,
});

describe("the import's on-call check", () => {
  it("covers the weeks from the start of the current hour", () => {
    expect(checkWindow(at("2026-03-02T10:59:59Z"))).toEqual({
      from: at("2026-03-02T10:00:00Z"),
      until: at("2026-03-30T10:00:00Z"),
    });
    expect(compareOnCall([], new Map(), checkWindow(at("2026-03-02T10:00:00Z"))).hours).toBe(672);
  });

  it("counts a person for every hour any part of their shift falls in, email case aside", () => {
    const theirs = [shift("a@x.example", "2026-03-02T10:30:00Z", "2026-03-02T12:00:00Z")];
    const ours = [shift("A@x.example", "2026-03-02T10:00:00Z", "2026-03-02T11:01:00Z")];
    const check = compareOnCall([source(theirs)], new Map([["S", ours]]), window);
    // 10:00 both, 11:00 both (Firebreak's shift reaches into it), 12:00 neither: no hour differs.
    expect(check.mismatches).toEqual([]);
    const short = [shift("a@x.example", "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z")];
    expect(compareOnCall([source(theirs)], new Map([["S", short]]), window).mismatches).toEqual([
      { schedule: "Primary", hour: at("2026-03-02T11:00:00Z"), source: ["a@x.example"], firebreak: [] },
    ]);
  });

  it("compares the people of all the Firebreak schedules a source schedule became, together", () => {
    const theirs = [
      shift("a@x.example", "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"),
      shift("b@x.example", "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"),
    ];
    const firebreak = new Map([
      ["S1", [shift("a@x.example", "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z")]],
      ["S2", [shift("b@x.example", "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z")]],
    ]);
    expect(compareOnCall([source(theirs, ["S1", "S2"])], firebreak, window)).toEqual({
      hours: 168,
      schedules: 1,
      mismatches: [],
      missing: [],
    });
    expect(compareOnCall([source(theirs, ["S1", "S3"])], firebreak, window)).toMatchObject({
      missing: ["S3"],
      mismatches: [
        {
          hour: at("2026-03-02T10:00:00Z"),
          source: ["a@x.example", "b@x.example"],
          firebreak: ["a@x.example"],
        },
      ],
    });
  });

  it("computes a document's schedules as the server does: layers, restrictions, overrides", () => {
    const doc = emptyDocument();
    doc.schedules.push({
      name: "S",
      timeZone: "Europe/Berlin",
      layers: [
        {
          name: "days",
          timeZone: "Europe/Berlin",
          participants: ["a@x.example", "b@x.example"],
          shiftLength: { unit: "days", count: 1 },
          start: "2026-03-01T09:00",
          restrictions: [{ days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" }],
        },
      ],
      overrides: [{ user: "c@x.example", start: "2026-03-02T12:00:00Z", end: "2026-03-02T13:00:00Z" }],
    });
    // Monday 2 March: b's turn (a had Sunday), 09:00–17:00 Berlin = 08:00–16:00Z, c from 12 to 13.
    expect(documentShifts(doc, window).get("S")?.slice(0, 4)).toEqual([
      shift("b@x.example", "2026-03-02T10:00:00Z", "2026-03-02T12:00:00Z"),
      shift("c@x.example", "2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z"),
      shift("b@x.example", "2026-03-02T13:00:00Z", "2026-03-02T16:00:00Z"),
      shift("a@x.example", "2026-03-03T08:00:00Z", "2026-03-03T16:00:00Z"),
    ]);
  });
});
