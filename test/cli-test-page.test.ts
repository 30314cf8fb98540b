/**
 * `firebreak page test` as a person runs it: the real binary against the real server, whose test
 * page goes through the delivery job to a webhook receiver on loopback that answers 200 on one path
 * and 500 on another. All delivered exits 0; one failed exits 1 with its reason; --json prints one
 * result per contact method; an admin names another person by username, anyone else is refused;
 * nobody to reach exits 1; and `page POLICY` still needs --title.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./support/app.ts";
import { type CliResult, runCli } from "./support/cli.ts";

const slow = { timeout: 60_000 };

let t: TestApp;
let receiver: Server;
let hooks = "";
const hits: string[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    hits.push(req.url ?? "");
    req.resume();
    req.on("end", () => res.writeHead(req.url === "/broken" ? 500 : 200).end());
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  hooks = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  t = await startTestApp({ clockStart: new Date() });
});
afterAll(async () => {
  await t?.close();
  await new Promise((r) => receiver?.close(r));
});

/** Runs the CLI while a worker runs the jobs the server enqueues (the test app has none of its own). */
async function cli(token: string, args: string[]): Promise<CliResult> {
  let done = false;
  const run = runCli(args, { base: t.base, token }).finally(() => {
    done = true;
  });
  while (!done) {
    await t.runJobs();
    await new Promise((r) => setTimeout(r, 20));
  }
  return run;
}

async function method(who: { request: TestApp["admin"]["request"] }, label: string, path: string) {
  const r = await who.request("POST", "/api/v1/me/contact-methods", {
    kind: "webhook",
    label,
    address: `${hooks}${path}`,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as number;
}

describe("firebreak page test", () => {
  it("exits 0 when every contact method delivered the test page, and lists each", slow, async () => {
    const ann = await t.user("ann", "viewer");
    const id = await method(ann, "Bridge", "/ok");
    const r = await cli(ann.token, ["page", "test"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^test page \d+ to ann:$/m);
    expect(r.stdout).toMatch(/^METHOD\s+KIND\s+LABEL\s+OUTCOME$/m);
    expect(r.stdout).toMatch(new RegExp(`^${id}\\s+webhook\\s+Bridge\\s+delivered$`, "m"));
    expect(hits).toContain("/ok");
  });

  it("exits 1 when one method failed, --json giving one result per method", slow, async () => {
    const bo = await t.user("bo");
    const ok = await method(bo, "Bridge", "/ok");
    const broken = await method(bo, "Broken", "/broken");
    const text = await cli(bo.token, ["page", "test"]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      new RegExp(`^${broken}\\s+webhook\\s+Broken\\s+failed: HTTP 500 Internal Server Error$`, "m"),
    );
    expect(text.stderr).toMatch(/1 of 2 contact methods did not confirm the test page/);

    const json = await cli(bo.token, ["page", "test", "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).results).toEqual([
      { contactMethodId: ok, kind: "webhook", label: "Bridge", outcome: "delivered" },
      {
        contactMethodId: broken,
        kind: "webhook",
        label: "Broken",
        outcome: "failed",
        error: "HTTP 500 Internal Server Error",
      },
    ]);
  });

  it("lets an admin test someone by username; not anyone else", slow, async () => {
    const cy = await t.user("cy");
    const dee = await t.user("dee");
    await method(cy, "Cy's bridge", "/ok");
    const byAdmin = await cli(t.admin.token, ["page", "test", "cy", "--json"]);
    expect(byAdmin.code, byAdmin.stderr).toBe(0);
    expect(JSON.parse(byAdmin.stdout)).toMatchObject({
      userId: cy.id,
      results: [{ label: "Cy's bridge", outcome: "delivered" }],
    });
    const refused = await cli(dee.token, ["page", "test", "cy"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/only an admin can send a test page to someone else/);
    const unknown = await cli(t.admin.token, ["page", "test", "nobody-here"]);
    expect(unknown.code).toBe(2);
  });

  it("exits 1 for a person without contact methods, and a real page still needs --title", slow, async () => {
    const eve = await t.user("eve");
    const none = await cli(eve.token, ["page", "test"]);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/eve has no contact methods/);
    const page = await cli(eve.token, ["page", "Infrastructure"]);
    expect(page.code).toBe(2);
    expect(page.stderr).toMatch(/missing --title/);
  });
});
