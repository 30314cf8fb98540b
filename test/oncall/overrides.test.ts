/**
 * Coverage swaps (PAGE-7) through the HTTP API: an override puts someone on call for a window,
 * then the layers take over again. The schedule is helpers.ts' "Platform": on Monday 2026-03-02
 * dana has business hours 08:00Z–16:00Z (09:00–17:00 Berlin), then alice has the night.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import {
  type Crew,
  createSchedule,
  crew,
  expectInvalid,
  expectProblem,
  expectTiling,
  type Json,
  onCallAt,
  type Person,
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

async function addOverride(by: Person, body: Record<string, unknown>): Promise<Json> {
  const r = await by.request("POST", `/api/v1/schedules/${id}/overrides`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

async function removeOverride(by: Person, overrideId: number) {
  const r = await by.request("DELETE", `/api/v1/schedules/${id}/overrides/${overrideId}`);
  expect(r.status, JSON.stringify(r.body)).toBe(204);
}

describe("overrides: someone covers a window (PAGE-7)", () => {
  it("PAGE-7: a responder adds an override; the cover is on call inside the window, then dana again", async () => {
    t.clock.set("2026-03-02T10:00:00Z");
    const o = await addOverride(c.bob, {
      userId: c.erin.id,
      start: "2026-03-02T12:00:00Z",
      end: "2026-03-02T14:00:00Z",
      reason: "dana at the dentist",
    });
    expect(o).toEqual({
      id: expect.any(Number),
      userId: c.erin.id,
      start: "2026-03-02T12:00:00.000Z",
      end: "2026-03-02T14:00:00.000Z",
      reason: "dana at the dentist",
    });
    try {
      // Before the window dana's "until" is the start of the swap: the pager changes hands then.
      expect(await onCallAt(t, id, "2026-03-02T10:00:00Z")).toEqual({
        userIds: [c.dana.id],
        until: "2026-03-02T12:00:00.000Z",
      });
      expect(await onCallAt(t, id, "2026-03-02T12:00:00Z")).toEqual({
        userIds: [c.erin.id],
        until: "2026-03-02T14:00:00.000Z",
      });
      expect(await onCallAt(t, id, "2026-03-02T13:59:00Z")).toEqual({
        userIds: [c.erin.id],
        until: "2026-03-02T14:00:00.000Z",
      });
      expect(await onCallAt(t, id, "2026-03-02T14:00:00Z")).toEqual({
        userIds: [c.dana.id],
        until: "2026-03-02T16:00:00.000Z",
      });

      const from = "2026-03-02T08:00:00.000Z";
      const until = "2026-03-02T20:00:00.000Z";
      const list = await shifts(t, id, from, until);
      expect(triples(list)).toEqual([
        [c.dana.id, from, "2026-03-02T12:00:00.000Z"],
        [c.erin.id, "2026-03-02T12:00:00.000Z", "2026-03-02T14:00:00.000Z"],
        [c.dana.id, "2026-03-02T14:00:00.000Z", "2026-03-02T16:00:00.000Z"],
        [c.alice.id, "2026-03-02T16:00:00.000Z", until],
      ]);
      expect(list[1]?.source).toEqual({
        kind: "override",
        index: expect.any(Number),
        overrideId: expect.any(Number),
      });
      expect(list[0]?.source).toEqual({ kind: "layer", layer: 1 });
      expectTiling(list, from, until);

      t.clock.set("2026-03-02T10:00:00Z");
      const read = await t.admin.get(`/api/v1/schedules/${id}`);
      expect(read.body.overrides).toEqual([o]);
    } finally {
      await removeOverride(c.bob, o.id);
    }
  });

  it("PAGE-7: deleting an override hands the window back to the layers; deleting it twice is 404", async () => {
    const o = await addOverride(c.dana, {
      userId: c.cleo.id,
      start: "2026-03-02T12:00:00Z",
      end: "2026-03-02T14:00:00Z",
    });
    expect(await onCallAt(t, id, "2026-03-02T12:30:00Z")).toEqual({
      userIds: [c.cleo.id],
      until: "2026-03-02T14:00:00.000Z",
    });
    await removeOverride(c.dana, o.id);
    expect(await onCallAt(t, id, "2026-03-02T12:30:00Z")).toEqual({
      userIds: [c.dana.id],
      until: "2026-03-02T16:00:00.000Z",
    });
    expect((await t.admin.get(`/api/v1/schedules/${id}`)).body.overrides).toEqual([]);
    const again = await c.dana.request("DELETE", `/api/v1/schedules/${id}/overrides/${o.id}`);
    expectProblem(again, 404, "not-found");
  });

  it("PAGE-7: where two overrides overlap the later one wins", async () => {
    t.clock.set("2026-03-02T10:00:00Z");
    const first = await addOverride(c.bob, {
      userId: c.cleo.id,
      start: "2026-03-02T12:00:00Z",
      end: "2026-03-02T14:00:00Z",
    });
    const second = await addOverride(c.bob, {
      userId: c.bob.id,
      start: "2026-03-02T13:00:00Z",
      end: "2026-03-02T15:00:00Z",
    });
    try {
      expect(await onCallAt(t, id, "2026-03-02T12:30:00Z")).toEqual({
        userIds: [c.cleo.id],
        until: "2026-03-02T13:00:00.000Z",
      });
      expect(await onCallAt(t, id, "2026-03-02T13:30:00Z")).toEqual({
        userIds: [c.bob.id],
        until: "2026-03-02T15:00:00.000Z",
      });
      const list = await shifts(t, id, "2026-03-02T11:00:00.000Z", "2026-03-02T16:00:00.000Z");
      expect(triples(list)).toEqual([
        [c.dana.id, "2026-03-02T11:00:00.000Z", "2026-03-02T12:00:00.000Z"],
        [c.cleo.id, "2026-03-02T12:00:00.000Z", "2026-03-02T13:00:00.000Z"],
        [c.bob.id, "2026-03-02T13:00:00.000Z", "2026-03-02T15:00:00.000Z"],
        [c.dana.id, "2026-03-02T15:00:00.000Z", "2026-03-02T16:00:00.000Z"],
      ]);
    } finally {
      await removeOverride(c.bob, second.id);
      await removeOverride(c.bob, first.id);
    }
  });

  it("PAGE-7: an override handing back to the same person's shift is not a hand-off for `until`", async () => {
    // alice covers 15:00–18:00; from 16:00 the 24/7 layer has alice anyway, until Tuesday 09:00 Berlin.
    const o = await addOverride(c.alice, {
      userId: c.alice.id,
      start: "2026-03-02T15:00:00Z",
      end: "2026-03-02T18:00:00Z",
    });
    try {
      expect(await onCallAt(t, id, "2026-03-02T15:30:00Z")).toEqual({
        userIds: [c.alice.id],
        until: "2026-03-03T08:00:00.000Z",
      });
    } finally {
      await removeOverride(c.alice, o.id);
    }
  });

  it("PAGE-7: an override that only partly meets the rotations is accepted", async () => {
    t.clock.set("2026-03-01T10:00:00Z");
    // From Sunday evening, before the rotations start, into Monday's first shift.
    const o = await addOverride(c.bob, {
      userId: c.erin.id,
      start: "2026-03-01T20:00:00Z",
      end: "2026-03-02T09:00:00Z",
    });
    try {
      const list = await shifts(t, id, "2026-03-01T00:00:00.000Z", "2026-03-02T12:00:00.000Z");
      expect(triples(list)).toEqual([
        [c.erin.id, "2026-03-01T20:00:00.000Z", "2026-03-02T09:00:00.000Z"],
        [c.dana.id, "2026-03-02T09:00:00.000Z", "2026-03-02T12:00:00.000Z"],
      ]);
    } finally {
      await removeOverride(c.bob, o.id);
    }
  });
});

describe("overrides: bad input is 400 naming the field", () => {
  it("PAGE-7: an override entirely before the rotations start is outside every rotation's shifts", async () => {
    const r = await c.bob.request("POST", `/api/v1/schedules/${id}/overrides`, {
      userId: c.erin.id,
      start: "2026-03-01T00:00:00Z",
      end: "2026-03-01T12:00:00Z",
    });
    const problem = expectInvalid(r, "override");
    expect(problem.detail).toMatch(/outside every rotation's shifts/);
  });

  it("an override ending before (or at) its start is refused on `override.end`", async () => {
    for (const end of ["2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z"]) {
      const r = await c.bob.request("POST", `/api/v1/schedules/${id}/overrides`, {
        userId: c.erin.id,
        start: "2026-03-02T12:00:00Z",
        end,
      });
      expect(expectInvalid(r, "override.end").detail).toMatch(/expected an end after the start/);
    }
  });

  it("an override for an unknown user is refused on `override.userId`", async () => {
    const r = await c.bob.request("POST", `/api/v1/schedules/${id}/overrides`, {
      userId: 999_999,
      start: "2026-03-02T12:00:00Z",
      end: "2026-03-02T14:00:00Z",
    });
    expect(expectInvalid(r, "override.userId").detail).toMatch(/no active user 999999/);
  });

  it("an override for a deactivated user is refused on `override.userId`", async () => {
    const gone = await t.user("gone", "responder");
    const off = await t.admin.request("PATCH", `/api/v1/users/${gone.id}`, { active: false });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    const r = await c.bob.request("POST", `/api/v1/schedules/${id}/overrides`, {
      userId: gone.id,
      start: "2026-03-02T12:00:00Z",
      end: "2026-03-02T14:00:00Z",
    });
    expectInvalid(r, "override.userId");
  });

  it("times that are not ISO date-times are refused naming the field", async () => {
    const r = await c.bob.request("POST", `/api/v1/schedules/${id}/overrides`, {
      userId: c.erin.id,
      start: "tomorrow",
      end: "2026-03-02T14:00:00Z",
    });
    expectInvalid(r, "start");
  });

  it("refused overrides leave no trace", async () => {
    t.clock.set("2026-03-01T00:00:00Z");
    expect((await t.admin.get(`/api/v1/schedules/${id}`)).body.overrides).toEqual([]);
  });
});

describe("overrides: roles and unknown schedules", () => {
  it("a viewer cannot add or remove overrides (403)", async () => {
    const viewer = await t.user("vic", "viewer");
    const body = { userId: c.erin.id, start: "2026-03-02T12:00:00Z", end: "2026-03-02T14:00:00Z" };
    expectProblem(await viewer.request("POST", `/api/v1/schedules/${id}/overrides`, body), 403, "forbidden");
    t.clock.set("2026-03-02T10:00:00Z");
    const o = await addOverride(c.bob, body);
    try {
      const r = await viewer.request("DELETE", `/api/v1/schedules/${id}/overrides/${o.id}`);
      expectProblem(r, 403, "forbidden");
    } finally {
      await removeOverride(c.bob, o.id);
    }
  });

  it("overrides of an unknown schedule are 404", async () => {
    const body = { userId: c.erin.id, start: "2026-03-02T12:00:00Z", end: "2026-03-02T14:00:00Z" };
    expectProblem(await c.bob.request("POST", "/api/v1/schedules/999999/overrides", body), 404, "not-found");
    expectProblem(await c.bob.request("DELETE", "/api/v1/schedules/999999/overrides/1"), 404, "not-found");
  });

  it("an override of one schedule cannot be deleted through another", async () => {
    t.clock.set("2026-03-02T10:00:00Z");
    const other = await createSchedule(t, platformSchedule(c, "Other"));
    const o = await addOverride(c.bob, {
      userId: c.erin.id,
      start: "2026-03-02T12:00:00Z",
      end: "2026-03-02T14:00:00Z",
    });
    try {
      const r = await c.bob.request("DELETE", `/api/v1/schedules/${other.id}/overrides/${o.id}`);
      expectProblem(r, 404, "not-found");
      expect((await t.admin.get(`/api/v1/schedules/${id}`)).body.overrides).toHaveLength(1);
    } finally {
      await removeOverride(c.bob, o.id);
      expect((await t.admin.request("DELETE", `/api/v1/schedules/${other.id}`)).status).toBe(204);
    }
  });
});
