import { describe, expect, it } from "vitest";
import { relative } from "./time.ts";

const now = Date.parse("2026-03-02T10:00:00Z");

describe("times as responders read them", () => {
  it("says how long ago or until, in the largest whole unit", () => {
    expect(relative("2026-03-02T09:59:40Z", now, "en")).toBe("just now");
    expect(relative("2026-03-02T09:55:00Z", now, "en")).toBe("5 minutes ago");
    expect(relative("2026-03-02T12:30:00Z", now, "en")).toBe("in 2 hours");
    expect(relative("2026-02-28T10:00:00Z", now, "en")).toBe("2 days ago");
  });
});
