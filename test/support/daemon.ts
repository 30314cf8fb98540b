/**
 * A real server process for tests (Alertmanager, Prometheus): started on a free loopback port with
 * its config in a temp dir, ready when `GET /-/ready` answers 200, stopped with SIGTERM (SIGKILL
 * after 5 s) and its dir removed. The Prometheus ecosystem's servers all start this way.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../src/platform/embedded.ts";

export type Spawned = { child: ChildProcess; exited: Promise<number | null>; output: () => string };

function spawnDaemon(bin: string, args: string[]): Spawned {
  let out = "";
  const keep = (b: Buffer) => {
    out += b.toString("utf8");
    if (out.length > 256 * 1024) out = out.slice(-256 * 1024);
  };
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => resolve(code));
    child.on("error", (err) => {
      out += `\nspawn ${bin}: ${err.message}\n`;
      resolve(null);
    });
  });
  return { child, exited, output: () => out };
}

/** Polls `GET <url>/-/ready` until 200; "exited" when the process ends first, "timeout" after limitMs. */
async function untilReady(url: string, p: Spawned, limitMs: number): Promise<"ready" | "exited" | "timeout"> {
  let gone = false;
  void p.exited.then(() => (gone = true));
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (gone) return "exited";
    const ok = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return "ready";
    await new Promise((r) => setTimeout(r, 50));
  }
  return gone ? "exited" : "timeout";
}

async function terminate(p: Spawned): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null || p.child.pid === undefined) return;
  p.child.kill("SIGTERM");
  const timer = setTimeout(() => p.child.kill("SIGKILL"), 5000);
  await p.exited;
  clearTimeout(timer);
}

export type Daemon = {
  url: string;
  port: number;
  output: () => string;
  /** Stops the process and removes its dir. Idempotent. */
  stop(): Promise<void>;
};

/**
 * Starts `bin` with `args(port)` on a free 127.0.0.1 port and waits until it is ready. A free port
 * can be taken between asking for it and the server binding it, so a few are tried; on failure the
 * error holds the config and the process's output, and `dir` is removed.
 */
export async function startDaemon(o: {
  name: string;
  bin: string;
  /** The config file's name in the temp dir, and its text. */
  configName: string;
  config: string;
  limitMs: number;
  /** The command line for a port; `dir` holds the config file and room for the server's data. */
  args: (port: number, dir: string, configFile: string) => string[];
}): Promise<Daemon & { dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), `firebreak-${o.name.toLowerCase()}-`));
  const configFile = path.join(dir, o.configName);
  writeFileSync(configFile, o.config);
  let failure = "";
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const p = spawnDaemon(o.bin, o.args(port, dir, configFile));
    const killOnExit = () => p.child.kill("SIGKILL");
    process.once("exit", killOnExit);
    const state = await untilReady(url, p, o.limitMs);
    if (state === "ready") {
      let stopped: Promise<void> | undefined;
      return {
        url,
        port,
        dir,
        output: p.output,
        stop: () => {
          stopped ??= (async () => {
            process.removeListener("exit", killOnExit);
            await terminate(p);
            rmSync(dir, { recursive: true, force: true });
          })();
          return stopped;
        },
      };
    }
    process.removeListener("exit", killOnExit);
    await terminate(p);
    failure =
      state === "timeout"
        ? `${o.name} (${o.bin}) did not answer ${url}/-/ready within ${o.limitMs} ms.`
        : `${o.name} (${o.bin}) exited (code ${p.child.exitCode}) before it was ready.`;
    failure += `\nconfig (${configFile}):\n${o.config}\noutput:\n${p.output()}`;
    if (!/address already in use/i.test(p.output())) break;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(failure);
}
