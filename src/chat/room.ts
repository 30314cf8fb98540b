/**
 * The built-in incident room, for teams without Slack or Mattermost: people type on the incident
 * page, and each line is either a chat command (`/inc severity S1`, run exactly as from Slack) or a
 * message (a `chat-message` on the timeline, as Slack's messages are, so the timeline is the same
 * either way). Messages reach every open incident page through the incident stream; an `@username`
 * mention sends that person a notice through their contact methods.
 */

import type { IncidentService } from "../incidents/service.ts";
import type { IncidentDb, TimelineEvent } from "../incidents/store.ts";
import type { NoticeInput } from "../paging/notices.ts";
import type { Actor } from "../platform/auth.ts";
import type { PolicySource } from "../policy/source.ts";
import type { ChatCommands, ChatReply } from "./commands.ts";
import { mentionsIn, roomCommandText } from "./room-model.ts";

export type RoomPost =
  | { kind: "command"; reply: ChatReply }
  | { kind: "message"; event: TimelineEvent; mentioned: number[] };

export function createRoom(deps: {
  incidents: Pick<IncidentService, "addRoomMessage">;
  commands: Pick<ChatCommands, "run">;
  policy: PolicySource;
  publicUrl: string;
  /** Sends notices in the caller's transaction (paging's notices). */
  notify: (tx: IncidentDb, input: NoticeInput) => Promise<unknown>;
}) {
  const base = deps.publicUrl.replace(/\/$/, "");
  return {
    async post(actor: Actor, incidentId: number, text: string): Promise<RoomPost> {
      const command = deps.policy.current().chat?.command ?? "inc";
      const commandText = roomCommandText(text, command);
      if (commandText !== null)
        return { kind: "command", reply: await deps.commands.run({ actor, text: commandText, incidentId }) };
      const r = await deps.incidents.addRoomMessage(
        actor,
        incidentId,
        text,
        mentionsIn(text),
        (tx, i, event, userIds) =>
          deps
            .notify(tx, {
              key: `mention:${event.id}`,
              userIds,
              incidentId: i.id,
              subject: `[Firebreak] ${actor.username} mentioned you on incident #${i.id}${i.visibility === "public" && i.title ? `: ${i.title}` : ""}`,
              body: `${actor.username}: ${text}`,
              links: [{ label: "Incident", url: `${base}/incidents/${i.id}` }],
            })
            .then(() => undefined),
      );
      return { kind: "message", ...r };
    },
  };
}

export type Room = ReturnType<typeof createRoom>;
