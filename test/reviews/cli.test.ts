/** `firebreak review` and `firebreak update --detection-source` as a user runs them, against the real server. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declare, move } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { runCli } from "../support/cli.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const cli = (args: string[]) => runCli(args, { base: t.base, token: t.admin.token });

describe("firebreak review", { timeout: 60_000 }, () => {
  it("LC-6: shows, edits (a stale version refused), exports and completes a review; then the S1 closes", async () => {
    const i = await declare(t.admin, { severity: "S1", title: "Login down" });
    await move(t.admin, i.id, "resolved");
    await move(t.admin, i.id, "post-incident");

    const shown = await cli(["review", "show", String(i.id)]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/required \(severity\), not complete/);

    const file = path.join(mkdtempSync(path.join(tmpdir(), "review-")), "review.md");
    writeFileSync(file, "# Login outage\n\nCause: expired certificate.\n");
    const edited = await cli(["review", "edit", String(i.id), "--file", file]);
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).toMatch(/saved as version 1/);
    const stale = await cli(["review", "edit", String(i.id), "--file", file, "--version", "0"]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/is at version 1/);

    const exported = await cli(["review", "export", String(i.id)]);
    expect(exported.stdout.trim()).toBe("# Login outage\n\nCause: expired certificate.");

    const done = await cli(["review", "complete", String(i.id)]);
    expect(done.code, done.stderr).toBe(0);
    t.clock.advanceMinutes(31);
    await move(t.admin, i.id, "closed");
  });

  it("TL-4: update --detection-source and --detected-at record the detection", async () => {
    const i = await declare(t.admin, { severity: "S4" });
    const at = new Date(t.clock.now().getTime() - 5 * 60_000).toISOString();
    const r = await cli(["update", String(i.id), "--detection-source", "monitoring", "--detected-at", at]);
    expect(r.code, r.stderr).toBe(0);
    const review = (await t.admin.get(`/api/v1/incidents/${i.id}/review`)).body;
    expect(review.detection).toMatchObject({ source: "monitoring", detectedAt: at });
    const bad = await cli(["update", String(i.id), "--detection-source", "pager"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/source/);
  });
});
