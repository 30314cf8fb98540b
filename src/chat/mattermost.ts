/**
 * Mattermost's custom slash command (Slack-compatible): POST /integrations/mattermost/commands,
 * form-encoded with token, team_id, channel_id, channel_name, user_id, user_name, command, text,
 * response_url and trigger_id. Verified by the command's token (MATTERMOST_COMMAND_TOKEN), sent
 * both as the `token` field and as `Authorization: Token …`; anything else is 401 and nothing is
 * done. The answer is `{ response_type: "ephemeral" | "in_channel", text }` in Mattermost's
 * Markdown. Differences from Slack handled here: mentions are plain `@username` (Firebreak
 * usernames), there are no modals (`declare` alone shows its usage), no per-incident channel
 * table (the incident is read from the channel's name by the policy's template), and Mattermost
 * waits longer than Slack's 3 s for an answer, so the reply is always the HTTP answer.
 * The sender is the linked person, or the one whose email the Mattermost API gives
 * (MATTERMOST_URL + MATTERMOST_TOKEN). Mattermost usernames are not trusted on their own: people
 * may rename themselves there.
 */
import { z } from "zod";
import { type Actor, sameSecret } from "../platform/auth.ts";
import { AppError } from "../platform/errors.ts";
import type { App } from "../platform/http.ts";
import type { Logger } from "../platform/logger.ts";
import type { GuardedFetch } from "../platform/outbound.ts";
import type { PolicySource } from "../policy/source.ts";
import type { ChatCommands, ChatReply } from "./commands.ts";
import type { Identities } from "./identities.ts";
import { incidentOfChannelName, parseCommand } from "./model.ts";

export type MattermostSettings = {
  /** MATTERMOST_COMMAND_TOKEN: the slash command's token. */
  commandToken: string | undefined;
  /** MATTERMOST_URL: the server, for its API (users' emails). */
  url: string | undefined;
  /** MATTERMOST_TOKEN: a bot or personal access token that may read users. */
  token: string | undefined;
};

/** Mattermost's Markdown: words people typed must not notify everyone (`@channel`, `@all`, `@here`). */
export function mattermostText(text: string): string {
  return text.replace(/@(channel|all|here)\b/gi, "@\u200b$1");
}

const form = z
  .object({
    token: z.string().max(200).default(""),
    team_id: z.string().max(64).default(""),
    channel_id: z.string().max(64).default(""),
    channel_name: z.string().max(100).default(""),
    user_id: z.string().min(1).max(64),
    user_name: z.string().max(100).default(""),
    text: z.string().max(4000).default(""),
  })
  .passthrough();

export function mattermostRoutes(deps: {
  settings: MattermostSettings;
  commands: ChatCommands;
  identities: Identities;
  policy: PolicySource;
  fetch: GuardedFetch;
  log: Logger;
  publicUrl: string;
}) {
  const { settings } = deps;
  const command = () => `/${deps.policy.current().chat?.command ?? "inc"}`;
  const answer = (r: Pick<ChatReply, "text" | "visibility">) => ({
    response_type: r.visibility,
    text: mattermostText(r.text),
  });
  const ephemeral = (text: string) => answer({ text, visibility: "ephemeral" });

  /** The email Mattermost has for its user, or null (no API configured, or it failed). */
  async function emailOf(userId: string): Promise<string | null> {
    if (!settings.url || !settings.token || !/^[a-z0-9]{1,64}$/i.test(userId)) return null;
    try {
      const res = await deps.fetch(`${settings.url.replace(/\/$/, "")}/api/v4/users/${userId}`, {
        headers: { authorization: `Bearer ${settings.token}`, accept: "application/json" },
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) {
        deps.log.warn({ status: res.status }, "Mattermost GET /api/v4/users/{id} failed");
        return null;
      }
      const u = (await res.json()) as { email?: unknown };
      return typeof u.email === "string" && u.email ? u.email : null;
    } catch (err) {
      deps.log.warn({ error: String(err) }, "Mattermost GET /api/v4/users/{id} failed");
      return null;
    }
  }

  async function personOf(userId: string, teamId: string | null): Promise<Actor | string> {
    const account = { provider: "mattermost" as const, externalId: userId, teamId };
    const linked = await deps.identities.linked(account);
    if (linked) return linked;
    const email = await emailOf(userId);
    const actor = email ? await deps.identities.byEmail(email) : null;
    if (actor) {
      await deps.identities.rememberEmailMatch(actor.id, account);
      return actor;
    }
    return email
      ? `no Firebreak person has the email ${email}`
      : settings.url && settings.token
        ? "Mattermost did not give Firebreak your email"
        : "Firebreak cannot read Mattermost emails without MATTERMOST_URL and MATTERMOST_TOKEN";
  }

  return async (app: App) => {
    app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    app.addHook("preValidation", async (req) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const header = /^Token\s+(\S+)$/i.exec(String(req.headers.authorization ?? ""))?.[1];
      const given = typeof body.token === "string" && body.token ? body.token : (header ?? "");
      if (!settings.commandToken)
        throw new AppError(
          "unauthenticated",
          "MATTERMOST_COMMAND_TOKEN is not set: Mattermost's commands cannot be verified",
        );
      if (!given || !sameSecret(given, settings.commandToken))
        throw new AppError("unauthenticated", "the slash command's token is missing or is not this server's");
    });

    app.post(
      "/integrations/mattermost/commands",
      { schema: { tags: ["integrations"], security: [], hide: true, body: form } },
      async (req, reply) => {
        reply.type("application/json");
        const f = req.body;
        const teamId = f.team_id || null;
        const parsed = parseCommand(f.text, deps.policy.current());
        if (parsed.ok && parsed.command.kind === "link") {
          const actor = await deps.identities.redeem(
            { provider: "mattermost", externalId: f.user_id, teamId },
            parsed.command.code,
          );
          return ephemeral(
            actor
              ? `Your Mattermost account is now linked to ${actor.username} in Firebreak; your commands run as them`
              : `That code is unknown, used or expired; get a new one on your Firebreak profile ("Link a chat account"), it works for 10 minutes`,
          );
        }
        const who = await personOf(f.user_id, teamId);
        if (typeof who === "string")
          return ephemeral(
            `Your Mattermost account is not linked to a Firebreak person (${who}). To link it, open your profile in Firebreak (${deps.publicUrl.replace(/\/$/, "")}/profile), choose "Link a chat account", and type the command it shows here: ${command()} link CODE`,
          );
        const r = await deps.commands.run({
          actor: who,
          text: f.text,
          incidentId: incidentOfChannelName(deps.policy.current().chat?.channelName ?? "", f.channel_name),
        });
        return answer(r);
      },
    );
  };
}
