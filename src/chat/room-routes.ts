/** HTTP for the built-in incident room: `POST /api/v1/incidents/{id}/room`. */
import { z } from "zod";
import { eventSchema, presentEvent } from "../incidents/schemas.ts";
import type { IncidentService } from "../incidents/service.ts";
import { actorOf } from "../platform/auth.ts";
import type { App } from "../platform/http.ts";
import type { Room } from "./room.ts";

const replySchema = z.object({
  text: z.string().describe("plain text; show it as text, never as markup"),
  visibility: z
    .enum(["ephemeral", "in_channel"])
    .describe(
      "`ephemeral`: meant for the sender only; `in_channel`: what happened, for everyone (it is on the timeline too)",
    ),
});

export function roomRoutes(room: Room, incidents: Pick<IncidentService, "users">) {
  return async (app: App) => {
    app.post(
      "/incidents/:id/room",
      {
        config: { minRole: "responder" as const },
        schema: {
          tags: ["incidents"],
          summary: "Say something in the incident's room, or run a chat command there",
          description:
            'A line starting with the policy\'s chat command (`/inc severity S1`) runs it as from Slack and answers 200 `{kind: "command", reply}`; `/inc help` lists the commands. Any other line is a message: a `chat-message` event on the timeline (201 `{kind: "message", event, mentioned}`), seen live by every open incident page. `@username` mentions send those people a notice; naming someone who cannot see a private incident is refused. RED data is refused and not stored.',
          params: z.object({ id: z.coerce.number().int().positive() }),
          body: z.object({ text: z.string().trim().min(1).max(4000) }).strict(),
          response: {
            200: z.object({ kind: z.literal("command"), reply: replySchema }),
            201: z.object({
              kind: z.literal("message"),
              event: eventSchema,
              mentioned: z.array(z.number()).describe("the people told of the message (user ids)"),
            }),
          },
        },
      },
      async (req, reply) => {
        const r = await room.post(actorOf(req), req.params.id, req.body.text);
        if (r.kind === "command") return reply.code(200).send({ kind: "command", reply: r.reply });
        const users = await incidents.users(r.event.actorId === null ? [] : [r.event.actorId]);
        return reply
          .code(201)
          .send({ kind: "message", event: presentEvent(r.event, users), mentioned: r.mentioned });
      },
    );
  };
}
