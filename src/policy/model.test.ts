import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "./load.ts";
import { findSeverity, findType, isMoreSevere, type Policy, policySchema, severityRank } from "./model.ts";

const shipped = loadPolicy();
/** A fresh, mutable copy of the shipped default for each test. */
const policy = (): Policy => structuredClone(shipped);

function issuesOf(input: unknown) {
  const result = policySchema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((i) => ({ path: i.path, code: i.code, message: i.message }));
}

describe("policySchema", () => {
  it("accepts the shipped default", () => {
    expect(issuesOf(policy())).toEqual([]);
  });

  it("rejects unknown keys, so a typo is never silently ignored", () => {
    const p = { ...policy(), severties: [] };
    expect(issuesOf(p)).toEqual([expect.objectContaining({ code: "unrecognized_keys", path: [] })]);
    const q = policy();
    Object.assign(q.severities[0]!, { closeDelay: 30 });
    expect(issuesOf(q)).toEqual([
      expect.objectContaining({ code: "unrecognized_keys", path: ["severities", 0] }),
    ]);
  });

  it.each([
    ["closeDelayMinutes", -1],
    ["closeDelayMinutes", 1.5],
    ["updateCadenceMinutes", 0],
  ] as const)("rejects %s = %s", (key, value) => {
    const p = policy();
    p.severities[1]![key] = value;
    expect(issuesOf(p)).toEqual([expect.objectContaining({ path: ["severities", 1, key] })]);
  });

  it("needs at least one severity and one incident type", () => {
    const p = { ...policy(), severities: [], incidentTypes: [] };
    expect(issuesOf(p).map((i) => i.path)).toEqual([["incidentTypes"], ["severities"]]);
  });

  it("points at the recurrence severity that does not exist", () => {
    const p = policy();
    p.recurrence.severities = ["S2", "S9"];
    p.recurrence.upgradeTo = "S0";
    expect(issuesOf(p).map((i) => i.path)).toEqual([
      ["recurrence", "severities", 1],
      ["recurrence", "upgradeTo"],
    ]);
  });

  it("needs the severity suggested when unsure to exist", () => {
    const p = { ...policy(), defaultSeverityWhenUnsure: "S5" };
    expect(issuesOf(p)).toEqual([
      expect.objectContaining({
        path: ["defaultSeverityWhenUnsure"],
        message: expect.stringContaining('"S5"'),
      }),
    ]);
  });

  it("needs the incident manager role to be one of the roles", () => {
    const p = { ...policy(), incidentManagerRole: "Boss" };
    expect(issuesOf(p).map((i) => i.path)).toEqual([["incidentManagerRole"]]);
  });

  it("rejects duplicate severity ids, type names and role names at the second occurrence", () => {
    const p = policy();
    const s4 = p.severities.findIndex((s) => s.id === "S4");
    p.severities[s4]!.id = "S1";
    // These name S4, which this test removes.
    p.paging = undefined;
    p.duties = undefined;
    p.rules = p.rules?.filter((r) => !JSON.stringify(r).includes('"S4"'));
    p.incidentTypes.push({ name: "SIRT" });
    p.roles.push({ name: "IM", description: "again" });
    expect(issuesOf(p).map((i) => i.path)).toEqual([
      ["incidentTypes", p.incidentTypes.length - 1, "name"],
      ["severities", s4, "id"],
      ["roles", p.roles.length - 1, "name"],
    ]);
  });
});

describe("helpers", () => {
  it("find severities and types by id and name", () => {
    expect(findSeverity(shipped, "S3")?.name).toBe("Medium");
    expect(findSeverity(shipped, "S9")).toBeUndefined();
    expect(findType(shipped, "Gameday")?.name).toBe("Gameday");
    expect(findType(shipped, "gameday")).toBeUndefined();
  });

  it("rank S1 as the most severe and S4 as the least", () => {
    const ranks = ["S1", "S2", "S3", "S4"].map((id) => severityRank(shipped, id));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(ranks.at(-1)).toBe(shipped.severities.length - 1);
    expect(isMoreSevere(shipped, "S1", "S2")).toBe(true);
    expect(isMoreSevere(shipped, "S4", "S3")).toBe(false);
    expect(isMoreSevere(shipped, "S2", "S2")).toBe(false);
  });

  it("throw on a severity the policy does not define", () => {
    expect(() => severityRank(shipped, "S9")).toThrow(/S9/);
  });

  // Any ordering of any subset of severities: the order in the file is the only source of truth.
  const ordering = fc
    .shuffledSubarray(shipped.severities, { minLength: 1 })
    .map((severities): Policy => ({ ...shipped, severities }));

  it("rank by position in the file, for any ordering and subset", () => {
    fc.assert(
      fc.property(ordering, (p) => {
        p.severities.forEach((s, i) => {
          expect(severityRank(p, s.id)).toBe(i);
        });
      }),
    );
  });

  it("order severities strictly: exactly one of a > b, b > a, a = b", () => {
    fc.assert(
      fc.property(ordering, fc.nat(), fc.nat(), (p, i, j) => {
        const a = p.severities[i % p.severities.length]!.id;
        const b = p.severities[j % p.severities.length]!.id;
        const holds = [isMoreSevere(p, a, b), isMoreSevere(p, b, a), a === b].filter(Boolean);
        expect(holds).toHaveLength(1);
      }),
    );
  });

  it("order severities transitively", () => {
    fc.assert(
      fc.property(ordering, fc.nat(), fc.nat(), fc.nat(), (p, i, j, k) => {
        const [a, b, c] = [i, j, k].map((n) => p.severities[n % p.severities.length]!.id) as [
          string,
          string,
          string,
        ];
        if (isMoreSevere(p, a, b) && isMoreSevere(p, b, c)) expect(isMoreSevere(p, a, c)).toBe(true);
      }),
    );
  });
});
