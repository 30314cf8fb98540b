/** What the Insights screen reads from GET /api/v1/insights and the routes under it. */
import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import type {
  CorrectiveRow,
  Headline,
  Histograms,
  LoadRow,
  NoisyAlert,
  NoisyService,
  ResponseTimesRow,
  ReviewRow,
  WeekCount,
} from "../../../../src/insights/model.ts";
import { api, withQuery } from "../../api/client.ts";
import { apiQuery, type InsightsSearch } from "../../lib/insights.ts";

type Window = { from: string; to: string };
export type HeadlineView = Omit<Headline, "from" | "to"> & Window;
export type ResponseTimesView = Window & {
  by: string;
  rows: ResponseTimesRow[];
  buckets: string[];
  histograms: Histograms;
};
type Rows<T> = Window & { rows: T[] };

const read = <T>(path: string, s: InsightsSearch, extra: Record<string, string> = {}) =>
  queryOptions({
    queryKey: ["insights", path, s, extra] as const,
    queryFn: () => api<T>("GET", withQuery(`/insights${path}`, { ...apiQuery(s), ...extra })),
    // A new filter keeps the figures shown until the new ones arrive, instead of emptying the screen.
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });

export const headlineQuery = (s: InsightsSearch) => read<HeadlineView>("", s);
export const responseTimesQuery = (s: InsightsSearch) =>
  read<ResponseTimesView>("/response-times", s, { by: s.by ?? "severity" });
export const weeksQuery = (s: InsightsSearch) =>
  read<Window & { weeks: WeekCount[] }>("/incidents-per-week", s);
export const loadQuery = (s: InsightsSearch) => read<Rows<LoadRow>>("/on-call-load", s);
export const noisyServicesQuery = (s: InsightsSearch) => read<Rows<NoisyService>>("/noisy-services", s);
export const noisyAlertsQuery = (s: InsightsSearch) => read<Rows<NoisyAlert>>("/noisy-alerts", s);
export const reviewsQuery = (s: InsightsSearch) => read<Rows<ReviewRow>>("/reviews", s);
export const correctiveQuery = (s: InsightsSearch) => read<Rows<CorrectiveRow>>("/corrective-actions", s);
