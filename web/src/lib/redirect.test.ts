import { describe, expect, it } from "vitest";
import { safeRedirect } from "./redirect.ts";

describe("where to go after signing in", () => {
  it("follows paths on this site, with their search", () => {
    expect(safeRedirect("/incidents/42")).toBe("/incidents/42");
    expect(safeRedirect("/incidents?state=open&mine=true")).toBe("/incidents?state=open&mine=true");
  });

  it("never leaves the site, nor loops back to sign-in", () => {
    for (const bad of [
      "https://evil.test/",
      "//evil.test/x",
      "/\\evil.test",
      "javascript:alert(1)",
      "incidents",
      42,
    ]) {
      expect(safeRedirect(bad), String(bad)).toBeUndefined();
    }
    expect(safeRedirect("/sign-in?redirect=/x")).toBeUndefined();
  });
});
