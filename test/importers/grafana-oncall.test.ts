/**
 * The Grafana OnCall importer on recorded API answers (test/fixtures/grafana-oncall, OnCall's
 * documented shapes): users and shifts over two pages, final shifts over two pages, schedules in
 * Europe/Berlin and Australia/Sydney whose clocks change inside the 4 weeks, a weekly shift on
 * weekdays only, an override, a two-level schedule, a group of two on call together.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configDocument } from "../../src/config/document.ts";
import { grafanaOnCallImporter, mapSetUp, slugOf } from "../../src/importers/grafana-oncall.ts";
import { type OnCallSetUp, type OnCallShift, readSetUp } from "../../src/importers/grafana-oncall-api.ts";
import { directorySource, httpSource, SourceError } from "../../src/importers/source.ts";
import type { ImportResult } from "../../src/importers/types.ts";
import { finalSchedule } from "../../src/oncall/model.ts";
import { type OnCallReplay, startOnCallReplay } from "../fixtures/grafana-oncall/replay.ts";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/grafana-oncall");
const WINDOW = { from: new Date("2027-03-22T00:00:00Z"), until: new Date("2027-04-19T00:00:00Z") };
const TOKEN = "c2VjcmV0LW9uY2FsbC10b2tlbg";

let replay: OnCallReplay;
let result: ImportResult;

beforeAll(async () => {
  replay = await startOnCallReplay(FIXTURES, TOKEN);
  result = await grafanaOnCallImporter.read(directorySource(FIXTURES), WINDOW);
});
afterAll(() => replay.close());

const schedule = (name: string) => result.document.schedules.find((s) => s.name === name);

describe("reading OnCall's API", () => {
  it("reads every page of users, shifts and final shifts", async () => {
    const setUp = await readSetUp(directorySource(FIXTURES), WINDOW);
    expect(setUp.users.map((u) => u.username)).toEqual(["alice", "bob", "carol", "dave", "erin", "frank"]);
    expect(setUp.shifts).toHaveLength(6);
    // The Database schedule's final shifts come in two pages of at most 40.
    expect(setUp.finalShifts.get("SDATABASE5M3X")!.length).toBeGreaterThan(40);
  });

  it("sends the token as OnCall's Authorization header and follows next links whatever their host", async () => {
    replay.requests.length = 0;
    const source = httpSource(replay.url, grafanaOnCallImporter.authHeaders(TOKEN));
    const overHttp = await grafanaOnCallImporter.read(source, WINDOW);
    expect(overHttp).toEqual(result);
    // The recorded next links name oncall.example:8080; the pages were asked of the replay.
    expect(replay.requests).toContain("GET /api/v1/users/?page=2");
    expect(replay.requests).toContain("GET /api/v1/on_call_shifts/?page=2");
    expect(replay.requests).toContain(
      "GET /api/v1/schedules/SDATABASE5M3X/final_shifts/?end_date=2027-04-19&page=2&start_date=2027-03-22",
    );
  });

  it("fails naming the request when the token is refused", async () => {
    const source = httpSource(replay.url, grafanaOnCallImporter.authHeaders("wrong"));
    const failure = grafanaOnCallImporter.read(source, WINDOW);
    await expect(failure).rejects.toThrow(SourceError);
    await expect(failure).rejects.toThrow(/HTTP 401.*Invalid token/);
  });
});

describe("mapping", () => {
  it("makes a valid configuration document", () => {
    expect(configDocument.safeParse(result.document).success).toBe(true);
  });

  it("maps users by email with their roles, and teams with their members", () => {
    expect(result.document.users.map((u) => [u.email, u.role])).toEqual([
      ["alice@example.com", "admin"],
      ["bob@example.com", "responder"],
      ["carol@example.com", "responder"],
      ["dave@example.com", "responder"],
      ["erin@example.com", "responder"],
      ["frank@example.com", "viewer"],
    ]);
    expect(result.document.teams).toEqual([
      {
        slug: "platform",
        name: "Platform",
        members: [
          { user: "alice@example.com", role: "admin" },
          { user: "bob@example.com", role: "responder" },
          { user: "carol@example.com", role: "responder" },
        ],
      },
      {
        slug: "database",
        name: "Database",
        members: [
          { user: "dave@example.com", role: "responder" },
          { user: "erin@example.com", role: "responder" },
        ],
      },
    ]);
  });

  it("orders a schedule's shifts by level, the higher level last (Firebreak's later layer wins)", () => {
    const platform = schedule("Platform primary")!;
    expect(platform.team).toBe("platform");
    expect(platform.timeZone).toBe("Europe/Berlin");
    expect(platform.layers).toEqual([
      {
        name: "Platform weekly",
        timeZone: "Europe/Berlin",
        participants: ["alice@example.com", "bob@example.com", "carol@example.com"],
        shiftLength: { unit: "weeks", count: 1 },
        start: "2027-03-01T09:00",
      },
      {
        // start_rotation_from_user_index 1: bob first.
        name: "Platform business hours",
        timeZone: "Europe/Berlin",
        participants: ["bob@example.com", "carol@example.com"],
        shiftLength: { unit: "weeks", count: 1 },
        start: "2027-03-01T09:00",
        restrictions: [{ days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" }],
      },
    ]);
    // 12:00 in Berlin on 30 March is summer time (UTC+2).
    expect(platform.overrides).toEqual([
      {
        user: "carol@example.com",
        start: "2027-03-30T10:00:00.000Z",
        end: "2027-03-30T16:00:00.000Z",
        reason: "OnCall Platform primary-override-99-qzkvn",
      },
    ]);
  });

  it("splits a group on call together into one schedule per person at a time", () => {
    expect(schedule("Database")!.layers.map((l) => l.participants)).toEqual([
      ["dave@example.com", "bob@example.com"],
      ["alice@example.com"],
    ]);
    expect(schedule("Database (2)")!.layers.map((l) => l.participants)).toEqual([
      ["erin@example.com", "bob@example.com"],
      ["alice@example.com"],
    ]);
    expect(schedule("Database")!.layers[1]).toMatchObject({
      timeZone: "Australia/Sydney",
      start: "2027-03-06T10:00",
      restrictions: [{ days: [6, 7], start: "10:00", end: "14:00" }],
    });
    expect(result.onCall.map((o) => [o.source.name, o.schedules])).toEqual([
      ["Platform primary", ["Platform primary"]],
      ["Database", ["Database", "Database (2)"]],
    ]);
  });

  it("turns escalation chains into policies: waits are the levels' timeouts", () => {
    expect(result.document.escalationPolicies).toEqual([
      {
        name: "Platform critical",
        team: "platform",
        levels: [
          { timeoutMinutes: 15, targets: [{ schedule: "Platform primary" }] },
          { timeoutMinutes: 30, targets: [{ user: "alice@example.com" }, { user: "bob@example.com" }] },
        ],
        repeat: 5,
      },
      {
        name: "Database",
        team: "database",
        levels: [
          { timeoutMinutes: 5, targets: [{ schedule: "Database" }, { schedule: "Database (2)" }] },
          // notify_team_members: the Database team's members.
          { timeoutMinutes: 1, targets: [{ user: "dave@example.com" }, { user: "erin@example.com" }] },
        ],
        repeat: 0,
      },
    ]);
  });

  it("makes a service per integration, lists it for the cut-over and keeps unfinished maintenance", () => {
    expect(result.document.services.map((s) => [s.name, s.escalationPolicy, s.integrations])).toEqual([
      ["Alertmanager production", "Platform critical", [{ name: "Alertmanager production" }]],
      ["Grafana Alerting database", "Database", [{ name: "Grafana Alerting database" }]],
    ]);
    expect(result.document.services[0]!.maintenance).toEqual([
      {
        start: "2027-03-21T20:00:00.000Z",
        end: "2027-03-22T06:00:00.000Z",
        reason: "OnCall maintenance mode",
      },
    ]);
    expect(result.document.services[1]!.maintenance).toBeUndefined();
    expect(result.cutOver).toEqual([
      {
        service: "Alertmanager production",
        integration: "Alertmanager production",
        source: {
          id: "CALERTMGR3P8Q",
          name: "Alertmanager production",
          type: "alertmanager",
          link: "http://oncall.example:8080/integrations/v1/alertmanager/mReAoNwDm0eMwKo1mTeTwYo/",
        },
      },
      {
        service: "Grafana Alerting database",
        integration: "Grafana Alerting database",
        source: {
          id: "CGRAFANA7W4N1",
          name: "Grafana Alerting database",
          type: "grafana_alerting",
          link: "http://oncall.example:8080/integrations/v1/grafana_alerting/Zt8qLp2WxYv5NcRb7JkHs3Df/",
        },
      },
    ]);
  });

  it("lists everything it could not translate, with the reason", () => {
    expect(result.unmapped.map((u) => [u.kind, u.id])).toEqual([
      ["schedule", "SLEGACY8W1N4R"],
      ["shift", "OMONTHLY8F3J6"],
      ["schedule", "SMONTHLY3B6T9"],
      ["escalation step", "EP3PERSONS5X8"],
      ["escalation step", "ED2HOOK6R4W8K"],
      ["escalation step", "ED5NEXT4Y9B3H"],
      ["route", "RGACRIT4B9X2P"],
      ["integration", "CWEBHOOK2J6T8"],
    ]);
    const reason = (id: string) => result.unmapped.find((u) => u.id === id)!.reason;
    expect(reason("SLEGACY8W1N4R")).toMatch(/iCal schedule.*calendar\.example\.com/);
    expect(reason("OMONTHLY8F3J6")).toMatch(/days of the month/);
    expect(reason("EP3PERSONS5X8")).toMatch(/important notification rules/);
    expect(reason("ED2HOOK6R4W8K")).toMatch(/outgoing webhook/);
    expect(reason("ED5NEXT4Y9B3H")).toMatch(/round robin/);
    expect(reason("RGACRIT4B9X2P")).toMatch(
      /severity="critical".*"Platform critical".*one escalation policy/,
    );
    expect(reason("CWEBHOOK2J6T8")).toMatch(/no escalation chain/);
  });
});

type Span = [number, number];

/** Each person's on-call time as sorted, merged spans: the same people in several slots count once. */
function byPerson(shifts: { user: string; start: Date; end: Date }[]): Record<string, Span[]> {
  const out: Record<string, Span[]> = {};
  for (const s of shifts) {
    out[s.user] = [...(out[s.user] ?? []), [s.start.getTime(), s.end.getTime()]];
  }
  for (const [user, spans] of Object.entries(out)) {
    spans.sort((a, b) => a[0] - b[0]);
    const merged: Span[] = [];
    for (const [start, end] of spans) {
      const last = merged.at(-1);
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else merged.push([start, end]);
    }
    out[user] = merged;
  }
  return out;
}

describe("on call in the imported schedules", () => {
  /** What the document's schedules have on call over the window, as the server computes it. */
  function firebreakShifts(names: string[]) {
    const users = result.document.users.map((u) => u.email ?? u.username);
    return names.flatMap((name) => {
      const s = schedule(name)!;
      const id = (ref: string) => users.indexOf(ref) + 1;
      const computed = finalSchedule(
        {
          name: s.name,
          timeZone: s.timeZone,
          layers: s.layers.map((l) => ({ ...l, participants: l.participants.map(id) })),
          overrides: (s.overrides ?? []).map((o) => ({
            userId: id(o.user),
            start: new Date(o.start),
            end: new Date(o.end),
          })),
        },
        WINDOW.from,
        WINDOW.until,
      );
      return computed.map((x) => ({ user: users[x.userId - 1]!, start: x.start, end: x.end }));
    });
  }

  it("matches OnCall's final shifts to the minute, across both clock changes", () => {
    expect(result.onCall).toHaveLength(2);
    for (const source of result.onCall) {
      expect(byPerson(firebreakShifts(source.schedules)), source.source.name).toEqual(
        byPerson(source.shifts),
      );
    }
  });

  it("hands over at the local time on both sides of each clock change", () => {
    const span = (shifts: { user: string; start: Date; end: Date }[], user: string, start: string) =>
      shifts.find((s) => s.user === user && s.start.toISOString() === start)?.end.toISOString();
    const platform = result.onCall[0]!.shifts;
    // Business hours end at 17:00 Berlin (16:00Z in winter time); the week hands over on Monday
    // 09:00 Berlin, which is 07:00Z after the clocks went forward on 28 March.
    expect(span(platform, "alice@example.com", "2027-03-26T16:00:00.000Z")).toBe("2027-03-29T07:00:00.000Z");
    expect(span(platform, "bob@example.com", "2027-03-29T07:00:00.000Z")).toBe("2027-03-30T10:00:00.000Z");
    expect(span(platform, "carol@example.com", "2027-03-30T10:00:00.000Z")).toBe("2027-03-30T16:00:00.000Z");
    const database = result.onCall[1]!.shifts;
    // 08:00 Sydney is 21:00Z in summer time and 22:00Z from 4 April; Saturday 10:00-14:00 is alice's.
    expect(span(database, "bob@example.com", "2027-04-02T21:00:00.000Z")).toBe("2027-04-02T23:00:00.000Z");
    expect(span(database, "alice@example.com", "2027-04-02T23:00:00.000Z")).toBe("2027-04-03T03:00:00.000Z");
    expect(span(database, "bob@example.com", "2027-04-03T03:00:00.000Z")).toBe("2027-04-03T22:00:00.000Z");
    expect(span(database, "erin@example.com", "2027-04-03T22:00:00.000Z")).toBe("2027-04-04T00:00:00.000Z");
    // The imported schedule agrees (Firebreak splits a shift where its layer changes, hence merged).
    const imported = byPerson(firebreakShifts(["Platform primary"]));
    expect(imported["bob@example.com"]).toContainEqual([
      Date.parse("2027-03-29T07:00:00Z"),
      Date.parse("2027-03-30T10:00:00Z"),
    ]);
  });
});

describe("mapping the edges", () => {
  const base = (): OnCallSetUp => ({
    users: [
      { id: "UA", email: "a@example.com", username: "a", role: "editor", teams: [] },
      { id: "UB", email: "b@example.com", username: "b", role: null, teams: [] },
    ],
    teams: [],
    schedules: [
      { id: "S1", name: "Edge", type: "calendar", time_zone: "UTC", shifts: [], ical_url_overrides: null },
    ],
    shifts: [],
    finalShifts: new Map(),
    chains: [],
    steps: [],
    integrations: [],
    routes: [],
  });
  const weekly = (id: string, fields: Partial<OnCallShift> = {}): OnCallShift => ({
    id,
    name: id,
    type: "rolling_users",
    level: 0,
    start: "2027-03-01T00:00:00",
    duration: 604800,
    frequency: "weekly",
    interval: 1,
    week_start: "MO",
    rolling_users: [["UA"], ["UB"]],
    ...fields,
  });
  const withShifts = (shifts: OnCallShift[], fields: Partial<OnCallSetUp["schedules"][number]> = {}) => {
    const setUp = base();
    setUp.shifts = shifts;
    setUp.schedules[0] = { ...setUp.schedules[0]!, shifts: shifts.map((s) => s.id), ...fields };
    return mapSetUp(setUp, WINDOW);
  };
  const reasonFor = (r: ImportResult, id: string) => r.unmapped.find((u) => u.id === id)?.reason;

  it("imports a user without a known role as a viewer, and says so", () => {
    const r = mapSetUp(base(), WINDOW);
    expect(r.document.users.find((u) => u.username === "b")?.role).toBe("viewer");
    expect(reasonFor(r, "UB")).toMatch(/role null.*viewer/);
  });

  it("leaves out ended rotations and lists the end of one still running", () => {
    const r = withShifts([
      weekly("ENDED", { until: "2027-03-10T00:00:00" }),
      weekly("ENDING", { until: "2027-05-01T00:00:00", level: 1 }),
    ]);
    expect(reasonFor(r, "ENDED")).toMatch(/ended at 2027-03-10T00:00:00.000Z/);
    expect(reasonFor(r, "ENDING")).toMatch(/ends at 2027-05-01T00:00:00.000Z.*do not end/);
    expect(r.document.schedules[0]!.layers.map((l) => l.name)).toEqual(["ENDING"]);
  });

  it("makes a one-off shift on the top level an override, and refuses one under a higher level", () => {
    const single = (id: string, level: number): OnCallShift => ({
      id,
      name: id,
      type: "single_event",
      level,
      start: "2027-03-25T10:00:00",
      duration: 3600,
      users: ["UB"],
    });
    const r = withShifts([weekly("ROT", { level: 1 }), single("TOP", 1), single("LOW", 0)]);
    expect(r.document.schedules[0]!.overrides).toEqual([
      expect.objectContaining({ user: "b@example.com", start: "2027-03-25T10:00:00.000Z" }),
    ]);
    expect(reasonFor(r, "LOW")).toMatch(/below a higher level/);
  });

  it("refuses an override where no rotation has anyone on call, and a rotation naming an unknown user", () => {
    const r = withShifts([
      weekly("DAYS", { duration: 8 * 3600, by_day: ["MO"], start: "2027-03-01T09:00:00" }),
      weekly("GHOST", { rolling_users: [["UA"], ["UNKNOWN"]] }),
      { id: "OV", name: "OV", type: "override", start: "2027-03-23T20:00:00", duration: 3600, users: ["UB"] },
    ]);
    expect(reasonFor(r, "OV")).toMatch(/outside every rotation's shifts/);
    expect(reasonFor(r, "GHOST")).toMatch(/absent from OnCall's users list: UNKNOWN/);
    expect(r.document.schedules[0]!.overrides).toBeUndefined();
  });

  it("makes team slugs of lowercase letters, digits and dashes", () => {
    expect(slugOf("Équipe Données / SRE", "T1")).toBe("equipe-donnees-sre");
    expect(slugOf("🔥", "TX9")).toBe("tx9");
  });

  it("lists a schedule the API gives no shifts for", () => {
    expect(reasonFor(withShifts([]), "S1")).toMatch(/lists no shifts/);
  });

  it("lists a schedule's overrides calendar", () => {
    const r = withShifts([weekly("ROT")], { ical_url_overrides: "https://cal.example.com/o.ics" });
    expect(r.unmapped).toContainEqual(
      expect.objectContaining({ kind: "schedule overrides calendar", id: "S1" }),
    );
  });

  it("refuses a first step that waits and steps after a repeat; a chain paging nobody is not a policy", () => {
    const setUp = base();
    setUp.chains = [
      { id: "C1", name: "Chain", team_id: null },
      { id: "C2", name: "Hooks only", team_id: null },
    ];
    setUp.steps = [
      { id: "W0", escalation_chain_id: "C1", position: 0, type: "wait", duration: 300 },
      { id: "N1", escalation_chain_id: "C1", position: 1, type: "notify_persons", persons_to_notify: ["UA"] },
      { id: "N2", escalation_chain_id: "C1", position: 2, type: "notify_persons", persons_to_notify: ["UB"] },
      { id: "R3", escalation_chain_id: "C1", position: 3, type: "repeat_escalation" },
      { id: "N4", escalation_chain_id: "C1", position: 4, type: "notify_persons", persons_to_notify: ["UB"] },
      { id: "H0", escalation_chain_id: "C2", position: 0, type: "trigger_webhook", action_to_trigger: "WH" },
    ];
    const r = mapSetUp(setUp, WINDOW);
    // Steps with no wait between them notify at once: one level.
    expect(r.document.escalationPolicies).toEqual([
      {
        name: "Chain",
        levels: [{ timeoutMinutes: 1, targets: [{ user: "a@example.com" }, { user: "b@example.com" }] }],
        repeat: 5,
      },
    ]);
    expect(reasonFor(r, "W0")).toMatch(/before anyone is notified/);
    expect(reasonFor(r, "N4")).toMatch(/after repeat_escalation/);
    expect(reasonFor(r, "C2")).toMatch(/none of its steps/);
  });

  it("keeps maintenance only while it lasts, and lists debug mode", () => {
    const setUp = base();
    setUp.chains = [{ id: "C1", name: "Chain", team_id: null }];
    setUp.steps = [
      { id: "N1", escalation_chain_id: "C1", position: 0, type: "notify_persons", persons_to_notify: ["UA"] },
    ];
    const integration = (id: string, mode: string | null, end: string | null) => ({
      id,
      name: id,
      type: "webhook",
      link: `https://oncall.example.com/integrations/v1/webhook/${id}/`,
      default_route: { id: `R${id}`, escalation_chain_id: "C1" },
      maintenance_mode: mode,
      maintenance_started_at: end ? "2027-03-20T00:00:00Z" : null,
      maintenance_end_at: end,
    });
    setUp.integrations = [
      integration("OVER", "maintenance", "2027-03-21T00:00:00Z"),
      integration("DEBUG", "debug", "2027-03-25T00:00:00Z"),
      integration("NONE", null, null),
    ];
    const r = mapSetUp(setUp, WINDOW);
    expect(r.document.services.map((s) => [s.name, s.maintenance])).toEqual([
      ["OVER", undefined],
      ["DEBUG", undefined],
      ["NONE", undefined],
    ]);
    expect(reasonFor(r, "DEBUG")).toMatch(/debug mode until 2027-03-25/);
  });
});
