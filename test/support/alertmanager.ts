/**
 * A REAL Prometheus Alertmanager (the Debian `prometheus-alertmanager` binary, 0.25) as a child
 * process on a free loopback port, for end-to-end tests of alert intake. Alertmanager runs on real
 * time (not the test clock); the default timings are short so a notification arrives in well under
 * a second and a resolve within about group_interval.
 *
 * What Alertmanager 0.25.0 sends (observed with `test/alertmanager-harness.test.ts`):
 *   - Both the webhook and the PagerDuty integration: `POST <url>` over HTTP/1.1 with exactly the
 *     headers `Host`, `User-Agent: Alertmanager/0.25.0`, `Content-Type: application/json`,
 *     `Content-Length` (no Authorization unless http_config sets one, no Accept).
 *   - Webhook body: `version: "4"`, `status`, `receiver`, `groupKey`, `truncatedAlerts`,
 *     `groupLabels`, `commonLabels`, `commonAnnotations`, `externalURL`, `alerts[]` with `status`,
 *     `labels`, `annotations`, `startsAt`, `endsAt` ("0001-01-01T00:00:00Z" while firing),
 *     `generatorURL`, `fingerprint` (16 hex digits of the label set).
 *   - PagerDuty Events v2 body: `routing_key`, `dedup_key` (= sha256 hex of the webhook's
 *     `groupKey`), `event_action` ("trigger" | "resolve"), `payload.{summary, source, severity,
 *     custom_details}`, `client: "Alertmanager"`, `client_url`. Severity is "error" unless the
 *     pagerduty_config sets `severity`; summary is "[FIRING:n] <group label values> (<other common
 *     label values>)" / "[RESOLVED] ...".
 *   - Retries: a 5xx is retried with exponential backoff (about 0.5 s, then x1.5 with jitter) until
 *     the flush times out (max(group_interval, 10 s)); then the next group_interval flush starts over,
 *     since nothing was logged as sent. A 429 is retried in-flush by the PagerDuty integration; the
 *     webhook integration treats it (and any 4xx) as unrecoverable for that flush but re-sends at the
 *     next flush. Each integration retries on its own: one failing does not hold back the other.
 */
import { accessSync, constants } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { stringify } from "yaml";
import { type Daemon, startDaemon } from "./daemon.ts";

/** A Go duration ("100ms", "1s", "1h") or milliseconds. */
export type Duration = string | number;

export type AlertmanagerOptions = {
  /** Receives every notification through a `webhook_configs` entry (send_resolved, max_alerts 0). */
  webhookUrl?: string;
  /** Receives every notification through a `pagerduty_configs` entry posting to this URL. */
  pagerdutyUrl?: string;
  /** The PagerDuty `routing_key` (the integration key); default "firebreak-test-routing-key". */
  routingKey?: string;
  /** Default ['alertname', 'service']; ['...'] groups by every label. */
  groupBy?: string[];
  /** Default 100ms (0s is accepted too; a small wait batches alerts posted in one request). */
  groupWait?: Duration;
  /** Default 1s (must not be zero). */
  groupInterval?: Duration;
  /** Default 1h, so repeats never disturb a test that does not ask for them. */
  repeatInterval?: Duration;
  /** The `externalURL` Alertmanager advertises in payloads; default its own http://127.0.0.1:<port>. */
  externalUrl?: string;
  /** How long to wait for /-/ready; default 15 s. */
  startTimeoutMs?: number;
  /** The binary; default findAlertmanagerBinary(). */
  bin?: string;
};

/** An alert as Alertmanager's API v2 accepts it (POST /api/v2/alerts). */
export type PostableAlert = {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string | Date;
  endsAt?: string | Date;
  generatorURL?: string;
};

export type RunningAlertmanager = {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** The temp dir holding the config and the storage. */
  dir: string;
  /** The YAML config it runs with. */
  config: string;
  /** POST /api/v2/alerts; throws unless Alertmanager answers 200. */
  postAlerts(alerts: PostableAlert[]): Promise<void>;
  /** Posts the alerts again with endsAt = now (unless they carry one), which resolves them. */
  resolveAlerts(alerts: PostableAlert[]): Promise<void>;
  /** What the process has written to stdout and stderr (its log), most recent 256 KiB. */
  output(): string;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
};

const DEBIAN_BIN = "/usr/bin/prometheus-alertmanager";

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    if (executable(file)) return file;
  }
  return undefined;
}

/**
 * The Alertmanager binary: $ALERTMANAGER_BIN, else /usr/bin/prometheus-alertmanager, else
 * `prometheus-alertmanager` or `alertmanager` on PATH; undefined when there is none.
 */
export function findAlertmanagerBinary(): string | undefined {
  const fromEnv = process.env.ALERTMANAGER_BIN;
  if (fromEnv) return executable(fromEnv) ? fromEnv : undefined;
  if (executable(DEBIAN_BIN)) return DEBIAN_BIN;
  return onPath("prometheus-alertmanager") ?? onPath("alertmanager");
}

/** Whether a usable Alertmanager binary is installed. */
export function hasAlertmanager(): boolean {
  return findAlertmanagerBinary() !== undefined;
}

/** The Alertmanager binary, or an error that says how to get one. */
export function requireAlertmanagerBinary(): string {
  const bin = findAlertmanagerBinary();
  if (bin) return bin;
  const fromEnv = process.env.ALERTMANAGER_BIN;
  throw new Error(
    fromEnv
      ? `ALERTMANAGER_BIN=${fromEnv} is not an executable file`
      : "No Alertmanager binary found (looked for $ALERTMANAGER_BIN, /usr/bin/prometheus-alertmanager, and " +
          "prometheus-alertmanager or alertmanager on PATH). Install it with " +
          "`apt-get install -y --no-install-recommends prometheus-alertmanager` (as .ci/run does) or set " +
          "ALERTMANAGER_BIN to an alertmanager >= 0.25 binary.",
  );
}

function duration(d: Duration): string {
  return typeof d === "number" ? `${Math.round(d)}ms` : d;
}

/** The Alertmanager YAML config for these options (one receiver holding every configured integration). */
export function alertmanagerConfig(options: AlertmanagerOptions = {}): string {
  const receiver: Record<string, unknown> = { name: "firebreak" };
  if (options.webhookUrl) {
    receiver.webhook_configs = [{ url: options.webhookUrl, send_resolved: true, max_alerts: 0 }];
  }
  if (options.pagerdutyUrl) {
    receiver.pagerduty_configs = [
      {
        url: options.pagerdutyUrl,
        routing_key: options.routingKey ?? "firebreak-test-routing-key",
        send_resolved: true,
      },
    ];
  }
  return stringify({
    route: {
      receiver: "firebreak",
      group_by: options.groupBy ?? ["alertname", "service"],
      group_wait: duration(options.groupWait ?? "100ms"),
      group_interval: duration(options.groupInterval ?? "1s"),
      repeat_interval: duration(options.repeatInterval ?? "1h"),
    },
    receivers: [receiver],
  });
}

/**
 * Starts Alertmanager with a fresh config and storage dir on a free 127.0.0.1 port, clustering off
 * (`--cluster.listen-address=`, so nothing binds 9094 and a system alertmanager on 9093/9094 is no
 * concern), and waits for /-/ready.
 */
export async function startAlertmanager(options: AlertmanagerOptions = {}): Promise<RunningAlertmanager> {
  const bin = options.bin ?? requireAlertmanagerBinary();
  const config = alertmanagerConfig(options);
  const d = await startDaemon({
    name: "Alertmanager",
    bin,
    configName: "alertmanager.yml",
    config,
    limitMs: options.startTimeoutMs ?? 15_000,
    args: (port, dir, configFile) => [
      `--config.file=${configFile}`,
      `--storage.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${options.externalUrl ?? `http://127.0.0.1:${port}`}`,
      "--cluster.listen-address=",
    ],
  });
  return running(d, config);
}

function running(d: Daemon & { dir: string }, config: string): RunningAlertmanager {
  const { url, port } = d;
  const postAlerts = async (alerts: PostableAlert[]) => {
    const body = alerts.map((a) => ({
      ...a,
      startsAt: a.startsAt instanceof Date ? a.startsAt.toISOString() : a.startsAt,
      endsAt: a.endsAt instanceof Date ? a.endsAt.toISOString() : a.endsAt,
    }));
    const res = await fetch(`${url}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (res.status !== 200) {
      throw new Error(`POST ${url}/api/v2/alerts answered ${res.status}: ${await res.text()}`);
    }
  };
  return {
    url,
    port,
    dir: d.dir,
    config,
    postAlerts,
    resolveAlerts: (alerts) => {
      const now = new Date();
      return postAlerts(alerts.map((a) => ({ ...a, endsAt: a.endsAt ?? now })));
    },
    output: d.output,
    stop: d.stop,
  };
}

/** Polls `predicate` until it returns a truthy value, which it resolves to; throws after timeoutMs. */
export async function waitFor<T>(
  predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: { timeoutMs?: number; intervalMs?: number; message?: string | (() => string) } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() >= deadline) {
      const detail = typeof opts.message === "function" ? opts.message() : opts.message;
      throw new Error(`waitFor: condition not met within ${timeoutMs} ms${detail ? `: ${detail}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** One request a RecordingReceiver got. */
export type RecordedRequest = {
  /** Date.now() when the body was complete. */
  at: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: test payloads are inspected ad hoc
  body: any;
  /** The status the receiver answered. */
  status: number;
};

/**
 * A plain node:http server on 127.0.0.1 that records every request and answers with
 * `respond(request)` (default: 202 with a PagerDuty-like JSON body for paths ending in
 * /v2/enqueue, else 200). Stands in for Firebreak when testing the harness or capturing fixtures.
 */
export async function startRecordingReceiver(
  respond: (req: Omit<RecordedRequest, "status">) => number = (req) =>
    req.path.endsWith("/v2/enqueue") ? 202 : 200,
) {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const seen = {
        at: Date.now(),
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        raw,
        body,
      };
      const status = respond(seen);
      requests.push({ ...seen, status });
      res.statusCode = status;
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify(
          status < 300
            ? { status: "success", message: "Event processed" }
            : { status: "error", code: status },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    /** The requests to this path. */
    to: (p: string) => requests.filter((r) => r.path === p),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
