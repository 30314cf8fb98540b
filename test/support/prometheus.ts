/**
 * A REAL Prometheus server (Debian's `prometheus` binary, 2.42) as a child process on a free
 * loopback port, with a temp config and TSDB, scraping a local node:http target the test controls.
 * Prometheus runs on real time (not the test clock): the target's counters grow on every scrape by
 * what the test asks for, so the error ratio and apdex Prometheus computes are the test's numbers.
 *
 * The target exposes, per `component` label:
 *   - `http_requests_total` and `http_request_errors_total` (counters),
 *   - `http_request_duration_seconds_bucket{le="0.25"|"1"|"+Inf"}`, `_count` (a histogram),
 * and `serviceLevelQueries(component)` builds the PromQL a component's objectives use over them.
 */
import { accessSync, constants } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { stringify } from "yaml";
import { startDaemon } from "./daemon.ts";

const DEBIAN_BIN = "/usr/bin/prometheus";

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Prometheus binary: $PROMETHEUS_BIN, else /usr/bin/prometheus, else `prometheus` on PATH. */
export function findPrometheusBinary(): string | undefined {
  const fromEnv = process.env.PROMETHEUS_BIN;
  if (fromEnv) return executable(fromEnv) ? fromEnv : undefined;
  if (executable(DEBIAN_BIN)) return DEBIAN_BIN;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const file = dir && path.join(dir, "prometheus");
    if (file && executable(file)) return file;
  }
  return undefined;
}

/** The Prometheus binary, or an error that says how to get one. */
export function requirePrometheusBinary(): string {
  const bin = findPrometheusBinary();
  if (bin) return bin;
  throw new Error(
    process.env.PROMETHEUS_BIN
      ? `PROMETHEUS_BIN=${process.env.PROMETHEUS_BIN} is not an executable file`
      : "No Prometheus binary found (looked for $PROMETHEUS_BIN, /usr/bin/prometheus and prometheus on PATH). " +
          "Install it with `apt-get install -y --no-install-recommends prometheus` (as .ci/run does).",
  );
}

// -- the target ------------------------------------------------------------------------------------

/** What one component's traffic looks like from now on, per scrape. */
export type Traffic = {
  /** Requests added per scrape (default 100). */
  requests?: number;
  /** Share of them that fail, 0..1 (default 0). */
  errorRatio?: number;
  /** Share answered within 0.25 s (satisfied), 0..1 (default 1). */
  satisfied?: number;
  /** Share answered within 1 s but slower than 0.25 s (tolerating), 0..1 (default 0). */
  tolerating?: number;
};

type Counters = { requests: number; errors: number; le025: number; le1: number };

export type ServiceTarget = {
  /** http://127.0.0.1:<port> (metrics at /metrics). */
  url: string;
  /** host:port, as a scrape config names it. */
  address: string;
  /** Sets a component's traffic (components appear on first use). */
  set(component: string, traffic: Traffic): void;
  /** How many times Prometheus has scraped it. */
  scrapes(): number;
  close(): Promise<void>;
};

/**
 * A metrics endpoint: on each scrape every component's counters grow by its traffic, so the ratio
 * of rates Prometheus computes over any window inside one traffic setting is exactly that setting.
 */
export async function startServiceTarget(components: string[] = []): Promise<ServiceTarget> {
  const traffic = new Map<string, Required<Traffic>>();
  const counters = new Map<string, Counters>();
  let scraped = 0;
  const set = (component: string, t: Traffic) => {
    traffic.set(component, {
      requests: t.requests ?? 100,
      errorRatio: t.errorRatio ?? 0,
      satisfied: t.satisfied ?? 1,
      tolerating: t.tolerating ?? 0,
    });
    if (!counters.has(component)) counters.set(component, { requests: 0, errors: 0, le025: 0, le1: 0 });
  };
  for (const c of components) set(c, {});
  const server = http.createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    scraped++;
    const lines = [
      "# TYPE http_requests_total counter",
      "# TYPE http_request_errors_total counter",
      "# TYPE http_request_duration_seconds histogram",
    ];
    for (const [component, t] of traffic) {
      const c = counters.get(component) as Counters;
      c.requests += t.requests;
      c.errors += Math.round(t.requests * t.errorRatio);
      c.le025 += Math.round(t.requests * t.satisfied);
      c.le1 += Math.round(t.requests * (t.satisfied + t.tolerating));
      const l = `component="${component}"`;
      lines.push(
        `http_requests_total{${l}} ${c.requests}`,
        `http_request_errors_total{${l}} ${c.errors}`,
        `http_request_duration_seconds_bucket{${l},le="0.25"} ${c.le025}`,
        `http_request_duration_seconds_bucket{${l},le="1"} ${c.le1}`,
        `http_request_duration_seconds_bucket{${l},le="+Inf"} ${c.requests}`,
        `http_request_duration_seconds_count{${l}} ${c.requests}`,
        `http_request_duration_seconds_sum{${l}} ${c.requests * 0.1}`,
      );
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    set,
    scrapes: () => scraped,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The three PromQL expressions of a component on the target: apdex (satisfied + tolerating/2 over
 * all requests), error ratio (errors over requests) — the outage line is judged on the error ratio
 * too. `window` is the rate window (a few scrapes: the tests scrape every 200 ms).
 */
export function serviceLevelQueries(component: string, window = "2s") {
  const c = `component="${component}"`;
  const rate = (m: string, extra = "") => `sum(rate(${m}{${c}${extra}}[${window}]))`;
  const errorRatio = `${rate("http_request_errors_total")} / ${rate("http_requests_total")}`;
  return {
    apdex: `(${rate("http_request_duration_seconds_bucket", ',le="0.25"')} + ${rate("http_request_duration_seconds_bucket", ',le="1"')}) / 2 / ${rate("http_request_duration_seconds_count")}`,
    errorRatio,
    outage: errorRatio,
  };
}

// -- the server ------------------------------------------------------------------------------------

export type PrometheusOptions = {
  /** host:port targets scraped as job "service". */
  targets: string[];
  /** Default "200ms". */
  scrapeInterval?: string;
  /** How long to wait for /-/ready; default 20 s. */
  startTimeoutMs?: number;
  bin?: string;
};

export type RunningPrometheus = {
  /** http://127.0.0.1:<port> */
  url: string;
  dir: string;
  config: string;
  /** An instant query's first sample value (NaN when the result is empty); throws on an error. */
  value(query: string, at?: Date): Promise<number>;
  output(): string;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
};

export function prometheusConfig(options: PrometheusOptions): string {
  const interval = options.scrapeInterval ?? "200ms";
  return stringify({
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [{ job_name: "service", static_configs: [{ targets: options.targets }] }],
  });
}

/** Starts Prometheus with a fresh config and TSDB on a free 127.0.0.1 port and waits for /-/ready. */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const bin = options.bin ?? requirePrometheusBinary();
  const config = prometheusConfig(options);
  const d = await startDaemon({
    name: "Prometheus",
    bin,
    configName: "prometheus.yml",
    config,
    limitMs: options.startTimeoutMs ?? 20_000,
    args: (port, dir, configFile) => [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
  });
  const url = d.url;
  return {
    url,
    dir: d.dir,
    config,
    output: d.output,
    async value(query, at) {
      const params = new URLSearchParams({ query });
      if (at) params.set("time", String(at.getTime() / 1000));
      const res = await fetch(`${url}/api/v1/query?${params}`);
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: { value: [number, string] }[] | [number, string] };
      };
      if (body.status !== "success") throw new Error(`query ${query}: ${body.error}`);
      const result = body.data?.result;
      if (body.data?.resultType === "scalar") return Number((result as [number, string])[1]);
      const first = (result as { value: [number, string] }[])[0];
      return first ? Number(first.value[1]) : Number.NaN;
    },
    stop: d.stop,
  };
}
