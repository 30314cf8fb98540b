/**
 * The incident's clocks as a live countdown. The server says what time it is where the clocks run
 * (its answer's `now`); the browser counts from there with its own clock, so a skewed laptop clock
 * still shows the right time left.
 */

/** How far the server's clock is ahead of this browser's, from one answer received at `receivedAt`. */
export const skewOf = (serverNow: string, receivedAt: number): number => Date.parse(serverNow) - receivedAt;

/**
 * "in 4:05", "in 1:02:03" (hours), "overdue by 0:42": whole seconds, rounded so a clock due now
 * reads 0:00 and turns overdue only after.
 */
export function countdown(dueAt: string, serverNowMs: number): { text: string; overdue: boolean } {
  const left = Math.round((Date.parse(dueAt) - serverNowMs) / 1000);
  const abs = Math.abs(left);
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const s = abs % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  const clock = h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
  return left >= 0 ? { text: `in ${clock}`, overdue: false } : { text: `overdue by ${clock}`, overdue: true };
}

export type PendingClock = {
  ruleId: string;
  rule: string | null;
  kind: string;
  dueAt: string;
  fires: string;
  why: string;
};

/** Soonest first; a deadline's reminder before the deadline it belongs to when they tie. */
export const bySoonest = (clocks: PendingClock[]): PendingClock[] =>
  [...clocks].sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt) || a.kind.localeCompare(b.kind));
