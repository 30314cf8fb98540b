/**
 * Insights (issue 18, REV-4): whether the team gets better. Headline figures, then each table with
 * its chart, its numbers (a table under every chart) and a CSV export with the same filters.
 */
import { useQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { type ReactNode, useState } from "react";
import { type Measure, measureNames, measures } from "../../../../src/insights/model.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { csvHref, duration, type InsightsSearch, percent } from "../../lib/insights.ts";
import { BarChart, HorizontalBars } from "./Charts.tsx";
import { DataTable, Scroll } from "./DataTable.tsx";
import {
  correctiveQuery,
  type HeadlineView,
  headlineQuery,
  loadQuery,
  noisyAlertsQuery,
  noisyServicesQuery,
  responseTimesQuery,
  reviewsQuery,
  weeksQuery,
} from "./data.ts";
import { InsightsFilters } from "./Filters.tsx";
import "./insights.css";

const route = getRouteApi("/app/insights");
const short: Record<Measure, string> = { mttd: "MTTD", mtta: "MTTA", mttm: "MTTM", mttr: "MTTR" };

function Section({
  id,
  title,
  csv,
  children,
}: {
  id: string;
  title: string;
  csv?: { href: string; label: string }[];
  children: ReactNode;
}) {
  return (
    <section className="insights-section" aria-labelledby={id}>
      <div className="section-head">
        <h2 id={id}>{title}</h2>
        {csv?.map((c) => (
          <a key={c.href} className="button" href={c.href} download>
            {c.label}
          </a>
        ))}
      </div>
      {children}
    </section>
  );
}

function Cards({ h }: { h: HeadlineView }) {
  return (
    <dl className="insight-cards">
      <div>
        <dt>Incidents</dt>
        <dd>{h.incidents}</dd>
      </div>
      {measures.map((m) => (
        <div key={m}>
          <dt>
            <abbr title={measureNames[m]}>{short[m]}</abbr> (median)
          </dt>
          <dd>{duration(h.times[m].p50)}</dd>
          <dd className="hint">
            mean {duration(h.times[m].mean)}, p90 {duration(h.times[m].p90)}, {h.times[m].count} measured
          </dd>
        </div>
      ))}
      <div>
        <dt>Reviews on time</dt>
        <dd>{percent(h.reviews.onTimeShare)}</dd>
        <dd className="hint">
          {h.reviews.onTime} of {h.reviews.due} due; {h.reviews.overdue} overdue
        </dd>
      </div>
      <div>
        <dt>Corrective actions open</dt>
        <dd>{h.correctiveActions.open}</dd>
        <dd className="hint">{h.correctiveActions.overdue} overdue</dd>
      </div>
      <div>
        <dt>Pages</dt>
        <dd>{h.pages}</dd>
        <dd className="hint">
          {h.nightPages} at night, {h.weekendPages} on weekends
        </dd>
      </div>
      <div>
        <dt>Alerts per incident</dt>
        <dd>{h.alertsPerIncident === null ? "–" : h.alertsPerIncident.toFixed(1)}</dd>
        <dd className="hint">{h.alerts} alerts</dd>
      </div>
    </dl>
  );
}

export function Insights() {
  const search = route.useSearch();
  const headline = useQuery(headlineQuery(search));
  const h = headline.data;
  return (
    <div className="page insights">
      <div className="page-head">
        <h1>Insights</h1>
        <a className="button" href={csvHref("", search)} download>
          Export headline CSV
        </a>
      </div>
      <p className="hint">
        Incidents declared in the window (by default the last 90 days), merged duplicates counted once. Times
        are measured from the start of customer impact, or the declaration when no impact was recorded.
        {h ? ` Window: ${h.from.slice(0, 10)} to ${h.to.slice(0, 10)} (UTC).` : ""}
      </p>
      <InsightsFilters />
      <ErrorNote error={headline.error} />
      {headline.isPending ? <p aria-busy="true">Loading the figures…</p> : null}
      {h ? <Cards h={h} /> : null}
      <Weeks search={search} />
      <ResponseTimes search={search} />
      <Load search={search} />
      <Noise search={search} />
      <Reviews search={search} />
    </div>
  );
}

function Weeks({ search }: { search: InsightsSearch }) {
  const q = useQuery(weeksQuery(search));
  const weeks = q.data?.weeks ?? [];
  return (
    <Section
      id="insights-weeks"
      title="Incidents per week"
      csv={[{ href: csvHref("/incidents-per-week", search), label: "CSV" }]}
    >
      <ErrorNote error={q.error} />
      <BarChart
        description={`Incidents per week, ${weeks.length} weeks; the numbers are in the table below`}
        bars={weeks.map((w) => ({
          label: w.week.slice(5),
          value: w.incidents,
          title: `week of ${w.week}: ${w.incidents}`,
        }))}
      />
      <details>
        <summary>Incidents per week as a table</summary>
        <Scroll label="Incidents per week">
          <DataTable
            rows={weeks}
            rowKey={(w) => w.week}
            columns={[
              { header: "Week of (Monday, UTC)", cell: (w) => w.week },
              { header: "Incidents", cell: (w) => w.incidents },
            ]}
          />
        </Scroll>
      </details>
    </Section>
  );
}

function ResponseTimes({ search }: { search: InsightsSearch }) {
  const navigate = route.useNavigate();
  const q = useQuery(responseTimesQuery(search));
  const [measure, setMeasure] = useState<Measure>("mttr");
  const by = search.by ?? "severity";
  const r = q.data;
  return (
    <Section
      id="insights-times"
      title="Response times"
      csv={[{ href: csvHref("/response-times", search, { by }), label: "CSV" }]}
    >
      <ErrorNote error={q.error} />
      <div className="filter-row">
        <label>
          Group by
          <select
            value={by}
            onChange={(e) =>
              void navigate({
                search: (prev) => ({ ...prev, by: e.target.value as InsightsSearch["by"] }),
                replace: true,
              })
            }
          >
            <option value="severity">Severity</option>
            <option value="type">Type</option>
            <option value="service">Service</option>
            <option value="week">Week</option>
            <option value="month">Month</option>
          </select>
        </label>
        <label>
          Distribution of
          <select value={measure} onChange={(e) => setMeasure(e.target.value as Measure)}>
            {measures.map((m) => (
              <option key={m} value={m}>
                {measureNames[m]}
              </option>
            ))}
          </select>
        </label>
      </div>
      {r ? (
        <>
          <BarChart
            description={`How many incidents took how long: ${measureNames[measure]}; the numbers are in the table below`}
            bars={r.buckets.map((label, i) => ({ label, value: r.histograms[measure][i] ?? 0 }))}
          />
          <details>
            <summary>Distribution of {measureNames[measure]} as a table</summary>
            <DataTable
              rows={r.buckets.map((label, i) => ({ label, count: r.histograms[measure][i] ?? 0 }))}
              rowKey={(b) => b.label}
              columns={[
                { header: "Took", cell: (b) => b.label },
                { header: "Incidents", cell: (b) => b.count },
              ]}
            />
          </details>
          <Scroll label="Response times by group">
            <DataTable
              className="table insights-times"
              caption={`Median, 90th percentile, mean and count by ${by}`}
              captionHidden
              rows={r.rows}
              rowKey={(row) => row.group}
              columns={[
                { header: by[0]?.toUpperCase() + by.slice(1), cell: (row) => row.group, rowHeader: true },
                ...measures.map((m) => ({
                  header: (
                    <>
                      <abbr title={measureNames[m]}>{short[m]}</abbr> median / p90 / mean (n)
                    </>
                  ),
                  cell: (row: (typeof r.rows)[number]) =>
                    `${duration(row[m].p50)} / ${duration(row[m].p90)} / ${duration(row[m].mean)} (${row[m].count})`,
                })),
              ]}
            />
          </Scroll>
          {r.rows.length === 0 ? <p className="empty">No incidents match these filters.</p> : null}
        </>
      ) : null}
    </Section>
  );
}

function Load({ search }: { search: InsightsSearch }) {
  const q = useQuery(loadQuery(search));
  const rows = q.data?.rows ?? [];
  return (
    <Section
      id="insights-load"
      title="On-call load"
      csv={[{ href: csvHref("/on-call-load", search), label: "CSV" }]}
    >
      <ErrorNote error={q.error} />
      <p className="hint">
        Pages each person received; night is 22:00–07:00 and weekends are Saturday and Sunday in the
        escalation policy's time zone; hours interrupted are the clock hours with at least one page.
      </p>
      {rows.length ? (
        <HorizontalBars
          description="Pages per person; the numbers are in the table below"
          bars={rows.slice(0, 12).map((r) => ({ label: r.name || r.username, value: r.pages }))}
        />
      ) : (
        <p className="empty">Nobody was paged in this window.</p>
      )}
      {rows.length ? (
        <Scroll label="On-call load">
          <DataTable
            rows={rows}
            rowKey={(r) => r.userId}
            columns={[
              { header: "Person", cell: (r) => r.name || r.username, rowHeader: true },
              { header: "Pages", cell: (r) => r.pages },
              { header: "At night", cell: (r) => r.nightPages },
              { header: "On weekends", cell: (r) => r.weekendPages },
              { header: "Hours interrupted", cell: (r) => r.hoursInterrupted },
            ]}
          />
        </Scroll>
      ) : null}
    </Section>
  );
}

function Noise({ search }: { search: InsightsSearch }) {
  const services = useQuery(noisyServicesQuery(search));
  const alerts = useQuery(noisyAlertsQuery(search));
  const rows = services.data?.rows ?? [];
  return (
    <Section
      id="insights-noise"
      title="Noisiest services and alerts"
      csv={[
        { href: csvHref("/noisy-services", search), label: "Services CSV" },
        { href: csvHref("/noisy-alerts", search), label: "Alerts CSV" },
      ]}
    >
      <ErrorNote error={services.error ?? alerts.error} />
      {rows.length ? (
        <HorizontalBars
          description="Alerts per service; the numbers are in the table below"
          bars={rows.slice(0, 12).map((r) => ({ label: r.service, value: r.alerts }))}
        />
      ) : (
        <p className="empty">No alerts in this window.</p>
      )}
      {rows.length ? (
        <Scroll label="Noisiest services">
          <DataTable
            rows={rows}
            rowKey={(r) => r.serviceId}
            columns={[
              { header: "Service", cell: (r) => r.service, rowHeader: true },
              { header: "Alerts", cell: (r) => r.alerts },
              { header: "Times fired", cell: (r) => r.occurrences },
              { header: "Incidents", cell: (r) => r.incidents },
              {
                header: "Alerts per incident",
                cell: (r) => (r.alertsPerIncident === null ? "–" : r.alertsPerIncident.toFixed(1)),
              },
            ]}
          />
        </Scroll>
      ) : null}
      {alerts.data?.rows.length ? (
        <Scroll label="Noisiest alerts">
          <DataTable
            rows={alerts.data.rows}
            rowKey={(a) => `${a.serviceId}/${a.dedupKey}`}
            columns={[
              { header: "Alert", cell: (a) => a.summary, rowHeader: true },
              { header: "Service", cell: (a) => a.service },
              { header: "Times fired", cell: (a) => a.occurrences },
            ]}
          />
        </Scroll>
      ) : null}
    </Section>
  );
}

function Reviews({ search }: { search: InsightsSearch }) {
  const reviews = useQuery(reviewsQuery(search));
  const corrective = useQuery(correctiveQuery(search));
  return (
    <Section
      id="insights-reviews"
      title="Reviews and corrective actions"
      csv={[
        { href: csvHref("/reviews", search), label: "Reviews CSV" },
        { href: csvHref("/corrective-actions", search), label: "Actions CSV" },
      ]}
    >
      <ErrorNote error={reviews.error ?? corrective.error} />
      <Scroll label="Required reviews by severity">
        <DataTable
          caption="Required reviews"
          rows={reviews.data?.rows ?? []}
          rowKey={(r) => r.severity}
          columns={[
            { header: "Severity", cell: (r) => r.severity, rowHeader: true },
            { header: "Required", cell: (r) => r.required },
            { header: "Due", cell: (r) => r.due },
            { header: "On time", cell: (r) => r.onTime },
            { header: "Overdue", cell: (r) => r.overdue },
            { header: "Share on time", cell: (r) => percent(r.onTimeShare) },
          ]}
        />
      </Scroll>
      <Scroll label="Corrective actions by severity">
        <DataTable
          caption="Corrective actions"
          rows={corrective.data?.rows ?? []}
          rowKey={(r) => r.severity}
          columns={[
            { header: "Severity", cell: (r) => r.severity, rowHeader: true },
            { header: "Open", cell: (r) => r.open },
            { header: "Overdue", cell: (r) => r.overdue },
            { header: "Done", cell: (r) => r.done },
          ]}
        />
      </Scroll>
    </Section>
  );
}
