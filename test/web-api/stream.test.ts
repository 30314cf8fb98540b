/**
 * Live incidents over server-sent events, read through real HTTP responses: what arrives, for whom,
 * after reconnecting, and when the LISTEN connection drops.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { declare, expectProblem, timeline } from "../api/helpers.ts";
import { type Client, startTestApp, type TestApp } from "../support/app.ts";
import { browser, openStream, type Stream, timelineEvents, waitEnded } from "./helpers.ts";

let t: TestApp;
let ann: Client & { id: number }; // a responder who follows incidents
let bob: Client & { id: number }; // a responder who writes on them
let vic: Client & { id: number }; // a viewer who takes part in nothing
const streams: Stream[] = [];

const bearer = (c: Client) => ({ authorization: `Bearer ${c.token}` });
async function follow(c: Client | Record<string, string>, path: string, extra: Record<string, string> = {}) {
  const headers = "token" in c ? bearer(c as Client) : (c as Record<string, string>);
  const s = await openStream(t.base, path, { ...headers, ...extra });
  streams.push(s);
  return s;
}
const note = (c: Client, id: number, body: string, internal = false) =>
  c.request("POST", `/api/v1/incidents/${id}/notes`, { body, internal });

beforeAll(async () => {
  t = await startTestApp();
  ann = await t.user("ann");
  bob = await t.user("bob");
  vic = await t.user("vic", "viewer");
});
afterAll(async () => {
  for (const s of streams) s.close();
  await t.close();
});

describe("GET /incidents/:id/stream", () => {
  it("sends the timeline and the incident as the API presents them, then another user's note", async () => {
    const i = await declare(bob, { title: "Checkout errors" });
    const s = await follow(ann, `/api/v1/incidents/${i.id}/stream`);
    expect(s.status).toBe(200);
    expect(s.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(s.headers.get("cache-control")).toContain("no-cache");
    const incident = await s.waitFor((e) => e.event === "incident", "the incident");
    const read = await ann.get(`/api/v1/incidents/${i.id}`);
    expect(incident.data).toEqual(read.body);
    await s.waitFor((e) => e.event === "timeline", "the first event");
    expect(timelineEvents(s).map((e) => e.data)).toEqual(await timeline(ann, i.id));
    for (const e of timelineEvents(s)) expect(e.id).toBe(String(e.data.id));

    const posted = await note(bob, i.id, "rolling back the deploy");
    expect(posted.status).toBe(201);
    const arrived = await s.waitFor((e) => e.data.body === "rolling back the deploy", "bob's note");
    expect(arrived.event).toBe("timeline");
    expect(arrived.id).toBe(String(posted.body.id));
    expect(arrived.data).toEqual(posted.body);
    expect(arrived.data.actor.username).toBe("bob");
  });

  it("sends the incident again when it changes", async () => {
    const i = await declare(bob);
    const s = await follow(ann, `/api/v1/incidents/${i.id}/stream`);
    await s.waitFor((e) => e.event === "incident", "the incident");
    const r = await bob.request("POST", `/api/v1/incidents/${i.id}/severity`, {
      severity: "S2",
      reason: "more customers affected",
    });
    expect(r.status).toBe(200);
    const changed = await s.waitFor((e) => e.event === "incident" && e.data.severity === "S2", "S2");
    expect(changed.data).toEqual((await ann.get(`/api/v1/incidents/${i.id}`)).body);
    await s.waitFor((e) => e.event === "timeline" && e.data.kind === "severity-changed", "the event");
  });

  it("resends only what came after Last-Event-ID (or ?after=)", async () => {
    const i = await declare(bob);
    const first = await follow(ann, `/api/v1/incidents/${i.id}/stream`);
    await note(bob, i.id, "before the drop");
    const last = await first.waitFor((e) => e.data.body === "before the drop", "the note");
    first.close();
    const a = await note(bob, i.id, "missed one");
    const b = await note(bob, i.id, "missed two");
    const again = await follow(ann, `/api/v1/incidents/${i.id}/stream`, { "last-event-id": last.id! });
    await again.waitFor((e) => e.data.body === "missed two", "the second missed note");
    await again.waitFor((e) => e.event === "incident", "the incident");
    expect(timelineEvents(again).map((e) => e.data.id)).toEqual([a.body.id, b.body.id]);
    const byQuery = await follow(ann, `/api/v1/incidents/${i.id}/stream?after=${a.body.id}`);
    await byQuery.waitFor((e) => e.event === "incident", "the incident");
    expect(timelineEvents(byQuery).map((e) => e.data.id)).toEqual([b.body.id]);
  });

  it("sends a timeline of several MiB whole to a reader who reads it (the backlog waits for the reader)", async () => {
    const i = await declare(bob, { title: "A long one" });
    const actor = { id: bob.id, username: "bob", role: "responder" as const, tokenId: null };
    const notes = 300;
    for (let n = 0; n < notes; n++) {
      const body = `note ${n}: ${"the pool ran dry again, retrying with a longer back-off ".repeat(220)}`;
      await t.services.incidents.addNote(actor, i.id, body, false);
    }
    const all = await timeline(bob, i.id);
    expect(JSON.stringify(all).length, "more than 1 MiB of timeline").toBeGreaterThan(3 * 1024 * 1024);
    const s = await follow(bob, `/api/v1/incidents/${i.id}/stream`);
    expect(s.status).toBe(200);
    // The incident comes after the whole backlog.
    await s.waitFor((e) => e.event === "incident", "the incident after the backlog");
    expect(s.ended()).toBe(false);
    expect(timelineEvents(s).map((e) => e.data.id)).toEqual(all.map((e) => e.id));
    // Live updates still follow.
    await note(bob, i.id, "after the long backlog");
    await s.waitFor((e) => e.data.body === "after the long backlog", "the next note");
  });

  it("a private incident's stream is 404 for someone who does not take part", async () => {
    const i = await declare(bob, { visibility: "private" });
    const s = await follow(vic, `/api/v1/incidents/${i.id}/stream`);
    expectProblem({ status: s.status, body: s.body, headers: s.headers }, 404, "not-found");
    expect((await follow(t.admin, `/api/v1/incidents/${i.id}/stream`)).status).toBe(200);
    expect((await follow(bob, `/api/v1/incidents/${i.id}/stream`)).status).toBe(200);
    const missing = await follow(ann, "/api/v1/incidents/999999/stream");
    expect(missing.status).toBe(404);
  });

  it("internal notes reach participants and admins, never others", async () => {
    const i = await declare(bob);
    const outsider = await follow(vic, `/api/v1/incidents/${i.id}/stream`);
    const insider = await follow(bob, `/api/v1/incidents/${i.id}/stream`);
    await note(bob, i.id, "customer name is in the logs", true);
    await note(bob, i.id, "public progress");
    await insider.waitFor((e) => e.data.body === "public progress", "the public note (insider)");
    await insider.waitFor((e) => e.data.body === "customer name is in the logs", "the internal note");
    await outsider.waitFor((e) => e.data.body === "public progress", "the public note (outsider)");
    expect(timelineEvents(outsider).some((e) => e.data.internal)).toBe(false);
    expect(timelineEvents(outsider).map((e) => e.data)).toEqual(await timeline(vic, i.id));
  });

  it("brings a merged duplicate's history along, once", async () => {
    const primary = await declare(bob, { title: "primary" });
    const duplicate = await declare(bob, { title: "duplicate" });
    await note(bob, duplicate.id, "seen from the duplicate");
    const s = await follow(ann, `/api/v1/incidents/${primary.id}/stream`);
    await s.waitFor((e) => e.event === "incident", "the incident");
    const merged = await bob.request("POST", `/api/v1/incidents/${duplicate.id}/merge`, { into: primary.id });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    await s.waitFor((e) => e.data.body === "seen from the duplicate", "the duplicate's note");
    await s.waitFor((e) => e.data.kind === "duplicate-merged", "the merge");
    const ids = timelineEvents(s).map((e) => e.data.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(
      (await timeline(ann, primary.id)).map((e) => e.id).sort((a, b) => a - b),
    );
    // Reconnecting after the merge resends nothing of it.
    const lastId = timelineEvents(s).at(-1)!.id!;
    const again = await follow(ann, `/api/v1/incidents/${primary.id}/stream`, { "last-event-id": lastId });
    await again.waitFor((e) => e.event === "incident", "the incident");
    expect(timelineEvents(again)).toEqual([]);
  });

  it("follows with the session cookie; signing out ends the stream", async () => {
    const i = await declare(bob);
    const b = browser(t.base);
    expect((await b.signIn({ token: ann.token })).status).toBe(200);
    const s = await follow({ cookie: b.cookie! }, `/api/v1/incidents/${i.id}/stream`);
    expect(s.status).toBe(200);
    await note(bob, i.id, "while signed in");
    await s.waitFor((e) => e.data.body === "while signed in", "the note");
    expect((await b.request("DELETE", "/api/v1/session")).status).toBe(204);
    await note(bob, i.id, "after signing out");
    await waitEnded(s);
    expect(s.events.some((e) => e.data.body === "after signing out")).toBe(false);
  });
});

describe("GET /incidents/stream", () => {
  it("names each changed incident the reader can see, and no other", async () => {
    const s = await follow(vic, "/api/v1/incidents/stream");
    expect(s.status).toBe(200);
    const hidden = await declare(bob, { visibility: "private", title: "hidden" });
    await note(bob, hidden.id, "private work");
    const shown = await declare(bob, { title: "shown" });
    await s.waitFor((e) => e.event === "incident" && e.data.id === shown.id, "the public incident");
    await note(bob, shown.id, "more");
    expect(s.events.every((e) => e.event === "incident")).toBe(true);
    expect(s.events.some((e) => e.data.id === hidden.id)).toBe(false);
    expect(s.events[0]!.data).toEqual({ id: shown.id });
  });
});

describe("one LISTEN connection per replica", () => {
  it("serves every stream, and a dropped one is replaced without losing anything", async () => {
    const i = await declare(bob);
    const a = await follow(ann, `/api/v1/incidents/${i.id}/stream`);
    const b = await follow(vic, `/api/v1/incidents/${i.id}/stream`);
    const list = await follow(ann, "/api/v1/incidents/stream");
    await a.waitFor((e) => e.event === "incident", "the incident");
    const db = new pg.Client({ connectionString: t.database.pool.options.connectionString });
    await db.connect();
    try {
      const listening = async () =>
        Number(
          (
            await db.query(
              "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN firebreak_incidents'",
            )
          ).rows[0].n,
        );
      expect(await listening()).toBe(1);
      await db.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN firebreak_incidents'",
      );
      // Written while nobody may be listening: the streams read again when the listener is back.
      await note(bob, i.id, "during the drop");
      await a.waitFor((e) => e.data.body === "during the drop", "the note (ann)");
      await b.waitFor((e) => e.data.body === "during the drop", "the note (vic)");
      // The list stream may have missed changes: it is closed so the browser re-reads the list.
      await waitEnded(list);
      await vi.waitFor(
        async () => {
          if ((await listening()) !== 1) throw new Error("not listening again yet");
        },
        { timeout: 5_000, interval: 20 },
      );
      await note(bob, i.id, "after the drop");
      await a.waitFor((e) => e.data.body === "after the drop", "the next note");
    } finally {
      await db.end();
    }
  });
});
