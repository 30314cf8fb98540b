/**
 * `firebreak escalation` (PAGE-2) as a user runs it: the real CLI as a child process against the real
 * server. A one-level policy from flags (a schedule and a person by name), a two-level one from a
 * YAML file, edits by flags (read, change, replace) and by a JSON file, `--json`, delete; a policy
 * the policy file defines is refused with the API's message (exit 1); mistakes on the command line
 * are usage errors (exit 2).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./support/app.ts";
import { type CliResult, runCli } from "./support/cli.ts";

const slow = { timeout: 60_000 };

let t: TestApp;
let alice: Awaited<ReturnType<TestApp["user"]>>;
let bob: Awaited<ReturnType<TestApp["user"]>>;
let scheduleId: number;
const dir = mkdtempSync(path.join(tmpdir(), "firebreak-escalation-"));

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.user("alice", "responder");
  bob = await t.user("bob", "responder");
  const s = await t.admin.request("POST", "/api/v1/schedules", {
    name: "Primary",
    timeZone: "UTC",
    layers: [
      {
        name: "always",
        timeZone: "UTC",
        participants: [alice.id],
        shiftLength: { unit: "days", count: 1 },
        start: "2026-01-01T00:00",
      },
    ],
  });
  expect(s.status, JSON.stringify(s.body)).toBe(201);
  scheduleId = s.body.id;
  await t.seedOnCall(); // the policy file's escalation policies, managed
});
afterAll(() => t?.close());

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCli(args, { base: t.base, token: t.admin.token }, env);

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  expect(r.code, `firebreak ${args.join(" ")}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("firebreak escalation", () => {
  it("creates a one-level policy from flags, naming a schedule and a person", slow, async () => {
    const out = await ok([
      "escalation",
      "create",
      "--name",
      "Payments",
      "--notify",
      "schedule:Primary,user:bob",
      "--timeout",
      "10",
      "--repeat",
      "2",
    ]);
    expect(out).toMatch(/^escalation policy \d+ created: Payments$/m);
    expect(out).toMatch(/^ {2}level 1 {4}schedule Primary, bob; next after 10 min$/m);
    expect(out).toMatch(/^ {2}repeat {5}2 more times$/m);
    const stored = (await t.admin.get("/api/v1/escalation-policies")).body.policies.find(
      (p: { name: string }) => p.name === "Payments",
    );
    expect(stored.levels).toEqual([
      {
        timeoutMinutes: 10,
        targets: [
          { kind: "schedule", id: scheduleId },
          { kind: "user", id: bob.id },
        ],
      },
    ]);
    expect(stored).toMatchObject({ repeat: 2, ackTimeoutMinutes: 30, managed: false });
  });

  it("creates a two-level policy from a YAML file and lists and shows it", slow, async () => {
    const yaml = file(
      "checkout.yaml",
      [
        "name: Checkout",
        "description: the checkout team",
        "levels:",
        "  - timeoutMinutes: 15",
        "    targets: [schedule:Primary]",
        "  - timeoutMinutes: 20",
        "    targets:",
        "      - { kind: user, id: alice }",
        "ackTimeoutMinutes: 45",
        "",
      ].join("\n"),
    );
    expect(await ok(["escalation", "create", "--file", yaml])).toMatch(/created: Checkout/);

    const list = await ok(["escalation", "list"]);
    expect(list.split("\n")[0]).toMatch(/^ID\s+NAME\s+TEAM\s+LEVELS\s+NOTIFIES FIRST\s+SOURCE$/);
    expect(list).toMatch(/^\d+\s+Checkout\s+\d+\s+2\s+schedule Primary\s+api$/m);
    expect(list).toMatch(/^\d+\s+Payments\s+\d+\s+1 ×3\s+schedule Primary, bob\s+api$/m);
    expect(list).toMatch(/^\d+\s+Engineer On Call\s+.*policy file$/m);

    const show = await ok(["escalation", "show", "checkout"]);
    expect(show).toContain("escalation policy");
    expect(show).toMatch(/^ {2}level 1 {4}schedule Primary; next after 15 min$/m);
    expect(show).toMatch(/^ {2}level 2 {4}alice$/m);
    expect(show).toMatch(/after 45 min/);

    const json = JSON.parse(await ok(["escalation", "show", "Checkout", "--json"]));
    expect(json.levels[1]).toEqual({ timeoutMinutes: 20, targets: [{ kind: "user", id: alice.id }] });
    const listed = JSON.parse(await ok(["escalation", "list", "--json"]));
    expect(listed.policies.map((p: { name: string }) => p.name)).toContain("Checkout");
  });

  it("edits by flags, changing only what they name, and replaces from a JSON file", slow, async () => {
    const out = await ok(["escalation", "edit", "Payments", "--ack-timeout", "20", "--name", "Payments EU"]);
    expect(out).toMatch(/saved: Payments EU/);
    const before = JSON.parse(await ok(["escalation", "show", "Payments EU", "--json"]));
    expect(before).toMatchObject({ name: "Payments EU", ackTimeoutMinutes: 20, repeat: 2 });
    expect(before.levels[0].targets).toHaveLength(2);

    // What show --json prints, edited and sent back: levels swapped, a repeat dropped.
    const checkout = JSON.parse(await ok(["escalation", "show", "Checkout", "--json"]));
    const swapped = { ...checkout, levels: [...checkout.levels].reverse(), repeat: 0 };
    const edited = JSON.parse(
      await ok([
        "escalation",
        "edit",
        String(checkout.id),
        "--file",
        file("c.json", JSON.stringify(swapped)),
        "--json",
      ]),
    );
    expect(edited.levels.map((l: { timeoutMinutes: number }) => l.timeoutMinutes)).toEqual([20, 15]);
    expect(edited.description).toBe("the checkout team");
  });

  it("says what the API refuses, at the field it names, with exit 1", slow, async () => {
    const r = await cli([
      "escalation",
      "create",
      "--name",
      "Broken",
      "--notify",
      "user:bob",
      "--timeout",
      "0",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("levels[0].timeoutMinutes: expected a whole number of minutes >= 1");

    const managed = await cli(["escalation", "edit", "Engineer On Call", "--repeat", "1"]);
    expect(managed.code).toBe(1);
    expect(managed.stderr).toMatch(/defined in the policy file .*edit it there/);
    const gone = await cli(["escalation", "delete", "Engineer On Call"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/remove it there/);

    // A viewer may read but not change.
    const vera = await t.user("vera", "viewer");
    expect((await cli(["escalation", "list"], { FIREBREAK_TOKEN: vera.token })).code).toBe(0);
    const refused = await cli(["escalation", "delete", "Checkout"], { FIREBREAK_TOKEN: vera.token });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/needs admin/);
  });

  it("refuses command line mistakes with its usage, exit 2", slow, async () => {
    const cases: [string[], RegExp][] = [
      [["escalation", "create", "--name", "X"], /missing --notify/],
      [
        ["escalation", "create", "--name", "X", "--notify", "schedule:Nope"],
        /no schedule "Nope" \(known: .*Primary.*\)/,
      ],
      [["escalation", "edit", "No Such Policy", "--repeat", "1"], /No Such Policy/],
      [["escalation", "edit", "Checkout"], /nothing to change/],
      [["escalation", "frobnicate"], /unknown action "frobnicate"/],
      [["escalation", "show"], /missing POLICY/],
      [["escalation", "create", "--file", path.join(dir, "missing.yaml")], /cannot read/],
      [
        ["escalation", "create", "--name", "X", "--notify", "user:bob", "--repeat", "two"],
        /--repeat takes a whole number/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/usage: firebreak escalation/);
    }
  });

  it("deletes a policy", slow, async () => {
    expect(await ok(["escalation", "delete", "Payments EU"])).toMatch(
      /^escalation policy \d+ deleted: Payments EU$/m,
    );
    expect(await ok(["escalation", "list"])).not.toContain("Payments EU");
  });
});
