/** Runs `firebreak serve` as a real process, as a user or a deployment would, for process-level tests. */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { freePort } from "../../src/platform/embedded.ts";

const bin = path.resolve("bin/firebreak.js");

export type Running = {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
};

/** Starts `firebreak serve` on a free loopback port with these settings over the test's environment. */
export async function startServe(
  env: Record<string, string>,
  opts: { uid?: number; gid?: number } = {},
): Promise<Running> {
  const port = await freePort();
  let out = "";
  const child = spawn(process.execPath, [bin, "serve"], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      DATABASE_URL: "",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    ...opts,
  });
  child.stdout?.on("data", (b) => (out += b));
  child.stderr?.on("data", (b) => (out += b));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, port, output: () => out, exited };
}

/** Polls /readyz until it answers 200 or the process exits; bounded. */
export async function waitReady(r: Running, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  let gone = false;
  void r.exited.then(() => (gone = true));
  while (Date.now() < deadline && !gone) {
    const ok = await fetch(`http://127.0.0.1:${r.port}/readyz`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`firebreak serve on port ${r.port} is not ready:\n${r.output()}`);
}
