/**
 * The alert counts copy the primary an alert's incident counts as and whether that counts (`live`),
 * while the incident's figures row is recomputed only by the next drain (decision 0013). Two races
 * between intake and a decline, each on its own service; after each, the counts kept (summed over
 * their writers) must be what the alerts and the figures rows give.
 */
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { sendEvent } from "../support/events.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = any;

let t: TestApp;
const keys: Record<"flip" | "open", { id: number; key: string }> = {
  flip: { id: 0, key: "" },
  open: { id: 0, key: "" },
};

async function ok(r: { status: number; body: Json }, status = 200) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
}
async function incidentOf(serviceId: number): Promise<number> {
  const r = await sql<{ incident_id: number }>`SELECT DISTINCT g.incident_id FROM alerts a
    JOIN alert_groups g ON g.id = a.group_id WHERE a.service_id = ${serviceId}`.execute(t.database.db);
  expect(r.rows).toHaveLength(1);
  return Number(r.rows[0]?.incident_id);
}
/** The kept counts of a service, and the same from its alerts and figures rows, after a refresh. */
async function both(serviceId: number) {
  await t.services.insights.refresh();
  const kept = await sql`SELECT incident_id, root_id, live, sum(alerts)::int AS alerts,
      sum(occurrences)::int AS occurrences
    FROM insights_alert_counts WHERE service_id = ${serviceId} GROUP BY 1, 2, 3
    HAVING sum(alerts) <> 0 OR sum(occurrences) <> 0 ORDER BY 1, 2, 3`.execute(t.database.db);
  const expected = await sql`SELECT g.incident_id, f.root_id, coalesce(f.live, false) AS live,
      count(*)::int AS alerts, sum(a.occurrences)::int AS occurrences
    FROM alerts a JOIN alert_groups g ON g.id = a.group_id
    LEFT JOIN insights_incidents f ON f.incident_id = g.incident_id
    WHERE a.service_id = ${serviceId} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`.execute(t.database.db);
  return { kept: kept.rows, expected: expected.rows };
}
async function connection() {
  const c = new pg.Client({ connectionString: t.url });
  await c.connect();
  return c;
}

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-02T10:00:00Z" });
  const alice = await t.user("alice");
  const policy = await ok(
    await t.admin.request("POST", "/api/v1/escalation-policies", {
      name: "Primary",
      levels: [{ timeoutMinutes: 60, targets: [{ kind: "user", id: alice.id }] }],
    }),
    201,
  );
  for (const name of ["flip", "open"] as const) {
    const s = await ok(
      await t.admin.request("POST", "/api/v1/services", {
        name,
        escalationPolicyId: policy.id,
        groupingWindowMinutes: 60,
      }),
      201,
    );
    keys[name] = { id: s.id, key: s.integrationKey };
  }
}, 60_000);
afterAll(() => t?.close());

describe("alert counts and a decline racing intake", () => {
  it("declined and back in triage between two refreshes: alerts counted meanwhile end up live", async () => {
    await sendEvent(t, { key: keys.flip.key, dedup: "replication-lag" });
    const x = await incidentOf(keys.flip.id);
    await t.services.insights.refresh();
    const admin = await connection();
    const intake = await connection();
    try {
      await admin.query("UPDATE incidents SET state = 'declined' WHERE id = $1", [x]);
      // A re-fire while it is declined counts as not live; the incident's figures row, refreshed
      // only later, never changes: it is in triage again by then.
      await intake.query("UPDATE alerts SET occurrences = occurrences + 1 WHERE service_id = $1", [
        keys.flip.id,
      ]);
      await admin.query("UPDATE incidents SET state = 'triage' WHERE id = $1", [x]);
    } finally {
      await admin.end();
      await intake.end();
    }
    const { kept, expected } = await both(keys.flip.id);
    expect(expected).toEqual([{ incident_id: x, root_id: x, live: true, alerts: 1, occurrences: 2 }]);
    expect(kept).toEqual(expected);
  });

  it("an intake transaction open while a decline commits and a refresh runs is counted as declined", async () => {
    await sendEvent(t, { key: keys.open.key, dedup: "disk-full" });
    const y = await incidentOf(keys.open.id);
    await t.services.insights.refresh();
    const admin = await connection();
    const intake = await connection();
    try {
      await intake.query("BEGIN");
      await intake.query("UPDATE alerts SET occurrences = occurrences + 1 WHERE service_id = $1", [
        keys.open.id,
      ]);
      await admin.query("UPDATE incidents SET state = 'declined' WHERE id = $1", [y]);
      // This refresh moves the figures row and its counts, but cannot see the intake's row yet.
      await t.services.insights.refresh();
      await intake.query("COMMIT");
    } finally {
      await admin.end();
      await intake.end();
    }
    const { kept, expected } = await both(keys.open.id);
    expect(expected).toEqual([{ incident_id: y, root_id: y, live: false, alerts: 1, occurrences: 2 }]);
    expect(kept).toEqual(expected);
  });
});
