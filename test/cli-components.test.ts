/**
 * `firebreak statuspage` and `firebreak component` as a user runs them: the real CLI as a child
 * process against the real server. A page is created, a group and two components in it, one is
 * edited, moved out of its group and deleted; the listing follows, as text and as --json, and the
 * public page shows what was made. Mistakes exit 2 with the usage, refusals 1 with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./support/app.ts";
import { runCli } from "./support/cli.ts";

const slow = { timeout: 60_000 };

// biome-ignore lint/suspicious/noExplicitAny: JSON from the CLI, read loosely in assertions
type Json = any;

let t: TestApp;
let responder: Awaited<ReturnType<TestApp["user"]>>;
beforeAll(async () => {
  t = await startTestApp();
  responder = await t.user("rita", "responder");
  await t.admin.request("POST", "/api/v1/teams", { slug: "web", name: "Web team" });
});
afterAll(() => t?.close());

const cli = (args: string[]) => runCli(args, { base: t.base, token: t.admin.token });
const json = async (args: string[]): Promise<Json> => {
  const r = await cli([...args, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe("firebreak statuspage", () => {
  it("creates a page for a team, lists it with the team's name, and renames it", slow, async () => {
    const made = await cli([
      "statuspage",
      "create",
      "shop",
      "--name",
      "Shop",
      "--time-zone",
      "Europe/Berlin",
      "--team",
      "web",
    ]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain('created status page shop "Shop" (Europe/Berlin): /status/shop');
    const list = await cli(["statuspage", "list"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^SLUG\s+NAME\s+TIME ZONE\s+TEAM$/m);
    expect(list.stdout).toMatch(/^shop\s+Shop\s+Europe\/Berlin\s+Web team$/m);
    expect(list.stdout).toMatch(/^default\s+Status\s+UTC\s+Default/m);

    const edited = await json(["statuspage", "edit", "shop", "--name", "Acme Shop"]);
    expect(edited).toMatchObject({ slug: "shop", name: "Acme Shop", timeZone: "Europe/Berlin" });
    expect((await json(["statuspage", "list"])).pages.map((p: Json) => p.slug)).toEqual(["default", "shop"]);
  });

  it(
    "exits 1 with the server's reason for a bad time zone, 2 with the usage for a bad command",
    slow,
    async () => {
      const bad = await cli(["statuspage", "edit", "shop", "--time-zone", "Mars/Olympus"]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("unknown time zone");
      const nothing = await cli(["statuspage", "edit", "shop"]);
      expect(nothing.code).toBe(2);
      expect(nothing.stderr).toContain("nothing to change");
      const unknown = await cli(["statuspage", "remove", "shop"]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("firebreak statuspage create SLUG --name NAME");
    },
  );
});

describe("firebreak component", () => {
  it(
    "creates a group and two components in it, at the end, and lists them as the page shows them",
    slow,
    async () => {
      const group = await json(["component", "create", "Checkout", "--group", "--page", "shop"]);
      expect(group).toMatchObject({ name: "Checkout", group: true, position: 0 });
      const api = await cli([
        "component",
        "create",
        "Payments API",
        "--in",
        "Checkout",
        "--description",
        "Card payments",
        "--page",
        "shop",
      ]);
      expect(api.code, api.stderr).toBe(0);
      expect(api.stdout).toMatch(/^created component \d+ "Payments API" on page shop$/m);
      const form = await json([
        "component",
        "create",
        "Card form",
        "--in",
        String(group.id),
        "--page",
        "shop",
      ]);
      expect(form).toMatchObject({ groupId: group.id, position: 2 });

      const list = await cli(["component", "list", "--page", "shop"]);
      expect(list.code, list.stderr).toBe(0);
      const lines = list.stdout.trimEnd().split("\n");
      expect(lines[0]).toMatch(/^ID\s+NAME\s+STATUS\s+POSITION\s+DESCRIPTION$/);
      expect(lines[1]).toMatch(/^\d+\s+Checkout \(group\)\s+operational\s+0$/);
      expect(lines[2]).toMatch(/^\d+\s+ {2}Payments API\s+operational\s+1\s+Card payments$/);
      expect(lines[3]).toMatch(/^\d+\s+ {2}Card form\s+operational\s+2$/);
      const html = await (await fetch(`${t.base}/status/shop`)).text();
      expect(html).toContain("<h1>Acme Shop status</h1>");
      expect(html.indexOf("Payments API")).toBeLessThan(html.indexOf("Card form"));
      // The default page has none, and --page defaults to it.
      expect((await cli(["component", "list"])).stdout.trim()).toBe("no components");
    },
  );

  it("edits a component, moves it out of its group, and deletes it", slow, async () => {
    const [, , form] = (await json(["component", "list", "--page", "shop"])).components;
    expect(form.name).toBe("Card form");
    const renamed = await cli([
      "component",
      "edit",
      String(form.id),
      "--name",
      "Card entry",
      "--in",
      "none",
      "--position",
      "9",
      "--page",
      "shop",
    ]);
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(renamed.stdout).toContain(`changed component ${form.id} "Card entry" on page shop`);
    const after = (await json(["component", "list", "--page", "shop"])).components.find(
      (c: Json) => c.id === form.id,
    );
    expect(after).toMatchObject({ name: "Card entry", groupId: null, position: 9 });

    const gone = await cli(["component", "delete", String(form.id), "--page", "shop"]);
    expect(gone.code, gone.stderr).toBe(0);
    expect(gone.stdout).toContain(`deleted component ${form.id} from page shop`);
    expect((await json(["component", "list", "--page", "shop"])).components).toHaveLength(2);
    const again = await cli(["component", "delete", String(form.id), "--page", "shop"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("does not exist");
  });

  it("says which groups there are for an unknown one, and refuses a responder's delete", slow, async () => {
    const r = await cli(["component", "create", "Search", "--in", "Nope", "--page", "shop"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no group "Nope" on page shop; its groups: Checkout');
    const [group] = (await json(["component", "list", "--page", "shop"])).components;
    const refused = await runCli(["component", "delete", String(group.id), "--page", "shop"], {
      base: t.base,
      token: responder.token,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/admin/i);
    expect((await cli(["component", "list", "--page", "nope"])).code).toBe(1);
    expect((await cli(["component", "frobnicate"])).code).toBe(2);
  });
});
