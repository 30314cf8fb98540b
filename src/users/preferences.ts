/**
 * A person's choices about the web app that follow them from browser to browser (the first-run
 * guide dismissed or not). Kept on the server, not in localStorage: an admin who dismissed the
 * guide on a laptop does not want it back on their phone, and a new browser must not hide it from
 * someone who never saw it.
 */
import type { Kysely } from "kysely";
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import type { PlatformTables } from "../platform/db.ts";
import type { App } from "../platform/http.ts";

interface PreferenceTables {
  user_preferences: {
    user_id: number;
    setup_guide_dismissed_at: Date | null;
    updated_at: Date;
  };
}
type PreferencesDb = Kysely<PlatformTables & PreferenceTables>;

const preferencesSchema = z
  .object({
    setupGuideDismissed: z
      .boolean()
      .describe("the first-run guide is not shown on the incidents screen (it stays at /setup)"),
  })
  .meta({ id: "Preferences" });
export type PreferencesView = z.infer<typeof preferencesSchema>;

export async function readPreferences(db: PreferencesDb, userId: number): Promise<PreferencesView> {
  const row = await db
    .selectFrom("user_preferences")
    .select("setup_guide_dismissed_at")
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return { setupGuideDismissed: Boolean(row?.setup_guide_dismissed_at) };
}

export function preferenceRoutes(deps: { db: Kysely<PlatformTables>; clock: Clock }) {
  const db = deps.db as unknown as PreferencesDb;
  return async (app: App) => {
    const tags = ["users"];
    app.get(
      "/me/preferences",
      { schema: { tags, summary: "Your web app preferences", response: { 200: preferencesSchema } } },
      async (req) => readPreferences(db, actorOf(req).id),
    );
    app.put(
      "/me/preferences",
      {
        schema: {
          tags,
          summary: "Change your web app preferences (only the members given)",
          body: preferencesSchema.partial().strict(),
          response: { 200: preferencesSchema },
        },
      },
      async (req) => {
        const userId = actorOf(req).id;
        const now = deps.clock.now();
        const dismissed = req.body.setupGuideDismissed;
        if (dismissed !== undefined) {
          const at = dismissed ? now : null;
          await db
            .insertInto("user_preferences")
            .values({ user_id: userId, setup_guide_dismissed_at: at, updated_at: now })
            .onConflict((oc) =>
              oc.column("user_id").doUpdateSet({ setup_guide_dismissed_at: at, updated_at: now }),
            )
            .execute();
        }
        return readPreferences(db, userId);
      },
    );
  };
}
