/**
 * `firebreak serve` as a user runs it: a real process, the embedded PostgreSQL, signals.
 * Each start initialises or reuses a real database cluster, so these take a few seconds each.
 */
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startServe, waitReady } from "./support/serve.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "firebreak-serve-"));
  dirs.push(d);
  return d;
}

const token = "bootstrap-token-for-serve-tests-0123456789";

describe("firebreak serve", () => {
  it("starts its own PostgreSQL, creates the admin token given, and stops cleanly on Ctrl-C", {
    timeout: 90_000,
  }, async () => {
    const data = tempDir();
    const r = await startServe({ FIREBREAK_DATA_DIR: data, FIREBREAK_BOOTSTRAP_TOKEN: token });
    await waitReady(r);
    expect(r.output()).toContain(`listening on http://localhost:${r.port}`);
    const me = await fetch(`http://127.0.0.1:${r.port}/api/v1/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { role: string }).role).toBe("admin");
    r.child.kill("SIGINT");
    expect(await r.exited).toBe(0);

    // The data survives: a second start reuses it and does not create another admin token.
    const again = await startServe({ FIREBREAK_DATA_DIR: data });
    await waitReady(again);
    expect(again.output()).not.toContain("shown only this once");
    const me2 = await fetch(`http://127.0.0.1:${again.port}/api/v1/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(me2.status).toBe(200);
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
  });

  it("recovers after kill -9: the next start stops the orphaned PostgreSQL and serves", {
    timeout: 90_000,
  }, async () => {
    const data = tempDir();
    const first = await startServe({ FIREBREAK_DATA_DIR: data });
    await waitReady(first);
    expect(first.output()).toMatch(/fbk_[\w-]{20,}/); // a random admin token, printed once
    first.child.kill("SIGKILL");
    await first.exited;
    const second = await startServe({ FIREBREAK_DATA_DIR: data });
    await waitReady(second);
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  });

  it("a bad policy file stops start-up naming the file and line", { timeout: 30_000 }, async () => {
    const dir = tempDir();
    const policy = path.join(dir, "policy.yaml");
    writeFileSync(policy, "version: 1\nincidentTypes: [\n");
    const r = await startServe({ FIREBREAK_DATA_DIR: dir, FIREBREAK_POLICY_FILE: policy });
    expect(await r.exited).toBe(78);
    expect(r.output()).toContain(policy);
    expect(r.output()).toMatch(/line \d+/);
  });

  it("a bad setting stops start-up naming it", { timeout: 30_000 }, async () => {
    const r = await startServe({ PORT: "eighty" });
    expect(await r.exited).toBe(78);
    expect(r.output()).toContain('PORT="eighty"');
  });

  it.skipIf(userInfo().uid !== 0)("runs as a normal user too", { timeout: 90_000 }, async () => {
    const data = tempDir();
    const nobody = 65534;
    chownSync(data, nobody, nobody);
    const r = await startServe({ FIREBREAK_DATA_DIR: data, HOME: data }, { uid: nobody, gid: nobody });
    await waitReady(r);
    r.child.kill("SIGINT");
    expect(await r.exited).toBe(0);
  });
});
