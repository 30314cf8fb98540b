/** What the API refuses: RED data (DATA-1) and malformed requests (ERRORS), always as problem+json. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { declare, expectProblem, read, timeline } from "./helpers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());
beforeEach(() => t.clock.advanceMinutes(6 * 60));

const on = (id: number, rest = "") => `/api/v1/incidents/${id}${rest}`;

// Fake secrets, assembled at run time so the repository holds no string a secret scanner flags.
const PEM = [
  `-----BEGIN RSA ${"PRIVATE"} KEY-----`,
  `MIIEow${"IBAAKCAQEAx9".repeat(6)}`,
  `${"Qk3vT8sLmN2p".repeat(5)}`,
  `-----END RSA ${"PRIVATE"} KEY-----`,
].join("\n");
const AWS_KEY_ID = `AKIA${"Z".repeat(16)}`;
const URL_PASSWORD = `postgres://app:${"hunter2"}-${"Xq9"}@db.internal:5432/main`;
const VISA = ["4111", "1111", "1111", "1111"].join(" ");
const SECRETS: [string, string][] = [
  ["a PEM private key", `key follows\n${PEM}`],
  ["an AWS access key id", `used key ${AWS_KEY_ID} to deploy`],
  ["a password in a URL", `connect with ${URL_PASSWORD}`],
  ["a Visa card number", `customer paid with ${VISA} yesterday`],
];

describe("DATA-1: RED data is refused and nothing is stored", () => {
  it("DATA-1: RED data in a title, summary, note, status update, task title or reason is 400 `red-data` naming the field", async () => {
    const i = await declare(t.admin, { title: "Checkout errors", severity: "S3" });
    const primary = await declare(t.admin, { title: "Primary", severity: "S3" });
    const task = (await t.admin.request("POST", on(i.id, "/tasks"), { kind: "action", title: "clean" })).body;
    await t.admin.request("PUT", on(i.id, "/roles/IM"), { user: "admin" });
    const snapshot = async () => ({
      list: (await t.admin.get("/api/v1/incidents")).body,
      incident: await read(t.admin, i.id),
      events: await timeline(t.admin, i.id),
      primaryEvents: await timeline(t.admin, primary.id),
      tasks: (await t.admin.get(on(i.id, "/tasks"))).body,
    });
    const before = await snapshot();

    for (const [what, text] of SECRETS) {
      const declareWith = (fields: Record<string, string>) => ({
        title: "ok",
        type: "GitLab.com",
        severity: "S4",
        status: "active",
        ...fields,
      });
      const cases: [string, string, string, unknown][] = [
        ["title", "POST", "/api/v1/incidents", declareWith({ title: text.slice(0, 200) })],
        ["summary", "POST", "/api/v1/incidents", declareWith({ summary: text })],
        ["title", "PATCH", on(i.id), { title: text.slice(0, 200) }],
        ["summary", "PATCH", on(i.id), { summary: text }],
        ["body", "POST", on(i.id, "/notes"), { body: text }],
        ["body", "POST", on(i.id, "/notes"), { body: text, internal: true }],
        ["impact", "POST", on(i.id, "/updates"), { impact: text, actions: "rolling back" }],
        ["actions", "POST", on(i.id, "/updates"), { impact: "checkout slow", actions: text }],
        ["title", "POST", on(i.id, "/tasks"), { kind: "follow-up", title: text }],
        ["title", "PATCH", on(i.id, `/tasks/${task.id}`), { title: text }],
        ["reason", "POST", on(i.id, "/severity"), { severity: "S1", reason: text }],
        ["reason", "POST", on(i.id, "/status"), { status: "fixing", reason: text }],
        ["reason", "POST", on(i.id, "/owner"), { owner: "admin", reason: text }],
        ["reason", "POST", on(i.id, "/escalate"), { reason: text }],
        ["reason", "POST", on(i.id, "/merge"), { into: primary.id, reason: text }],
      ];
      for (const [field, method, path, body] of cases) {
        const label = `${what} in ${field} of ${method} ${path}`;
        const p = expectProblem(await t.admin.request(method, path, body), 400, "red-data");
        expect(p.field, label).toBe(field);
        expect(p.detail, label).toContain(field);
        // The refusal says why without repeating the secret.
        for (const piece of [AWS_KEY_ID, "hunter2", VISA, "IBAAKCAQEAx9"])
          expect(p.detail, label).not.toContain(piece);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it("DATA-1: ordinary incident text that merely looks technical is stored", async () => {
    const orderId = `4111${"1".repeat(12)}`; // Luhn-valid, but labelled as an id
    const text = `p99 412 ms at 2026-03-02T10:00:00Z; order id ${orderId}; see https://status.example.com:8443/x`;
    const i = await declare(t.admin, { title: "Latency", summary: text });
    expect((await read(t.admin, i.id)).summary).toBe(text);
  });
});

describe("ERRORS: malformed requests are refused as problem+json", () => {
  const valid = { title: "x", type: "GitLab.com", severity: "S4", status: "active" };

  it("ERRORS: malformed JSON is 400", async () => {
    const p = expectProblem(await t.admin.request("POST", "/api/v1/incidents", '{"title": "x",'), 400);
    expect(p.detail).toContain("JSON");
  });

  const sendAs = (type: string) =>
    t.admin.request("POST", "/api/v1/incidents", JSON.stringify(valid), { "content-type": type });

  it("ERRORS: a body sent as another content type (application/xml) is 415 naming application/json", async () => {
    expect(expectProblem(await sendAs("application/xml"), 415, "unsupported-media-type").detail).toContain(
      "application/json",
    );
  });

  // SERVER BUG (reported to the lead): Fastify's default text/plain parser is still registered.
  it("ERRORS: a text/plain body is 415 too, not parsed as a string", async () => {
    expect(expectProblem(await sendAs("text/plain"), 415, "unsupported-media-type").detail).toContain(
      "application/json",
    );
  });

  it("ERRORS: an unknown field is 400 naming it", async () => {
    const p = expectProblem(
      await t.admin.request("POST", "/api/v1/incidents", { ...valid, colour: "red" }),
      400,
    );
    expect(p.detail).toContain("colour");
    const i = await declare(t.admin);
    const q = expectProblem(
      await t.admin.request("POST", on(i.id, "/notes"), { body: "b", urgent: true }),
      400,
    );
    expect(q.detail).toContain("urgent");
  });

  it("ERRORS: a missing or mistyped field is 400 naming it", async () => {
    const { title: _title, ...untitled } = valid;
    expect(expectProblem(await t.admin.request("POST", "/api/v1/incidents", untitled), 400).detail).toContain(
      "title",
    );
    const p = expectProblem(
      await t.admin.request("POST", "/api/v1/incidents", { ...valid, status: "burning" }),
      400,
    );
    expect(p.detail).toContain("status");
    expect(p.detail).toMatch(/triage/);
  });

  it("ERRORS: an unknown severity or type is 400 listing the allowed values", async () => {
    const sev = expectProblem(
      await t.admin.request("POST", "/api/v1/incidents", { ...valid, severity: "P1" }),
      400,
    );
    expect(sev.field).toBe("severity");
    for (const s of ["S1", "S2", "S3", "S4"]) expect(sev.detail).toContain(s);
    const type = expectProblem(
      await t.admin.request("POST", "/api/v1/incidents", { ...valid, type: "Prod" }),
      400,
    );
    expect(type.field).toBe("type");
    for (const s of ["GitLab.com", "Dedicated", "SIRT", "Gameday"]) expect(type.detail).toContain(s);
    const tri = await declare(t.admin, { status: "triage" });
    const accept = await t.admin.request("POST", on(tri.id, "/status"), {
      status: "investigating",
      severity: "SEV0",
    });
    expect(expectProblem(accept, 400).detail).toContain("S1");
    expect((await read(t.admin, tri.id)).state).toBe("triage");
  });

  it("ERRORS: an unknown incident is 404 naming it; an unknown route is 404 too", async () => {
    for (const [method, path, body] of [
      ["GET", on(424242)],
      ["GET", on(424242, "/timeline")],
      ["POST", on(424242, "/notes"), { body: "x" }],
      ["POST", on(424242, "/status"), { status: "fixing" }],
    ] as [string, string, unknown?][]) {
      const p = expectProblem(await t.admin.request(method, path, body), 404, "not-found");
      expect(p.detail, `${method} ${path}`).toContain("incident");
      expect(p.detail, `${method} ${path}`).toContain("424242");
    }
    expectProblem(await t.admin.get("/api/v1/incidents/abc"), 400);
    expectProblem(await t.admin.get("/api/v1/no-such-thing"), 404);
  });

  it("ERRORS: a body over the limit is 413 and nothing is stored", async () => {
    const small = await startTestApp({ bodyLimitBytes: 2048 });
    try {
      const big = { ...valid, summary: "y".repeat(3000) };
      const p = expectProblem(
        await small.admin.request("POST", "/api/v1/incidents", big),
        413,
        "body-too-large",
      );
      expect(p.detail).toContain("2048");
      expect((await small.admin.get("/api/v1/incidents")).body.incidents).toEqual([]);
      const ok = await small.admin.request("POST", "/api/v1/incidents", {
        ...valid,
        summary: "y".repeat(1000),
      });
      expect(ok.status).toBe(201);
    } finally {
      await small.close();
    }
  });
});
