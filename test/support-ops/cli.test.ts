/**
 * `firebreak systems` as a user runs it: the real binary against the real server. Systems are
 * added and listed, an incident linked to them shows its criticality and escalation, the settings
 * are read and changed; usage mistakes exit 2, refusals exit 1 with the server's words.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { runCli } from "../support/cli.ts";

const slow = { timeout: 60_000 };
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-18T12:00:00Z" });
  await t.seedOnCall();
});
afterAll(() => t?.close());

const cli = (args: string[], token = t.admin.token) => runCli(args, { base: t.base, token });

describe("firebreak systems", () => {
  it(
    "adds, lists and links systems; show gives the incident's criticality and escalation",
    slow,
    async () => {
      const added = await cli(["systems", "add", "--criticality", "Mission Critical", "Zendesk Global"]);
      expect(added.code, added.stderr).toBe(0);
      expect(added.stdout).toContain("Zendesk Global: Mission Critical");
      expect((await cli(["systems", "add", "--criticality", "4", "Macros"])).code).toBe(0);
      const list = await cli(["systems", "list"]);
      expect(list.stdout).toMatch(/Macros\s+4 Administrative/);
      expect(list.stdout).toMatch(/Zendesk Global\s+1 Mission Critical/);

      const i = await t.admin.request("POST", "/api/v1/incidents", {
        type: "Gameday",
        status: "active",
        title: "tickets stuck",
        severity: "S3",
      });
      expect((await cli(["systems", "link", String(i.body.id), "Macros"])).code).toBe(0);
      const linked = await cli(["systems", "link", `#${i.body.id}`, "zendesk global"]);
      expect(linked.code, linked.stderr).toBe(0);
      expect(linked.stdout).toContain(
        `#${i.body.id}: Mission Critical (1), from Macros (Administrative), Zendesk Global (Mission Critical)`,
      );
      await t.advanceMinutes(10);
      const shown = await cli(["systems", "show", String(i.body.id)]);
      expect(shown.stdout).toContain("level 1 of 4; no resolution path");
      expect(shown.stdout).toContain("review required (REV-2)");
      const json = JSON.parse((await cli(["systems", "show", String(i.body.id), "--json"])).stdout);
      expect(json.escalation.history[0]).toMatchObject({ level: 1, reason: "no-resolution-path" });
      const cleared = await cli(["systems", "clear", String(i.body.id)]);
      expect(cleared.stdout).toContain("touches no system");
    },
  );

  it("reads and changes the settings; mistakes are named", slow, async () => {
    expect((await cli(["systems", "settings"])).stdout).toContain(
      "level 2 pages: Support Operations Specialist",
    );
    const changed = await cli(["systems", "settings", "--team-channel", "cs-ops"]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain("#cs-ops");
    const refused = await cli(["systems", "add", "--criticality", "urgent", "X"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Mission Critical");
    expect((await cli(["systems", "fly"])).code).toBe(2);
    expect((await cli(["systems", "link"])).code).toBe(2);
  });
});
