/**
 * A client that hangs up while its stream request is still being answered (authenticated, the
 * incident read) leaves nothing behind: no open stream, no change listener, no keep-alive timer.
 *
 * The app does not expose its live-incidents object, so this mounts the real incident routes on a
 * server of its own, fed by a live-incidents object the test can count.
 */
import { get, type IncomingMessage } from "node:http";
import net from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { incidentRoutes } from "../../src/incidents/routes.ts";
import {
  createLiveIncidents,
  type IncidentChanges,
  type LiveIncidents,
  listenForIncidentChanges,
} from "../../src/incidents/stream.ts";
import { createAuth } from "../../src/platform/auth.ts";
import { type App, createHttp } from "../../src/platform/http.ts";
import { createMetrics } from "../../src/platform/metrics.ts";
import { loadPolicy } from "../../src/policy/load.ts";
import { fixedPolicy } from "../../src/policy/source.ts";
import { declare } from "../api/helpers.ts";
import { startCustomApp } from "./helpers.ts";

let app: Awaited<ReturnType<typeof startCustomApp>>;
let http: App;
let changes: IncidentChanges;
let live: LiveIncidents;
let port: number;
/** Stream requests that reached the server, and those whose handler has finished. */
let arrived = 0;
let handled = 0;
const problems: string[] = [];

beforeAll(async () => {
  app = await startCustomApp();
  // Whatever goes wrong is logged at warn or above: the test insists nothing was.
  const log = pino(
    { level: "warn" },
    new Writable({
      write(chunk, _encoding, done) {
        problems.push(String(chunk));
        done();
      },
    }),
  );
  const policy = fixedPolicy(loadPolicy());
  changes = listenForIncidentChanges(app.database.pool, log);
  await changes.start();
  const auth = createAuth({ db: app.database.db, clock: app.clock });
  live = createLiveIncidents({
    service: app.services.incidents,
    changes,
    currentActor: auth.currentActor,
    policy,
    clock: app.clock,
    log,
    keepAliveMs: 50,
  });
  const counted: LiveIncidents = Object.create(live, {
    incident: {
      value: async (...args: Parameters<LiveIncidents["incident"]>) => {
        try {
          return await live.incident(...args);
        } finally {
          handled++;
        }
      },
    },
    list: {
      value: async (...args: Parameters<LiveIncidents["list"]>) => {
        try {
          return await live.list(...args);
        } finally {
          handled++;
        }
      },
    },
  });
  http = await createHttp({
    log,
    metrics: createMetrics(),
    bodyLimit: 1024 * 1024,
    version: "test",
    ready: async () => true,
  });
  await http.register(
    async (api) => {
      api.addHook("onRequest", async () => {
        arrived++;
      });
      api.addHook("onRequest", auth.authenticate);
      await api.register(
        incidentRoutes(app.services.incidents, {
          policy,
          clock: app.clock,
          live: counted,
          incidentsOfService: async () => [],
        }),
      );
    },
    { prefix: "/api/v1" },
  );
  http.addHook("preClose", async () => live.closeAll());
  await http.listen({ port: 0, host: "127.0.0.1" });

  const address = http.server.address();
  port = typeof address === "object" && address ? address.port : 0;
});

afterAll(async () => {
  await http?.close();
  await changes?.stop();
  await app?.close();
});

/** Sends a stream request on a raw socket and hangs up as soon as it is sent. */
function hangUp(path: string, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: firebreak.test\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`,
        () => {
          socket.destroy();
          resolve();
        },
      );
    });
    socket.on("error", reject);
  });
}

describe("a client that leaves before its stream opens", () => {
  it("leaves no stream, listener or timer behind, however many times it happens", async () => {
    const i = await declare(app.admin);
    const token = app.admin.token;
    // A stream that stays open is counted, so the counts below mean something. (node:http rather
    // than fetch: fetch may open a spare connection that would hold the server open at the end.)
    const kept = await new Promise<IncomingMessage>((resolve, reject) => {
      const r = get(
        {
          host: "127.0.0.1",
          port,
          path: `/api/v1/incidents/${i.id}/stream`,
          headers: { authorization: `Bearer ${token}` },
          agent: false,
        },
        resolve,
      );
      r.on("error", reject);
    });
    expect(kept.statusCode).toBe(200);
    let received = "";
    kept.on("data", (chunk) => {
      received += String(chunk);
    });
    kept.on("error", () => undefined);
    await vi.waitFor(
      () => {
        if (!received.includes("event: incident")) throw new Error("waiting for the incident");
      },
      { timeout: 5_000, interval: 20 },
    );
    expect(live.openStreams).toBe(1);
    expect(changes.listeners).toBe(1);
    kept.destroy();
    await vi.waitFor(
      () => {
        if (live.openStreams !== 0) throw new Error("the closed stream is still open");
      },
      { timeout: 5_000, interval: 20 },
    );
    arrived = 0;
    handled = 0;

    const times = 25;
    for (let n = 0; n < times; n++) {
      await Promise.all([
        hangUp(`/api/v1/incidents/${i.id}/stream`, token),
        hangUp("/api/v1/incidents/stream", token),
      ]);
    }
    // Every request reached its handler and the handler is done with it...
    await vi.waitFor(
      () => {
        if (arrived !== 2 * times || handled !== arrived) {
          throw new Error(`${arrived} arrived, ${handled} handled`);
        }
      },
      { timeout: 10_000, interval: 20 },
    );
    // ...and nothing of them is left.
    await vi.waitFor(
      () => {
        if (live.openStreams !== 0 || changes.listeners !== 0) {
          throw new Error(`${live.openStreams} streams and ${changes.listeners} listeners still open`);
        }
      },
      { timeout: 5_000, interval: 20 },
    );
    expect(problems, "nothing failed on the way").toEqual([]);
  });
});
