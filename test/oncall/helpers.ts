/**
 * Shared set-up for the on-call API integration tests: the people, the standard two-layer Berlin
 * schedule, and assertions on problem documents. The expected answers are worked out by hand in
 * the tests (from the calendar), not computed with the server's own schedule code.
 */
import { expect } from "vitest";
import type { Reply, TestApp } from "../support/app.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
export type Json = any;
export type Person = Awaited<ReturnType<TestApp["user"]>>;
export type Shift = { userId: number; start: string; end: string; source: Json };

/** alice, bob, cleo take the daily 24/7 layer in that order; dana and erin the weekday layer. */
export type Crew = { alice: Person; bob: Person; cleo: Person; dana: Person; erin: Person };

export async function crew(t: TestApp): Promise<Crew> {
  return {
    alice: await t.user("alice", "responder"),
    bob: await t.user("bob", "responder"),
    cleo: await t.user("cleo", "responder"),
    dana: await t.user("dana", "responder"),
    erin: await t.user("erin", "responder"),
  };
}

/**
 * "Platform": layer 0 a daily rotation alice → bob → cleo in Europe/Berlin handing off at 09:00
 * local from Monday 2026-03-02; layer 1 on top a weekly rotation dana → erin, on call only on
 * weekdays 09:00–17:00 Berlin time.
 */
export function platformSchedule(c: Crew, name = "Platform") {
  return {
    name,
    timeZone: "Europe/Berlin",
    layers: [
      {
        name: "24/7",
        timeZone: "Europe/Berlin",
        participants: [c.alice.id, c.bob.id, c.cleo.id],
        shiftLength: { unit: "days", count: 1 },
        start: "2026-03-02T09:00",
      },
      {
        name: "business hours",
        timeZone: "Europe/Berlin",
        participants: [c.dana.id, c.erin.id],
        shiftLength: { unit: "weeks", count: 1 },
        start: "2026-03-02T09:00",
        restrictions: [{ days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" }],
      },
    ],
  };
}

export async function createSchedule(t: TestApp, body: unknown): Promise<Json> {
  const r = await t.admin.request("POST", "/api/v1/schedules", body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

/** GET /oncall at the test clock's instant; the entry of one schedule. */
export async function onCallNow(
  t: TestApp,
  scheduleId: number,
): Promise<{ userIds: number[]; until: string | null }> {
  const r = await t.admin.get("/api/v1/oncall");
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const entry = r.body.oncall.find((o: Json) => o.schedule.id === scheduleId);
  expect(entry, `schedule ${scheduleId} in ${JSON.stringify(r.body)}`).toBeDefined();
  return { userIds: entry.userIds, until: entry.until };
}

/** Who is on call at `at` according to GET /oncall, after moving the test clock there. */
export async function onCallAt(t: TestApp, scheduleId: number, at: string) {
  t.clock.set(at);
  return onCallNow(t, scheduleId);
}

export async function shifts(t: TestApp, scheduleId: number, from: string, until: string): Promise<Shift[]> {
  const q = new URLSearchParams({ from, until });
  const r = await t.admin.get(`/api/v1/schedules/${scheduleId}/shifts?${q}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.shifts;
}

/** The shifts as [user id, start, end] triples: easy to compare with a table written by hand. */
export const triples = (list: Shift[]) => list.map((s) => [s.userId, s.start, s.end]);

/** Shifts tile [from, until): sorted, no overlap, no gap (for a schedule with a 24/7 layer). */
export function expectTiling(list: Shift[], from: string, until: string) {
  expect(list.length).toBeGreaterThan(0);
  expect(list[0]?.start).toBe(from);
  expect(list.at(-1)?.end).toBe(until);
  for (const [i, s] of list.entries()) {
    expect(Date.parse(s.start), `shift ${i} is not empty`).toBeLessThan(Date.parse(s.end));
    const next = list[i + 1];
    if (next) expect(next.start, `shift ${i + 1} starts where shift ${i} ends`).toBe(s.end);
  }
}

/** Local wall-clock time "HH:MM" of an instant in a zone, by the platform's Intl (not the server's code). */
export function localTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .format(new Date(iso))
    .replace(/^24/, "00");
}

/** A 400 problem document whose `field` is `field` and whose detail starts with it. */
export function expectInvalid(r: Reply, field: string): Json {
  expect(r.status, JSON.stringify(r.body)).toBe(400);
  expect(r.headers.get("content-type") ?? "").toMatch(/^application\/problem\+json/);
  expect(r.body.code).toBe("invalid-request");
  expect(r.body.field, r.body.detail).toBe(field);
  expect(r.body.detail).toContain(`${field}: `);
  return r.body;
}

export function expectProblem(r: Reply, status: number, code: string): Json {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.headers.get("content-type") ?? "").toMatch(/^application\/problem\+json/);
  expect(r.body.code).toBe(code);
  return r.body;
}
