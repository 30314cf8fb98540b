/**
 * The CLI's Idempotency-Key (decision 0009): the real `firebreak` process sends a key of its own on
 * every POST, and the same key when it sends the POST again because the answer was lost.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./support/app.ts";
import { runCli } from "./support/cli.ts";

const slow = { timeout: 60_000 };
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const declare = (title: string, base = t.base) =>
  runCli(["declare", "--title", title, "--type", "GitLab.com", "--severity", "S3", "--json"], {
    base,
    token: t.admin.token,
  });

async function incidentsTitled(title: string): Promise<number> {
  const { rows } = await t.database.pool.query("SELECT count(*)::int AS n FROM incidents WHERE title = $1", [
    title,
  ]);
  return rows[0].n;
}

/**
 * A proxy in front of the server that loses the answer of the first POST: the server carries it
 * out, the CLI sees its connection drop (as when a server is killed after committing).
 */
async function losingFirstAnswer(target: string): Promise<{ base: string; keys: string[]; server: Server }> {
  const keys: string[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !["host", "connection", "content-length"].includes(k)),
    ) as Record<string, string>;
    if (req.method === "POST") keys.push(headers["idempotency-key"] ?? "(none)");
    const answer = await fetch(target + (req.url ?? "/"), {
      method: req.method,
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const text = await answer.text();
    if (req.method === "POST" && keys.length === 1) {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, keys, server };
}

describe("firebreak CLI: Idempotency-Key", () => {
  it("each invocation sends a fresh key: two declarations are two incidents", slow, async () => {
    for (let n = 0; n < 2; n++) expect((await declare("CLI keyed")).code).toBe(0);
    expect(await incidentsTitled("CLI keyed")).toBe(2);
    const { rows } = await t.database.pool.query(
      "SELECT key, committed, status FROM idempotency_keys WHERE route = '/api/v1/incidents' ORDER BY created_at",
    );
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(r).toMatchObject({ committed: true, status: 201 });
    }
    expect(rows[0].key).not.toBe(rows[1].key);
  });

  it("a POST whose answer was lost is sent again with the same key and answered once", slow, async () => {
    const proxy = await losingFirstAnswer(t.base);
    try {
      const r = await declare("CLI lost answer", proxy.base);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).title).toBe("CLI lost answer");
      expect(proxy.keys).toHaveLength(2);
      expect(proxy.keys[1]).toBe(proxy.keys[0]);
      expect(await incidentsTitled("CLI lost answer")).toBe(1);
    } finally {
      proxy.server.close();
    }
  });
});
