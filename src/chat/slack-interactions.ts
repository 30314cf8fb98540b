/**
 * Slack interactions (buttons and modals), each run as the Firebreak person who clicked:
 * - `ack_page` (value: page id) acknowledges the page;
 * - `accept_incident` / `decline_incident` (value: incident id) accept or decline a triage incident;
 * - `post_status_update` (value: incident id) opens the status update form (COMM-1), whose
 *   submission posts the update;
 * - the declare form (`/inc declare` with nothing after it) declares on submission.
 * Button outcomes go to the interaction's response_url, seen only by the clicker. A modal's
 * mistakes come back in Slack's `response_action: "errors"` shape, next to the field. Private
 * incidents stay "not visible" to people who are not in them, as everywhere.
 */
import type { IncidentService } from "../incidents/service.ts";
import type { PagingService } from "../paging/service.ts";
import { type Actor, hasRole } from "../platform/auth.ts";
import { AppError } from "../platform/errors.ts";
import type { Logger } from "../platform/logger.ts";
import type { PolicySource } from "../policy/source.ts";
import { type ChatCommands, escapeText } from "./commands.ts";
import { within } from "./respond.ts";
import type { SlackApi } from "./slack-api.ts";
import {
  DECLARE_VIEW,
  declareInput,
  inputValue,
  metadataOf,
  STATUS_UPDATE_VIEW,
  statusUpdateView,
} from "./slack-views.ts";

export type InteractionDeps = {
  log: Logger;
  policy: PolicySource;
  commands: ChatCommands;
  incidents: IncidentService;
  paging: PagingService;
  slack: SlackApi | null;
  personOf(userId: string, teamId: string | null): Promise<{ actor: Actor } | { why: string }>;
  respond(responseUrl: string, body: Record<string, unknown>): Promise<void>;
};

type Payload = Record<string, unknown>;
const str = (v: unknown) => (typeof v === "string" ? v : "");
const obj = (v: unknown): Payload => (v && typeof v === "object" ? (v as Payload) : {});
/** Buttons and forms change things: viewers read, as in the API. */
const readOnly = (actor: Actor) =>
  `Your role (${actor.role}) lets you read incidents, not change them; ask an admin for the responder role`;
const ephemeral = (text: string) => ({
  response_type: "ephemeral",
  replace_original: false,
  text: escapeText(text),
});

/** A modal's errors: Slack shows each next to its input block. */
const fieldErrors = (errors: Record<string, string>) => ({ response_action: "errors", errors });

function errorsFor(err: unknown, fields: readonly string[], fallback: string) {
  if (!(err instanceof AppError)) throw err;
  const field =
    typeof err.extra.field === "string" && fields.includes(err.extra.field) ? err.extra.field : fallback;
  // Slack shows at most a short line; the field name is already the block's label.
  return fieldErrors({ [field]: err.message.replace(new RegExp(`^${field}: `), "").slice(0, 300) });
}

export function createSlackInteractions(deps: InteractionDeps) {
  async function buttonWork(actor: Actor, actionId: string, value: string): Promise<string | null> {
    const id = Number(value);
    if (!Number.isSafeInteger(id) || id <= 0) return `That button names no page or incident (${value})`;
    if (!hasRole(actor, "responder")) return readOnly(actor);
    try {
      switch (actionId) {
        case "ack_page": {
          const p = await deps.paging.acknowledge(actor, id);
          return `You acknowledged page ${p.id}${p.incidentId ? ` (incident #${p.incidentId})` : ""}`;
        }
        case "accept_incident": {
          const { incident: i } = await deps.incidents.transition(actor, id, { to: "investigating" });
          return `You accepted incident #${i.id} ${i.title}: it is now ${i.state}`;
        }
        case "decline_incident": {
          const { incident: i } = await deps.incidents.transition(actor, id, { to: "declined" });
          return `You declined incident #${i.id} ${i.title}`;
        }
      }
      return null;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return `Could not ${actionId.replace(/_/g, " ")}: ${err.message}`;
    }
  }

  async function blockActions(p: Payload, ackWithin: number): Promise<null> {
    const user = obj(p.user);
    const action = obj((p.actions as unknown[] | undefined)?.[0]);
    const actionId = str(action.action_id);
    const value = str(action.value);
    const responseUrl = str(p.response_url);
    const who = await deps.personOf(str(user.id), str(obj(p.team).id) || str(user.team_id) || null);
    if (!("actor" in who)) {
      await deps.respond(responseUrl, ephemeral(who.why));
      return null;
    }
    if (actionId === "post_status_update") {
      await openStatusUpdate(
        who.actor,
        Number(value),
        str(p.trigger_id),
        str(obj(p.channel).id),
        responseUrl,
      );
      return null;
    }
    const work = buttonWork(who.actor, actionId, value).then(async (text) => {
      if (text) await deps.respond(responseUrl, ephemeral(text));
    });
    // The click is answered within Slack's 3 s either way; the outcome follows to response_url.
    work.catch((err) => deps.log.error({ err, actionId }, "a Slack button's work failed"));
    await within(work, ackWithin);
    return null;
  }

  async function openStatusUpdate(
    actor: Actor,
    id: number,
    triggerId: string,
    channel: string,
    responseUrl: string,
  ) {
    if (!hasRole(actor, "responder")) return deps.respond(responseUrl, ephemeral(readOnly(actor)));
    try {
      // The same visibility check as every command: a private incident stays "not visible".
      await deps.incidents.get(actor, id);
      if (!deps.slack)
        throw new AppError("unavailable", "Slack's Web API is not configured (SLACK_BOT_TOKEN)");
      await deps.slack.call("views.open", { trigger_id: triggerId, view: statusUpdateView(id, channel) });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      await deps.respond(responseUrl, ephemeral(`Could not open the status update form: ${why}`));
    }
  }

  async function viewSubmission(p: Payload) {
    const view = obj(p.view);
    const callbackId = str(view.callback_id);
    const values = obj(obj(view.state).values) as Parameters<typeof inputValue>[0];
    const user = obj(p.user);
    const first = callbackId === DECLARE_VIEW ? "title" : "impact";
    const who = await deps.personOf(str(user.id), str(obj(p.team).id) || str(user.team_id) || null);
    if (!("actor" in who)) return fieldErrors({ [first]: who.why.slice(0, 300) });
    const meta = metadataOf(view);
    if (callbackId === DECLARE_VIEW) {
      const input = declareInput(values);
      if (!input.title) return fieldErrors({ title: "The incident needs a title" });
      try {
        const reply = await deps.commands.declareFromForm(who.actor, input);
        if (meta.channel) await tell(meta.channel, str(user.id), reply.text);
        return null;
      } catch (err) {
        return errorsFor(err, ["title", "type", "severity", "summary"], "title");
      }
    }
    if (!hasRole(who.actor, "responder")) return fieldErrors({ [first]: readOnly(who.actor) });
    if (callbackId === STATUS_UPDATE_VIEW && meta.incidentId) {
      const text = (id: string) => {
        const v = inputValue(values, id);
        return typeof v === "string" ? v.trim() : "";
      };
      const input = { impact: text("impact"), actions: text("actions") };
      if (!input.impact)
        return fieldErrors({ impact: "Say what customers see now (or that they see nothing)" });
      if (!input.actions) return fieldErrors({ actions: "Say what is being done" });
      try {
        await deps.incidents.addStatusUpdate(who.actor, meta.incidentId, input);
        return null;
      } catch (err) {
        return errorsFor(err, ["impact", "actions"], "impact");
      }
    }
    return null;
  }

  /** Tells the person privately in the channel they opened the form from (best effort: it is done). */
  async function tell(channel: string, user: string, text: string) {
    try {
      await deps.slack?.call("chat.postEphemeral", { channel, user, text: escapeText(text) });
    } catch (err) {
      deps.log.warn({ error: String(err) }, "Slack chat.postEphemeral failed after a declaration");
    }
  }

  return {
    /** Answers an interaction: the HTTP body (modal errors), or null for an empty 200. */
    async handle(p: Payload, ackWithin: number): Promise<Record<string, unknown> | null> {
      if (p.type === "block_actions") return blockActions(p, ackWithin);
      if (p.type === "view_submission") return viewSubmission(p);
      return null;
    },
  };
}
