/** `firebreak customers` and `firebreak briefing` as a user runs them, against the real server and SMTP. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declare } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { runCli } from "../support/cli.ts";
import { startSmtp } from "../support/smtp.ts";

let t: TestApp;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
beforeAll(async () => {
  smtp = await startSmtp();
  t = await startTestApp({ smtpUrl: smtp.url });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const cli = (args: string[]) => runCli(args, { base: t.base, token: t.admin.token });

describe("firebreak customers", { timeout: 60_000 }, () => {
  it("COMM-6: saves a directory entry, marks customers affected, sends one update to all and lists it", async () => {
    const saved = await cli([
      "customers",
      "save",
      "Acme",
      "Corp",
      "--contacts",
      "ops@acme.example,cto@acme.example",
    ]);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toMatch(/Acme Corp: ops@acme\.example, cto@acme\.example/);
    const listed = await cli(["customers", "list"]);
    expect(listed.stdout).toMatch(/Acme Corp\s+ops@acme\.example, cto@acme\.example/);

    const i = await declare(t.admin, {
      type: "Self-managed customer",
      severity: "Sev0",
      title: "Installs down",
    });
    const added = await cli(["customers", "add", String(i.id), "Acme", "Corp", "--ticket", "ZD-1"]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/Acme Corp affected \(ticket ZD-1; ops@acme\.example, cto@acme\.example\)/);
    const other = await cli([
      "customers",
      "add",
      String(i.id),
      "Globex",
      "--ticket",
      "ZD-2",
      "--contacts",
      "it@globex.example",
    ]);
    expect(other.code, other.stderr).toBe(0);

    const tooLate = await cli(["customers", "update", String(i.id), "Still working on it", "--next", "90"]);
    expect(tooLate.code).toBe(1);
    expect(tooLate.stderr).toMatch(/at least every 60 minutes/);
    const sent = await cli([
      "customers",
      "update",
      String(i.id),
      "We",
      "found",
      "the",
      "cause.",
      "--next",
      "60",
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/sent to 2 customers \(3 emails: Acme Corp, Globex\); next update by/);
    await t.runJobs();
    expect(smtp.to("it@globex.example").at(-1)?.body).toMatch(/We found the cause\./);

    const updates = await cli(["customers", "updates", String(i.id)]);
    expect(updates.stdout).toMatch(/Globex <it@globex\.example>: delivered/);
    const removed = await cli(["customers", "remove", String(i.id), "Globex"]);
    expect(removed.stdout).toMatch(/Globex is no longer affected; 1 remain/);
    const affected = await cli(["customers", "affected", String(i.id)]);
    expect(affected.stdout).toMatch(/Acme Corp\s+ZD-1/);
    expect(affected.stdout).not.toMatch(/Globex/);
  });

  it("COMM-5: shows the executive summary filled in and sends it", async () => {
    const i = await declare(t.admin, {
      type: "Self-managed customer",
      severity: "Sev1",
      title: "One install down",
    });
    const shown = await cli(["briefing", "show", String(i.id), "executiveSummary"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(
      new RegExp(`Status of Sev1 incident #${i.id}, One install down: investigating`),
    );
    expect(shown.stdout).toMatch(/goes to: Infrastructure Leader, Executive Sponsor, Incident Manager/);
    const sent = await cli(["briefing", "send", String(i.id), "executiveSummary"]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/^executiveSummary sent to /);
  });
});
