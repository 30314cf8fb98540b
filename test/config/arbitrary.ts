/**
 * Generated configuration documents for the property tests: a few people, teams, schedules with
 * layers, restrictions and overrides, escalation policies, services with integrations and
 * maintenance, status pages with components. Every document is valid against an empty server
 * (which has the `admin` person, the default team and the default status page), and names people
 * the way export does (email, or username when none), so export can give it back unchanged.
 */
import fc from "fast-check";
import type {
  ConfigDocument,
  EscalationPolicyDoc,
  ScheduleDoc,
  ServiceDoc,
  StatusPageDoc,
  TeamDoc,
  UserDoc,
} from "../../src/config/document.ts";

const role = fc.constantFrom("viewer" as const, "responder" as const, "admin" as const);
const word = fc.stringMatching(/^[a-z][a-z0-9]{1,7}$/);
const title = fc.stringMatching(/^[A-Z][a-z]{1,8}( [A-Za-z0-9]{1,6})?$/);
const zone = fc.constantFrom("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo");
const clock = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 30))
  .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
const days = fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 });

/** The test clock's start: overrides and maintenance windows are generated after it. */
export const GENERATED_NOW = new Date("2026-03-02T10:00:00Z");
const future = fc
  .tuple(fc.integer({ min: 1, max: 60 * 24 * 20 }), fc.integer({ min: 30, max: 60 * 24 * 3 }))
  .map(([inMinutes, forMinutes]) => {
    const start = new Date(GENERATED_NOW.getTime() + 7 * 86_400_000 + inMinutes * 60_000);
    return { start: start.toISOString(), end: new Date(start.getTime() + forMinutes * 60_000).toISOString() };
  });

const refOf = (u: UserDoc) => u.email ?? u.username;

const usersArb: fc.Arbitrary<UserDoc[]> = fc
  .uniqueArray(fc.record({ username: word, name: title, hasEmail: fc.boolean(), role }), {
    minLength: 1,
    maxLength: 4,
    selector: (u) => u.username,
  })
  .map((list) =>
    list
      .filter((u) => u.username !== "admin")
      .map(({ hasEmail, ...u }) => (hasEmail ? { ...u, email: `${u.username}@example.com` } : u)),
  )
  .map((list) => [{ username: "admin", name: "Administrator", role: "admin" as const }, ...list]);

function teamsArb(users: UserDoc[]): fc.Arbitrary<TeamDoc[]> {
  const members = fc
    .subarray(users)
    .chain((picked) =>
      fc
        .tuple(...picked.map(() => role))
        .map((roles) => picked.map((u, i) => ({ user: refOf(u), role: roles[i]! }))),
    );
  const defaultTeam = members.map((m) => ({ slug: "default", name: "Default team", members: m }));
  const others = fc.uniqueArray(fc.record({ slug: word, name: title, members }), {
    maxLength: 2,
    selector: (t) => t.slug,
  });
  return fc.tuple(defaultTeam, others).map(([d, o]) => [d, ...o.filter((t) => t.slug !== "default")]);
}

function schedulesArb(users: UserDoc[], teams: TeamDoc[]): fc.Arbitrary<ScheduleDoc[]> {
  const refs = users.map(refOf);
  const layer = fc.record(
    {
      name: title,
      timeZone: zone,
      participants: fc.array(fc.constantFrom(...refs), { minLength: 1, maxLength: 3 }),
      shiftLength: fc.record({
        unit: fc.constantFrom("hours" as const, "days" as const, "weeks" as const),
        count: fc.integer({ min: 1, max: 12 }),
      }),
      start: fc.integer({ min: 1, max: 28 }).map((d) => `2026-02-${String(d).padStart(2, "0")}T09:00`),
      restrictions: fc.array(fc.record({ days, start: clock, end: clock }), { minLength: 1, maxLength: 2 }),
    },
    { requiredKeys: ["name", "timeZone", "participants", "shiftLength", "start"] },
  );
  // The first layer is round the clock, so an override after its start always meets a shift.
  const schedule = fc.record(
    {
      name: title,
      team: fc.constantFrom(...teams.map((t) => t.slug)),
      timeZone: zone,
      layers: fc
        .tuple(
          layer.map(({ restrictions, ...l }) => l),
          fc.array(layer, { maxLength: 1 }),
        )
        .map(([first, rest]) => [first, ...rest]),
      overrides: fc
        .array(
          fc.record({
            user: fc.constantFrom(...refs),
            window: future,
            reason: fc.option(title, { nil: undefined }),
          }),
          { maxLength: 2 },
        )
        .map((list) => (list.length ? list.map(({ window, ...o }) => ({ ...o, ...window })) : undefined)),
    },
    { requiredKeys: ["name", "timeZone", "layers"] },
  );
  return fc.uniqueArray(schedule, { maxLength: 3, selector: (s) => s.name });
}

function policiesArb(
  users: UserDoc[],
  teams: TeamDoc[],
  schedules: ScheduleDoc[],
): fc.Arbitrary<EscalationPolicyDoc[]> {
  const target = fc.oneof(
    fc.constantFrom(...users.map((u) => ({ user: refOf(u) }))),
    ...(schedules.length ? [fc.constantFrom(...schedules.map((s) => ({ schedule: s.name })))] : []),
  );
  const policy = fc.record(
    {
      name: title,
      team: fc.constantFrom(...teams.map((t) => t.slug)),
      description: title,
      levels: fc.array(
        fc.record({
          timeoutMinutes: fc.integer({ min: 1, max: 60 }),
          targets: fc.array(target, { minLength: 1, maxLength: 2 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      repeat: fc.integer({ min: 0, max: 3 }),
      ackTimeoutMinutes: fc.integer({ min: 1, max: 120 }),
      businessHours: fc.record({
        timeZone: zone,
        days,
        start: fc.constant("08:00"),
        end: fc.constant("18:00"),
      }),
    },
    { requiredKeys: ["name", "levels", "repeat"] },
  );
  return fc.uniqueArray(policy, { maxLength: 2, selector: (p) => p.name });
}

function servicesArb(teams: TeamDoc[], policies: EscalationPolicyDoc[]): fc.Arbitrary<ServiceDoc[]> {
  if (!policies.length) return fc.constant([]);
  const integration = fc.record(
    {
      name: word,
      mapping: fc.record(
        { summary: word, dedupKey: word, severity: word },
        { requiredKeys: ["summary", "dedupKey"] },
      ),
      silenceMinutes: fc.integer({ min: 1, max: 10080 }),
    },
    { requiredKeys: ["name"] },
  );
  const service = fc.record(
    {
      name: word,
      team: fc.constantFrom(...teams.map((t) => t.slug)),
      description: title,
      escalationPolicy: fc.constantFrom(...policies.map((p) => p.name)),
      groupingWindowMinutes: fc.integer({ min: 1, max: 10080 }),
      flapChanges: fc.integer({ min: 2, max: 10 }),
      flapWindowMinutes: fc.integer({ min: 1, max: 120 }),
      integrations: fc.uniqueArray(integration, { maxLength: 2, selector: (i) => i.name }),
      maintenance: fc
        .array(fc.record({ window: future, reason: fc.option(title, { nil: undefined }) }), { maxLength: 1 })
        .map((list) => (list.length ? list.map(({ window, ...m }) => ({ ...m, ...window })) : undefined)),
    },
    { requiredKeys: ["name", "escalationPolicy"] },
  );
  return fc.uniqueArray(service, { maxLength: 3, selector: (s) => s.name });
}

function statusPagesArb(teams: TeamDoc[]): fc.Arbitrary<StatusPageDoc[]> {
  const component = fc.record(
    {
      name: title,
      description: title,
      showcase: fc.boolean(),
      onlyShowIfDegraded: fc.boolean(),
      startDate: fc.integer({ min: 1, max: 28 }).map((d) => `2025-06-${String(d).padStart(2, "0")}`),
    },
    { requiredKeys: ["name"] },
  );
  const components = fc
    .tuple(
      fc.uniqueArray(component, { maxLength: 3, selector: (c) => c.name }),
      fc.option(title, { nil: undefined }),
    )
    .map(([list, group]) => {
      if (!group || list.some((c) => c.name === group)) return list;
      // One group holding the first component, placed before it.
      const [first, ...rest] = list;
      return first ? [{ name: group, isGroup: true }, { ...first, group }, ...rest] : list;
    });
  const page = fc.record(
    {
      slug: word,
      name: title,
      team: fc.constantFrom(...teams.map((t) => t.slug)),
      timeZone: zone,
      components,
    },
    { requiredKeys: ["slug", "name", "timeZone", "components"] },
  );
  return fc
    .uniqueArray(page, { maxLength: 1, selector: (p) => p.slug })
    .map((pages) => [
      { slug: "default", name: "Status", timeZone: "UTC", components: [] },
      ...pages.filter((p) => p.slug !== "default"),
    ]);
}

/** A document valid on an empty server. */
export const documentArb: fc.Arbitrary<ConfigDocument> = usersArb.chain((users) =>
  teamsArb(users).chain((teams) =>
    schedulesArb(users, teams).chain((schedules) =>
      policiesArb(users, teams, schedules).chain((escalationPolicies) =>
        fc
          .tuple(servicesArb(teams, escalationPolicies), statusPagesArb(teams))
          .map(([services, statusPages]) => ({
            version: 1 as const,
            users,
            teams,
            schedules,
            escalationPolicies,
            services,
            statusPages,
          })),
      ),
    ),
  ),
);
