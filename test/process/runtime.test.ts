/**
 * The process as operators rely on it: a changed policy file applies without a restart (a bad one
 * changes nothing and says where it is wrong), clocks survive a restart of the replica that armed
 * them, a clock made stale by a change does nothing, and people can see every pending clock and
 * why each rule does (not) apply.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPolicyFile } from "../../src/policy/load.ts";
import { filePolicy } from "../../src/policy/source.ts";
import { client, startTestApp } from "../support/app.ts";
import { type Json, type Person, type ProcessApp, startProcessApp } from "../support/process.ts";

const shipped = readFileSync(defaultPolicyFile, "utf8");
/** The shipped policy with S2's update cadence changed. */
const withS2Cadence = (minutes: number) =>
  shipped.replace(/(- id: S2[\s\S]*?updateCadenceMinutes: )30/, `$1${minutes}`);

describe("a changed policy file", () => {
  let p: ProcessApp;
  let file: string;
  let source: ReturnType<typeof filePolicy>;
  let ian: Person;

  beforeAll(async () => {
    file = path.join(mkdtempSync(path.join(tmpdir(), "firebreak-policy-")), "policy.yaml");
    copyFileSync(defaultPolicyFile, file);
    source = filePolicy(file);
    p = await startProcessApp({ policy: source });
    ian = await p.person("ian");
    await p.rotation("IM", [ian]);
  });
  afterAll(() => p?.close());

  it("COMM-1: a new cadence applies without a restart: pending clocks move to it", async () => {
    const i = await p.declare(ian, { severity: "S2", title: "reloads", owner: "ian", visibility: "private" });
    const due = async () =>
      ((await p.clocks(i.id)).clocks as Json[]).find((c) => c.ruleId === "COMM-1")?.dueAt;
    expect(await due()).toBe("2026-11-18T12:30:00.000Z");
    writeFileSync(file, withS2Cadence(10));
    const r = await p.t.admin.request("POST", "/api/v1/policy/reload");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.changed).toBe(true);
    await p.t.runJobs(); // the reconcile job
    expect(await due()).toBe("2026-11-18T12:10:00.000Z");
    await p.t.advanceMinutes(10);
    expect(p.mails(ian, new RegExp(`Reminder: S2 incident #${i.id} `))).toHaveLength(1);
    expect(
      (await p.t.admin.get("/api/v1/policy")).body.severities.find((x: Json) => x.id === "S2")
        .updateCadenceMinutes,
    ).toBe(10);
  });

  it("a file with a mistake keeps the policy in force and says where the mistake is", async () => {
    const before = (await p.t.admin.get("/api/v1/policy/status")).body;
    writeFileSync(file, withS2Cadence(10).replace("updateCadenceMinutes: 10", "updateCadenceMinutes: soon"));
    const r = await p.t.admin.request("POST", "/api/v1/policy/reload");
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatch(/line \d+, column \d+: severities\[3\]\.updateCadenceMinutes/); // S2
    expect(r.body.detail).toContain("The policy in force stays");
    expect(r.body.line).toBeGreaterThan(1);
    const status = (await p.t.admin.get("/api/v1/policy/status")).body;
    expect(status.hash).toBe(before.hash);
    expect(status.lastError.message).toContain("updateCadenceMinutes");
    expect(
      (await p.t.admin.get("/api/v1/policy")).body.severities.find((x: Json) => x.id === "S2")
        .updateCadenceMinutes,
    ).toBe(10);
    // Only admins reload.
    expect((await ian.request("POST", "/api/v1/policy/reload")).status).toBe(403);
    writeFileSync(file, withS2Cadence(10));
    expect((await p.t.admin.request("POST", "/api/v1/policy/reload")).body.changed).toBe(false);
  });
});

describe("clocks are durable", () => {
  it("COMM-1: a clock armed by one replica fires after that replica is gone, on another, once", async () => {
    const first = await startProcessApp();
    const ian = await first.person("ian");
    await first.rotation("IM", [ian]);
    const i = await first.declare(ian, {
      severity: "S2",
      title: "survives",
      owner: "ian",
      visibility: "private",
    });
    const token = first.t.admin.token;
    await first.t.close(); // the replica that armed the clock stops
    const second = await startTestApp({
      databaseUrl: first.t.url,
      bootstrap: false,
      clockStart: "2026-11-18T12:00:00Z",
      smtpUrl: first.smtp.url,
    });
    try {
      const admin = client(second.base, token);
      second.clock.advanceMinutes(30);
      await second.runJobs();
      await second.runJobs(); // nothing more: it fired once
      const reminders = (
        (await admin.get(`/api/v1/incidents/${i.id}/timeline`)).body.events as Json[]
      ).filter((e) => e.kind === "rule-reminder");
      expect(reminders).toHaveLength(1);
      expect(first.smtp.to(ian.email).filter((m) => /Reminder/.test(m.subject))).toHaveLength(1);
    } finally {
      await second.close();
      await first.smtp.close();
    }
  });
});

describe("clocks fire once, and survive failures", () => {
  it("COMM-1: two replicas racing through the same due clocks fire each one once", async () => {
    const a = await startProcessApp();
    const b = await startTestApp({
      databaseUrl: a.t.url,
      bootstrap: false,
      clockStart: "2026-11-18T12:00:00Z",
      smtpUrl: a.smtp.url,
    });
    try {
      const ian = await a.person("ian");
      await a.rotation("IM", [ian]);
      const ids: number[] = [];
      for (let n = 0; n < 12; n++)
        ids.push((await a.declare(ian, { severity: "S2", title: `race ${n}`, owner: "ian" })).id);
      a.t.clock.advanceMinutes(30);
      b.clock.advanceMinutes(30);
      // Each replica's runner drains the due clocks with two loops, all four at once. (Straight
      // to the runners: `runJobs` pins the process-wide Date for graphile-worker, so two of them
      // cannot run side by side in one test process.)
      const now = a.t.clock.now();
      const drain = async (runner: { fireNext(at: Date): Promise<boolean> }) => {
        let fired = 0;
        while (await runner.fireNext(now)) fired++;
        return fired;
      };
      const counts = await Promise.all([
        drain(a.t.services.process),
        drain(b.services.process),
        drain(a.t.services.process),
        drain(b.services.process),
      ]);
      // A loop may claim a clock another fired a moment before; it then finds it fired and does
      // nothing. What counts is that every clock fired exactly once:
      expect(counts.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(ids.length);
      const fired = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM process_clocks WHERE rule_id = 'COMM-1' AND kind = 'clock' AND state = 'fired'`.execute(
        a.t.database.db,
      );
      expect(fired.rows[0]?.n).toBe(ids.length);
      await a.t.runJobs(); // the reminders' notices go out
      for (const id of ids) {
        const reminders = (await a.timeline(id)).filter((e: Json) => e.kind === "rule-reminder");
        expect(reminders, `incident ${id}`).toHaveLength(1);
      }
    } finally {
      await b.close();
      await a.close();
    }
  });

  it("COMM-1: a clock whose actions fail stays pending, says why, and fires once the fault is gone", async () => {
    const p = await startProcessApp();
    const db = p.t.database.db;
    try {
      const ian = await p.person("ian");
      await p.rotation("IM", [ian]);
      const i = await p.declare(ian, { severity: "S2", title: "faulty", owner: "ian" });
      // The database refuses every notice for a while (a real fault, not a stubbed function).
      await sql`ALTER TABLE notices ADD CONSTRAINT test_refuses_notices CHECK (false) NOT VALID`.execute(db);
      await p.t.advanceMinutes(30);
      const failed = await sql<{
        state: string;
        attempts: number;
        last_error: string | null;
        retry_at: Date;
      }>`
        SELECT state, attempts, last_error, retry_at FROM process_clocks
         WHERE incident_id = ${i.id} AND rule_id = 'COMM-1' AND kind <> 'event'`.execute(db);
      expect(failed.rows).toHaveLength(1);
      expect(failed.rows[0]).toMatchObject({ state: "pending", attempts: 1 });
      expect(failed.rows[0]?.last_error).toContain("test_refuses_notices");
      expect((await p.timeline(i.id)).some((e: Json) => e.kind === "rule-reminder")).toBe(false);
      // Fixed: the retry (2 s later) reminds, once.
      await sql`ALTER TABLE notices DROP CONSTRAINT test_refuses_notices`.execute(db);
      p.t.clock.advance(3_000);
      await p.t.runJobs();
      await p.t.runJobs();
      expect((await p.timeline(i.id)).filter((e: Json) => e.kind === "rule-reminder")).toHaveLength(1);
      expect(p.mails(ian, /Reminder/)).toHaveLength(1);
    } finally {
      await p.close();
    }
  });
});

describe("what people see of the process", () => {
  let p: ProcessApp;
  let eve: Person;
  beforeAll(async () => {
    p = await startProcessApp();
    eve = await p.person("eve");
    await p.rotation("EOC", [eve]);
  });
  afterAll(() => p?.close());

  it("GET /incidents/{id}/clocks lists each pending clock with its rule, what fires, when and why", async () => {
    const i = await p.declare(eve, { severity: "S3", title: "clocks shown", visibility: "private" });
    expect((await p.read(i.id)).roles.EOC.id).toBe(eve.id); // on call and declared it: engaged
    const c = await p.clocks(i.id);
    expect(c.now).toBe(p.t.clock.now().toISOString());
    const page3 = (c.clocks as Json[]).find((x) => x.ruleId === "PAGE-3");
    expect(page3).toMatchObject({
      rule: "PAGE-3",
      kind: "clock",
      dueAt: "2026-11-18T12:30:00.000Z",
      fires: "page the IM",
      why: "30 minutes after the EOC engaged (12:00 UTC)",
    });
    expect((c.clocks as Json[]).map((x) => x.ruleId)).toEqual(["PAGE-3", "COMM-1"]);
    // What fired is listed too (the EOC was engaged on declaring: DEC-3 fired).
    expect((c.fired as Json[]).map((x) => x.ruleId)).toContain("DEC-3-eoc");
  });

  it("PAGE-3: a clock whose reason went away is cancelled in the same change, and a stale clock is a no-op", async () => {
    const i = await p.declare(eve, { severity: "S3", title: "stale", visibility: "private" });
    const key = `i${i.id}:PAGE-3:at:${Date.parse("2026-11-18T12:30:00Z")}`;
    await eve.request("POST", `/api/v1/incidents/${i.id}/status`, { status: "fixing" });
    expect(((await p.clocks(i.id)).clocks as Json[]).some((x) => x.ruleId === "PAGE-3")).toBe(false);
    // A pending clock nothing cancelled (say, armed under a policy since replaced) fires nothing:
    // the runner asks whether it is still wanted, and drops it.
    await sql`INSERT INTO process_clocks (key, incident_id, rule_id, rule, kind, state, due_at, fires, why, created_at)
      VALUES (${key}, ${i.id}, 'PAGE-3', 'PAGE-3', 'clock', 'pending', '2026-11-18T12:30:00Z', 'page the IM', 'stale', now())`.execute(
      p.t.database.db,
    );
    await p.t.advanceMinutes(31);
    expect((await p.pages(i.id)).some((x: Json) => /PAGE-3/.test(x.title))).toBe(false);
    const left = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM process_clocks WHERE key = ${key}`.execute(p.t.database.db);
    expect(left.rows[0]?.n).toBe(0);
  });

  it("GET /incidents/{id}/explain holds every rule against the incident, with each condition", async () => {
    const i = await p.declare(eve, { severity: "S4", title: "explained", visibility: "private" });
    const e = (await p.t.admin.get(`/api/v1/incidents/${i.id}/explain`)).body;
    const pageOne = (e.rules as Json[]).find((r) => r.id === "PAGE-1");
    expect(pageOne.holds).toBe(false);
    expect(pageOne.conditions).toContainEqual({
      text: "its severity pages the incident manager (S4 does not)",
      holds: false,
    });
    const page3 = (e.rules as Json[]).find((r) => r.id === "PAGE-3");
    expect(page3.pending).toHaveLength(1);
    expect(page3.trigger).toBe("30 minutes after engaged:EOC");
    // Private incidents stay private here too (DATA-3).
    const outsider = await p.person("out");
    expect((await outsider.get(`/api/v1/incidents/${i.id}/explain`)).status).toBe(404);
    expect((await outsider.get(`/api/v1/incidents/${i.id}/clocks`)).status).toBe(404);
  });

  it("POST /policy/simulate replays an incident under another policy and says what would differ", async () => {
    const i = await p.declare(eve, { severity: "S3", title: "replayed", visibility: "private" });
    const hhmm = (minutes: number) =>
      new Date(Date.parse(i.declaredAt) + minutes * 60_000).toISOString().slice(11, 16);
    await p.t.advanceMinutes(40);
    await eve.request("POST", `/api/v1/incidents/${i.id}/status`, { status: "resolved" });
    const stricter = shipped.replace(
      'clock: { from: "engaged:EOC", after: 30 }',
      'clock: { from: "engaged:EOC", after: 20 }',
    );
    const r = await eve.request("POST", "/api/v1/policy/simulate", { policy: stricter, incidentId: i.id });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const at = (x: Json) => `${x.at.slice(11, 16)} ${x.ruleId} ${x.does}`;
    expect(r.body.inForce.map(at)).toContain(`${hhmm(30)} PAGE-3 page the IM`);
    expect(r.body.onlyOther.map(at)).toEqual([`${hhmm(20)} PAGE-3 page the IM`]);
    expect(r.body.onlyInForce.map(at)).toEqual([`${hhmm(30)} PAGE-3 page the IM`]);
    const bad = await eve.request("POST", "/api/v1/policy/simulate", {
      policy: "version: 2",
      incidentId: i.id,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/line 1/);
  });
});
