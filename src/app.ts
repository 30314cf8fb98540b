/** Wires the capabilities onto one HTTP server. Used by `firebreak serve`, the tests and the benchmarks. */
import { readFileSync } from "node:fs";
import { incidentRoutes } from "./incidents/routes.ts";
import { createIncidentService } from "./incidents/service.ts";
import type { IncidentDb } from "./incidents/store.ts";
import { authenticate } from "./platform/auth.ts";
import type { Clock } from "./platform/clock.ts";
import type { Database } from "./platform/db.ts";
import { type App, createHttp } from "./platform/http.ts";
import type { Logger } from "./platform/logger.ts";
import { createMetrics } from "./platform/metrics.ts";
import { migrationsComplete } from "./platform/migrate.ts";
import type { Policy } from "./policy/model.ts";
import { userRoutes } from "./users/routes.ts";
import { createUserService } from "./users/service.ts";

export const version: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;

export type AppDeps = {
  database: Database;
  clock: Clock;
  policy: Policy;
  log: Logger;
  bodyLimitBytes: number;
};

export async function buildApp(deps: AppDeps) {
  const { database, clock, policy, log } = deps;
  const metrics = createMetrics();
  const db = database.db as unknown as IncidentDb; // one pool; each capability sees its own tables
  const users = createUserService({ db: database.db, clock });
  const incidents = createIncidentService({ db, clock, policy, metrics });

  const app: App = await createHttp({
    log,
    metrics,
    bodyLimit: deps.bodyLimitBytes,
    version,
    ready: () => migrationsComplete(database.pool),
  });
  await app.register(
    async (api) => {
      api.addHook("onRequest", authenticate(database.db));
      await api.register(userRoutes(users));
      await api.register(incidentRoutes(incidents, { policy, clock }));
    },
    { prefix: "/api/v1" },
  );
  await app.ready();
  return { app, services: { users, incidents }, metrics };
}
