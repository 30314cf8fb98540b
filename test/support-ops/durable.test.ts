/**
 * PAGE-8's clocks are durable: a level armed on one replica is reached on another after the first
 * is gone, once; a level whose work fails (the database refusing it: a real fault, not a stubbed
 * function) is rolled back whole, says why, and is reached once the fault is gone.
 */
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { client, startTestApp } from "../support/app.ts";
import { type Json, startProcessApp } from "../support/process.ts";

async function supportIncident(p: Awaited<ReturnType<typeof startProcessApp>>, title: string) {
  const spec = await p.person("spec");
  await p.rotation("Support Operations Specialists", [spec]);
  expect(
    (await p.t.admin.request("POST", "/api/v1/systems", { name: "Zendesk", criticality: 1 })).status,
  ).toBe(201);
  const i = await p.declare(spec, { title, type: "Gameday" });
  const r = await spec.request("PUT", `/api/v1/incidents/${i.id}/systems`, { systems: ["Zendesk"] });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { i, spec };
}

describe("PAGE-8 clocks are durable", () => {
  it("PAGE-8: a level armed by one replica is reached after that replica is gone, on another, once", async () => {
    const first = await startProcessApp();
    const { i, spec } = await supportIncident(first, "survives a restart");
    const token = first.t.admin.token;
    await first.t.close();
    const second = await startTestApp({
      databaseUrl: first.t.url,
      bootstrap: false,
      clockStart: "2026-11-18T12:00:00Z",
      smtpUrl: first.smtp.url,
    });
    try {
      const admin = client(second.base, token);
      second.clock.advanceMinutes(20);
      await second.runJobs();
      await second.runJobs(); // nothing more: each level once
      const v = (await admin.get(`/api/v1/incidents/${i.id}/systems`)).body;
      expect(v.escalation.history.map((h: Json) => h.level)).toEqual([1, 2]);
      const pages = (await admin.get(`/api/v1/pages?incident=${i.id}`)).body.pages as Json[];
      expect(pages.filter((x) => x.role === "Support Operations Specialist")).toHaveLength(1);
      expect(
        first.smtp.to(spec.email).filter((m) => /Support escalation level 2/.test(m.subject)),
      ).toHaveLength(1);
    } finally {
      await second.close();
      await first.smtp.close();
    }
  });

  it("PAGE-8: a level whose work fails is rolled back, says why, and is reached once the fault is gone", async () => {
    const p = await startProcessApp();
    const db = p.t.database.db;
    try {
      const { i, spec } = await supportIncident(p, "faulty");
      // Level 1 without Slack sends notices: the database refuses every one for a while.
      await sql`ALTER TABLE notices ADD CONSTRAINT test_refuses_notices CHECK (false) NOT VALID`.execute(db);
      await p.t.advanceMinutes(10);
      const failing = (await p.t.admin.get(`/api/v1/incidents/${i.id}/systems`)).body.escalation;
      expect(failing.level).toBe(0);
      expect(failing.history).toEqual([]);
      expect(failing.lastError).toContain("test_refuses_notices");
      expect(failing.retryAt).toBe("2026-11-18T12:11:00.000Z");
      await sql`ALTER TABLE notices DROP CONSTRAINT test_refuses_notices`.execute(db);
      await p.t.advanceMinutes(1);
      const healed = (await p.t.admin.get(`/api/v1/incidents/${i.id}/systems`)).body.escalation;
      expect(healed).toMatchObject({ level: 1, lastError: null, retryAt: null });
      // The timetable holds: level 2 is 20 minutes after the start, not after the retry.
      expect(healed.nextLevelAt).toBe("2026-11-18T12:20:00.000Z");
      expect(p.mails(spec, /can you help with incident/)).toHaveLength(1);
    } finally {
      await p.close();
    }
  });
});
