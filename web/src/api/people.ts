/**
 * People and teams as an admin manages them: the people list (with who has a password), creating
 * and changing people, passwords and tokens for them, and team memberships. Types come from the
 * server's schemas (types only, erased from the bundle).
 */
import { queryOptions } from "@tanstack/react-query";
import type { z } from "zod";
import type { personSchema } from "../../../src/users/schemas.ts";
import type { Role, TeamWithMembers } from "../lib/people.ts";
import { api } from "./client.ts";
import { keys } from "./queries.ts";
import type { CreatedToken } from "./types.ts";

export type Person = z.infer<typeof personSchema>;
export type Team = { id: number; slug: string; name: string; isDefault: boolean; myRole: Role | null };
export type TeamDetail = Omit<Team, "myRole"> & {
  members: { userId: number; username: string; name: string; role: Role }[];
};

export const peopleKeys = { teams: ["teams", "members"] as const };

/** The same cache entry as usersQuery (GET /users); for an admin each person says whether they have a password. */
export const peopleQuery = queryOptions({
  queryKey: keys.users,
  queryFn: async () => (await api<{ users: Person[] }>("GET", "/users")).users,
  staleTime: 60_000,
});

/** Every team with its members (one read for the list, one per team). */
export const teamsWithMembersQuery = queryOptions({
  queryKey: peopleKeys.teams,
  queryFn: async (): Promise<TeamWithMembers[]> => {
    const { teams } = await api<{ teams: Team[] }>("GET", "/teams");
    return Promise.all(teams.map((t) => api<TeamDetail>("GET", `/teams/${t.id}`)));
  },
});

export type NewPerson = { username: string; name: string; role: Role; email?: string; password?: string };
export type PersonChanges = Partial<{ name: string; email: string | null; role: Role; active: boolean }>;

export const createPerson = (body: NewPerson) => api<Person>("POST", "/users", body);

export const changePerson = (id: number, changes: PersonChanges) =>
  api<Person>("PATCH", `/users/${id}`, changes);

export const setPassword = (id: number, password: string) =>
  api<void>("PUT", `/users/${id}/password`, { password });

export const issueToken = (id: number, name: string) =>
  api<CreatedToken>("POST", `/users/${id}/tokens`, { name });

export const setMembership = (teamId: number, userId: number, role: Role) =>
  api<void>("PUT", `/teams/${teamId}/members/${userId}`, { role });

export const removeMembership = (teamId: number, userId: number) =>
  api<void>("DELETE", `/teams/${teamId}/members/${userId}`);
