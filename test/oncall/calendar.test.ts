/**
 * The secret iCalendar feeds (RFC 5545) of a schedule and of a person, fetched as a calendar client
 * does (no token) and read back with ical.js, an independent parser. Their events must be the
 * final schedule GET /shifts gives for the feed's window: 30 days back to 90 days ahead.
 */
import ICAL from "ical.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  type Crew,
  createSchedule,
  crew,
  expectProblem,
  type Json,
  type Person,
  platformSchedule,
  type Shift,
  shifts,
} from "./helpers.ts";

const PUBLIC_URL = "http://firebreak.test";
const NOW = "2026-03-20T10:00:00Z";
// The feed's window at NOW: 30 days back to 90 days ahead, both cut to the start of a UTC day so
// the first and last events (and their UIDs) stay the same between fetches.
const FEED_FROM = "2026-02-18T00:00:00.000Z";
const FEED_TO = "2026-06-18T00:00:00.000Z";

let t: TestApp;
let c: Crew;
let platform: Json;
let database: Json;

beforeAll(async () => {
  t = await startTestApp({ clockStart: NOW });
  c = await crew(t);
  platform = await createSchedule(t, platformSchedule(c));
  // A second schedule alice is on, in another zone, so her own feed spans two schedules.
  database = await createSchedule(t, {
    name: "Database",
    timeZone: "America/New_York",
    layers: [
      {
        name: "weekly",
        timeZone: "America/New_York",
        participants: [c.bob.id, c.alice.id],
        shiftLength: { unit: "weeks", count: 1 },
        start: "2026-03-02T10:00",
      },
    ],
  });
  // An override in the window: erin covers dana on Monday 23 March 13:00–15:00 Berlin.
  const o = await c.bob.request("POST", `/api/v1/schedules/${platform.id}/overrides`, {
    userId: c.erin.id,
    start: "2026-03-23T12:00:00Z",
    end: "2026-03-23T14:00:00Z",
  });
  expect(o.status, JSON.stringify(o.body)).toBe(201);
});
afterAll(() => t?.close());

// RFC 5545 §3.8.8.2: X-WR-CALNAME is TEXT for calendar clients; ical.js keeps unknown properties raw.
(ICAL.design.icalendar.property as Record<string, unknown>)["x-wr-calname"] = { defaultType: "text" };

type FeedEvent = {
  uid: string;
  summary: string;
  start: string;
  end: string;
  stamp: string | null;
  transp: unknown;
};

/** POSTs for a feed URL, checks it is a secret URL under the public URL, and returns it. */
async function newFeed(who: Pick<Person, "request">, path: string): Promise<{ url: string; secret: string }> {
  const r = await who.request("POST", path);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const url: string = r.body.url;
  const m = /^http:\/\/firebreak\.test\/calendar\/([A-Za-z0-9_-]+)\.ics$/.exec(url);
  expect(m, url).not.toBeNull();
  return { url, secret: m?.[1] ?? "" };
}

/** GETs a feed the way a calendar client does: no Authorization header. */
async function fetchFeed(url: string): Promise<Response> {
  expect(url.startsWith(PUBLIC_URL)).toBe(true);
  return fetch(t.base + url.slice(PUBLIC_URL.length));
}

async function readFeed(url: string) {
  const res = await fetchFeed(url);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type") ?? "").toMatch(/^text\/calendar/);
  const text = await res.text();
  const calendar = new ICAL.Component(ICAL.parse(text));
  expect(calendar.name).toBe("vcalendar");
  const events: FeedEvent[] = calendar.getAllSubcomponents("vevent").map((v) => {
    const e = new ICAL.Event(v);
    const stamp = v.getFirstPropertyValue("dtstamp");
    return {
      uid: e.uid,
      summary: e.summary,
      start: e.startDate.toJSDate().toISOString(),
      end: e.endDate.toJSDate().toISOString(),
      stamp: stamp instanceof ICAL.Time ? stamp.toJSDate().toISOString() : null,
      transp: v.getFirstPropertyValue("transp"),
    };
  });
  return {
    text,
    version: calendar.getFirstPropertyValue("version"),
    prodid: calendar.getFirstPropertyValue("prodid"),
    name: calendar.getFirstPropertyValue("x-wr-calname"),
    events,
  };
}

const byStart = <T extends { start: string; end: string }>(list: T[]) =>
  [...list].sort((a, b) => a.start.localeCompare(b.start) || a.end.localeCompare(b.end));

const nameOf = (userId: number) =>
  Object.values(c).find((p: Person) => p.id === userId)?.username ?? `user ${userId}`;

describe("a schedule's calendar feed", () => {
  let feed: { url: string; secret: string };

  beforeAll(async () => {
    t.clock.set(NOW);
    feed = await newFeed(c.alice, `/api/v1/schedules/${platform.id}/calendar-feed`);
  });

  it("the feed URL is a secret under the public URL that is not guessable", async () => {
    expect(feed.secret.length).toBeGreaterThanOrEqual(20);
    const again = await newFeed(c.alice, `/api/v1/schedules/${platform.id}/calendar-feed`);
    expect(again.secret).not.toBe(feed.secret);
    // Random, not a counter or an id: many distinct characters, nothing shared with the other secret's start.
    expect(new Set(feed.secret).size, "distinct characters in the secret").toBeGreaterThan(10);
    expect(again.secret.slice(0, 8)).not.toBe(feed.secret.slice(0, 8));
  });

  it("PAGE-7: a calendar client fetches it without a token: 200 text/calendar that ical.js parses", async () => {
    t.clock.set(NOW);
    const cal = await readFeed(feed.url);
    expect(cal.version).toBe("2.0");
    expect(cal.prodid).toBeTruthy();
    expect(cal.name).toBe("Platform");
    expect(cal.events.length).toBeGreaterThan(50);
    expect(new Set(cal.events.map((e) => e.uid)).size, "UIDs are unique").toBe(cal.events.length);
    for (const e of cal.events) {
      expect(e.stamp).toBe("2026-03-20T10:00:00.000Z");
      expect(e.transp).toBe("TRANSPARENT");
    }
  });

  it("PAGE-7: its events are the shifts GET /shifts gives for the feed's window, overrides included", async () => {
    t.clock.set(NOW);
    const cal = await readFeed(feed.url);
    const expected: Shift[] = await shifts(t, platform.id, FEED_FROM, FEED_TO);
    expect(byStart(cal.events).map((e) => [e.start, e.end, e.summary])).toEqual(
      byStart(expected).map((s) => [s.start, s.end, `On call: ${nameOf(s.userId)} (Platform)`]),
    );
    // Spot checks worked out by hand: erin's override, and cleo's 23-hour spring-forward shift.
    const events = cal.events.map((e) => [e.summary, e.start, e.end]);
    expect(events).toContainEqual([
      "On call: erin (Platform)",
      "2026-03-23T12:00:00.000Z",
      "2026-03-23T14:00:00.000Z",
    ]);
    expect(events).toContainEqual([
      "On call: cleo (Platform)",
      "2026-03-28T08:00:00.000Z",
      "2026-03-29T07:00:00.000Z",
    ]);
    // The window: nothing before the rotations' start, nothing past 90 days ahead.
    expect(byStart(cal.events)[0]?.start).toBe("2026-03-02T08:00:00.000Z");
    expect(byStart(cal.events).at(-1)?.end).toBe(FEED_TO);
  });

  it("PAGE-7: the feed follows the clock: a later fetch covers the later window, with stable UIDs", async () => {
    t.clock.set(NOW);
    const before = await readFeed(feed.url);
    t.clock.set("2026-03-21T10:00:00Z");
    const after = await readFeed(feed.url);
    const expected = await shifts(t, platform.id, "2026-02-19T00:00:00.000Z", "2026-06-19T00:00:00.000Z");
    expect(byStart(after.events).map((e) => [e.start, e.end])).toEqual(
      byStart(expected).map((s) => [s.start, s.end]),
    );
    // The same shift (same start and person) keeps its UID between fetches.
    const uidOf = (list: FeedEvent[], start: string) => list.find((e) => e.start === start)?.uid;
    expect(uidOf(after.events, "2026-03-28T08:00:00.000Z")).toBe(
      uidOf(before.events, "2026-03-28T08:00:00.000Z"),
    );
  });

  it("a wrong or malformed secret is 404 and reveals nothing", async () => {
    const wrong = "A".repeat(feed.secret.length);
    const last = feed.secret.at(-1) === "x" ? "y" : "x";
    const oneOff = `${feed.secret.slice(0, -1)}${last}`; // one character away from the real secret
    for (const file of [`${wrong}.ics`, `${oneOff}.ics`, "short.ics", `${feed.secret}.txt`, feed.secret]) {
      const res = await fetch(`${t.base}/calendar/${file}`);
      expect(res.status, file).toBe(404);
      expect(await res.text()).not.toContain("BEGIN:VCALENDAR");
    }
  });

  it("creating a feed needs a token; a feed of an unknown schedule is 404", async () => {
    const anonymous = await fetch(`${t.base}/api/v1/schedules/${platform.id}/calendar-feed`, {
      method: "POST",
    });
    expect(anonymous.status).toBe(401);
    expectProblem(await c.alice.request("POST", "/api/v1/schedules/999999/calendar-feed"), 404, "not-found");
  });

  // Server bug (reported): renderFeed names the calendar after shifts[0]'s schedule, so a schedule
  // with no shifts in the window is called "schedule <id>". Flip to `it` once fixed.
  it("PAGE-7: a schedule with no shifts in the window gives an empty calendar under its own name", async () => {
    t.clock.set(NOW);
    const later = await createSchedule(t, {
      ...platformSchedule(c, "Starts next year"),
      layers: [{ ...platformSchedule(c).layers[0], start: "2027-01-04T09:00" }],
    });
    try {
      const cal = await readFeed((await newFeed(t.admin, `/api/v1/schedules/${later.id}/calendar-feed`)).url);
      expect(cal.events).toEqual([]);
      expect(cal.name).toBe("Starts next year");
    } finally {
      expect((await t.admin.request("DELETE", `/api/v1/schedules/${later.id}`)).status).toBe(204);
    }
  });

  it("a deleted schedule's feed is 404", async () => {
    const temp = await createSchedule(t, platformSchedule(c, "Temporary"));
    const f = await newFeed(t.admin, `/api/v1/schedules/${temp.id}/calendar-feed`);
    expect((await fetchFeed(f.url)).status).toBe(200);
    expect((await t.admin.request("DELETE", `/api/v1/schedules/${temp.id}`)).status).toBe(204);
    expect((await fetchFeed(f.url)).status).toBe(404);
  });
});

describe("a person's calendar feed", () => {
  it("PAGE-7: alice's feed holds exactly her shifts, in every schedule", async () => {
    t.clock.set(NOW);
    const feed = await newFeed(c.alice, "/api/v1/me/calendar-feed");
    expect(feed.secret.length).toBeGreaterThanOrEqual(20);
    const cal = await readFeed(feed.url);

    const mine = async (s: Json) =>
      (await shifts(t, s.id, FEED_FROM, FEED_TO))
        .filter((x) => x.userId === c.alice.id)
        .map((x) => ({ start: x.start, end: x.end, schedule: s.name as string }));
    const expected = byStart([...(await mine(platform)), ...(await mine(database))]);
    expect(expected.some((x) => x.schedule === "Database")).toBe(true);
    expect(expected.some((x) => x.schedule === "Platform")).toBe(true);

    expect(byStart(cal.events).map((e) => [e.start, e.end])).toEqual(expected.map((x) => [x.start, x.end]));
    for (const e of byStart(cal.events)) {
      const schedule = expected.find((x) => x.start === e.start && x.end === e.end)?.schedule ?? "?";
      expect(e.summary).toContain("alice");
      expect(e.summary).toContain(schedule);
      for (const other of ["bob", "cleo", "dana", "erin"]) expect(e.summary).not.toContain(other);
    }
    expect(new Set(cal.events.map((e) => e.uid)).size).toBe(cal.events.length);
  });

  it("PAGE-7: each person gets their own feed; erin's has only erin's shifts", async () => {
    t.clock.set(NOW);
    const alices = await newFeed(c.alice, "/api/v1/me/calendar-feed");
    const erins = await newFeed(c.erin, "/api/v1/me/calendar-feed");
    expect(erins.secret).not.toBe(alices.secret);
    const cal = await readFeed(erins.url);
    const expected = (await shifts(t, platform.id, FEED_FROM, FEED_TO)).filter((x) => x.userId === c.erin.id);
    expect(byStart(cal.events).map((e) => [e.start, e.end])).toEqual(
      byStart(expected).map((x) => [x.start, x.end]),
    );
    expect(cal.events.every((e) => e.summary.includes("erin"))).toBe(true);
  });

  it("PAGE-7: a person on no schedule gets a valid, empty calendar", async () => {
    const nobody = await t.user("nemo", "viewer");
    const cal = await readFeed((await newFeed(nobody, "/api/v1/me/calendar-feed")).url);
    expect(cal.events).toEqual([]);
    expect(cal.version).toBe("2.0");
  });
});

describe("revoking a calendar feed", () => {
  it("the maker lists their feeds without secrets and revokes one; its URL is 404 at once", async () => {
    t.clock.set(NOW);
    const kept = await newFeed(c.bob, "/api/v1/me/calendar-feed");
    const revoked = await newFeed(c.bob, `/api/v1/schedules/${platform.id}/calendar-feed`);
    const listed = await c.bob.request("GET", "/api/v1/calendar-feeds");
    expect(listed.status).toBe(200);
    const feeds: Json[] = listed.body.feeds;
    expect(feeds.map((f) => [f.scheduleId, f.userId, f.createdBy])).toEqual([
      [null, c.bob.id, c.bob.id],
      [platform.id, null, c.bob.id],
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(kept.secret);
    expect(JSON.stringify(listed.body)).not.toContain(revoked.secret);

    const id = feeds[1]?.id;
    expect((await c.bob.request("DELETE", `/api/v1/calendar-feeds/${id}`)).status).toBe(204);
    expect((await fetchFeed(revoked.url)).status).toBe(404);
    expect((await fetchFeed(kept.url)).status).toBe(200);
    expect((await c.bob.request("GET", "/api/v1/calendar-feeds")).body.feeds).toHaveLength(1);
    expectProblem(await c.bob.request("DELETE", `/api/v1/calendar-feeds/${id}`), 404, "not-found");
  });

  it("someone else's feed cannot be seen or revoked (404); an admin can revoke any", async () => {
    const feed = await newFeed(c.cleo, "/api/v1/me/calendar-feed");
    const cleos: Json[] = (await c.cleo.request("GET", "/api/v1/calendar-feeds")).body.feeds;
    const id = cleos.at(-1)?.id;
    const bobs: Json[] = (await c.bob.request("GET", "/api/v1/calendar-feeds")).body.feeds;
    expect(bobs.map((f) => f.id)).not.toContain(id);
    expectProblem(await c.bob.request("DELETE", `/api/v1/calendar-feeds/${id}`), 404, "not-found");
    expect((await fetchFeed(feed.url)).status).toBe(200);

    const all: Json[] = (await t.admin.request("GET", "/api/v1/calendar-feeds")).body.feeds;
    expect(all.map((f) => f.id)).toContain(id);
    expect((await t.admin.request("DELETE", `/api/v1/calendar-feeds/${id}`)).status).toBe(204);
    expect((await fetchFeed(feed.url)).status).toBe(404);
  });

  it("the feeds a deactivated person made stop answering", async () => {
    t.clock.set(NOW);
    const leaver = await t.user("leaver", "viewer");
    const own = await newFeed(leaver, "/api/v1/me/calendar-feed");
    const schedule = await newFeed(leaver, `/api/v1/schedules/${platform.id}/calendar-feed`);
    expect((await fetchFeed(schedule.url)).status).toBe(200);
    expect((await t.admin.request("DELETE", `/api/v1/users/${leaver.id}`)).status).toBe(200);
    expect((await fetchFeed(own.url)).status).toBe(404);
    expect((await fetchFeed(schedule.url)).status).toBe(404);
  });
});
