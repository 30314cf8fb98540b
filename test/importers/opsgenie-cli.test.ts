/**
 * `firebreak import opsgenie` end to end (issue 19): the real CLI against the real server, reading
 * a local server that replays Opsgenie's recorded answers (test/fixtures/opsgenie). A dry run
 * changes nothing; the real run creates the set-up, issues the integrations' keys and finds the
 * imported schedules agreeing with Opsgenie for every hour of the 4 weeks; running it again, or
 * from the directory of the same answers, changes nothing. "Now" is the test clock's instant,
 * passed as --at.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureDir, type Replay, startOpsgenieReplay } from "../fixtures/opsgenie/replay.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { importCli } from "../support/import-cli.ts";

const slow = { timeout: 120_000 };
const KEY = "og-e2e-key";

let t: TestApp;
let replay: Replay;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2027-03-08T00:00:00Z" });
  replay = await startOpsgenieReplay(KEY);
});
afterAll(async () => {
  await replay?.close();
  await t?.close();
});

const { at, cli, report, names } = importCli(() => t);
const fromApi = () => ["import", "opsgenie", "--base-url", replay.url, "--token", KEY, ...at()];

describe("firebreak import opsgenie", () => {
  it("plans in a dry run and changes nothing", slow, async () => {
    const plan = await report([...fromApi(), "--dry-run"]);
    expect(plan.dryRun).toBe(true);
    expect(plan.changes.length).toBeGreaterThan(10);
    expect(plan.changes).toContainEqual(
      expect.objectContaining({ action: "create", kind: "schedule", name: "Ops_Schedule / Rotation 2" }),
    );
    expect(plan.onCall).toMatchObject({ hours: 672, schedules: 2, mismatches: [], missing: [] });
    expect(plan.cutOver.map((c: { status: string }) => c.status)).toEqual([
      "issued on apply",
      "issued on apply",
    ]);
    expect(await names("/schedules", "schedules")).toEqual([]);
    expect(await names("/escalation-policies", "policies")).not.toContain("Ops_escalation");
    expect(await names("/services", "services")).toEqual([]);
  });

  it("applies the set-up, issues the keys and matches Opsgenie's on-call for every hour", slow, async () => {
    const r = await cli(fromApi());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/on call matches the source for all 672 hours of 2 schedules/);
    expect(r.stdout).toMatch(/Payments_escalation rule 3 .*next person on call/);
    expect(r.stdout).toMatch(
      /Prometheus \(c2c2c2c2-0000-4000-8000-000000000001\)\s+Prometheus\s+Checkout API \/ Prometheus/,
    );

    expect(await names("/schedules", "schedules")).toEqual([
      "Ops_Schedule / Rotation 1",
      "Ops_Schedule / Rotation 2",
      "Payments_Schedule",
    ]);
    const policies = (await t.admin.get("/api/v1/escalation-policies")).body.policies as {
      name: string;
      repeat: number;
      levels: { timeoutMinutes: number; targets: unknown[] }[];
    }[];
    const ops = policies.find((p) => p.name === "Ops_escalation");
    expect(ops?.repeat).toBe(2);
    expect(ops?.levels.map((l) => [l.timeoutMinutes, l.targets.length])).toEqual([
      [5, 2],
      [10, 2],
      [10, 4],
    ]);
    expect(policies.map((p) => p.name)).toEqual(
      expect.arrayContaining(["Ops_escalation", "Payments_escalation", "Stakeholders"]),
    );

    const services = (await t.admin.get("/api/v1/services")).body.services as { id: number; name: string }[];
    expect(services.map((s) => s.name).sort()).toEqual(["Checkout API", "Ops"]);
    const checkout = services.find((s) => s.name === "Checkout API")!;
    const keys = await t.admin.get(`/api/v1/services/${checkout.id}/integration-keys`);
    expect((keys.body.keys as { name: string }[]).map((k) => k.name)).toContain("Prometheus");
    const windows = await t.admin.get(`/api/v1/services/${checkout.id}/maintenance`);
    expect(windows.body.windows).toEqual([
      expect.objectContaining({
        start: "2027-03-12T22:00:00.000Z",
        end: "2027-03-13T02:00:00.000Z",
        reason: "Database upgrade",
      }),
    ]);

    const users = await t.admin.get("/api/v1/users");
    expect(
      (users.body.users as { email: string | null; role: string }[])
        .filter((u) => u.email?.endsWith("@example.com"))
        .map((u) => `${u.email} ${u.role}`)
        .sort(),
    ).toEqual([
      "alice@example.com admin",
      "bob@example.com admin",
      "carol@example.com responder",
      "dave@example.com responder",
      "erin@example.com responder",
      "frank@example.com viewer",
      "grace@example.com responder",
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
    const fromDir = await report(["import", "opsgenie", "--from-dir", fixtureDir, ...at()]);
    expect(fromDir.changes).toEqual([]);
    expect(fromDir.onCall).toMatchObject({ hours: 672, mismatches: [], missing: [] });
  });
});
