/** Wires the capabilities onto one HTTP server. Used by `firebreak serve`, the tests and the benchmarks. */
import { readFileSync } from "node:fs";
import { eventsV1Routes } from "./alerts/events-v1.ts";
import { eventsV2Routes } from "./alerts/events-v2.ts";
import { grafanaOnCallRoutes } from "./alerts/grafana-oncall.ts";
import { intakeRoutes } from "./alerts/intake-routes.ts";
import { opsgenieRoutes } from "./alerts/opsgenie.ts";
import { alertRoutes } from "./alerts/routes.ts";
import { createSelfMonitor } from "./alerts/self-monitor.ts";
import { createAlertService } from "./alerts/service.ts";
import type { AlertDb } from "./alerts/store.ts";
import { auditRoutes } from "./audit/routes.ts";
import { createAudit } from "./audit/service.ts";
import { createChatInbound } from "./chat/inbound.ts";
import type { MattermostSettings } from "./chat/mattermost.ts";
import { createRoom } from "./chat/room.ts";
import { roomRoutes } from "./chat/room-routes.ts";
import { createSlack, type Slack } from "./chat/slack.ts";
import { createSlackApi } from "./chat/slack-api.ts";
import { configRoutes } from "./config/routes.ts";
import { createConfigService } from "./config/service.ts";
import { createBriefings } from "./customers/briefings.ts";
import { customerRoutes } from "./customers/routes.ts";
import { createCustomers } from "./customers/service.ts";
import { syncOnCallWithPolicy } from "./defaults.ts";
import { incidentRoutes } from "./incidents/routes.ts";
import { createIncidentService } from "./incidents/service.ts";
import type { IncidentDb } from "./incidents/store.ts";
import { createLiveIncidents, listenForIncidentChanges } from "./incidents/stream.ts";
import { registerInsightsMetrics } from "./insights/metrics.ts";
import { insightsRoutes } from "./insights/routes.ts";
import { createInsights, REFRESH_EVERY_MS } from "./insights/service.ts";
import { createChannels } from "./notify/registry.ts";
import { calendarFeedRoutes, oncallRoutes } from "./oncall/routes.ts";
import { createOncallService } from "./oncall/service.ts";
import type { OncallDb } from "./oncall/store.ts";
import { type ChannelHealth, createChannelHealth } from "./paging/channel-health.ts";
import { contactRoutes } from "./paging/contact-routes.ts";
import { createNotices } from "./paging/notices.ts";
import {
  createPushSubscriptions,
  createVapidKeys,
  type VapidSettings,
  vapidSettingsProblem,
} from "./paging/push.ts";
import { pushRoutes } from "./paging/push-routes.ts";
import { ackLinkRoutes, pagingRoutes } from "./paging/routes.ts";
import { createSelfTest } from "./paging/self-test.ts";
import { createPagingService, type PagingService } from "./paging/service.ts";
import type { PagingDb } from "./paging/store.ts";
import { createTestPages } from "./paging/test-page.ts";
import { testPageRoutes } from "./paging/test-page-routes.ts";
import { createSmsRateLimit, createTwilioInbound } from "./paging/twilio.ts";
import { twilioRoutes } from "./paging/twilio-routes.ts";
import { createAuth } from "./platform/auth.ts";
import type { Clock } from "./platform/clock.ts";
import type { OidcConfig } from "./platform/config.ts";
import type { Database } from "./platform/db.ts";
import { type App, createHttp } from "./platform/http.ts";
import { createIdempotency } from "./platform/idempotency.ts";
import { createJobs } from "./platform/jobs.ts";
import type { Logger } from "./platform/logger.ts";
import { createMetrics } from "./platform/metrics.ts";
import { migrationsComplete } from "./platform/migrate.ts";
import { createOutbound, type Resolve } from "./platform/outbound.ts";
import { urgencyFor } from "./policy/actions.ts";
import type { Policy } from "./policy/model.ts";
import { newRun, type Tx } from "./policy/ports.ts";
import { createProcess, type Process } from "./policy/process.ts";
import { clockRoutes, policyRoutes } from "./policy/routes.ts";
import { asPolicySource, type PolicySource } from "./policy/source.ts";
import { reviewRoutes } from "./reviews/routes.ts";
import { createReviews, type Reviews } from "./reviews/service.ts";
import { createPrometheus } from "./slo/prometheus.ts";
import { serviceLevelRoutes } from "./slo/routes.ts";
import { createServiceLevels, type ServiceLevelSettings } from "./slo/service.ts";
import type { SloDb } from "./slo/store.ts";
import { createResponseCache, statusPageChanges } from "./statuspage/cache.ts";
import { publicStatusRoutes, statusFastPath } from "./statuspage/public.ts";
import { statusAdminRoutes } from "./statuspage/routes.ts";
import { createStatusService } from "./statuspage/service.ts";
import type { StatusDb } from "./statuspage/store.ts";
import { createSubscriberService, type SubscriberDeps } from "./statuspage/subscribers.ts";
import { subscriberAdminRoutes, subscriberPublicRoutes } from "./statuspage/subscribers-routes.ts";
import type { SubscriberDb } from "./statuspage/subscribers-store.ts";
import { supportRoutes } from "./support/routes.ts";
import { createSupport, type Support } from "./support/service.ts";
import { defaultTrackerSettings, type TrackerSettings, trackerClients } from "./trackers/clients.ts";
import { createTrackers } from "./trackers/service.ts";
import type { TrackerDb } from "./trackers/store.ts";
import { createOidc } from "./users/oidc.ts";
import { oidcRoutes } from "./users/oidc-routes.ts";
import { preferenceRoutes } from "./users/preferences.ts";
import { userRoutes } from "./users/routes.ts";
import { createUserService, type Place } from "./users/service.ts";
import { sessionRoutes } from "./users/session-routes.ts";
import { createSignInService } from "./users/signin.ts";
import { createTeams } from "./users/teams.ts";
import { teamRoutes } from "./users/teams-routes.ts";
import { createThrottle } from "./users/throttle.ts";
import { webAppRoutes } from "./web/routes.ts";

export const version: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;

export type AppDeps = {
  database: Database;
  clock: Clock;
  /** The policy in force: a file that may be reloaded, or a fixed one (tests). */
  policy: Policy | PolicySource;
  log: Logger;
  bodyLimitBytes: number;
  publicUrl?: string;
  smtpUrl?: string;
  emailFrom?: string;
  /**
   * OUTBOUND_ALLOWED_HOSTS: internal hosts webhooks, chat and subscriber webhooks may reach (tests
   * allow their local receivers). Default: none, only the public internet.
   */
  outboundAllowedHosts?: string[];
  /** VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT. Default: a pair kept in the database. */
  vapid?: VapidSettings;
  /** TWILIO_*: SMS and voice calls. Default: none (sms and voice methods fail saying so). */
  twilio?: { accountSid: string; authToken: string; from: string; apiBase?: string };
  /** MATTERMOST_*: Mattermost's slash command (issue 17). Default: none (its requests refused). */
  mattermost?: MattermostSettings;
  /** How long a chat command may run before Slack is answered "working on it" (default 250 ms). */
  chatAckWithinMs?: number;
  /** SLACK_*: the Slack app (issue 17). Default: none (no channels; Slack's requests refused). */
  slack?: { botToken?: string; signingSecret?: string; apiUrl: string };
  /** Resolves host names for outgoing HTTP (tests). Default: the system resolver. */
  resolve?: Resolve;
  /** GITLAB_URL, GITLAB_TOKEN, GITHUB_API_URL, GITHUB_TOKEN: tracker issues (DEC-2, FU-1). */
  trackers?: TrackerSettings;
  /** Alert intake's group commit: events per transaction, transactions at once, events queued. */
  intake?: { maxBatch?: number; maxConcurrent?: number; maxQueued?: number };
  /** A status page served at `/` too. */
  statusPageAtRoot?: string;
  /** Status page subscribers: rate limits (tests make them small). */
  statusSubscribers?: Pick<SubscriberDeps, "limits">;
  /** Single sign-on with an OpenID Connect provider, when configured. */
  oidc?: OidcConfig;
  /** Whether passwords and API tokens open browser sessions; off, only the break-glass admin's do. */
  localSignIn?: { enabled: boolean; breakGlass: string };
  /** Proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES). */
  trustedProxies?: string[];
  /** How long the audit log keeps entries (default 365 days). */
  auditRetentionDays?: number;
  /**
   * How often the insights figures that commands marked stale are recomputed in the background
   * (default 1 s; 0: only when insights are read, which always recompute first).
   */
  insightsRefreshMs?: number;
  /** Live incident streams: how often an idle stream sends a keep-alive comment (default 20 s). */
  streamKeepAliveMs?: number;
  /** READYZ_TIMEOUT_MS, METRICS_TOKEN, and whether METRICS_LISTEN serves /metrics elsewhere. */
  operations?: { readyzTimeoutMs?: number; metricsToken?: string; metricsElsewhere?: boolean };
  /** PROMETHEUS_URL (STAT-4 objectives are judged against it) and the schedule (tests shorten it). */
  serviceLevels?: { prometheusUrl?: string; settings?: Partial<ServiceLevelSettings> };
};

export async function buildApp(deps: AppDeps) {
  const { database, clock, log } = deps;
  const policy = asPolicySource(deps.policy);
  const publicUrl = deps.publicUrl ?? "http://localhost:8080";
  const metrics = createMetrics();
  // One pool; each capability sees its own tables.
  const incidentDb = database.db as unknown as IncidentDb;
  const pagingDb = database.db as unknown as PagingDb;
  const oncallDb = database.db as unknown as OncallDb;

  const jobs = createJobs(database.pool, log, clock);
  // Idempotency-Key: commands' transactions mark the request's key; expired keys are swept.
  const idempotency = createIdempotency({
    db: database.db,
    clock,
    log,
    maxHeld: Math.max(1, Math.floor((database.pool.options.max ?? 10) / 2)),
  });
  idempotency.wrapTransactions(database.db);
  jobs.attach(idempotency.sweeper());
  // Every request to a URL someone typed goes through this one guarded client.
  const allowedHosts = deps.outboundAllowedHosts ?? [];
  const outbound = createOutbound({ allowedHosts, resolve: deps.resolve });
  const slackApi = deps.slack?.botToken
    ? createSlackApi({ botToken: deps.slack.botToken, apiUrl: deps.slack.apiUrl }, outbound, log)
    : undefined;
  // Late-bound like the process: incident changes reach Slack's channels (created below).
  let slackRef: Slack | undefined;
  // Web Push: the VAPID keys (the settings', or a pair kept in the database) and subscriptions.
  const vapidSettings = deps.vapid ?? {};
  const vapidProblem = vapidSettingsProblem(vapidSettings);
  if (vapidProblem) throw new Error(vapidProblem);
  const vapidKeys = createVapidKeys({ db: pagingDb, settings: vapidSettings, publicUrl });
  const pushSubscriptions = createPushSubscriptions({ db: pagingDb, clock, outbound });
  const channels = createChannels({
    twilio: deps.twilio && {
      ...deps.twilio,
      publicUrl,
      reserveSms: createSmsRateLimit({ db: pagingDb, clock }),
    },
    smtpUrl: deps.smtpUrl,
    emailFrom: deps.emailFrom ?? "Firebreak <firebreak@localhost>",
    outbound,
    push: { vapid: () => vapidKeys.get(), onGone: (endpoint) => pushSubscriptions.expire(endpoint) },
  });
  // Late-bound: on-call and paging are created below.
  let placesOf: ((userId: number) => Promise<Place[]>) | undefined;
  const users = createUserService({
    db: database.db,
    clock,
    placesOf: (id) => placesOf?.(id) ?? Promise.resolve([]),
  });
  const signIn = createSignInService({
    db: database.db,
    clock,
    throttle: createThrottle({ db: database.db, clock }),
    localSignIn: deps.localSignIn,
  });
  const teams = createTeams({ db: database.db, clock });
  const audit = createAudit({ db: database.db, clock, log, retentionDays: deps.auditRetentionDays ?? 365 });
  const insights = createInsights({ db: database.db, clock, log });
  registerInsightsMetrics(metrics.registry, insights);
  const oidc = deps.oidc && createOidc({ db: database.db, clock, log, config: deps.oidc, publicUrl, signIn });
  /** SEV-5: the urgency of a page for an incident of this severity, now. */
  const urgencyOf = (severity: string) => urgencyFor(policy.current(), severity, clock.now());
  // Paging and the process are created after incidents; they are reached through these references.
  let pagingRef: PagingService | undefined;
  let processRef: Process | undefined;
  let reviewsRef: Reviews | undefined;
  let supportRef: Support | undefined;
  // Tracker issues follow every incident change; they read incidents through the service below.
  const asIncidentDb = (tx: TrackerDb) => tx as unknown as IncidentDb;
  const trackers = createTrackers({
    db: database.db as unknown as TrackerDb,
    clock,
    jobs,
    log,
    policy,
    publicUrl,
    clients: trackerClients(outbound.fetch(), deps.trackers ?? defaultTrackerSettings),
    incidents: {
      get: (tx, id) => incidents.rulesPort.get(asIncidentDb(tx), id),
      task: (tx, id) => incidents.rulesPort.task(asIncidentDb(tx), id),
      record: async (tx, id, e, at) => {
        await incidents.rulesPort.record(asIncidentDb(tx), id, [e], at);
        await slackRef?.rooms.recorded(tx, id, [e]); // the Slack header links the new issue
      },
    },
  });
  trackers.register();
  const incidents = createIncidentService({
    db: incidentDb,
    clock,
    policy,
    metrics,
    pager: {
      async pageRole(tx, input) {
        if (!pagingRef) return "no-policy";
        const r = await pagingRef.pageForIncident(tx as unknown as PagingDb, {
          ...input,
          actor: null,
          once: true,
        });
        return r.outcome;
      },
      urgencyFor: urgencyOf,
      async acknowledgeAll(tx, incidentId, actor) {
        await pagingRef?.acknowledgeIncident(actor, incidentId, tx as unknown as PagingDb);
      },
      async resolveAll(tx, incidentId, actor) {
        await pagingRef?.resolveIncident(actor, incidentId, tx as unknown as PagingDb);
      },
    },
    process: {
      incidentChanged: async (tx, change) => {
        await processRef?.incidentChanged(tx as unknown as Tx, change);
        await slackRef?.rooms.incidentChanged(tx, change);
      },
      reactsTo: (kind) => processRef?.reactsTo(kind) ?? false,
    },
    followers: [
      {
        incidentChanged: (tx, i) => trackers.incidentChanged(tx as unknown as TrackerDb, i),
        taskChanged: (tx, t, i) => trackers.taskChanged(tx as unknown as TrackerDb, t, i),
      },
      // LC-6, REV-1: a review is created in the change's transaction when it becomes required.
      { incidentChanged: async (tx, i) => reviewsRef?.incidentChanged(tx, i), taskChanged: async () => {} },
      // PAGE-8: a resolution path found or lost, the incident resolved, reach its support clock.
      { incidentChanged: async (tx, i) => supportRef?.incidentChanged(tx, i), taskChanged: async () => {} },
    ],
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
  // Late-bound: the failing-channel alerts go through the alert service, created after paging.
  let channelHealth: ChannelHealth | undefined;
  const paging = createPagingService({
    db: pagingDb,
    clock,
    jobs,
    log,
    publicUrl,
    send: (n) => channels.send(n),
    outbound,
    onCall: (tx, scheduleId, at) => oncall.onCall(tx as unknown as OncallDb, scheduleId, at),
    scheduleExists: (tx, id) => oncall.scheduleExists(tx as unknown as OncallDb, id),
    incidentTimeline: (tx, incidentId, e, actorId, at) =>
      incidents.recordEvent(
        tx as unknown as IncidentDb,
        incidentId,
        [e].flat().map((x) => ({ ...x, kind: x.kind as `page-${string}` })),
        actorId,
        at,
      ),
    visibleIncidents: (actor, ids) => incidents.visibleIds(actor, ids),
    incidentParticipants: (tx, incidentId, userIds, at) =>
      incidents.addParticipants(tx as unknown as IncidentDb, incidentId, userIds, at),
    onDelivery: (channel, status) => metrics.deliveries.labels(channel, status).inc(),
    afterDelivery: async (cm, delivered, error) => channelHealth?.afterDelivery(cm, delivered, error),
    lockIncident: (tx, id) => incidents.lock(tx as unknown as IncidentDb, id),
    engaged: async (tx, page, userId) => {
      if (page.incidentId === null || !page.engage) return false;
      return incidents.engageFromPage(
        tx as unknown as IncidentDb,
        { id: page.id, incidentId: page.incidentId, engage: page.engage },
        userId,
      );
    },
  });
  pagingRef = paging;
  const testPages = createTestPages({ db: pagingDb, clock, jobs });
  const notices = createNotices({
    db: pagingDb,
    clock,
    jobs,
    log,
    send: (n) => channels.send(n),
    incidentTimeline: (tx, incidentId, e, actorId, at) =>
      incidents.recordEvent(
        tx as unknown as IncidentDb,
        incidentId,
        [e].flat().map((x) => ({ ...x, kind: x.kind as `notice-${string}` })),
        actorId,
        at,
      ),
  });
  notices.register();
  const reviews = createReviews({
    database,
    clock,
    policy,
    jobs,
    notices: { send: (tx, input) => notices.send(tx as unknown as PagingDb, input) },
    incidents,
    publicUrl,
  });
  reviews.register();
  reviewsRef = reviews;
  // COMM-6: affected customers and mass updates; the rules react in the same transaction.
  const customers = createCustomers({
    db: database.db,
    clock,
    jobs,
    log,
    policy,
    send: (n) => channels.send(n),
    changed: async (tx, id, events, actorId) => {
      const i = await incidents.rulesPort.lock(tx as unknown as IncidentDb, id);
      if (i)
        await processRef?.incidentChanged(tx as unknown as Tx, { incident: i, events, run: newRun(actorId) });
    },
  });
  customers.register();
  // COMM-5: the executive notice and summary, filled from an incident and sent to their audiences.
  const briefings = createBriefings({
    db: database.db,
    clock,
    policy,
    publicUrl,
    templateValues: (tx, id) => incidents.rulesPort.templateValues(tx as unknown as IncidentDb, id),
    notify: (tx, input) => notices.send(tx as unknown as PagingDb, input),
    onCallIn: (tx, rotation, at) => oncall.onCallIn(tx as unknown as OncallDb, rotation, at),
  });
  const alerts = createAlertService({
    db: database.db as unknown as AlertDb,
    clock,
    policy,
    jobs,
    incidents,
    paging,
    urgencyFor: urgencyOf,
    intake: deps.intake,
    log,
  });
  const selfMonitor = createSelfMonitor({ db: database.db as unknown as AlertDb, alerts });
  channelHealth = createChannelHealth({
    db: pagingDb,
    log,
    raise: selfMonitor.raise,
    clear: selfMonitor.clear,
    isOpen: selfMonitor.isOpen,
  });
  const selfTest = createSelfTest({
    db: pagingDb,
    clock,
    jobs,
    log,
    config: () => policy.current().selfTest,
    onCallIn: (tx, rotation, at) => oncall.onCallIn(tx as unknown as OncallDb, rotation, at),
    testPages,
    raise: selfMonitor.raise,
  });
  selfTest.register();
  await selfTest.arm();
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
    outbound,
    allowedHosts,
    onDelivery: (channel, status) => metrics.deliveries.labels(channel, status).inc(),
  });
  const statusPages = createStatusService({
    db: database.db as unknown as StatusDb,
    clock,
    publicUrl,
    incidents,
    policy,
    published: (tx, e) => statusSubscribers.published(tx, e),
    changed: (pageId) => statusListener.changed(pageId),
    maintenanceChanged: async (tx, m) => processRef?.maintenanceChanged(tx as unknown as Tx, m),
  });
  // STAT-4: PROMETHEUS_URL is the operator's own setting, so its host is allowed for these queries only.
  const prometheusUrl = deps.serviceLevels?.prometheusUrl;
  const serviceLevels = createServiceLevels({
    db: database.db as unknown as SloDb,
    clock,
    jobs,
    log,
    policy,
    prometheus: prometheusUrl
      ? createPrometheus({
          url: prometheusUrl,
          fetch: createOutbound({
            allowedHosts: [...allowedHosts, new URL(prometheusUrl).hostname.replace(/^\[|\]$/g, "")],
            resolve: deps.resolve,
          }).fetch(),
        })
      : undefined,
    settings: deps.serviceLevels?.settings,
    incidents,
    pageRole: async (tx, input) =>
      (
        await paging.pageForIncident(tx as unknown as PagingDb, {
          policyName: input.policyName,
          title: input.title,
          urgency: urgencyOf(input.severity),
          incidentId: input.incidentId,
          actor: null,
          engage: { role: input.role },
          once: true,
          rule: input.rule,
        })
      ).outcome,
  });
  serviceLevels.register();
  await serviceLevels.start();
  // The process: the policy's rules and clocks, acting through the other capabilities' services.
  const asTx = <T>(tx: Tx) => tx as unknown as T;
  const process = createProcess({
    db: database.db as unknown as Tx,
    clock,
    jobs,
    log,
    policy,
    publicUrl,
    incidents: {
      ...incidents.rulesPort,
      lock: (tx, id) => incidents.rulesPort.lock(asTx(tx), id),
      get: (tx, id) => incidents.rulesPort.get(asTx(tx), id),
      record: async (tx, id, drafts, at) => {
        await incidents.rulesPort.record(asTx(tx), id, drafts, at);
        // COMM-1 reminders and PAGE-5 asks are said in Slack too.
        await slackRef?.rooms.recorded(tx, id, drafts);
      },
      engage: (tx, id, role, userId, reason, run) =>
        incidents.rulesPort.engage(asTx(tx), id, role, userId, reason, run),
      ownByRule: (tx, id, role, rule, run) => incidents.rulesPort.ownByRule(asTx(tx), id, role, rule, run),
      label: (tx, id, label, rule, run) => incidents.rulesPort.label(asTx(tx), id, label, rule, run),
      raise: (tx, id, severity, reason, rule, run) =>
        incidents.rulesPort.raise(asTx(tx), id, severity, reason, rule, run),
      merge: (tx, dup, primary, reason, run) =>
        incidents.rulesPort.merge(asTx(tx), dup, primary, reason, run),
      addTask: (tx, id, task) => incidents.rulesPort.addTask(asTx(tx), id, task),
      isAutomation: (tx, userId) => incidents.rulesPort.isAutomation(asTx(tx), userId),
      templateValues: (tx, id) => incidents.rulesPort.templateValues(asTx(tx), id),
      userName: (tx, userId) => incidents.rulesPort.userName(asTx(tx), userId),
      countOpen: (tx, severities, upTo) => incidents.rulesPort.countOpen(asTx(tx), severities, upTo),
      busyInRole: (tx, role, userIds, exceptId) =>
        incidents.rulesPort.busyInRole(asTx(tx), role, userIds, exceptId),
      timeline: (tx, id) => incidents.rulesPort.timeline(asTx(tx), id),
      lifetimes: (tx, id, from, to) => incidents.rulesPort.lifetimes(asTx(tx), id, from, to),
    },
    paging: {
      async pageRole(tx, input) {
        const r = await paging.pageForIncident(asTx(tx), { ...input, actor: null, once: input.once ?? true });
        return r.outcome;
      },
    },
    oncall: {
      onCallIn: (tx, rotation, at) => oncall.onCallIn(asTx(tx), rotation, at),
      membersOf: (tx, rotation) => oncall.membersOf(asTx(tx), rotation),
      shiftEndOf: (tx, rotation, userId, at) => oncall.shiftEndOf(asTx(tx), rotation, userId, at),
    },
    notices: { send: (tx, input) => notices.send(asTx(tx), input) },
    maintenance: { lock: (tx, id) => statusPages.maintenanceSubject(asTx(tx), id) },
    causes: { sameCauseSince: (tx, id, since) => alerts.sameCauseSince(asTx(tx), id, since) },
    customers: { facts: (tx, id) => customers.facts(tx, id) },
  });
  process.register();
  // Customer support operations (issue 20): systems, criticality and PAGE-8's escalation clocks.
  const support = createSupport({
    database,
    clock,
    jobs,
    log,
    policy,
    publicUrl,
    incidents,
    paging: {
      async pageForIncident(tx, input) {
        const r = await paging.pageForIncident(tx as unknown as PagingDb, {
          ...input,
          urgency: "high",
          actor: null,
          once: true,
        });
        return r.outcome;
      },
    },
    oncall: {
      onCallIn: (tx, rotation, at) => oncall.onCallIn(tx as unknown as OncallDb, rotation, at),
      membersOf: (tx, rotation) => oncall.membersOf(tx as unknown as OncallDb, rotation),
    },
    notices: { send: (tx, input) => notices.send(tx as unknown as PagingDb, input) },
    reviews,
    slack: slackApi,
  });
  support.register();
  supportRef = support;
  const slack = createSlack({
    db: database.db,
    clock,
    jobs,
    log,
    api: slackApi,
    signingSecret: deps.slack?.signingSecret,
    policy,
    publicUrl,
    incidents,
  });
  slack.register();
  slackRef = slack;
  // People's commands from Slack and Mattermost, run as the Firebreak person behind the account.
  const chat = createChatInbound({
    db: database.db,
    clock,
    log,
    jobs,
    outbound,
    policy,
    publicUrl,
    incidents,
    paging,
    slack: deps.slack,
    slackApi: slackApi ?? null,
    mattermost: deps.mattermost,
    ackWithinMs: deps.chatAckWithinMs,
  });
  // The incident page's own room: the same commands, and messages on the same timeline.
  const room = createRoom({
    incidents,
    commands: chat.commands,
    policy,
    publicUrl,
    notify: (tx, input) => notices.send(tx as unknown as PagingDb, input),
  });
  processRef = process;
  // A changed policy applies without a restart: escalation policies follow the file, and every
  // clock is recomputed under the new rules (by one replica, as a job).
  let following: Promise<void> = Promise.resolve();
  const stopFollowing = policy.onChange((next) => {
    following = following
      .then(() => syncOnCallWithPolicy({ db: database.db, oncall, paging }, next))
      .then(() => process.scheduleReconcile())
      .then(() => selfTest.arm())
      .then(() => log.info({ policy: policy.status() }, "the changed policy is in force"))
      .catch((err) => log.error({ err }, "applying the changed policy failed"));
  });
  placesOf = async (userId) => [
    ...(await oncall.schedulesNamingUser(userId)).map((s) => ({
      kind: "schedule" as const,
      id: s.id,
      name: s.name,
    })),
    ...(await paging.policiesNamingUser(userId)).map((p) => ({
      kind: "escalation-policy" as const,
      id: p.id,
      name: p.name,
    })),
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
    onOpened: (req, incident) => audit.streamOpened(req, incident),
    trackerIssues: (ids) => trackers.issuesOf(ids),
  });
  const app: App = await createHttp({
    trustedProxies: deps.trustedProxies,
    log,
    metrics,
    bodyLimit: deps.bodyLimitBytes,
    version,
    ready: () => migrationsComplete(database.pool),
    readyTimeoutMs: deps.operations?.readyzTimeoutMs,
    metricsAccess: {
      token: deps.operations?.metricsToken,
      admins: !deps.operations?.metricsElsewhere,
      actorOf: auth.currentActor,
    },
    // Cached status page bytes are answered before routing (src/statuspage/public.ts).
    fastPath: statusFastPath(statusCache, metrics, deps.statusPageAtRoot),
  });
  await app.register(
    async (api) => {
      api.addHook("onRequest", auth.authenticate);
      api.addHook("onSend", audit.onSend);
      // After validation (the body is parsed): team resources need a role in the owning team.
      api.addHook("preHandler", teams.gate);
      idempotency.attach(api);
      await api.register(userRoutes(users, signIn));
      await api.register(
        sessionRoutes(signIn, users, audit, { secureCookies: publicUrl.startsWith("https:") }),
      );
      await api.register(auditRoutes(audit));
      await api.register(teamRoutes(teams));
      await api.register(policyRoutes(policy, process, incidents, () => following));
      await api.register(clockRoutes(process, incidents, clock));
      await api.register(
        incidentRoutes(incidents, {
          policy,
          clock,
          live,
          incidentsOfService: (id) => alerts.incidentsOfService(id),
          trackerIssues: {
            incidents: (ids) => trackers.issuesOf(ids),
            tasks: (ids) => trackers.issuesOfTasks(ids),
          },
        }),
      );
      await api.register(oncallRoutes(oncall));
      await api.register(pagingRoutes(paging));
      await api.register(contactRoutes(paging));
      await api.register(pushRoutes(pushSubscriptions, vapidKeys));
      await api.register(testPageRoutes(testPages));
      await api.register(preferenceRoutes({ db: database.db, clock }));
      await api.register(
        alertRoutes(alerts, (actor, ids) => incidents.visibleIds(actor, ids), { publicUrl }),
      );
      await api.register(statusAdminRoutes(statusPages));
      await api.register(subscriberAdminRoutes(statusSubscribers));
      await api.register(serviceLevelRoutes(serviceLevels));
      await api.register(chat.apiRoutes);
      await api.register(roomRoutes(room, incidents));
      await api.register(reviewRoutes(reviews));
      await api.register(customerRoutes(customers, briefings));
      await api.register(insightsRoutes(insights));
      await api.register(supportRoutes(support));
      await api.register(
        configRoutes(
          createConfigService({
            db: database.db,
            clock,
            policy,
            jobs,
            statusPageChanged: (id) => statusListener.changed(id),
          }),
        ),
      );
    },
    { prefix: "/api/v1" },
  );
  // Alert intake: the integration key is the credential (senders cannot send bearer tokens).
  await app.register(intakeRoutes(alerts, metrics), { prefix: "/api/v1/integrations" });
  await app.register(eventsV2Routes(alerts, metrics), { prefix: "/v2" });
  // Drop-in vendor APIs at the vendors' own paths (issue 19): only the host changes for senders.
  await app.register(opsgenieRoutes(alerts, metrics, clock), { prefix: "/v2" });
  await app.register(grafanaOnCallRoutes(alerts, metrics), { prefix: "/integrations/v1" });
  await app.register(eventsV1Routes(alerts, metrics));
  await app.register(publicStatusRoutes(statusPages, statusCache, clock, deps.statusPageAtRoot));
  await app.register(subscriberPublicRoutes(statusSubscribers));
  await app.register(oidcRoutes(oidc, signIn, audit, { secureCookies: publicUrl.startsWith("https:") }));
  await app.register(ackLinkRoutes(paging));
  // Slack's signed requests: the Events API (issue 17).
  await app.register(async (scope: App) => slack.events.routes(scope));
  await app.register(chat.integrationRoutes);
  // Twilio's requests: SMS replies, voice TwiML and keypresses, status callbacks (signed).
  await app.register(
    twilioRoutes(createTwilioInbound({ db: pagingDb, clock, paging, publicUrl }), {
      authToken: deps.twilio?.authToken ?? "",
      publicUrl,
    }),
  );
  await app.register(calendarFeedRoutes(oncall));
  // Last: the web app answers the paths no other route claims (`/` stays the status page's when set).
  await app.register(webAppRoutes());
  await statusListener.start();
  const stopAuditSweep = audit.startSweeping();
  const stopInsightsRefresh = insights.startRefreshing(deps.insightsRefreshMs ?? REFRESH_EVERY_MS);
  await incidentChanges.start();
  // Open streams would hold the server open: end them first (browsers reconnect elsewhere).
  app.addHook("preClose", async () => live.closeAll());
  app.addHook("onClose", async () => {
    stopAuditSweep();
    await stopInsightsRefresh();
    stopFollowing();
    await statusListener.stop();
    await incidentChanges.stop();
    await jobs.stop();
    await channels.close();
  });
  await app.ready();
  return {
    app,
    services: {
      audit,
      users,
      incidents,
      oncall,
      paging,
      alerts,
      statusPages,
      statusSubscribers,
      serviceLevels,
      process,
      notices,
      chat: chat.commands,
      reviews,
      customers,
      support,
      insights,
    },
    policy,
    jobs,
    metrics,
  };
}
