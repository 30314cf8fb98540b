/**
 * The Opsgenie importer on recorded answers of Opsgenie's REST API (test/fixtures/opsgenie): users
 * over three pages, teams, two schedules in Berlin and New York whose clocks change inside the
 * checked 4 weeks (a two-rotation schedule, a weekday-and-time-of-day restriction with gaps, an
 * override), escalations, services, integrations and maintenance. The on-call comparison uses the
 * on-call core's own final schedule against Opsgenie's rendered timeline, hour by hour.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigDocument } from "../../src/config/document.ts";
import { mapOpsgenie, opsgenieImporter } from "../../src/importers/opsgenie.ts";
import { type OpsgenieAccount, readOpsgenie } from "../../src/importers/opsgenie-api.ts";
import { directorySource, httpSource, SourceError } from "../../src/importers/source.ts";
import type { ImportResult } from "../../src/importers/types.ts";
import { finalSchedule } from "../../src/oncall/model.ts";
import { fixtureDir, type Replay, startOpsgenieReplay } from "../fixtures/opsgenie/replay.ts";

const window = { from: new Date("2027-03-08T00:00:00Z"), until: new Date("2027-04-05T00:00:00Z") };
const HALF_HOUR = 30 * 60_000;

/** Who the document's schedules have on call at `t`, people by reference, as the server computes it. */
function firebreakOnCall(doc: ConfigDocument, names: string[], t: Date): string[] {
  const refs = doc.users.map((u) => u.email ?? u.username);
  const idOf = (ref: string) => {
    const i = refs.indexOf(ref);
    if (i < 0) throw new Error(`unknown person ${ref}`);
    return i + 1;
  };
  const out = new Set<string>();
  for (const name of names) {
    const s = doc.schedules.find((x) => x.name === name);
    if (!s) throw new Error(`no schedule ${name}`);
    const shifts = finalSchedule(
      {
        name: s.name,
        timeZone: s.timeZone,
        layers: s.layers.map((l) => ({ ...l, participants: l.participants.map(idOf) })),
        overrides: (s.overrides ?? []).map((o) => ({
          userId: idOf(o.user),
          start: new Date(o.start),
          end: new Date(o.end),
        })),
      },
      t,
      new Date(t.getTime() + 1),
    );
    for (const x of shifts) out.add(refs[x.userId - 1]!);
  }
  return [...out].sort();
}

describe("Opsgenie importer on recorded answers", () => {
  let result: ImportResult;
  beforeAll(async () => {
    result = await opsgenieImporter.read(directorySource(fixtureDir), window);
  });
  const reasons = (kind: string) =>
    result.unmapped.filter((u) => u.kind === kind).map((u) => `${u.name}: ${u.reason}`);

  it("reads every page of users and maps roles (owner/admin → admin, user → responder, others → viewer)", () => {
    expect(result.document.users.map((u) => [u.email, u.role])).toEqual([
      ["alice@example.com", "admin"],
      ["bob@example.com", "admin"],
      ["carol@example.com", "responder"],
      ["dave@example.com", "responder"],
      ["erin@example.com", "responder"],
      ["frank@example.com", "viewer"],
      ["grace@example.com", "responder"],
    ]);
    expect(result.document.users[0]).toMatchObject({ username: "alice", name: "Alice Adams" });
  });

  it("maps teams with their members' roles", () => {
    expect(result.document.teams).toEqual([
      {
        slug: "ops",
        name: "Ops",
        members: [
          { user: "alice@example.com", role: "admin" },
          { user: "bob@example.com", role: "responder" },
          { user: "carol@example.com", role: "responder" },
          { user: "dave@example.com", role: "responder" },
        ],
      },
      {
        slug: "payments",
        name: "Payments",
        members: [
          { user: "erin@example.com", role: "admin" },
          { user: "grace@example.com", role: "responder" },
          { user: "frank@example.com", role: "responder" },
        ],
      },
    ]);
  });

  it("splits a schedule whose rotations are on call at once, one Firebreak schedule per rotation", () => {
    const names = result.document.schedules.map((s) => s.name);
    expect(names).toEqual(["Ops_Schedule / Rotation 1", "Ops_Schedule / Rotation 2", "Payments_Schedule"]);
    const [r1, r2] = result.document.schedules;
    expect(r1!.layers).toEqual([
      {
        name: "Rotation 1",
        timeZone: "Europe/Berlin",
        participants: ["alice@example.com", "bob@example.com", "carol@example.com"],
        shiftLength: { unit: "weeks", count: 1 },
        start: "2027-02-01T09:00",
      },
    ]);
    expect(r2!.layers[0]).toMatchObject({
      shiftLength: { unit: "days", count: 1 },
      start: "2027-02-01T18:00",
      restrictions: [{ days: [1, 2, 3, 4, 5, 6, 7], start: "18:00", end: "08:00" }],
    });
    // The override names Rotation 1 only; the one that ended in February is history.
    expect(r1!.overrides).toEqual([
      {
        user: "bob@example.com",
        start: "2027-03-10T12:00:00.000Z",
        end: "2027-03-11T12:00:00.000Z",
        reason: "Opsgenie override swap-bob-march",
      },
    ]);
    expect(r2!.overrides).toBeUndefined();
    expect(result.onCall.find((o) => o.source.name === "Ops_Schedule")?.schedules).toEqual([
      "Ops_Schedule / Rotation 1",
      "Ops_Schedule / Rotation 2",
    ]);
  });

  it("keeps rotations that never meet as layers of one schedule; weekday restrictions and gap turns become windows", () => {
    const payments = result.document.schedules.find((s) => s.name === "Payments_Schedule")!;
    expect(payments.layers.map((l) => l.name)).toEqual(["Weekdays", "Nights"]);
    // Monday 08:00–09:00 is still Sunday's turn, which has nobody; the weekend window falls in gaps.
    expect(payments.layers[0]!.restrictions).toEqual([
      { days: [1], start: "09:00", end: "20:00" },
      { days: [2, 3, 4, 5], start: "08:00", end: "20:00" },
    ]);
    expect(payments.layers[1]).toMatchObject({
      shiftLength: { unit: "hours", count: 12 },
      start: "2027-01-03T20:00",
      restrictions: [{ days: [1, 2, 3, 4, 5, 6, 7], start: "20:00", end: "08:00" }],
    });
  });

  it("has the same people on call as Opsgenie's timeline at every half hour of the 4 weeks, across both clock changes", () => {
    let compared = 0;
    for (const source of result.onCall) {
      expect(source.shifts.length).toBeGreaterThan(20);
      for (let t = window.from.getTime(); t < window.until.getTime(); t += HALF_HOUR) {
        const expected = [
          ...new Set(
            source.shifts.filter((s) => s.start.getTime() <= t && t < s.end.getTime()).map((s) => s.user),
          ),
        ].sort();
        expect({
          at: new Date(t).toISOString(),
          who: firebreakOnCall(result.document, source.schedules, new Date(t)),
        }).toEqual({
          at: new Date(t).toISOString(),
          who: expected,
        });
        compared++;
      }
    }
    expect(compared).toBe(2 * 28 * 48);
    // Spot checks against the timeline's own words: two people at once in the Ops schedule…
    const ops = result.onCall.find((o) => o.source.name === "Ops_Schedule")!;
    expect(firebreakOnCall(result.document, ops.schedules, new Date("2027-03-09T20:00:00Z"))).toEqual([
      "carol@example.com",
      "dave@example.com",
    ]);
    // …and the New York night hand-off moved an hour later on the wall clock after March 14.
    const pay = result.onCall.find((o) => o.source.name === "Payments_Schedule")!;
    expect(firebreakOnCall(result.document, pay.schedules, new Date("2027-03-16T00:30:00Z"))).toEqual([
      "erin@example.com",
    ]);
  });

  it("turns cumulative delays into per-level timeouts, merging rules with the same delay", () => {
    const ops = result.document.escalationPolicies.find((p) => p.name === "Ops_escalation")!;
    expect(ops).toMatchObject({ team: "ops", repeat: 2 });
    expect(ops.levels).toEqual([
      {
        timeoutMinutes: 5,
        targets: [{ schedule: "Ops_Schedule / Rotation 1" }, { schedule: "Ops_Schedule / Rotation 2" }],
      },
      { timeoutMinutes: 10, targets: [{ user: "bob@example.com" }, { user: "alice@example.com" }] },
      {
        // the repeat's wait after the last rule
        timeoutMinutes: 10,
        targets: [
          { user: "alice@example.com" },
          { user: "bob@example.com" },
          { user: "carol@example.com" },
          { user: "dave@example.com" },
        ],
      },
    ]);
    const payments = result.document.escalationPolicies.find((p) => p.name === "Payments_escalation")!;
    expect(payments.levels).toEqual([
      { timeoutMinutes: 30, targets: [{ schedule: "Payments_Schedule" }] },
      { timeoutMinutes: 30, targets: [{ user: "erin@example.com" }] },
    ]);
  });

  it("lists every escalation rule it could not translate, with the reason", () => {
    expect(reasons("escalation rule")).toEqual([
      expect.stringMatching(/^Payments_escalation rule 2: condition if-not-closed/),
      expect.stringMatching(
        /^Payments_escalation rule 2: notifies team Ops through its routing.*Ops_escalation/,
      ),
      expect.stringMatching(/^Payments_escalation rule 3: notifies the next person on call/),
    ]);
    expect(reasons("escalation")).toEqual([
      expect.stringMatching(/^Stakeholders: its first rule waits 3 minutes/),
    ]);
  });

  it("gives each team's integrations to the team's service, or one named after the team, with the cut-over list", () => {
    const services = result.document.services;
    expect(
      services.map((s) => [s.name, s.team, s.escalationPolicy, s.integrations?.map((i) => i.name)]),
    ).toEqual([
      ["Checkout API", "payments", "Payments_escalation", ["Prometheus"]],
      ["Ops", "ops", "Ops_escalation", ["Default API"]],
    ]);
    expect(result.cutOver).toEqual([
      {
        service: "Checkout API",
        integration: "Prometheus",
        source: { id: "c2c2c2c2-0000-4000-8000-000000000001", name: "Prometheus", type: "Prometheus" },
      },
      {
        service: "Ops",
        integration: "Default API",
        source: { id: "c2c2c2c2-0000-4000-8000-000000000002", name: "Default API", type: "API" },
      },
    ]);
    expect(reasons("integration")).toEqual([expect.stringMatching(/^Email \(Email\): belongs to no team/)]);
    expect(reasons("service")).toEqual([
      expect.stringMatching(/^Orphaned service: its team .* is not among/),
    ]);
  });

  it("imports scheduled maintenance on integrations and lists the rest", () => {
    expect(result.document.services[0]!.maintenance).toEqual([
      { start: "2027-03-12T22:00:00.000Z", end: "2027-03-13T02:00:00.000Z", reason: "Database upgrade" },
    ]);
    expect(reasons("maintenance")).toEqual([
      expect.stringMatching(/^Until the migration is done: time type indefinitely/),
      expect.stringMatching(/^Quiet the Ops policy: applies to policy/),
    ]);
  });
});

describe("Opsgenie's REST API over HTTP", () => {
  let replay: Replay;
  beforeAll(async () => {
    replay = await startOpsgenieReplay("og-test-key");
  });
  afterAll(() => replay.close());

  it("sends the GenieKey and follows paging.next through every page of users", async () => {
    const source = httpSource(replay.url, opsgenieImporter.authHeaders("og-test-key"));
    const result = await opsgenieImporter.read(source, window);
    expect(result.document.users).toHaveLength(7);
    expect(replay.requests.filter((r) => r.startsWith("GET /v2/users"))).toEqual([
      "GET /v2/users?limit=100&offset=0",
      "GET /v2/users?limit=3&offset=3",
      "GET /v2/users?limit=3&offset=6",
    ]);
    expect(replay.requests).toContain("GET /v2/schedules?expand=rotation");
    expect(replay.requests).toContain(
      "GET /v2/schedules/d0d0d0d0-0000-4000-8000-000000000051/timeline?date=2027-03-08T00%3A00%3A00.000Z&identifierType=id&interval=5&intervalUnit=weeks",
    );
    expect(result.document).toEqual(
      (await opsgenieImporter.read(directorySource(fixtureDir), window)).document,
    );
  });

  it("says which request failed when the key is refused", async () => {
    const source = httpSource(replay.url, opsgenieImporter.authHeaders("wrong"));
    const err = await opsgenieImporter.read(source, window).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect(String((err as Error).message)).toMatch(/GET .*\/v2\/users\?limit=100&offset=0: HTTP 401/);
  });

  it("names the request and field when an answer is not in Opsgenie's shape", async () => {
    const source = {
      origin: "memory",
      async get(path: string) {
        if (path === "/v2/users") return { data: [{ id: "u1" }], paging: {} };
        return { data: [] };
      },
    };
    await expect(opsgenieImporter.read(source, window)).rejects.toThrow(
      /GET \/v2\/users .*data\.0: .*username/,
    );
  });
});

describe("Opsgenie mapping, cases beyond the recorded account", () => {
  let base: OpsgenieAccount;
  beforeAll(async () => {
    base = await readOpsgenie(directorySource(fixtureDir), window);
  });
  const clone = (): OpsgenieAccount => structuredClone(base);
  const TEAM_OPS = "b3c1d2e4-0000-4000-8000-00000000a001";
  const TEAM_PAY = "b3c1d2e4-0000-4000-8000-00000000a002";

  it("stands a team's escalation in for its routing when it notifies everyone at once", () => {
    const account = clone();
    const payments = account.escalations.find((e) => e.name === "Payments_escalation")!;
    payments.rules = payments.rules.filter((r) => r.delay.timeAmount === 0);
    const stakeholders = account.escalations.find((e) => e.name === "Stakeholders")!;
    stakeholders.rules = [
      {
        condition: "if-not-acked",
        notifyType: "default",
        delay: { timeAmount: 0, timeUnit: "minutes" },
        recipient: { type: "team", id: TEAM_PAY, name: "Payments" },
      },
    ];
    const result = mapOpsgenie(account, window);
    expect(result.document.escalationPolicies.find((p) => p.name === "Stakeholders")?.levels).toEqual([
      { timeoutMinutes: 30, targets: [{ schedule: "Payments_Schedule" }] },
    ]);
  });

  it("leaves out escalation rules to a schedule that could not be imported, and caps repeats at 9", () => {
    const account = clone();
    const ops = account.schedules.find((s) => s.name === "Ops_Schedule")!;
    for (const r of ops.rotations) r.participants = [{ type: "team", id: TEAM_OPS, name: "Ops" }];
    account.escalations.find((e) => e.name === "Ops_escalation")!.repeat = { waitInterval: 5, count: 20 };
    const result = mapOpsgenie(account, window);
    expect(result.document.schedules.map((s) => s.name)).toEqual(["Payments_Schedule"]);
    const unmapped = result.unmapped.map((u) => `${u.kind} ${u.name}: ${u.reason}`);
    expect(unmapped).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^schedule rotation Ops_Schedule \/ Rotation 1: team Ops takes turns as a team/,
        ),
        expect.stringMatching(/^schedule Ops_Schedule: none of its rotations could be imported/),
        expect.stringMatching(
          /^escalation rule Ops_escalation rule 1: schedule Ops_Schedule was not imported/,
        ),
        expect.stringMatching(
          /^escalation Ops_escalation: repeats 20 times; Firebreak repeats a policy at most 9/,
        ),
      ]),
    );
    const policy = result.document.escalationPolicies.find((p) => p.name === "Ops_escalation")!;
    expect(policy.repeat).toBe(9);
    expect(policy.levels.map((l) => l.timeoutMinutes)).toEqual([10, 5]);
    // The source still has people on call in it: the check will show every hour as different.
    expect(result.onCall.find((o) => o.source.name === "Ops_Schedule")?.schedules).toEqual([]);
  });

  it("says when maintenance on one integration now covers a service with other keys", () => {
    const account = clone();
    account.integrations.push({ id: "c2c2-extra", name: "Grafana", type: "Grafana", teamId: TEAM_PAY });
    const result = mapOpsgenie(account, window);
    expect(result.document.services[0]!.integrations).toEqual([{ name: "Prometheus" }, { name: "Grafana" }]);
    expect(result.unmapped).toContainEqual(
      expect.objectContaining({
        kind: "maintenance",
        reason: expect.stringMatching(
          /covers integration .* only; in Firebreak it covers all of service Checkout API/,
        ),
      }),
    );
  });

  it("refuses a paging.next that goes back to a page already read", async () => {
    const source = {
      origin: "memory",
      async get(path: string) {
        if (path === "/v2/users") {
          return {
            data: [{ id: "u1", username: "a@example.com" }],
            paging: { next: "/v2/users?limit=100&offset=0" },
          };
        }
        return { data: [] };
      },
    };
    await expect(readOpsgenie(source, window)).rejects.toThrow(/paging\.next repeats offset 0/);
  });
});
