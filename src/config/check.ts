/**
 * Configuration as code: a document checked against the server before anything is written, and
 * its references resolved. Pure: the server's state, the policy that will be in force and the
 * time are arguments. Every problem names its place in the file as given (`schedules[2].layers[0]
 * .participants[1]`) and what would be right.
 */
import { z } from "zod";
import { zoneOf } from "../oncall/localtime.ts";
import { type Rotation, validateSchedule } from "../oncall/model.ts";
import { validatePolicy } from "../paging/model.ts";
import { describeRedData, findRedData } from "../platform/reddata.ts";
import type { Policy } from "../policy/model.ts";
import type { ConfigDocument, ScheduleDoc, UserDoc } from "./document.ts";
import { idRef, normalise, type ServerState } from "./model.ts";

export type DocumentProblem = { path: string; message: string };

/** A person the document names who is not on the server yet: made on apply. */
const newRef = (username: string) => `+${username}`;
export const isNewRef = (ref: string) => ref.startsWith("+");
export const newRefUsername = (ref: string) => ref.slice(1);

/** The generic webhook's mapping, as the integration-keys API takes it (src/alerts/schemas.ts). */
const mappingSchema = z
  .object({
    summary: z.string().min(1),
    dedupKey: z.string().min(1),
    severity: z.string().min(1).optional(),
    resolveWhen: z.object({ field: z.string().min(1), equals: z.array(z.string().min(1)).min(1) }).optional(),
  })
  .strict();

const zoneProblem = (tz: string) =>
  `unknown time zone ${JSON.stringify(tz)}; expected an IANA name such as "Europe/Berlin"`;

export type Checked = {
  /** The document in the server's form (`#id` for people on the server, `+username` for new ones), normalised. */
  want: ConfigDocument;
  problems: DocumentProblem[];
};

/**
 * Resolves the document's references against the server and checks everything apply would
 * otherwise fail on. `policy` is the policy that will be in force (the file's own when it carries
 * one); overrides and maintenance windows that have ended by `now` are dropped (never exported).
 */
export function checkDocument(
  doc: ConfigDocument,
  state: ServerState,
  opts: { prune: boolean; policy: Policy; now: Date },
): Checked {
  const problems: DocumentProblem[] = [];
  const problem = (path: string, message: string) => problems.push({ path, message });
  const defaultTeam = state.teams.find((t) => t.isDefault)?.slug ?? "default";

  // -- people: matched by email (any case), else username -------------------------------------
  const people = state.users.filter((u) => !u.username.startsWith("@"));
  const byEmail = new Map(people.filter((u) => u.email).map((u) => [u.email!.toLowerCase(), u]));
  const byUsername = new Map(people.map((u) => [u.username, u]));
  const refs = new Map<string, string>(); // a way of naming a person → their identity
  const identityOf = new Map<number, string>(); // index in doc.users → identity
  const claimed = new Map<string, number>();
  doc.users.forEach((u: UserDoc, i) => {
    const at = `users[${i}]`;
    if (u.username.startsWith("@"))
      problem(
        `${at}.username`,
        "usernames starting with @ are Firebreak's own automation; expected a person's username",
      );
    const server = (u.email && byEmail.get(u.email.toLowerCase())) || byUsername.get(u.username);
    const identity = server ? idRef(server.id) : newRef(u.username);
    if (server && !server.active)
      problem(at, `${server.username} is deactivated; an admin reactivates a person, a file does not`);
    const earlier = claimed.get(identity);
    if (earlier !== undefined) problem(at, `the same person as users[${earlier}]; expected each person once`);
    else claimed.set(identity, i);
    for (const [j, other] of doc.users.slice(0, i).entries()) {
      if (other.username === u.username && earlier === undefined)
        problem(`${at}.username`, `username ${u.username} is also users[${j}]'s; expected unique usernames`);
    }
    identityOf.set(i, identity);
  });
  doc.users.forEach((u, i) => {
    const identity = identityOf.get(i)!;
    if (u.email) refs.set(u.email.toLowerCase(), identity);
    refs.set(u.username, identity);
  });
  for (const u of people) {
    if (u.email && !refs.has(u.email.toLowerCase())) refs.set(u.email.toLowerCase(), idRef(u.id));
    if (!refs.has(u.username)) refs.set(u.username, idRef(u.id));
  }
  const inactive = new Set(people.filter((u) => !u.active).map((u) => idRef(u.id)));
  const user = (ref: string, path: string): string => {
    const identity = refs.get(ref.toLowerCase()) ?? refs.get(ref);
    if (!identity) {
      problem(
        path,
        `no person ${JSON.stringify(ref)}; expected the email or username of someone in users or on the server`,
      );
      return ref;
    }
    if (inactive.has(identity)) problem(path, `${ref} is deactivated; expected an active person`);
    return identity;
  };

  // -- names that must be unique ----------------------------------------------------------------
  const unique = <T>(list: T[], key: (x: T) => string, path: string, what: string) => {
    const seen = new Map<string, number>();
    list.forEach((x, i) => {
      const k = key(x);
      const j = seen.get(k);
      if (j !== undefined)
        problem(
          `${path}[${i}]`,
          `${what} ${JSON.stringify(k)} is also ${path}[${j}]'s; expected unique ${what}s`,
        );
      else seen.set(k, i);
    });
  };
  unique(doc.teams, (t) => t.slug, "teams", "slug");
  unique(doc.schedules, (s) => s.name, "schedules", "name");
  unique(doc.escalationPolicies, (p) => p.name, "escalationPolicies", "name");
  unique(doc.services, (s) => s.name, "services", "name");
  unique(doc.statusPages, (p) => p.slug, "statusPages", "slug");

  // -- what will exist after apply ----------------------------------------------------------------
  const teams = new Set([
    ...doc.teams.map((t) => t.slug),
    ...(opts.prune ? [defaultTeam] : state.teams.map((t) => t.slug)),
  ]);
  const team = (slug: string | undefined, path: string) => {
    if (slug !== undefined && !teams.has(slug))
      problem(path, `no team ${JSON.stringify(slug)}; expected a slug in teams or on the server`);
  };
  const managed = state.policies.filter((p) => p.managed);
  const managedNames = new Set(managed.map((p) => p.name));
  const schedules = new Set([
    ...doc.schedules.map((s) => s.name),
    ...(opts.prune ? [] : state.schedules.map((s) => s.name)),
  ]);
  const policies = new Set([
    ...doc.escalationPolicies.map((p) => p.name),
    ...managedNames,
    ...(opts.prune ? [] : state.policies.map((p) => p.name)),
  ]);

  // -- teams ----------------------------------------------------------------------------------------
  const teamsOut = doc.teams.map((t, i) => ({
    ...t,
    members: t.members.map((m, j) => ({
      user: user(m.user, `teams[${i}].members[${j}].user`),
      role: m.role,
    })),
  }));
  for (const [i, t] of teamsOut.entries()) unique(t.members, (m) => m.user, `teams[${i}].members`, "member");

  // -- schedules: the on-call model's own checks, on stand-in ids -----------------------------------
  const standIn = new Map<string, number>();
  const numberOf = (identity: string) => {
    const id = /^#(\d+)$/.exec(identity)?.[1];
    if (id) return Number(id);
    if (!standIn.has(identity)) standIn.set(identity, 1_000_000_000 + standIn.size);
    return standIn.get(identity)!;
  };
  const schedulesOut: ScheduleDoc[] = doc.schedules.map((s, i) => {
    const at = `schedules[${i}]`;
    team(s.team, `${at}.team`);
    const layers = s.layers.map((l, j) => ({
      ...l,
      participants: l.participants.map((p, k) => user(p, `${at}.layers[${j}].participants[${k}]`)),
    }));
    const rotations: Rotation[] = layers.map((l) => ({ ...l, participants: l.participants.map(numberOf) }));
    const base = { name: s.name, timeZone: s.timeZone, layers: rotations, overrides: [] };
    for (const p of validateSchedule(base)) problem(`${at}.${p.field}`, p.message);
    // Overrides that have ended are history, not configuration: left out (and never exported).
    const current = (s.overrides ?? [])
      .map((o, j) => ({ o, j }))
      .filter(({ o }) => new Date(o.end) > opts.now);
    const resolved = current.map(({ o, j }) => ({ ...o, user: user(o.user, `${at}.overrides[${j}].user`) }));
    current.forEach(({ o, j }, n) => {
      const one = { userId: numberOf(resolved[n]!.user), start: new Date(o.start), end: new Date(o.end) };
      for (const p of validateSchedule({ ...base, overrides: [one] }))
        if (p.field.startsWith("overrides"))
          problem(`${at}.${p.field.replace(/^overrides\[0\]/, `overrides[${j}]`)}`, p.message);
    });
    const overrides = s.overrides && resolved;
    return { ...s, layers, overrides };
  });

  // -- escalation policies ----------------------------------------------------------------------------
  const policiesOut = doc.escalationPolicies.map((p, i) => {
    const at = `escalationPolicies[${i}]`;
    team(p.team, `${at}.team`);
    if (managedNames.has(p.name))
      problem(
        `${at}.name`,
        `${p.name} is managed by the policy file's rules; change it there, or choose another name`,
      );
    for (const x of validatePolicy({
      levels: p.levels.map((l) => ({
        timeoutMinutes: l.timeoutMinutes,
        targets: l.targets.map(() => ({ kind: "user" as const, id: 1 })),
      })),
      repeat: p.repeat,
      ackTimeoutMinutes: p.ackTimeoutMinutes ?? 30,
    }))
      problem(`${at}.${x.field}`, x.message);
    if (p.businessHours && !zoneOf(p.businessHours.timeZone))
      problem(`${at}.businessHours.timeZone`, zoneProblem(p.businessHours.timeZone));
    const levels = p.levels.map((l, j) => ({
      ...l,
      targets: l.targets.map((t, k) => {
        const path = `${at}.levels[${j}].targets[${k}]`;
        if ("user" in t) return { user: user(t.user, `${path}.user`) };
        if (!schedules.has(t.schedule))
          problem(
            `${path}.schedule`,
            `no schedule ${JSON.stringify(t.schedule)}${opts.prune ? " (prune deletes schedules the file does not name)" : ""}; expected one in schedules${opts.prune ? "" : " or on the server"}`,
          );
        return { schedule: t.schedule };
      }),
    }));
    return { ...p, levels };
  });

  // -- services -----------------------------------------------------------------------------------------
  const types = opts.policy.incidentTypes.map((t) => t.name);
  const severities = opts.policy.severities.map((s) => s.id);
  const servicesOut = doc.services.map((s, i) => {
    const at = `services[${i}]`;
    team(s.team, `${at}.team`);
    if (!policies.has(s.escalationPolicy))
      problem(
        `${at}.escalationPolicy`,
        `no escalation policy ${JSON.stringify(s.escalationPolicy)}; expected one in escalationPolicies${opts.prune ? "" : ", on the server"} or managed by the policy file`,
      );
    if (s.incidentType !== undefined && !types.includes(s.incidentType))
      problem(
        `${at}.incidentType`,
        `unknown type ${JSON.stringify(s.incidentType)}; expected one of ${types.join(", ")}`,
      );
    if (s.incidentSeverity !== undefined && !severities.includes(s.incidentSeverity))
      problem(
        `${at}.incidentSeverity`,
        `unknown severity ${JSON.stringify(s.incidentSeverity)}; expected one of ${severities.join(", ")}`,
      );
    unique(s.integrations ?? [], (k) => k.name, `${at}.integrations`, "name");
    (s.integrations ?? []).forEach((k, j) => {
      if (k.mapping === undefined) return;
      const r = mappingSchema.safeParse(k.mapping);
      if (!r.success)
        for (const issue of r.error.issues)
          problem(
            `${at}.integrations[${j}].mapping${issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}`,
            `${issue.message}; expected { summary, dedupKey, severity?, resolveWhen?: { field, equals } }`,
          );
    });
    (s.maintenance ?? []).forEach((m, j) => {
      if (!(new Date(m.end) > new Date(m.start)))
        problem(`${at}.maintenance[${j}].end`, `expected an end after the start (${m.start})`);
    });
    return { ...s, maintenance: s.maintenance?.filter((m) => new Date(m.end) > opts.now) };
  });

  // -- status pages -------------------------------------------------------------------------------------
  doc.statusPages.forEach((p, i) => {
    const at = `statusPages[${i}]`;
    team(p.team, `${at}.team`);
    if (!zoneOf(p.timeZone)) problem(`${at}.timeZone`, zoneProblem(p.timeZone));
    unique(p.components, (c) => c.name, `${at}.components`, "name");
    // DATA-1: a status page is public; the status API refuses RED data in it, and so does apply.
    const red = (fields: Record<string, string | undefined>, path: string) => {
      const found = findRedData(fields);
      if (found) problem(`${path}.${found.field}`, describeRedData(found));
    };
    red({ name: p.name }, at);
    for (const [j, c] of p.components.entries())
      red({ name: c.name, description: c.description }, `${at}.components[${j}]`);
    const groups = new Set(p.components.filter((c) => c.isGroup).map((c) => c.name));
    p.components.forEach((c, j) => {
      if (c.group === undefined) return;
      if (c.isGroup) problem(`${at}.components[${j}].group`, "a group cannot sit in another group");
      else if (!groups.has(c.group))
        problem(
          `${at}.components[${j}].group`,
          `no group component ${JSON.stringify(c.group)} on this page; expected the name of a component with isGroup: true`,
        );
    });
  });

  // -- what prune would delete that something else still needs ------------------------------------------
  if (opts.prune) {
    const inFile = new Set(doc.schedules.map((s) => s.name));
    const scheduleName = new Map(state.schedules.map((s) => [s.id, s.name]));
    for (const p of managed)
      for (const l of p.levels)
        for (const t of l.targets) {
          const name = t.kind === "schedule" ? scheduleName.get(t.id) : undefined;
          if (name !== undefined && !inFile.has(name))
            problem(
              "schedules",
              `prune would delete schedule ${JSON.stringify(name)}, which the policy file's escalation policy ${JSON.stringify(p.name)} pages; keep it in the file`,
            );
        }
  }

  const want = normalise(
    {
      ...doc,
      teams: teamsOut,
      schedules: schedulesOut,
      escalationPolicies: policiesOut,
      services: servicesOut,
    },
    defaultTeam,
  );
  return { want: matchUsernames(want, doc, identityOf, state), problems };
}

/**
 * A person matched by email keeps the username they have on the server (a username is how they
 * sign in; a file does not rename people), so the comparison names them by it.
 */
function matchUsernames(
  want: ConfigDocument,
  doc: ConfigDocument,
  identityOf: Map<number, string>,
  state: ServerState,
): ConfigDocument {
  const serverName = new Map(state.users.map((u) => [idRef(u.id), u.username]));
  const renamed = new Map<string, string>();
  doc.users.forEach((u, i) => {
    const name = serverName.get(identityOf.get(i) ?? "");
    if (name !== undefined && name !== u.username) renamed.set(u.username, name);
  });
  return {
    ...want,
    users: want.users
      .map((u) => ({ ...u, username: renamed.get(u.username) ?? u.username }))
      .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0)),
  };
}
