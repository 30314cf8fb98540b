/**
 * The `firebreak` CLI as a user runs it: a child process (`node bin/firebreak.js ...`) talking to
 * the real server over HTTP. One incident's story from declaration to resolution, then the failures.
 */
import { type AddressInfo, createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./support/app.ts";
import { type CliResult, runCli } from "./support/cli.ts";

const slow = { timeout: 60_000 };

type Result = CliResult;

let t: TestApp;
let bob: Awaited<ReturnType<TestApp["user"]>>;
beforeAll(async () => {
  t = await startTestApp();
  await t.user("alice", "responder");
  bob = await t.user("bob", "responder");
});
afterAll(() => t?.close());

const cli = (args: string[], env: Record<string, string> = {}): Promise<Result> =>
  runCli(args, { base: t.base, token: t.admin.token }, env);

/** A local port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Asserts success and returns stdout. */
async function ok(args: string[], env?: Record<string, string>): Promise<string> {
  const r = await cli(args, env);
  expect(r.code, `firebreak ${args.join(" ")}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

describe("firebreak CLI: an incident from declaration to resolution", () => {
  let id = 0;
  let duplicate = 0;

  it("DEC-3: declares an incident and a triage duplicate, and lists them", slow, async () => {
    const declare = ["declare", "--title", "Checkout errors", "--type", "GitLab.com", "--severity", "S2"];
    const out = await ok([...declare, "--summary", "5xx on /checkout"]);
    const m = /^declared #(\d+) \(S2, investigating\), owned by admin/.exec(out);
    expect(m, out).not.toBeNull();
    id = Number(m?.[1]);

    const dup = JSON.parse(
      await ok([
        "declare",
        "--title",
        "Checkout 500s",
        "--type",
        "GitLab.com",
        "--severity",
        "S3",
        "--triage",
        "--json",
      ]),
    );
    expect(dup.state).toBe("triage");
    duplicate = dup.id;

    const table = (await ok(["list"])).split("\n");
    expect(table[0]).toMatch(/^ID\s+SEV\s+STATE\s+OWNER\s+TITLE\s+DECLARED$/);
    const row = table.find((l) => l.startsWith(`${id} `));
    expect(row).toMatch(/S2\s+investigating\s+admin\s+Checkout errors\s+2026-03-02 10:00Z/);

    const triage = JSON.parse(await ok(["list", "--state", "triage", "--json"]));
    expect(triage.incidents.map((i: { id: number }) => i.id)).toEqual([duplicate]);
  });

  it("LC-1, COMM-1, TL-2: moves it along, posts an update and a note, pins the note", slow, async () => {
    const shown = JSON.parse(await ok(["show", String(id), "--json"]));
    expect(shown).toMatchObject({
      id,
      title: "Checkout errors",
      severity: "S2",
      summary: "5xx on /checkout",
    });

    expect(await ok(["status", String(id), "fixing", "--reason", "found the bad deploy"])).toBe(
      `#${id} is now fixing\n`,
    );
    t.clock.advanceMinutes(5);
    const update = ["update", String(id), "--impact", "20% of checkouts fail", "--actions", "rolling back"];
    expect(await ok([...update, "--next-update", "+30m"])).toMatch(
      new RegExp(`^#${id}: status update posted \\(event \\d+\\)\\n$`),
    );
    expect(
      await ok([
        "update",
        `#${id}`,
        "--title",
        "Checkout errors after deploy",
        "--blocks-deployments",
        "yes",
      ]),
    ).toBe(`#${id} updated: title, blocksDeployments\n`);

    const note = JSON.parse(await ok(["note", String(id), "rollback", "started", "--internal", "--json"]));
    expect(note).toMatchObject({ kind: "note", body: "rollback started", internal: true, pinned: false });
    expect(await ok(["pin", String(id), String(note.id)])).toBe(`#${id}: event ${note.id} pinned\n`);
  });

  it(
    "SEV-1, LC-4: raising to S1 says why, and the deploy gate is closed while it is open",
    slow,
    async () => {
      expect(await ok(["severity", String(id), "S1", "--reason", "all regions affected"])).toBe(
        `#${id} is now S1\n`,
      );
      const gate = await cli(["gate"]);
      expect(gate.code).toBe(3);
      expect(gate.stdout).toContain("deployments: BLOCKED");
      expect(gate.stdout).toContain(`#${id} Checkout errors after deploy (S1, fixing)`);
    },
  );

  it("OWN-1, OWN-5, LC-2: gives a role, hands ownership over, merges the duplicate", slow, async () => {
    expect(await ok(["assign", String(id), "alice", "--role", "IM"])).toBe(`#${id}: IM is now alice\n`);
    expect(await ok(["assign", String(id), String(bob.id), "--reason", "bob knows checkout"])).toBe(
      `#${id} is now owned by bob\n`,
    );
    const merged = JSON.parse(await ok(["merge", String(duplicate), "--into", String(id), "--json"]));
    expect(merged.duplicate).toMatchObject({ id: duplicate, state: "merged", mergedInto: id });
  });

  it("OWN-2: only the owner resolves; the API's refusal reaches stderr with exit code 1", slow, async () => {
    const refused = await cli(["status", String(id), "triage"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `firebreak: incident ${id} is fixing; it can move to investigating, monitoring, resolved, not triage\n`,
    );
    const notOwner = await cli(["resolve", String(id)]);
    expect(notOwner.code).toBe(1);
    expect(notOwner.stderr).toMatch(/^firebreak: only the incident's owner .* can resolve/);

    expect(await ok(["resolve", String(id), "--reason", "rolled back"], { FIREBREAK_TOKEN: bob.token })).toBe(
      `#${id} is now resolved\n`,
    );
    const gate = await cli(["gate", "--json"]);
    expect(gate.code).toBe(0);
    expect(JSON.parse(gate.stdout)).toEqual({ blocked: false, kind: "deployments", incidents: [] });
  });

  it("TL-1: show --timeline lists every change, with the pinned note marked", slow, async () => {
    const out = await ok(["show", String(id), "--timeline"]);
    const [block = "", timeline = ""] = out.split("\n\nID ");
    expect(block).toMatch(new RegExp(`^#${id} Checkout errors after deploy\\n`));
    expect(block).toMatch(/^ {2}state\s+resolved \(next: post-incident, closed, investigating\)$/m);
    expect(block).toMatch(/^ {2}severity\s+S1$/m);
    expect(block).toMatch(/^ {2}owner\s+bob \(bob\)$/m);
    expect(block).toMatch(/^ {2}roles\s+IM: alice, Incident Lead: bob$/m);
    expect(block).toMatch(/^ {2}blocks\s+deployments, feature-flags$/m);
    expect(block).toMatch(/^ {2}labels\s+.*Incident::Resolved/m);
    // DEC-2: the type's video bridge (no tracker in the default policy).
    expect(block).toMatch(
      new RegExp(`^ {2}call\\s+https://meet\\.jit\\.si/firebreak-${id}-checkout-errors-after-deploy$`, "m"),
    );
    expect(block).not.toMatch(/^ {2}issue/m);
    expect(block).toContain("5xx on /checkout");
    const lines = timeline.split("\n");
    expect(lines[0]).toMatch(/^\s*TIME\s+ACTOR\s+KIND\s+BODY$/);
    for (const kind of ["declared", "status-changed", "status-update", "fields-changed", "note", "pinned"]) {
      expect(
        lines.some((l) => l.includes(` ${kind} `)),
        kind,
      ).toBe(true);
    }
    expect(timeline).toMatch(/admin\s+note\s+📌 \(internal\) rollback started/);
    expect(timeline).toMatch(/admin\s+severity-changed\s+S2 → S1: all regions affected/);
    expect(timeline).toMatch(/bob\s+status-changed\s+fixing → resolved: rolled back/);
    expect(timeline).toMatch(/admin\s+role-changed\s+IM: nobody → alice/);
    // OWN-3: the IM owns an externally facing S1/S2 by default; then admin hands it to bob.
    expect(timeline).toMatch(
      /firebreak\s+owner-changed\s+owner admin → alice: OWN-3-im: the owner by default/,
    );
    expect(timeline).toMatch(/admin\s+owner-changed\s+owner alice → bob: bob knows checkout/);
    expect(timeline).toMatch(new RegExp(`admin\\s+declared\\s+\\(#${duplicate}\\) Checkout 500s`));
    expect(timeline).toContain(`#${duplicate} merged into this one`);
  });
});

describe("firebreak CLI: failures and tokens", () => {
  it("exits 2 with the command's usage on a usage error, 1 on a bad token or no server", slow, async () => {
    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    const [usage, badToken, noServer, noToken] = await Promise.all([
      cli(["severity", "1", "S2"]),
      cli(["list"], { FIREBREAK_TOKEN: "fbk_not-a-real-token" }),
      cli(["list"], { FIREBREAK_URL: nowhere }),
      cli(["list"], { FIREBREAK_TOKEN: "" }),
    ]);
    expect(usage).toMatchObject({ code: 2, stdout: "" });
    expect(usage.stderr).toBe(
      "firebreak severity: missing --reason TEXT\nusage: firebreak severity ID SEV --reason TEXT\n",
    );
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(
      /^firebreak: the API token starting fbk_not-… is unknown.*check FIREBREAK_TOKEN/,
    );
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toBe(
      `firebreak: cannot reach Firebreak at ${nowhere} (ECONNREFUSED); is it running? set FIREBREAK_URL\n`,
    );
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/FIREBREAK_TOKEN is not set.*\n.*firebreak serve/);
  });

  it("creates a token whose secret alone goes to stdout, and the new token works", slow, async () => {
    const created = await cli(["token", "create", "laptop"]);
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/created token laptop/);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^fbk_\S+$/);
    expect(await ok(["whoami"], { FIREBREAK_TOKEN: secret })).toMatch(
      /^admin \(Administrator\), admin, id \d+\n$/,
    );
  });
});
