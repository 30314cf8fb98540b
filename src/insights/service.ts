/** Insights (REV-4): read-only figures over incidents, pages, alerts, reviews and corrective actions. */
import type { Clock } from "../platform/clock.ts";
import type { Db } from "../platform/db.ts";
import type { Logger } from "../platform/logger.ts";
import { type Grouping, type Headline, type InsightsFilter, measures, share, type Viewer } from "./model.ts";
import * as store from "./store.ts";

/** The noisiest services and alerts shown: enough for a table, bounded for the query. */
export const NOISY_LIMIT = 20;

/** How often each replica recomputes the figures rows that commands marked stale (migration 0032). */
export const REFRESH_EVERY_MS = 1_000;

export function createInsights(deps: { db: Db; clock: Clock; log: Logger }) {
  const { db, clock, log } = deps;

  /**
   * Runs a read after recomputing the stale figures rows: a reader sees every change committed
   * before it asked, however far behind the background refresh is.
   */
  const fresh =
    <A extends unknown[], R>(read: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await store.drain(db);
      return read(...args);
    };

  const headline = fresh(async (v: Viewer, f: InsightsFilter): Promise<Headline> => {
    const [totals, pages, alerts] = await Promise.all([
      store.incidentTotals(db, v, f, clock.now()),
      store.pageTotals(db, v, f),
      store.alertTotals(db, v, f),
    ]);
    return {
      from: f.from,
      to: f.to,
      incidents: totals.incidents,
      times: Object.fromEntries(measures.map((m) => [m, totals.times[m]])) as Headline["times"],
      reviews: totals.reviews,
      correctiveActions: totals.correctiveActions,
      ...pages,
      alerts: alerts.alerts,
      alertsPerIncident: share(alerts.alerts, alerts.incidents),
    };
  });

  return {
    headline,
    responseTimes: fresh(async (v: Viewer, f: InsightsFilter, by: Grouping) => {
      const [rows, histograms] = await Promise.all([
        store.responseTimes(db, v, f, by),
        store.histograms(db, v, f),
      ]);
      return { rows, histograms };
    }),
    incidentsPerWeek: fresh((v: Viewer, f: InsightsFilter) => store.incidentsPerWeek(db, v, f)),
    reviews: fresh((v: Viewer, f: InsightsFilter) => store.reviews(db, v, f, clock.now())),
    correctiveActions: fresh((v: Viewer, f: InsightsFilter) =>
      store.correctiveActions(db, v, f, clock.now()),
    ),
    onCallLoad: fresh((v: Viewer, f: InsightsFilter) => store.onCallLoad(db, v, f)),
    noisyServices: fresh((v: Viewer, f: InsightsFilter) => store.noisyServices(db, v, f, NOISY_LIMIT)),
    noisyAlerts: fresh((v: Viewer, f: InsightsFilter) => store.noisyAlerts(db, v, f, NOISY_LIMIT)),
    now: () => clock.now(),

    /** Recomputes the stale figures rows now; how many changes it took in. */
    refresh: () => store.drain(db),

    /**
     * Recomputes the stale figures rows every `everyMs` (0: never), off every command's request
     * path. Returns the stop, which waits for a refresh under way (the pool closes after it).
     */
    startRefreshing(everyMs: number): () => Promise<void> {
      if (everyMs <= 0) return async () => undefined;
      let running: Promise<unknown> | null = null;
      // Logged once per outage, not every second of it.
      let failing = false;
      const timer = setInterval(() => {
        running ??= store
          .drain(db)
          .then(
            () => {
              failing = false;
            },
            (err: unknown) => {
              if (!failing)
                log.warn({ err }, "refreshing the insights figures failed; retrying every second");
              failing = true;
            },
          )
          .finally(() => {
            running = null;
          });
      }, everyMs);
      timer.unref();
      return async () => {
        clearInterval(timer);
        await running;
      };
    },
  };
}

export type Insights = ReturnType<typeof createInsights>;
