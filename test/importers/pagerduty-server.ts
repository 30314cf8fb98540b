/**
 * A local stand-in for PagerDuty's REST API v2 (api.pagerduty.com): answers GETs with recorded
 * responses from a directory, laid out as `firebreak import --from-dir` reads them (a path's file,
 * with its sorted query in the name when answers differ by query, as pages do). It checks what
 * PagerDuty checks first — the `Authorization: Token token=…` header and the v2 `Accept` header —
 * and answers errors in PagerDuty's shape. Every request is recorded for the test to inspect.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";

export type PagerDutyReplay = {
  baseUrl: string;
  token: string;
  requests: { path: string; query: Record<string, string> }[];
  close(): Promise<void>;
};

const error = (message: string, code: number, errors: string[] = []) =>
  JSON.stringify({ error: { message, code, errors } });

export async function startPagerDutyReplay(dir: string, token = "u+pd-test-token"): Promise<PagerDutyReplay> {
  const requests: PagerDutyReplay["requests"] = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const query = Object.fromEntries([...url.searchParams.entries()]);
    requests.push({ path: url.pathname, query });
    const send = (status: number, body: string) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(body);
    };
    if (req.headers.authorization !== `Token token=${token}`) return send(401, error("Unauthorized", 2006));
    if (req.headers.accept !== "application/vnd.pagerduty+json;version=2")
      return send(
        406,
        error("Not Acceptable", 2001, ["Accept must be application/vnd.pagerduty+json;version=2"]),
      );
    if (req.method !== "GET") return send(405, error("Method Not Allowed", 2000));
    const name = url.pathname.replace(/^\/+/, "");
    if (name.includes("..")) return send(400, error("Invalid Input Provided", 2001));
    const pairs = [...url.searchParams.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const candidates = pairs.length
      ? [`${name}?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`, name]
      : [name];
    for (const candidate of candidates) {
      try {
        return send(200, await readFile(join(dir, `${candidate}.json`), "utf8"));
      } catch {
        // the next candidate
      }
    }
    send(404, error("Not Found", 2100));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    token,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
