/**
 * The final schedule for the coming weeks as the draft stands (unsaved edits included), computed
 * in the browser with the server's own shift math, and "who is on call at …" for a chosen time.
 * Times are the schedule's zone's. Each render of a new preview is measured as the performance
 * entry "schedule-preview" (the webapp benchmark reads it).
 */
import { useLayoutEffect, useMemo, useState } from "react";
import { zoneOf } from "../../../../src/oncall/localtime.ts";
import type { Override, Shift } from "../../../../src/oncall/model.ts";
import type { User } from "../../api/types.ts";
import { namesList, personName } from "../../lib/oncall.ts";
import {
  type Draft,
  handoffCount,
  instantIn,
  localIn,
  previewOf,
  previewWeeks,
  weekSegment,
  whoAt,
} from "../../lib/schedule-preview.ts";

const SHOWN = 6;

function formatter(timeZone: string, withDate: boolean) {
  return new Intl.DateTimeFormat(undefined, {
    timeZone: zoneOf(timeZone) ? timeZone : "UTC",
    ...(withDate ? { weekday: "short", day: "numeric", month: "short" } : {}),
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
}

function origin(shift: Shift, draft: Draft): string {
  if (shift.source.kind === "override") return "override";
  return draft.layers[shift.source.layer]?.name || `layer ${shift.source.layer + 1}`;
}

export function SchedulePreview({
  draft,
  overrides,
  people,
  now,
}: {
  draft: Draft;
  overrides: Override[];
  people: User[];
  now: number;
}) {
  const started = performance.now();
  const [weekCount, setWeekCount] = useState(12);
  const zone = zoneOf(draft.timeZone) ? draft.timeZone : "UTC";
  const [atLocal, setAtLocal] = useState(() => localIn(zone, now));
  const weeks = useMemo(() => previewWeeks(zone, now, weekCount), [zone, now, weekCount]);
  const preview = useMemo(
    () => previewOf(draft, overrides, weeks[0]?.start ?? now, weeks.at(-1)?.end ?? now),
    [draft, overrides, weeks, now],
  );
  // Colours follow the people in the draft's order, so one person keeps one colour across weeks.
  const colour = useMemo(() => {
    const ids = [
      ...new Set([...draft.layers.flatMap((l) => l.participants), ...overrides.map((o) => o.userId)]),
    ];
    return new Map(ids.map((u, i) => [u, i % 6]));
  }, [draft, overrides]);

  // After the DOM holds a new preview: its computing and rendering, measured in the browser.
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new preview is the trigger; `started` is this render's
  useLayoutEffect(() => {
    performance.measure("schedule-preview", { start: started, end: performance.now() });
  }, [preview]);

  // Building an Intl formatter costs far more than formatting with one: one of each per zone.
  const { long, short, dayOnly } = useMemo(
    () => ({
      long: formatter(zone, true),
      short: formatter(zone, false),
      dayOnly: new Intl.DateTimeFormat(undefined, { timeZone: zone, day: "numeric", month: "short" }),
    }),
    [zone],
  );
  const [listOpen, setListOpen] = useState(false);
  const name = (u: number) => personName(people, u);
  const at = instantIn(zone, atLocal);
  const who = at === null ? null : whoAt(draft, overrides, at);
  const day = (t: number) => dayOnly.format(t);
  const gapMs = useMemo(() => {
    const covered = preview.shifts.reduce((s, x) => s + (x.end.getTime() - x.start.getTime()), 0);
    const span = (weeks.at(-1)?.end ?? 0) - (weeks[0]?.start ?? 0);
    return Math.max(0, span - covered);
  }, [preview, weeks]);

  return (
    <section className="schedule-preview panel" aria-labelledby="preview-heading">
      <div className="section-head">
        <h2 id="preview-heading">Preview</h2>
        <label className="inline">
          Weeks
          <select value={weekCount} onChange={(e) => setWeekCount(Number(e.target.value))}>
            {[2, 4, 8, 12].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="hint">
        The final schedule with your unsaved changes and the saved overrides, in {zone}. Nothing is saved
        until you press <em>Save schedule</em>.
      </p>
      {preview.problems.length ? (
        <div className="warn-note" role="status">
          <strong>No preview until the schedule is complete:</strong>
          <ul>
            {preview.problems.slice(0, 5).map((p) => (
              <li key={`${p.field}-${p.message}`}>
                {p.field}: {p.message}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <>
          <p aria-live="polite" className="preview-summary">
            {handoffCount(preview.shifts)} hand-offs in {weekCount} weeks;{" "}
            {gapMs === 0
              ? "nobody is ever missing"
              : `nobody on call for ${Math.round(gapMs / 3_600_000)} hours`}
            .
          </p>
          <h3 id="coming-heading">Coming shifts</h3>
          <ol className="plain coming-shifts" aria-labelledby="coming-heading">
            {preview.shifts
              .filter((s) => s.end.getTime() > now)
              .slice(0, SHOWN)
              .map((s) => (
                <li key={`${s.start.getTime()}-${s.userId}`}>
                  <strong>{name(s.userId)}</strong> {long.format(s.start)} – {long.format(s.end)}{" "}
                  <span className="muted">({origin(s, draft)})</span>
                </li>
              ))}
          </ol>
          <ol className="plain preview-weeks" aria-label={`${weekCount} weeks, a row per week from Monday`}>
            {weeks.map((w) => (
              <li key={w.start} className="preview-week">
                <span className="preview-week-name">{day(w.start)}</span>
                <span className="preview-track">
                  {preview.shifts.map((s) => {
                    const seg = weekSegment(s, w);
                    if (!seg) return null;
                    return (
                      <span
                        key={s.start.getTime()}
                        className={`preview-shift who-${colour.get(s.userId) ?? 0}${s.source.kind === "override" ? " override" : ""}`}
                        style={{ left: `${seg.left * 100}%`, width: `${seg.width * 100}%` }}
                        title={`${name(s.userId)}: ${long.format(s.start)} – ${long.format(s.end)} (${origin(s, draft)})`}
                      >
                        {seg.width > 0.08 ? name(s.userId) : ""}
                      </span>
                    );
                  })}
                </span>
              </li>
            ))}
          </ol>
          <details className="disclosure" onToggle={(e) => setListOpen(e.currentTarget.open)}>
            <summary>All {preview.shifts.length} shifts, as a list</summary>
            <ul className="plain shift-list">
              {(listOpen ? preview.shifts : []).map((s) => (
                <li key={`${s.start.getTime()}-${s.userId}`}>
                  <strong>{name(s.userId)}</strong> {long.format(s.start)} – {short.format(s.end)}
                  {s.end.getTime() - s.start.getTime() >= 86_400_000 ? ` (${day(s.end.getTime())})` : ""}{" "}
                  <span className="muted">({origin(s, draft)})</span>
                </li>
              ))}
            </ul>
          </details>
        </>
      )}
      <div className="who-at">
        <label>
          On call at ({zone})
          <input type="datetime-local" value={atLocal} onChange={(e) => setAtLocal(e.target.value)} />
        </label>
        <output aria-live="polite" className="who-at-answer">
          {at === null
            ? "Choose a date and time."
            : who === null
              ? "Complete the schedule to see who is on call."
              : who.length === 0
                ? "Nobody is on call then."
                : `${namesList(who.map(name))} ${who.length === 1 ? "is" : "are"} on call then.`}
        </output>
      </div>
    </section>
  );
}
