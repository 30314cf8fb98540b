/**
 * Alert intake opens incidents as the "@alerts" automation user, which the first intake
 * transaction that needs it creates. Its id must not be used before that transaction commits:
 * found by `npm run bench -- replicas`, where a replica's first concurrent intake transactions on
 * a fresh database answered 500 (incidents_owner_id_fkey). A held table lock stops the first
 * transaction after it has created the user and declared its incident, so the race is certain.
 */
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close().catch(() => undefined);
});

async function freshApp(): Promise<TestApp> {
  const t = await startTestApp({ clockStart: new Date() });
  opened.push(t);
  await t.seedOnCall();
  return t;
}

async function newService(t: TestApp, name: string) {
  const r = await t.admin.request("POST", "/api/v1/services", { name });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: number; integrationKey: string };
}

const trigger = (t: TestApp, key: string, dedup: string) =>
  fetch(`${t.base}/v2/enqueue`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      routing_key: key,
      event_action: "trigger",
      dedup_key: dedup,
      payload: { summary: "error rate above 5%", source: "web-1", severity: "critical" },
    }),
  });

/**
 * Holds alert_groups against inserts, so an intake transaction opening a group stops there, after
 * it has created "@alerts" and declared the incident. Watches from a second connection: inside a
 * transaction pg_stat_activity is a snapshot.
 */
async function holdGroups(url: string) {
  const lock = new pg.Client({ connectionString: url });
  const watch = new pg.Client({ connectionString: url });
  await lock.connect();
  await watch.connect();
  const close = async () => {
    await lock.end().catch(() => undefined);
    await watch.end().catch(() => undefined);
  };
  opened.push({ close });
  const lockPid = (await lock.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
  await lock.query("BEGIN");
  await lock.query("LOCK TABLE alert_groups IN SHARE MODE");
  return {
    /**
     * Polls until `n` transactions wait on a lock (or `stop()`); their pids. The first to wait is
     * the one inserting into alert_groups; a later one may queue behind it on another lock.
     */
    async waiters(n: number, stop?: () => boolean): Promise<number[]> {
      for (let i = 0; i < 250; i++) {
        const { rows } = await watch.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1
              AND (query ILIKE 'insert into "alert_groups"%' OR $2)`,
          [lockPid, n > 1],
        );
        if (rows.length >= n || stop?.()) return rows.map((r) => r.pid);
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no ${n} intake transaction(s) waiting on alert_groups`);
    },
    cancel: (pid: number) => watch.query("SELECT pg_cancel_backend($1)", [pid]),
    release: () => lock.query("COMMIT"),
    async openIncidents(name: string): Promise<number> {
      const { rows } = await watch.query<{ n: string }>(
        "SELECT count(*) AS n FROM incidents WHERE title LIKE $1 || ': %' AND state = 'triage'",
        [name],
      );
      return Number(rows[0]?.n);
    },
  };
}

describe("the automation user that alert intake opens incidents as", () => {
  it("is not used by a concurrent transaction before the one that created it commits", async () => {
    const t = await freshApp();
    const a = await newService(t, "automation-a");
    const b = await newService(t, "automation-b");
    const held = await holdGroups(t.url);
    // The first incident from alerts: creates "@alerts", declares its incident, then waits.
    const first = trigger(t, a.integrationKey, "a-1");
    await held.waiters(1);
    // Another service's first alert, in a concurrent transaction of the same process.
    let settled = false;
    const second = trigger(t, b.integrationKey, "b-1").finally(() => {
      settled = true;
    });
    await held.waiters(2, () => settled);
    await held.release();
    const [r1, r2] = await Promise.all([first, second]);
    expect(r1.status).toBe(202);
    expect(r2.status, await r2.text()).toBe(202);
    expect(await held.openIncidents("automation-a")).toBe(1);
    expect(await held.openIncidents("automation-b")).toBe(1);
  });

  it("is still there after the transaction that first created it rolled back", async () => {
    const t = await freshApp();
    const a = await newService(t, "rollback-a");
    const b = await newService(t, "rollback-b");
    const held = await holdGroups(t.url);
    const first = trigger(t, a.integrationKey, "a-1");
    const [pid] = await held.waiters(1);
    // A transient failure (here a cancelled statement) rolls back the transaction that created it.
    await held.cancel(pid as number);
    // Not committed, so not accepted: the sender is told to retry.
    expect((await first).status).toBeGreaterThanOrEqual(500);
    await held.release();
    // Later alerts must still open their incident (and its page).
    const r2 = await trigger(t, b.integrationKey, "b-1");
    expect(r2.status, await r2.text()).toBe(202);
    expect(await held.openIncidents("rollback-b")).toBe(1);
  });
});
