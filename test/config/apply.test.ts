/**
 * Configuration as code against the real server: export, plan and apply (issue 19).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { sampleDocument } from "./helpers.ts";

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-03-02T10:00:00Z" });
});
afterAll(async () => {
  await t.close();
});

describe("apply", () => {
  it("creates what the document names, issues its keys once, and a second apply changes nothing", async () => {
    const doc = sampleDocument();
    const first = await t.admin.request("POST", "/api/v1/config/apply", { document: doc });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.changes).toContainEqual({ action: "create", kind: "service", name: "checkout" });
    expect(first.body.issuedKeys).toHaveLength(1);
    const again = await t.admin.request("POST", "/api/v1/config/apply", { document: doc });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ changes: [], issuedKeys: [] });
    const exported = await t.admin.get("/api/v1/config");
    expect(exported.status).toBe(200);
  });
});
