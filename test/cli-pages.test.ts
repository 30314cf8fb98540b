/**
 * The page commands (`pages`, `page-show`, `page`, `ack`, `page-resolve`, `escalate`, `reassign`)
 * as a user runs them: a child process against the real server. Two policies: Infrastructure
 * (alice, then bob) and Database (carol). Alice's notifications go to a webhook that answers 410,
 * so her deliveries fail for good and `page-show` has an error to show.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./support/app.ts";
import { type CliResult, runCli } from "./support/cli.ts";

const slow = { timeout: 60_000 };

type Person = Awaited<ReturnType<TestApp["user"]>>;

let t: TestApp;
let receiver: Server;
let alice: Person;
let bob: Person;
let carol: Person;
let infrastructure: number;
let database: number;

async function policy(name: string, levels: Person[][]): Promise<number> {
  const r = await t.admin.request("POST", "/api/v1/escalation-policies", {
    name,
    levels: levels.map((users) => ({
      timeoutMinutes: 15,
      targets: users.map((u) => ({ kind: "user", id: u.id })),
    })),
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

beforeAll(async () => {
  receiver = createServer((_req, res) => res.writeHead(410, { "content-type": "text/plain" }).end("gone"));
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  t = await startTestApp({ clockStart: "2026-03-02T10:00:00Z" });
  alice = await t.user("alice", "responder");
  bob = await t.user("bob", "responder");
  carol = await t.user("carol", "responder");
  const cm = await alice.request("POST", "/api/v1/me/contact-methods", {
    kind: "webhook",
    label: "hook",
    address: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/gone`,
  });
  expect(cm.status, JSON.stringify(cm.body)).toBe(201);
  const rule = await alice.request("POST", "/api/v1/me/notification-rules", {
    contactMethodId: cm.body.id,
    urgency: "high",
    delayMinutes: 0,
  });
  expect(rule.status, JSON.stringify(rule.body)).toBe(201);
});
afterAll(async () => {
  await t?.close();
  await new Promise((r) => receiver?.close(r));
});

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCli(args, { base: t.base, token: t.admin.token }, env);

async function ok(args: string[], env?: Record<string, string>): Promise<string> {
  const r = await cli(args, env);
  expect(r.code, `firebreak ${args.join(" ")}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const read = async (pageId: number) => {
  const r = await t.admin.get(`/api/v1/pages/${pageId}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

/** Triggers a page through the CLI and returns its id. */
async function trigger(policyName: string, title: string): Promise<number> {
  const out = await ok(["page", policyName, "--title", title]);
  const m = /^page (\d+) triggered on /.exec(out);
  expect(m, out).not.toBeNull();
  return Number(m?.[1]);
}

describe("firebreak pages and page", () => {
  it("with no pages it says so", slow, async () => {
    expect(await ok(["pages"])).toBe("no pages match\n");
  });

  it("pages a policy by name or id; --low pages at low urgency", slow, async () => {
    infrastructure = await policy("Infrastructure", [[alice], [bob]]);
    database = await policy("Database", [[carol]]);

    expect(await ok(["page", "Infrastructure", "--title", "disk full on db-1"])).toMatch(
      /^page \d+ triggered on Infrastructure \(high urgency\): disk full on db-1\n$/,
    );
    const [latest] = (await t.admin.get("/api/v1/pages")).body.pages;
    expect(latest).toMatchObject({
      policyId: infrastructure,
      title: "disk full on db-1",
      urgency: "high",
      state: "triggered",
      level: 0,
    });
    expect((await read(latest.id)).assignedTo).toEqual([alice.id]);

    const low = JSON.parse(
      await ok(["page", String(database), "--title", "slow replica", "--low", "--json"]),
    );
    expect(low).toMatchObject({ policyId: database, urgency: "low", state: "triggered" });
    // A name in another case is the same policy.
    expect(await ok(["page", "database", "--title", "replica lag"])).toMatch(/triggered on Database \(/);
  });

  it("an unknown policy name is a usage error naming the known policies (exit 2)", slow, async () => {
    const before = (await t.admin.get("/api/v1/pages")).body.pages.length;
    const r = await cli(["page", "Networking", "--title", "packet loss"]);
    expect(r).toMatchObject({ code: 2, stdout: "" });
    expect(r.stderr).toBe(
      'firebreak page: no escalation policy named "Networking"; known policies: Database, Infrastructure\n' +
        "usage: firebreak page POLICY --title TEXT [--low]\n" +
        "usage: firebreak page test [USER] [--json]\n",
    );
    const missingTitle = await cli(["page", "Infrastructure"]);
    expect(missingTitle.code).toBe(2);
    expect(missingTitle.stderr).toMatch(/^firebreak page: missing --title TEXT\n/);
    // An unknown id is the API's to refuse: exit 1 with its message.
    const noId = await cli(["page", "999", "--title", "x"]);
    expect(noId.code).toBe(1);
    expect(noId.stderr).toMatch(/^firebreak: .*no escalation policy 999/);
    expect((await t.admin.get("/api/v1/pages")).body.pages.length).toBe(before);
  });

  it("lists the open pages newest first, with policy names and incidents", slow, async () => {
    await policy("Incident Manager", [[bob]]);
    const declared = await t.admin.request("POST", "/api/v1/incidents", {
      type: "GitLab.com",
      status: "active",
      title: "checkout down",
      severity: "S1",
    });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    const incident = declared.body.id as number;

    const lines = (await ok(["pages"])).trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+STATE\s+URGENCY\s+LEVEL\s+POLICY\s+INCIDENT\s+TITLE\s+CREATED$/);
    expect(lines).toHaveLength(5);
    expect(lines[1]).toMatch(
      new RegExp(
        `^\\d+\\s+triggered\\s+high\\s+0\\s+Incident Manager\\s+#${incident}\\s+S1 incident #${incident} \\(PAGE-1\\): checkout down\\s+2026-03-02 10:00Z$`,
      ),
    );
    expect(lines[2]).toMatch(/^\d+\s+triggered\s+high\s+0\s+Database\s+-\s+replica lag\s+2026-03-02 10:00Z$/);
    expect(lines[3]).toMatch(/^\d+\s+triggered\s+low\s+0\s+Database\s+-\s+slow replica\s+/);
    expect(lines[4]).toMatch(/^\d+\s+triggered\s+high\s+0\s+Infrastructure\s+-\s+disk full on db-1\s+/);

    const mine = JSON.parse(await ok(["pages", "--incident", `#${incident}`, "--json"]));
    expect(mine.pages).toHaveLength(1);
    expect(mine.pages[0]).toMatchObject({
      incidentId: incident,
      title: `S1 incident #${incident} (PAGE-1): checkout down`,
    });
    expect((await ok(["pages", "--limit", "1"])).trimEnd().split("\n")).toHaveLength(2);
    expect(await ok(["pages", "--state", "resolved"])).toBe("no pages match\n");

    const bad = await cli(["pages", "--state", "open"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^firebreak pages: --state takes triggered, acknowledged, resolved, not "open"\n/,
    );
  });
});

describe("firebreak ack, escalate, reassign, page-resolve", () => {
  it("PAGE-2: ack acknowledges several pages at once; they stay listed as open", slow, async () => {
    const first = await trigger("Infrastructure", "api latency");
    const second = await trigger("Infrastructure", "api errors");
    expect(await ok(["ack", String(first), `#${second}`], { FIREBREAK_TOKEN: alice.token })).toBe(
      `page ${first} acknowledged\npage ${second} acknowledged\n`,
    );
    for (const p of [first, second]) {
      expect(await read(p)).toMatchObject({ state: "acknowledged", acknowledgedBy: alice.id });
    }
    // No escalation to bob once acknowledged.
    await t.advanceMinutes(16);
    expect(await read(first)).toMatchObject({ state: "acknowledged", level: 0, assignedTo: [alice.id] });

    const open = await ok(["pages"]);
    expect(open).toMatch(
      new RegExp(`^${first}\\s+acknowledged\\s+high\\s+0\\s+Infrastructure\\s+-\\s+api latency`, "m"),
    );
    const acked = JSON.parse(await ok(["pages", "--state", "acknowledged", "--json"]));
    expect(acked.pages.map((p: { id: number }) => p.id)).toEqual([second, first]);
  });

  it("PAGE-2: ack reports the pages it cannot acknowledge on stderr and exits 1", slow, async () => {
    const fresh = await trigger("Database", "vacuum stuck");
    const acked = (await t.admin.get("/api/v1/pages?state=acknowledged")).body.pages[0].id as number;
    const r = await cli(["ack", String(acked), "99999", String(fresh)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`page ${fresh} acknowledged\n`);
    expect(r.stderr).toBe(
      `firebreak: page ${acked} is acknowledged; only a triggered page can be acknowledged\n` +
        "firebreak: page 99999 does not exist or is not visible to you\n",
    );
    expect((await read(fresh)).state).toBe("acknowledged");

    const another = await trigger("Database", "wal archive full");
    const json = await cli(["ack", String(another), "99999", "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      pages: [expect.objectContaining({ id: another, state: "acknowledged" })],
    });
    expect(json.stderr).toBe("firebreak: page 99999 does not exist or is not visible to you\n");

    const notANumber = await cli(["ack", "db-1"]);
    expect(notANumber).toMatchObject({ code: 2, stdout: "" });
    expect(notANumber.stderr).toMatch(/^firebreak ack: PAGE must be a number like 12, not "db-1"\n/);
    expect((await cli(["ack"])).stderr).toBe("firebreak ack: missing PAGE\nusage: firebreak ack PAGE...\n");
  });

  it("PAGE-2: escalate notifies the next level now, or the --level given", slow, async () => {
    const pageId = await trigger("Infrastructure", "queue backlog");
    expect(await ok(["escalate", String(pageId)])).toBe(
      `page ${pageId} escalated to level 1 of Infrastructure\n`,
    );
    await t.runJobs();
    expect(await read(pageId)).toMatchObject({ state: "triggered", level: 1, assignedTo: [bob.id] });

    // An acknowledged page is triggered again by escalating it.
    await ok(["ack", String(pageId)], { FIREBREAK_TOKEN: bob.token });
    const back = JSON.parse(await ok(["escalate", String(pageId), "--level", "0", "--json"]));
    expect(back).toMatchObject({ id: pageId, state: "triggered", level: 0 });
    await t.runJobs();
    expect(await read(pageId)).toMatchObject({ level: 0, assignedTo: [alice.id] });

    const tooFar = await cli(["escalate", String(pageId), "--level", "5"]);
    expect(tooFar.code).toBe(1);
    expect(tooFar.stderr).toBe("firebreak: level: policy Infrastructure has levels 0 to 1; got 5\n");
    const notALevel = await cli(["escalate", String(pageId), "--level", "top"]);
    expect(notALevel.code).toBe(2);
    expect(notALevel.stderr).toMatch(/^firebreak escalate: --level must be a whole number/);
    expect((await read(pageId)).level).toBe(0);
  });

  it("PAGE-2: reassign moves a page to another policy's first level", slow, async () => {
    const pageId = await trigger("Infrastructure", "cert expiring");
    await ok(["escalate", String(pageId)]);
    expect(await ok(["reassign", String(pageId), "--policy", "Database"])).toBe(
      `page ${pageId} reassigned to Database, level 0\n`,
    );
    await t.runJobs();
    expect(await read(pageId)).toMatchObject({ policyId: database, level: 0, assignedTo: [carol.id] });

    const unknown = await cli(["reassign", String(pageId), "--policy", "Nobody"]);
    expect(unknown).toMatchObject({ code: 2, stdout: "" });
    expect(unknown.stderr).toBe(
      'firebreak reassign: no escalation policy named "Nobody"; known policies: Database, Incident Manager, Infrastructure\n' +
        "usage: firebreak reassign PAGE --policy POLICY\n",
    );
    expect((await read(pageId)).policyId).toBe(database);
  });

  it("page-resolve resolves; resolved pages leave the default list", slow, async () => {
    const pageId = await trigger("Database", "backups failing");
    expect(await ok(["page-resolve", String(pageId)], { FIREBREAK_TOKEN: carol.token })).toBe(
      `page ${pageId} resolved\n`,
    );
    expect(await read(pageId)).toMatchObject({ state: "resolved", resolvedBy: carol.id });
    expect(await ok(["pages"])).not.toMatch(new RegExp(`^${pageId} `, "m"));
    expect(await ok(["pages", "--state", "resolved"])).toMatch(
      new RegExp(`^${pageId}\\s+resolved\\s+high\\s+0\\s+Database\\s+-\\s+backups failing`, "m"),
    );

    const again = await cli(["page-resolve", String(pageId)]);
    expect(again).toMatchObject({ code: 1, stdout: "" });
    expect(again.stderr).toBe(`firebreak: page ${pageId} is already resolved\n`);
    const escalated = await cli(["escalate", String(pageId)]);
    expect(escalated.code).toBe(1);
    expect(escalated.stderr).toBe(`firebreak: page ${pageId} is resolved; trigger a new one\n`);
  });

  it("an unknown page is the API's 404: exit 1 with its message", slow, async () => {
    for (const args of [
      ["page-show", "4242"],
      ["page-resolve", "4242"],
      ["escalate", "4242"],
    ]) {
      const r = await cli(args);
      expect(r, args.join(" ")).toMatchObject({ code: 1, stdout: "" });
      expect(r.stderr).toBe("firebreak: page 4242 does not exist or is not visible to you\n");
    }
    const r = await cli(["reassign", "4242", "--policy", "Database"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("firebreak: page 4242 does not exist or is not visible to you\n");
  });

  it("a viewer cannot page: the API's refusal, exit 1", slow, async () => {
    const viewer = await t.user("vera", "viewer");
    const r = await cli(["page", "Database", "--title", "x"], { FIREBREAK_TOKEN: viewer.token });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^firebreak: /);
    expect(await ok(["pages", "--state", "resolved"], { FIREBREAK_TOKEN: viewer.token })).toMatch(
      /^ID\s+STATE/,
    );
  });
});

describe("firebreak page-show", () => {
  it("shows the page, its events, and its deliveries with the failed one's error", slow, async () => {
    t.clock.set("2026-03-02T11:00:00Z");
    const pageId = await trigger("Infrastructure", "disk full on db-2");
    await t.runJobs(); // alice's webhook answers 410
    await ok(["ack", String(pageId)], { FIREBREAK_TOKEN: alice.token });

    const out = await ok(["page-show", String(pageId)]);
    const [block = "", events = "", deliveries = ""] = out.trimEnd().split("\n\n");
    expect(block.split("\n")).toEqual([
      `page ${pageId}: disk full on db-2`,
      "  state      acknowledged by alice at 2026-03-02 11:00Z",
      "  urgency    high",
      "  policy     Infrastructure",
      "  level      0 (levels 0-1)",
      "  assigned   alice",
      "  incident   -",
      "  created    2026-03-02 11:00Z",
    ]);
    const ev = events.split("\n");
    expect(ev[0]).toMatch(/^TIME\s+ACTOR\s+KIND\s+DETAIL$/);
    expect(ev[1]).toMatch(
      /^2026-03-02 11:00Z\s+admin\s+page-triggered\s+paged Infrastructure, high urgency$/,
    );
    expect(ev[2]).toMatch(/^2026-03-02 11:00Z\s+firebreak\s+page-escalated\s+level 0: alice$/);
    expect(events).toMatch(/firebreak\s+page-notification-failed\s+alice, delivery \d+: failed-permanent$/m);
    expect(ev.at(-1)).toMatch(/^2026-03-02 11:00Z\s+alice\s+page-acknowledged\s+acknowledged$/);

    const dl = deliveries.split("\n");
    expect(dl[0]).toMatch(/^DELIVERY\s+USER\s+CONTACT\s+STATUS\s+ATTEMPTS\s+SENT\s+ERROR$/);
    expect(dl).toHaveLength(2);
    expect(dl[1]).toMatch(/^\d+\s+alice\s+\d+\s+failed-permanent\s+1\s+-\s+.*410/);

    const json = JSON.parse(await ok(["page-show", String(pageId), "--json"]));
    expect(json).toMatchObject({ id: pageId, state: "acknowledged" });
    expect(json.deliveries[0]).toMatchObject({ status: "failed-permanent", userId: alice.id });
    expect(json.deliveries[0].lastError).toContain("410");
  });

  it("is listed in the help with the other page commands", slow, async () => {
    const help = await ok(["help"]);
    const [reads = "", acts = ""] = help.split("Act (through the API):");
    for (const name of ["pages", "page-show"]) expect(reads).toMatch(new RegExp(`^ {2}${name}\\s`, "m"));
    for (const name of ["page", "ack", "page-resolve", "escalate", "reassign"]) {
      expect(acts).toMatch(new RegExp(`^ {2}${name}\\s`, "m"));
    }
  });
});
