/**
 * `firebreak import grafana-oncall` end to end (issue 19): the real CLI against the real server,
 * reading a local server that replays Grafana OnCall's recorded answers (test/fixtures/grafana-oncall).
 * A dry run changes nothing; the real run creates the set-up, issues the integrations' keys and
 * finds the imported schedules agreeing with OnCall's final shifts for every hour of the 4 weeks
 * (Berlin's and Sydney's clock changes inside them); running it again, or from the directory of
 * the same answers, changes nothing. "Now" is the test clock's instant, passed as --at.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OnCallReplay, startOnCallReplay } from "../fixtures/grafana-oncall/replay.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { importCli } from "../support/import-cli.ts";

const slow = { timeout: 120_000 };
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/grafana-oncall");
const TOKEN = "oncall-e2e-token";

let t: TestApp;
let replay: OnCallReplay;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2027-03-22T00:00:00Z" });
  replay = await startOnCallReplay(FIXTURES, TOKEN);
});
afterAll(async () => {
  await replay?.close();
  await t?.close();
});

const { at, cli, report, names } = importCli(() => t);
const fromApi = () => ["import", "grafana-oncall", "--base-url", replay.url, "--token", TOKEN, ...at()];

describe("firebreak import grafana-oncall", () => {
  it("plans in a dry run and changes nothing", slow, async () => {
    const plan = await report([...fromApi(), "--dry-run"]);
    expect(plan.dryRun).toBe(true);
    expect(plan.changes).toContainEqual(
      expect.objectContaining({ action: "create", kind: "schedule", name: "Database (2)" }),
    );
    expect(plan.onCall).toMatchObject({ hours: 672, schedules: 2, mismatches: [], missing: [] });
    expect(plan.cutOver.map((c: { status: string }) => c.status)).toEqual([
      "issued on apply",
      "issued on apply",
    ]);
    expect(await names("/schedules", "schedules")).toEqual([]);
    expect(await names("/services", "services")).toEqual([]);
  });

  it("applies the set-up, issues the keys and matches OnCall's on-call for every hour", slow, async () => {
    const r = await cli(fromApi());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/on call matches the source for all 672 hours of 2 schedules/);
    expect(r.stdout).toMatch(/Legacy calendar\s+SLEGACY8W1N4R\s+an iCal schedule/);
    expect(r.stdout).toMatch(/Alertmanager production \(CALERTMGR3P8Q\)\s+alertmanager/);
    // The URL its senders post to today, beside the new key, so each sender can be found.
    expect(r.stdout).toMatch(
      /alertmanager\s+http:\/\/oncall\.example:8080\/integrations\/v1\/alertmanager\/mReAoNwDm0eMwKo1mTeTwYo\/\s+Alertmanager production \/ Alertmanager production/,
    );

    expect(await names("/schedules", "schedules")).toEqual(["Database", "Database (2)", "Platform primary"]);
    const policies = (await t.admin.get("/api/v1/escalation-policies")).body.policies as {
      name: string;
      repeat: number;
      levels: { timeoutMinutes: number; targets: unknown[] }[];
    }[];
    const platform = policies.find((p) => p.name === "Platform critical");
    expect(platform?.repeat).toBe(5);
    expect(platform?.levels.map((l) => [l.timeoutMinutes, l.targets.length])).toEqual([
      [15, 1],
      [30, 2],
    ]);

    const services = (await t.admin.get("/api/v1/services")).body.services as { id: number; name: string }[];
    expect(services.map((s) => s.name).sort()).toEqual([
      "Alertmanager production",
      "Grafana Alerting database",
    ]);
    const alertmanager = services.find((s) => s.name === "Alertmanager production")!;
    const keys = await t.admin.get(`/api/v1/services/${alertmanager.id}/integration-keys`);
    expect((keys.body.keys as { name: string }[]).map((k) => k.name)).toEqual(["Alertmanager production"]);
    const windows = await t.admin.get(`/api/v1/services/${alertmanager.id}/maintenance`);
    expect(windows.body.windows).toEqual([
      expect.objectContaining({ start: "2027-03-21T20:00:00.000Z", end: "2027-03-22T06:00:00.000Z" }),
    ]);

    const users = await t.admin.get("/api/v1/users");
    expect(
      (users.body.users as { email: string | null; role: string }[])
        .filter((u) => u.email?.endsWith("@example.com"))
        .map((u) => `${u.email} ${u.role}`)
        .sort(),
    ).toEqual([
      "alice@example.com admin",
      "bob@example.com responder",
      "carol@example.com responder",
      "dave@example.com responder",
      "erin@example.com responder",
      "frank@example.com viewer",
    ]);
  });

  it("changes nothing when run again, from the API or from the directory", slow, async () => {
    const again = await report(fromApi());
    expect(again.changes).toEqual([]);
    expect(again.onCall).toMatchObject({ mismatches: [], missing: [] });
    expect(again.cutOver.map((c: { status: string }) => c.status)).toEqual([
      "already issued",
      "already issued",
    ]);
    const fromDir = await report(["import", "grafana-oncall", "--from-dir", FIXTURES, ...at()]);
    expect(fromDir.changes).toEqual([]);
    expect(fromDir.onCall).toMatchObject({ hours: 672, mismatches: [], missing: [] });
  });
});
