/**
 * The alert counts kept per service, alert group and UTC day (migration 0031) follow alert intake
 * through the real Events v2 endpoint and database: new alerts, a dedup re-fire (occurrences), an
 * alert re-fired after it resolved (it moves to a new group and incident), a merge, a private
 * incident, a service deleted. After each step the kept rows (summed over their writers) must be
 * what the alerts themselves give, and noisy services and the headline's alert figures are
 * compared with values computed by hand, over whole days and over windows that cut days.
 *
 * Times (UTC, November 2026; grouping window 60 minutes):
 * - Mon 2 10:00 api "cpu" opens incident P; 10:05 api "disk" joins it; 10:06 "cpu" again (2 occurrences).
 * - Tue 3 10:00 db "conn" opens incident Q, then made private (vic, a viewer, takes no part).
 * - Wed 4 10:00 web "5xx" opens incident R, merged into P at 10:10.
 * - Wed 4 11:00 api "cpu" resolves; Thu 5 12:00 it fires again: a new group and incident S; it is
 *   still counted on Mon 2, when it was first seen, now under S (3 occurrences).
 */
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { sendEvent } from "../support/events.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = any;
type Person = Awaited<ReturnType<TestApp["user"]>>;

let t: TestApp;
let vic: Person;
const svc: Record<"api" | "db" | "web", { id: number; key: string }> = {
  api: { id: 0, key: "" },
  db: { id: 0, key: "" },
  web: { id: 0, key: "" },
};
const inc: Record<"P" | "Q" | "R" | "S", number> = { P: 0, Q: 0, R: 0, S: 0 };
const month = "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";

const at = (iso: string) => t.clock.set(iso);
async function ok(r: { status: number; body: Json }, status = 200) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
}
const send = (key: string, action: "trigger" | "resolve", dedup: string) =>
  sendEvent(t, { key, action, dedup });
async function incidentOf(serviceId: number, dedup: string): Promise<number> {
  const r = await sql<{ incident_id: number }>`SELECT g.incident_id FROM alerts a
    JOIN alert_groups g ON g.id = a.group_id WHERE a.service_id = ${serviceId} AND a.dedup_key = ${dedup}`.execute(
    t.database.db,
  );
  expect(r.rows).toHaveLength(1);
  return Number(r.rows[0]?.incident_id);
}

type CountRow = {
  service_id: number;
  group_id: number | null;
  day: Date;
  incident_id: number | null;
  root_id: number | null;
  live: boolean;
  alerts: number;
  occurrences: number;
};
/** The kept counts, summed over the rows of every writer (a key whose alerts all moved sums to none). */
async function kept(): Promise<CountRow[]> {
  await t.services.insights.refresh();
  const r = await sql<CountRow>`
    SELECT service_id, group_id, day, incident_id, root_id, live, sum(alerts)::int AS alerts,
      sum(occurrences)::int AS occurrences
    FROM insights_alert_counts GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(alerts) <> 0 OR sum(occurrences) <> 0
    ORDER BY 1, 2, 3`.execute(t.database.db);
  return r.rows;
}
/** The same rows from the alerts, their groups and the incidents' figures rows. */
async function fromAlerts(): Promise<CountRow[]> {
  await t.services.insights.refresh();
  const r = await sql<CountRow>`
    SELECT a.service_id, a.group_id, date_trunc('day', a.first_seen_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day,
      g.incident_id, f.root_id, coalesce(f.live, false) AS live, count(*)::int AS alerts,
      sum(a.occurrences)::int AS occurrences
    FROM alerts a LEFT JOIN alert_groups g ON g.id = a.group_id
    LEFT JOIN insights_incidents f ON f.incident_id = g.incident_id
    GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3`.execute(t.database.db);
  return r.rows;
}
const noisy = async (who: { get(p: string): Promise<{ status: number; body: Json }> }, q = month) =>
  (await ok(await who.get(`/api/v1/insights/noisy-services?${q}`))).rows as Json[];
const headline = async (who: { get(p: string): Promise<{ status: number; body: Json }> }, q = month) =>
  ok(await who.get(`/api/v1/insights?${q}`));
const row = (name: keyof typeof svc, alerts: number, occurrences: number, incidents: number) => ({
  serviceId: svc[name].id,
  service: name,
  alerts,
  occurrences,
  incidents,
  alertsPerIncident: incidents === 0 ? null : alerts / incidents,
});

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-02T09:00:00Z" });
  const alice = await t.user("alice");
  vic = await t.user("vic", "viewer");
  const policyId = (
    await ok(
      await t.admin.request("POST", "/api/v1/escalation-policies", {
        name: "Primary",
        levels: [{ timeoutMinutes: 60, targets: [{ kind: "user", id: alice.id }] }],
      }),
      201,
    )
  ).id;
  for (const name of ["api", "db", "web"] as const) {
    const s = await ok(
      await t.admin.request("POST", "/api/v1/services", {
        name,
        escalationPolicyId: policyId,
        groupingWindowMinutes: 60,
      }),
      201,
    );
    svc[name] = { id: s.id, key: s.integrationKey };
  }
}, 60_000);
afterAll(() => t?.close());

describe("alert counts follow intake", () => {
  it("new alerts and a dedup re-fire: counted once each, their occurrences summed", async () => {
    at("2026-11-02T10:00:00Z");
    await send(svc.api.key, "trigger", "cpu");
    inc.P = await incidentOf(svc.api.id, "cpu");
    // The incident's figures row waits for the next refresh; its alerts are already counted under it.
    const early = await sql`SELECT
        (SELECT count(*)::int FROM insights_incidents WHERE incident_id = ${inc.P}) AS figures, root_id, live
      FROM insights_alert_counts WHERE service_id = ${svc.api.id}
      GROUP BY root_id, live HAVING sum(alerts) <> 0`.execute(t.database.db);
    expect(early.rows).toEqual([{ figures: 0, root_id: inc.P, live: true }]);
    at("2026-11-02T10:05:00Z");
    await send(svc.api.key, "trigger", "disk");
    at("2026-11-02T10:06:00Z");
    await send(svc.api.key, "trigger", "cpu");
    const rows = await kept();
    expect(rows).toEqual(await fromAlerts());
    expect(rows).toMatchObject([
      {
        service_id: svc.api.id,
        day: new Date("2026-11-02T00:00:00Z"),
        incident_id: inc.P,
        root_id: inc.P,
        live: true,
        alerts: 2,
        occurrences: 3,
      },
    ]);
    expect(await noisy(t.admin)).toEqual([row("api", 2, 3, 1)]);
    expect(await headline(t.admin)).toMatchObject({ alerts: 2, alertsPerIncident: 2 });
  });

  it("a private incident's alerts count for admins, not for a viewer who takes no part (DATA-3)", async () => {
    at("2026-11-03T10:00:00Z");
    await send(svc.db.key, "trigger", "conn");
    inc.Q = await incidentOf(svc.db.id, "conn");
    await ok(
      await t.admin.request("POST", `/api/v1/incidents/${inc.Q}/visibility`, {
        visibility: "private",
        reason: "customer data",
      }),
    );
    expect(await kept()).toEqual(await fromAlerts());
    expect(await noisy(t.admin)).toEqual([row("api", 2, 3, 1), row("db", 1, 1, 1)]);
    expect(await noisy(vic)).toEqual([row("api", 2, 3, 1)]);
    expect(await headline(t.admin)).toMatchObject({ alerts: 3, alertsPerIncident: 1.5 });
    expect(await headline(vic)).toMatchObject({ alerts: 2, alertsPerIncident: 2 });
  });

  it("merge: a duplicate's alerts count under its primary, the primary once", async () => {
    at("2026-11-04T10:00:00Z");
    await send(svc.web.key, "trigger", "5xx");
    inc.R = await incidentOf(svc.web.id, "5xx");
    expect(inc.R).not.toBe(inc.P);
    expect(await headline(t.admin)).toMatchObject({ alerts: 4, alertsPerIncident: 4 / 3 });
    at("2026-11-04T10:10:00Z");
    await ok(await t.admin.request("POST", `/api/v1/incidents/${inc.R}/merge`, { into: inc.P }));
    const rows = await kept();
    expect(rows).toEqual(await fromAlerts());
    expect(rows.find((r) => r.service_id === svc.web.id)).toMatchObject({
      incident_id: inc.R,
      root_id: inc.P,
    });
    expect(await noisy(t.admin)).toEqual([row("api", 2, 3, 1), row("db", 1, 1, 1), row("web", 1, 1, 1)]);
    // P (through api and web) and Q: two incidents for four alerts.
    expect(await headline(t.admin)).toMatchObject({ alerts: 4, alertsPerIncident: 2 });
  });

  it("an alert re-fired after it resolved moves to its new group, still on the day first seen", async () => {
    at("2026-11-04T11:00:00Z");
    await send(svc.api.key, "resolve", "cpu");
    at("2026-11-05T12:00:00Z");
    await send(svc.api.key, "trigger", "cpu");
    inc.S = await incidentOf(svc.api.id, "cpu");
    expect(inc.S).not.toBe(inc.P);
    const rows = await kept();
    expect(rows).toEqual(await fromAlerts());
    expect(rows.filter((r) => r.service_id === svc.api.id)).toMatchObject([
      { incident_id: inc.P, day: new Date("2026-11-02T00:00:00Z"), alerts: 1, occurrences: 1 },
      { incident_id: inc.S, day: new Date("2026-11-02T00:00:00Z"), alerts: 1, occurrences: 3 },
    ]);
    expect(await noisy(t.admin)).toEqual([row("api", 2, 4, 2), row("db", 1, 1, 1), row("web", 1, 1, 1)]);
    expect(await headline(t.admin)).toMatchObject({ alerts: 4, alertsPerIncident: 4 / 3 });
  });
});

describe("windows that cut days: whole days from the counts, the edges from the alerts", () => {
  it("from Mon 2 10:03 to Wed 4 10:30: disk, conn and 5xx, not cpu (first seen at 10:00)", async () => {
    const q = "from=2026-11-02T10:03:00Z&to=2026-11-04T10:30:00Z";
    expect(await noisy(t.admin, q)).toEqual([row("api", 1, 1, 1), row("db", 1, 1, 1), row("web", 1, 1, 1)]);
    expect(await noisy(vic, q)).toEqual([row("api", 1, 1, 1), row("web", 1, 1, 1)]);
    // P through api's disk and web's 5xx, Q through db's conn.
    expect(await headline(t.admin, q)).toMatchObject({ alerts: 3, alertsPerIncident: 1.5 });
  });

  it("within one day, and across one midnight", async () => {
    expect(await noisy(t.admin, "from=2026-11-02T09:00:00Z&to=2026-11-02T10:04:00Z")).toEqual([
      row("api", 1, 3, 1),
    ]);
    expect(await noisy(t.admin, "from=2026-11-03T12:00:00Z&to=2026-11-04T10:05:00Z")).toEqual([
      row("web", 1, 1, 1),
    ]);
    expect(await noisy(t.admin, "from=2026-11-06T00:00:00Z&to=2026-11-07T00:00:00Z")).toEqual([]);
  });

  it("filters: a service, and an incident severity through the primary", async () => {
    expect(await noisy(t.admin, `${month}&service=${svc.web.id}`)).toEqual([row("web", 1, 1, 1)]);
    const p = await ok(await t.admin.get(`/api/v1/incidents/${inc.P}`));
    const bySeverity = await noisy(t.admin, `${month}&severity=${p.severity}`);
    expect(bySeverity.map((r: Json) => r.service)).toContain("web");
  });
});

describe("concurrent intake", () => {
  it("two transactions counting alerts of one service and day do not wait for each other", async () => {
    const a = new pg.Client({ connectionString: t.url });
    const b = new pg.Client({ connectionString: t.url });
    await a.connect();
    await b.connect();
    const insert = (c: pg.Client, key: string) =>
      c.query(
        `INSERT INTO alerts (service_id, dedup_key, source, status, summary, severity, details, first_seen_at, last_seen_at)
         VALUES ($1, $2, 'events', 'firing', $2, 'critical', '{}', '2026-11-05T13:00:00Z', '2026-11-05T13:00:00Z')`,
        [svc.db.id, key],
      );
    try {
      await a.query("BEGIN");
      await insert(a, "replica-lag");
      await b.query("BEGIN");
      // Were the count rows shared, this insert would wait for the first transaction's commit.
      await b.query("SET LOCAL lock_timeout = '5s'");
      await insert(b, "replica-down");
      await b.query("COMMIT");
      await a.query("COMMIT");
    } finally {
      await a.end();
      await b.end();
    }
    expect(await kept()).toEqual(await fromAlerts());
    const groupless = (await kept()).find((r) => r.service_id === svc.db.id && r.group_id === null);
    expect(groupless).toMatchObject({ alerts: 2, occurrences: 2, live: false });
  });
});

describe("a service deleted", () => {
  it("takes its alerts' counts with it", async () => {
    at("2026-11-06T09:00:00Z");
    const r = await t.admin.request("DELETE", `/api/v1/services/${svc.web.id}`);
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expect(await kept()).toEqual(await fromAlerts());
    // db: conn (Q) and the two alerts outside any group, which open no incident.
    expect(await noisy(t.admin)).toEqual([row("db", 3, 3, 1), row("api", 2, 4, 2)]);
  });
});

describe("the backfill", () => {
  it("writes, from the alerts, the sums the triggers kept", async () => {
    const byTriggers = await kept();
    expect(byTriggers.length).toBeGreaterThan(2);
    await sql`SELECT insights_backfill_alerts()`.execute(t.database.db);
    expect(await kept()).toEqual(byTriggers);
    const writers = await sql<{
      n: number;
    }>`SELECT count(DISTINCT writer)::int AS n FROM insights_alert_counts`.execute(t.database.db);
    expect(writers.rows[0]?.n).toBe(1);
  });
});
