/**
 * OnCall schedules as Firebreak schedules (pure). OnCall may put several people on call at once
 * (a rolling_users group, a recurrent event's users); a Firebreak schedule has one person at a
 * time, so a schedule whose groups have up to N people becomes N schedules — "slots" — the first
 * named as in OnCall, the others "Name (2)" … — and the check compares the people on call in all of
 * them together with OnCall's. A group smaller than N fills the remaining slots with its first
 * person, which keeps the set of people on call the same.
 *
 * Levels: OnCall's higher level wins; Firebreak's later layer wins, so layers are sorted by level.
 */
import type { OverrideDoc, RotationDoc, ScheduleDoc } from "../config/document.ts";
import { coversAny } from "../oncall/rotation.ts";
import type { OnCallSchedule, OnCallShift } from "./grafana-oncall-api.ts";
import { type LayerPlan, type OneOff, oneOff, translateShift } from "./grafana-oncall-shifts.ts";
import type { CheckWindow, Unmapped } from "./types.ts";

export type ScheduleContext = {
  shifts: Map<string, OnCallShift>;
  /** An OnCall user id → the document's reference (email, else username); undefined if unknown. */
  userRef: (id: string) => string | undefined;
  teamSlug: (id: string | null | undefined) => string | undefined;
  window: CheckWindow;
  unmapped: Unmapped[];
};

const MAX_LAYERS = 20;

export type MappedSchedule = { source: OnCallSchedule; docs: ScheduleDoc[] };

const slotName = (name: string, slot: number) =>
  slot === 0 ? name.slice(0, 100) : `${name.slice(0, 94)} (${slot + 1})`;

/** The OnCall user ids a plan or one-off names that the users list lacks. */
function unknownUsers(ids: string[], ctx: ScheduleContext): string[] {
  return [...new Set(ids.filter((id) => ctx.userRef(id) === undefined))];
}

function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let n = 2; taken.has(candidate); n++) candidate = `${name.slice(0, 95)} #${n}`;
  taken.add(candidate);
  return candidate;
}

/** Whether some layer has someone on call within [start, end) — Firebreak requires it of an override. */
function covered(layers: RotationDoc[], start: Date, end: Date): boolean {
  return layers.some((layer) =>
    coversAny(
      { ...layer, participants: layer.participants.map((_, i) => i + 1) },
      start.getTime(),
      end.getTime(),
    ),
  );
}

/** One schedule's Firebreak schedules, or null (with the reason listed) when nothing could be translated. */
export function mapSchedule(schedule: OnCallSchedule, ctx: ScheduleContext): MappedSchedule | null {
  const skip = (reason: string) => {
    ctx.unmapped.push({ kind: "schedule", id: schedule.id, name: schedule.name, reason });
    return null;
  };
  if (schedule.type === "ical") {
    return skip(
      `an iCal schedule reads its shifts from ${schedule.ical_url_primary ?? "an external calendar"}; Firebreak schedules are rotations — recreate them, or import the calendar's source`,
    );
  }
  if (schedule.ical_url_overrides) {
    ctx.unmapped.push({
      kind: "schedule overrides calendar",
      id: schedule.id,
      name: schedule.name,
      reason: `overrides read from ${schedule.ical_url_overrides} are an external calendar; add the ones still ahead as Firebreak overrides`,
    });
  }
  if (!schedule.shifts?.length) {
    return skip(
      "OnCall's API lists no shifts for it (its `shifts` is empty), so there is nothing to translate; if OnCall shows people on call in it, recreate its rotations in Firebreak",
    );
  }
  const plans: LayerPlan[] = [];
  const oneOffs: OneOff[] = [];
  const from = ctx.window.from.getTime();
  const shiftUnmapped = (shift: { id: string; name: string }, reason: string) =>
    ctx.unmapped.push({ kind: "shift", id: shift.id, name: `${schedule.name}: ${shift.name}`, reason });

  const shifts: OnCallShift[] = [];
  for (const id of schedule.shifts ?? []) {
    const shift = ctx.shifts.get(id);
    if (shift) shifts.push(shift);
    else shiftUnmapped({ id, name: id }, "listed by the schedule but absent from on_call_shifts");
  }
  const topLevel = Math.max(0, ...shifts.filter((s) => s.type !== "override").map((s) => s.level ?? 0));
  for (const shift of shifts) {
    if (shift.type === "override" || shift.type === "single_event") {
      const o = oneOff(shift, schedule.time_zone);
      if (typeof o === "string") shiftUnmapped(shift, o);
      else if (o.end.getTime() <= from)
        continue; // over before the import: nothing to carry over
      else if (shift.type === "single_event" && (shift.level ?? 0) < topLevel) {
        shiftUnmapped(
          shift,
          "a one-off shift below a higher level's rotation; Firebreak's one-off shifts (overrides) win over every layer",
        );
      } else if (unknownUsers(o.users, ctx).length) {
        shiftUnmapped(
          shift,
          `names users absent from OnCall's users list: ${unknownUsers(o.users, ctx).join(", ")}`,
        );
      } else oneOffs.push(o);
      continue;
    }
    const t = translateShift(shift, schedule.time_zone);
    if (!t.ok) {
      shiftUnmapped(shift, t.reason);
      continue;
    }
    if (t.layer.until && t.layer.until.getTime() <= from) {
      shiftUnmapped(
        shift,
        `ended at ${t.layer.until.toISOString()}, before the import; nothing to carry over`,
      );
      continue;
    }
    const unknown = unknownUsers(t.layer.groups.flat(), ctx);
    if (unknown.length) {
      shiftUnmapped(shift, `names users absent from OnCall's users list: ${unknown.join(", ")}`);
      continue;
    }
    if (t.layer.until) {
      shiftUnmapped(
        shift,
        `ends at ${t.layer.until.toISOString()} in OnCall; Firebreak rotations do not end — remove the layer then`,
      );
    }
    plans.push(t.layer);
  }
  if (plans.length === 0) {
    return skip("none of its rotations could be translated (each is listed with its reason)");
  }
  plans.sort((a, b) => a.level - b.level);
  // A Firebreak schedule holds at most 20 layers; the lowest levels are the ones covered most.
  for (const dropped of plans.splice(0, Math.max(0, plans.length - MAX_LAYERS))) {
    shiftUnmapped(
      { id: dropped.shiftId, name: dropped.name },
      `a Firebreak schedule has at most ${MAX_LAYERS} layers; this is among the lowest levels beyond them`,
    );
  }
  oneOffs.sort((a, b) => a.start.getTime() - b.start.getTime());
  const slots = Math.max(
    ...plans.flatMap((p) => p.groups.map((g) => g.length)),
    ...oneOffs.map((o) => o.users.length),
  );
  const pick = (ids: string[], slot: number) => ctx.userRef(ids[slot] ?? ids[0]!)!;

  const docs: ScheduleDoc[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const names = new Set<string>();
    const layers: RotationDoc[] = plans.map((p) => ({
      name: uniqueName(p.name, names),
      timeZone: p.timeZone,
      participants: p.groups.map((g) => pick(g, slot)),
      shiftLength: p.shiftLength,
      start: p.start,
      ...(p.restrictions ? { restrictions: p.restrictions } : {}),
    }));
    const overrides: OverrideDoc[] = [];
    for (const o of oneOffs) {
      if (!covered(layers, o.start, o.end)) {
        if (slot === 0) {
          shiftUnmapped(
            { id: o.shiftId, name: o.name },
            "outside every rotation's shifts; a Firebreak override swaps someone into a shift, so add a rotation there first",
          );
        }
        continue;
      }
      overrides.push({
        user: pick(o.users, slot),
        start: o.start.toISOString(),
        end: o.end.toISOString(),
        reason: `OnCall ${o.name}`.slice(0, 500),
      });
    }
    const team = ctx.teamSlug(schedule.team_id);
    docs.push({
      name: slotName(schedule.name, slot),
      ...(team ? { team } : {}),
      timeZone: schedule.time_zone || "UTC",
      layers,
      ...(overrides.length ? { overrides } : {}),
    });
  }
  return { source: schedule, docs };
}
