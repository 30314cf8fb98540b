/**
 * HTTP for linking chat accounts by hand: the signed-in person asks for a one-time code and types
 * `/inc link CODE` in Slack or Mattermost; they list and unlink their chat accounts here.
 */
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import { notFound } from "../platform/errors.ts";
import type { App } from "../platform/http.ts";
import type { PolicySource } from "../policy/source.ts";
import { type Identities, LINK_CODE_MINUTES } from "./identities.ts";

const provider = z.enum(["slack", "mattermost"]);
const accountSchema = z
  .object({
    provider,
    externalId: z.string().describe("the account's id in the chat (Slack: U…; Mattermost: 26 characters)"),
    teamId: z.string().nullable(),
    linkedBy: z
      .enum(["email", "manual"])
      .describe("email: matched by email when first seen; manual: by a code"),
    createdAt: z.string(),
  })
  .meta({ id: "ChatIdentity" });

export function chatIdentityRoutes(identities: Identities, policy: PolicySource) {
  return async (app: App) => {
    const tags = ["chat"];
    app.get(
      "/me/chat-identities",
      {
        schema: {
          tags,
          summary: "Your Slack and Mattermost accounts linked to you",
          response: { 200: z.object({ identities: z.array(accountSchema) }) },
        },
      },
      async (req) => ({
        identities: (await identities.list(actorOf(req).id)).map((a) => ({
          ...a,
          createdAt: a.createdAt.toISOString(),
        })),
      }),
    );
    app.post(
      "/me/chat-identities/link-code",
      {
        schema: {
          tags,
          summary: `A one-time code linking your chat account: type the answer's command in Slack or Mattermost within ${LINK_CODE_MINUTES} minutes`,
          description:
            "The chat says who typed it, and that account becomes yours (replacing an email match). Asking again replaces the code.",
          response: {
            201: z.object({
              code: z.string(),
              expiresAt: z.string(),
              command: z.string().describe("what to type in chat, e.g. /inc link ABCD-EFGH"),
            }),
          },
        },
      },
      async (req, reply) => {
        const { code, expiresAt } = await identities.newLinkCode(actorOf(req).id);
        reply.code(201);
        return {
          code,
          expiresAt: expiresAt.toISOString(),
          command: `/${policy.current().chat?.command ?? "inc"} link ${code}`,
        };
      },
    );
    app.delete(
      "/me/chat-identities/:provider/:externalId",
      {
        schema: {
          tags,
          summary: "Unlink one of your chat accounts (an email match is made again at its next command)",
          params: z.object({ provider, externalId: z.string().min(1).max(64) }),
        },
      },
      async (req, reply) => {
        const { provider: p, externalId } = req.params;
        if (!(await identities.unlink(actorOf(req).id, p, externalId)))
          throw notFound(`your ${p} account`, externalId);
        return reply.code(204).send();
      },
    );
  };
}
