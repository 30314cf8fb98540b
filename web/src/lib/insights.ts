/**
 * The Insights screen's pure parts: its URL search (filters), the API query they make, durations
 * as people read them, and the scale of a bar chart.
 */
import type { Grouping } from "../../../src/insights/model.ts";

export type InsightsSearch = {
  /** First day counted (YYYY-MM-DD, UTC). */
  from?: string;
  /** Last day counted, inclusive (YYYY-MM-DD, UTC). */
  to?: string;
  severity?: string;
  type?: string;
  service?: number;
  by?: Exclude<Grouping, "all">;
};

const groupingsShown = ["severity", "type", "service", "week", "month"] as const;
const day = /^\d{4}-\d{2}-\d{2}$/;
const isDay = (v: unknown): v is string =>
  typeof v === "string" && day.test(v) && !Number.isNaN(Date.parse(v));

/** Keeps what the URL says that makes sense; a bad or old link shows the defaults. */
export function validateInsightsSearch(raw: Record<string, unknown>): InsightsSearch {
  const s: InsightsSearch = {};
  if (isDay(raw.from)) s.from = raw.from;
  if (isDay(raw.to)) s.to = raw.to;
  if (typeof raw.severity === "string" && raw.severity.length <= 64) s.severity = raw.severity;
  if (typeof raw.type === "string" && raw.type.length <= 64) s.type = raw.type;
  const service = Number(raw.service);
  if (Number.isSafeInteger(service) && service > 0) s.service = service;
  const by = groupingsShown.find((g) => g === raw.by);
  if (by) s.by = by;
  return s;
}

/** The API's filter for these days: from the first day's midnight (UTC) to the midnight after the last. */
export function apiQuery(s: InsightsSearch): Record<string, string | number | undefined> {
  const next = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString();
  return {
    from: s.from ? `${s.from}T00:00:00.000Z` : undefined,
    to: s.to ? next(s.to) : undefined,
    severity: s.severity,
    type: s.type,
    service: s.service,
  };
}

/** A link to a table's CSV with the same filters. */
export function csvHref(path: string, s: InsightsSearch, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...apiQuery(s), ...extra }))
    if (v !== undefined && v !== "") params.set(k, String(v));
  params.set("format", "csv");
  return `/api/v1/insights${path}?${params.toString()}`;
}

/** Seconds as a person reads a duration: "45 s", "12 min", "2 h 5 min", "3 d 4 h"; "–" for none. */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** A share as a percentage ("67 %"), "–" when nothing was due. */
export const percent = (v: number | null): string => (v === null ? "–" : `${Math.round(v * 100)} %`);

/** A "nice" top for a bar chart's axis at or above the largest value (1, 2, 5 × 10ⁿ). */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}
