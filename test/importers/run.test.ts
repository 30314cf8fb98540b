/**
 * `firebreak import pagerduty` end to end (issue 19): the real CLI (a child process) against the
 * real server, reading recorded PagerDuty REST API v2 responses from a local replay server or from
 * the same files as a directory. A dry run changes nothing; the real run creates the set-up, issues
 * a key per integration and its on-call check passes for all 672 hours; a second run changes and
 * issues nothing; a check that cannot match exits 1 naming the hours. The window comes from the
 * test clock (`--at`), never from waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { type CliResult, runCli } from "../support/cli.ts";
import { type PagerDutyReplay, startPagerDutyReplay } from "./pagerduty-server.ts";

const slow = { timeout: 60_000 };
const fixtures = new URL("../fixtures/pagerduty", import.meta.url).pathname;

let t: TestApp;
let pd: PagerDutyReplay;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-03-02T10:17:00Z" });
  pd = await startPagerDutyReplay(fixtures);
});
afterAll(async () => {
  await pd?.close();
  await t?.close();
});

const cli = (args: string[]): Promise<CliResult> =>
  runCli(["import", "pagerduty", ...args, "--at", t.clock.now().toISOString()], {
    base: t.base,
    token: t.admin.token,
  });
const fromApi = () => ["--base-url", pd.baseUrl, "--token", pd.token];

async function setUp() {
  const [users, schedules, services, policies] = await Promise.all(
    ["/api/v1/users", "/api/v1/schedules", "/api/v1/services", "/api/v1/escalation-policies"].map((p) =>
      t.admin.get(p),
    ),
  );
  return {
    users: users?.body.users.map((u: { username: string }) => u.username).sort(),
    schedules: schedules?.body.schedules.map((s: { name: string }) => s.name).sort(),
    services: services?.body.services.map((s: { name: string }) => s.name).sort(),
    policies: policies?.body.policies.map((p: { name: string }) => p.name).sort(),
  };
}

describe("firebreak import pagerduty", () => {
  it(
    "a dry run prints the plan, the unmapped list, the cut-over and the check, and changes nothing",
    slow,
    async () => {
      const before = await setUp();
      const r = await cli([...fromApi(), "--dry-run"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`PagerDuty import from ${pd.baseUrl} (dry run: nothing was changed)`);
      expect(r.stdout).toMatch(/^Plan: 38 changes$/m);
      expect(r.stdout).toMatch(/^Kept: \d+ objects? Firebreak has and PagerDuty does not name/m);
      expect(r.stdout).toMatch(/^create\s+schedule\s+Platform Primary/m);
      expect(r.stdout).toMatch(/^create\s+service\s+Checkout API/m);
      expect(r.stdout).toMatch(/^schedule layer\s+Platform Primary \/ Old nights\s+PL12\s+ended 2026-02-01/m);
      expect(r.stdout).toMatch(
        /^Datadog \(PI1\)\s+events_api_v2_inbound_integration\s+Checkout API \/ Datadog\s+issued on apply/m,
      );
      expect(r.stdout).toContain(
        "on call matches the source for all 672 hours of 2 schedules (2026-03-02 10:00Z – 2026-03-30 10:00Z)",
      );
      expect(await setUp()).toEqual(before);
    },
  );

  it(
    "the real run creates the set-up, issues a key per integration, and on call matches for 672 hours",
    slow,
    async () => {
      const r = await cli([...fromApi(), "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.dryRun).toBe(false);
      expect(report.onCall).toEqual({ hours: 672, schedules: 2, mismatches: [], missing: [] });
      expect(
        report.cutOver.map((c: { status: string; source: { id: string } }) => [c.source.id, c.status]),
      ).toEqual([
        ["PI1", "issued"],
        ["PI2", "issued"],
        ["PI3", "issued"],
      ]);
      const datadog = report.cutOver[0];
      expect(datadog.key).toMatch(/^[0-9a-f]{32}$/);
      expect(datadog.urls).toEqual(["http://firebreak.test/v2/enqueue"]);
      expect(report.cutOver[1].urls).toEqual(["http://firebreak.test/generic/2010-04-15/create_event.json"]);
      expect(report.unmapped.length).toBe(12);

      const after = await setUp();
      expect(after.schedules).toEqual(["Payments On-Call", "Platform Primary"]);
      expect(after.services).toEqual(["Checkout API", "Platform Core"]);
      expect(after.policies).toEqual(expect.arrayContaining(["Payments Escalation", "Platform Escalation"]));
      expect(after.users).toEqual(expect.arrayContaining(["alice", "alice-2", "bob", "staff10", "staff27"]));

      // The issued key works where Datadog's events now go.
      const sent = await t.admin.request("POST", "/v2/enqueue", {
        routing_key: datadog.key,
        event_action: "trigger",
        payload: { summary: "checkout latency", source: "datadog", severity: "critical" },
      });
      expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    },
  );

  it("a second run changes nothing and issues nothing", slow, async () => {
    const r = await cli(fromApi());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("No changes: Firebreak already matched.");
    expect(r.stdout).toMatch(
      /^Datadog \(PI1\)\s+events_api_v2_inbound_integration\s+Checkout API \/ Datadog\s+already issued/m,
    );
    expect(r.stdout).not.toContain("New keys are shown only now");
    expect(r.stdout).toContain("on call matches the source for all 672 hours of 2 schedules");
  });

  it("reads the same responses from a directory", slow, async () => {
    const r = await cli(["--from-dir", fixtures]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`PagerDuty import from ${fixtures}`);
    expect(r.stdout).toContain("No changes: Firebreak already matched.");
    expect(r.stdout).toContain("on call matches the source for all 672 hours of 2 schedules");
  });

  it("exits 1 naming each hour whose on-call differs from the source", slow, async () => {
    // A day later the window reaches past the recorded rendering: PagerDuty shows nobody there.
    t.clock.set("2026-03-03T10:05:00Z");
    const r = await cli([...fromApi(), "--dry-run"]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(
      /^on call differs from the source in 24 hours of 672 \(2026-03-03 10:00Z – 2026-03-31 10:00Z\):$/m,
    );
    expect(r.stdout).toMatch(/^Platform Primary\s+2026-03-30 10:00Z\s+nobody\s+\S+@acme\.example$/m);
  });

  it("refuses both sources at once, and a wrong token with PagerDuty's answer", slow, async () => {
    const both = await cli([...fromApi(), "--from-dir", fixtures]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--from-dir reads files: it takes no --base-url or --token");
    const wrong = await cli(["--base-url", pd.baseUrl, "--token", "nope", "--dry-run"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/reading PagerDuty: GET .*\/users\?limit=25&offset=0: HTTP 401/);
  });
});
