/**
 * The policy in a configuration document (issue 19): plan reports a semantic difference; apply
 * checks it with the policy parser first, writes the policy file whole after the commit and puts it
 * in force; a server without a policy file refuses with 409 and applies nothing.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { ConfigDocument } from "../../src/config/document.ts";
import { defaultPolicyFile } from "../../src/policy/load.ts";
import { filePolicy } from "../../src/policy/source.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { sampleDocument } from "./helpers.ts";

const withPolicy = (policy: Record<string, unknown>): ConfigDocument => ({ ...sampleDocument(), policy });
const dueIn = (days: number, policy: Record<string, unknown>) => ({
  ...policy,
  reviews: { ...(policy.reviews as object), dueBusinessDays: days },
});

describe("a server whose policy is the shipped default (no policy file)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it("the exported policy applies as no change", async () => {
    const { policy } = (await t.admin.get("/api/v1/config")).body;
    const r = await t.admin.request("POST", "/api/v1/config/plan", { document: withPolicy(policy) });
    expect(r.body.changes.filter((c: { kind: string }) => c.kind === "policy")).toEqual([]);
    expect(
      (await t.admin.request("POST", "/api/v1/config/apply", { document: withPolicy(policy) })).status,
    ).toBe(200);
  });

  it("a changed policy is refused with 409 naming FIREBREAK_POLICY_FILE, and nothing is applied", async () => {
    const { policy } = (await t.admin.get("/api/v1/config")).body;
    const doc = withPolicy(dueIn(9, policy));
    doc.services.push({ name: "not-made", escalationPolicy: "Payments" });
    const planned = await t.admin.request("POST", "/api/v1/config/plan", { document: doc });
    expect(planned.body.changes).toContainEqual({
      action: "update",
      kind: "policy",
      name: "policy",
      fields: ["policy"],
    });
    const r = await t.admin.request("POST", "/api/v1/config/apply", { document: doc });
    expect(r.status).toBe(409);
    expect(r.body.detail).toContain("FIREBREAK_POLICY_FILE");
    const after = (await t.admin.get("/api/v1/config")).body as ConfigDocument;
    expect(after.services.map((s) => s.name)).not.toContain("not-made");
    expect(t.policy.current().reviews?.dueBusinessDays).toBe(5);
  });

  it("a policy the parser refuses is a 422 at `policy`, saying what is wrong", async () => {
    const { policy } = (await t.admin.get("/api/v1/config")).body;
    const r = await t.admin.request("POST", "/api/v1/config/plan", {
      document: withPolicy(dueIn("soon" as unknown as number, policy)),
    });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([
      { field: "policy.reviews.dueBusinessDays", message: 'expected a whole number >= 1, got "soon"' },
    ]);
  });
});

describe("escalation policies the policy file manages", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.seedOnCall();
  });
  afterAll(async () => t.close());
  const post = (path: string, document: unknown, prune = false) =>
    t.admin.request("POST", `/api/v1/config/${path}`, { document, prune });

  it("stay out of the document, may be named by services, and are neither defined nor pruned by a file", async () => {
    const doc = (await t.admin.get("/api/v1/config")).body as ConfigDocument;
    expect(doc.escalationPolicies.map((p) => p.name)).not.toContain("Engineer On Call");
    expect(doc.schedules.map((s) => s.name)).toContain("EOC");

    doc.services.push({ name: "edge", escalationPolicy: "Engineer On Call" });
    const applied = await post("apply", doc);
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body.changes).toEqual([{ action: "create", kind: "service", name: "edge" }]);

    const defining = structuredClone(doc);
    defining.escalationPolicies.push({
      name: "Engineer On Call",
      levels: [{ timeoutMinutes: 5, targets: [{ user: "admin" }] }],
      repeat: 0,
    });
    const refused = await post("plan", defining);
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      { field: "escalationPolicies[0].name", message: expect.stringContaining("policy file") },
    ]);

    const pruning = structuredClone(doc);
    pruning.schedules = pruning.schedules.filter((s) => s.name !== "EOC");
    const pruned = await post("plan", pruning, true);
    expect(pruned.status).toBe(422);
    expect(pruned.body.errors).toContainEqual({
      field: "schedules",
      message: expect.stringContaining(
        '"EOC", which the policy file\'s escalation policy "Engineer On Call" pages',
      ),
    });
    // Without prune the schedule is only kept.
    expect((await post("plan", pruning)).body.kept).toContainEqual({ kind: "schedule", name: "EOC" });
  });
});

describe("a server with a policy file", () => {
  let t: TestApp;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "firebreak-config-policy-"));
    file = join(dir, "policy.yaml");
    copyFileSync(defaultPolicyFile, file);
    t = await startTestApp({ policy: filePolicy(file) });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exports the file's own content, and applying a changed policy writes the file and puts it in force", async () => {
    const { policy } = (await t.admin.get("/api/v1/config")).body;
    expect(policy).toEqual(parseYaml(readFileSync(file, "utf8")));
    const doc = withPolicy(dueIn(7, policy));
    const r = await t.admin.request("POST", "/api/v1/config/apply", { document: doc });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.changes).toContainEqual({
      action: "update",
      kind: "policy",
      name: "policy",
      fields: ["policy"],
    });
    expect(
      (parseYaml(readFileSync(file, "utf8")) as { reviews: { dueBusinessDays: number } }).reviews
        .dueBusinessDays,
    ).toBe(7);
    expect(t.policy.current().reviews?.dueBusinessDays).toBe(7);
    expect((await t.admin.request("POST", "/api/v1/config/apply", { document: doc })).body.changes).toEqual(
      [],
    );
  });

  it("a policy file edited by hand since the apply is drift", async () => {
    const text = readFileSync(file, "utf8").replace("dueBusinessDays: 7", "dueBusinessDays: 3");
    writeFileSync(file, text);
    expect(t.policy.reload().changed).toBe(true);
    const { policy } = (await t.admin.get("/api/v1/config")).body;
    const r = await t.admin.request("POST", "/api/v1/config/plan", {
      document: withPolicy(dueIn(7, policy)),
    });
    expect(r.body.changes).toContainEqual({
      action: "update",
      kind: "policy",
      name: "policy",
      fields: ["policy"],
      drifted: true,
    });
    expect(r.body.drift).toContainEqual(
      expect.objectContaining({ kind: "policy", name: "policy", appliedBy: "admin" }),
    );
  });
});
