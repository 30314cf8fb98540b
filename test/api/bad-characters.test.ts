/**
 * Text PostgreSQL cannot store (a NUL, a lone UTF-16 surrogate) is refused at the edge with a 400
 * naming the field, on every kind of input (body, query, path), signed in or not; nothing is stored.
 * Before, it reached PostgreSQL and came back as a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { declare, expectProblem, read, timeline } from "./helpers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  // Services page an escalation policy; the policy file's are created as `firebreak serve` does.
  await t.seedOnCall();
});
afterAll(() => t?.close());

// Written as JSON escapes: JSON.parse turns "\ud800" into a lone surrogate, as a client's would.
const BAD: [string, string][] = [
  ["a NUL", "\\u0000"],
  ["a lone high surrogate", "\\ud800"],
  ["a lone low surrogate", "\\udc00"],
];

/** A JSON body whose `field` string is `prefix` + the raw JSON esc. */
const jsonWith = (body: Record<string, unknown>, field: string, esc: string) =>
  JSON.stringify(body).replace(`"${field}":"`, `"${field}":"x${esc}`);

async function send(method: string, path: string, rawBody?: string, token?: string) {
  const res = await fetch(t.base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(rawBody === undefined ? {} : { "content-type": "application/json" }),
    },
    body: rawBody,
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), body: text ? JSON.parse(text) : null };
}

describe("NUL and lone surrogates are refused with a 400 naming the field", () => {
  it("in titles, updates, tasks, sign-in, search and heartbeat paths; nothing is stored", async () => {
    const i = await declare(t.admin, { title: "Checkout errors", severity: "S3" });
    const service = await t.admin.request("POST", "/api/v1/services", { name: "backups" });
    expect(service.status, JSON.stringify(service.body)).toBe(201);
    const key = service.body.integrationKey as string;
    const before = {
      list: (await t.admin.get("/api/v1/incidents")).body,
      incident: await read(t.admin, i.id),
      events: await timeline(t.admin, i.id),
      tasks: (await t.admin.get(`/api/v1/incidents/${i.id}/tasks`)).body,
    };
    const declareBody = { title: "ok", type: "GitLab.com", severity: "S4", status: "active" };
    for (const [what, esc] of BAD) {
      const pathEscape = esc === "\\u0000" ? "%00" : esc === "\\ud800" ? "%ED%A0%80" : "%ED%B0%80";
      const cases: [string, string, string, string | undefined, string | undefined][] = [
        // [field, method, path, body, token]
        ["title", "POST", "/api/v1/incidents", jsonWith(declareBody, "title", esc), t.admin.token],
        [
          "impact",
          "POST",
          `/api/v1/incidents/${i.id}/updates`,
          jsonWith({ impact: "slow", actions: "rolling back" }, "impact", esc),
          t.admin.token,
        ],
        [
          "title",
          "POST",
          `/api/v1/incidents/${i.id}/tasks`,
          jsonWith({ kind: "action", title: "clean" }, "title", esc),
          t.admin.token,
        ],
        [
          "title",
          "PATCH",
          `/api/v1/incidents/${i.id}`,
          jsonWith({ title: "t" }, "title", esc),
          t.admin.token,
        ],
        // Unauthenticated: signing in.
        [
          "username",
          "POST",
          "/api/v1/session",
          jsonWith({ username: "a", password: "b" }, "username", esc),
          undefined,
        ],
        ["query.q", "GET", `/api/v1/incidents?q=x${pathEscape}`, undefined, t.admin.token],
        [
          "params.name",
          "GET",
          `/api/v1/integrations/heartbeat/${key}/nightly${pathEscape}`,
          undefined,
          undefined,
        ],
      ];
      for (const [field, method, path, body, token] of cases) {
        const r = await send(method, path, body, token);
        const label = `${what} in ${field} of ${method} ${path}`;
        if (field === "query.q" && esc !== "\\u0000") {
          // Percent-escapes of a surrogate are not UTF-8: the query is refused as a bad URL.
          expect(r.status, `${label}: ${JSON.stringify(r.body)}`).toBe(400);
          expect(r.body.field, label).toBe("url");
          continue;
        }
        if (field === "params.name" && esc !== "\\u0000") {
          // Percent-escapes that are not UTF-8 are a bad URL, refused before routing.
          expect(r.status, `${label}: ${JSON.stringify(r.body)}`).toBe(400);
          expect(r.type, label).toContain("application/problem+json");
          continue;
        }
        expect(r.status, `${label}: ${JSON.stringify(r.body)}`).toBe(400);
        expect(r.type, label).toContain("application/problem+json");
        expect(r.body.code, label).toBe("invalid-request");
        expect(r.body.field, label).toBe(field);
        expect(r.body.detail, label).toContain(field);
      }
    }
    expect({
      list: (await t.admin.get("/api/v1/incidents")).body,
      incident: await read(t.admin, i.id),
      events: await timeline(t.admin, i.id),
      tasks: (await t.admin.get(`/api/v1/incidents/${i.id}/tasks`)).body,
    }).toEqual(before);
  });

  it("a surrogate pair (an emoji) is fine", async () => {
    const r = await t.admin.request("POST", "/api/v1/incidents", {
      title: "Checkout \ud83d\udd25 errors",
      type: "GitLab.com",
      severity: "S4",
      status: "active",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.title).toBe("Checkout 🔥 errors");
  });

  it("a status page slug no page can have is a 404 page, not an outage", async () => {
    for (const path of ["/status/%00", "/status/%00/history", "/status/default/%00"]) {
      const res = await fetch(t.base + path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type"), path).toContain("text/html");
    }
  });

  it("the refusal names nested fields as validation errors do", async () => {
    const r = await t.admin.request(
      "POST",
      "/api/v1/incidents",
      '{"title":"ok","type":"GitLab.com","severity":"S4","status":"active","labels":["a","b\\u0000"]}',
    );
    expectProblem(r, 400, "invalid-request");
    expect(r.body.field).toBe("labels[1]");
  });
});
