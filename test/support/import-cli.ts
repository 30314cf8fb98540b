/**
 * The importers' end-to-end tests share this: the real `firebreak` CLI against the test app as its
 * admin, "now" passed as --at from the test clock, the JSON report read back, and what the server
 * then holds listed by name.
 */
import { expect } from "vitest";
import type { TestApp } from "./app.ts";
import { type CliResult, runCli } from "./cli.ts";

/** `app` is read at each call: the tests start the app in beforeAll. */
export function importCli(app: () => TestApp) {
  const at = () => ["--at", app().clock.now().toISOString()];
  const cli = (args: string[]): Promise<CliResult> =>
    runCli(args, { base: app().base, token: app().admin.token });
  return {
    at,
    cli,
    /** Runs with --json, expects exit 0 and returns the report. */
    // biome-ignore lint/suspicious/noExplicitAny: the report is read as the JSON the CLI prints
    async report(args: string[]): Promise<any> {
      const r = await cli([...args, "--json"]);
      expect(r.code, `firebreak ${args.join(" ")}\n${r.stderr}\n${r.stdout.slice(0, 2000)}`).toBe(0);
      return JSON.parse(r.stdout);
    },
    /** The sorted names of a list route's objects, e.g. ("/schedules", "schedules"). */
    async names(path: string, key: string): Promise<string[]> {
      const r = await app().admin.get(`/api/v1${path}`);
      expect(r.status).toBe(200);
      return (r.body[key] as { name: string }[]).map((x) => x.name).sort();
    },
  };
}
