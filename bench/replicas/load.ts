/**
 * The replicas bench's load generator: raw HTTP/1.1 connections, alert keys (new ones and repeats
 * of accepted ones), and payload templates, all cheap enough to share two CPUs with the servers.
 */
import net from "node:net";
import { performance } from "node:perf_hooks";
import { httpClient } from "../lib.ts";

/** Alertmanager notifications carry this many alerts. */
export const AM_BATCH = 10;
const RETRY_CAP_MS = 1000;
const MAX_RETRIES = 120;

export type Kind = "events" | "alertmanager";

const sleep = (msec: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, msec)));

// -- a cheap load generator: raw HTTP/1.1 over one keep-alive socket per client -------------------

type Reply = { status: number; body: string; retryAfter: number | undefined };

/**
 * One connection, one request at a time. Writing the request line by hand and reading the answer
 * by its Content-Length costs the generator a fraction of what http.request does: it shares the
 * machine's two CPUs with the replicas and PostgreSQL.
 */
export class Connection {
  private sock: net.Socket | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private pending: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  constructor(private readonly port: number) {}

  private open(): net.Socket {
    const s = net.connect({ host: "127.0.0.1", port: this.port });
    s.setNoDelay(true);
    s.setTimeout(30_000, () => s.destroy(new Error("no answer within 30 s")));
    s.on("data", (d: Buffer) => this.read(d));
    s.on("error", (e) => this.fail(e));
    s.on("close", () => {
      this.sock = undefined;
      this.fail(new Error("the server closed the connection"));
    });
    this.buf = Buffer.alloc(0);
    return s;
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  private read(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    const end = this.buf.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = this.buf.toString("latin1", 0, end);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) {
      this.sock?.destroy(new Error(`an answer without Content-Length: ${head.slice(0, 200)}`));
      return;
    }
    const total = end + 4 + Number(length[1]);
    if (this.buf.length < total) return;
    const retry = /\r\nretry-after: *(\d+)/i.exec(head);
    const reply = {
      status: Number(head.slice(9, 12)),
      body: this.buf.toString("utf8", end + 4, total),
      retryAfter: retry ? Number(retry[1]) : undefined,
    };
    this.buf = this.buf.subarray(total);
    const p = this.pending;
    this.pending = undefined;
    p?.resolve(reply);
  }

  post(path: string, body: string): Promise<Reply> {
    this.sock ??= this.open();
    const s = this.sock;
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      s.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
  }

  close(): void {
    this.sock?.destroy();
    this.sock = undefined;
  }
}

export type Refused = { byStatus: Record<number, number>; retries: number };

/** Posts until `ok`, retrying 429/503 after min(Retry-After, 1 s). Times the accepted attempt. */
export async function deliver(c: Connection, path: string, body: string, ok: number, refused: Refused) {
  for (let attempt = 0; ; attempt++) {
    const start = performance.now();
    const reply = await c.post(path, body);
    const end = performance.now();
    if (reply.status === ok) return { start, end };
    if ((reply.status === 429 || reply.status === 503) && attempt < MAX_RETRIES) {
      refused.byStatus[reply.status] = (refused.byStatus[reply.status] ?? 0) + 1;
      refused.retries++;
      await sleep(Math.min((reply.retryAfter ?? 1) * 1000, RETRY_CAP_MS));
      continue;
    }
    throw new Error(`POST: expected ${ok}, got ${reply.status}: ${reply.body.slice(0, 300)}`);
  }
}

// -- keys and payloads ----------------------------------------------------------------------------

/**
 * Per client, its next alert keys: every 1/share-th event repeats a key the client had accepted
 * (never twice in one request), the others are new and unique across clients, so several clients
 * can share a hot service. Counts what was accepted, and what failed requests may have stored.
 */
export class Keys {
  private readonly committed: string[][];
  private readonly seq: number[];
  private readonly events: number[];
  accepted = { events: 0, fresh: 0 };
  failed = { events: 0, fresh: 0 };
  constructor(
    clients: number,
    private readonly share: number,
  ) {
    this.committed = Array.from({ length: clients }, () => []);
    this.seq = new Array(clients).fill(0);
    this.events = new Array(clients).fill(0);
  }
  next(client: number, count: number): { keys: string[]; fresh: string[] } {
    const done = this.committed[client] as string[];
    const keys: string[] = [];
    const fresh: string[] = [];
    for (let i = 0; i < count; i++) {
      const j = this.events[client] ?? 0;
      this.events[client] = j + 1;
      const repeat = Math.floor((j + 1) * this.share) > Math.floor(j * this.share) && done.length > count;
      let k = repeat ? (done[Math.floor(Math.random() * done.length)] as string) : "";
      if (repeat && keys.includes(k)) k = "";
      if (!k) {
        const n = this.seq[client] ?? 0;
        this.seq[client] = n + 1;
        k = (client * 2 ** 32 + n).toString(16).padStart(16, "0");
        fresh.push(k);
      }
      keys.push(k);
    }
    return { keys, fresh };
  }
  accept(client: number, b: { keys: string[]; fresh: string[] }): void {
    (this.committed[client] as string[]).push(...b.fresh);
    this.accepted.events += b.keys.length;
    this.accepted.fresh += b.fresh.length;
  }
  fail(b: { keys: string[]; fresh: string[] }): void {
    this.failed.events += b.keys.length;
    this.failed.fresh += b.fresh.length;
  }
}

/** Payloads are templates with a 16-character placeholder the key replaces: no JSON work per request. */
const KEY = "@KEYKEYKEYKEYKE@";

function eventTemplate(routingKey: string, service: string): string {
  return JSON.stringify({
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key: KEY,
    payload: {
      summary: `${service} is failing more than 5% of requests`,
      source: `${service}-${KEY}`,
      severity: "critical",
      component: service,
      group: "production",
      class: "http-errors",
      custom_details: { ratio: 0.073, window: "5m" },
    },
    client: "bench",
    client_url: "http://monitoring.example.com/",
  });
}

function alertmanagerTemplate(service: string): { head: string; alert: string; tail: string } {
  const alert = JSON.stringify({
    status: "firing",
    labels: {
      alertname: "HighErrorRate",
      env: "production",
      instance: `${service}-${KEY}:8080`,
      job: service,
      service,
      severity: "critical",
    },
    annotations: {
      summary: `${service} is failing more than 5% of requests`,
      description: `${service}-${KEY}:8080 answered 7.3% of requests with 5xx over the last 5 minutes.`,
      runbook_url: `https://runbooks.example.com/${service}/high-error-rate`,
    },
    startsAt: new Date().toISOString(),
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "http://prometheus.example.com:9090/graph?g0.expr=job%3Ahttp_5xx%3Aratio_rate5m+%3E+0.05",
    fingerprint: KEY,
  });
  const whole = JSON.stringify({
    version: "4",
    groupKey: `{}:{alertname="HighErrorRate", service="${service}"}`,
    truncatedAlerts: 0,
    status: "firing",
    receiver: "firebreak",
    groupLabels: { alertname: "HighErrorRate", service },
    commonLabels: { alertname: "HighErrorRate", env: "production", service, severity: "critical" },
    commonAnnotations: { summary: `${service} is failing more than 5% of requests` },
    externalURL: "http://alertmanager.example.com:9093",
    alerts: ["@ALERTS@"],
  });
  const [head, tail] = whole.split('"@ALERTS@"') as [string, string];
  return { head, alert, tail };
}

export type Service = {
  id: number;
  name: string;
  key: string;
  event: string;
  am: ReturnType<typeof alertmanagerTemplate>;
};

export function request(kind: Kind, s: Service, keys: string[]): { path: string; body: string; ok: number } {
  if (kind === "events")
    return { path: "/v2/enqueue", body: s.event.replaceAll(KEY, keys[0] as string), ok: 202 };
  const alerts = keys.map((k) => s.am.alert.replaceAll(KEY, k)).join(",");
  return {
    path: `/api/v1/integrations/alertmanager/${s.key}`,
    body: `${s.am.head}${alerts}${s.am.tail}`,
    ok: 200,
  };
}

export async function createServices(base: string, token: string, names: string[]): Promise<Service[]> {
  const admin = httpClient(base, { connections: 8, headers: { authorization: `Bearer ${token}` } });
  try {
    const out: Service[] = new Array(names.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < names.length; i = next++) {
          const name = names[i] as string;
          const r = await admin.request("POST", "/api/v1/services", { name });
          if (r.status !== 201) throw new Error(`POST /api/v1/services: HTTP ${r.status}: ${r.body}`);
          const key = (JSON.parse(r.body) as { id: number; integrationKey: string }).integrationKey;
          const id = (JSON.parse(r.body) as { id: number }).id;
          out[i] = { id, name, key, event: eventTemplate(key, name), am: alertmanagerTemplate(name) };
        }
      }),
    );
    return out;
  } finally {
    admin.close();
  }
}
