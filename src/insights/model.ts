/**
 * Insights (issue 18, REV-4): the figures that show whether the team gets better. Every figure is
 * computed in SQL (store.ts); this file holds their types, the filter's defaults and pure shaping
 * (CSV tables). Definitions are in docs/insights.md.
 */

/** Who asks: admins count every incident; anyone else private ones only where they take part (DATA-3). */
export type Viewer = { id: number; admin: boolean };

export type InsightsFilter = {
  /** Incidents declared (pages sent, alerts first seen) at or after this instant. */
  from: Date;
  /** …and before this one. */
  to: Date;
  severities?: string[];
  types?: string[];
  /** Service ids: only incidents their alerts opened or joined. */
  services?: number[];
};

/** Without `from`/`to`: the 90 days up to now. */
export const DEFAULT_WINDOW_DAYS = 90;
/** A window longer than this is refused: five years of weeks is already a long table. */
export const MAX_WINDOW_DAYS = 1830;

export const measures = ["mttd", "mtta", "mttm", "mttr"] as const;
export type Measure = (typeof measures)[number];

export const measureNames: Record<Measure, string> = {
  mttd: "time to detect",
  mtta: "time to acknowledge",
  mttm: "time to mitigate",
  mttr: "time to resolve",
};

export const groupings = ["all", "severity", "type", "service", "week", "month"] as const;
export type Grouping = (typeof groupings)[number];

/** Upper edges (seconds) of the histogram buckets: ≤5 min, ≤15 min, ≤30 min, ≤1 h, ≤4 h, ≤1 day, more. */
export const bucketEdges = [300, 900, 1800, 3600, 14_400, 86_400] as const;
export const bucketLabels = [
  "≤ 5 min",
  "≤ 15 min",
  "≤ 30 min",
  "≤ 1 h",
  "≤ 4 h",
  "≤ 1 day",
  "> 1 day",
] as const;

/** Mean and distribution of one measure, in seconds; null when no incident has it. */
export type Distribution = {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
};

export type ResponseTimesRow = { group: string } & Record<Measure, Distribution>;
/** Incidents per bucket, for each measure, in `bucketLabels` order. */
export type Histograms = Record<Measure, number[]>;

export type WeekCount = { week: string; incidents: number };

export type ReviewRow = {
  severity: string;
  /** Incidents of the window whose review the policy requires. */
  required: number;
  /** …of which completed, or past their due date: the share's denominator. */
  due: number;
  completed: number;
  onTime: number;
  overdue: number;
  /** onTime / due; null when nothing was due. */
  onTimeShare: number | null;
};

export type CorrectiveRow = { severity: string; open: number; overdue: number; done: number };

export type LoadRow = {
  userId: number;
  username: string;
  name: string;
  pages: number;
  nightPages: number;
  weekendPages: number;
  hoursInterrupted: number;
};

export type NoisyService = {
  serviceId: number;
  service: string;
  alerts: number;
  occurrences: number;
  incidents: number;
  /** alerts / incidents; null when the alerts opened no incident. */
  alertsPerIncident: number | null;
};

export type NoisyAlert = {
  serviceId: number;
  service: string;
  dedupKey: string;
  summary: string;
  occurrences: number;
  incidents: number;
};

export type Headline = {
  from: Date;
  to: Date;
  incidents: number;
  times: Record<Measure, Distribution>;
  reviews: { required: number; due: number; onTime: number; overdue: number; onTimeShare: number | null };
  correctiveActions: { open: number; overdue: number; done: number };
  pages: number;
  nightPages: number;
  weekendPages: number;
  alerts: number;
  alertsPerIncident: number | null;
};

/** The window asked for, or the default one ending now; a reason when it cannot be used. */
export function windowOf(
  now: Date,
  from: Date | undefined,
  to: Date | undefined,
): { from: Date; to: Date } | { problem: string } {
  const end = to ?? now;
  const start = from ?? new Date(end.getTime() - DEFAULT_WINDOW_DAYS * 86_400_000);
  if (start.getTime() >= end.getTime()) return { problem: "expected `from` before `to`" };
  if (end.getTime() - start.getTime() > MAX_WINDOW_DAYS * 86_400_000)
    return { problem: `expected a window of at most ${MAX_WINDOW_DAYS} days; narrow from/to` };
  return { from: start, to: end };
}

const DAY_MS = 86_400_000;

/**
 * How a window is read from the alert counts kept per UTC day: the whole days inside [from, to)
 * (`days`, null when none) from the kept counts, and the rest (`edges`: the part of a day before
 * the first whole one and after the last) from the alerts themselves. Together they cover the
 * window exactly once.
 */
export function alertDays(
  from: Date,
  to: Date,
): { days: { from: Date; to: Date } | null; edges: { from: Date; to: Date }[] } {
  const first = Math.ceil(from.getTime() / DAY_MS) * DAY_MS;
  const last = Math.floor(to.getTime() / DAY_MS) * DAY_MS;
  if (first >= last) return { days: null, edges: [{ from, to }] };
  const edges: { from: Date; to: Date }[] = [];
  if (from.getTime() < first) edges.push({ from, to: new Date(first) });
  if (last < to.getTime()) edges.push({ from: new Date(last), to });
  return { days: { from: new Date(first), to: new Date(last) }, edges };
}

/** The safe share of two counts: null when there is nothing to divide by. */
export const share = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

// -- CSV -----------------------------------------------------------------------------------------

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; a text a
 * spreadsheet would run as a formula gets a leading `'` (names of services and alerts are typed by
 * senders).
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A table as CSV: a header line of the columns, then one line per row, CRLF-separated. */
export function toCsv<T extends Record<string, unknown>>(
  columns: readonly (keyof T & string)[],
  rows: T[],
): string {
  const lines = [columns.join(",")];
  for (const r of rows) lines.push(columns.map((c) => csvField(r[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** Response times flattened: one column per measure and statistic. */
export function responseTimesCsv(rows: ResponseTimesRow[]): string {
  const flat = rows.map((r) => {
    const o: Record<string, unknown> = { group: r.group };
    for (const m of measures) {
      o[`${m}_count`] = r[m].count;
      o[`${m}_mean_seconds`] = r[m].mean;
      o[`${m}_p50_seconds`] = r[m].p50;
      o[`${m}_p90_seconds`] = r[m].p90;
    }
    return o;
  });
  const columns = [
    "group",
    ...measures.flatMap((m) =>
      ["count", "mean_seconds", "p50_seconds", "p90_seconds"].map((s) => `${m}_${s}`),
    ),
  ];
  return toCsv(columns, flat);
}

/** The headline as `figure,value` lines. */
export function headlineCsv(h: Headline): string {
  const rows: { figure: string; value: unknown }[] = [
    { figure: "from", value: h.from },
    { figure: "to", value: h.to },
    { figure: "incidents", value: h.incidents },
  ];
  for (const m of measures)
    for (const s of ["count", "mean", "p50", "p90"] as const)
      rows.push({ figure: s === "count" ? `${m}_count` : `${m}_${s}_seconds`, value: h.times[m][s] });
  rows.push(
    { figure: "reviews_required", value: h.reviews.required },
    { figure: "reviews_due", value: h.reviews.due },
    { figure: "reviews_on_time", value: h.reviews.onTime },
    { figure: "reviews_overdue", value: h.reviews.overdue },
    { figure: "reviews_on_time_share", value: h.reviews.onTimeShare },
    { figure: "corrective_actions_open", value: h.correctiveActions.open },
    { figure: "corrective_actions_overdue", value: h.correctiveActions.overdue },
    { figure: "corrective_actions_done", value: h.correctiveActions.done },
    { figure: "pages", value: h.pages },
    { figure: "night_pages", value: h.nightPages },
    { figure: "weekend_pages", value: h.weekendPages },
    { figure: "alerts", value: h.alerts },
    { figure: "alerts_per_incident", value: h.alertsPerIncident },
  );
  return toCsv(["figure", "value"], rows);
}
