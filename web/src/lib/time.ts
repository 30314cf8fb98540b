/** Times as responders read them: "4 min ago", "due in 12 min", and the exact time on hover. */

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

/** "just now", "5 minutes ago", "in 2 hours": the largest whole unit, rounded toward zero. */
export function relative(iso: string, now: number, locale?: string): string {
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  if (abs < 45_000) return "just now";
  const format = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  for (const [unit, ms] of units) {
    if (abs >= ms || unit === "minute") return format.format(Math.trunc(diff / ms), unit);
  }
  return format.format(Math.trunc(diff / 60_000), "minute");
}

/** The exact local date and time, for titles and tables. */
export function dateTime(iso: string, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}
