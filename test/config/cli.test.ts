/**
 * `firebreak config` as an operator (or a CI job) runs it: the real binary against the real server.
 * Export writes YAML; plan prints one line per object and exits 4 with --exit-code when there are
 * changes; apply prints the changes and the issued keys once; a YAML mistake names its line and
 * column; standard input works as FILE `-`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify } from "yaml";
import { startTestApp, type TestApp } from "../support/app.ts";
import { type CliResult, runCli } from "../support/cli.ts";
import { sampleDocument } from "./helpers.ts";

const slow = { timeout: 60_000 };
let t: TestApp;
let dir: string;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-03-02T10:00:00Z" });
  dir = mkdtempSync(join(tmpdir(), "firebreak-config-cli-"));
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], token = t.admin.token): Promise<CliResult> =>
  runCli(args, { base: t.base, token });
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** The CLI with `input` on standard input. */
function cliWithInput(args: string[], input: string): Promise<CliResult> {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/firebreak.js", ...args], {
      cwd: root,
      env: { ...process.env, FIREBREAK_URL: t.base, FIREBREAK_TOKEN: t.admin.token },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe("firebreak config", () => {
  it(
    "plan lists each object and exits 4 with --exit-code; apply prints changes and keys; then plan is clean",
    slow,
    async () => {
      const path = file("firebreak.yaml", stringify(sampleDocument()));
      const planned = await cli(["config", "plan", path, "--exit-code"]);
      expect(planned.code, planned.stderr).toBe(4);
      expect(planned.stdout).toContain('+ schedule "Payments primary"');
      expect(planned.stdout).toContain('+ integration "checkout/prometheus"');
      expect(planned.stdout).toMatch(/Plan: \d+ to create, 0 to update, 0 to delete\./);

      const applied = await cli(["config", "apply", path]);
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stdout).toContain('+ service "checkout"');
      expect(applied.stdout).toMatch(/checkout\/prometheus {2}[0-9a-f]{32}/);

      const clean = await cli(["config", "plan", path, "--exit-code"]);
      expect(clean.code, clean.stderr).toBe(0);
      expect(clean.stdout).toContain("no changes");
      const again = await cli(["config", "apply", path, "--json"]);
      expect(JSON.parse(again.stdout)).toEqual({ changes: [], issuedKeys: [] });
    },
  );

  it(
    "export writes the YAML document to a file, and plan shows an edit to it as an update",
    slow,
    async () => {
      const out = join(dir, "exported.yaml");
      const r = await cli(["config", "export", "--output", out]);
      expect(r.code, r.stderr).toBe(0);
      const text = readFileSync(out, "utf8");
      const doc = parseYaml(text);
      expect(doc.services).toEqual([
        expect.objectContaining({ name: "checkout", escalationPolicy: "Payments" }),
      ]);
      const stdout = await cli(["config", "export"]);
      expect(stdout.stdout.trimEnd()).toBe(text.trimEnd());

      doc.services[0].description = "Checkout, edited";
      doc.services[0].escalationPolicy = "Payments";
      doc.statusPages = doc.statusPages.filter((p: { slug: string }) => p.slug !== "public");
      const edited = file("edited.yaml", stringify(doc));
      const planned = await cli(["config", "plan", edited]);
      expect(planned.stdout).toContain('~ service "checkout" (description)');
      expect(planned.stdout).toContain('= statusPage "public"');
      const pruned = await cli(["config", "plan", edited, "--prune"]);
      expect(pruned.stdout).toContain('- statusPage "public"');
      expect(pruned.stdout).toContain('- component "public/Website"');
    },
  );

  it("plan reads standard input as FILE -", slow, async () => {
    const r = await cliWithInput(["config", "plan", "-", "--json"], stringify(sampleDocument()));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ changes: [], drift: [] });
  });

  it(
    "a YAML mistake names its line and column; a document problem names its path; neither changes anything",
    slow,
    async () => {
      const before = (await cli(["config", "export"])).stdout;
      const broken = file("broken.yaml", "version: 1\nusers:\n  - username: a\n   name: [\n");
      const r = await cli(["config", "apply", broken]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/broken\.yaml:\d+:\d+: /);

      const doc = sampleDocument();
      doc.schedules[0]!.layers[0]!.participants.push("nobody@example.com");
      const bad = file("bad.yaml", stringify(doc));
      const refused = await cli(["config", "apply", bad]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("schedules[0].layers[0].participants[2]");
      expect((await cli(["config", "export"])).stdout).toBe(before);
    },
  );

  it("refuses people who are not admins", slow, async () => {
    const responder = await t.user("rory", "responder");
    const r = await cli(["config", "export"], responder.token);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/admin/i);
  });
});
