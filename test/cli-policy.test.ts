/**
 * `firebreak policy check | explain | simulate` as a user runs it: the real CLI as a child process,
 * against the real server for explain and simulate.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPolicyFile, loadPolicy } from "../src/policy/load.ts";
import { runCli } from "./support/cli.ts";
import { type Person, type ProcessApp, startProcessApp } from "./support/process.ts";

const slow = { timeout: 60_000 };
const dir = mkdtempSync(path.join(tmpdir(), "firebreak-cli-policy-"));
const shipped = readFileSync(defaultPolicyFile, "utf8");
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};

let p: ProcessApp;
let eve: Person;
beforeAll(async () => {
  p = await startProcessApp();
  eve = await p.person("eve");
  await p.rotation("EOC", [eve]);
});
afterAll(() => p?.close());

const cli = (args: string[]) => runCli(args, { base: p.t.base, token: p.t.admin.token });

describe("firebreak policy check", () => {
  it("exits 0 and sums the file up when it is good, with no server needed", slow, async () => {
    const r = await runCli(["policy", "check", defaultPolicyFile], { base: "http://127.0.0.1:9", token: "" });
    expect(r.code, r.stderr).toBe(0);
    const shippedPolicy = loadPolicy(defaultPolicyFile);
    expect(r.stdout).toContain(
      `: ok — ${shippedPolicy.severities.length} severities, ${shippedPolicy.roles.length} roles, ${shippedPolicy.escalationPolicies?.length} escalation policies, ${shippedPolicy.rules?.length} rules`,
    );
  });

  it("exits 1 with FILE:LINE:COLUMN: problem for each mistake", slow, async () => {
    const offline = { base: "http://127.0.0.1:9", token: "" };
    const bad = file(
      "bad.yaml",
      shipped
        .replace("updateCadenceMinutes: 15", "updateCadenceMinutes: soon")
        .replace("    once: true\n", "    onse: true\n"),
    );
    const r = await runCli(["policy", "check", bad], offline);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      // S1's cadence (Sev0 and Sev1 come first).
      new RegExp(`^${bad}:\\d+:5: severities\\[2\\]\\.updateCadenceMinutes: expected a whole number`),
    );
    expect(lines.some((l) => /:\d+:5: rules\[\d+\]: unknown key `onse`; did you mean `once`\?/.test(l))).toBe(
      true,
    );
    const json = await runCli(["policy", "check", bad, "--json"], offline);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).problems.length).toBe(lines.length);
    // Names that refer to nothing are found once the shape is right.
    const unknown = file("unknown.yaml", shipped.replace("      - page: IM\n", "      - page: Pilot\n"));
    const u = await runCli(["policy", "check", unknown], offline);
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(
      /:\d+:\d+: rules\[\d+\]\.do\[0\]\.page: unknown role "Pilot"; expected one of EOC, IM/,
    );
  });

  it("exits 2 with the usage for an unknown action", slow, async () => {
    const r = await cli(["policy", "frobnicate", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("firebreak policy check FILE");
  });
});

describe("firebreak policy explain and simulate", () => {
  it("explain lists the pending clocks with countdowns and each rule's conditions", slow, async () => {
    const i = await p.declare(eve, { severity: "S3", title: "explain me" });
    const r = await cli(["policy", "explain", `#${i.id}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /2026-11-18 12:30Z\s+in 30m\s+PAGE-3\s+page the IM\s+30 minutes after the EOC engaged/,
    );
    expect(r.stdout).toMatch(/✗ PAGE-1 {2}on declared, accepted, severity-raised → page the IM/);
    expect(r.stdout).toContain("✗ severity is S1, S2 (it is S3)");
    expect(r.stdout).toMatch(/Fired:[\s\S]*DEC-3-eoc/);
    const json = JSON.parse((await cli(["policy", "explain", String(i.id), "--json"])).stdout);
    expect(json.clocks.map((c: { ruleId: string }) => c.ruleId)).toContain("PAGE-3");
  });

  it("simulate prints what only each policy would have done", slow, async () => {
    const i = await p.declare(eve, { severity: "S3", title: "simulate me" });
    await p.t.advanceMinutes(45);
    const other = file(
      "other.yaml",
      shipped.replace(
        'clock: { from: "engaged:EOC", after: 30 }',
        'clock: { from: "engaged:EOC", after: 40 }',
      ),
    );
    const r = await cli(["policy", "simulate", other, "--incident", String(i.id)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /Only under the policy in force \(1\):\n.*\n2026-11-18 12:30Z\s+PAGE-3\s+page the IM/,
    );
    expect(r.stdout).toMatch(/Only under .*other\.yaml \(1\):\n.*\n2026-11-18 12:40Z\s+PAGE-3\s+page the IM/);
    const missing = await cli(["policy", "simulate", other]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing --incident");
  });
});
