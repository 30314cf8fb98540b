/**
 * Who is on call (PAGE-7) through the HTTP API: a two-layer Berlin schedule, asked at driven
 * instants, and its final schedule as shifts — including across the 2026 DST changes. Every
 * expected answer below is worked out by hand from the calendar:
 *
 *   layer 0 (24/7): day k from Mon 2026-03-02 09:00 Berlin belongs to [alice, bob, cleo][k % 3];
 *   layer 1 (weekdays 09:00–17:00 Berlin): week w belongs to [dana, erin][w % 2].
 *   Berlin is UTC+1 until Sun 2026-03-29 02:00 local, then UTC+2; so 09:00 local is 08:00Z, then 07:00Z.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  type Crew,
  createSchedule,
  crew,
  expectTiling,
  localTime,
  onCallAt,
  platformSchedule,
  shifts,
  triples,
} from "./helpers.ts";

let t: TestApp;
let c: Crew;
let id: number;

beforeAll(async () => {
  t = await startTestApp({ clockStart: "2026-03-02T10:00:00Z" });
  c = await crew(t);
  id = (await createSchedule(t, platformSchedule(c))).id;
});
afterAll(() => t?.close());

describe("schedules: create and read", () => {
  it("an admin creates a two-layer schedule; it reads back as created", async () => {
    const r = await t.admin.get(`/api/v1/schedules/${id}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const body = platformSchedule(c);
    expect(r.body).toEqual({ id, ...body, teamId: expect.any(Number), overrides: [] });

    const list = await t.admin.get("/api/v1/schedules");
    expect(list.status).toBe(200);
    expect(list.body.schedules.map((s: { id: number }) => s.id)).toEqual([id]);
  });

  it("any signed-in role can read schedules and who is on call", async () => {
    const viewer = await t.user("vera", "viewer");
    expect((await viewer.get(`/api/v1/schedules/${id}`)).status).toBe(200);
    expect((await viewer.get("/api/v1/oncall")).status).toBe(200);
    const anonymous = await fetch(`${t.base}/api/v1/oncall`);
    expect(anonymous.status).toBe(401);
  });
});

describe("GET /oncall at driven instants (PAGE-7)", () => {
  it("PAGE-7: before the rotations start nobody is on call, until the first hand-off", async () => {
    expect(await onCallAt(t, id, "2026-03-02T07:00:00Z")).toEqual({
      userIds: [],
      until: "2026-03-02T08:00:00.000Z",
    });
  });

  it("PAGE-7: on a weekday the business-hours layer wins 09:00–17:00, the 24/7 layer covers the night", async () => {
    expect(await onCallAt(t, id, "2026-03-02T08:00:00Z")).toEqual({
      userIds: [c.dana.id],
      until: "2026-03-02T16:00:00.000Z",
    });
    expect(await onCallAt(t, id, "2026-03-02T10:00:00Z")).toEqual({
      userIds: [c.dana.id],
      until: "2026-03-02T16:00:00.000Z",
    });
    // 17:00 Berlin: the business-hours window ends, day 0 of the 24/7 layer is alice's.
    expect(await onCallAt(t, id, "2026-03-02T16:00:00Z")).toEqual({
      userIds: [c.alice.id],
      until: "2026-03-03T08:00:00.000Z",
    });
    expect(await onCallAt(t, id, "2026-03-02T23:30:00Z")).toEqual({
      userIds: [c.alice.id],
      until: "2026-03-03T08:00:00.000Z",
    });
  });

  it("PAGE-7: the daily rotation turns alice → bob → cleo → alice at 09:00 Berlin", async () => {
    // Tuesday evening is day 1 (bob), Wednesday's day 2 (cleo), Thursday's day 3 (alice again).
    expect(await onCallAt(t, id, "2026-03-03T20:00:00Z")).toEqual({
      userIds: [c.bob.id],
      until: "2026-03-04T08:00:00.000Z",
    });
    expect(await onCallAt(t, id, "2026-03-04T07:59:00Z")).toEqual({
      userIds: [c.bob.id],
      until: "2026-03-04T08:00:00.000Z",
    });
    expect(await onCallAt(t, id, "2026-03-04T20:00:00Z")).toEqual({
      userIds: [c.cleo.id],
      until: "2026-03-05T08:00:00.000Z",
    });
    expect(await onCallAt(t, id, "2026-03-05T20:00:00Z")).toEqual({
      userIds: [c.alice.id],
      until: "2026-03-06T08:00:00.000Z",
    });
  });

  it("PAGE-7: at the weekend the 24/7 layer has the whole day; the weekly layer turns to erin", async () => {
    // Friday evening: day 4 (bob) until Saturday 09:00; Saturday is day 5 (cleo), Sunday day 6 (alice).
    expect(await onCallAt(t, id, "2026-03-06T17:00:00Z")).toEqual({
      userIds: [c.bob.id],
      until: "2026-03-07T08:00:00.000Z",
    });
    expect(await onCallAt(t, id, "2026-03-07T12:00:00Z")).toEqual({
      userIds: [c.cleo.id],
      until: "2026-03-08T08:00:00.000Z",
    });
    // Sunday day 6 (alice) lasts until Monday 09:00, when week 1 of the business-hours layer is erin's.
    expect(await onCallAt(t, id, "2026-03-08T12:00:00Z")).toEqual({
      userIds: [c.alice.id],
      until: "2026-03-09T08:00:00.000Z",
    });
    expect(await onCallAt(t, id, "2026-03-09T12:00:00Z")).toEqual({
      userIds: [c.erin.id],
      until: "2026-03-09T16:00:00.000Z",
    });
  });

  it("PAGE-7: every schedule is listed, each with its name", async () => {
    t.clock.set("2026-03-02T10:00:00Z");
    const other = await createSchedule(t, {
      ...platformSchedule(c, "Another team"),
      layers: [{ ...platformSchedule(c).layers[0], participants: [c.erin.id] }],
    });
    try {
      const r = await t.admin.get("/api/v1/oncall");
      expect(r.status).toBe(200);
      expect(r.body.oncall).toEqual(
        expect.arrayContaining([
          { schedule: { id, name: "Platform" }, userIds: [c.dana.id], until: "2026-03-02T16:00:00.000Z" },
          {
            schedule: { id: other.id, name: "Another team" },
            userIds: [c.erin.id],
            until: null, // erin is alone in a 24/7 rotation: the pager never changes hands
          },
        ]),
      );
      expect(r.body.oncall).toHaveLength(2);
    } finally {
      expect((await t.admin.request("DELETE", `/api/v1/schedules/${other.id}`)).status).toBe(204);
    }
  });
});

describe("GET /schedules/{id}/shifts: the final schedule", () => {
  it("PAGE-7: shifts over a weekend tile the window, business hours on top of the 24/7 layer", async () => {
    const from = "2026-03-06T00:00:00.000Z";
    const until = "2026-03-10T00:00:00.000Z";
    const list = await shifts(t, id, from, until);
    expect(triples(list)).toEqual([
      [c.alice.id, from, "2026-03-06T08:00:00.000Z"], // Thursday's day 3, clipped at the window
      [c.dana.id, "2026-03-06T08:00:00.000Z", "2026-03-06T16:00:00.000Z"], // Friday business hours
      [c.bob.id, "2026-03-06T16:00:00.000Z", "2026-03-07T08:00:00.000Z"], // day 4 after 17:00
      [c.cleo.id, "2026-03-07T08:00:00.000Z", "2026-03-08T08:00:00.000Z"], // Saturday, day 5
      [c.alice.id, "2026-03-08T08:00:00.000Z", "2026-03-09T08:00:00.000Z"], // Sunday, day 6
      [c.erin.id, "2026-03-09T08:00:00.000Z", "2026-03-09T16:00:00.000Z"], // Monday, week 1
      [c.bob.id, "2026-03-09T16:00:00.000Z", until], // day 7 after 17:00, clipped
    ]);
    expect(list.map((s) => s.source)).toEqual([
      { kind: "layer", layer: 0 },
      { kind: "layer", layer: 1 },
      { kind: "layer", layer: 0 },
      { kind: "layer", layer: 0 },
      { kind: "layer", layer: 0 },
      { kind: "layer", layer: 1 },
      { kind: "layer", layer: 0 },
    ]);
    expectTiling(list, from, until);
  });

  it("PAGE-7: shifts over four weeks tile the window with no gap and no overlap", async () => {
    const from = "2026-03-02T08:00:00.000Z"; // the rotations' start: nobody is on call before it
    const until = "2026-03-30T13:17:00.000Z";
    const list = await shifts(t, id, from, until);
    expectTiling(list, from, until);
    // Consecutive shifts are different people or different layers: the same person's touching
    // pieces of one source are merged.
    for (const [i, s] of list.slice(1).entries()) {
      const prev = list[i];
      expect(prev?.userId === s.userId && JSON.stringify(prev.source) === JSON.stringify(s.source)).toBe(
        false,
      );
    }
  });

  it("PAGE-7: a window starting before the rotations has nobody until they start", async () => {
    const list = await shifts(t, id, "2026-03-01T00:00:00.000Z", "2026-03-02T12:00:00.000Z");
    expect(triples(list)).toEqual([[c.dana.id, "2026-03-02T08:00:00.000Z", "2026-03-02T12:00:00.000Z"]]);
  });

  it("PAGE-7: shifts for an instant window with a non-UTC offset are read as that instant", async () => {
    const list = await shifts(t, id, "2026-03-07T10:00:00+01:00", "2026-03-07T12:00:00+01:00");
    expect(triples(list)).toEqual([[c.cleo.id, "2026-03-07T09:00:00.000Z", "2026-03-07T11:00:00.000Z"]]);
  });
});

describe("daylight saving time: the hand-off stays 09:00 Berlin time", () => {
  it("PAGE-7: across spring-forward (Sun 2026-03-29) the 24/7 shift of that night is 23 hours", async () => {
    const from = "2026-03-27T00:00:00.000Z";
    const until = "2026-03-31T00:00:00.000Z";
    const list = await shifts(t, id, from, until);
    // Day 24 = Thu 26 (alice), 25 = Fri 27 (bob), 26 = Sat 28 (cleo), 27 = Sun 29 (alice),
    // 28 = Mon 30 (bob); business hours: week 3 (erin) until Mon 30, then week 4 (dana).
    expect(triples(list)).toEqual([
      [c.alice.id, from, "2026-03-27T08:00:00.000Z"],
      [c.erin.id, "2026-03-27T08:00:00.000Z", "2026-03-27T16:00:00.000Z"], // 09:00–17:00 CET
      [c.bob.id, "2026-03-27T16:00:00.000Z", "2026-03-28T08:00:00.000Z"],
      [c.cleo.id, "2026-03-28T08:00:00.000Z", "2026-03-29T07:00:00.000Z"], // 09:00 CET → 09:00 CEST: 23 h
      [c.alice.id, "2026-03-29T07:00:00.000Z", "2026-03-30T07:00:00.000Z"],
      [c.dana.id, "2026-03-30T07:00:00.000Z", "2026-03-30T15:00:00.000Z"], // 09:00–17:00 CEST
      [c.bob.id, "2026-03-30T15:00:00.000Z", until],
    ]);
    expectTiling(list, from, until);
    for (const s of list.slice(1))
      expect(localTime(s.start, "Europe/Berlin"), s.start).toMatch(/^(09|17):00$/);
  });

  it("PAGE-7: GET /oncall on the spring-forward weekend says the hand-off is 09:00 CEST (07:00Z)", async () => {
    expect(await onCallAt(t, id, "2026-03-28T12:00:00Z")).toEqual({
      userIds: [c.cleo.id],
      until: "2026-03-29T07:00:00.000Z",
    });
    expect(await onCallAt(t, id, "2026-03-29T06:30:00Z")).toEqual({
      userIds: [c.cleo.id],
      until: "2026-03-29T07:00:00.000Z",
    });
    // 09:30 CEST: alice has had the pager for half an hour (winter-time arithmetic would still say cleo).
    expect(await onCallAt(t, id, "2026-03-29T07:30:00Z")).toEqual({
      userIds: [c.alice.id],
      until: "2026-03-30T07:00:00.000Z",
    });
  });

  it("PAGE-7: every hand-off of a daily Berlin rotation is at 09:00 local through both 2026 clock changes", async () => {
    const daily = await createSchedule(t, {
      name: "Daily only",
      timeZone: "Europe/Berlin",
      layers: [platformSchedule(c).layers[0]],
    });
    for (const [from, until, change, hours] of [
      ["2026-03-20T00:00:00.000Z", "2026-04-05T00:00:00.000Z", "2026-03-28T08:00:00.000Z", 23],
      ["2026-10-18T00:00:00.000Z", "2026-11-02T00:00:00.000Z", "2026-10-24T07:00:00.000Z", 25],
    ] as const) {
      const list = await shifts(t, daily.id, from, until);
      expectTiling(list, from, until);
      const handoffs = list.slice(1);
      expect(handoffs.length).toBeGreaterThan(10);
      for (const s of handoffs) expect(localTime(s.start, "Europe/Berlin"), s.start).toBe("09:00");
      const lengths = list.slice(1, -1).map((s) => (Date.parse(s.end) - Date.parse(s.start)) / 3_600_000);
      const odd = list.slice(1, -1).filter((_, i) => lengths[i] !== 24);
      expect(odd.map((s) => s.start)).toEqual([change]);
      expect(lengths.filter((h) => h !== 24)).toEqual([hours]);
    }
  });
});
