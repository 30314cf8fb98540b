/** Pure helpers for the on-call screen: people's names, rotations, escalation levels in words. */
import type { EscalationPolicy, Schedule, Shift } from "../api/oncall.ts";
import type { User } from "../api/types.ts";

type Person = Pick<User, "id" | "name" | "username">;
type Named = { id: number; name: string };

/** A person's name as responders know them; a user not (or no longer) listed by id. */
export function personName(people: readonly Person[], id: number): string {
  const p = people.find((u) => u.id === id);
  return p ? p.name || p.username : `user ${id}`;
}

/** "Alice and Bob", "Alice, Bob and Carol"; "nobody" when empty. */
export function namesList(names: string[]): string {
  if (names.length === 0) return "nobody";
  if (names.length === 1) return names[0] ?? "";
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** Who may take an override: active people, not automation accounts ("@alerts"). */
export function overridePeople<P extends Person & { active: boolean }>(people: readonly P[]): P[] {
  return people
    .filter((p) => p.active && !p.username.startsWith("@"))
    .sort((a, b) => (a.name || a.username).localeCompare(b.name || b.username));
}

/** "every week", "every 12 hours", "every 2 days" */
export function shiftLengthLabel(length: Schedule["layers"][number]["shiftLength"]): string {
  const unit = length.unit.replace(/s$/, "");
  return length.count === 1 ? `every ${unit}` : `every ${length.count} ${length.unit}`;
}

/** An escalation target in words: "schedule EOC" or a person's name. */
export function targetLabel(
  target: EscalationPolicy["levels"][number]["targets"][number],
  schedules: readonly Named[],
  people: readonly Person[],
): string {
  if (target.kind === "user") return personName(people, target.id);
  const s = schedules.find((x) => x.id === target.id);
  return `schedule ${s ? s.name : `#${target.id}`}`;
}

/** "after 15 minutes without acknowledgement" for a level's timeout. */
export function timeoutLabel(minutes: number): string {
  return `${minutes} minute${minutes === 1 ? "" : "s"} without acknowledgement`;
}

/** The name of the rotation (layer) a shift comes from, or "override". */
export function shiftOrigin(shift: Shift, schedule: Pick<Schedule, "layers">): string {
  if (shift.source.kind === "override") return "override";
  return schedule.layers[shift.source.layer]?.name ?? `layer ${shift.source.layer + 1}`;
}

const weekdayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** ISO weekdays (1 = Monday) in words: "Mon–Fri", "Mon, Wed and Sat", "every day". */
export function weekdaysLabel(days: readonly number[]): string {
  const sorted = [...new Set(days)].filter((d) => d >= 1 && d <= 7).sort((a, b) => a - b);
  if (sorted.length === 0) return "no days";
  if (sorted.length === 7) return "every day";
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const name = (d: number) => weekdayNames[d - 1] ?? String(d);
  if (first !== undefined && last !== undefined && sorted.length > 2 && last - first === sorted.length - 1)
    return `${name(first)}–${name(last)}`;
  return namesList(sorted.map(name));
}
