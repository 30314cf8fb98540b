import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { openapiFile, renderOpenApi } from "../scripts/openapi.ts";
import { settings } from "../src/platform/config.ts";

describe("checked-in references match the code", () => {
  it("docs/api/openapi.json is the document the routes generate (run `npm run openapi`)", async () => {
    expect(readFileSync(openapiFile, "utf8")).toBe(await renderOpenApi());
  });

  it("docs/configuration.md documents every setting with its default", () => {
    const doc = readFileSync(new URL("../docs/configuration.md", import.meta.url), "utf8");
    for (const [name, s] of Object.entries(settings)) {
      const row = doc.split("\n").find((l) => l.startsWith(`| \`${name}\``));
      expect(row, `a table row for ${name}`).toBeDefined();
      expect(row).toContain(s.default === "" ? "(empty)" : `\`${s.default}\``);
    }
  });
});
