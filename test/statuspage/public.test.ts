/**
 * The public status page as visitors and widgets read it: HTML, Statuspage v2 JSON and feeds,
 * cached bytes with ETag/Last-Modified, refreshed when an update is published (STAT-1..3).
 */
import { request } from "node:http";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = any;

let t: TestApp;
let api: Json;
let web: Json;
let incidentId: number;
let writer: Awaited<ReturnType<TestApp["user"]>>;
const path = (p: string) => `/api/v1/status-pages/default${p}`;
const get = (p: string, headers: Record<string, string> = {}) =>
  fetch(`${t.base}/status/default${p}`, { headers });
/** fetch() unzips on its own; this reads the bytes as sent. */
const rawGet = (p: string, headers: Record<string, string>) =>
  new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    request(`${t.base}${p}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
const json = async (p: string): Promise<Json> => {
  const r = await get(p);
  expect(r.status, p).toBe(200);
  expect(r.headers.get("content-type")).toMatch(/^application\/json/);
  return r.json();
};

/**
 * A responder drafts, the admin publishes (COMM-3: two people); for an outage the admin says it
 * confirmed the impact with the writer, the incident's EOC.
 */
async function publish(body: Json) {
  const d = await writer.request("POST", path("/incidents"), body);
  expect(d.status, JSON.stringify(d.body)).toBe(201);
  const a = await t.admin.request("POST", path(`/drafts/${d.body.update.id}/approve`), {
    impactConfirmedWith: "writer",
  });
  expect(a.status, JSON.stringify(a.body)).toBe(200);
  return d.body.statusIncidentId as number;
}

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-18T12:00:00Z" });
  api = (await t.admin.request("POST", path("/components"), { name: "API" })).body;
  // STAT-3: outages are published for an internal incident with an incident manager engaged.
  const i = await t.admin.request("POST", "/api/v1/incidents", {
    title: "Checkout errors",
    type: "GitLab.com",
    severity: "S2",
    status: "active",
  });
  incidentId = i.body.id;
  expect(
    (await t.admin.request("PUT", `/api/v1/incidents/${incidentId}/roles/IM`, { user: "admin" })).status,
  ).toBe(200);
  writer = await t.user("writer");
  expect(
    (await t.admin.request("PUT", `/api/v1/incidents/${incidentId}/roles/EOC`, { user: "writer" })).status,
  ).toBe(200);
  web = (await t.admin.request("POST", path("/components"), { name: "Website", position: 1 })).body;
});
afterAll(() => t?.close());

describe("the public page", () => {
  it("STAT-3: all operational at first; HTML without a token, JSON in Statuspage v2's shape", async () => {
    const html = await get("");
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    const text = await html.text();
    expect(text).toContain("All Systems Operational");
    expect(text).toContain("API");
    expect(text).not.toContain("<script");
    // Subscribing works with JavaScript off: a plain form posting to the subscriptions endpoint.
    expect(text).toContain('<form method="post" action="/status/default/subscriptions">');
    const status = await json("/api/v2/status.json");
    expect(status.status).toEqual({ indicator: "none", description: "All Systems Operational" });
    expect(status.page).toMatchObject({ name: "Status", url: "http://firebreak.test/status/default" });
    const summary = await json("/api/v2/summary.json");
    expect(summary.components.map((c: Json) => c.name)).toEqual(["API", "Website"]);
    expect(summary.incidents).toEqual([]);
  });

  it("answers with ETag and Last-Modified, and 304 for a matching If-None-Match", async () => {
    const first = await get("/api/v2/summary.json");
    const etag = first.headers.get("etag");
    expect(etag).toBeTruthy();
    expect(first.headers.get("last-modified")).toBeTruthy();
    expect(first.headers.get("cache-control")).toMatch(/max-age=\d+/);
    const again = await get("/api/v2/summary.json", { "if-none-match": etag ?? "" });
    expect(again.status).toBe(304);
  });

  it("sends the HTML gzipped to clients that accept it, the same bytes once unzipped", async () => {
    const plain = await rawGet("/status/default", {});
    expect(plain.headers["content-encoding"]).toBeUndefined();
    const zipped = await rawGet("/status/default", { "accept-encoding": "br, gzip;q=0.8" });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.headers.vary).toMatch(/accept-encoding/i);
    expect(zipped.headers.etag).toBe(plain.headers.etag);
    expect(zipped.body.length).toBeLessThan(plain.body.length);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    const refused = await rawGet("/status/default", { "accept-encoding": "gzip;q=0" });
    expect(refused.headers["content-encoding"]).toBeUndefined();
  });

  it("the first answer (rendered by the route) and the cached ones (answered before routing) match", async () => {
    // A resource nobody has asked for yet: the first GET renders it, the next are cache hits.
    const path = "/status/default/api/v2/components.json";
    const first = await rawGet(path, {});
    const second = await rawGet(`${path}?cachebust=1`, { "x-request-id": "trace-42" });
    expect(second.body.equals(first.body)).toBe(true);
    const own = (h: Record<string, unknown>) => {
      const { date: _d, "x-request-id": _r, connection: _c, "keep-alive": _k, ...rest } = h;
      return rest;
    };
    expect(own(second.headers)).toEqual(own(first.headers));
    expect(first.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    // Answered before routing and not logged: the request id is echoed when given, not made up.
    expect(second.headers["x-request-id"]).toBe("trace-42");
    expect((await rawGet(path, {})).headers["x-request-id"]).toBeUndefined();
    // HEAD: the headers without the body; a matching ETag: 304.
    const head = await fetch(`${t.base}${path}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toBe(first.headers.etag);
    expect(await head.text()).toBe("");
    const notModified = await get("/api/v2/components.json", { "if-none-match": String(first.headers.etag) });
    expect(notModified.status).toBe(304);
    // Every one of them is counted under its route: routed ones with their duration, cached ones
    // answered before routing in their own counter, which /metrics reads afresh each time.
    const counted = async (name: string, status: number) => {
      const text = await (
        await fetch(`${t.base}/metrics`, { headers: { authorization: `Bearer ${t.admin.token}` } })
      ).text();
      const line = new RegExp(
        `${name}\\{method="GET",route="/status/:slug/\\*",status="${status}"\\} (\\d+)`,
      );
      return Number(line.exec(text)?.[1] ?? 0);
    };
    expect(await counted("firebreak_http_request_duration_seconds_count", 200)).toBeGreaterThanOrEqual(1);
    const cached = await counted("firebreak_http_cached_answers_total", 200);
    expect(cached).toBeGreaterThanOrEqual(2);
    expect(await counted("firebreak_http_cached_answers_total", 304)).toBeGreaterThanOrEqual(1);
    await get("/api/v2/components.json");
    expect(await counted("firebreak_http_cached_answers_total", 200)).toBe(cached + 1);
  });

  it("STAT-1, STAT-2: a published incident shows at once, with its components' statuses and no HTML injection", async () => {
    const before = (await get("/api/v2/summary.json")).headers.get("etag");
    await publish({
      name: "Checkout <b>errors</b>",
      status: "investigating",
      body: 'Errors on checkout <script>alert("x")</script> see https://example.com/x',
      affected: [{ componentId: api.id, newStatus: "major_outage" }],
      incidentId,
    });
    const summary = await json("/api/v2/summary.json");
    expect((await get("/api/v2/summary.json")).headers.get("etag")).not.toBe(before);
    expect(summary.status).toEqual({ indicator: "critical", description: "Service Disruption" });
    expect(summary.incidents).toHaveLength(1);
    expect(summary.incidents[0]).toMatchObject({ name: "Checkout <b>errors</b>", status: "investigating" });
    expect(summary.components.find((c: Json) => c.id === String(api.id)).status).toBe("major_outage");
    const unresolved = await json("/api/v2/incidents/unresolved.json");
    expect(unresolved.incidents).toHaveLength(1);
    const html = await (await get("")).text();
    expect(html).toContain("Service Disruption");
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<b>errors</b>");
    expect(html).toContain("&lt;b&gt;errors&lt;/b&gt;");
  });

  it("a page per public incident, the history, and both feeds", async () => {
    const [incident] = (await json("/api/v2/incidents.json")).incidents;
    const page = await get(`/incidents/${incident.id}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Errors on checkout");
    expect((await get("/history")).status).toBe(200);
    const rss = await get("/history.rss");
    expect(rss.headers.get("content-type")).toMatch(/rss\+xml/);
    expect(await rss.text()).toContain("Checkout &lt;b&gt;errors&lt;/b&gt;");
    const atom = await get("/history.atom");
    expect(atom.headers.get("content-type")).toMatch(/atom\+xml/);
  });

  it("scheduled maintenance moves itself: upcoming, then in progress (components under maintenance), then completed", async () => {
    const d = await writer.request("POST", path("/maintenances"), {
      name: "Database upgrade",
      scheduledFor: "2026-11-18T14:00:00Z",
      scheduledUntil: "2026-11-18T15:00:00Z",
      body: "We will upgrade the database.",
      components: [web.id],
    });
    expect(d.status, JSON.stringify(d.body)).toBe(201);
    expect((await t.admin.request("POST", path(`/drafts/${d.body.update.id}/approve`))).status).toBe(200);
    expect((await json("/api/v2/scheduled-maintenances/upcoming.json")).scheduled_maintenances).toHaveLength(
      1,
    );

    t.clock.set("2026-11-18T14:30:00Z");
    const active = await waitForJson(
      "/api/v2/scheduled-maintenances/active.json",
      (j) => j.scheduled_maintenances.length === 1,
    );
    expect(active.scheduled_maintenances[0].status).toBe("in_progress");
    const components = await json("/api/v2/components.json");
    expect(components.components.find((c: Json) => c.id === String(web.id)).status).toBe("under_maintenance");

    t.clock.set("2026-11-18T15:30:00Z");
    await waitForJson(
      "/api/v2/scheduled-maintenances/active.json",
      (j) => j.scheduled_maintenances.length === 0,
    );
    const all = await json("/api/v2/scheduled-maintenances.json");
    expect(all.scheduled_maintenances[0].status).toBe("completed");
    const after = await json("/api/v2/components.json");
    expect(after.components.find((c: Json) => c.id === String(web.id)).status).toBe("operational");
  });

  it("an unknown page, incident or path is a 404 page that still renders", async () => {
    for (const url of ["/status/nope", "/status/default/incidents/999999", "/status/default/nothing-here"]) {
      const r = await fetch(`${t.base}${url}`);
      expect(r.status, url).toBe(404);
      expect(r.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await r.text()).toMatch(/<html/i);
    }
  });
});

/** Maintenance changes with the clock; the response cache keeps bytes up to its TTL, so publishing clears it. */
async function waitForJson(p: string, ok: (j: Json) => boolean): Promise<Json> {
  // Any visible change clears every replica's cache; a component edit is the cheapest one.
  await t.admin.request("PATCH", path(`/components/${api.id}`), { description: "the public API" });
  const j = await json(p);
  expect(ok(j), JSON.stringify(j)).toBe(true);
  return j;
}

describe("security incidents (COMM-4, STAT-3)", () => {
  it("a private incident published on purpose (security: true) shows as Security Issue until resolved", async () => {
    const i = await t.admin.request("POST", "/api/v1/incidents", {
      title: "Suspicious access",
      type: "GitLab.com",
      severity: "S2",
      status: "active",
      visibility: "private",
    });
    expect(i.status, JSON.stringify(i.body)).toBe(201);
    // The writer takes part, so sees the private incident and may draft for it.
    await t.admin.request("POST", `/api/v1/incidents/${i.body.id}/participants`, { user: "writer" });
    const id = await publish({
      name: "Security notice",
      status: "investigating",
      body: "We are investigating suspicious access.",
      incidentId: i.body.id,
      security: true,
    });
    expect((await json("/api/v2/status.json")).status.description).toBe("Security Issue");
    const d = await writer.request("POST", path(`/incidents/${id}/updates`), {
      status: "resolved",
      body: "Resolved.",
    });
    expect((await t.admin.request("POST", path(`/drafts/${d.body.id}/approve`))).status).toBe(200);
    expect((await json("/api/v2/status.json")).status.description).not.toBe("Security Issue");
  });
});

describe("STATUS_PAGE_AT_ROOT", () => {
  it("serves the chosen page at / as well", async () => {
    const root = await startTestApp({ statusPageAtRoot: "default" });
    try {
      const r = await fetch(`${root.base}/`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await r.text()).toContain("All Systems Operational");
    } finally {
      await root.close();
    }
    // Without it, / is the web app's page (or its "not built" page), never the status page.
    const plain = await fetch(`${t.base}/`);
    expect(await plain.text()).not.toContain("All Systems Operational");
  });
});
