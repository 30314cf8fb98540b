/**
 * HTTP for insights: `GET /api/v1/insights` (headline figures) and one route per table under it,
 * each as JSON or — with `?format=csv` or `Accept: text/csv` — as CSV.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import { invalid } from "../platform/errors.ts";
import type { App } from "../platform/http.ts";
import {
  bucketLabels,
  groupings,
  headlineCsv,
  type InsightsFilter,
  measures,
  responseTimesCsv,
  toCsv,
  type Viewer,
  windowOf,
} from "./model.ts";
import type { Insights } from "./service.ts";

const tags = ["insights"];

const list = z
  .string()
  .max(2000)
  .optional()
  .transform((v) => (v ? v.split(",").filter(Boolean) : undefined));

const filterQuery = z
  .object({
    from: z.iso
      .datetime({ offset: true })
      .optional()
      .describe(
        "incidents declared (pages sent, alerts first seen) at or after this time; default: `to` minus 90 days",
      ),
    to: z.iso.datetime({ offset: true }).optional().describe("…and before this time; default: now"),
    severity: list.describe("comma-separated severities"),
    type: list.describe("comma-separated incident types"),
    service: z
      .string()
      .max(2000)
      .optional()
      .transform((v, ctx) => {
        if (!v) return undefined;
        const ids = v.split(",").filter(Boolean).map(Number);
        if (ids.some((n) => !Number.isSafeInteger(n) || n <= 0)) {
          ctx.addIssue({ code: "custom", message: "expected comma-separated service ids" });
          return z.NEVER;
        }
        return ids;
      })
      .describe("comma-separated service ids: incidents their alerts opened or joined"),
    format: z.enum(["json", "csv"]).optional().describe("csv: the table as CSV (as does `Accept: text/csv`)"),
  })
  .strict();

type FilterQuery = z.infer<typeof filterQuery>;

const distribution = z.object({
  count: z.number().describe("incidents measured"),
  mean: z.number().nullable().describe("seconds"),
  p50: z.number().nullable().describe("seconds (median)"),
  p90: z.number().nullable().describe("seconds"),
});
const times = z.object(
  Object.fromEntries(measures.map((m) => [m, distribution])) as Record<
    (typeof measures)[number],
    typeof distribution
  >,
);
const window = { from: z.string(), to: z.string() };

const headlineSchema = z.object({
  ...window,
  incidents: z.number(),
  times,
  reviews: z.object({
    required: z.number(),
    due: z.number(),
    onTime: z.number(),
    overdue: z.number(),
    onTimeShare: z.number().nullable(),
  }),
  correctiveActions: z.object({ open: z.number(), overdue: z.number(), done: z.number() }),
  pages: z.number(),
  nightPages: z.number(),
  weekendPages: z.number(),
  alerts: z.number(),
  alertsPerIncident: z.number().nullable(),
});

const schemas = {
  responseTimes: z.object({
    ...window,
    by: z.enum(groupings),
    rows: z.array(times.extend({ group: z.string() })),
    buckets: z.array(z.string()).describe("histogram bucket labels, in order"),
    histograms: z.object(
      Object.fromEntries(measures.map((m) => [m, z.array(z.number())])) as Record<
        (typeof measures)[number],
        z.ZodArray<z.ZodNumber>
      >,
    ),
  }),
  weeks: z.object({ ...window, weeks: z.array(z.object({ week: z.string(), incidents: z.number() })) }),
  reviews: z.object({
    ...window,
    rows: z.array(
      z.object({
        severity: z.string(),
        required: z.number(),
        due: z.number(),
        completed: z.number(),
        onTime: z.number(),
        overdue: z.number(),
        onTimeShare: z.number().nullable(),
      }),
    ),
  }),
  corrective: z.object({
    ...window,
    rows: z.array(
      z.object({ severity: z.string(), open: z.number(), overdue: z.number(), done: z.number() }),
    ),
  }),
  load: z.object({
    ...window,
    rows: z.array(
      z.object({
        userId: z.number(),
        username: z.string(),
        name: z.string(),
        pages: z.number(),
        nightPages: z.number(),
        weekendPages: z.number(),
        hoursInterrupted: z.number(),
      }),
    ),
  }),
  noisyServices: z.object({
    ...window,
    rows: z.array(
      z.object({
        serviceId: z.number(),
        service: z.string(),
        alerts: z.number(),
        occurrences: z.number(),
        incidents: z.number(),
        alertsPerIncident: z.number().nullable(),
      }),
    ),
  }),
  noisyAlerts: z.object({
    ...window,
    rows: z.array(
      z.object({
        serviceId: z.number(),
        service: z.string(),
        dedupKey: z.string(),
        summary: z.string(),
        occurrences: z.number(),
        incidents: z.number(),
      }),
    ),
  }),
};

function viewerOf(req: FastifyRequest): Viewer {
  const actor = actorOf(req);
  return { id: actor.id, admin: actor.role === "admin" };
}

function filterOf(q: FilterQuery, now: Date): InsightsFilter {
  const w = windowOf(now, q.from ? new Date(q.from) : undefined, q.to ? new Date(q.to) : undefined);
  if ("problem" in w) throw invalid("from", w.problem);
  return { ...w, severities: q.severity, types: q.type, services: q.service };
}

const wantsCsv = (req: FastifyRequest, q: FilterQuery) =>
  q.format === "csv" || (q.format === undefined && /\btext\/csv\b/.test(req.headers.accept ?? ""));

/** Answers CSV (the JSON schema describes the default format; this bypasses its serializer). */
function sendCsv(reply: FastifyReply, name: string, text: string) {
  return reply
    .type("text/csv; charset=utf-8")
    .header("content-disposition", `attachment; filename="firebreak-insights-${name}.csv"`)
    .header("cache-control", "no-store")
    .send(text as never);
}

const csvNote = " `format=csv` (or `Accept: text/csv`) answers the table as CSV.";

export function insightsRoutes(insights: Insights) {
  return async (app: App) => {
    /** One table route: JSON by default, CSV when asked; the rows come from `read`. */
    function table<Row extends Record<string, unknown>>(
      path: string,
      name: string,
      summary: string,
      response: z.ZodType,
      read: (v: Viewer, f: InsightsFilter) => Promise<Row[]>,
      columns: readonly (keyof Row & string)[],
    ) {
      app.get(
        path,
        {
          schema: {
            tags,
            summary,
            description: `Filters as on GET /insights.${csvNote}`,
            querystring: filterQuery,
            response: { 200: response },
          },
        },
        async (req, reply) => {
          const f = filterOf(req.query as FilterQuery, insights.now());
          const rows = await read(viewerOf(req), f);
          if (wantsCsv(req, req.query as FilterQuery)) return sendCsv(reply, name, toCsv(columns, rows));
          return { from: f.from.toISOString(), to: f.to.toISOString(), rows };
        },
      );
    }

    app.get(
      "/insights",
      {
        schema: {
          tags,
          summary:
            "Headline figures: MTTD, MTTA, MTTM, MTTR, reviews on time, corrective actions, pages, alerts (REV-4)",
          description: `Incidents declared within [from, to) that you may see (admins: all; others: public ones and private ones they take part in, DATA-3); a merged duplicate counts as its primary. Times in seconds. Definitions: docs/insights.md.${csvNote}`,
          querystring: filterQuery,
          response: { 200: headlineSchema },
        },
      },
      async (req, reply) => {
        const f = filterOf(req.query, insights.now());
        const h = await insights.headline(viewerOf(req), f);
        if (wantsCsv(req, req.query)) return sendCsv(reply, "headline", headlineCsv(h));
        return { ...h, from: h.from.toISOString(), to: h.to.toISOString() };
      },
    );

    app.get(
      "/insights/response-times",
      {
        schema: {
          tags,
          summary:
            "MTTD, MTTA, MTTM and MTTR: mean, median, 90th percentile and count, grouped, with histograms",
          description: `\`by\`: all, severity, type, service, week or month (UTC). Histograms cover the whole window.${csvNote}`,
          querystring: filterQuery.extend({ by: z.enum(groupings).default("all") }),
          response: { 200: schemas.responseTimes },
        },
      },
      async (req, reply) => {
        const f = filterOf(req.query, insights.now());
        const r = await insights.responseTimes(viewerOf(req), f, req.query.by);
        if (wantsCsv(req, req.query))
          return sendCsv(reply, `response-times-by-${req.query.by}`, responseTimesCsv(r.rows));
        return {
          from: f.from.toISOString(),
          to: f.to.toISOString(),
          by: req.query.by,
          rows: r.rows,
          buckets: [...bucketLabels],
          histograms: r.histograms,
        };
      },
    );

    app.get(
      "/insights/incidents-per-week",
      {
        schema: {
          tags,
          summary: "Incidents declared per week (weeks start on Monday, UTC; empty weeks included)",
          description: `Filters as on GET /insights.${csvNote}`,
          querystring: filterQuery,
          response: { 200: schemas.weeks },
        },
      },
      async (req, reply) => {
        const f = filterOf(req.query, insights.now());
        const weeks = await insights.incidentsPerWeek(viewerOf(req), f);
        if (wantsCsv(req, req.query))
          return sendCsv(reply, "incidents-per-week", toCsv(["week", "incidents"], weeks));
        return { from: f.from.toISOString(), to: f.to.toISOString(), weeks };
      },
    );

    table(
      "/insights/reviews",
      "reviews",
      "Required post-incident reviews by severity: due, done on time, overdue, and the on-time share (REV-1)",
      schemas.reviews,
      insights.reviews,
      ["severity", "required", "due", "completed", "onTime", "overdue", "onTimeShare"],
    );
    table(
      "/insights/corrective-actions",
      "corrective-actions",
      "Corrective actions (FU-2) of the window's incidents by severity: open, overdue and done",
      schemas.corrective,
      insights.correctiveActions,
      ["severity", "open", "overdue", "done"],
    );
    table(
      "/insights/on-call-load",
      "on-call-load",
      "Pages each person received, at night (22:00–07:00) and on weekends (the escalation policy's time zone), and hours interrupted",
      schemas.load,
      insights.onCallLoad,
      ["userId", "username", "name", "pages", "nightPages", "weekendPages", "hoursInterrupted"],
    );
    table(
      "/insights/noisy-services",
      "noisy-services",
      "The services sending the most alerts, with the incidents those alerts opened or joined and the alert-to-incident ratio",
      schemas.noisyServices,
      insights.noisyServices,
      ["serviceId", "service", "alerts", "occurrences", "incidents", "alertsPerIncident"],
    );
    table(
      "/insights/noisy-alerts",
      "noisy-alerts",
      "The alerts that fired most often (one per service and dedup key)",
      schemas.noisyAlerts,
      insights.noisyAlerts,
      ["serviceId", "service", "dedupKey", "summary", "occurrences", "incidents"],
    );
  };
}
