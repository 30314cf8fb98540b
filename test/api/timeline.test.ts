/** The timeline over HTTP: TL-1 (append-only), TL-2 (pins), TL-3 (impact), COMM-1 (updates), DATA-2 (internal notes). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { commandKinds, declare, expectProblem, frozen, move, read, timeline } from "./helpers.ts";

let t: TestApp;
type User = Awaited<ReturnType<TestApp["user"]>>;
let kim: User;
let lou: User;
beforeAll(async () => {
  t = await startTestApp();
  kim = await t.user("kim", "responder");
  lou = await t.user("lou", "responder");
});
afterAll(() => t?.close());
beforeEach(() => t.clock.advanceMinutes(6 * 60));

const on = (id: number, rest: string) => `/api/v1/incidents/${id}${rest}`;
const note = (c: User | TestApp["admin"], id: number, body: string, internal = false) =>
  c.request("POST", on(id, "/notes"), { body, internal });
const pin = (id: number, eventId: number, method: "PUT" | "DELETE" = "PUT") =>
  kim.request(method, on(id, `/timeline/${eventId}/pin`));

describe("TL-1: every change is an event; the timeline is append-only", () => {
  it("TL-1: each command appends an event with its actor and time, and earlier events never change", async () => {
    // Kim names herself owner: a chosen owner stays when the EOC engages (OWN-3 moves defaults only).
    const i = await declare(kim, { severity: "S3", title: "Queue backlog", owner: "kim" });
    let seen = frozen(await timeline(kim, i.id));
    expect(commandKinds(seen)).toEqual(["declared"]);
    expect(seen[0]).toMatchObject({
      kind: "declared",
      actor: { id: kim.id },
      at: t.clock.now().toISOString(),
    });

    const commands: [string, string, string, unknown][] = [
      ["fields-changed", "PATCH", "", { title: "Queue backlog on sidekiq" }],
      ["status-changed", "POST", "/status", { status: "fixing" }],
      ["severity-changed", "POST", "/severity", { severity: "S2", reason: "more queues affected" }],
      ["role-changed", "PUT", "/roles/EOC", { user: "lou" }],
      ["owner-changed", "POST", "/owner", { owner: "lou" }],
      ["note", "POST", "/notes", { body: "restarting workers" }],
      ["status-update", "POST", "/updates", { impact: "jobs delayed", actions: "scaling workers" }],
      ["impact-started", "POST", "/impact", { edge: "started" }],
      ["action-added", "POST", "/tasks", { kind: "action", title: "Scale workers" }],
    ];
    for (const [kind, method, rest, body] of commands) {
      t.clock.advanceMinutes(1);
      const r = await kim.request(method, on(i.id, rest), body);
      expect(r.status, `${kind}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
      const now = frozen(await timeline(kim, i.id));
      expect(now.slice(0, seen.length), `${kind} left earlier events untouched`).toEqual(seen);
      const added = now.slice(seen.length);
      expect(added.map((e) => e.kind)).toContain(kind);
      // What the command wrote is Kim's; what the rules did in its wake is Firebreak's, said so.
      for (const e of added.filter((x) => commandKinds([x]).length === 0))
        expect(e.actor === null || e.kind.startsWith("page-"), e.kind).toBe(true);
      for (const e of added.filter((x) => commandKinds([x]).length === 1)) {
        expect(e.actor).toMatchObject({ id: kim.id, username: "kim" });
        expect(e.at).toBe(t.clock.now().toISOString());
        expect(e.incidentId).toBe(i.id);
      }
      seen = now;
    }
    const fields = seen.find((e) => e.kind === "fields-changed");
    expect(fields?.data.changed).toEqual({
      title: { from: "Queue backlog", to: "Queue backlog on sidekiq" },
    });
  });

  it("TL-1: a correction is a new note; the earlier note stays as it was", async () => {
    const i = await declare(kim);
    const wrong = await note(kim, i.id, "root cause: DNS");
    expect(wrong.status).toBe(201);
    t.clock.advanceMinutes(10);
    const fix = await note(
      kim,
      i.id,
      `correction to event ${wrong.body.id}: root cause is the load balancer`,
    );
    expect(fix.status).toBe(201);
    const notes = (await timeline(kim, i.id)).filter((e) => e.kind === "note");
    expect(notes.map((e) => e.body)).toEqual([
      "root cause: DNS",
      `correction to event ${wrong.body.id}: root cause is the load balancer`,
    ]);
    expect(frozen(notes)[0]).toEqual(frozen([wrong.body])[0]);
    // There is no route that edits or deletes an event.
    for (const method of ["PATCH", "PUT", "DELETE"]) {
      const r = await kim.request(method, on(i.id, `/timeline/${wrong.body.id}`), { body: "edited" });
      expect(r.status, method).toBe(404);
    }
    expect((await timeline(kim, i.id)).find((e) => e.id === wrong.body.id)?.body).toBe("root cause: DNS");
  });
});

describe("TL-2: pinned highlights", () => {
  it("TL-2: pin and unpin; ?pinned=true lists only pinned events; pinning twice is 409", async () => {
    const i = await declare(kim);
    const a = (await note(kim, i.id, "customer tickets spiking")).body;
    const b = (await note(kim, i.id, "rollback started")).body;

    const p = await pin(i.id, a.id);
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    expect(p.body).toMatchObject({ kind: "pinned", data: { eventId: a.id }, actor: { id: kim.id } });
    expect((await timeline(kim, i.id, "?pinned=true")).map((e) => e.id)).toEqual([a.id]);
    expect((await timeline(kim, i.id)).find((e) => e.id === a.id)?.pinned).toBe(true);
    expectProblem(await pin(i.id, a.id), 409);

    expect((await pin(i.id, b.id)).status).toBe(201);
    expect((await timeline(kim, i.id, "?pinned=true")).map((e) => e.id)).toEqual([a.id, b.id]);

    expect((await pin(i.id, a.id, "DELETE")).status).toBe(200);
    expect((await timeline(kim, i.id, "?pinned=true")).map((e) => e.id)).toEqual([b.id]);
    expectProblem(await pin(i.id, a.id, "DELETE"), 409);
    // Pinning is itself recorded (TL-1).
    const kinds = (await timeline(kim, i.id)).map((e) => e.kind);
    expect(kinds.filter((k) => k === "pinned")).toHaveLength(2);
    expect(kinds.filter((k) => k === "unpinned")).toHaveLength(1);
  });

  it("TL-2: a pin of a pin is 400; an unknown event, or another incident's event, is 404", async () => {
    const i = await declare(kim);
    const other = await declare(kim);
    const a = (await note(kim, i.id, "x")).body;
    const p = (await pin(i.id, a.id)).body;
    expectProblem(await pin(i.id, p.id), 400);
    expectProblem(await pin(i.id, 99999999), 404);
    const foreign = (await note(kim, other.id, "elsewhere")).body;
    expectProblem(await pin(i.id, foreign.id), 404);
  });
});

describe("TL-3: customer impact start and end", () => {
  it("TL-3: impact started/ended with `at` are recorded on the incident and the timeline", async () => {
    const i = await declare(kim);
    const start = "2026-03-01T09:12:00.000Z";
    const end = "2026-03-01T10:40:00.000Z";
    const s = await kim.request("POST", on(i.id, "/impact"), { edge: "started", at: start });
    expect(s.status, JSON.stringify(s.body)).toBe(200);
    expect(s.body.impactStartedAt).toBe(start);
    const e = await kim.request("POST", on(i.id, "/impact"), { edge: "ended", at: end });
    expect(e.body).toMatchObject({ impactStartedAt: start, impactEndedAt: end });
    expect(await read(t.admin, i.id)).toMatchObject({ impactStartedAt: start, impactEndedAt: end });
    const events = (await timeline(kim, i.id)).filter((x) => x.kind.startsWith("impact-"));
    expect(events.map((x) => [x.kind, x.data.at])).toEqual([
      ["impact-started", start],
      ["impact-ended", end],
    ]);
  });

  it("TL-3: impact cannot end before it started (400 naming `at`) nor without a start (409)", async () => {
    const i = await declare(kim);
    expectProblem(await kim.request("POST", on(i.id, "/impact"), { edge: "ended" }), 409);
    await kim.request("POST", on(i.id, "/impact"), { edge: "started", at: "2026-03-01T09:00:00Z" });
    const p = expectProblem(
      await kim.request("POST", on(i.id, "/impact"), { edge: "ended", at: "2026-03-01T08:59:00Z" }),
      400,
    );
    expect(p.field).toBe("at");
    expect((await read(t.admin, i.id)).impactEndedAt).toBeNull();
    expectProblem(await kim.request("POST", on(i.id, "/impact"), { edge: "started", at: "yesterday" }), 400);
  });
});

describe("COMM-1: status updates", () => {
  it("COMM-1: a status update is its own kind of event, with impact and actions in its data", async () => {
    const i = await declare(kim);
    const next = "2026-03-10T12:00:00.000Z";
    const r = await kim.request("POST", on(i.id, "/updates"), {
      impact: "10% of pipelines fail",
      actions: "rolling back the runner release",
      nextUpdateAt: next,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const e = (await timeline(lou, i.id)).find((x) => x.id === r.body.id);
    expect(e).toMatchObject({ kind: "status-update", internal: false, actor: { username: "kim" } });
    expect(e?.data).toMatchObject({
      impact: "10% of pipelines fail",
      actions: "rolling back the runner release",
      nextUpdateAt: next,
    });
    const p = expectProblem(await kim.request("POST", on(i.id, "/updates"), { impact: "only impact" }), 400);
    expect(p.detail).toContain("actions");
  });
});

describe("FU-1: actions and follow-ups", () => {
  it("FU-1: an action assigned by username, then done; a follow-up; each change a timeline event", async () => {
    const i = await declare(kim);
    const a = await kim.request("POST", on(i.id, "/tasks"), {
      kind: "action",
      title: "Fail over",
      assignee: "lou",
    });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    expect(a.body).toMatchObject({
      kind: "action",
      state: "open",
      assignee: { id: lou.id },
      incidentId: i.id,
    });
    const f = await kim.request("POST", on(i.id, "/tasks"), { kind: "follow-up", title: "Add an alert" });
    expect(f.body).toMatchObject({ kind: "follow-up", assignee: null, createdBy: { id: kim.id } });

    const done = await lou.request("PATCH", on(i.id, `/tasks/${a.body.id}`), { state: "done" });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.state).toBe("done");
    const reassigned = await kim.request("PATCH", on(i.id, `/tasks/${f.body.id}`), { assignee: kim.id });
    expect(reassigned.body.assignee).toMatchObject({ id: kim.id });

    const tasks = (await kim.get(on(i.id, "/tasks"))).body.tasks;
    expect(tasks.map((x: { title: string; state: string }) => [x.title, x.state])).toEqual([
      ["Fail over", "done"],
      ["Add an alert", "open"],
    ]);
    const events = (await timeline(kim, i.id)).filter((e) => e.kind.startsWith("action-"));
    expect(events.map((e) => [e.kind, e.data.taskId, e.actor?.username])).toEqual([
      ["action-added", a.body.id, "kim"],
      ["action-added", f.body.id, "kim"],
      ["action-changed", a.body.id, "lou"],
      ["action-changed", f.body.id, "kim"],
    ]);
    expect(events[2]?.data.changed).toEqual({ state: { from: "open", to: "done" } });
  });

  it("FU-1: an unknown assignee is 400 naming `assignee`; an unknown task is 404; nothing is stored", async () => {
    const i = await declare(kim);
    const p = expectProblem(
      await kim.request("POST", on(i.id, "/tasks"), { kind: "action", title: "x", assignee: "nobody" }),
      400,
    );
    expect(p.field).toBe("assignee");
    expect((await kim.get(on(i.id, "/tasks"))).body.tasks).toEqual([]);
    expectProblem(await kim.request("PATCH", on(i.id, "/tasks/99999"), { state: "done" }), 404);
  });

  it("FU-1: follow-ups are still added after the incident is closed", async () => {
    const i = await declare(kim, { severity: "S4" });
    await move(kim, i.id, "resolved");
    await move(kim, i.id, "closed");
    const f = await kim.request("POST", on(i.id, "/tasks"), { kind: "follow-up", title: "Write the review" });
    expect(f.status, JSON.stringify(f.body)).toBe(201);
  });
});

describe("DATA-2: internal notes", () => {
  it("DATA-2: an internal note is seen by participants and admins, not by a non-participant viewer or responder", async () => {
    const viewer = await t.user("vic", "viewer");
    const stranger = await t.user("sam", "responder");
    const i = await declare(kim, { visibility: "public" });
    await note(kim, i.id, "public note");
    const secret = await note(kim, i.id, "customer Acme is the one affected", true);
    expect(secret.status).toBe(201);
    expect(secret.body.internal).toBe(true);
    expect((await pin(i.id, secret.body.id)).status).toBe(201);

    for (const c of [kim, t.admin]) {
      const ids = (await timeline(c, i.id)).map((e) => e.id);
      expect(ids).toContain(secret.body.id);
    }
    for (const c of [viewer, stranger]) {
      const all = await timeline(c, i.id);
      expect(all.map((e) => e.body)).toContain("public note");
      expect(JSON.stringify(all)).not.toContain("Acme");
      expect(all.some((e) => e.internal)).toBe(false);
      expect(await timeline(c, i.id, "?pinned=true")).toEqual([]);
    }

    // Becoming a participant (here: given a role) shows the internal note.
    await kim.request("PUT", on(i.id, "/roles/CMOC"), { user: "sam" });
    expect((await timeline(stranger, i.id)).map((e) => e.id)).toContain(secret.body.id);
  });
});
