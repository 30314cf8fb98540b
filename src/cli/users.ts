/**
 * `firebreak user`: people as an admin manages them from a terminal — list, create, edit,
 * deactivate and reactivate, set a password, issue a token. Passwords are read from standard input
 * (never a flag: the command line is visible to everyone on the machine).
 */
import { type Call, type Command, write } from "./args.ts";
import { type CreatedToken, UsageError } from "./client.ts";
import { table } from "./format.ts";

type Role = "viewer" | "responder" | "admin";
const roles: readonly Role[] = ["viewer", "responder", "admin"];
type Person = {
  id: number;
  username: string;
  name: string;
  email: string | null;
  role: Role;
  active: boolean;
  hasPassword?: boolean;
};

const an = (role: string) => (role === "admin" ? `an ${role}` : `a ${role}`);

export function usersTable(people: Person[]): string {
  if (people.length === 0) return "no users";
  return table(
    ["ID", "USERNAME", "NAME", "ROLE", "STATE", "PASSWORD", "EMAIL"],
    people.map((p) => [
      String(p.id),
      p.username,
      p.name,
      p.role,
      p.active ? "active" : "deactivated",
      p.hasPassword === undefined ? "-" : p.hasPassword ? "yes" : "no",
      p.email ?? "-",
    ]),
  );
}

function role(text: string | undefined): Role | undefined {
  if (text === undefined) return undefined;
  const r = roles.find((x) => x === text);
  if (!r) throw new UsageError(`--role takes ${roles.join(", ")}, not ${JSON.stringify(text)}`);
  return r;
}

/** A person named by numeric id or username (the API's paths take ids). */
async function find(c: Call, ref: string): Promise<Person> {
  const { users } = await c.api.request<{ users: Person[] }>("GET", "/users");
  const byId = /^\d+$/.test(ref) ? users.find((u) => u.id === Number(ref)) : undefined;
  const person = byId ?? users.find((u) => u.username === ref);
  if (!person)
    throw new UsageError(`no user ${JSON.stringify(ref)}; \`firebreak user list\` shows who there is`);
  return person;
}

/** The password piped in: the first line, without its line break. */
export async function readPassword(input: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (input.isTTY)
    throw new UsageError(
      "pipe the password on standard input, e.g. `pass show ana | firebreak user password ana`",
    );
  let text = "";
  for await (const chunk of input) text += chunk;
  const password = text.split(/\r?\n/)[0] ?? "";
  if (!password) throw new UsageError("standard input held no password");
  return password;
}

async function create(c: Call, username: string): Promise<number> {
  const password = c.has("password-stdin") ? await readPassword() : undefined;
  const email = c.opt("email");
  const p = await c.api.request<Person>("POST", "/users", {
    username,
    name: c.must("name"),
    role: role(c.opt("role")) ?? "responder",
    ...(email ? { email } : {}),
    ...(password === undefined ? {} : { password }),
  });
  const access = p.hasPassword
    ? "they can sign in with the password"
    : `no password yet: \`firebreak user password ${p.username}\` or \`firebreak user token ${p.username} NAME\``;
  return c.print(p, `created user ${p.username} (id ${p.id}), ${an(p.role)}; ${access}`);
}

async function edit(c: Call, person: Person): Promise<number> {
  const email = c.opt("email");
  const changes = {
    ...(c.opt("name") === undefined ? {} : { name: c.opt("name") }),
    // An empty --email removes it.
    ...(email === undefined ? {} : { email: email || null }),
    ...(c.opt("role") === undefined ? {} : { role: role(c.opt("role")) }),
  };
  if (Object.keys(changes).length === 0)
    throw new UsageError("nothing to change: give --name, --email or --role");
  const p = await c.api.request<Person>("PATCH", `/users/${person.id}`, changes);
  return c.print(p, `${p.username} updated: ${Object.keys(changes).join(", ")} (now ${an(p.role)})`);
}

async function setActive(c: Call, person: Person, active: boolean): Promise<number> {
  const p = await c.api.request<Person>("PATCH", `/users/${person.id}`, { active });
  return c.print(
    p,
    active ? `${p.username} is active again` : `${p.username} deactivated; they are signed out everywhere`,
  );
}

async function password(c: Call, person: Person): Promise<number> {
  const pw = await readPassword();
  await c.api.request<void>("PUT", `/users/${person.id}/password`, { password: pw });
  return c.print(
    { id: person.id, username: person.username, passwordSet: true },
    `password set for ${person.username}; their other sessions were signed out`,
  );
}

async function token(c: Call, person: Person): Promise<number> {
  const name = c.must("NAME");
  const t = await c.api.request<CreatedToken>("POST", `/users/${person.id}/tokens`, { name });
  if (!c.json)
    await write(
      process.stderr,
      `created token ${t.name} (id ${t.id}) for ${person.username}; hand it over now, it is not shown again:`,
    );
  return c.print(t, t.token);
}

const actions = ["list", "create", "edit", "deactivate", "reactivate", "password", "token"];

export const userCommands: Record<string, Command> = {
  user: {
    summary:
      "Manage people (admins): list, create, edit, deactivate or reactivate them, set a password, issue a token.\nPasswords are read from standard input.",
    synopsis: [
      "list",
      "create USERNAME --name TEXT [--email EMAIL] [--role ROLE] [--password-stdin]",
      "edit USER [--name TEXT] [--email EMAIL] [--role ROLE]",
      "deactivate USER",
      "reactivate USER",
      "password USER",
      "token USER NAME",
    ],
    args: ["ACTION", "USER?", "NAME?"],
    flags: {
      name: { value: "TEXT", help: "create, edit: their name" },
      email: { value: "EMAIL", help: 'create, edit: their email address (edit with "" removes it)' },
      role: { value: "ROLE", help: "create, edit: viewer, responder (the default) or admin" },
      "password-stdin": { help: "create: read a first password from standard input" },
    },
    async run(c) {
      const action = c.must("ACTION");
      if (!actions.includes(action))
        throw new UsageError(`unknown action ${JSON.stringify(action)}; expected ${actions.join(", ")}`);
      if (action === "list") {
        const extra = c.opt("USER");
        if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
        const { users } = await c.api.request<{ users: Person[] }>("GET", "/users");
        // Automation accounts (`@alerts`) are nobody to manage; --json still has them.
        return c.print({ users }, () => usersTable(users.filter((u) => !u.username.startsWith("@"))));
      }
      if (action !== "token" && c.opt("NAME") !== undefined)
        throw new UsageError(`unexpected argument ${JSON.stringify(c.opt("NAME"))}`);
      const ref = c.must("USER");
      if (action === "create") return create(c, ref);
      const person = await find(c, ref);
      if (action === "edit") return edit(c, person);
      if (action === "deactivate") return setActive(c, person, false);
      if (action === "reactivate") return setActive(c, person, true);
      if (action === "password") return password(c, person);
      return token(c, person);
    },
  },
};
