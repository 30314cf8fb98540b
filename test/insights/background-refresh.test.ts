/**
 * The figures rows commands mark stale are recomputed in the background (decision 0013), without
 * anyone reading insights: the app's refresh runs on a short interval here and the test waits for
 * its outcome.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-03T09:00:00Z", insightsRefreshMs: 20 });
});
afterAll(() => t?.close());

describe("the background refresh", () => {
  it("writes a declared incident's figures row and empties the queue, with no insights read", async () => {
    const r = await t.admin.request("POST", "/api/v1/incidents", {
      title: "disk full",
      type: "GitLab.com",
      severity: "S2",
      status: "active",
    });
    expect(r.status).toBe(201);
    const id = r.body.id as number;
    await vi.waitFor(
      async () => {
        const row = await sql<{ severity: string; stale: number }>`SELECT f.severity,
            (SELECT count(*)::int FROM insights_stale) AS stale
          FROM insights_incidents f WHERE f.incident_id = ${id}`.execute(t.database.db);
        expect(row.rows).toEqual([{ severity: "S2", stale: 0 }]);
      },
      { timeout: 10_000, interval: 20 },
    );
  });
});
