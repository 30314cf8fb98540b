/**
 * `firebreak serve` as a user starts it, on a fresh data directory (its own embedded PostgreSQL on
 * a free port of its own), at a port chosen first so that FIREBREAK_PUBLIC_URL can name the
 * server's own address: links in emails and the services screen's snippets then point at it.
 * stop() ends the process (Ctrl-C, then kill -9 and the PostgreSQL it left), and removes the data
 * directory; it is safe to call twice, and after a failed start.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../src/platform/embedded.ts";
import { type Running, startServe, waitReady } from "./serve.ts";

export type Served = {
  /** http://127.0.0.1:<port>, also its FIREBREAK_PUBLIC_URL. */
  base: string;
  port: number;
  dataDir: string;
  running: Running;
  stop(): Promise<void>;
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return done();
}

/** Starts `firebreak serve` on a fresh data directory with these settings; waits for /readyz. */
export async function startServed(env: Record<string, string> = {}): Promise<Served> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "firebreak-served-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let running: Running | undefined;
  let exited = false;
  let stopped: Promise<void> | undefined;
  const killOnExit = () => running?.child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const stop = () => {
    stopped ??= (async () => {
      process.removeListener("exit", killOnExit);
      if (running && !exited) {
        running.child.kill("SIGINT"); // Ctrl-C: it stops its PostgreSQL and exits
        if (!(await until(() => exited, 30_000))) {
          running.child.kill("SIGKILL");
          await until(() => exited, 5_000);
        }
      }
      // After a kill -9 (or a start that failed half way) its PostgreSQL may still run.
      const pidFile = path.join(dataDir, "pg", "postmaster.pid");
      if (existsSync(pidFile)) {
        const pgPid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
        if (pgPid && alive(pgPid)) {
          process.kill(pgPid, "SIGINT");
          if (!(await until(() => !alive(pgPid), 10_000))) process.kill(pgPid, "SIGKILL");
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    running = await startServe({
      FIREBREAK_DATA_DIR: dataDir,
      PORT: String(port),
      FIREBREAK_PUBLIC_URL: base,
      ...env,
    });
    void running.exited.then(() => (exited = true));
    // startServe picked a port of its own; ours (in PORT) is the one it listens on.
    await waitReady({ ...running, port }, 90_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { base, port, dataDir, running, stop };
}
