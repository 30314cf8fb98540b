/**
 * People's commands from chat, wired in one place: the transport-independent commands (also for
 * the built-in incident room), linked chat accounts, replies that follow later, and the HTTP
 * endpoints Slack and Mattermost call.
 */
import type { IncidentService } from "../incidents/service.ts";
import type { IncidentDb } from "../incidents/store.ts";
import type { PagingService } from "../paging/service.ts";
import type { Clock } from "../platform/clock.ts";
import type { App } from "../platform/http.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import type { Outbound } from "../platform/outbound.ts";
import type { PolicySource } from "../policy/source.ts";
import { createChatCommands } from "./commands.ts";
import { createIdentities, type IdentityDb } from "./identities.ts";
import { chatIdentityRoutes } from "./identity-routes.ts";
import { type MattermostSettings, mattermostRoutes } from "./mattermost.ts";
import { createResponder } from "./respond.ts";
import { createSlackApi, type SlackApi } from "./slack-api.ts";
import { slackInboundRoutes } from "./slack-inbound.ts";

export type ChatInboundSettings = {
  slack?: { botToken?: string; signingSecret?: string; apiUrl: string };
  mattermost?: MattermostSettings;
  /** How long a Slack command may run before it is answered "working on it" (default 250 ms). */
  ackWithinMs?: number;
};

export function createChatInbound(
  deps: ChatInboundSettings & {
    db: IdentityDb;
    clock: Clock;
    log: Logger;
    jobs: Jobs;
    outbound: Outbound;
    policy: PolicySource;
    publicUrl: string;
    incidents: IncidentService;
    paging: PagingService;
    /** The Slack Web API client when the app already has one (else made here from the settings). */
    slackApi?: SlackApi | null;
  },
) {
  const identities = createIdentities({ db: deps.db, clock: deps.clock });
  const responder = createResponder({ db: deps.db, jobs: deps.jobs, outbound: deps.outbound, log: deps.log });
  responder.register();
  const commands = createChatCommands({
    db: deps.db as unknown as IncidentDb,
    incidents: deps.incidents,
    paging: deps.paging,
    policy: deps.policy,
    publicUrl: deps.publicUrl,
  });
  const slackSettings = deps.slack ?? { apiUrl: "https://slack.com/api/" };
  const slack =
    deps.slackApi ??
    (slackSettings.botToken
      ? createSlackApi(
          { botToken: slackSettings.botToken, apiUrl: slackSettings.apiUrl },
          deps.outbound,
          deps.log,
        )
      : null);
  return {
    commands,
    identities,
    /** Under /api/v1 (authenticated): linking chat accounts. */
    apiRoutes: chatIdentityRoutes(identities, deps.policy),
    /** Outside /api/v1: Slack's and Mattermost's signed or token-carrying requests. */
    integrationRoutes: async (app: App) => {
      await app.register(
        slackInboundRoutes({
          db: deps.db,
          clock: deps.clock,
          log: deps.log,
          policy: deps.policy,
          commands,
          identities,
          responder,
          slack,
          incidents: deps.incidents,
          paging: deps.paging,
          signingSecret: slackSettings.signingSecret,
          apiUrl: slackSettings.apiUrl,
          publicUrl: deps.publicUrl,
          ackWithinMs: deps.ackWithinMs,
        }),
      );
      await app.register(
        mattermostRoutes({
          settings: deps.mattermost ?? { commandToken: undefined, url: undefined, token: undefined },
          commands,
          identities,
          policy: deps.policy,
          fetch: deps.outbound.fetch(),
          log: deps.log,
          publicUrl: deps.publicUrl,
        }),
      );
    },
  };
}
