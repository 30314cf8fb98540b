/**
 * A week of on-call shifts: a row per local day, 24 hours across, each shift a bar with the
 * person and the times. Dragging across the rows (mouse, pen, or a finger along a day) selects a
 * window snapped to 30 minutes and hands it to `onSelect`; the keyboard way is the override form.
 */
import { type PointerEvent, useRef, useState } from "react";
import {
  clockRange,
  type Day,
  dragSpan,
  instantAt,
  type Span,
  segmentsOfDay,
  spanLabel,
} from "../lib/week.ts";

export type GridShift = { key: string; start: string; end: string; who: string; override: boolean };

type Point = { day: Day; at: number };

/** "Mon 23": the week's dates are in the caption above the grid. */
const dayName = (d: Date) =>
  new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric" }).format(d);
const hourMarks = [0, 6, 12, 18];
const hh = (h: number) => `${String(h).padStart(2, "0")}:00`;

export function WeekGrid({
  label,
  days,
  shifts,
  now,
  onSelect,
}: {
  label: string;
  days: Day[];
  shifts: GridShift[];
  now: number;
  onSelect: (span: Span) => void;
}) {
  const rows = useRef<(HTMLDivElement | null)[]>([]);
  const [drag, setDrag] = useState<{ from: Point; to: Point } | null>(null);

  /** The day row under the pointer (the nearest one above or below the grid) and the instant. */
  const pointAt = (e: PointerEvent): Point | null => {
    let index = 0;
    rows.current.forEach((el, i) => {
      if (el && e.clientY >= el.getBoundingClientRect().top) index = i;
    });
    const el = rows.current[index];
    const day = days[index];
    if (!el || !day) return null;
    const r = el.getBoundingClientRect();
    return { day, at: instantAt(day, (e.clientX - r.left) / r.width) };
  };

  const down = (e: PointerEvent<HTMLFieldSetElement>) => {
    if (e.button !== 0 || !(e.target as HTMLElement).closest(".week-track")) return;
    const p = pointAt(e);
    if (!p) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    e.preventDefault();
    setDrag({ from: p, to: p });
  };
  const move = (e: PointerEvent<HTMLFieldSetElement>) => {
    if (!drag) return;
    const p = pointAt(e);
    if (p) setDrag({ ...drag, to: p });
  };
  const up = (e: PointerEvent<HTMLFieldSetElement>) => {
    if (!drag) return;
    const p = pointAt(e) ?? drag.to;
    setDrag(null);
    onSelect(dragSpan(drag.from, p));
  };

  const selection = drag ? dragSpan(drag.from, drag.to) : null;
  const selected = selection
    ? [{ start: new Date(selection.start).toISOString(), end: new Date(selection.end).toISOString() }]
    : [];

  return (
    <fieldset
      className="week-grid"
      onPointerDown={down}
      onPointerMove={move}
      onPointerUp={up}
      onPointerCancel={() => setDrag(null)}
    >
      <legend className="visually-hidden">{label}</legend>
      <div className="week-hours" aria-hidden="true">
        {hourMarks.map((h) => (
          <span key={h} className="week-hour" style={{ left: `${(h / 24) * 100}%` }}>
            {hh(h)}
          </span>
        ))}
      </div>
      <ol className="week-days">
        {days.map((day, i) => {
          const today = now >= day.start.getTime() && now < day.end.getTime();
          return (
            <li key={day.start.getTime()} className={today ? "week-day today" : "week-day"}>
              <span className="week-day-name">
                {dayName(day.start)}
                {today ? <span className="visually-hidden"> (today)</span> : null}
              </span>
              <div
                className="week-track"
                ref={(el) => {
                  rows.current[i] = el;
                }}
              >
                {segmentsOfDay(shifts, day).map((s) => (
                  <span
                    key={s.item.key}
                    className={s.item.override ? "week-shift override" : "week-shift"}
                    style={{ left: `${s.left * 100}%`, width: `${s.width * 100}%` }}
                    title={`${s.item.who}: ${spanLabel(s.item.start, s.item.end)}${s.item.override ? " (override)" : ""}`}
                  >
                    <span className="week-shift-who">{s.item.who}</span>{" "}
                    <span className="week-shift-time">
                      {clockRange(s.start, s.end, day)}
                      {s.item.override ? " (override)" : ""}
                    </span>
                  </span>
                ))}
                {segmentsOfDay(selected, day).map((s) => (
                  <span
                    key="selection"
                    className="week-selection"
                    aria-hidden="true"
                    style={{ left: `${s.left * 100}%`, width: `${s.width * 100}%` }}
                  />
                ))}
                {today ? (
                  <span
                    className="week-now"
                    aria-hidden="true"
                    style={{
                      left: `${((now - day.start.getTime()) / (day.end.getTime() - day.start.getTime())) * 100}%`,
                    }}
                  />
                ) : null}
              </div>
            </li>
          );
        })}
      </ol>
    </fieldset>
  );
}
