/** Lists of team-owned resources narrowed with `?team=mine` or `?team=<id>` (the gate in src/users/teams.ts resolves it). */
import { z } from "zod";

export const teamQuery = z.object({
  team: z
    .union([z.literal("mine"), z.coerce.number().int().positive()])
    .optional()
    .describe("only the resources of your teams (`mine`) or of one team (its id)"),
});

/** The items owned by one of the teams (all of them when there is no filter). */
export function ofTeams<T>(
  items: T[],
  teams: number[] | undefined,
  teamOf: (item: T) => number | undefined,
): T[] {
  if (!teams) return items;
  const wanted = new Set(teams);
  return items.filter((i) => {
    const t = teamOf(i);
    return t !== undefined && wanted.has(t);
  });
}
