/**
 * The escalation policy form's state and rules, without React: a draft as typed (numbers as the
 * text in their fields, so nothing typed is lost), checked as the API checks it
 * (src/paging/routes.ts and model.ts validatePolicy), with problems named as the API names fields
 * (`levels[1].timeoutMinutes`), and turned into the body of POST/PUT /escalation-policies.
 */
import type { PreviewLevel, PreviewTarget } from "./escalation-preview.ts";
import { splitDetail } from "./fields.ts";

export type Target = PreviewTarget;
/** `key` keeps a level's identity (focus, React keys) while levels are reordered. */
export type DraftLevel = { key: number; timeoutMinutes: string; targets: Target[] };
export type Draft = {
  name: string;
  description: string;
  /** "" for the API's default (your team). */
  teamId: string;
  levels: DraftLevel[];
  repeat: string;
  ackTimeoutMinutes: string;
  timeZone: string;
  days: number[];
  start: string;
  end: string;
};
export type PolicyLike = {
  name: string;
  description: string;
  teamId: number;
  levels: { timeoutMinutes: number; targets: Target[] }[];
  repeat: number;
  ackTimeoutMinutes: number;
  businessHours: { timeZone: string; days: number[]; start: string; end: string };
};
export type PolicyBody = {
  name: string;
  description: string;
  teamId?: number;
  levels: { timeoutMinutes: number; targets: Target[] }[];
  repeat: number;
  ackTimeoutMinutes: number;
  businessHours: { timeZone: string; days: number[]; start: string; end: string };
};
/** Problems by the API's field names. */
export type Problems = Record<string, string>;

let nextKey = 1;
export const newLevel = (timeoutMinutes = "15"): DraftLevel => ({
  key: nextKey++,
  timeoutMinutes,
  targets: [],
});

/** A new policy's form: one empty level, no repeats, the API's defaults otherwise. */
export function emptyDraft(timeZone = "UTC"): Draft {
  return {
    name: "",
    description: "",
    teamId: "",
    levels: [newLevel()],
    repeat: "0",
    ackTimeoutMinutes: "30",
    timeZone,
    days: [1, 2, 3, 4, 5],
    start: "09:00",
    end: "17:00",
  };
}

export function draftOf(p: PolicyLike): Draft {
  return {
    name: p.name,
    description: p.description,
    teamId: p.teamId ? String(p.teamId) : "",
    levels: p.levels.map((l) => ({ ...newLevel(String(l.timeoutMinutes)), targets: [...l.targets] })),
    repeat: String(p.repeat),
    ackTimeoutMinutes: String(p.ackTimeoutMinutes),
    timeZone: p.businessHours.timeZone,
    days: [...p.businessHours.days],
    start: p.businessHours.start,
    end: p.businessHours.end,
  };
}

/** The list with the item at `from` moved to `to` (both clamped into the list). */
export function moveItem<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list];
  if (from < 0 || from >= out.length) return out;
  const [item] = out.splice(from, 1) as [T];
  out.splice(Math.max(0, Math.min(out.length, to)), 0, item);
  return out;
}

export const sameTarget = (a: Target, b: Target) => a.kind === b.kind && a.id === b.id;

/** "schedule:3" / "user:5", the value of a target in a <select>. */
export const targetValue = (t: Target) => `${t.kind}:${t.id}`;
export function parseTarget(value: string): Target | null {
  const m = /^(user|schedule):(\d+)$/.exec(value);
  return m ? { kind: m[1] as Target["kind"], id: Number(m[2]) } : null;
}

const wholeNumber = (text: string) => (/^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN);
const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;

function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** What the API would refuse, by its field names; empty when the draft can be sent. */
export function checkDraft(d: Draft): Problems {
  const p: Problems = {};
  if (!d.name.trim()) p.name = "expected a name";
  else if (d.name.length > 100) p.name = "at most 100 characters";
  if (d.description.length > 2000) p.description = "at most 2000 characters";
  if (d.levels.length === 0) p.levels = "expected at least one level";
  if (d.levels.length > 20) p.levels = "at most 20 levels";
  d.levels.forEach((l, i) => {
    const t = wholeNumber(l.timeoutMinutes);
    if (!(t >= 1)) p[`levels[${i}].timeoutMinutes`] = "expected a whole number of minutes >= 1";
    if (l.targets.length === 0)
      p[`levels[${i}].targets`] = "expected at least one user or schedule to notify";
  });
  const repeat = wholeNumber(d.repeat);
  if (!(repeat >= 0 && repeat <= 9)) p.repeat = "expected a whole number from 0 to 9";
  if (!(wholeNumber(d.ackTimeoutMinutes) >= 1))
    p.ackTimeoutMinutes = "expected a whole number of minutes >= 1";
  if (!d.timeZone.trim()) p["businessHours.timeZone"] = "expected a time zone";
  else if (!knownZone(d.timeZone.trim()))
    p["businessHours.timeZone"] = "expected a time zone such as Europe/Berlin or UTC";
  if (d.days.length === 0) p["businessHours.days"] = "expected at least one day";
  if (!hhmm.test(d.start)) p["businessHours.start"] = "expected HH:MM";
  if (!hhmm.test(d.end)) p["businessHours.end"] = "expected HH:MM";
  return p;
}

/** The body of POST/PUT /escalation-policies (PUT replaces: every field is sent). */
export function bodyOf(d: Draft): PolicyBody {
  return {
    name: d.name.trim(),
    description: d.description,
    ...(d.teamId ? { teamId: Number(d.teamId) } : {}),
    levels: d.levels.map((l) => ({ timeoutMinutes: wholeNumber(l.timeoutMinutes), targets: l.targets })),
    repeat: wholeNumber(d.repeat),
    ackTimeoutMinutes: wholeNumber(d.ackTimeoutMinutes),
    businessHours: {
      timeZone: d.timeZone.trim(),
      days: [...d.days].sort((a, b) => a - b),
      start: d.start,
      end: d.end,
    },
  };
}

/** The levels and repeats as the preview reads them (a timeout being typed counts as 0). */
export function previewOf(d: Draft): { levels: PreviewLevel[]; repeat: number } {
  return {
    levels: d.levels.map((l) => ({ timeoutMinutes: wholeNumber(l.timeoutMinutes) || 0, targets: l.targets })),
    repeat: wholeNumber(d.repeat) || 0,
  };
}

/** A problem's field mapped to where the form shows it: a target's problem at its level's targets. */
export function formField(apiField: string): string {
  const target = /^(levels\[\d+\]\.targets)\[\d+\]/.exec(apiField);
  if (target?.[1]) return target[1];
  return apiField.replace(/^businessHours\.days\[\d+\]$/, "businessHours.days");
}

const formFields =
  /^(name|description|teamId|levels|repeat|ackTimeoutMinutes|levels\[\d+\]\.(timeoutMinutes|targets)|businessHours\.(timeZone|days|start|end))$/;

/**
 * A refused save (400) sorted to the form's fields (as `fieldProblems` does, with the level
 * fields' indexes); the rest is said above the button. Null when `err` is not a 400.
 */
export function refusalProblems(
  err: { status: number; detail: string } | null | undefined,
): { byField: Problems; rest: string[] } | null {
  if (err?.status !== 400) return null;
  const out = { byField: {} as Problems, rest: [] as string[] };
  for (const [apiField, message] of splitDetail(err.detail)) {
    const field = apiField === null ? null : formField(apiField);
    if (field === null || !formFields.test(field)) {
      out.rest.push(apiField === null ? message : `${apiField}: ${message}`);
    } else out.byField[field] = out.byField[field] ? `${out.byField[field]}; ${message}` : message;
  }
  return out;
}
