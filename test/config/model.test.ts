/** The pure core of configuration as code: the stable form and per-object differences. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configDocument } from "../../src/config/document.ts";
import { diff, differingFields, normalise, objectsOf } from "../../src/config/model.ts";
import { documentArb } from "./arbitrary.ts";

const stable = (d: unknown) => normalise(configDocument.parse(JSON.parse(JSON.stringify(d))), "default");

describe("the stable form", () => {
  it("is a fixed point, and a document differs from itself in nothing", () => {
    fc.assert(
      fc.property(documentArb, (doc) => {
        const once = stable(doc);
        expect(normalise(once, "default")).toEqual(once);
        expect(diff(once, once, true)).toEqual({ changes: [], kept: [] });
      }),
    );
  });

  it("does not depend on the order objects are listed in", () => {
    fc.assert(
      fc.property(documentArb, (doc) => {
        const reversed = {
          ...doc,
          users: [...doc.users].reverse(),
          teams: [...doc.teams].reverse(),
          schedules: [...doc.schedules].reverse(),
          escalationPolicies: [...doc.escalationPolicies].reverse(),
          services: [...doc.services].reverse(),
          statusPages: [...doc.statusPages].reverse(),
        };
        expect(stable(reversed)).toEqual(stable(doc));
      }),
    );
  });

  it("leaves defaults out and names the default team by leaving it out", () => {
    const doc = stable({
      version: 1,
      escalationPolicies: [
        {
          name: "P",
          team: "default",
          description: "",
          levels: [{ timeoutMinutes: 5, targets: [{ user: "a" }] }],
          repeat: 0,
          ackTimeoutMinutes: 30,
          businessHours: { timeZone: "UTC", days: [5, 4, 3, 2, 1], start: "09:00", end: "17:00" },
        },
      ],
      services: [
        {
          name: "s",
          escalationPolicy: "P",
          groupingWindowMinutes: 60,
          flapChanges: 4,
          flapWindowMinutes: 30,
        },
      ],
    });
    expect(doc.escalationPolicies).toEqual([
      { name: "P", levels: [{ timeoutMinutes: 5, targets: [{ user: "a" }] }] },
    ]);
    expect(doc.services).toEqual([{ name: "s", escalationPolicy: "P" }]);
  });
});

describe("differences", () => {
  it("an absent overrides list leaves overrides alone; an empty one removes them", () => {
    const base = stable({
      version: 1,
      schedules: [
        {
          name: "S",
          timeZone: "UTC",
          layers: [
            {
              name: "L",
              timeZone: "UTC",
              participants: ["a"],
              shiftLength: { unit: "days", count: 1 },
              start: "2026-03-02T09:00",
            },
          ],
          overrides: [{ user: "a", start: "2026-04-01T00:00:00Z", end: "2026-04-02T00:00:00Z" }],
        },
      ],
    });
    const [have] = objectsOf(base);
    const absent = { ...have!, fields: { ...have!.fields, overrides: undefined } };
    const empty = { ...have!, fields: { ...have!.fields, overrides: [] } };
    expect(differingFields(absent, have!)).toEqual([]);
    expect(differingFields(empty, have!)).toEqual(["overrides"]);
  });

  it("prune deletes dependants first and never people; without prune they are kept", () => {
    const have = stable({
      version: 1,
      users: [{ username: "a", name: "A", role: "admin" }],
      teams: [{ slug: "t", name: "T" }],
      schedules: [
        {
          name: "S",
          timeZone: "UTC",
          layers: [
            {
              name: "L",
              timeZone: "UTC",
              participants: ["a"],
              shiftLength: { unit: "days", count: 1 },
              start: "2026-03-02T09:00",
            },
          ],
        },
      ],
      escalationPolicies: [{ name: "P", levels: [{ timeoutMinutes: 5, targets: [{ schedule: "S" }] }] }],
      services: [{ name: "s", escalationPolicy: "P", integrations: [{ name: "k" }] }],
      statusPages: [{ slug: "p", name: "P", components: [{ name: "c" }] }],
    });
    const empty = stable({ version: 1 });
    expect(diff(empty, have, true).changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      "delete component p/c",
      "delete statusPage p",
      "delete integration s/k",
      "delete service s",
      "delete escalationPolicy P",
      "delete schedule S",
      "delete team t",
    ]);
    expect(diff(empty, have, true).kept).toEqual([{ kind: "user", name: "a" }]);
    expect(diff(empty, have, false).changes).toEqual([]);
    expect(diff(empty, have, false).kept).toHaveLength(8);
  });
});
