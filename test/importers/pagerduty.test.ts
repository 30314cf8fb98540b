/**
 * The PagerDuty importer (issue 19) against recorded REST API v2 responses
 * (test/fixtures/pagerduty, in PagerDuty's documented shapes) replayed by a local server: users in
 * two pages (offset/limit/more), two teams, schedules in New York and Berlin whose 4-week window
 * holds both DST changes, with restrictions, overrides, an ended and a future layer; escalation
 * policies, services with integrations, maintenance windows. Asserts the document, what is listed
 * as not imported, the cut-over list, and that the document's on-call hours match PagerDuty's.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mapAccount, pagerdutyImporter } from "../../src/importers/pagerduty.ts";
import type { PdAccount, PdLayer } from "../../src/importers/pagerduty-api.ts";
import { restrictionWindows, translateLayer } from "../../src/importers/pagerduty-layers.ts";
import { checkWindow, compareOnCall, documentShifts } from "../../src/importers/run-oncall.ts";
import { directorySource, httpSource } from "../../src/importers/source.ts";
import type { ImportResult } from "../../src/importers/types.ts";
import { type PagerDutyReplay, startPagerDutyReplay } from "./pagerduty-server.ts";

const fixtures = new URL("../fixtures/pagerduty", import.meta.url).pathname;
const window = checkWindow(new Date("2026-03-02T10:17:00Z"));
let pd: PagerDutyReplay;
let result: ImportResult;

beforeAll(async () => {
  pd = await startPagerDutyReplay(fixtures);
  result = await pagerdutyImporter.read(
    httpSource(pd.baseUrl, pagerdutyImporter.authHeaders(pd.token)),
    window,
  );
});
afterAll(() => pd?.close());

describe("PagerDuty import: reading the API", () => {
  it("pages through users with offset and limit until more is false", () => {
    const pages = pd.requests.filter((r) => r.path === "/users").map((r) => r.query);
    expect(pages).toEqual([
      { limit: "25", offset: "0" },
      { limit: "25", offset: "25" },
    ]);
    expect(result.document.users).toHaveLength(27);
  });

  it("asks for each schedule over the check's window, and services with their integrations", () => {
    expect(window).toEqual({
      from: new Date("2026-03-02T10:00:00Z"),
      until: new Date("2026-03-30T10:00:00Z"),
    });
    const ps1 = pd.requests.find((r) => r.path === "/schedules/PS1");
    expect(ps1?.query).toEqual({ since: "2026-03-02T10:00:00.000Z", until: "2026-03-30T10:00:00.000Z" });
    expect(pd.requests.find((r) => r.path === "/services")?.query).toMatchObject({
      "include[]": "integrations",
    });
    expect(pd.requests.find((r) => r.path === "/maintenance_windows")?.query).toMatchObject({
      filter: "open",
    });
  });

  it("refuses a wrong token with PagerDuty's answer in the message", async () => {
    const wrong = httpSource(pd.baseUrl, pagerdutyImporter.authHeaders("not-the-token"));
    await expect(pagerdutyImporter.read(wrong, window)).rejects.toThrow(/HTTP 401.*Unauthorized/);
  });

  it("reads the same from a directory of the API's JSON", async () => {
    expect(await pagerdutyImporter.read(directorySource(fixtures), window)).toEqual(result);
  });
});

describe("PagerDuty import: the document", () => {
  it("maps people by email with roles, usernames from the local part made unique", () => {
    const byEmail = new Map(result.document.users.map((u) => [u.email, u]));
    expect(byEmail.get("alice@acme.example")).toEqual({
      username: "alice",
      name: "Alice Archer",
      email: "alice@acme.example",
      role: "admin",
    });
    expect(byEmail.get("Alice@payments.example")).toMatchObject({ username: "alice-2", role: "viewer" });
    expect(byEmail.get("bob@acme.example")?.role).toBe("admin");
    expect(byEmail.get("dave@acme.example")?.role).toBe("responder");
    expect(byEmail.get("erin@acme.example")?.role).toBe("viewer");
    expect(byEmail.get("hank@acme.example")?.role).toBe("responder");
  });

  it("maps teams with their members' roles", () => {
    expect(result.document.teams).toEqual([
      {
        slug: "platform-team",
        name: "Platform Team",
        members: [
          { user: "alice@acme.example", role: "admin" },
          { user: "bob@acme.example", role: "responder" },
          { user: "carol@acme.example", role: "responder" },
          { user: "erin@acme.example", role: "viewer" },
          { user: "dave@acme.example", role: "responder" },
        ],
      },
      {
        slug: "payments",
        name: "Payments",
        members: [
          { user: "frank@acme.example", role: "admin" },
          { user: "grace@acme.example", role: "responder" },
        ],
      },
    ]);
  });

  it("maps layers bottom first, in the schedule's zone, with restrictions split by day, and overrides", () => {
    expect(result.document.schedules).toEqual([
      {
        name: "Platform Primary",
        timeZone: "America/New_York",
        team: "platform-team",
        layers: [
          {
            name: "Weekly primary",
            timeZone: "America/New_York",
            participants: ["alice@acme.example", "bob@acme.example", "carol@acme.example"],
            shiftLength: { unit: "weeks", count: 1 },
            start: "2026-02-23T09:00",
          },
          {
            name: "Business hours",
            timeZone: "America/New_York",
            participants: ["dave@acme.example", "erin@acme.example"],
            shiftLength: { unit: "days", count: 1 },
            start: "2026-01-05T09:00",
            restrictions: [{ days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" }],
          },
        ],
        overrides: [
          { user: "carol@acme.example", start: "2026-03-10T18:00:00.000Z", end: "2026-03-11T06:00:00.000Z" },
        ],
      },
      {
        name: "Payments On-Call",
        timeZone: "Europe/Berlin",
        team: "payments",
        layers: [
          {
            name: "Nights",
            timeZone: "Europe/Berlin",
            participants: ["hank@acme.example", "staff10@acme.example"],
            shiftLength: { unit: "hours", count: 36 },
            start: "2026-02-01T20:00",
            restrictions: [{ days: [1, 2, 3, 4, 5, 6, 7], start: "20:00", end: "06:00" }],
          },
          {
            name: "Weekdays",
            timeZone: "Europe/Berlin",
            participants: ["frank@acme.example", "grace@acme.example"],
            shiftLength: { unit: "days", count: 1 },
            start: "2026-03-01T08:00",
            // Monday 08:00 for 106 hours: to Friday 18:00.
            restrictions: [
              { days: [1], start: "08:00", end: "00:00" },
              { days: [2, 3, 4], start: "00:00", end: "00:00" },
              { days: [5], start: "00:00", end: "18:00" },
            ],
          },
          {
            name: "Weekend days",
            timeZone: "Europe/Berlin",
            participants: ["grace@acme.example", "frank@acme.example"],
            shiftLength: { unit: "weeks", count: 1 },
            start: "2026-02-28T09:00",
            restrictions: [{ days: [6, 7], start: "09:00", end: "21:00" }],
          },
        ],
        overrides: [
          { user: "grace@acme.example", start: "2026-03-17T07:00:00.000Z", end: "2026-03-17T17:00:00.000Z" },
        ],
      },
    ]);
  });

  it("maps escalation policies: delays, targets, loops capped at 9", () => {
    expect(result.document.escalationPolicies).toEqual([
      {
        name: "Platform Escalation",
        description: "Platform services",
        team: "platform-team",
        repeat: 2,
        levels: [
          { timeoutMinutes: 15, targets: [{ schedule: "Platform Primary" }] },
          { timeoutMinutes: 30, targets: [{ user: "bob@acme.example" }, { user: "alice@acme.example" }] },
        ],
      },
      {
        name: "Payments Escalation",
        team: "payments",
        repeat: 9,
        levels: [{ timeoutMinutes: 10, targets: [{ schedule: "Payments On-Call" }] }],
      },
    ]);
  });

  it("maps services with an integration key per integration, and maintenance windows not yet ended", () => {
    expect(result.document.services).toEqual([
      {
        name: "Checkout API",
        description: "Checkout API (PagerDuty)",
        escalationPolicy: "Payments Escalation",
        team: "payments",
        integrations: [{ name: "Datadog" }, { name: "Legacy Nagios" }],
        maintenance: [
          { start: "2026-03-05T22:00:00.000Z", end: "2026-03-06T02:00:00.000Z", reason: "Database upgrade" },
        ],
      },
      {
        name: "Platform Core",
        description: "Platform Core (PagerDuty)",
        escalationPolicy: "Platform Escalation",
        team: "platform-team",
        integrations: [{ name: "Prometheus Alertmanager" }],
      },
    ]);
    expect(result.cutOver).toEqual([
      {
        service: "Checkout API",
        integration: "Datadog",
        source: { id: "PI1", name: "Datadog", type: "events_api_v2_inbound_integration" },
      },
      {
        service: "Checkout API",
        integration: "Legacy Nagios",
        source: { id: "PI2", name: "Legacy Nagios", type: "generic_events_api_inbound_integration" },
      },
      {
        service: "Platform Core",
        integration: "Prometheus Alertmanager",
        source: { id: "PI3", name: "Prometheus Alertmanager", type: "events_api_v2_inbound_integration" },
      },
    ]);
  });

  it("lists everything it could not map, each with the reason", () => {
    expect(result.unmapped.map((u) => [u.kind, u.id, u.reason])).toEqual([
      ["user role", "PU27", expect.stringMatching(/stakeholder_custom.*imported as a responder/)],
      ["schedule layer", "PL12", expect.stringMatching(/^ended 2026-02-01/)],
      ["schedule layer", "PL14", expect.stringMatching(/^starts in the future \(2026-05-04/)],
      ["schedule layer", "PL31", expect.stringMatching(/^ended/)],
      ["schedule", "PS3", expect.stringMatching(/none of its layers/)],
      ["escalation target", "PS3", expect.stringMatching(/schedule was not imported/)],
      ["escalation rule", "PR22", expect.stringMatching(/none of its targets/)],
      ["escalation policy", "PE2", expect.stringMatching(/repeats 12 times.*imported as 9/)],
      ["service", "PSV1", expect.stringMatching(/auto-resolve after 14400 s/)],
      ["integration", "PI4", expect.stringMatching(/email integration/)],
      ["service", "PSV3", expect.stringMatching(/escalation policy Retired Escalation was not imported/)],
      ["maintenance window", "PMW2", expect.stringMatching(/service was not imported/)],
    ]);
  });

  it("has the people PagerDuty renders on call for every hour of the 4 weeks, across both DST changes", () => {
    const check = compareOnCall(result.onCall, documentShifts(result.document, window), window);
    expect(check).toEqual({ hours: 672, schedules: 2, mismatches: [], missing: [] });
    // The check can fail: one PagerDuty shift given to someone else shows as those hours.
    const [first, ...rest] = result.onCall;
    if (!first) throw new Error("no on-call");
    const changed = [
      { ...first, shifts: [{ ...first.shifts[0]!, user: "hank@acme.example" }, ...first.shifts.slice(1)] },
      ...rest,
    ];
    const failed = compareOnCall(changed, documentShifts(result.document, window), window);
    expect(failed.mismatches.length).toBeGreaterThan(0);
    expect(failed.mismatches[0]).toMatchObject({
      schedule: "Platform Primary",
      hour: new Date("2026-03-02T10:00:00Z"),
      source: ["hank@acme.example"],
      firebreak: ["alice@acme.example"],
    });
  });
});

describe("PagerDuty layers", () => {
  const now = new Date("2026-03-02T10:00:00Z");
  const schedule = { id: "PS9", name: "S", timeZone: "Europe/Berlin" };
  const refs = (id: string) => ({ PA: "a@x.example", PB: "b@x.example" })[id];
  const base: PdLayer = {
    id: "PL9",
    name: "L",
    start: "2026-01-01T00:00:00Z",
    rotation_virtual_start: "2026-01-05T09:00:00+01:00",
    rotation_turn_length_seconds: 86400,
    users: [{ user: { id: "PA" } }, { user: { id: "PB" } }],
  };

  it("lists turns that are not whole hours, and unknown participants, instead of guessing", () => {
    expect(
      translateLayer({ ...base, rotation_turn_length_seconds: 1800 }, schedule, refs, now).unmapped[0]
        ?.reason,
    ).toMatch(/1800 s are not whole hours/);
    const stranger = { ...base, users: [{ user: { id: "PZ", summary: "Zed" } }] };
    expect(translateLayer(stranger, schedule, refs, now)).toEqual({
      unmapped: [
        {
          kind: "schedule layer",
          id: "PL9",
          name: "S / L",
          reason: expect.stringMatching(/Zed \(PZ\) is not among/),
        },
      ],
    });
  });

  it("moves a virtual start in the future back by whole cycles, keeping the turn order", () => {
    const later = { ...base, rotation_virtual_start: "2026-03-10T09:00:00+01:00" };
    expect(translateLayer(later, schedule, refs, now).rotation?.start).toBe("2026-03-02T09:00");
  });

  it("keeps a layer that ends later, and says its end was not imported", () => {
    const ending = { ...base, end: "2026-04-01T00:00:00Z" };
    const r = translateLayer(ending, schedule, refs, now);
    expect(r.rotation?.start).toBe("2026-01-05T09:00");
    expect(r.unmapped[0]?.reason).toMatch(/^ends 2026-04-01.*do not end/);
  });

  it("converts the virtual start's offset to local time in the schedule's zone", () => {
    const utc = { ...base, rotation_virtual_start: "2026-01-05T08:00:00Z" };
    expect(
      translateLayer(utc, { ...schedule, timeZone: "America/New_York" }, refs, now).rotation?.start,
    ).toBe("2026-01-05T03:00");
  });

  it("splits a weekly restriction into windows of at most a day covering exactly its minutes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 24 * 60 - 1 }),
        fc.integer({ min: 1, max: 7 * 24 * 60 }),
        (day, start, minutes) => {
          const at = `${String(Math.floor(start / 60)).padStart(2, "0")}:${String(start % 60).padStart(2, "0")}:00`;
          const windows = restrictionWindows({
            type: "weekly_restriction",
            start_day_of_week: day,
            start_time_of_day: at,
            duration_seconds: minutes * 60,
          });
          if (typeof windows === "string") throw new Error(windows);
          const minute = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
          const length = (w: { start: string; end: string }) => {
            const d = minute(w.end) - minute(w.start);
            return d <= 0 ? d + 24 * 60 : d;
          };
          expect(windows.reduce((sum, w) => sum + length(w) * w.days.length, 0)).toBe(minutes);
          expect(windows[0]).toMatchObject({ days: [day], start: at.slice(0, 5) });
        },
      ),
    );
  });

  it("lists an override that falls where no imported layer has anyone on call", () => {
    const account: PdAccount = {
      users: [
        { id: "PA", name: "A", email: "a@x.example", role: "user" },
        { id: "PB", name: "B", email: "b@x.example", role: "user" },
      ],
      teams: [],
      schedules: [
        {
          schedule: {
            id: "PS9",
            name: "S",
            time_zone: "Europe/Berlin",
            schedule_layers: [
              {
                ...base,
                restrictions: [
                  { type: "daily_restriction", start_time_of_day: "09:00:00", duration_seconds: 3600 },
                ],
              },
            ],
          },
          overrides: [
            { id: "PO1", start: "2026-03-03T02:00:00Z", end: "2026-03-03T03:00:00Z", user: { id: "PB" } },
            { id: "PO2", start: "2026-03-03T08:00:00Z", end: "2026-03-03T09:00:00Z", user: { id: "PB" } },
            { id: "PO3", start: "2026-03-01T08:00:00Z", end: "2026-03-01T09:00:00Z", user: { id: "PB" } },
          ],
        },
      ],
      escalationPolicies: [],
      services: [],
      maintenanceWindows: [],
    };
    const r = mapAccount(account, checkWindow(now));
    expect(r.document.schedules[0]?.overrides).toEqual([
      { user: "b@x.example", start: "2026-03-03T08:00:00.000Z", end: "2026-03-03T09:00:00.000Z" },
    ]);
    expect(r.unmapped).toEqual([
      {
        kind: "schedule override",
        id: "PO1",
        name: expect.any(String),
        reason: expect.stringMatching(/no imported layer/),
      },
    ]);
  });
});
