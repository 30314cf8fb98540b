/**
 * `firebreak schedule list|show|create|edit|delete` (PAGE-7) as a user runs it: the real binary
 * (`node bin/firebreak.js schedule …`) against the real server. Created from flags and from a
 * YAML file with usernames, edited by flags (only what they name changes) and by file
 * (replaced), refused with the API's message (exit 1), misused (exit 2), deleted.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./support/app.ts";
import { type CliResult, runCli } from "./support/cli.ts";

const slow = { timeout: 60_000 };
type Person = Awaited<ReturnType<TestApp["user"]>>;

let t: TestApp;
let alice: Person;
let bob: Person;
let carl: Person;
let dir: string;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-03-02T10:00:00Z" });
  alice = await t.user("alice", "responder");
  bob = await t.user("bob", "responder");
  carl = await t.user("carl", "responder");
  dir = mkdtempSync(path.join(os.tmpdir(), "firebreak-cli-schedules-"));
});
afterAll(() => t?.close());

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCli(args, { base: t.base, token: t.admin.token }, env);

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  expect(r.code, `firebreak ${args.join(" ")}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

describe("firebreak schedule", () => {
  let flagsId: number;
  let fileId: number;

  it("creates a one-layer schedule from flags, participants by username", slow, async () => {
    expect(await ok(["schedule", "list"])).toBe("no schedules\n");
    const out = await ok([
      "schedule",
      "create",
      "--name",
      "Payments",
      "--time-zone",
      "Europe/Berlin",
      "--participants",
      "alice,bob,carl",
      "--start",
      "2026-03-02T09:00",
      "--every",
      "1w",
    ]);
    const m = /^created schedule #(\d+) Payments \(1 layer\)\n$/.exec(out);
    expect(m, out).not.toBeNull();
    flagsId = Number(m?.[1]);
    expect((await t.admin.get(`/api/v1/schedules/${flagsId}`)).body.layers).toEqual([
      {
        name: "Payments",
        timeZone: "Europe/Berlin",
        participants: [alice.id, bob.id, carl.id],
        shiftLength: { unit: "weeks", count: 1 },
        start: "2026-03-02T09:00",
      },
    ]);
  });

  it("creates one from a YAML file with two layers and restrictions, and shows it", slow, async () => {
    const file = path.join(dir, "infra.yaml");
    writeFileSync(
      file,
      [
        "name: Infrastructure",
        "timeZone: UTC",
        "layers:",
        "  - name: weekly",
        "    timeZone: UTC",
        "    participants: [alice, bob]",
        "    shiftLength: { unit: weeks, count: 1 }",
        '    start: "2026-03-02T09:00"',
        "  - name: business hours",
        "    timeZone: America/New_York",
        `    participants: [${carl.id}]`,
        "    shiftLength: { unit: days, count: 1 }",
        '    start: "2026-03-02T09:00"',
        "    restrictions:",
        '      - { days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" }',
        "",
      ].join("\n"),
    );
    const out = await ok(["schedule", "create", "--file", file]);
    fileId = Number(/#(\d+)/.exec(out)?.[1]);
    expect(out).toBe(`created schedule #${fileId} Infrastructure (2 layers)\n`);
    expect(await ok(["schedule", "show", String(fileId)])).toBe(
      [
        `#${fileId} Infrastructure`,
        "  zone       UTC",
        `  team       ${(await t.admin.get(`/api/v1/schedules/${fileId}`)).body.teamId}`,
        "",
        "  layer 1: weekly",
        "    participants  alice, bob",
        "    hand-offs     every week from 2026-03-02 09:00 UTC",
        "    on call       around the clock",
        "",
        "  layer 2: business hours",
        "    participants  carl",
        "    hand-offs     every day from 2026-03-02 09:00 America/New_York",
        "    on call       Mon-Fri 09:00-17:00",
        "",
      ].join("\n"),
    );
    const listed = await ok(["schedule", "list"]);
    expect(listed).toMatch(/^ID\s+NAME\s+TEAM\s+ZONE\s+LAYERS$/m);
    expect(listed).toMatch(
      new RegExp(
        `^${flagsId}\\s+Payments\\s+\\d+\\s+Europe/Berlin\\s+Payments: alice,bob,carl every week$`,
        "m",
      ),
    );
    const json = JSON.parse(await ok(["schedule", "show", String(fileId), "--json"]));
    expect(json).toMatchObject({ id: fileId, name: "Infrastructure", overrides: [] });
  });

  it("edits by flags (only what they name) and by file (a replacement)", slow, async () => {
    expect(
      await ok(["schedule", "edit", String(flagsId), "--participants", "carl,alice", "--every", "2d"]),
    ).toBe(`schedule #${flagsId} Payments saved (1 layer)\n`);
    expect((await t.admin.get(`/api/v1/schedules/${flagsId}`)).body).toMatchObject({
      name: "Payments",
      timeZone: "Europe/Berlin",
      layers: [
        {
          participants: [carl.id, alice.id],
          shiftLength: { unit: "days", count: 2 },
          start: "2026-03-02T09:00",
        },
      ],
    });
    const file = path.join(dir, "payments.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "Payments",
        timeZone: "UTC",
        layers: [
          {
            name: "p",
            timeZone: "UTC",
            participants: ["bob"],
            shiftLength: { unit: "hours", count: 12 },
            start: "2026-03-02T08:00",
          },
        ],
      }),
    );
    const saved = JSON.parse(await ok(["schedule", "edit", String(flagsId), "--file", file, "--json"]));
    expect(saved.layers).toEqual([
      {
        name: "p",
        timeZone: "UTC",
        participants: [bob.id],
        shiftLength: { unit: "hours", count: 12 },
        start: "2026-03-02T08:00",
      },
    ]);
    const multi = await cli(["schedule", "edit", String(fileId), "--participants", "alice"]);
    expect(multi).toMatchObject({ code: 2 });
    expect(multi.stderr).toMatch(/^firebreak schedule: the schedule has 2 layers; edit it with --file\n/);
  });

  it("says what the API refused (exit 1), and misuse is exit 2", slow, async () => {
    const bad = await cli([
      "schedule",
      "create",
      "--name",
      "Broken",
      "--time-zone",
      "Mars/Olympus",
      "--participants",
      "alice",
      "--start",
      "2026-03-02T09:00",
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^firebreak: timeZone: unknown time zone "Mars\/Olympus"/);
    const nobody = await cli([
      "schedule",
      "create",
      "--name",
      "X",
      "--participants",
      "zed",
      "--start",
      "2026-03-02T09:00",
    ]);
    expect(nobody).toMatchObject({
      code: 1,
      stderr: 'firebreak: no user "zed" (participants are usernames or user ids)\n',
    });
    const responder = await cli(["schedule", "delete", String(fileId)], { FIREBREAK_TOKEN: alice.token });
    expect(responder.code).toBe(1);
    expect(responder.stderr).toMatch(
      /^firebreak: user alice is a responder in team .*; changing its schedules needs admin/,
    );
    expect((await cli(["schedule", "show"])).code).toBe(2);
    expect((await cli(["schedule", "rename", "1"])).stderr).toMatch(/unknown action "rename"/);
    expect((await cli(["schedule", "create", "--name", "Y", "--start", "2026-03-02T09:00"])).stderr).toMatch(
      /missing --participants/,
    );
    expect(
      (
        await cli([
          "schedule",
          "create",
          "--name",
          "Y",
          "--participants",
          "alice",
          "--start",
          "x",
          "--every",
          "1y",
        ])
      ).stderr,
    ).toMatch(/--every takes a count and h, d or w/);
    expect(await ok(["help"])).toMatch(/^ {2}schedule\s+On-call schedules/m);
  });

  it("deletes a schedule", slow, async () => {
    expect(await ok(["schedule", "delete", String(fileId)])).toBe(`schedule #${fileId} deleted\n`);
    expect((await t.admin.get(`/api/v1/schedules/${fileId}`)).status).toBe(404);
    const again = await cli(["schedule", "delete", String(fileId)]);
    expect(again.code).toBe(1);
  });
});
