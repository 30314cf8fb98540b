/**
 * Opsgenie schedules as Firebreak schedules (issue 19). In Opsgenie every rotation of a schedule is
 * on call at once; a Firebreak schedule has one person at a time. So a schedule whose rotations
 * have someone on call at the same moment becomes one Firebreak schedule per rotation
 * ("Ops_Schedule / Rotation 2"), and whatever pointed at it points at all of them; rotations that
 * never meet stay layers of one schedule. Which it is comes from the source's own timeline over
 * the check's window, which is also what the on-call check compares with.
 */
import type { OverrideDoc, ScheduleDoc } from "../config/document.ts";
import type { OgParticipant, OgSchedule, OpsgenieAccount } from "./opsgenie-api.ts";
import { translateRotation } from "./opsgenie-rotation.ts";
import type { CheckWindow, SourceOnCall, Unmapped } from "./types.ts";

export type People = {
  /** The document's reference (email) for an Opsgenie participant, or why there is none. */
  person(p: OgParticipant): { ref: string } | { reason: string };
};

type Interval = { start: number; end: number };

const overlaps = (a: Interval, b: Interval) => a.start < b.end && b.start < a.end;

export function mapSchedules(
  account: OpsgenieAccount,
  people: People,
  teamSlug: (teamId: string | undefined) => string | undefined,
  window: CheckWindow,
): {
  schedules: ScheduleDoc[];
  /** Opsgenie schedule id → the Firebreak schedules it became (none when nothing could be imported). */
  names: Map<string, string[]>;
  onCall: SourceOnCall[];
  unmapped: Unmapped[];
} {
  const schedules: ScheduleDoc[] = [];
  const names = new Map<string, string[]>();
  const onCall: SourceOnCall[] = [];
  const unmapped: Unmapped[] = [];
  const from = window.from.getTime();
  const until = window.until.getTime();
  const used = new Set<string>();
  const unique = (name: string) => {
    let n = name.slice(0, 100);
    for (let i = 2; used.has(n); i++) n = `${name.slice(0, 95)} (${i})`;
    used.add(n);
    return n;
  };

  for (const s of account.schedules) {
    const timeline = account.timelines.get(s.id);
    // Each rotation's final periods, clipped to the window; the timeline names rotations by id.
    const periods = new Map<string, (Interval & { recipient?: OgParticipant })[]>();
    for (const tr of timeline?.finalTimeline.rotations ?? []) {
      const list = tr.periods
        .map((p) => ({
          start: Math.max(from, Date.parse(p.startDate)),
          end: Math.min(until, Date.parse(p.endDate)),
          recipient: p.recipient,
        }))
        .filter((p) => p.start < p.end && p.recipient?.type !== "none");
      periods.set(tr.id ?? tr.name ?? "", list);
    }
    const periodsOf = (rotationId: string, rotationName: string) =>
      periods.get(rotationId) ?? periods.get(rotationName) ?? [];

    if (!s.enabled) {
      unmapped.push({
        kind: "schedule",
        id: s.id,
        name: s.name,
        reason: "disabled in Opsgenie; imported as it is, and Firebreak schedules are always on",
      });
    }

    const layers = s.rotations.flatMap((r) => {
      const t = translateRotation(r, s.timezone, people.person, window.from);
      for (const note of t.notes) {
        unmapped.push({ kind: "schedule rotation", id: r.id, name: `${s.name} / ${r.name}`, reason: note });
      }
      return t.layer ? [{ rotation: r, layer: t.layer }] : [];
    });

    const split =
      layers.length > 1 &&
      layers.some((a, i) =>
        layers.some(
          (b, j) =>
            j > i &&
            periodsOf(a.rotation.id, a.rotation.name).some((pa) =>
              periodsOf(b.rotation.id, b.rotation.name).some((pb) => overlaps(pa, pb)),
            ),
        ),
      );
    const team = teamSlug(s.ownerTeam?.id);
    const made: { doc: ScheduleDoc; rotations: typeof layers }[] = split
      ? layers.map((l) => ({
          doc: {
            name: unique(`${s.name} / ${l.rotation.name || l.rotation.id}`),
            ...(team ? { team } : {}),
            timeZone: s.timezone,
            layers: [l.layer],
          },
          rotations: [l],
        }))
      : layers.length > 0
        ? [
            {
              doc: {
                name: unique(s.name),
                ...(team ? { team } : {}),
                timeZone: s.timezone,
                layers: layers.map((l) => l.layer),
              },
              rotations: layers,
            },
          ]
        : [];
    if (made.length === 0) {
      unmapped.push({
        kind: "schedule",
        id: s.id,
        name: s.name,
        reason: "none of its rotations could be imported (see them above); escalations to it are left out",
      });
    }

    overridesOf(s, account, people, made, periodsOf, window, unmapped);
    for (const m of made) schedules.push(m.doc);
    names.set(
      s.id,
      made.map((m) => m.doc.name),
    );

    const shifts: SourceOnCall["shifts"] = [];
    for (const list of periods.values()) {
      for (const p of list) {
        if (!p.recipient) continue;
        const who = people.person(p.recipient);
        if ("ref" in who) shifts.push({ user: who.ref, start: new Date(p.start), end: new Date(p.end) });
      }
    }
    shifts.sort((a, b) => a.start.getTime() - b.start.getTime());
    onCall.push({ source: { id: s.id, name: s.name }, schedules: names.get(s.id) ?? [], shifts });
  }
  return { schedules, names, onCall, unmapped };
}

/**
 * Overrides not yet ended, on the Firebreak schedules of the rotations they name (all when they
 * name none). A Firebreak override must meet someone's shift, so a split schedule whose rotation
 * has nobody on call during the override (per the source's timeline) does not get it.
 */
function overridesOf(
  s: OgSchedule,
  account: OpsgenieAccount,
  people: People,
  made: { doc: ScheduleDoc; rotations: { rotation: { id: string; name: string } }[] }[],
  periodsOf: (id: string, name: string) => Interval[],
  window: CheckWindow,
  unmapped: Unmapped[],
) {
  for (const o of account.overrides.get(s.id) ?? []) {
    const start = Date.parse(o.startDate);
    const end = Date.parse(o.endDate);
    const label = {
      kind: "schedule override",
      id: o.alias,
      name: `${s.name}: ${o.startDate} – ${o.endDate}`,
    };
    if (!(end > window.from.getTime())) continue; // over already: history, not set-up
    if (Number.isNaN(start) || Number.isNaN(end) || end <= start) {
      unmapped.push({ ...label, reason: "its start and end are not a time span" });
      continue;
    }
    const who = people.person(o.user);
    if ("reason" in who) {
      unmapped.push({ ...label, reason: who.reason });
      continue;
    }
    const named = new Set(o.rotations.map((r) => r.id));
    const inTimeline = start < window.until.getTime();
    const span = {
      start: Math.max(start, window.from.getTime()),
      end: Math.min(end, window.until.getTime()),
    };
    const doc: OverrideDoc = {
      user: who.ref,
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      reason: `Opsgenie override ${o.alias}`.slice(0, 500),
    };
    let placed = 0;
    for (const m of made) {
      const rotations = m.rotations.filter((r) => named.size === 0 || named.has(r.rotation.id));
      if (rotations.length === 0) continue;
      const covered =
        !inTimeline ||
        rotations.some((r) => periodsOf(r.rotation.id, r.rotation.name).some((p) => overlaps(p, span)));
      if (!covered) continue;
      m.doc.overrides = [...(m.doc.overrides ?? []), doc];
      placed++;
    }
    if (placed === 0) {
      unmapped.push({
        ...label,
        reason:
          "no imported rotation it applies to has anyone on call then, and a Firebreak override swaps a shift",
      });
    }
  }
}
