/**
 * `firebreak user` as an admin runs it: the real CLI as a child process against the real server.
 * Create (with a password piped in), list, edit, refuse to deactivate someone a rotation relies
 * on (exit 1 naming the schedule), deactivate and reactivate, set a password that then signs in,
 * issue a token that then works; usage errors exit 2, a responder is refused with exit 1.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AlertDb, automationUserId } from "../src/alerts/store.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { type CliResult, runCli } from "./support/cli.ts";

const slow = { timeout: 60_000 };
const root = fileURLToPath(new URL("..", import.meta.url));

let t: TestApp;
let rob: Awaited<ReturnType<TestApp["user"]>>;
beforeAll(async () => {
  t = await startTestApp();
  rob = await t.user("rob", "responder");
  // The automation account alerts act as (made when the first alert arrives).
  await automationUserId(t.database.db as unknown as AlertDb);
});
afterAll(() => t?.close());

const cli = (args: string[]) => runCli(args, { base: t.base, token: t.admin.token });

/** The CLI with `input` on its standard input (runCli leaves it open and empty). */
function cliWithInput(args: string[], input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/firebreak.js", ...args], {
      cwd: root,
      env: { ...process.env, FIREBREAK_URL: t.base, FIREBREAK_TOKEN: t.admin.token },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function signIn(username: string, password: string): Promise<number> {
  const r = await fetch(`${t.base}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  return r.status;
}

describe("firebreak user", () => {
  it("creates a person with a piped password, lists them and edits them", slow, async () => {
    const created = await cliWithInput(
      ["user", "create", "nia", "--name", "Nia North", "--role", "viewer", "--password-stdin"],
      "first password 123\n",
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(
      /^created user nia \(id \d+\), a viewer; they can sign in with the password/,
    );
    expect(await signIn("nia", "first password 123")).toBe(200);

    const list = await cli(["user", "list"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split("\n")[0]).toMatch(/^ID\s+USERNAME\s+NAME\s+ROLE\s+STATE\s+PASSWORD\s+EMAIL$/);
    expect(list.stdout).toMatch(/\d+\s+nia\s+Nia North\s+viewer\s+active\s+yes\s+-/);
    expect(list.stdout).toMatch(/\d+\s+rob\s+rob\s+responder\s+active\s+no\s+-/);
    expect(list.stdout).not.toContain("@alerts");
    const json = JSON.parse((await cli(["user", "list", "--json"])).stdout);
    expect(json.users.find((u: { username: string }) => u.username === "nia")).toMatchObject({
      role: "viewer",
      hasPassword: true,
    });
    expect(json.users.some((u: { username: string }) => u.username.startsWith("@"))).toBe(true);

    const edited = await cli(["user", "edit", "nia", "--role", "responder", "--email", "nia@example.com"]);
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).toBe("nia updated: email, role (now a responder)\n");
    const removed = JSON.parse((await cli(["user", "edit", "nia", "--email", "", "--json"])).stdout);
    expect(removed).toMatchObject({ username: "nia", email: null, role: "responder" });

    // A taken username is the API's refusal: exit 1 with its words.
    const taken = await cli(["user", "create", "rob", "--name", "Another Rob"]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toBe("firebreak: username rob is taken; choose another\n");
  });

  it(
    "refuses to deactivate someone a rotation relies on, naming it; deactivates and reactivates once off",
    slow,
    async () => {
      const s = await t.admin.request("POST", "/api/v1/schedules", {
        name: "Rob's rota",
        timeZone: "UTC",
        layers: [
          {
            name: "weekly",
            timeZone: "UTC",
            participants: [rob.id],
            shiftLength: { unit: "weeks", count: 1 },
            start: "2026-03-02T09:00",
          },
        ],
      });
      expect(s.status, JSON.stringify(s.body)).toBe(201);
      const refused = await cli(["user", "deactivate", "rob"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`still relied on by schedule Rob's rota (#${s.body.id})`);
      expect((await rob.get("/api/v1/me")).status).toBe(200);

      expect((await t.admin.request("DELETE", `/api/v1/schedules/${s.body.id}`)).status).toBe(204);
      const off = await cli(["user", "deactivate", String(rob.id)]);
      expect(off.code, off.stderr).toBe(0);
      expect(off.stdout).toBe("rob deactivated; they are signed out everywhere\n");
      expect((await rob.get("/api/v1/me")).status).toBe(401);
      const on = await cli(["user", "reactivate", "rob"]);
      expect(on.stdout).toBe("rob is active again\n");
      expect((await rob.get("/api/v1/me")).status).toBe(200);
    },
  );

  it("sets a password from standard input and issues a token, its secret alone on stdout", slow, async () => {
    const set = await cliWithInput(["user", "password", "rob"], "rob's new password\n");
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe("password set for rob; their other sessions were signed out\n");
    expect(await signIn("rob", "rob's new password")).toBe(200);
    const short = await cliWithInput(["user", "password", "rob"], "short\n");
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/^firebreak: password: a password needs at least 12 characters/);

    const issued = await cli(["user", "token", "rob", "deploy-bot"]);
    expect(issued.code, issued.stderr).toBe(0);
    expect(issued.stderr).toMatch(/^created token deploy-bot \(id \d+\) for rob; hand it over now/);
    const secret = issued.stdout.trim();
    expect(secret).toMatch(/^fbk_/);
    const me = await fetch(`${t.base}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });
    expect(((await me.json()) as { username: string }).username).toBe("rob");
  });

  it("exits 2 with the usage for a wrong command line, 1 when the API refuses", slow, async () => {
    for (const [args, message] of [
      [["user", "frobnicate"], 'unknown action "frobnicate"'],
      [["user", "create", "zoe"], "missing --name"],
      [["user", "edit", "rob"], "nothing to change: give --name, --email or --role"],
      [["user", "edit", "rob", "--role", "boss"], '--role takes viewer, responder, admin, not "boss"'],
      [["user", "deactivate", "nobody"], 'no user "nobody"'],
      [["user", "token", "rob"], "missing NAME"],
      [["user", "list", "extra"], 'unexpected argument "extra"'],
    ] as const) {
      const r = await cli([...args]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain("usage: firebreak user list");
    }
    const responder = await runCli(["user", "create", "zoe", "--name", "Zoe"], {
      base: t.base,
      token: rob.token,
    });
    expect(responder.code).toBe(1);
    expect(responder.stderr).toMatch(/^firebreak: /);
  });
});
