import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mentionsIn, roomCommandText } from "./room-model.ts";

describe("the incident room's text", () => {
  it("tells a command from a message", () => {
    expect(roomCommandText("/inc severity S1", "inc")).toBe("severity S1");
    expect(roomCommandText("  /inc  ", "inc")).toBe("");
    expect(roomCommandText("/incident severity S1", "inc")).toBeNull();
    expect(roomCommandText("we should /inc this", "inc")).toBeNull();
    expect(roomCommandText("/fire note hi", "fire")).toBe("note hi");
  });

  it("finds @mentions once each, not email addresses, without trailing punctuation", () => {
    expect(mentionsIn("@ana can you check? cc @bo.b, and @ana again")).toEqual(["ana", "bo.b"]);
    expect(mentionsIn("mail ops@example.com please")).toEqual([]);
    expect(mentionsIn("(@cy) and @dee.")).toEqual(["cy", "dee"]);
  });

  it("any mention found is a name that was typed after @", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        for (const name of mentionsIn(text)) {
          expect(text).toContain(`@${name}`);
          expect(name).toMatch(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/);
        }
      }),
    );
  });
});
