import { invalid } from "../platform/errors.ts";
import { DAY, zoneOf } from "./localtime.ts";
import type { Problem, Schedule, Shift, ShiftSource } from "./model.ts";
import { coversAny, layerPieces, type Piece, validateRotation } from "./rotation.ts";

type Sourced = Piece & { source: ShiftSource };

const validTime = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());

/**
 * Problems with a schedule, each naming its field ("layers[1].timeZone", "overrides[0].end") and
 * what was expected; empty when it is valid. An override must meet some layer's shifts within its
 * own window (PAGE-7: coverage swaps are overrides *on the schedule*, not free-standing shifts).
 */
export function validateSchedule(s: Schedule): Problem[] {
  const problems: Problem[] = [];
  if (typeof s.name !== "string" || s.name.trim() === "") {
    problems.push({ field: "name", message: "expected a non-empty name" });
  }
  if (!zoneOf(s.timeZone)) {
    problems.push({
      field: "timeZone",
      message: `unknown time zone ${JSON.stringify(s.timeZone)}; expected an IANA name such as "Europe/Berlin"`,
    });
  }
  const layers = Array.isArray(s.layers) ? s.layers : [];
  if (layers.length === 0)
    problems.push({ field: "layers", message: "expected at least one rotation (layer)" });
  layers.forEach((layer, i) => {
    for (const p of validateRotation(layer))
      problems.push({ field: `layers[${i}].${p.field}`, message: p.message });
  });
  const layersValid = problems.every((p) => !p.field.startsWith("layers"));

  (Array.isArray(s.overrides) ? s.overrides : []).forEach((o, i) => {
    const at = `overrides[${i}]`;
    const before = problems.length;
    if (!Number.isInteger(o.userId) || o.userId < 1) {
      problems.push({ field: `${at}.userId`, message: "expected a user id (a whole number >= 1)" });
    }
    if (!validTime(o.start)) problems.push({ field: `${at}.start`, message: "expected a valid date-time" });
    if (!validTime(o.end)) problems.push({ field: `${at}.end`, message: "expected a valid date-time" });
    else if (validTime(o.start) && o.end <= o.start) {
      problems.push({
        field: `${at}.end`,
        message: `expected an end after the start (${o.start.toISOString()})`,
      });
    }
    // Coverage can only be judged for a well-formed override on well-formed layers.
    if (problems.length > before || !layersValid) return;
    if (!layers.some((layer) => coversAny(layer, o.start.getTime(), o.end.getTime()))) {
      problems.push({
        field: at,
        message: "outside every rotation's shifts; expected a window in which some layer has someone on call",
      });
    }
  });
  return problems;
}

function sameSource(a: ShiftSource, b: ShiftSource): boolean {
  if (a.kind === "layer") return b.kind === "layer" && a.layer === b.layer;
  return b.kind === "override" && a.index === b.index;
}

/**
 * Paints sources over each other: `sources` are ordered highest precedence first, each sorted and
 * non-overlapping. Between consecutive boundaries nothing starts or ends, so each such slice
 * belongs wholly to the first source with a piece there. One cursor per source keeps this linear
 * in (boundaries × sources) rather than pieces².
 */
function overlay(sources: Sourced[][]): Sourced[] {
  const cuts = [...new Set(sources.flat().flatMap((p) => [p.start, p.end]))].sort((a, b) => a - b);
  const cursors = sources.map(() => 0);
  const out: Sourced[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const start = cuts[i]!;
    const end = cuts[i + 1]!;
    for (const [si, list] of sources.entries()) {
      let j = cursors[si]!;
      while (j < list.length && list[j]!.end <= start) j++;
      cursors[si] = j;
      const p = list[j];
      if (!p || p.start > start) continue;
      const last = out.at(-1);
      if (last && last.end === start && last.userId === p.userId && sameSource(last.source, p.source)) {
        last.end = end;
      } else {
        out.push({ userId: p.userId, start, end, source: p.source });
      }
      break;
    }
  }
  return out;
}

function finalPieces(s: Schedule, lo: number, hi: number): Sourced[] {
  if (!(lo < hi)) return [];
  const layers = s.layers.map((r, layer) =>
    layerPieces(r, lo, hi, layer).map((p): Sourced => ({ ...p, source: { kind: "layer", layer } })),
  );
  // Each override is its own source, later ones first, so a later swap wins where two overlap.
  const overrides = s.overrides
    .map((o, index): Sourced[] => {
      const start = Math.max(lo, o.start.getTime());
      const end = Math.min(hi, o.end.getTime());
      return start < end ? [{ userId: o.userId, start, end, source: { kind: "override", index } }] : [];
    })
    .reverse();
  return overlay([overlay(overrides), ...layers.reverse()]);
}

function millis(name: string, d: Date): number {
  if (!validTime(d)) throw invalid(name, "expected a valid date-time");
  return d.getTime();
}

/**
 * Who is on call over [from, to): non-overlapping shifts, sorted, clipped to the window. Overrides
 * win, then the highest layer with someone on call; touching pieces of the same person and source
 * are merged; gaps (nobody on call) are absent. Throws (400, naming the field) for an invalid layer.
 */
export function finalSchedule(s: Schedule, from: Date, to: Date): Shift[] {
  return finalPieces(s, millis("from", from), millis("to", to)).map((p) => ({
    userId: p.userId,
    start: new Date(p.start),
    end: new Date(p.end),
    source: p.source,
  }));
}

/** PAGE-7: the user ids on call at `at` (one, or none in a gap); the final schedule's answer for that instant. */
export function onCallAt(s: Schedule, at: Date): number[] {
  const t = millis("at", at);
  return finalPieces(s, t, t + 1).map((p) => p.userId);
}

/**
 * The first instant after `at` when who is on call changes (someone else, or nobody, or somebody
 * after a gap) — "on call until". Null when nothing changes within `horizonDays`. A change of
 * source alone (an override handing back to the same person's shift) is not a hand-off.
 */
export function nextHandoff(s: Schedule, at: Date, horizonDays = 366): Date | null {
  const t = millis("at", at);
  // Most hand-offs are hours or days away: look near first, and only then further.
  for (const days of [2, 35, horizonDays]) {
    const end = t + Math.min(days, horizonDays) * DAY;
    const change = firstChange(finalPieces(s, t, end), t, end);
    if (change !== null) return new Date(change);
    if (days >= horizonDays) break;
  }
  return null;
}

function firstChange(pieces: Piece[], at: number, end: number): number | null {
  let current: number | null = null;
  let t = at;
  for (const p of pieces) {
    if (p.start > t && current !== null) return t; // the person goes off call into a gap
    if (p.start > at && p.userId !== current) return p.start;
    current = p.userId;
    t = p.end;
  }
  // A piece ending at `end` is only clipped there: the change, if any, is beyond the window.
  return current !== null && t < end ? t : null;
}
