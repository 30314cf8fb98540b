import { describe, expect, it } from "vitest";
import { isFiltered, listQuery, validateIncidentsSearch } from "./search.ts";

describe("the incidents list's search params", () => {
  it("keeps valid filters, as TanStack Router hands them over (JSON-parsed)", () => {
    expect(
      validateIncidentsSearch({ state: "open", severity: "S1", type: "SIRT", mine: true, q: "db" }),
    ).toEqual({
      state: "open",
      severity: "S1",
      type: "SIRT",
      mine: true,
      q: "db",
    });
    expect(validateIncidentsSearch({ mine: "true", q: 502 })).toEqual({ mine: true, q: "502" });
    expect(validateIncidentsSearch({ service: "12" })).toEqual({ service: 12 });
    for (const bad of ["0", "-3", "1.5", "x", ""])
      expect(validateIncidentsSearch({ service: bad })).toEqual({});
    expect(listQuery({ service: 12 }, 7).service).toBe(12);
  });

  it("drops what a bad or old link holds instead of failing", () => {
    expect(
      validateIncidentsSearch({ state: "burning", mine: "yes", q: "  ", severity: {}, extra: 1 }),
    ).toEqual({});
    expect(validateIncidentsSearch({ q: "x".repeat(500) }).q).toHaveLength(200);
  });

  it("turns filters into the list API's query; mine is the signed-in user as owner", () => {
    expect(listQuery({ state: "open", mine: true }, 7)).toMatchObject({
      state: "triage,investigating,fixing,monitoring",
      owner: 7,
    });
    expect(listQuery({ state: "ended" }, 7).state).toBe("resolved,post-incident,closed,declined,merged");
    expect(listQuery({ state: "fixing", severity: "S2", q: "api" }, 7)).toMatchObject({
      state: "fixing",
      severity: "S2",
      q: "api",
      owner: undefined,
    });
    expect(listQuery({}, 7).state).toBeUndefined();
  });

  it("knows when the list is filtered", () => {
    expect(isFiltered({})).toBe(false);
    expect(isFiltered({ q: "x" })).toBe(true);
  });
});
