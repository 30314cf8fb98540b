/**
 * `firebreak contact` as a person runs it: the real binary against the real server, with a webhook
 * receiver on loopback that answers 200 on one path and 500 on another. Creating prints the new
 * method (and a webhook's signing secret), list shows how each method's last message went, `test`
 * exits 0 when delivered and 1 with the channel's reason when not, delete removes it; usage
 * mistakes exit 2.
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
let token = "";
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
  token = (await t.user("cleo", "viewer")).token; // anyone signed in manages their own methods
});
afterAll(async () => {
  await t?.close();
  await new Promise((r) => receiver?.close(r));
});

const cli = (args: string[]): Promise<CliResult> => runCli(args, { base: t.base, token });

describe("firebreak contact", () => {
  it("lists none, creates a webhook (printing its secret), tests it, lists the outcome", slow, async () => {
    expect((await cli(["contact", "list"])).stdout).toMatch(/^no contact methods/);

    const made = await cli(["contact", "create", "webhook", `${hooks}/ok`, "--label", "Bridge"]);
    expect(made.code, made.stderr).toBe(0);
    const id = Number(/contact method (\d+)/.exec(made.stdout)?.[1]);
    expect(id).toBeGreaterThan(0);
    expect(made.stdout).toMatch(/signing secret .*: [\w-]{20,}/);

    const tested = await cli(["contact", "test", String(id)]);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/^test notification delivered \d{4}-\d\d-\d\d \d\d:\d\dZ$/m);
    expect(hits).toContain("/ok");

    const listed = await cli(["contact", "list"]);
    expect(listed.stdout).toMatch(/^ID\s+KIND\s+LABEL\s+ADDRESS\s+LAST MESSAGE$/m);
    expect(listed.stdout).toMatch(
      new RegExp(`^${id}\\s+webhook\\s+Bridge\\s+\\S+/ok\\s+test delivered `, "m"),
    );

    const json = await cli(["contact", "list", "--json"]);
    expect(JSON.parse(json.stdout).contactMethods[0]).toMatchObject({
      id,
      lastTest: { status: "delivered" },
    });
  });

  it("a failing test exits 1 with the reason; --json prints the outcome", slow, async () => {
    const made = await cli(["contact", "create", "webhook", `${hooks}/broken`, "--json"]);
    expect(made.code, made.stderr).toBe(0);
    const { id } = JSON.parse(made.stdout) as { id: number };
    const failed = await cli(["contact", "test", String(id)]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe("firebreak: test notification failed: HTTP 500 Internal Server Error\n");
    const json = await cli(["contact", "test", String(id), "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: "failed",
      error: "HTTP 500 Internal Server Error",
    });
  });

  it(
    "creates an email method, deletes it; an unknown id is refused with the API's message",
    slow,
    async () => {
      const made = await cli(["contact", "create", "email", "cleo@example.com"]);
      expect(made.code, made.stderr).toBe(0);
      const id = Number(/contact method (\d+)/.exec(made.stdout)?.[1]);
      expect((await cli(["contact", "delete", String(id)])).stdout).toBe(`deleted contact method ${id}\n`);
      expect((await cli(["contact", "list"])).stdout).not.toContain("cleo@example.com");
      const gone = await cli(["contact", "test", String(id)]);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toMatch(/contact method \d+ does not exist/);
      const bad = await cli(["contact", "create", "email", "not-an-address"]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/address: expected an email address/);
    },
  );

  it(
    "creates SMS, voice and ntfy methods (the ntfy token from a variable, shown back masked)",
    slow,
    async () => {
      const sms = await cli(["contact", "create", "sms", "+14155550100", "--label", "Mobile"]);
      expect(sms.code, sms.stderr).toBe(0);
      expect(sms.stdout).toMatch(/added sms contact method \d+ \(Mobile\) → \+14155550100/);
      const bad = await cli(["contact", "create", "voice", "415-555-0100"]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/address: expected a phone number in E\.164 form/);
      const ntfyToken = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2";
      const ntfy = await runCli(
        ["contact", "create", "ntfy", "http://10.0.0.5/firebreak-cli", "--token-env", "NTFY_TOKEN"],
        { base: t.base, token },
        { NTFY_TOKEN: ntfyToken },
      );
      expect(ntfy.code, ntfy.stderr).toBe(0);
      expect(ntfy.stdout).toContain("access token: ••••NIz2");
      expect(ntfy.stdout).not.toContain(ntfyToken);
      expect(
        (await cli(["contact", "create", "sms", "+14155550100", "--token-env", "NTFY_TOKEN"])).code,
      ).toBe(2);
    },
  );

  it("usage mistakes exit 2 with the command's usage", slow, async () => {
    const r = await cli(["contact", "call", "1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown action "call"/);
    expect(r.stderr).toContain("usage: firebreak contact test ID");
    expect((await cli(["contact", "create", "pigeon", "x"])).code).toBe(2);
    expect((await cli(["contact", "test", "abc"])).code).toBe(2);
    expect((await cli(["contact", "test"])).code).toBe(2);
  });
});
