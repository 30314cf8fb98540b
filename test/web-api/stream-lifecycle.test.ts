/**
 * Live streams across replicas and over time: a change on one replica reaches a stream on another,
 * idle streams carry keep-alives, a revoked credential ends a stream, and stopping the server ends
 * its streams instead of hanging on them.
 */
import { afterAll, describe, expect, it, vi } from "vitest";
import { declare, expectProblem } from "../api/helpers.ts";
import { client } from "../support/app.ts";
import { startReplicas } from "../support/replicas.ts";
import { browser, openStream, type Stream, startCustomApp, waitEnded } from "./helpers.ts";

const streams: Stream[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of streams) s.close();
  for (const c of cleanups) await c().catch(() => undefined);
});

describe("replicas", () => {
  it("a note written through one replica reaches a stream on another", async () => {
    const set = await startReplicas(["a", "b"]);
    cleanups.push(() => set.close());
    const [a, b] = set.replicas as [(typeof set.replicas)[0], (typeof set.replicas)[0]];
    const i = await declare(a.admin);
    const s = await openStream(b.base, `/api/v1/incidents/${i.id}/stream`, {
      authorization: `Bearer ${b.admin.token}`,
    });
    streams.push(s);
    await s.waitFor((e) => e.event === "incident", "the incident");
    const r = await a.admin.request("POST", `/api/v1/incidents/${i.id}/notes`, { body: "from replica a" });
    expect(r.status).toBe(201);
    const got = await s.waitFor((e) => e.data.body === "from replica a", "the note on replica b");
    expect(got.id).toBe(String(r.body.id));

    // Stopping a replica ends its streams rather than waiting for the browsers to leave.
    await b.close();
    await waitEnded(s);
  });
});

describe("keep-alive and credentials", () => {
  it("an idle stream gets `: keep-alive` comments; a revoked token ends it at the next one", async () => {
    const app = await startCustomApp({ streamKeepAliveMs: 50 });
    cleanups.push(() => app.close());
    const created = await app.admin.request("POST", "/api/v1/tokens", { name: "for the stream" });
    const token = created.body.token as string;
    const i = await declare(client(app.base, token));
    const s = await openStream(app.base, `/api/v1/incidents/${i.id}/stream`, {
      authorization: `Bearer ${token}`,
    });
    streams.push(s);
    expect(s.status).toBe(200);
    await s.waitFor((e) => e.event === "incident", "the incident");
    await vi.waitFor(
      () => {
        if (s.comments.filter((c) => c === "keep-alive").length < 2) throw new Error("no keep-alive yet");
      },
      { timeout: 5_000, interval: 20 },
    );
    expect(s.ended()).toBe(false);
    const revoked = await app.admin.request("DELETE", `/api/v1/tokens/${created.body.id}`);
    expect(revoked.status).toBe(204);
    await waitEnded(s);
  });

  it("a deactivated user's stream ends", async () => {
    const app = await startCustomApp({ streamKeepAliveMs: 50 });
    cleanups.push(() => app.close());
    const u = await app.admin.request("POST", "/api/v1/users", {
      username: "temp",
      name: "Temp",
      role: "responder",
    });
    const tok = await app.admin.request("POST", `/api/v1/users/${u.body.id}/tokens`, { name: "t" });
    const i = await declare(app.admin);
    const s = await openStream(app.base, `/api/v1/incidents/${i.id}/stream`, {
      authorization: `Bearer ${tok.body.token}`,
    });
    streams.push(s);
    await s.waitFor((e) => e.event === "incident", "the incident");
    expect((await app.admin.request("DELETE", `/api/v1/users/${u.body.id}`)).status).toBe(200);
    await waitEnded(s);
  });

  it("an open stream does not keep an idle session alive: 12 hours after the last request it ends", async () => {
    const app = await startCustomApp({ streamKeepAliveMs: 50 });
    cleanups.push(() => app.close());
    const password = "correct horse battery staple";
    const u = await app.admin.request("POST", "/api/v1/users", {
      username: "watcher",
      name: "Watcher",
      role: "responder",
      password,
    });
    expect(u.status).toBe(201);
    const b = browser(app.base);
    expect((await b.signIn({ username: "watcher", password })).status).toBe(200);
    const i = await declare(app.admin);
    const s = await openStream(app.base, `/api/v1/incidents/${i.id}/stream`, { cookie: b.cookie! });
    streams.push(s);
    expect(s.status).toBe(200);
    await s.waitFor((e) => e.event === "incident", "the incident");
    const keepAlives = async (n: number) => {
      const seen = s.comments.length;
      await vi.waitFor(
        () => {
          if (s.comments.length < seen + n) throw new Error("waiting for keep-alives");
        },
        { timeout: 5_000, interval: 20 },
      );
    };
    // 11 hours later the stream is still read and its session re-checked at every keep-alive...
    app.clock.advanceMinutes(11 * 60);
    await keepAlives(3);
    expect(s.ended()).toBe(false);
    // ...but those re-checks are not requests: 12 hours after the last one, the session has ended.
    app.clock.advanceMinutes(60 + 1);
    await waitEnded(s);
    expectProblem(await b.get("/api/v1/session"), 401, "unauthenticated");
  });
});
