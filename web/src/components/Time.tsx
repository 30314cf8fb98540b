/** Relative times that stay current while a page is open. */
import { useEffect, useState } from "react";
import { dateTime, relative } from "../lib/time.ts";

/** The time now, refreshed every `everyMs` so "5 minutes ago" keeps counting. */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export function Time({ iso }: { iso: string }) {
  const now = useNow();
  return (
    <time dateTime={iso} title={dateTime(iso)}>
      {relative(iso, now)}
    </time>
  );
}
