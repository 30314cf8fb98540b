/**
 * What the replicas bench observes besides the load: PostgreSQL's client backends by state and wait
 * event (sampled during each measured window), and the SQL checks of what each shape stored.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type pg from "pg";
import { openStates } from "../../src/incidents/model.ts";
import type { Service } from "./load.ts";

/** pg_stat_activity is sampled this often during each measured window. */
export const SAMPLE_MS = 100;

const sleep = (msec: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, msec)));

// -- what PostgreSQL's backends were doing ---------------------------------------------------------

export type Activity = {
  samples: number;
  /** Mean client backends of this database in each state over the samples. */
  mean: Record<string, number>;
  /** The most common wait events of active backends, mean backends each. */
  waits: [string, number][];
  /** Mean runnable tasks on the machine (/proc/loadavg's fourth field, minus the sampler). */
  runnable: number;
};

/** Samples pg_stat_activity (grouped in SQL, so the sampler stays cheap) and the run queue. */
export function sampleActivity(pool: pg.Pool, from: number, until: number): Promise<Activity> {
  const counts: Record<string, number> = {};
  const waits = new Map<string, number>();
  let samples = 0;
  let runnable = 0;
  const categorise = (state: string, type: string | null, event: string | null): string => {
    if (state === "idle") return "idle";
    if (state.startsWith("idle in transaction")) return "in a transaction, waiting on its replica";
    if (type === null) return "running (on CPU or runnable)";
    if (type === "Lock") return "waiting on a lock";
    if (event === "WALWrite" || event === "WALSync" || event === "WALInsert" || type === "IO")
      return "writing or flushing WAL / IO";
    return `waiting: ${type}`;
  };
  return (async () => {
    await sleep(from - performance.now());
    while (performance.now() < until) {
      const t = performance.now();
      const { rows } = await pool.query<{
        state: string;
        type: string | null;
        event: string | null;
        n: number;
      }>(
        `SELECT coalesce(state, '') AS state, wait_event_type AS type, wait_event AS event, count(*)::int AS n
           FROM pg_stat_activity
          WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
          GROUP BY 1, 2, 3`,
      );
      samples++;
      for (const r of rows) {
        const c = categorise(r.state, r.type, r.event);
        counts[c] = (counts[c] ?? 0) + r.n;
        if (r.state === "active" && r.type !== null) {
          const w = `${r.type}:${r.event}`;
          waits.set(w, (waits.get(w) ?? 0) + r.n);
        }
      }
      try {
        const la = readFileSync("/proc/loadavg", "utf8").split(" ")[3] ?? "1/0";
        runnable += Math.max(0, Number(la.split("/")[0]) - 1);
      } catch {
        // not Linux
      }
      await sleep(SAMPLE_MS - (performance.now() - t));
    }
    const per = (n: number) => (samples ? n / samples : 0);
    return {
      samples,
      mean: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, per(v)])),
      waits: [...waits.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([k, v]) => [k, per(v)]),
      runnable: per(runnable),
    };
  })();
}

// -- checks through SQL ----------------------------------------------------------------------------

export async function check(pool: pg.Pool, services: Service[]) {
  const ids = services.map((s) => s.id);
  const stored = (
    await pool.query<{ alerts: number; occurrences: string; ungrouped: number; transactions: number }>(
      `SELECT count(*)::int AS alerts, coalesce(sum(occurrences), 0)::text AS occurrences,
              count(*) FILTER (WHERE group_id IS NULL)::int AS ungrouped,
              count(DISTINCT first_seen_at)::int AS transactions
         FROM alerts WHERE service_id = ANY ($1::bigint[])`,
      [ids],
    )
  ).rows[0] ?? { alerts: 0, occurrences: "0", ungrouped: 0, transactions: 0 };
  const { rows } = await pool.query<{ open: number; pages: number }>(
    `SELECT (SELECT count(*) FROM incidents i
              WHERE i.title LIKE s.name || ': %' AND i.state = ANY ($2::text[]))::int AS open,
            (SELECT count(*) FROM pages p JOIN incidents i ON i.id = p.incident_id
              WHERE i.title LIKE s.name || ': %')::int AS pages
       FROM services s WHERE s.id = ANY ($1::bigint[])`,
    [ids, [...openStates]],
  );
  return {
    ...stored,
    occurrences: Number(stored.occurrences),
    services: rows.length,
    maxOpenIncidents: Math.max(0, ...rows.map((r) => r.open)),
    maxPages: Math.max(0, ...rows.map((r) => r.pages)),
    servicesWithIncident: rows.filter((r) => r.open > 0).length,
  };
}
