/** Wires the capabilities onto one HTTP server. Used by `firebreak serve`, the tests and the benchmarks. */
import { readFileSync } from "node:fs";
import { alertRoutes, eventsV2Routes, intakeRoutes } from "./alerts/routes.ts";
import { createAlertService } from "./alerts/service.ts";
import type { AlertDb } from "./alerts/store.ts";
import { incidentRoutes } from "./incidents/routes.ts";
import { createIncidentService } from "./incidents/service.ts";
import type { IncidentDb } from "./incidents/store.ts";
import { createLiveIncidents, listenForIncidentChanges } from "./incidents/stream.ts";
import { createChannels } from "./notify/registry.ts";
import { calendarFeedRoutes, oncallRoutes } from "./oncall/routes.ts";
import { createOncallService } from "./oncall/service.ts";
import type { OncallDb } from "./oncall/store.ts";
import { defaultBusinessHours, urgencyFor } from "./paging/model.ts";
import { ackLinkRoutes, pagingRoutes } from "./paging/routes.ts";
import { createPagingService, type PagingService } from "./paging/service.ts";
import type { PagingDb } from "./paging/store.ts";
import { createAuth } from "./platform/auth.ts";
import type { Clock } from "./platform/clock.ts";
import type { Database } from "./platform/db.ts";
import { type App, createHttp } from "./platform/http.ts";
import { createJobs } from "./platform/jobs.ts";
import type { Logger } from "./platform/logger.ts";
import { createMetrics } from "./platform/metrics.ts";
import { migrationsComplete } from "./platform/migrate.ts";
import type { Policy } from "./policy/model.ts";
import { policyRoutes } from "./policy/routes.ts";
import { createResponseCache, statusPageChanges } from "./statuspage/cache.ts";
import { publicStatusRoutes, statusFastPath } from "./statuspage/public.ts";
import { statusAdminRoutes } from "./statuspage/routes.ts";
import { createStatusService } from "./statuspage/service.ts";
import type { StatusDb } from "./statuspage/store.ts";
import { createSubscriberService, type SubscriberDeps } from "./statuspage/subscribers.ts";
import { subscriberAdminRoutes, subscriberPublicRoutes } from "./statuspage/subscribers-routes.ts";
import type { SubscriberDb } from "./statuspage/subscribers-store.ts";
import { userRoutes } from "./users/routes.ts";
import { createUserService } from "./users/service.ts";
import { sessionRoutes } from "./users/session-routes.ts";
import { createSignInService } from "./users/signin.ts";
import { createThrottle } from "./users/throttle.ts";
import { webAppRoutes } from "./web/routes.ts";

export const version: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;

export type AppDeps = {
  database: Database;
  clock: Clock;
  policy: Policy;
  log: Logger;
  bodyLimitBytes: number;
  publicUrl?: string;
  smtpUrl?: string;
  emailFrom?: string;
  /** Outgoing HTTP for webhooks and chat (tests point it at local servers). */
  fetch?: typeof fetch;
  /** Alert intake's group commit: events per transaction, transactions at once, events queued. */
  intake?: { maxBatch?: number; maxConcurrent?: number; maxQueued?: number };
  /** A status page served at `/` too. */
  statusPageAtRoot?: string;
  /** Status page subscribers: rate limits, and whether webhooks may name internal hosts (tests). */
  statusSubscribers?: Pick<SubscriberDeps, "limits" | "allowInternalWebhooks">;
  /** Live incident streams: how often an idle stream sends a keep-alive comment (default 20 s). */
  streamKeepAliveMs?: number;
};

export async function buildApp(deps: AppDeps) {
  const { database, clock, policy, log } = deps;
  const publicUrl = deps.publicUrl ?? "http://localhost:8080";
  const metrics = createMetrics();
  // One pool; each capability sees its own tables.
  const incidentDb = database.db as unknown as IncidentDb;
  const pagingDb = database.db as unknown as PagingDb;
  const oncallDb = database.db as unknown as OncallDb;

  const jobs = createJobs(database.pool, log, clock);
  const channels = createChannels({
    smtpUrl: deps.smtpUrl,
    emailFrom: deps.emailFrom ?? "Firebreak <firebreak@localhost>",
    fetch: deps.fetch,
  });
  // Late-bound: on-call and paging are created below.
  let placesOf: ((userId: number) => Promise<string[]>) | undefined;
  const users = createUserService({
    db: database.db,
    clock,
    placesOf: (id) => placesOf?.(id) ?? Promise.resolve([]),
  });
  const signIn = createSignInService({
    db: database.db,
    clock,
    throttle: createThrottle({ db: database.db, clock }),
  });
  /** SEV-5: the urgency of a page for an incident of this severity, now. */
  const urgencyOf = (severity: string) => {
    const paging = policy.paging;
    if (!paging) return "high" as const;
    const hours = { ...defaultBusinessHours, timeZone: paging.timeZone };
    return urgencyFor(severity, paging.weekendLowUrgency, hours, clock.now());
  };
  // Paging is created after incidents; the pager reaches it through this late-bound reference.
  let pagingRef: PagingService | undefined;
  const incidents = createIncidentService({
    db: incidentDb,
    clock,
    policy,
    metrics,
    pager: {
      async page(tx, { policyName, incident, actor, reason }) {
        if (!pagingRef || !policy.paging) return;
        await pagingRef.pageForIncident(tx as unknown as PagingDb, {
          policyName,
          title: `${incident.severity} incident #${incident.id} ${reason}: ${incident.title || "(untitled)"}`,
          urgency: urgencyOf(incident.severity),
          incidentId: incident.id,
          actor,
        });
      },
      async acknowledgeAll(tx, incidentId, actor) {
        await pagingRef?.acknowledgeIncident(actor, incidentId, tx as unknown as PagingDb);
      },
      async resolveAll(tx, incidentId, actor) {
        await pagingRef?.resolveIncident(actor, incidentId, tx as unknown as PagingDb);
      },
    },
  });
  const oncall = createOncallService({
    db: oncallDb,
    clock,
    publicUrl,
    policiesUsingSchedule: (tx, id) =>
      (tx as unknown as PagingDb)
        .selectFrom("escalation_policies")
        .select(["id", "name"])
        .where((eb) =>
          eb.fn("jsonb_path_exists", [
            eb.ref("levels"),
            eb.val(`$[*].targets[*] ? (@.kind == "schedule" && @.id == ${id})`),
          ]),
        )
        .execute(),
  });
  const paging = createPagingService({
    db: pagingDb,
    clock,
    jobs,
    log,
    publicUrl,
    send: (n) => channels.send(n),
    onCall: (tx, scheduleId, at) => oncall.onCall(tx as unknown as OncallDb, scheduleId, at),
    scheduleExists: (tx, id) => oncall.scheduleExists(tx as unknown as OncallDb, id),
    incidentTimeline: (tx, incidentId, e, actorId, at) =>
      incidents.recordEvent(
        tx as unknown as IncidentDb,
        incidentId,
        { ...e, kind: e.kind as `page-${string}` },
        actorId,
        at,
      ),
    visibleIncidents: (actor, ids) => incidents.visibleIds(actor, ids),
    incidentParticipants: (tx, incidentId, userIds, at) =>
      incidents.addParticipants(tx as unknown as IncidentDb, incidentId, userIds, at),
    onDelivery: (channel, status) => metrics.deliveries.labels(channel, status).inc(),
  });
  pagingRef = paging;
  const alerts = createAlertService({
    db: database.db as unknown as AlertDb,
    clock,
    policy,
    jobs,
    incidents,
    paging,
    urgencyFor: urgencyOf,
    intake: deps.intake,
  });
  // Status pages: responses are cached bytes, cleared on every replica when a page changes.
  const statusCache = createResponseCache({ ttlMs: 10_000, log });
  const statusListener = statusPageChanges(database.pool, statusCache, log);
  const statusSubscribers = createSubscriberService({
    ...deps.statusSubscribers,
    db: database.db as unknown as SubscriberDb,
    clock,
    jobs,
    log,
    publicUrl,
    send: (n) => channels.send(n),
    emailEnabled: Boolean(deps.smtpUrl),
    fetch: deps.fetch,
    onDelivery: (channel, status) => metrics.deliveries.labels(channel, status).inc(),
  });
  const statusPages = createStatusService({
    db: database.db as unknown as StatusDb,
    clock,
    publicUrl,
    incidents,
    incidentManagerRole: policy.incidentManagerRole,
    published: (tx, e) => statusSubscribers.published(tx, e),
    changed: (pageId) => statusListener.changed(pageId),
  });
  placesOf = async (userId) => [
    ...(await oncall.schedulesNamingUser(userId)).map((s) => `schedule ${s.name} (#${s.id})`),
    ...(await paging.policiesNamingUser(userId)).map((p) => `escalation policy ${p.name} (#${p.id})`),
  ];

  const auth = createAuth({ db: database.db, clock });
  // Live incidents: one LISTEN connection per replica feeds every open stream.
  const incidentChanges = listenForIncidentChanges(database.pool, log);
  const live = createLiveIncidents({
    service: incidents,
    changes: incidentChanges,
    currentActor: auth.currentActor,
    policy,
    clock,
    log,
    keepAliveMs: deps.streamKeepAliveMs,
  });
  const app: App = await createHttp({
    log,
    metrics,
    bodyLimit: deps.bodyLimitBytes,
    version,
    ready: () => migrationsComplete(database.pool),
    // Cached status page bytes are answered before routing (src/statuspage/public.ts).
    fastPath: statusFastPath(statusCache, metrics, deps.statusPageAtRoot),
  });
  await app.register(
    async (api) => {
      api.addHook("onRequest", auth.authenticate);
      await api.register(userRoutes(users, signIn));
      await api.register(sessionRoutes(signIn, users, { secureCookies: publicUrl.startsWith("https:") }));
      await api.register(policyRoutes(policy));
      await api.register(
        incidentRoutes(incidents, {
          policy,
          clock,
          live,
          incidentsOfService: (id) => alerts.incidentsOfService(id),
        }),
      );
      await api.register(oncallRoutes(oncall));
      await api.register(pagingRoutes(paging));
      await api.register(alertRoutes(alerts, (actor, ids) => incidents.visibleIds(actor, ids)));
      await api.register(statusAdminRoutes(statusPages));
      await api.register(subscriberAdminRoutes(statusSubscribers));
    },
    { prefix: "/api/v1" },
  );
  // Alert intake: the integration key is the credential (senders cannot send bearer tokens).
  await app.register(intakeRoutes(alerts, metrics), { prefix: "/api/v1/integrations" });
  await app.register(eventsV2Routes(alerts, metrics), { prefix: "/v2" });
  await app.register(publicStatusRoutes(statusPages, statusCache, clock, deps.statusPageAtRoot));
  await app.register(subscriberPublicRoutes(statusSubscribers));
  await app.register(ackLinkRoutes(paging));
  await app.register(calendarFeedRoutes(oncall));
  // Last: the web app answers the paths no other route claims (`/` stays the status page's when set).
  await app.register(webAppRoutes());
  await statusListener.start();
  await incidentChanges.start();
  // Open streams would hold the server open: end them first (browsers reconnect elsewhere).
  app.addHook("preClose", async () => live.closeAll());
  app.addHook("onClose", async () => {
    await statusListener.stop();
    await incidentChanges.stop();
    await jobs.stop();
    await channels.close();
  });
  await app.ready();
  return {
    app,
    services: { users, incidents, oncall, paging, alerts, statusPages, statusSubscribers },
    jobs,
    metrics,
  };
}
