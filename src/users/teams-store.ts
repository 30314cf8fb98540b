/** SQL for teams and their members, and for which team owns a resource. */
import { type Kysely, sql } from "kysely";
import type { Role, TeamResource } from "../platform/auth.ts";
import type { Db, PlatformTables } from "../platform/db.ts";
import { resourceTables } from "./teams-model.ts";

export type TeamTables = {
  teams: {
    id: import("kysely").Generated<number>;
    slug: string;
    name: string;
    is_default: import("kysely").Generated<boolean>;
    created_at: Date;
  };
  team_members: { team_id: number; user_id: number; role: Role };
};
type TeamDb = Kysely<PlatformTables & TeamTables>;
const teams = (db: Db): TeamDb => db.withTables<TeamTables>();

export type Team = { id: number; slug: string; name: string; isDefault: boolean };
export type Member = { userId: number; username: string; name: string; role: Role };

const fromRow = (r: { id: number; slug: string; name: string; is_default: boolean }): Team => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  isDefault: r.is_default,
});

export async function listTeams(db: Db): Promise<Team[]> {
  return (await teams(db).selectFrom("teams").selectAll().orderBy("slug").execute()).map(fromRow);
}

export async function findTeam(db: Db, id: number): Promise<Team | undefined> {
  const r = await teams(db).selectFrom("teams").selectAll().where("id", "=", id).executeTakeFirst();
  return r && fromRow(r);
}

export async function insertTeam(db: Db, t: { slug: string; name: string; at: Date }): Promise<Team> {
  return fromRow(
    await teams(db)
      .insertInto("teams")
      .values({ slug: t.slug, name: t.name, created_at: t.at })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

export async function renameTeam(db: Db, id: number, name: string): Promise<Team | undefined> {
  const r = await teams(db)
    .updateTable("teams")
    .set({ name })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
  return r && fromRow(r);
}

export async function deleteTeam(db: Db, id: number): Promise<void> {
  await teams(db).deleteFrom("teams").where("id", "=", id).execute();
}

/** How many of each resource a team owns (a team that owns something cannot be deleted). */
export async function ownedCounts(db: Db, teamId: number): Promise<Record<TeamResource, number>> {
  const r = await sql<{ schedule: number; policy: number; service: number; status_page: number }>`
    SELECT (SELECT count(*) FROM schedules WHERE team_id = ${teamId})::int AS schedule,
           (SELECT count(*) FROM escalation_policies WHERE team_id = ${teamId})::int AS policy,
           (SELECT count(*) FROM services WHERE team_id = ${teamId})::int AS service,
           (SELECT count(*) FROM status_pages WHERE team_id = ${teamId})::int AS status_page`.execute(db);
  const row = r.rows[0];
  return {
    schedule: row?.schedule ?? 0,
    policy: row?.policy ?? 0,
    service: row?.service ?? 0,
    statusPage: row?.status_page ?? 0,
  };
}

export async function members(db: Db, teamId: number): Promise<Member[]> {
  return teams(db)
    .selectFrom("team_members as m")
    .innerJoin("users as u", "u.id", "m.user_id")
    .select(["m.user_id as userId", "u.username", "u.name", "m.role"])
    .where("m.team_id", "=", teamId)
    .where("u.deactivated_at", "is", null)
    .orderBy("u.username")
    .execute();
}

export async function setMember(db: Db, teamId: number, userId: number, role: Role): Promise<void> {
  await teams(db)
    .insertInto("team_members")
    .values({ team_id: teamId, user_id: userId, role })
    .onConflict((oc) => oc.columns(["team_id", "user_id"]).doUpdateSet({ role }))
    .execute();
}

export async function removeMember(db: Db, teamId: number, userId: number): Promise<boolean> {
  const r = await teams(db)
    .deleteFrom("team_members")
    .where("team_id", "=", teamId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}

/** The teams a person belongs to, with their role in each. */
export async function teamsOf(db: Db, userId: number): Promise<(Team & { role: Role })[]> {
  const rows = await teams(db)
    .selectFrom("team_members as m")
    .innerJoin("teams as t", "t.id", "m.team_id")
    .select(["t.id", "t.slug", "t.name", "t.is_default", "m.role"])
    .where("m.user_id", "=", userId)
    .orderBy("t.slug")
    .execute();
  return rows.map((r) => ({ ...fromRow(r), role: r.role }));
}

/**
 * The team that owns a resource and the person's role in it (null when not a member), in one
 * query; undefined when the resource does not exist.
 */
export async function ownerAndRole(
  db: Db,
  kind: TeamResource,
  key: string | number,
  userId: number,
): Promise<{ teamId: number; teamName: string; role: Role | null } | undefined> {
  const { table, key: column } = resourceTables[kind];
  const r = await sql<{ team_id: number; team_name: string; role: Role | null }>`
    SELECT r.team_id, t.name AS team_name, m.role
    FROM ${sql.table(table)} r
    JOIN teams t ON t.id = r.team_id
    LEFT JOIN team_members m ON m.team_id = r.team_id AND m.user_id = ${userId}
    WHERE r.${sql.ref(column)} = ${column === "id" ? Number(key) : String(key)}`.execute(db);
  const row = r.rows[0];
  return row && { teamId: row.team_id, teamName: row.team_name, role: row.role };
}

/** The person's role in a team (null when not a member) and the team's name; undefined: no such team. */
export async function teamAndRole(
  db: Db,
  teamId: number,
  userId: number,
): Promise<{ teamName: string; role: Role | null } | undefined> {
  const r = await teams(db)
    .selectFrom("teams as t")
    .leftJoin("team_members as m", (j) => j.onRef("m.team_id", "=", "t.id").on("m.user_id", "=", userId))
    .select(["t.name", "m.role"])
    .where("t.id", "=", teamId)
    .executeTakeFirst();
  return r && { teamName: r.name, role: r.role };
}

/** Replaces a person's memberships with these (single sign-on's teams claim). */
export async function replaceMemberships(
  db: Db,
  userId: number,
  teamSlugs: string[],
  role: Role,
): Promise<void> {
  await teams(db).deleteFrom("team_members").where("user_id", "=", userId).execute();
  if (!teamSlugs.length) return;
  await sql`
    INSERT INTO team_members (team_id, user_id, role)
    SELECT id, ${userId}, ${role} FROM teams WHERE slug = ANY(${teamSlugs}::text[])
    ON CONFLICT (team_id, user_id) DO UPDATE SET role = EXCLUDED.role`.execute(db);
}
