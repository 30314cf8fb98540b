/** HTTP for test pages: POST /users/{id}/test-page (see test-page.ts). */
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import type { App } from "../platform/http.ts";
import { TEST_PAGE_DEADLINE_MS, type TestPages } from "./test-page.ts";

const reportSchema = z
  .object({
    testPageId: z.number(),
    userId: z.number(),
    results: z.array(
      z.object({
        contactMethodId: z.number(),
        kind: z.string().describe("the contact method's kind: email, webhook, chat, …"),
        label: z.string(),
        outcome: z
          .enum(["delivered", "failed", "no receipt", "unverified"])
          .describe(
            "`no receipt`: the channel did not confirm before the deadline; `unverified`: not sent, the method waits for its verification code",
          ),
        error: z
          .string()
          .optional()
          .describe("failed: the channel's short reason, e.g. `HTTP 500 Internal Server Error`"),
      }),
    ),
  })
  .meta({ id: "TestPageReport" });

export function testPageRoutes(testPages: TestPages) {
  return async (app: App) => {
    app.post(
      "/users/:id/test-page",
      {
        schema: {
          tags: ["paging"],
          summary: "Send a test page to every contact method of a person, and report each receipt",
          description: `Yourself; an administrator for anyone. The test page goes through the whole paging path (the delivery jobs and channels a real page takes), marked as a test: on no incident, nothing to acknowledge, each method tried once, resolved when every method has answered. Each method's outcome: \`delivered\`, \`failed\` with the channel's short reason, or \`no receipt\` when the channel has not confirmed within ${TEST_PAGE_DEADLINE_MS / 1000} s.`,
          params: z.object({ id: z.coerce.number().int().positive() }),
          response: { 200: reportSchema },
        },
      },
      async (req) => testPages.sendTestPage(actorOf(req), req.params.id),
    );
  };
}
