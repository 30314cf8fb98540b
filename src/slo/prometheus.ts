/**
 * A client of Prometheus's HTTP API (`GET /api/v1/query_range`), through the guarded outbound
 * client: PROMETHEUS_URL is the operator's setting, so its host is the one internal host these
 * requests may reach (see app.ts). Only what judging needs is read: one series' samples.
 */
import type { GuardedFetch } from "../platform/outbound.ts";
import type { Sample } from "./model.ts";

export type RangeAnswer = { ok: true; samples: Sample[] } | { ok: false; reason: string };

export type Prometheus = {
  /** The samples of `query` from `start` to `end` every `stepMs`; one series, or why not. */
  queryRange(query: string, start: Date, end: Date, stepMs: number): Promise<RangeAnswer>;
};

type ApiAnswer = {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: { metric?: Record<string, string>; values?: [number, string][] }[] };
};

export function createPrometheus(opts: { url: string; fetch: GuardedFetch; timeoutMs?: number }): Prometheus {
  const base = opts.url.replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    async queryRange(query, start, end, stepMs) {
      const params = new URLSearchParams({
        query,
        start: (start.getTime() / 1000).toFixed(3),
        end: (end.getTime() / 1000).toFixed(3),
        step: (stepMs / 1000).toFixed(3),
      });
      let res: Response;
      try {
        res = await opts.fetch(`${base}/api/v1/query_range?${params}`, {
          headers: { accept: "application/json" },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        const why = err instanceof Error ? err.message.replace(/^fetch failed: /, "") : String(err);
        return { ok: false, reason: `Prometheus at ${base} did not answer: ${why}` };
      }
      let body: ApiAnswer;
      try {
        body = (await res.json()) as ApiAnswer;
      } catch {
        return { ok: false, reason: `Prometheus answered ${res.status} without JSON` };
      }
      if (body.status !== "success")
        return {
          ok: false,
          reason: `Prometheus refused the query (${res.status} ${body.errorType ?? ""}): ${body.error ?? "no reason given"}`,
        };
      if (body.data?.resultType !== "matrix")
        return { ok: false, reason: `expected a range vector, got ${body.data?.resultType ?? "nothing"}` };
      const series = body.data.result ?? [];
      if (series.length > 1)
        return {
          ok: false,
          reason: `the query returns ${series.length} series; an objective needs one (aggregate it, e.g. with sum(...))`,
        };
      const values = series[0]?.values ?? [];
      return { ok: true, samples: values.map(([t, v]) => [Math.round(t * 1000), Number(v)] as const) };
    },
  };
}
