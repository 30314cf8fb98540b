/**
 * Slack's requests to Firebreak for people's commands (not under /api/v1: Slack signs, it sends no
 * bearer token):
 * - POST /integrations/slack/commands — `/inc …` (form-encoded, as Slack sends slash commands);
 * - POST /integrations/slack/interactions — buttons and modals (`payload=` JSON in a form).
 * Every request must carry Slack's v0 signature made within 5 minutes (slack-signature.ts);
 * anything else is answered 401 (problem+json) and nothing is done. The sender is the Firebreak
 * person their Slack account is linked to (identities.ts); commands run as them (commands.ts).
 */
import { z } from "zod";
import type { Clock } from "../platform/clock.ts";
import { AppError } from "../platform/errors.ts";
import type { App } from "../platform/http.ts";
import type { Logger } from "../platform/logger.ts";
import type { PolicySource } from "../policy/source.ts";
import { type ChatCommands, type ChatReply, escapeText } from "./commands.ts";
import type { Identities, IdentityDb } from "./identities.ts";
import { parseCommand } from "./model.ts";
import { ACK_WITHIN_MS, isResponseUrl, type Responder, within } from "./respond.ts";
import type { SlackApi } from "./slack-api.ts";
import { createSlackInteractions, type InteractionDeps } from "./slack-interactions.ts";
import { verifySlackSignature } from "./slack-signature.ts";
import { declareView } from "./slack-views.ts";
import { roomByChannel } from "./store.ts";

export type SlackInboundDeps = Omit<InteractionDeps, "personOf" | "respond"> & {
  db: IdentityDb;
  clock: Clock;
  log: Logger;
  policy: PolicySource;
  commands: ChatCommands;
  identities: Identities;
  responder: Responder;
  /** The Web API (users.info, views.open); null without SLACK_BOT_TOKEN. */
  slack: SlackApi | null;
  signingSecret: string | undefined;
  /** SLACK_API_URL: its host may be a response_url too (a test server; hooks.slack.com otherwise). */
  apiUrl: string;
  publicUrl: string;
  /** How long a command may run before it is answered "working on it" (tests make it short). */
  ackWithinMs?: number;
};

/** Slack's body for a reply: its text escaped for mrkdwn, blocks as they are. */
export function slackBody(r: ChatReply): Record<string, unknown> {
  return {
    response_type: r.visibility,
    text: escapeText(r.text),
    ...(r.blocks ? { blocks: r.blocks } : {}),
  };
}

declare module "fastify" {
  interface FastifyRequest {
    rawBody?: string;
  }
}

const commandForm = z
  .object({
    team_id: z.string().max(64).default(""),
    channel_id: z.string().max(64).default(""),
    user_id: z.string().min(1).max(64),
    text: z.string().max(4000).default(""),
    response_url: z.string().max(1000).default(""),
    trigger_id: z.string().max(200).default(""),
  })
  .passthrough();

export function slackInboundRoutes(deps: SlackInboundDeps) {
  const ackWithin = deps.ackWithinMs ?? ACK_WITHIN_MS;
  const responseHosts = ["hooks.slack.com", new URL(deps.apiUrl).host.toLowerCase()];
  const command = () => `/${deps.policy.current().chat?.command ?? "inc"}`;
  const ephemeral = (text: string) => ({ response_type: "ephemeral", text: escapeText(text) });

  /** The Firebreak person behind a Slack account: linked, or matched by email now (and kept). */
  async function personOf(
    userId: string,
    teamId: string | null,
  ): Promise<{ actor: NonNullable<Awaited<ReturnType<Identities["linked"]>>> } | { why: string }> {
    const linked = await deps.identities.linked({ provider: "slack", externalId: userId });
    if (linked) return { actor: linked };
    if (!deps.slack) return { why: "Firebreak cannot look up Slack emails without SLACK_BOT_TOKEN" };
    let email = "";
    try {
      const info = await deps.slack.call("users.info", { user: userId });
      const profile = (info.user as { profile?: { email?: string } } | undefined)?.profile;
      email = profile?.email ?? "";
    } catch (err) {
      deps.log.warn({ error: String(err) }, "Slack users.info failed while mapping a Slack user");
      return { why: "Slack did not tell Firebreak your email just now" };
    }
    if (!email) return { why: "Slack shows Firebreak no email for your account" };
    const actor = await deps.identities.byEmail(email);
    if (!actor) return { why: `no Firebreak person has the email ${email}` };
    await deps.identities.rememberEmailMatch(actor.id, { provider: "slack", externalId: userId, teamId });
    return { actor };
  }

  const howToLink = (why: string) =>
    `Your Slack account is not linked to a Firebreak person (${why}). To link it, open your profile in Firebreak (${deps.publicUrl.replace(/\/$/, "")}/profile), choose "Link a chat account", and type the command it shows here: ${command()} link CODE`;

  async function incidentOfChannel(channelId: string): Promise<number | null> {
    if (!channelId) return null;
    const room = await roomByChannel(deps.db, channelId);
    return room ? Number(room.incident_id) : null;
  }

  /** Posts `reply` to response_url later, when it is Slack's (or the configured API's) host. */
  async function respond(responseUrl: string, body: Record<string, unknown>): Promise<void> {
    if (!isResponseUrl(responseUrl, responseHosts)) {
      deps.log.warn(
        { host: URL.canParse(responseUrl) ? new URL(responseUrl).host : "" },
        "a Slack response_url on an unexpected host was not used",
      );
      return;
    }
    await deps.responder.later(responseUrl, body);
  }

  const interactions = createSlackInteractions({
    ...deps,
    personOf: async (userId, teamId) => {
      const p = await personOf(userId, teamId);
      return "actor" in p ? p : { why: howToLink(p.why) };
    },
    respond,
  });

  return async (app: App) => {
    // Slack posts forms; the raw body is kept for the signature (it is over the bytes as sent).
    app.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string" },
      (req, body, done) => {
        req.rawBody = String(body);
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      },
    );
    app.addHook("preValidation", async (req) => {
      const check = verifySlackSignature({
        secret: deps.signingSecret,
        timestamp: req.headers["x-slack-request-timestamp"],
        signature: req.headers["x-slack-signature"],
        rawBody: req.rawBody ?? "",
        now: deps.clock.now(),
      });
      if (!check.ok) throw new AppError("unauthenticated", check.reason);
    });
    const schema = { tags: ["integrations"], security: [], hide: true };

    app.post("/integrations/slack/commands", { schema: { ...schema, body: commandForm } }, async (req) => {
      const f = req.body;
      const teamId = f.team_id || null;
      const parsed = parseCommand(f.text, deps.policy.current());
      if (parsed.ok && parsed.command.kind === "link") {
        const actor = await deps.identities.redeem(
          { provider: "slack", externalId: f.user_id, teamId },
          parsed.command.code,
        );
        return ephemeral(
          actor
            ? `Your Slack account is now linked to ${actor.username} in Firebreak; your commands run as them`
            : `That code is unknown, used or expired; get a new one on your Firebreak profile ("Link a chat account"), it works for 10 minutes`,
        );
      }
      const who = await personOf(f.user_id, teamId);
      if (!("actor" in who)) return ephemeral(howToLink(who.why));
      const work = (async () =>
        deps.commands.run({
          actor: who.actor,
          text: f.text,
          incidentId: await incidentOfChannel(f.channel_id),
          personOf: async (slackId) => {
            const p = await personOf(slackId, teamId);
            return "actor" in p ? p.actor.id : null;
          },
        }))();
      let r: Awaited<ReturnType<typeof within<ChatReply>>>;
      try {
        r = await within(work, ackWithin);
      } catch (err) {
        // Not a refusal (those are replies): something broke. Slack shows the sender why, briefly.
        req.log.error({ err }, "a Slack command failed");
        return ephemeral(`${command()} ${f.text}: failed on Firebreak's side; try again, or use the web app`);
      }
      if (r.done) {
        if (r.value.form === "declare" && deps.slack && f.trigger_id) {
          try {
            await deps.slack.call("views.open", {
              trigger_id: f.trigger_id,
              view: declareView(deps.policy.current(), f.channel_id),
            });
            return "";
          } catch (err) {
            deps.log.warn({ error: String(err) }, "Slack views.open failed for the declare form");
          }
        }
        return slackBody(r.value);
      }
      // Long work: answered now, its reply follows to response_url (durably).
      work
        .then((reply) => respond(f.response_url, { ...slackBody(reply), replace_original: false }))
        .catch(async (err) => {
          deps.log.error({ err }, "a Slack command failed after it was acknowledged");
          await respond(
            f.response_url,
            ephemeral(`${command()} ${f.text}: failed (${String(err)}); try again`),
          );
        })
        .catch((err) => deps.log.error({ err }, "a Slack command's reply could not be queued"));
      return ephemeral(`Working on it: ${command()} ${f.text}`);
    });

    app.post(
      "/integrations/slack/interactions",
      { schema: { ...schema, body: z.object({ payload: z.string().max(200_000) }).passthrough() } },
      async (req, reply) => {
        let payload: unknown;
        try {
          payload = JSON.parse(req.body.payload);
        } catch {
          throw new AppError(
            "invalid-request",
            "payload: expected the JSON Slack sends in the payload field",
          );
        }
        const answer = await interactions.handle(payload as Record<string, unknown>, ackWithin);
        if (answer === null) return reply.code(200).send();
        return answer;
      },
    );
  };
}
