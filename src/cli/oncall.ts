/** `firebreak oncall`: who is on call now in every schedule, and until when (PAGE-7). */
import type { Command } from "./args.ts";
import { table, when } from "./format.ts";

/** GET /oncall's answer: one entry per schedule. */
export type OnCall = {
  oncall: { schedule: { id: number; name: string }; userIds: number[]; until: string | null }[];
};
type Users = { users: { id: number; username: string }[] };

/** The SCHEDULE / ON CALL / UNTIL table; `usernames` names the user ids. */
export function oncallTable(r: OnCall, usernames: ReadonlyMap<number, string>): string {
  if (r.oncall.length === 0) return "no schedules";
  return table(
    ["SCHEDULE", "ON CALL", "UNTIL"],
    r.oncall.map((o) => [
      o.schedule.name,
      o.userIds.map((id) => usernames.get(id) ?? `user ${id}`).join(", ") || "nobody",
      when(o.until),
    ]),
  );
}

export const oncallCommands: Record<string, Command> = {
  oncall: {
    summary: "Who is on call now in every schedule, and until when (the next hand-off).",
    async run(c) {
      const r = await c.api.request<OnCall>("GET", "/oncall");
      if (c.json) return c.print(r, "");
      const anyone = r.oncall.some((o) => o.userIds.length > 0);
      const users = anyone ? (await c.api.request<Users>("GET", "/users")).users : [];
      return c.print(r, () => oncallTable(r, new Map(users.map((u) => [u.id, u.username]))));
    },
  },
};
