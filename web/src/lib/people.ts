/**
 * The People screen's logic: the checks a person's form makes before sending (the API's own
 * rules, so a refusal is rare and says the same), the changes an edit sends, where a refused
 * deactivation links to, and each person's team memberships.
 */
import { fieldProblems } from "./fields.ts";

export type Role = "viewer" | "responder" | "admin";
export const roles: readonly Role[] = ["viewer", "responder", "admin"];

/** A schedule or escalation policy that still names a person (the 409's `places`). */
export type Place = { kind: "schedule" | "escalation-policy"; id: number; name: string };

export type PersonForm = { username: string; name: string; email: string; role: Role; password: string };
export type PersonField = keyof PersonForm;
export type Problems<F extends string> = Partial<Record<F, string>>;

/** As the API checks a username (src/users/routes.ts). */
const usernamePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** Close to zod's email check: something@domain.tld, no spaces. */
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const passwordRule = "at least 12 characters, at most 200";

/** The message for a new password, or undefined when it is acceptable (the API's rule). */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 12)
    return "a password needs at least 12 characters (a few unrelated words are easy to remember)";
  if (password.length > 200) return "a password may have at most 200 characters";
  return undefined;
}

/** What is wrong with a person's form, by field; `creating` also checks the username and password. */
export function personProblems(form: PersonForm, creating: boolean): Problems<PersonField> {
  const problems: Problems<PersonField> = {};
  if (creating) {
    if (!form.username) problems.username = "give a username";
    else if (!usernamePattern.test(form.username))
      problems.username = "expected lowercase letters, digits, . _ - (up to 63)";
    if (form.password) {
      const p = passwordProblem(form.password);
      if (p) problems.password = p;
    }
  }
  const name = form.name.trim();
  if (!name) problems.name = "give a name";
  else if (name.length > 200) problems.name = "at most 200 characters";
  const email = form.email.trim();
  if (email && !emailPattern.test(email)) problems.email = "expected an email address like ana@example.com";
  return problems;
}

/** POST /users's body: the optional fields only when filled in. */
export function createBody(form: PersonForm) {
  const email = form.email.trim();
  return {
    username: form.username,
    name: form.name.trim(),
    role: form.role,
    ...(email ? { email } : {}),
    ...(form.password ? { password: form.password } : {}),
  };
}

type Current = { name: string; email: string | null; role: Role };

/** PATCH /users/{id}'s body: only what changed (an emptied email is removed); null when nothing did. */
export function editChanges(
  person: Current,
  form: Pick<PersonForm, "name" | "email" | "role">,
): Partial<{ name: string; email: string | null; role: Role }> | null {
  const changes: Partial<{ name: string; email: string | null; role: Role }> = {};
  const name = form.name.trim();
  const email = form.email.trim() || null;
  if (name !== person.name) changes.name = name;
  if (email !== person.email) changes.email = email;
  if (form.role !== person.role) changes.role = form.role;
  return Object.keys(changes).length ? changes : null;
}

/**
 * A refusal's messages at the form's fields: a 400's ("name: …") by fieldProblems, and a 409 that
 * names its `field` (a username taken). Null when the refusal is about no field.
 */
export function refusalAtFields<F extends string>(
  err: { status: number; detail: string; field?: string } | null | undefined,
  fields: Record<string, F>,
): { byField: Problems<F>; rest: string[] } | null {
  if (err?.status === 409 && err.field && Object.hasOwn(fields, err.field)) {
    const field = fields[err.field] as F;
    return { byField: { [field]: err.detail } as Problems<F>, rest: [] };
  }
  return fieldProblems(err, fields);
}

const isPlace = (v: unknown): v is Place => {
  const p = v as Partial<Place> | null;
  return (
    typeof p === "object" &&
    p !== null &&
    (p.kind === "schedule" || p.kind === "escalation-policy") &&
    typeof p.id === "number" &&
    typeof p.name === "string"
  );
};

/** The places a refused deactivation lists (the problem's `places`), or none. */
export function placesIn(problem: Record<string, unknown> | undefined): Place[] {
  const places = problem?.places;
  return Array.isArray(places) ? places.filter(isPlace) : [];
}

/** Where to take someone off a place: the schedule's or the policy's own page. */
export function placeHref(place: Place): string {
  return place.kind === "schedule" ? `/schedules/${place.id}` : `/escalation-policies/${place.id}`;
}

export function placeLabel(place: Place): string {
  return `${place.kind === "schedule" ? "Schedule" : "Escalation policy"} ${place.name}`;
}

export type TeamWithMembers = {
  id: number;
  name: string;
  slug: string;
  isDefault: boolean;
  members: { userId: number; role: Role }[];
};
export type Membership = { teamId: number; teamName: string; isDefault: boolean; role: Role };

/** Each person's teams (the default team first, then by name), from every team's member list. */
export function membershipsByPerson(teams: readonly TeamWithMembers[]): Map<number, Membership[]> {
  const byPerson = new Map<number, Membership[]>();
  const ordered = [...teams].sort(
    (a, b) => Number(b.isDefault) - Number(a.isDefault) || a.name.localeCompare(b.name),
  );
  for (const team of ordered) {
    for (const m of team.members) {
      const list = byPerson.get(m.userId) ?? [];
      list.push({ teamId: team.id, teamName: team.name, isDefault: team.isDefault, role: m.role });
      byPerson.set(m.userId, list);
    }
  }
  return byPerson;
}

/** The teams a person could still join. */
export function teamsToJoin<T extends { id: number }>(
  teams: readonly T[],
  memberships: readonly Membership[],
) {
  const joined = new Set(memberships.map((m) => m.teamId));
  return teams.filter((t) => !joined.has(t.id));
}

type Listed = { username: string; name: string; active: boolean };

/** People to list: not automation accounts ("@alerts"); active first, then by name. */
export function listedPeople<P extends Listed>(people: readonly P[]): P[] {
  return people
    .filter((p) => !p.username.startsWith("@"))
    .sort(
      (a, b) =>
        Number(b.active) - Number(a.active) || (a.name || a.username).localeCompare(b.name || b.username),
    );
}

/** "3 people, 1 deactivated", announced as the list changes. */
export function peopleSummary(people: readonly Listed[]): string {
  const off = people.filter((p) => !p.active).length;
  const count = `${people.length} ${people.length === 1 ? "person" : "people"}`;
  return off ? `${count}, ${off} deactivated` : count;
}
