import { describe, expect, it } from "vitest";
import { fieldProblems, splitDetail } from "./fields.ts";

const fields = {
  userId: "person",
  "override.userId": "person",
  start: "start",
  "override.start": "start",
  end: "end",
  "override.end": "end",
} as const;

describe("a refused form's messages beside its fields", () => {
  it("splits a detail into field and message, keeping semicolons inside a message", () => {
    expect(splitDetail("override.end: expected an end after the start (2026-03-02T09:00:00.000Z)")).toEqual([
      ["override.end", "expected an end after the start (2026-03-02T09:00:00.000Z)"],
    ]);
    expect(splitDetail("start: bad; end: worse; see the docs")).toEqual([
      ["start", "bad"],
      ["end", "worse; see the docs"],
    ]);
    expect(splitDetail("layers[0].participants[1]: no active user 9")).toEqual([
      ["layers[0].participants[1]", "no active user 9"],
    ]);
    expect(splitDetail("not about a field")).toEqual([[null, "not about a field"]]);
  });

  it("maps the API's names to the form's and keeps the rest", () => {
    const err = {
      status: 400,
      detail:
        "override: outside every rotation's shifts; expected a window in which some layer has someone on call",
    };
    expect(fieldProblems(err, fields)).toEqual({
      byField: {},
      rest: [
        "override: outside every rotation's shifts; expected a window in which some layer has someone on call",
      ],
    });
    expect(
      fieldProblems(
        { status: 400, detail: "start: Invalid ISO datetime; override.userId: no active user 7" },
        fields,
      ),
    ).toEqual({ byField: { start: "Invalid ISO datetime", person: "no active user 7" }, rest: [] });
  });

  it("joins two messages about one field", () => {
    expect(fieldProblems({ status: 400, detail: "end: one; override.end: two" }, fields)?.byField).toEqual({
      end: "one; two",
    });
  });

  it("leaves refusals that are not about fields to be shown whole", () => {
    expect(fieldProblems({ status: 403, detail: "start: no" }, fields)).toBeNull();
    expect(fieldProblems(null, fields)).toBeNull();
  });
});
