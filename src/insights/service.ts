/** Insights (REV-4): read-only figures over incidents, pages, alerts, reviews and corrective actions. */
import type { Clock } from "../platform/clock.ts";
import type { Db } from "../platform/db.ts";
import { type Grouping, type Headline, type InsightsFilter, measures, share, type Viewer } from "./model.ts";
import * as store from "./store.ts";

/** The noisiest services and alerts shown: enough for a table, bounded for the query. */
export const NOISY_LIMIT = 20;

export function createInsights(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  async function headline(v: Viewer, f: InsightsFilter): Promise<Headline> {
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
  }

  return {
    headline,
    responseTimes: async (v: Viewer, f: InsightsFilter, by: Grouping) => {
      const [rows, histograms] = await Promise.all([
        store.responseTimes(db, v, f, by),
        store.histograms(db, v, f),
      ]);
      return { rows, histograms };
    },
    incidentsPerWeek: (v: Viewer, f: InsightsFilter) => store.incidentsPerWeek(db, v, f),
    reviews: (v: Viewer, f: InsightsFilter) => store.reviews(db, v, f, clock.now()),
    correctiveActions: (v: Viewer, f: InsightsFilter) => store.correctiveActions(db, v, f, clock.now()),
    onCallLoad: (v: Viewer, f: InsightsFilter) => store.onCallLoad(db, v, f),
    noisyServices: (v: Viewer, f: InsightsFilter) => store.noisyServices(db, v, f, NOISY_LIMIT),
    noisyAlerts: (v: Viewer, f: InsightsFilter) => store.noisyAlerts(db, v, f, NOISY_LIMIT),
    now: () => clock.now(),
  };
}

export type Insights = ReturnType<typeof createInsights>;
