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

/** A table in a region that scrolls sideways on a phone, reachable by keyboard. */
function Scroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region needs focus to scroll by keyboard
    <section className="insights-scroll" tabIndex={0} aria-label={label}>
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
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Week of (Monday, UTC)</th>
                <th scope="col">Incidents</th>
              </tr>
            </thead>
            <tbody>
              {weeks.map((w) => (
                <tr key={w.week}>
                  <td>{w.week}</td>
                  <td>{w.incidents}</td>
                </tr>
              ))}
            </tbody>
          </table>
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
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Took</th>
                  <th scope="col">Incidents</th>
                </tr>
              </thead>
              <tbody>
                {r.buckets.map((label, i) => (
                  <tr key={label}>
                    <td>{label}</td>
                    <td>{r.histograms[measure][i] ?? 0}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
          <Scroll label="Response times by group">
            <table className="table insights-times">
              <caption className="visually-hidden">Median, 90th percentile, mean and count by {by}</caption>
              <thead>
                <tr>
                  <th scope="col">{by[0]?.toUpperCase() + by.slice(1)}</th>
                  {measures.map((m) => (
                    <th key={m} scope="col">
                      <abbr title={measureNames[m]}>{short[m]}</abbr> median / p90 / mean (n)
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {r.rows.map((row) => (
                  <tr key={row.group}>
                    <th scope="row">{row.group}</th>
                    {measures.map((m) => (
                      <td key={m}>
                        {duration(row[m].p50)} / {duration(row[m].p90)} / {duration(row[m].mean)} (
                        {row[m].count})
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
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
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Pages</th>
                <th scope="col">At night</th>
                <th scope="col">On weekends</th>
                <th scope="col">Hours interrupted</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.userId}>
                  <th scope="row">{r.name || r.username}</th>
                  <td>{r.pages}</td>
                  <td>{r.nightPages}</td>
                  <td>{r.weekendPages}</td>
                  <td>{r.hoursInterrupted}</td>
                </tr>
              ))}
            </tbody>
          </table>
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
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Alerts</th>
                <th scope="col">Times fired</th>
                <th scope="col">Incidents</th>
                <th scope="col">Alerts per incident</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.serviceId}>
                  <th scope="row">{r.service}</th>
                  <td>{r.alerts}</td>
                  <td>{r.occurrences}</td>
                  <td>{r.incidents}</td>
                  <td>{r.alertsPerIncident === null ? "–" : r.alertsPerIncident.toFixed(1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      ) : null}
      {alerts.data?.rows.length ? (
        <Scroll label="Noisiest alerts">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Alert</th>
                <th scope="col">Service</th>
                <th scope="col">Times fired</th>
              </tr>
            </thead>
            <tbody>
              {alerts.data.rows.map((a) => (
                <tr key={`${a.serviceId}/${a.dedupKey}`}>
                  <th scope="row">{a.summary}</th>
                  <td>{a.service}</td>
                  <td>{a.occurrences}</td>
                </tr>
              ))}
            </tbody>
          </table>
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
        <table className="table">
          <caption>Required reviews</caption>
          <thead>
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">Required</th>
              <th scope="col">Due</th>
              <th scope="col">On time</th>
              <th scope="col">Overdue</th>
              <th scope="col">Share on time</th>
            </tr>
          </thead>
          <tbody>
            {(reviews.data?.rows ?? []).map((r) => (
              <tr key={r.severity}>
                <th scope="row">{r.severity}</th>
                <td>{r.required}</td>
                <td>{r.due}</td>
                <td>{r.onTime}</td>
                <td>{r.overdue}</td>
                <td>{percent(r.onTimeShare)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
      <Scroll label="Corrective actions by severity">
        <table className="table">
          <caption>Corrective actions</caption>
          <thead>
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">Open</th>
              <th scope="col">Overdue</th>
              <th scope="col">Done</th>
            </tr>
          </thead>
          <tbody>
            {(corrective.data?.rows ?? []).map((r) => (
              <tr key={r.severity}>
                <th scope="row">{r.severity}</th>
                <td>{r.open}</td>
                <td>{r.overdue}</td>
                <td>{r.done}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    </Section>
  );
}
