/**
 * Running status pages: an admin of the owning team renames a page and changes its time zone
 * (PATCH /status-pages/{slug}), and puts its components and groups in a new order in one request
 * (PUT /status-pages/{slug}/components/order); visitors see both at once. A list that misses a
 * component, names one twice or names another page's is refused naming `ids`, and nothing moves.
 * Nobody outside the owning team changes either. The default page's heading reads "Status", not
 * "Status status".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusDb } from "../../src/statuspage/store.ts";
import { expectProblem } from "../api/helpers.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON from the API, read loosely in assertions
type Json = any;
type Person = Awaited<ReturnType<TestApp["user"]>>;

let t: TestApp;
let ana: Person; // responder; admin of the payments team, which owns the "shop" page
let sam: Person; // responder in the default team only
let group: Json;
let api: Json;
let web: Json;
let lone: Json;
let elsewhere: Json; // on the default page

const shop = (p = "") => `/api/v1/status-pages/shop${p}`;
const created = async (page: string, body: object) => {
  const r = await t.admin.request("POST", `/api/v1/status-pages/${page}/components`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
};
const positions = async () =>
  (
    await (t.database.db as unknown as StatusDb)
      .selectFrom("status_components")
      .select(["id", "position"])
      .orderBy("id")
      .execute()
  ).map((r) => [r.id, r.position]);
const publicHtml = async (slug: string) => {
  const r = await fetch(`${t.base}/status/${slug}`);
  expect(r.status).toBe(200);
  return r.text();
};
/** The component and group names in the order the public page lists them. */
const listed = (html: string) => [...html.matchAll(/<h[34]>([^<]+)<\/h[34]>/g)].map((m) => m[1]);

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-11-18T12:00:00Z" });
  ana = await t.user("ana", "responder");
  sam = await t.user("sam", "responder");
  const payments = (await t.admin.request("POST", "/api/v1/teams", { slug: "payments", name: "Payments" }))
    .body;
  expect(
    (await t.admin.request("PUT", `/api/v1/teams/${payments.id}/members/${ana.id}`, { role: "admin" }))
      .status,
  ).toBe(204);
  const page = await t.admin.request("POST", "/api/v1/status-pages", {
    slug: "shop",
    name: "Shop",
    teamId: payments.id,
  });
  expect(page.status, JSON.stringify(page.body)).toBe(201);
  group = await created("shop", { name: "Checkout", group: true, position: 0 });
  api = await created("shop", { name: "Payments API", groupId: group.id, position: 1 });
  web = await created("shop", { name: "Card form", groupId: group.id, position: 2 });
  lone = await created("shop", { name: "Search", position: 3 });
  elsewhere = await created("default", { name: "Elsewhere" });
});
afterAll(() => t?.close());

describe("PATCH /status-pages/{slug}", () => {
  it("renames a page and changes its time zone; the public page shows the new name at once", async () => {
    expect(await publicHtml("shop")).toContain("<h1>Shop status</h1>");
    const r = await ana.request("PATCH", shop(), { name: "Acme Shop", timeZone: "Europe/Berlin" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ slug: "shop", name: "Acme Shop", timeZone: "Europe/Berlin" });
    const listedPage = (await t.admin.get("/api/v1/status-pages")).body.pages.find(
      (p: Json) => p.slug === "shop",
    );
    expect(listedPage).toMatchObject({ name: "Acme Shop", timeZone: "Europe/Berlin" });
    expect(await publicHtml("shop")).toContain("<h1>Acme Shop status</h1>");
    // One field alone is fine too.
    expect((await ana.request("PATCH", shop(), { timeZone: "UTC" })).body.name).toBe("Acme Shop");
  });

  it("refuses an unknown time zone, an empty name or nothing to change, naming the field", async () => {
    expect(expectProblem(await ana.request("PATCH", shop(), { timeZone: "Mars/Olympus" }), 400).field).toBe(
      "timeZone",
    );
    expect(expectProblem(await ana.request("PATCH", shop(), { name: "  " }), 400).detail).toMatch(/name/);
    expect(expectProblem(await ana.request("PATCH", shop(), {}), 400).detail).toMatch(/nothing to change/);
    expectProblem(await ana.request("PATCH", "/api/v1/status-pages/nope", { name: "x" }), 404);
    const page = (await t.admin.get("/api/v1/status-pages")).body.pages.find((p: Json) => p.slug === "shop");
    expect(page).toMatchObject({ name: "Acme Shop", timeZone: "UTC" });
  });

  it("is refused to someone outside the owning team", async () => {
    expectProblem(await sam.request("PATCH", shop(), { name: "Hijacked" }), 403);
    expect((await ana.request("PATCH", "/api/v1/status-pages/default", { name: "Mine" })).status).toBe(403);
    expect(await publicHtml("shop")).toContain("<h1>Acme Shop status</h1>");
  });
});

describe("PUT /status-pages/{slug}/components/order", () => {
  it("puts every component in the order given, in one request; the public page lists them so", async () => {
    expect(listed(await publicHtml("shop"))).toEqual(["Checkout", "Payments API", "Card form", "Search"]);
    const order = [lone.id, group.id, web.id, api.id];
    const r = await ana.request("PUT", shop("/components/order"), { ids: order });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.components.map((c: Json) => [c.id, c.position])).toEqual(order.map((id, n) => [id, n]));
    expect(listed(await publicHtml("shop"))).toEqual(["Search", "Checkout", "Card form", "Payments API"]);
    const read = (await t.admin.get(shop("/components"))).body.components.map((c: Json) => c.id);
    expect(read).toEqual(order);
  });

  it("refuses a list that misses a component, names one twice or another page's; nothing moves", async () => {
    const before = await positions();
    for (const [ids, says] of [
      [[lone.id, group.id, web.id], /missing: \d+/],
      [[lone.id, group.id, web.id, api.id, api.id], /more than once: \d+/],
      [[lone.id, group.id, web.id, api.id, elsewhere.id], /not on this page: \d+/],
      [[], /missing/],
    ] as const) {
      const p = expectProblem(await ana.request("PUT", shop("/components/order"), { ids }), 400);
      expect(p.field).toBe("ids");
      expect(p.detail).toMatch(says);
    }
    expect(await positions()).toEqual(before);
  });

  it("is refused to someone outside the owning team; nothing moves", async () => {
    const before = await positions();
    expectProblem(
      await sam.request("PUT", shop("/components/order"), { ids: [api.id, web.id, group.id, lone.id] }),
      403,
    );
    expect(await positions()).toEqual(before);
  });
});

describe("the default page's heading", () => {
  it('reads "Status", as the page is named, not "Status status"', async () => {
    const html = await publicHtml("default");
    expect(html).toContain("<h1>Status</h1>");
    expect(html).toContain("<title>Status</title>");
    expect(html).not.toMatch(/status status/i);
  });
});
