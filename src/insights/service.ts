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
    const now = clock.now();
    const [incidents, times, reviews, corrective, load, alerts] = await Promise.all([
      store.incidentCount(db, v, f),
      store.responseTimes(db, v, f, "all"),
      store.reviews(db, v, f, now),
      store.correctiveActions(db, v, f, now),
      store.onCallLoad(db, v, f),
      store.alertTotals(db, v, f),
    ]);
    const all = times[0];
    const sum = <T>(rows: T[], pick: (r: T) => number) => rows.reduce((n, r) => n + pick(r), 0);
    const due = sum(reviews, (r) => r.due);
    const onTime = sum(reviews, (r) => r.onTime);
    return {
      from: f.from,
      to: f.to,
      incidents,
      times: Object.fromEntries(
        measures.map((m) => [m, all ? all[m] : { count: 0, mean: null, p50: null, p90: null }]),
      ) as Headline["times"],
      reviews: {
        required: sum(reviews, (r) => r.required),
        due,
        onTime,
        overdue: sum(reviews, (r) => r.overdue),
        onTimeShare: share(onTime, due),
      },
      correctiveActions: {
        open: sum(corrective, (r) => r.open),
        overdue: sum(corrective, (r) => r.overdue),
        done: sum(corrective, (r) => r.done),
      },
      pages: sum(load, (r) => r.pages),
      nightPages: sum(load, (r) => r.nightPages),
      weekendPages: sum(load, (r) => r.weekendPages),
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
