/**
 * The property of issue 19: a generated document applied to an empty server and exported gives
 * the same (normalised) document back, and export → apply → export is a fixed point that changes
 * nothing. Each run gets a fresh server (its own database), as "empty" says.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalise } from "../../src/config/model.ts";
import { startTestApp } from "../support/app.ts";
import { documentArb, GENERATED_NOW } from "./arbitrary.ts";

describe("export → apply → export", () => {
  it("a document applied to an empty server is exported unchanged, and re-applying the export changes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(documentArb, async (doc) => {
        const t = await startTestApp({ clockStart: GENERATED_NOW });
        try {
          const applied = await t.admin.request("POST", "/api/v1/config/apply", { document: doc });
          expect(applied.status, JSON.stringify(applied.body)).toBe(200);
          const exported = await t.admin.get("/api/v1/config");
          const { policy, ...rest } = exported.body;
          expect(rest).toEqual(normalise(JSON.parse(JSON.stringify(doc)), "default"));
          expect(policy).toBeDefined();

          const again = await t.admin.request("POST", "/api/v1/config/apply", { document: exported.body });
          expect(again.status, JSON.stringify(again.body)).toBe(200);
          expect(again.body).toEqual({ changes: [], issuedKeys: [] });
          expect((await t.admin.get("/api/v1/config")).body).toEqual(exported.body);
          const planned = await t.admin.request("POST", "/api/v1/config/plan", { document: exported.body });
          expect(planned.body).toMatchObject({ changes: [], drift: [] });
        } finally {
          await t.close();
        }
      }),
      // Each run starts a server on a database of its own: shrinking would take minutes, so a failure
      // is reported as generated.
      { numRuns: 15, endOnFailure: true },
    );
  }, 120_000);
});
