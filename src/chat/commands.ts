/**
 * Chat commands, run as a Firebreak person against the incident and paging services, so every
 * rule, permission and private-incident check of the API applies (DATA-3: a private incident the
 * person cannot see is "does not exist or is not visible to you", its title never shown). Knows
 * nothing of Slack: Slack, Mattermost and the built-in incident room give the person, the text and
 * the incident whose channel or room it was typed in, and show the reply.
 */

import type { Incident } from "../incidents/model.ts";
import type { IncidentService } from "../incidents/service.ts";
import type { IncidentDb } from "../incidents/store.ts";
import type { PagingService } from "../paging/service.ts";
import type { PagingDb } from "../paging/store.ts";
import { type Actor, hasRole } from "../platform/auth.ts";
import { AppError } from "../platform/errors.ts";
import type { PolicySource } from "../policy/source.ts";
import { type ChatCommand, helpText, type PersonRef, parseCommand } from "./model.ts";

/** Slack Block Kit blocks, passed through as JSON (other transports show `text`). */
export type Block = Record<string, unknown>;

export type ChatReply = {
  /** Plain text: people's words as they typed them (each transport escapes for its own markup). */
  text: string;
  /** `ephemeral`: only the sender sees it; `in_channel`: everyone in the channel or room. */
  visibility: "ephemeral" | "in_channel";
  blocks?: Block[];
  /** `declare` with no arguments: transports with forms (Slack's modal) open the declare form. */
  form?: "declare";
};

export type ChatCommandInput = {
  actor: Actor;
  text: string;
  /** The incident whose channel (or room) the command was typed in; null elsewhere. */
  incidentId: number | null;
  /** A chat mention (`<@U123>`) to the Firebreak person linked to it, when the transport has them. */
  personOf?: (chatUserId: string) => Promise<number | null>;
};

/** Slack's mrkdwn: `&`, `<` and `>` are markup, so people's text is escaped before it is shown. */
export function escapeText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const ephemeral = (text: string): ChatReply => ({ text, visibility: "ephemeral" });

export function createChatCommands(deps: {
  db: IncidentDb;
  incidents: IncidentService;
  paging: PagingService;
  policy: PolicySource;
  publicUrl: string;
}) {
  const { incidents, paging } = deps;
  const base = deps.publicUrl.replace(/\/$/, "");
  const urlOf = (id: number) => `${base}/incidents/${id}`;
  const command = () => `/${deps.policy.current().chat?.command ?? "inc"}`;

  const name = (i: Incident) => `#${i.id} ${i.title || "(untitled)"}`;

  async function personOf(input: ChatCommandInput, who: PersonRef): Promise<number | string> {
    if (who.kind === "me") return input.actor.id;
    if (who.kind === "username") return who.name;
    const id = await input.personOf?.(who.id);
    if (id == null)
      throw new AppError(
        "invalid-request",
        `<@${who.id}> has no Firebreak account linked; they can link theirs with ${command()} link, or name them by Firebreak username`,
      );
    return id;
  }

  /** Runs one parsed command that needs an incident; answers what changed. */
  async function onIncident(input: ChatCommandInput, c: ChatCommand, id: number): Promise<ChatReply> {
    const { actor } = input;
    // In the incident's own channel everyone may see the outcome; elsewhere only a public one's.
    const shown = (i: Incident, text: string, blocks?: Block[]): ChatReply => ({
      text,
      visibility: i.visibility === "public" || input.incidentId === i.id ? "in_channel" : "ephemeral",
      ...(blocks ? { blocks } : {}),
    });
    switch (c.kind) {
      case "update": {
        await incidents.addStatusUpdate(actor, id, { impact: c.impact, actions: c.actions });
        const i = await incidents.get(actor, id);
        return shown(
          i,
          `Status update on ${name(i)} by ${actor.username}\nImpact: ${c.impact}\nActions: ${c.actions}`,
        );
      }
      case "severity": {
        const before = await incidents.get(actor, id);
        const { incident: i } = await incidents.changeSeverity(
          actor,
          id,
          c.severity,
          c.reason || `changed in chat by ${actor.username}`,
        );
        return shown(i, `${name(i)} is now ${i.severity} (was ${before.severity})`);
      }
      case "status": {
        const { incident: i } = await incidents.transition(actor, id, {
          to: c.to,
          ...(c.reason ? { reason: c.reason } : {}),
        });
        return shown(i, `${name(i)} is now ${i.state}`);
      }
      case "assign": {
        const who = await personOf(input, c.who);
        const { incident: i } = await incidents.assignRole(actor, id, c.role, who);
        const holder = rolesOf(i)[c.role];
        const u = holder === undefined ? undefined : (await incidents.users([holder])).get(holder);
        return shown(i, `${u ? u.username : "nobody"} is now ${c.role} on ${name(i)}`);
      }
      case "roles": {
        const i = await incidents.get(actor, id);
        const held = rolesOf(i);
        const users = await incidents.users(Object.values(held));
        const lines = deps.policy
          .current()
          .roles.map(
            (r) =>
              `• ${r.name}: ${held[r.name] === undefined ? "—" : (users.get(held[r.name]!)?.username ?? `user ${held[r.name]}`)}`,
          );
        return ephemeral(`Roles on ${name(i)}:\n${lines.join("\n")}`);
      }
      case "page":
        return page(input, id, c.role);
      case "ack": {
        const i = await incidents.get(actor, id);
        const acked = await paging.acknowledgeIncident(actor, id);
        return shown(
          i,
          acked.length
            ? `${actor.username} acknowledged ${acked.length === 1 ? "page" : "pages"} ${acked.map((p) => p.id).join(", ")} on ${name(i)}`
            : `No page on ${name(i)} is waiting for acknowledgement`,
        );
      }
      case "note": {
        await incidents.addNote(actor, id, c.text, false);
        const i = await incidents.get(actor, id);
        return shown(i, `Note added to ${name(i)} by ${actor.username}: ${c.text}`);
      }
      default:
        return ephemeral(helpText(deps.policy.current()));
    }
  }

  function rolesOf(i: Incident): Record<string, number> {
    const owner = deps.policy.current().ownerRole;
    return owner ? { ...i.roles, [owner]: i.ownerId } : i.roles;
  }

  /** Pages the role's escalation policy for the incident; whoever acknowledges takes the role. */
  async function page(input: ChatCommandInput, id: number, role: string): Promise<ChatReply> {
    const policy = deps.policy.current();
    const escalationPolicy = policy.roles.find((r) => r.name === role)?.escalationPolicy;
    if (!escalationPolicy)
      throw new AppError(
        "invalid-request",
        `the ${role} role has no escalationPolicy in the policy file, so nobody can be paged for it; roles that can be paged: ${policy.roles
          .filter((r) => r.escalationPolicy)
          .map((r) => r.name)
          .join(", ")}`,
      );
    return deps.db.transaction().execute(async (tx) => {
      // The same visibility check as every command, under the incident's lock (one lock order).
      const i = await incidents.get(input.actor, id);
      await incidents.lock(tx, id);
      const r = await paging.pageForIncident(tx as unknown as PagingDb, {
        policyName: escalationPolicy,
        title: `${role} needed: ${i.severity} incident #${i.id} ${i.title || "(untitled)"}`,
        urgency: "high",
        incidentId: id,
        actor: input.actor,
        engage: { role },
        once: true,
        rule: "chat",
      });
      const text =
        r.outcome === "paged"
          ? `Paged the ${role} on call (${escalationPolicy}) for ${name(i)}: page ${r.page.id}`
          : r.outcome === "already-paged"
            ? `The ${role} on call is already paged for ${name(i)}: page ${r.page.id}`
            : `Nobody was paged: there is no escalation policy named ${escalationPolicy}`;
      return {
        text,
        visibility: i.visibility === "public" || input.incidentId === i.id ? "in_channel" : "ephemeral",
      } satisfies ChatReply;
    });
  }

  async function declare(input: ChatCommandInput, c: Extract<ChatCommand, { kind: "declare" }>) {
    const i = await incidents.declare(input.actor, {
      title: c.title,
      type: c.type,
      severity: c.severity,
      status: "active",
      ...(c.visibility ? { visibility: c.visibility } : {}),
    });
    return declared(i);
  }

  /** The answer to a declaration: what was declared, with a link (shown only to the declarer when private). */
  function declared(i: Incident): ChatReply {
    const what = (esc: (s: string) => string) =>
      `${esc(i.title)}: ${i.severity} ${esc(i.type)} incident #${i.id} declared${i.visibility === "private" ? " (private)" : ""}`;
    return {
      text: `${what((s) => s)} — ${urlOf(i.id)}`,
      visibility: i.visibility === "public" ? "in_channel" : "ephemeral",
      blocks: [
        {
          type: "section",
          text: { type: "mrkdwn", text: `*<${urlOf(i.id)}|#${i.id}>* ${what(escapeText)}` },
        },
      ],
    };
  }

  /** What went wrong, in words the sender can act on; a private incident stays "not visible". */
  function refusal(c: ChatCommand, err: unknown): ChatReply {
    if (!(err instanceof AppError)) throw err;
    return ephemeral(`Could not ${c.kind === "status" ? `set status ${c.to}` : c.kind}: ${err.message}`);
  }

  return {
    /** Parses and runs a command as `input.actor`; answers with what happened or what was wrong. */
    async run(input: ChatCommandInput): Promise<ChatReply> {
      const policy = deps.policy.current();
      const parsed = parseCommand(input.text, policy);
      if (!parsed.ok) return ephemeral(parsed.error);
      const c = parsed.command;
      if (c.kind === "help")
        return ephemeral(`${c.unknown ? `Unknown command "${c.unknown}".\n` : ""}${helpText(policy)}`);
      if (c.kind === "declare-form")
        return {
          ...ephemeral(
            `Declare with ${command()} declare [${policy.severities.map((s) => s.id).join(", ")}] [type] [private] <title>`,
          ),
          form: "declare",
        };
      if (c.kind === "link")
        return ephemeral(`This chat account is already linked to ${input.actor.username}`);
      const id = parsed.incidentId ?? input.incidentId;
      if (id === null && c.kind !== "declare")
        return ephemeral(
          `This is not an incident's channel; name the incident: ${command()} #123 ${input.text.trim()}`,
        );
      if (c.kind !== "roles" && !hasRole(input.actor, "responder"))
        return ephemeral(
          `Your role (${input.actor.role}) lets you read incidents, not change them; ask an admin for the responder role`,
        );
      try {
        if (c.kind === "declare") return await declare(input, c);
        return await onIncident(input, c, id as number);
      } catch (err) {
        return refusal(c, err);
      }
    },

    /** Declares from a form (Slack's modal): the same command, fields given one by one. */
    async declareFromForm(
      actor: Actor,
      form: { title: string; type: string; severity: string; summary?: string; private: boolean },
    ): Promise<ChatReply> {
      if (!hasRole(actor, "responder"))
        throw new AppError("forbidden", `your role (${actor.role}) cannot declare incidents`);
      const i = await incidents.declare(actor, {
        title: form.title,
        type: form.type,
        severity: form.severity,
        status: "active",
        ...(form.summary ? { summary: form.summary } : {}),
        ...(form.private ? { visibility: "private" as const } : {}),
      });
      return declared(i);
    },
  };
}

export type ChatCommands = ReturnType<typeof createChatCommands>;
