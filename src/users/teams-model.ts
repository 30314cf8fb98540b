/** Teams, the pure part: which role a person has on a team's resources. No I/O. */
import type { Role, TeamResource } from "../platform/auth.ts";

const rank: Record<Role, number> = { viewer: 0, responder: 1, admin: 2 };
export const atLeast = (role: Role, min: Role): boolean => rank[role] >= rank[min];

/**
 * A person's role on a team's resources: admins (the global role) are admins everywhere; anyone
 * else has the role their membership gives, and a person outside the team only reads.
 */
export function roleInTeam(globalRole: Role, membership: Role | null | undefined): Role {
  if (globalRole === "admin") return "admin";
  return membership ?? "viewer";
}

/** What the error says each resource is. */
export const resourceNames: Record<TeamResource, string> = {
  schedule: "schedules",
  policy: "escalation policies",
  service: "services",
  statusPage: "status pages",
};

/** The table and the column a route's parameter is looked up by. */
export const resourceTables: Record<TeamResource, { table: string; key: "id" | "slug" }> = {
  schedule: { table: "schedules", key: "id" },
  policy: { table: "escalation_policies", key: "id" },
  service: { table: "services", key: "id" },
  statusPage: { table: "status_pages", key: "slug" },
};
