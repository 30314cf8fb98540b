import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutbound } from "./outbound.ts";

let base: string;
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    if (req.url === "/redirect") return res.writeHead(302, { location: "http://169.254.169.254/" }).end();
    if (req.url === "/big") return res.writeHead(200).end("x".repeat(2000));
    res
      .writeHead(200, {
        "content-type": "application/json",
        "x-seen-type": req.headers["content-type"] ?? "",
      })
      .end(JSON.stringify({ method: req.method, body }));
  });
});
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("the guarded fetch", () => {
  it("sends the body and reads the answer from an allowed host", async () => {
    const f = createOutbound({ allowedHosts: ["127.0.0.1"] }).fetch();
    const r = await f(`${base}/api/chat.postMessage`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ channel: "C1", text: "hi" }),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-seen-type")).toBe("application/x-www-form-urlencoded");
    expect(await r.json()).toEqual({ method: "POST", body: "channel=C1&text=hi" });
  });

  it("refuses an internal address unless allowed, before connecting", async () => {
    await expect(createOutbound().fetch()(`${base}/`)).rejects.toThrow(/not on the public internet/);
    const byName = createOutbound({ resolve: async () => ["127.0.0.1"] }).fetch();
    await expect(byName("http://slack.example.com:1/")).rejects.toThrow(/not on the public internet/);
    await expect(createOutbound().fetch()("file:///etc/passwd")).rejects.toThrow(/only http/);
  });

  it("does not follow redirects and caps the answer", async () => {
    const f = createOutbound({ allowedHosts: ["127.0.0.1"] }).fetch({ maxBodyBytes: 1000 });
    const r = await f(`${base}/redirect`);
    expect(r.status).toBe(302);
    await expect(f(`${base}/big`)).rejects.toThrow(/larger than 1000 bytes/);
  });
});
