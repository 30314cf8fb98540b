/**
 * One schedule: its rotations, the week's final shifts (overrides applied) as a grid and a list,
 * its current and coming overrides (with Delete), and creating one by form or by dragging.
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { type Schedule, shiftsQuery } from "../../api/oncall.ts";
import type { User } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { WeekGrid } from "../../components/WeekGrid.tsx";
import { namesList, personName, shiftLengthLabel, shiftOrigin } from "../../lib/oncall.ts";
import { type Day, type Span, spanLabel } from "../../lib/week.ts";
import { OverrideDialog } from "./OverrideDialog.tsx";
import { defaultOverrideSpan, OverrideItem } from "./OverrideItem.tsx";

export function ScheduleCalendar({
  schedule,
  days,
  people,
  now,
}: {
  schedule: Schedule;
  days: Day[];
  people: User[];
  now: number;
}) {
  const from = days[0]?.start.toISOString() ?? "";
  const until = days[days.length - 1]?.end.toISOString() ?? "";
  const shifts = useQuery({ ...shiftsQuery(schedule.id, from, until), placeholderData: (prev) => prev });
  const [dialog, setDialog] = useState<{ span: Span; n: number } | null>(null);
  const [created, setCreated] = useState("");
  const headingId = `schedule-${schedule.id}`;
  const open = (span: Span) => setDialog((d) => ({ span, n: (d?.n ?? 0) + 1 }));

  const shiftKey = (s: { start: string; end: string; userId: number }) => `${s.start}-${s.end}-${s.userId}`;
  const gridShifts = (shifts.data ?? []).map((s) => ({
    key: shiftKey(s),
    start: s.start,
    end: s.end,
    who: personName(people, s.userId),
    override: s.source.kind === "override",
  }));

  return (
    <section className="schedule panel" aria-labelledby={headingId}>
      <div className="section-head">
        <h3 id={headingId}>{schedule.name}</h3>
        <button type="button" onClick={() => open(defaultOverrideSpan(now))}>
          New override
        </button>
      </div>
      <ul className="plain rotations">
        {schedule.layers.map((l) => (
          <li key={l.name}>
            <strong>{l.name}</strong>: {namesList(l.participants.map((id) => personName(people, id)))},{" "}
            {shiftLengthLabel(l.shiftLength)}, hand-offs at {l.start.slice(11, 16)} {l.timeZone}
          </li>
        ))}
      </ul>
      <ErrorNote error={shifts.error} />
      <WeekGrid
        label={`${schedule.name}: shifts this week; drag across to pick an override's window`}
        days={days}
        shifts={gridShifts}
        now={now}
        onSelect={open}
      />
      <details className="disclosure">
        <summary>Shifts this week, as a list</summary>
        {shifts.data?.length === 0 ? <p className="muted">Nobody is on call this week.</p> : null}
        <ul className="plain shift-list">
          {shifts.data?.map((s) => (
            <li key={shiftKey(s)}>
              <strong>{personName(people, s.userId)}</strong> {spanLabel(s.start, s.end)}{" "}
              <span className="muted">({shiftOrigin(s, schedule)})</span>
            </li>
          ))}
        </ul>
      </details>
      <output className="hint" aria-live="polite">
        {created}
      </output>
      {schedule.overrides.length ? (
        <>
          <h4>Overrides, now and coming</h4>
          <ul className="plain">
            {schedule.overrides.map((o) => (
              <OverrideItem key={o.id} schedule={schedule} override={o} people={people} />
            ))}
          </ul>
        </>
      ) : null}
      {dialog ? (
        <OverrideDialog
          key={dialog.n}
          schedule={schedule}
          people={people}
          span={dialog.span}
          onClose={() => setDialog(null)}
          onCreated={(o) =>
            setCreated(
              `Override created: ${personName(people, o.userId)} is on call ${spanLabel(o.start, o.end)}.`,
            )
          }
        />
      ) : null}
    </section>
  );
}
