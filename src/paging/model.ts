/**
 * Pages and escalation as pure functions of (page, policy, input, now). The service turns the
 * returned steps into rows and durable timers; nothing here touches the database or the clock.
 */
import { DateTime } from "luxon";
import { AppError } from "../platform/errors.ts";

export type Target = { kind: "user"; id: number } | { kind: "schedule"; id: number };
export type Level = { timeoutMinutes: number; targets: Target[] };
export type BusinessHours = { timeZone: string; days: number[]; start: string; end: string };

export type EscalationPolicy = {
  id: number;
  name: string;
  description: string;
  levels: Level[];
  /** How many times the whole policy runs again after its last level (0 = once). */
  repeat: number;
  /** An acknowledged page not resolved within this long re-opens and escalates again. */
  ackTimeoutMinutes: number;
  /** Low-urgency pages do not escalate outside these hours (SEV-5). */
  businessHours: BusinessHours;
  /** Defined by the policy file and kept in step with it; not edited through the API. */
  managed?: boolean;
  /** The team that owns it (the default team when none is named at creation). */
  teamId?: number;
};

/**
 * A page for an incident role engages whoever acknowledges it in that role: `own` also hands them
 * ownership (OWN-1 escalation), `handOverFrom` takes the role over from that person (OWN-8).
 */
export type PageEngage = { role: string; own?: boolean; handOverFrom?: number };

export type Urgency = "high" | "low";
export type PageState = "triggered" | "acknowledged" | "resolved";

export type Page = {
  id: number;
  policyId: number;
  incidentId: number | null;
  title: string;
  urgency: Urgency;
  state: PageState;
  level: number;
  round: number;
  /** Bumped by every escalation, ack and resolve: a timer carrying an older step is stale. */
  step: number;
  assignedTo: number[];
  acknowledgedBy: number | null;
  acknowledgedAt: Date | null;
  resolvedBy: number | null;
  resolvedAt: Date | null;
  createdBy: number | null;
  createdAt: Date;
  updatedAt: Date;
  engage?: PageEngage | null;
};

export const defaultBusinessHours: BusinessHours = {
  timeZone: "UTC",
  days: [1, 2, 3, 4, 5],
  start: "09:00",
  end: "17:00",
};

/** Problems with a policy as given by a person, each naming its field (empty = valid). */
export function validatePolicy(p: Pick<EscalationPolicy, "levels" | "repeat" | "ackTimeoutMinutes">) {
  const problems: { field: string; message: string }[] = [];
  if (p.levels.length === 0) problems.push({ field: "levels", message: "expected at least one level" });
  p.levels.forEach((l, i) => {
    if (!Number.isInteger(l.timeoutMinutes) || l.timeoutMinutes < 1) {
      problems.push({
        field: `levels[${i}].timeoutMinutes`,
        message: "expected a whole number of minutes >= 1",
      });
    }
    if (l.targets.length === 0) {
      problems.push({
        field: `levels[${i}].targets`,
        message: "expected at least one user or schedule to notify",
      });
    }
  });
  if (!Number.isInteger(p.repeat) || p.repeat < 0 || p.repeat > 9) {
    problems.push({ field: "repeat", message: "expected a whole number from 0 to 9" });
  }
  if (!Number.isInteger(p.ackTimeoutMinutes) || p.ackTimeoutMinutes < 1) {
    problems.push({ field: "ackTimeoutMinutes", message: "expected a whole number of minutes >= 1" });
  }
  return problems;
}

/** The level after the current one, wrapping to the first while repeats remain; null at the end. */
export function nextLevel(policy: EscalationPolicy, page: Pick<Page, "level" | "round">) {
  if (page.level + 1 < policy.levels.length) return { level: page.level + 1, round: page.round };
  if (page.round < policy.repeat) return { level: 0, round: page.round + 1 };
  return null;
}

export function withinBusinessHours(h: BusinessHours, at: Date): boolean {
  const local = DateTime.fromJSDate(at, { zone: h.timeZone });
  if (!h.days.includes(local.weekday)) return false;
  const minutes = local.hour * 60 + local.minute;
  const [sh, sm] = h.start.split(":").map(Number) as [number, number];
  const [eh, em] = h.end.split(":").map(Number) as [number, number];
  return minutes >= sh * 60 + sm && minutes < eh * 60 + em;
}

/** The first instant at or after `at` inside business hours (searching a fortnight ahead). */
export function nextBusinessInstant(h: BusinessHours, at: Date): Date {
  if (withinBusinessHours(h, at)) return at;
  const [sh, sm] = h.start.split(":").map(Number) as [number, number];
  let day = DateTime.fromJSDate(at, { zone: h.timeZone }).startOf("day");
  for (let i = 0; i < 15; i++) {
    const opening = day.set({ hour: sh, minute: sm });
    if (h.days.includes(opening.weekday) && opening.toMillis() >= at.getTime()) return opening.toJSDate();
    day = day.plus({ days: 1 });
  }
  return at; // no business day configured: escalate as if always open
}

/** SEV-5: S3/S4 pages on weekends (in business-hours time zone) are low urgency; others high. */
export function urgencyFor(severity: string, lowSeverities: string[], h: BusinessHours, at: Date): Urgency {
  const weekday = DateTime.fromJSDate(at, { zone: h.timeZone }).weekday;
  return lowSeverities.includes(severity) && weekday >= 6 ? "low" : "high";
}

/**
 * When the current level times out and the next one is notified, or null when this was the last.
 * Low urgency waits for business hours (SEV-5).
 */
export function escalationTimer(policy: EscalationPolicy, page: Page, now: Date): Date | null {
  if (!nextLevel(policy, page)) return null;
  const level = policy.levels[page.level];
  const due = new Date(now.getTime() + (level?.timeoutMinutes ?? 1) * 60_000);
  return page.urgency === "low" ? nextBusinessInstant(policy.businessHours, due) : due;
}

const refuse = (page: Page, detail: string, allowed: PageState[]) =>
  new AppError("invalid-transition", detail, { currentState: page.state, allowed });

export function acknowledge(page: Page, userId: number, now: Date): Page {
  if (page.state !== "triggered") {
    throw refuse(page, `page ${page.id} is ${page.state}; only a triggered page can be acknowledged`, [
      "triggered",
    ]);
  }
  return {
    ...page,
    state: "acknowledged",
    step: page.step + 1,
    acknowledgedBy: userId,
    acknowledgedAt: now,
    updatedAt: now,
  };
}

export function resolve(page: Page, userId: number, now: Date): Page {
  if (page.state === "resolved") throw refuse(page, `page ${page.id} is already resolved`, []);
  return {
    ...page,
    state: "resolved",
    step: page.step + 1,
    resolvedBy: userId,
    resolvedAt: now,
    updatedAt: now,
  };
}

/** Moves the page to a level (notifying it is the service's job); re-opens an acknowledged page. */
export function escalateTo(
  page: Page,
  policy: EscalationPolicy,
  level: number,
  round: number,
  now: Date,
): Page {
  if (page.state === "resolved") throw refuse(page, `page ${page.id} is resolved; trigger a new one`, []);
  if (!Number.isInteger(level) || level < 0 || level >= policy.levels.length) {
    throw new AppError(
      "invalid-request",
      `level: policy ${policy.name} has levels 0 to ${policy.levels.length - 1}; got ${level}`,
      { field: "level" },
    );
  }
  return {
    ...page,
    state: "triggered",
    level,
    round,
    step: page.step + 1,
    acknowledgedBy: null,
    acknowledgedAt: null,
    updatedAt: now,
  };
}

// -- contact method verification ----------------------------------------------------------------

/**
 * Kinds that reach a person's own phone: a mistyped number or topic would page a stranger or
 * nobody, so they carry pages only once their owner typed back a code sent through them. Email,
 * webhooks and chat hooks are proved with a test notification instead; a push subscription is made
 * by the device itself.
 */
export const KINDS_VERIFIED_BY_CODE = ["sms", "voice", "ntfy"] as const;
export const CODE_DIGITS = 6;
export const CODE_TTL_MINUTES = 15;
/** Wrong codes allowed before the code is void and a new one must be asked for. */
export const CODE_ATTEMPTS = 5;
/** A new code at most this often per method: each one is a text or a call to someone's phone. */
export const CODE_RESEND_SECONDS = 60;

export function needsVerification(kind: string): boolean {
  return (KINDS_VERIFIED_BY_CODE as readonly string[]).includes(kind);
}

/** What carries the code: a call reads the digits one by one, twice; a text or push shows them. */
export function verificationMessage(kind: string, code: string): { subject: string; text: string } {
  if (kind === "voice") {
    const spoken = code.split("").join(", ");
    return {
      subject: `[Firebreak] Your verification code is ${spoken}. Again: ${spoken}.`,
      text: `Your Firebreak verification code is ${code}.`,
    };
  }
  return {
    subject: `[Firebreak] Your verification code is ${code}`,
    text: `Your Firebreak verification code is ${code}. Type it on your profile (or run firebreak contact verify) within ${CODE_TTL_MINUTES} minutes. If you did not add this contact method, ignore this message.`,
  };
}

/** Typed codes are compared loosely: spaces and dashes people add while copying are dropped. */
export function normalizeCode(typed: string): string {
  return typed.replace(/[\s-]/g, "");
}
