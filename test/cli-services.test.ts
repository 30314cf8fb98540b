/**
 * `firebreak service` as a user runs it: the real binary against the real server. A service is
 * created on a policy named by name (its first key alone on stdout, where to send alerts on
 * stderr), listed, shown, edited and deleted; keys are created (and work: an alert sent with one is
 * accepted), listed and revoked (and then refused). Usage mistakes exit 2, refusals exit 1.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./support/app.ts";
import { type CliResult, runCli } from "./support/cli.ts";

const slow = { timeout: 60_000 };

let t: TestApp;
let viewerToken: string;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-03-02T10:00:00Z" });
  await t.seedOnCall();
  const db = await t.admin.request("POST", "/api/v1/escalation-policies", {
    name: "Database",
    levels: [
      { timeoutMinutes: 15, targets: [{ kind: "user", id: (await t.admin.get("/api/v1/me")).body.id }] },
    ],
  });
  expect(db.status, JSON.stringify(db.body)).toBe(201);
  viewerToken = (await t.user("vera", "viewer")).token;
});
afterAll(() => t?.close());

const cli = (args: string[], token = t.admin.token): Promise<CliResult> =>
  runCli(args, { base: t.base, token });

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  expect(r.code, `firebreak ${args.join(" ")}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const alertmanager = (key: string) =>
  fetch(`${t.base}/api/v1/integrations/alertmanager/${key}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      version: "4",
      groupKey: "{}",
      status: "firing",
      alerts: [
        { status: "firing", labels: { alertname: "DiskFull" }, annotations: { summary: "disk full" } },
      ],
    }),
  });

describe("firebreak service", () => {
  it(
    "creates a service on a policy by name: the key alone on stdout, where to send on stderr",
    slow,
    async () => {
      const r = await cli([
        "service",
        "create",
        "billing-db",
        "--policy",
        "database",
        "--description",
        "Billing's Postgres",
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toMatch(/^[0-9a-f]{32}$/);
      expect(r.stderr).toContain("created service billing-db");
      expect(r.stderr).toContain("paging Database");
      expect(r.stderr).toContain(`http://firebreak.test/api/v1/integrations/alertmanager/${r.stdout.trim()}`);
      expect((await alertmanager(r.stdout.trim())).status).toBe(200);

      const list = await ok(["service", "list"]);
      expect(list.split("\n")[0]).toMatch(/^ID\s+NAME\s+POLICY\s+GROUPING\s+DESCRIPTION$/);
      expect(list).toMatch(/billing-db\s+Database\s+60m\s+Billing's Postgres/);
      const json = JSON.parse(await ok(["service", "list", "--json"]));
      expect(json.services.map((s: { name: string }) => s.name)).toContain("billing-db");
    },
  );

  it("shows, edits and deletes a service named by name or id", slow, async () => {
    const show = await ok(["service", "show", "Billing-DB"]);
    expect(show).toContain("pages        Database");
    expect(show).toMatch(/default\s+…[0-9a-f]{4}\s+default/);
    expect(show).toContain("no maintenance on or coming");

    const edited = await ok([
      "service",
      "edit",
      "billing-db",
      "--grouping-minutes",
      "15",
      "--name",
      "billing",
    ]);
    expect(edited).toMatch(/^service \d+ updated: name, groupingWindowMinutes/);
    const s = JSON.parse(await ok(["service", "show", "billing", "--json"]));
    expect(s).toMatchObject({ name: "billing", groupingWindowMinutes: 15, maintenance: [] });

    const made = JSON.parse(await ok(["service", "create", "scratch", "--json"]));
    expect(made.integrationKey).toMatch(/^[0-9a-f]{32}$/);
    expect(await ok(["service", "delete", String(made.id)])).toContain("service scratch deleted");
    expect((await t.admin.get(`/api/v1/services/${made.id}`)).status).toBe(404);
  });

  it("creates, lists and revokes keys; a revoked key is refused", slow, async () => {
    const r = await cli(["service", "key", "create", "billing", "prometheus"]);
    expect(r.code, r.stderr).toBe(0);
    const key = r.stdout.trim();
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(r.stderr).toContain("created integration key prometheus");

    const keys = await ok(["service", "keys", "billing"]);
    expect(keys).toMatch(new RegExp(`prometheus\\s+…${key.slice(-4)}\\s+default`));
    const listed = JSON.parse(await ok(["service", "key", "list", "billing", "--json"])).keys as {
      id: number;
      name: string;
    }[];
    const prometheus = listed.find((k) => k.name === "prometheus");
    expect(JSON.stringify(listed)).not.toContain(key);

    expect(await ok(["service", "key", "revoke", "billing", String(prometheus?.id)])).toContain("revoked");
    await expect.poll(async () => (await alertmanager(key)).status, { timeout: 10_000 }).toBe(404);
    expect(await ok(["service", "keys", "billing"])).not.toContain("prometheus");
  });

  it("sets a key's source silence at creation and later, and turns it off", slow, async () => {
    const r = await cli(["service", "key", "create", "billing", "blackbox", "--silence-minutes", "60"]);
    expect(r.code, r.stderr).toBe(0);
    const key = r.stdout.trim();
    const listed = JSON.parse(await ok(["service", "key", "list", "billing", "--json"])).keys as {
      id: number;
      name: string;
      silenceMinutes: number | null;
    }[];
    const blackbox = listed.find((k) => k.name === "blackbox");
    expect(blackbox?.silenceMinutes).toBe(60);
    expect(await ok(["service", "keys", "billing"])).toMatch(
      new RegExp(`blackbox\\s+…${key.slice(-4)}.*60 min`),
    );

    expect(await ok(["service", "key", "silence", "billing", String(blackbox?.id), "15"])).toContain(
      "nothing arrives on it for 15 minutes",
    );
    const after = JSON.parse(await ok(["service", "key", "list", "billing", "--json"])).keys as {
      name: string;
      silenceMinutes: number | null;
    }[];
    expect(after.find((k) => k.name === "blackbox")?.silenceMinutes).toBe(15);
    expect(await ok(["service", "key", "silence", "billing", String(blackbox?.id), "off"])).toContain(
      "no alert when it goes quiet",
    );
    const off = JSON.parse(await ok(["service", "key", "list", "billing", "--json"])).keys as {
      name: string;
      silenceMinutes: number | null;
    }[];
    expect(off.find((k) => k.name === "blackbox")?.silenceMinutes).toBeNull();

    // Out of range or not a number: a usage mistake, nothing sent.
    expect((await cli(["service", "key", "silence", "billing", String(blackbox?.id), "0"])).code).toBe(2);
    expect((await cli(["service", "key", "create", "billing", "x", "--silence-minutes", "soon"])).code).toBe(
      2,
    );
  });

  it("exits 2 on usage mistakes and 1 when the API refuses", slow, async () => {
    const unknown = await cli(["service", "show", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no service named "nope"; known services: billing');
    expect((await cli(["service", "frobnicate"])).code).toBe(2);
    expect((await cli(["service", "create"])).code).toBe(2);
    expect((await cli(["service", "edit", "billing"])).code).toBe(2);
    expect((await cli(["service", "create", "x", "--policy", "Nowhere"])).code).toBe(2);

    const dup = await cli(["service", "create", "billing"]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/^firebreak: /);
    const viewer = await cli(["service", "create", "mine"], viewerToken);
    expect(viewer.code).toBe(1);
    const bad = await cli(["service", "edit", "billing", "--grouping-minutes", "99999"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("groupingWindowMinutes");
  });
});
