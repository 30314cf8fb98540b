/**
 * The import's on-call check (pure): for every hour of the window, the people the source has on
 * call in a schedule against the people on call in the Firebreak schedules it became. Someone
 * counts for an hour when any part of their shift falls in it, on both sides alike.
 */
import type { ConfigDocument, ScheduleDoc } from "../config/document.ts";
import { finalSchedule, type Schedule } from "../oncall/model.ts";
import type { CheckWindow, SourceOnCall } from "./types.ts";

const HOUR = 3_600_000;

export type RefShift = { user: string; start: Date; end: Date };

export type Mismatch = { schedule: string; hour: Date; source: string[]; firebreak: string[] };

export type OnCallCheck = {
  hours: number;
  schedules: number;
  mismatches: Mismatch[];
  /** Firebreak schedules named by the source that do not exist after the import. */
  missing: string[];
};

/** The window's hours: the next 4 weeks from the start of the hour `now` is in. */
export function checkWindow(now: Date, weeks = 4): CheckWindow {
  const from = new Date(Math.floor(now.getTime() / HOUR) * HOUR);
  return { from, until: new Date(from.getTime() + weeks * 7 * 24 * HOUR) };
}

/** A document's schedule in the on-call core's terms, people numbered by `idOf`. */
export function scheduleOf(doc: ScheduleDoc, idOf: (ref: string) => number): Schedule {
  return {
    name: doc.name,
    timeZone: doc.timeZone,
    layers: doc.layers.map((l) => ({ ...l, participants: l.participants.map(idOf) })),
    overrides: (doc.overrides ?? []).map((o) => ({
      userId: idOf(o.user),
      start: new Date(o.start),
      end: new Date(o.end),
      ...(o.reason ? { reason: o.reason } : {}),
    })),
  };
}

/** Who is on call in each of the document's schedules over the window, computed as the server would. */
export function documentShifts(doc: ConfigDocument, window: CheckWindow): Map<string, RefShift[]> {
  const refs: string[] = [];
  const ids = new Map<string, number>();
  const idOf = (ref: string) => {
    const key = ref.toLowerCase();
    let id = ids.get(key);
    if (id === undefined) {
      refs.push(ref);
      id = refs.length;
      ids.set(key, id);
    }
    return id;
  };
  const out = new Map<string, RefShift[]>();
  for (const s of doc.schedules) {
    const shifts = finalSchedule(scheduleOf(s, idOf), window.from, window.until);
    out.set(
      s.name,
      shifts.map((x) => ({ user: refs[x.userId - 1] ?? String(x.userId), start: x.start, end: x.end })),
    );
  }
  return out;
}

/** The people on call during each hour of the window. */
function perHour(shifts: RefShift[], window: CheckWindow, hours: number): Set<string>[] {
  const sets = Array.from({ length: hours }, () => new Set<string>());
  const lo = window.from.getTime();
  for (const s of shifts) {
    const start = Math.max(lo, s.start.getTime());
    const end = Math.min(window.until.getTime(), s.end.getTime());
    if (!(start < end)) continue;
    for (let h = Math.floor((start - lo) / HOUR); h < hours && lo + h * HOUR < end; h++) {
      sets[h]?.add(s.user.toLowerCase());
    }
  }
  return sets;
}

const sorted = (s: Set<string>) => [...s].sort();

export function compareOnCall(
  onCall: SourceOnCall[],
  firebreak: Map<string, RefShift[]>,
  window: CheckWindow,
): OnCallCheck {
  const hours = Math.round((window.until.getTime() - window.from.getTime()) / HOUR);
  const mismatches: Mismatch[] = [];
  const missing: string[] = [];
  for (const source of onCall) {
    const mine: RefShift[] = [];
    for (const name of source.schedules) {
      const shifts = firebreak.get(name);
      if (shifts) mine.push(...shifts);
      else missing.push(name);
    }
    const theirs = perHour(source.shifts, window, hours);
    const ours = perHour(mine, window, hours);
    for (let h = 0; h < hours; h++) {
      const a = sorted(theirs[h] ?? new Set());
      const b = sorted(ours[h] ?? new Set());
      if (a.join("\n") !== b.join("\n")) {
        mismatches.push({
          schedule: source.source.name,
          hour: new Date(window.from.getTime() + h * HOUR),
          source: a,
          firebreak: b,
        });
      }
    }
  }
  return { hours, schedules: onCall.length, mismatches, missing };
}
