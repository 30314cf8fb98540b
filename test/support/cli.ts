/** Runs the real `firebreak` CLI as a child process against a test server. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));

export type CliResult = { code: number; stdout: string; stderr: string };

/** Never throws on a non-zero exit, so tests can assert on exit codes. */
export async function runCli(
  args: string[],
  target: { base: string; token: string },
  env: Record<string, string> = {},
): Promise<CliResult> {
  const options = {
    cwd: root,
    env: { ...process.env, FIREBREAK_URL: target.base, FIREBREAK_TOKEN: target.token, ...env },
  };
  try {
    const { stdout, stderr } = await run(process.execPath, ["bin/firebreak.js", ...args], options);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
