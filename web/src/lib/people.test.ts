import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newPassword } from "../../../src/users/password.ts";
import {
  createBody,
  editChanges,
  listedPeople,
  membershipsByPerson,
  type PersonForm,
  passwordProblem,
  peopleSummary,
  personProblems,
  placeHref,
  placesIn,
  type Role,
  refusalAtFields,
  roles,
  type TeamWithMembers,
  teamsToJoin,
} from "./people.ts";

const form = (over: Partial<PersonForm> = {}): PersonForm => ({
  username: "ana",
  name: "Ana",
  email: "",
  role: "responder",
  password: "",
  ...over,
});
const role = fc.constantFrom<Role>(...roles);

describe("a person's form, checked as the API checks it", () => {
  it("accepts a plain new person and names each field that is wrong", () => {
    expect(personProblems(form(), true)).toEqual({});
    expect(
      personProblems(form({ username: "Ana Smith", name: "  ", email: "ana@", password: "short" }), true),
    ).toEqual({
      username: "expected lowercase letters, digits, . _ - (up to 63)",
      name: "give a name",
      email: "expected an email address like ana@example.com",
      password: "a password needs at least 12 characters (a few unrelated words are easy to remember)",
    });
    expect(personProblems(form({ username: "" }), true).username).toBe("give a username");
    // Editing does not look at the username or a password: they are not part of an edit.
    expect(personProblems(form({ username: "", password: "x" }), false)).toEqual({});
  });

  it("agrees with the API's password rule for every length", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 260 }), (pw) => {
        expect(passwordProblem(pw) === undefined).toBe(newPassword.safeParse(pw).success);
      }),
    );
  });

  it("accepts every well-formed email address", () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        expect(personProblems(form({ email }), true).email).toBeUndefined();
      }),
    );
  });

  it("sends optional fields only when filled in", () => {
    expect(createBody(form({ name: " Ana " }))).toEqual({ username: "ana", name: "Ana", role: "responder" });
    expect(createBody(form({ email: " a@b.io ", password: "twelve chars!" }))).toEqual({
      username: "ana",
      name: "Ana",
      role: "responder",
      email: "a@b.io",
      password: "twelve chars!",
    });
  });
});

describe("an edit sends only what changed", () => {
  const person = fc.record({
    name: fc.string({ minLength: 1, maxLength: 20 }).map((s) => s.trim() || "x"),
    email: fc.option(fc.emailAddress(), { nil: null }),
    role,
  });

  it("sends nothing when the form is as the person is", () => {
    fc.assert(
      fc.property(person, (p) => {
        expect(editChanges(p, { name: p.name, email: p.email ?? "", role: p.role })).toBeNull();
      }),
    );
  });

  it("applying the changes gives what the form says", () => {
    fc.assert(
      fc.property(person, person, (p, wanted) => {
        const changes = editChanges(p, { name: wanted.name, email: wanted.email ?? "", role: wanted.role });
        expect({ ...p, ...changes }).toEqual(wanted);
      }),
    );
  });

  it("an emptied email is removed (null), not sent as an empty string", () => {
    expect(
      editChanges({ name: "A", email: "a@b.io", role: "viewer" }, { name: "A", email: " ", role: "viewer" }),
    ).toEqual({ email: null });
  });
});

describe("refusals at the fields", () => {
  const fields = { username: "username", name: "name", email: "email" } as const;
  it("puts a taken username (409 naming the field) at the username, and a 400's messages at theirs", () => {
    expect(
      refusalAtFields(
        { status: 409, detail: "username ana is taken; choose another", field: "username" },
        fields,
      ),
    ).toEqual({ byField: { username: "username ana is taken; choose another" }, rest: [] });
    expect(refusalAtFields({ status: 400, detail: "email: Invalid email address" }, fields)).toEqual({
      byField: { email: "Invalid email address" },
      rest: [],
    });
    expect(refusalAtFields({ status: 409, detail: "still relied on" }, fields)).toBeNull();
    expect(refusalAtFields({ status: 403, detail: "no" }, fields)).toBeNull();
  });
});

describe("where a refused deactivation points", () => {
  it("reads the problem's places, ignoring anything malformed, and links each to its page", () => {
    const places = placesIn({
      places: [
        { kind: "schedule", id: 3, name: "Primary" },
        { kind: "escalation-policy", id: 9, name: "Database" },
        "schedule Primary (#3)",
        { kind: "service", id: 1, name: "x" },
      ],
    });
    expect(places.map(placeHref)).toEqual(["/schedules/3", "/escalation-policies/9"]);
    expect(placesIn({ places: "nope" })).toEqual([]);
    expect(placesIn(undefined)).toEqual([]);
  });
});

describe("team memberships per person", () => {
  const teams: TeamWithMembers[] = [
    { id: 2, name: "Payments", slug: "payments", isDefault: false, members: [{ userId: 7, role: "admin" }] },
    {
      id: 1,
      name: "Default team",
      slug: "default",
      isDefault: true,
      members: [
        { userId: 7, role: "responder" },
        { userId: 8, role: "viewer" },
      ],
    },
    { id: 3, name: "Database", slug: "db", isDefault: false, members: [{ userId: 7, role: "viewer" }] },
  ];

  it("lists a person's teams, the default first, then by name", () => {
    const byPerson = membershipsByPerson(teams);
    expect(byPerson.get(7)?.map((m) => [m.teamName, m.role])).toEqual([
      ["Default team", "responder"],
      ["Database", "viewer"],
      ["Payments", "admin"],
    ]);
    expect(byPerson.get(8)?.map((m) => m.teamId)).toEqual([1]);
    expect(byPerson.get(9)).toBeUndefined();
    expect(teamsToJoin(teams, byPerson.get(8) ?? []).map((t) => t.id)).toEqual([2, 3]);
  });

  it("keeps every membership exactly once", () => {
    const arbTeams = fc.uniqueArray(
      fc.record({
        id: fc.nat(50),
        name: fc.string({ maxLength: 5 }),
        slug: fc.constant("t"),
        isDefault: fc.boolean(),
        members: fc.uniqueArray(fc.record({ userId: fc.nat(10), role }), { selector: (m) => m.userId }),
      }),
      { selector: (t) => t.id },
    );
    fc.assert(
      fc.property(arbTeams, (ts) => {
        const byPerson = membershipsByPerson(ts);
        const listed = [...byPerson.entries()].flatMap(([u, ms]) =>
          ms.map((m) => `${m.teamId}:${u}:${m.role}`),
        );
        const members = ts.flatMap((t) => t.members.map((m) => `${t.id}:${m.userId}:${m.role}`));
        expect(listed.sort()).toEqual(members.sort());
      }),
    );
  });
});

describe("the list of people", () => {
  it("leaves out automation accounts and puts the deactivated last", () => {
    const people = [
      { username: "zed", name: "Zed", active: false },
      { username: "@alerts", name: "Alerts", active: true },
      { username: "bo", name: "Bo", active: true },
      { username: "al", name: "", active: true },
    ];
    expect(listedPeople(people).map((p) => p.username)).toEqual(["al", "bo", "zed"]);
    expect(peopleSummary(listedPeople(people))).toBe("3 people, 1 deactivated");
    expect(peopleSummary([{ username: "a", name: "A", active: true }])).toBe("1 person");
  });
});
