/** Who may do what over HTTP: tokens (AUTH), the viewer role (AUTH), private incidents (DATA-3, DEC-5). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { client, startTestApp, type TestApp } from "../support/app.ts";
import { commandKinds, declare, expectProblem, read, timeline } from "./helpers.ts";

let t: TestApp;
type User = Awaited<ReturnType<TestApp["user"]>>;
let val: User; // viewer
let rex: User; // responder, not a participant of anything private
beforeAll(async () => {
  t = await startTestApp();
  val = await t.user("val", "viewer");
  rex = await t.user("rex", "responder");
});
afterAll(() => t?.close());
beforeEach(() => t.clock.advanceMinutes(6 * 60));

const on = (id: number, rest = "") => `/api/v1/incidents/${id}${rest}`;
const noToken = (method: string, path: string, body?: unknown) =>
  fetch(t.base + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then(async (res) => ({ status: res.status, headers: res.headers, body: await res.json() }));

describe("AUTH: every /api/v1 route needs a valid token", () => {
  it("AUTH: no token is 401 problem+json on every route tried, before any validation", async () => {
    const i = await declare(t.admin);
    const routes: [string, string, unknown?][] = [
      ["GET", "/api/v1/incidents"],
      ["GET", on(i.id)],
      ["GET", on(i.id, "/timeline")],
      ["GET", on(i.id, "/tasks")],
      ["GET", on(i.id, "/participants")],
      ["GET", "/api/v1/deploy-gate"],
      ["GET", "/api/v1/me"],
      ["GET", "/api/v1/users"],
      ["POST", "/api/v1/incidents", { nonsense: true }],
      ["POST", on(i.id, "/notes"), { body: "hello" }],
      ["POST", on(i.id, "/status"), { status: "resolved" }],
    ];
    for (const [method, path, body] of routes) {
      const p = expectProblem(await noToken(method, path, body), 401, "unauthenticated");
      expect(p.detail, `${method} ${path}`).toContain("token");
    }
    expect(commandKinds(await timeline(t.admin, i.id))).toEqual(["declared"]);
  });

  it("AUTH: an unknown token is 401 naming the token by its prefix; a malformed header is 401", async () => {
    const fake = `fbk_${"q".repeat(43)}`;
    const p = expectProblem(await client(t.base, fake).get("/api/v1/incidents"), 401, "unauthenticated");
    expect(p.detail).toContain(fake.slice(0, 8));
    expect(p.detail).not.toContain(fake);
    const basic = await fetch(`${t.base}/api/v1/incidents`, { headers: { authorization: "Basic YTpi" } });
    expect(basic.status).toBe(401);
    expect(basic.headers.get("content-type") ?? "").toMatch(/^application\/problem\+json/);
  });

  it("AUTH: a revoked token is 401; a deactivated user's token is 401", async () => {
    const tia = await t.user("tia", "responder");
    const made = await tia.request("POST", "/api/v1/tokens", { name: "laptop" });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const laptop = client(t.base, made.body.token);
    expect((await laptop.get("/api/v1/me")).body.username).toBe("tia");

    expect((await tia.request("DELETE", `/api/v1/tokens/${made.body.id}`)).status).toBe(204);
    expectProblem(await laptop.get("/api/v1/me"), 401, "unauthenticated");
    expect((await tia.get("/api/v1/me")).status).toBe(200); // only that token is gone

    expect((await t.admin.request("PATCH", `/api/v1/users/${tia.id}`, { active: false })).status).toBe(200);
    expectProblem(await tia.get("/api/v1/me"), 401, "unauthenticated");
    expectProblem(await tia.request("POST", "/api/v1/incidents", { title: "x" }), 401);
  });

  it("AUTH: a responder demoted to viewer is refused writes at once with the same token", async () => {
    const ivy = await t.user("ivy", "responder");
    const i = await declare(ivy);
    expect((await t.admin.request("PATCH", `/api/v1/users/${ivy.id}`, { role: "viewer" })).status).toBe(200);
    const p = expectProblem(await ivy.request("POST", on(i.id, "/notes"), { body: "still here" }), 403);
    expect(p.role).toBe("viewer");
    expect((await ivy.get(on(i.id))).status).toBe(200);
  });

  it("AUTH: a viewer gets 403 naming its role on every write route; nothing changes", async () => {
    const i = await declare(t.admin, { severity: "S3" });
    const other = await declare(t.admin, { severity: "S4" });
    const n = (await t.admin.request("POST", on(i.id, "/notes"), { body: "n" })).body;
    const task = (await t.admin.request("POST", on(i.id, "/tasks"), { kind: "action", title: "a" })).body;
    const before = { incident: await read(t.admin, i.id), events: await timeline(t.admin, i.id) };
    const listBefore = (await t.admin.get("/api/v1/incidents")).body;

    const writes: [string, string, unknown?][] = [
      ["POST", "/api/v1/incidents", { title: "v", type: "GitLab.com", severity: "S4", status: "active" }],
      ["PATCH", on(i.id), { title: "renamed" }],
      ["POST", on(i.id, "/status"), { status: "fixing" }],
      ["POST", on(i.id, "/severity"), { severity: "S1", reason: "r" }],
      ["POST", on(i.id, "/owner"), { owner: "val" }],
      ["POST", on(i.id, "/escalate"), {}],
      ["PUT", on(i.id, "/roles/EOC"), { user: "val" }],
      ["DELETE", on(i.id, "/roles/EOC")],
      ["POST", on(i.id, "/impact"), { edge: "started" }],
      ["POST", on(other.id, "/merge"), { into: i.id }],
      ["POST", on(i.id, "/participants"), { user: "val" }],
      ["POST", on(i.id, "/notes"), { body: "viewer note" }],
      ["POST", on(i.id, "/updates"), { impact: "i", actions: "a" }],
      ["PUT", on(i.id, `/timeline/${n.id}/pin`)],
      ["DELETE", on(i.id, `/timeline/${n.id}/pin`)],
      ["POST", on(i.id, "/tasks"), { kind: "action", title: "viewer task" }],
      ["PATCH", on(i.id, `/tasks/${task.id}`), { state: "done" }],
      ["POST", "/api/v1/users", { username: "vv", name: "vv", role: "admin" }],
    ];
    for (const [method, path, body] of writes) {
      const p = expectProblem(await val.request(method, path, body), 403, "forbidden");
      expect(p.detail, `${method} ${path}`).toContain("viewer");
      expect(p.role).toBe("viewer");
    }
    expect(await read(t.admin, i.id)).toEqual(before.incident);
    expect(await timeline(t.admin, i.id)).toEqual(before.events);
    expect((await t.admin.get("/api/v1/incidents")).body).toEqual(listBefore);
    expect((await t.admin.get(on(i.id, "/tasks"))).body.tasks[0].state).toBe("open");
    expect(
      (await t.admin.get(on(i.id, "/participants"))).body.participants.map((u: { id: number }) => u.id),
    ).not.toContain(val.id);
  });

  it("AUTH: a viewer can read incidents, timelines, tasks, participants and the gate", async () => {
    const i = await declare(t.admin, { title: "Readable by viewers" });
    for (const path of [on(i.id), on(i.id, "/timeline"), on(i.id, "/tasks"), on(i.id, "/participants")]) {
      expect((await val.get(path)).status, path).toBe(200);
    }
    expect(
      (await val.get("/api/v1/incidents?q=Readable")).body.incidents.map((x: { id: number }) => x.id),
    ).toEqual([i.id]);
    expect((await val.get("/api/v1/deploy-gate")).status).toBe(200);
  });
});

describe("DATA-3: private incidents exist only for participants and admins", () => {
  it("DATA-3: a non-participant gets the same 404 as for a missing incident, on every route", async () => {
    const lead = await t.user("lia", "responder");
    const i = await declare(lead, { visibility: "private", title: "Customer data in logs" });
    const missing = 99999;
    const routes: [string, string, unknown?][] = [
      ["GET", ""],
      ["GET", "/timeline"],
      ["GET", "/tasks"],
      ["GET", "/participants"],
      ["POST", "/notes", { body: "hi" }],
      ["POST", "/status", { status: "fixing" }],
      ["POST", "/participants", { user: "rex" }],
      ["PUT", "/roles/EOC", { user: "rex" }],
    ];
    for (const c of [rex, val]) {
      for (const [method, rest, body] of routes) {
        if (c === val && method !== "GET") continue; // a viewer is stopped by its role first
        const hidden = expectProblem(await c.request(method, on(i.id, rest), body), 404, "not-found");
        const absent = expectProblem(await c.request(method, on(missing, rest), body), 404, "not-found");
        expect(hidden.detail.replace(String(i.id), "N"), `${method} ${rest}`).toBe(
          absent.detail.replace(String(missing), "N"),
        );
      }
    }
    expect(commandKinds(await timeline(lead, i.id))).toEqual(["declared"]);
  });

  it("DATA-3: it is missing from the list, search and filters for a non-participant", async () => {
    const lead = await t.user("lee", "responder");
    const i = await declare(lead, { visibility: "private", title: "Zebra secret incident", severity: "S2" });
    for (const c of [rex, val]) {
      for (const q of ["", "?q=Zebra", `?owner=${lead.id}`, "?severity=S2", "?state=investigating"]) {
        const ids = (await c.get(`/api/v1/incidents${q}`)).body.incidents.map((x: { id: number }) => x.id);
        expect(ids, q).not.toContain(i.id);
      }
    }
    for (const c of [lead, t.admin]) {
      const ids = (await c.get("/api/v1/incidents?q=Zebra")).body.incidents.map((x: { id: number }) => x.id);
      expect(ids).toEqual([i.id]);
      expect((await read(c, i.id)).visibility).toBe("private");
    }
  });

  it("DATA-3: a participant added via POST /participants then sees it everywhere", async () => {
    const lead = await t.user("lin", "responder");
    const guest = await t.user("gus", "viewer");
    const i = await declare(lead, { visibility: "private", title: "Quokka private" });
    expectProblem(await guest.get(on(i.id)), 404);

    const added = await lead.request("POST", on(i.id, "/participants"), { user: "gus" });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({ id: guest.id, username: "gus" });

    expect((await read(guest, i.id)).title).toBe("Quokka private");
    expect((await timeline(guest, i.id)).length).toBeGreaterThan(0);
    expect((await guest.get(on(i.id, "/tasks"))).status).toBe(200);
    const ids = (await guest.get("/api/v1/incidents?q=Quokka")).body.incidents.map(
      (x: { id: number }) => x.id,
    );
    expect(ids).toEqual([i.id]);
    const people = (await lead.get(on(i.id, "/participants"))).body.participants.map(
      (u: { id: number }) => u.id,
    );
    expect(people).toEqual(expect.arrayContaining([lead.id, guest.id]));
    // Still hidden from everyone else.
    expectProblem(await rex.get(on(i.id)), 404);
  });

  it("DATA-3: admins see it; a role holder, a named owner and a task assignee become participants", async () => {
    const lead = await t.user("lyn", "responder");
    const [eoc, owner, doer] = [
      await t.user("eve", "responder"),
      await t.user("oz", "responder"),
      await t.user("dot"),
    ];
    const i = await declare(lead, { visibility: "private", owner: "oz" });
    expect((await t.admin.get(on(i.id))).status).toBe(200);
    expect((await owner.get(on(i.id))).status).toBe(200);

    expectProblem(await eoc.get(on(i.id)), 404);
    expect((await lead.request("PUT", on(i.id, "/roles/EOC"), { user: "eve" })).status).toBe(200);
    expect((await eoc.get(on(i.id))).status).toBe(200);

    expectProblem(await doer.get(on(i.id)), 404);
    const task = await lead.request("POST", on(i.id, "/tasks"), {
      kind: "action",
      title: "rotate",
      assignee: "dot",
    });
    expect(task.status).toBe(201);
    expect((await doer.get(on(i.id))).status).toBe(200);
  });

  it("DEC-5: a security (SIRT) incident is private by default, and public only when asked", async () => {
    const sirt = await declare(rex, { type: "SIRT", title: "Suspicious logins" });
    expect(sirt.visibility).toBe("private");
    expectProblem(await val.get(on(sirt.id)), 404);
    const open = await declare(rex, { type: "SIRT", visibility: "public" });
    expect(open.visibility).toBe("public");
    expect((await declare(rex, { type: "Dedicated" })).visibility).toBe("public");
  });
});
