import { createServer, type Server } from "node:http";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

/**
 * Requests answered from cached bytes before routing (the status pages' crowd), tallied in plain
 * numbers and handed to prom-client only when /metrics is read: at a crowd's rate, prom-client's
 * label handling per call cost more CPU than the answer itself. They take microseconds, so they
 * have no duration histogram.
 */
function cachedAnswerTally(registry: Registry) {
  type Tally = { labels: { method: string; route: string; status: string }; n: number };
  const tallies = new Map<string, Tally>();
  new Counter({
    name: "firebreak_http_cached_answers_total",
    help: "Requests answered from cached bytes before routing (status pages), by route and status; not in firebreak_http_request_duration_seconds",
    labelNames: ["method", "route", "status"],
    registers: [registry],
    collect() {
      this.reset();
      for (const t of tallies.values()) this.inc(t.labels, t.n);
    },
  });
  return {
    add(method: string, route: string, status: number): void {
      const key = `${method} ${route} ${status}`;
      const t = tallies.get(key);
      if (t) t.n += 1;
      else tallies.set(key, { labels: { method, route, status: String(status) }, n: 1 });
    },
  };
}

/** One registry per app instance, so tests can build several apps in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "firebreak_" });
  return {
    registry,
    httpRequests: new Histogram({
      name: "firebreak_http_request_duration_seconds",
      help: "HTTP requests by route and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    cachedAnswers: cachedAnswerTally(registry),
    httpErrors: new Counter({
      name: "firebreak_http_errors_total",
      help: "Requests answered with a problem document, by error code",
      labelNames: ["code"],
      registers: [registry],
    }),
    deliveries: new Counter({
      name: "firebreak_notification_deliveries_total",
      help: "Notification delivery attempts by channel and outcome (failed-permanent needs a person)",
      labelNames: ["channel", "status"],
      registers: [registry],
    }),
    alertIntake: new Counter({
      name: "firebreak_alert_intake_total",
      help: "Alert intake requests by integration and outcome (accepted, or why they were refused)",
      labelNames: ["integration", "outcome"],
      registers: [registry],
    }),
    alertEvents: new Counter({
      name: "firebreak_alert_events_total",
      help: "Alert events committed, by integration",
      labelNames: ["integration"],
      registers: [registry],
    }),
    incidentsDeclared: new Counter({
      name: "firebreak_incidents_declared_total",
      help: "Incidents declared, by severity",
      labelNames: ["severity"],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * METRICS_LISTEN: a port of its own serving only GET /metrics, without authentication, for a
 * network only Prometheus reaches. Resolves once it listens.
 */
export async function serveMetrics(
  registry: Registry,
  at: { host: string; port: number },
): Promise<{ server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res
        .writeHead(404, { "content-type": "text/plain; charset=utf-8" })
        .end("only GET /metrics is served here\n");
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { "content-type": registry.contentType });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(at.port, at.host, () => resolve());
  });
  return {
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
