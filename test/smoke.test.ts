import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./support/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

describe("smoke", () => {
  it("DEC-1: declares and reads an incident", async () => {
    const r = await t.admin.request("POST", "/api/v1/incidents", {
      title: "Elevated 500s on web",
      type: "GitLab.com",
      severity: "S2",
      status: "active",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.state).toBe("investigating");
    const g = await t.admin.get(`/api/v1/incidents/${r.body.id}`);
    expect(g.body.labels).toContain("Incident::Active");
  });
});
