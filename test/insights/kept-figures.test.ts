/**
 * The figures rows (migration 0027) follow every change that moves them, in the change's own
 * transaction, through the real API and database: declare, impact, detection, page, acknowledge,
 * status (mitigated, resolved, declined), severity, visibility, merge, and an escalation policy's
 * time zone. Each step's expected row is computed by hand from the clock times below; at the end the
 * migration's backfill, run again over the same rows, must write exactly what the triggers kept.
 *
 * Times (UTC, Tuesday 2026-11-03): X declared 10:00 (impact from 09:50), paged 10:05; Y declared
 * 10:01, paged 10:02, acknowledged 10:03, merged into X 10:04; X's page acknowledged 10:08;
 * X monitoring 10:30, resolved 11:00.
 */
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRAIN_BATCH } from "../../src/insights/store.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = any;
type Person = Awaited<ReturnType<TestApp["user"]>>;

let t: TestApp;
let alice: Person;
let vic: Person;
let policyId = 0;
const window = "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";

type FigureRow = {
  incident_id: number;
  root_id: number;
  counted: boolean;
  private: boolean;
  severity: string;
  type: string;
  live: boolean;
  mttd: number | null;
  mtta: number | null;
  mttm: number | null;
  mttr: number | null;
  service_ids: number[];
  review_required: boolean;
  review_due_at: Date | null;
  review_completed_at: Date | null;
  corrective_count: number;
  corrective_open_due: Date[];
  corrective_done: number;
};

async function ok(r: { status: number; body: Json }, status = 200) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
}
const at = (iso: string) => t.clock.set(iso);
const declare = async (severity: string, extra: Json = {}) =>
  (
    await ok(
      await t.admin.request("POST", "/api/v1/incidents", {
        title: `incident ${severity}`,
        type: "GitLab.com",
        severity,
        status: "active",
        ...extra,
      }),
      201,
    )
  ).id as number;
const post = async (path: string, body?: Json) => ok(await t.admin.request("POST", path, body));
const page = async (incidentId: number) => {
  const p = await t.services.paging.trigger(null, { policyId, incidentId, title: `incident ${incidentId}` });
  await t.runJobs();
  return p.id;
};

async function figures(id: number): Promise<FigureRow> {
  await t.services.insights.refresh();
  const r = await sql<FigureRow>`SELECT incident_id, root_id, counted, private, severity, type, live,
      mttd, mtta, mttm, mttr, service_ids, review_required, review_due_at, review_completed_at,
      corrective_count, corrective_open_due, corrective_done
    FROM insights_incidents WHERE incident_id = ${id}`.execute(t.database.db);
  expect(r.rows, `figures row of incident ${id}`).toHaveLength(1);
  return r.rows[0] as FigureRow;
}
async function pagesOf(userId: number) {
  await t.services.insights.refresh();
  const r = await sql<{ page_id: number; at: Date; night: boolean; weekend: boolean }>`
    SELECT page_id, at, night, weekend FROM insights_pages WHERE user_id = ${userId} ORDER BY page_id`.execute(
    t.database.db,
  );
  return r.rows;
}
const headline = async (who: { get(p: string): Promise<{ status: number; body: Json }> }) =>
  ok(await who.get(`/api/v1/insights?${window}`));

let X = 0;
let Y = 0;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-03T09:00:00Z" });
  alice = await t.user("alice");
  vic = await t.user("vic", "viewer");
  policyId = (
    await ok(
      await t.admin.request("POST", "/api/v1/escalation-policies", {
        name: "Primary",
        levels: [{ timeoutMinutes: 60, targets: [{ kind: "user", id: alice.id }] }],
        businessHours: { timeZone: "UTC", days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" },
      }),
      201,
    )
  ).id;
}, 60_000);
afterAll(() => t?.close());

describe("an incident's figures row follows its commands", () => {
  it("declare: a counted row with nothing measured yet", async () => {
    at("2026-11-03T10:00:00Z");
    X = await declare("S3");
    expect(await figures(X)).toEqual({
      incident_id: X,
      root_id: X,
      counted: true,
      private: false,
      severity: "S3",
      type: "GitLab.com",
      live: true,
      mttd: null,
      mtta: null,
      mttm: null,
      mttr: null,
      service_ids: [],
      review_required: false,
      review_due_at: null,
      review_completed_at: null,
      corrective_count: 0,
      corrective_open_due: [],
      corrective_done: 0,
    });
  });

  it("impact start: time to detect from impact start to the declaration", async () => {
    await post(`/api/v1/incidents/${X}/impact`, { edge: "started", at: "2026-11-03T09:50:00Z" });
    expect((await figures(X)).mttd).toBe(600);
    // Detected earlier than declared (TL-4): time to detect follows the detection instant.
    await ok(
      await t.admin.request("PUT", `/api/v1/incidents/${X}/detection`, {
        source: "monitoring",
        detectedAt: "2026-11-03T09:55:00Z",
      }),
    );
    expect((await figures(X)).mttd).toBe(300);
  });

  let xPage = 0;
  it("a page, then its acknowledgement: time to acknowledge", async () => {
    at("2026-11-03T10:05:00Z");
    xPage = await page(X);
    expect((await figures(X)).mtta, "paged, not acknowledged").toBeNull();
    expect(await pagesOf(alice.id)).toEqual([
      { page_id: xPage, at: new Date("2026-11-03T10:05:00Z"), night: false, weekend: false },
    ]);
  });

  it("merge: the duplicate counts as its primary, whose time to acknowledge reads its page", async () => {
    at("2026-11-03T10:01:00Z");
    Y = await declare("S4");
    at("2026-11-03T10:02:00Z");
    const yPage = await page(Y);
    at("2026-11-03T10:03:00Z");
    await ok(await alice.request("POST", `/api/v1/pages/${yPage}/acknowledge`));
    expect((await figures(Y)).mtta).toBe(60);
    at("2026-11-03T10:04:00Z");
    await post(`/api/v1/incidents/${Y}/merge`, { into: X });
    expect(await figures(Y)).toMatchObject({
      root_id: X,
      counted: false,
      severity: "S3",
      live: true,
    });
    // X's first page is now Y's (10:02), its first acknowledgement Y's (10:03).
    expect((await figures(X)).mtta).toBe(60);
    at("2026-11-03T10:08:00Z");
    await ok(await alice.request("POST", `/api/v1/pages/${xPage}/acknowledge`));
    expect((await figures(X)).mtta, "a later acknowledgement does not move the first").toBe(60);
  });

  it("severity and visibility: the primary's row and its duplicate's carry them", async () => {
    const before = await headline(vic);
    await post(`/api/v1/incidents/${X}/severity`, { severity: "S2", reason: "more customers affected" });
    expect((await figures(X)).severity).toBe("S2");
    expect((await figures(Y)).severity, "the duplicate is counted under its primary's severity").toBe("S2");
    await post(`/api/v1/incidents/${X}/visibility`, { visibility: "private", reason: "security" });
    expect(await figures(X)).toMatchObject({ private: true });
    expect(await figures(Y)).toMatchObject({ private: true });
    // DATA-3 through the API: the viewer no longer counts it; an admin still does.
    expect((await headline(vic)).incidents).toBe(before.incidents - 1);
    expect((await headline(t.admin)).incidents).toBe(before.incidents);
    await post(`/api/v1/incidents/${X}/visibility`, { visibility: "public", reason: "disclosed" });
    expect((await figures(Y)).private).toBe(false);
    expect((await headline(vic)).incidents).toBe(before.incidents);
  });

  it("status: mitigated at monitoring, resolved at resolved, both from impact start", async () => {
    at("2026-11-03T10:30:00Z");
    await post(`/api/v1/incidents/${X}/status`, { status: "monitoring" });
    expect(await figures(X)).toMatchObject({ mttm: 2400, mttr: null });
    at("2026-11-03T11:00:00Z");
    await post(`/api/v1/incidents/${X}/status`, { status: "resolved" });
    expect(await figures(X)).toMatchObject({ mttd: 300, mtta: 60, mttm: 2400, mttr: 4200 });
    // The API's figures read these rows.
    const r = await ok(await t.admin.get(`/api/v1/insights/response-times?${window}&by=severity`));
    expect(r.rows.find((x: Json) => x.group === "S2").mttr).toEqual({
      count: 1,
      mean: 4200,
      p50: 4200,
      p90: 4200,
    });
  });

  it("declined in triage: no longer counted", async () => {
    at("2026-11-03T12:00:00Z");
    const z = await declare("S4", { status: "triage" });
    expect((await figures(z)).counted).toBe(true);
    await post(`/api/v1/incidents/${z}/status`, { status: "declined" });
    expect(await figures(z)).toMatchObject({ counted: false, live: false });
  });
});

describe("a person's pages follow the escalation policy", () => {
  it("night and weekend move with the policy's time zone", async () => {
    // Alice's pages at 10:02 and 10:05 UTC: daytime in UTC, 23:02 and 23:05 in Auckland (UTC+13).
    expect((await pagesOf(alice.id)).map((p) => p.night)).toEqual([false, false]);
    await ok(
      await t.admin.request("PUT", `/api/v1/escalation-policies/${policyId}`, {
        name: "Primary",
        levels: [{ timeoutMinutes: 60, targets: [{ kind: "user", id: alice.id }] }],
        repeat: 2,
        businessHours: { timeZone: "Pacific/Auckland", days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" },
      }),
    );
    expect((await pagesOf(alice.id)).map((p) => p.night)).toEqual([true, true]);
    const load = await ok(await t.admin.get(`/api/v1/insights/on-call-load?${window}`));
    expect(load.rows).toEqual([expect.objectContaining({ username: "alice", pages: 2, nightPages: 2 })]);
  });

  it("an escalation naming the person again keeps the page's first one", async () => {
    const before = await pagesOf(alice.id);
    at("2026-11-03T13:00:00Z");
    const p = await page(X);
    await t.advanceMinutes(61); // unacknowledged: the policy repeats, naming alice again
    const escalations = await sql<{ n: string }>`SELECT count(*) AS n FROM page_events
      WHERE page_id = ${p} AND kind = 'page-escalated'`.execute(t.database.db);
    expect(Number(escalations.rows[0]?.n)).toBe(2);
    const after = await pagesOf(alice.id);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.find((r) => r.page_id === p)?.at).toEqual(new Date("2026-11-03T13:00:00Z"));
  });
});

describe("reviews, corrective actions and services", () => {
  it("a review's due and completion dates", async () => {
    // Raised to S2, X got a required review from the reviews capability (REV-1), due by its policy.
    const db = t.database.db;
    const opened = await sql<{ due_at: Date }>`SELECT due_at FROM incident_reviews
      WHERE incident_id = ${X} AND required`.execute(db);
    expect(opened.rows).toHaveLength(1);
    expect(await figures(X)).toMatchObject({
      review_required: true,
      review_due_at: opened.rows[0]?.due_at,
      review_completed_at: null,
    });
    // Its dates as the figures below expect them (the review's own commands are tested with it).
    await sql`UPDATE incident_reviews SET due_at = '2026-11-10T00:00:00Z' WHERE incident_id = ${X}`.execute(
      db,
    );
    expect((await figures(X)).review_due_at).toEqual(new Date("2026-11-10T00:00:00Z"));
    await sql`UPDATE incident_reviews SET completed_at = '2026-11-09T00:00:00Z' WHERE incident_id = ${X}`.execute(
      db,
    );
    expect((await figures(X)).review_completed_at).toEqual(new Date("2026-11-09T00:00:00Z"));
    const r = await ok(await t.admin.get(`/api/v1/insights/reviews?${window}`));
    expect(r.rows).toEqual([
      { severity: "S2", required: 1, due: 1, completed: 1, onTime: 1, overdue: 0, onTimeShare: 1 },
    ]);
  });

  it("corrective actions: a duplicate's count for its primary once merged, open then done", async () => {
    at("2026-11-03T15:00:00Z");
    const primary = await declare("S4");
    const duplicate = await declare("S4");
    const task = async (id: number, due: string) => {
      const created = await ok(
        await t.admin.request("POST", `/api/v1/incidents/${id}/tasks`, {
          kind: "follow-up",
          title: "Fix it",
        }),
        201,
      );
      await ok(
        await t.admin.request("PUT", `/api/v1/incidents/${id}/tasks/${created.id}/corrective`, {
          corrective: true,
          assignee: alice.id,
          dueAt: due,
        }),
      );
      return created.id as number;
    };
    const onDuplicate = await task(duplicate, "2026-11-05T00:00:00Z");
    await task(primary, "2026-12-20T00:00:00Z");
    expect(await figures(primary)).toMatchObject({
      corrective_count: 1,
      corrective_open_due: [new Date("2026-12-20T00:00:00Z")],
    });
    await ok(
      await t.admin.request("PATCH", `/api/v1/incidents/${duplicate}/tasks/${onDuplicate}`, {
        state: "done",
      }),
    );
    await post(`/api/v1/incidents/${duplicate}/merge`, { into: primary });
    expect(await figures(primary)).toMatchObject({
      corrective_count: 2,
      corrective_open_due: [new Date("2026-12-20T00:00:00Z")],
      corrective_done: 1,
    });
    const c = await ok(await t.admin.get(`/api/v1/insights/corrective-actions?${window}`));
    expect(c.rows).toEqual([{ severity: "S4", open: 1, overdue: 0, done: 1 }]);
    // Past its due date, the open one is overdue.
    at("2026-12-21T00:00:00Z");
    const later = await ok(await t.admin.get(`/api/v1/insights/corrective-actions?${window}`));
    expect(later.rows).toEqual([{ severity: "S4", open: 1, overdue: 1, done: 1 }]);
  });

  it("the services whose alerts opened an incident", async () => {
    const svc = await ok(
      await t.admin.request("POST", "/api/v1/services", { name: "api", escalationPolicyId: policyId }),
      201,
    );
    at("2026-11-03T14:00:00Z");
    const r = await fetch(`${t.base}/v2/enqueue`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        routing_key: svc.integrationKey,
        event_action: "trigger",
        dedup_key: "cpu",
        payload: { summary: "CPU high on api-1", source: "api-1", severity: "critical" },
      }),
    });
    expect(r.status, await r.text()).toBe(202);
    await t.runJobs();
    const opened = await ok(await t.admin.get(`/api/v1/incidents?service=${svc.id}`));
    expect(opened.incidents).toHaveLength(1);
    expect((await figures(opened.incidents[0].id)).service_ids).toEqual([svc.id]);
    const bySvc = await ok(await t.admin.get(`/api/v1/insights?${window}&service=${svc.id}`));
    expect(bySvc.incidents).toBe(1);
  });
});

describe("concurrent changes to one incident's figures", () => {
  it("an acknowledgement and a resolution committed at once are both kept, neither waiting for the other", async () => {
    at("2026-11-04T10:00:00Z");
    const w = await declare("S3");
    const p = await page(w);
    const acker = new pg.Client({ connectionString: t.url });
    const resolver = new pg.Client({ connectionString: t.url });
    await acker.connect();
    await resolver.connect();
    try {
      await acker.query("BEGIN");
      await acker.query(
        "INSERT INTO page_events (page_id, kind, at) VALUES ($1, 'page-acknowledged', '2026-11-04T10:04:00Z')",
        [p],
      );
      await resolver.query("BEGIN");
      // The figures are no longer recomputed in the change's transaction: the resolution's
      // statement finishes while the acknowledgement is still open.
      await resolver.query("UPDATE incidents SET resolved_at = '2026-11-04T11:00:00Z' WHERE id = $1", [w]);
      await resolver.query("COMMIT");
      await acker.query("COMMIT");
    } finally {
      await acker.end();
      await resolver.end();
    }
    expect(await figures(w)).toMatchObject({ mtta: 240, mttr: 3600 });
  });

  it("a refresh leaves a change still open for the next one, which takes it in once committed", async () => {
    at("2026-11-05T10:00:00Z");
    const w = await declare("S3");
    expect(await figures(w)).toMatchObject({ severity: "S3" });
    const changer = new pg.Client({ connectionString: t.url });
    await changer.connect();
    try {
      await changer.query("BEGIN");
      await changer.query("UPDATE incidents SET severity = 'S2' WHERE id = $1", [w]);
      // A refresh while it is open cannot see it, and must not lose its mark.
      await t.services.insights.refresh();
      expect(await figures(w)).toMatchObject({ severity: "S3" });
      await changer.query("COMMIT");
    } finally {
      await changer.end();
    }
    expect(await figures(w)).toMatchObject({ severity: "S2" });
  });

  it("a command's transaction only marks the incident; a refresh writes its row", async () => {
    at("2026-11-06T10:00:00Z");
    const w = await declare("S4");
    const stale = async () =>
      (
        await sql<{
          n: number;
        }>`SELECT count(*)::int AS n FROM insights_stale WHERE incident_id = ${w}`.execute(t.database.db)
      ).rows[0]?.n;
    const row = async () =>
      (await sql`SELECT 1 FROM insights_incidents WHERE incident_id = ${w}`.execute(t.database.db)).rows
        .length;
    expect(await stale()).toBe(1);
    expect(await row()).toBe(0);
    expect(await t.services.insights.refresh()).toBeGreaterThanOrEqual(1);
    expect(await stale()).toBe(0);
    expect(await row()).toBe(1);
  });
});

describe("a backlog of stale figures", () => {
  it("one drain takes at most its batch; a refresh drains batch after batch until none is left", async () => {
    at("2026-11-07T10:00:00Z");
    const w = await declare("S3");
    await t.services.insights.refresh();
    const backlog = DRAIN_BATCH * 2 + 7;
    await sql`INSERT INTO insights_stale (incident_id, roots)
      SELECT ${w}::bigint, false FROM generate_series(1, ${backlog}::int)`.execute(t.database.db);
    const left = async () =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM insights_stale`.execute(t.database.db)).rows[0]
        ?.n;
    const one = await sql<{ taken: number }>`SELECT insights_drain(${DRAIN_BATCH}::int) AS taken`.execute(
      t.database.db,
    );
    expect(one.rows[0]?.taken).toBe(DRAIN_BATCH);
    expect(await left()).toBe(backlog - DRAIN_BATCH);
    expect(await t.services.insights.refresh()).toBe(backlog - DRAIN_BATCH);
    expect(await left()).toBe(0);
    expect(await figures(w)).toMatchObject({ severity: "S3", counted: true });
  });
});

describe("the migration's backfill", () => {
  it("writes, from the same rows, exactly what the triggers kept", async () => {
    const db = t.database.db;
    const kept = async () => ({
      incidents: (await sql`SELECT * FROM insights_incidents ORDER BY incident_id`.execute(db)).rows,
      pages: (await sql`SELECT * FROM insights_pages ORDER BY page_id, user_id`.execute(db)).rows,
    });
    await t.services.insights.refresh();
    const byTriggers = await kept();
    expect(byTriggers.incidents.length).toBeGreaterThan(2);
    // The migration's backfill: it deletes and writes every row again, set-based.
    await sql`SELECT insights_backfill()`.execute(db);
    expect(await kept()).toEqual(byTriggers);
  });
});
