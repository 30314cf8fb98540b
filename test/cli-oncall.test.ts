/**
 * `firebreak oncall` (PAGE-7) as a user runs it: a child process (`node bin/firebreak.js oncall`)
 * against the real server with one schedule, a daily Berlin rotation alice → bob handing off at
 * 09:00 local (08:00Z in March), with an override.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./support/app.ts";
import { type CliResult, runCli } from "./support/cli.ts";

const slow = { timeout: 60_000 };

type Result = CliResult;
type Person = Awaited<ReturnType<TestApp["user"]>>;

let t: TestApp;
let alice: Person;
let bob: Person;
let scheduleId: number;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-03-02T10:00:00Z" });
  alice = await t.user("alice", "responder");
  bob = await t.user("bob", "responder");
});
afterAll(() => t?.close());

const cli = (args: string[], env: Record<string, string> = {}): Promise<Result> =>
  runCli(args, { base: t.base, token: t.admin.token }, env);

async function ok(args: string[], env?: Record<string, string>): Promise<string> {
  const r = await cli(args, env);
  expect(r.code, `firebreak ${args.join(" ")}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

describe("firebreak oncall", () => {
  it("PAGE-7: with no schedules it says so", slow, async () => {
    expect(await ok(["oncall"])).toBe("no schedules\n");
  });

  it("PAGE-7: prints each schedule, who is on call (usernames) and until when", slow, async () => {
    const created = await t.admin.request("POST", "/api/v1/schedules", {
      name: "Infrastructure",
      timeZone: "Europe/Berlin",
      layers: [
        {
          name: "daily",
          timeZone: "Europe/Berlin",
          participants: [alice.id, bob.id],
          shiftLength: { unit: "days", count: 1 },
          start: "2026-03-02T09:00",
        },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    scheduleId = created.body.id;

    t.clock.set("2026-03-02T10:00:00Z");
    expect(await ok(["oncall"])).toBe(
      ["SCHEDULE        ON CALL  UNTIL", "Infrastructure  alice    2026-03-03 08:00Z", ""].join("\n"),
    );
    t.clock.set("2026-03-03T12:00:00Z");
    expect(await ok(["oncall"])).toMatch(/^Infrastructure\s+bob\s+2026-03-04 08:00Z$/m);
  });

  it("PAGE-7: an override shows the person covering, until the override ends", slow, async () => {
    t.clock.set("2026-03-03T12:00:00Z");
    const o = await bob.request("POST", `/api/v1/schedules/${scheduleId}/overrides`, {
      userId: alice.id,
      start: "2026-03-03T11:00:00Z",
      end: "2026-03-03T15:30:00Z",
      reason: "swap",
    });
    expect(o.status, JSON.stringify(o.body)).toBe(201);
    // A viewer's token is enough to ask.
    const viewer = await t.user("vera", "viewer");
    expect(await ok(["oncall"], { FIREBREAK_TOKEN: viewer.token })).toMatch(
      /^Infrastructure\s+alice\s+2026-03-03 15:30Z$/m,
    );
  });

  it("PAGE-7: --json prints the API's answer", slow, async () => {
    t.clock.set("2026-03-03T16:00:00Z");
    const json = JSON.parse(await ok(["oncall", "--json"]));
    expect(json).toEqual({
      oncall: [
        {
          schedule: { id: scheduleId, name: "Infrastructure" },
          userIds: [bob.id],
          until: "2026-03-04T08:00:00.000Z",
        },
      ],
    });
  });

  it("PAGE-7: nobody on call (before a rotation starts) is shown as nobody", slow, async () => {
    t.clock.set("2026-03-01T12:00:00Z");
    expect(await ok(["oncall"])).toMatch(/^Infrastructure\s+nobody\s+2026-03-02 08:00Z$/m);
  });

  it("is listed in the help; an extra argument is a usage error (exit 2)", slow, async () => {
    expect(await ok(["help"])).toMatch(/^ {2}oncall\s+Who is on call now/m);
    const r = await cli(["oncall", "extra"]);
    expect(r).toMatchObject({ code: 2, stdout: "" });
    expect(r.stderr).toBe('firebreak oncall: unexpected argument "extra"\nusage: firebreak oncall\n');
    const bad = await cli(["oncall"], { FIREBREAK_TOKEN: "fbk_not-a-real-token" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^firebreak: .*check FIREBREAK_TOKEN/);
  });
});
