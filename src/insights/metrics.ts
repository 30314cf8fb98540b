/**
 * Prometheus gauges for the headline figures over the last 30 days, as an admin counts them (every
 * incident, none named). They are read from a snapshot refreshed at most once a minute, when
 * /metrics is scraped: a scrape costs the insights queries at most once per minute, however often
 * Prometheus (or several) scrapes, and nothing runs between scrapes.
 */
import { Gauge, type Registry } from "prom-client";
import { type Headline, measures } from "./model.ts";
import type { Insights } from "./service.ts";

export const METRICS_WINDOW_DAYS = 30;
export const METRICS_MAX_AGE_MS = 60_000;

export function registerInsightsMetrics(registry: Registry, insights: Insights) {
  let snapshot: { at: number; headline: Headline } | null = null;
  let pending: Promise<Headline | null> | null = null;

  /**
   * The snapshot, refreshed when older than a minute; when the refresh fails (the database is
   * down), the last one or none: a failing insights query must not take the other metrics down.
   */
  async function current(): Promise<Headline | null> {
    const now = insights.now();
    if (snapshot && now.getTime() - snapshot.at < METRICS_MAX_AGE_MS) return snapshot.headline;
    // Concurrent scrapes share one refresh.
    pending ??= insights
      .headline(
        { id: 0, admin: true },
        { from: new Date(now.getTime() - METRICS_WINDOW_DAYS * 86_400_000), to: now },
      )
      .then(
        (headline) => {
          snapshot = { at: now.getTime(), headline };
          return headline;
        },
        () => snapshot?.headline ?? null,
      )
      .finally(() => {
        pending = null;
      });
    return pending;
  }

  const window = `the last ${METRICS_WINDOW_DAYS} days`;
  new Gauge({
    name: "firebreak_insights_response_seconds",
    help: `Time to detect, acknowledge, mitigate and resolve incidents declared in ${window} (docs/insights.md): mean, p50, p90`,
    labelNames: ["measure", "stat"],
    registers: [registry],
    async collect() {
      const h = await current();
      this.reset();
      if (!h) return;
      for (const m of measures)
        for (const stat of ["mean", "p50", "p90"] as const) {
          const v = h.times[m][stat];
          if (v !== null) this.set({ measure: m, stat }, v);
        }
    },
  });
  const gauge = (name: string, help: string, read: (h: Headline) => number | null) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const h = await current();
        const v = h ? read(h) : null;
        this.reset();
        if (v !== null) this.set(v);
      },
    });
  gauge(
    "firebreak_insights_incidents",
    `Incidents declared in ${window} (merged duplicates counted once)`,
    (h) => h.incidents,
  );
  gauge(
    "firebreak_insights_reviews_on_time_ratio",
    `Share of required reviews due for incidents of ${window} that were completed by their due date`,
    (h) => h.reviews.onTimeShare,
  );
  gauge(
    "firebreak_insights_corrective_actions_open",
    `Open corrective actions of incidents of ${window}`,
    (h) => h.correctiveActions.open,
  );
  gauge(
    "firebreak_insights_corrective_actions_overdue",
    `Open corrective actions past their due date, of incidents of ${window}`,
    (h) => h.correctiveActions.overdue,
  );
  gauge(
    "firebreak_insights_pages",
    `Pages received by people in ${window} (a page counted once per person)`,
    (h) => h.pages,
  );
  gauge(
    "firebreak_insights_night_pages",
    `Pages received at night (22:00–07:00) in ${window}`,
    (h) => h.nightPages,
  );
  gauge(
    "firebreak_insights_alerts_per_incident",
    `Alerts first seen in ${window} per incident they opened or joined`,
    (h) => h.alertsPerIncident,
  );
}
