/**
 * An HTTP server on loopback standing in for the phone providers the paging benchmark publishes
 * to: an ntfy server (POST to a topic) and Twilio's Messages API (POST …/Messages.json, answered
 * as Twilio answers: 201 with the message resource). It notes when each message arrived, by the
 * "bench <kind> <n>" its title or text carries.
 */
import { Agent, createServer, type IncomingMessage, request } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";

export type HttpReceiver = {
  base: string;
  arrivals: Map<string, number>;
  /** Verification codes sent, by ntfy topic path or SMS number (setup, not measured). */
  codes: Map<string, string>;
  unmatched: number;
  close(): Promise<void>;
};

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

export async function startReceiver(): Promise<HttpReceiver> {
  const arrivals = new Map<string, number>();
  const codes = new Map<string, string>();
  const r: HttpReceiver = { base: "", arrivals, codes, unmatched: 0, close: async () => undefined };
  let sid = 0;
  const server = createServer(async (req, res) => {
    const body = await read(req);
    const at = performance.now();
    const text = `${String(req.headers.title ?? "")}\n${decodeURIComponent(body.replace(/\+/g, " "))}`;
    const m = /\bbench (\w+) (\d+)\b/.exec(text);
    const code = /verification code is (\d{6})/.exec(text)?.[1];
    if (m) arrivals.set(`${m[1]}:${m[2]}`, at);
    else if (code) codes.set(new URLSearchParams(body).get("To") ?? req.url ?? "", code);
    else r.unmatched++;
    if (req.url?.endsWith("/Messages.json")) {
      // The fields Twilio's "Create a Message" answers with that a sender reads.
      sid++;
      res.writeHead(201, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          sid: `SM${String(sid).padStart(32, "0")}`,
          status: "queued",
          to: new URLSearchParams(body).get("To"),
          from: new URLSearchParams(body).get("From"),
          body: new URLSearchParams(body).get("Body"),
          num_segments: "1",
          error_code: null,
          error_message: null,
        }),
      );
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id: String(arrivals.size), event: "message" }));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  r.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** The baseline: the bare HTTP POST a sender makes to the same server, reused connections. */
export function barePost(url: string, headers: Record<string, string>, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode && res.statusCode < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export const closeBaselineAgent = () => agent.destroy();
