/**
 * "If nobody acknowledges, who is notified when": the policy being edited played forward from a
 * start time (default now), schedules resolved to who they have on call at each step from their
 * final shifts (GET /schedules/{id}/shifts). Follows the form as it is typed.
 */
import { useQueries } from "@tanstack/react-query";
import { useId, useState } from "react";
import { type Schedule, type Shift, shiftsQuery } from "../../api/oncall.ts";
import type { User } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import {
  escalationSteps,
  offsetLabel,
  onCallFromShifts,
  type PreviewPolicy,
  type PreviewStep,
  previewWindow,
  repeatsOf,
  stepTimeLabel,
} from "../../lib/escalation-preview.ts";
import { namesList, personName, weekdaysLabel } from "../../lib/oncall.ts";
import { fromLocalInput, toLocalInput, viewerTimeZone } from "../../lib/week.ts";

type Hours = { timeZone: string; days: number[]; start: string; end: string };

function Who({ step, schedules, people }: { step: PreviewStep; schedules: Schedule[]; people: User[] }) {
  if (step.targets.length === 0) return <span className="muted">nobody: this level names no one</span>;
  const parts = step.targets.map(({ target, userIds }) => {
    if (target.kind === "user") return personName(people, target.id);
    const name = schedules.find((s) => s.id === target.id)?.name ?? `schedule #${target.id}`;
    if (userIds === null) return `${name} (loading who is on call…)`;
    if (userIds.length === 0) return `nobody on call in ${name}`;
    return `${namesList(userIds.map((u) => personName(people, u)))} (on call in ${name})`;
  });
  return <>{namesList(parts)}</>;
}

export function Preview({
  policy,
  ackTimeoutMinutes,
  businessHours,
  schedules,
  people,
}: {
  policy: PreviewPolicy;
  ackTimeoutMinutes: string;
  businessHours: Hours;
  schedules: Schedule[];
  people: User[];
}) {
  const id = useId();
  const [startText, setStartText] = useState(() => toLocalInput(new Date()));
  const start = fromLocalInput(startText);
  const scheduleIds = [
    ...new Set(policy.levels.flatMap((l) => l.targets.filter((t) => t.kind === "schedule").map((t) => t.id))),
  ].sort((a, b) => a - b);
  const span = start ? previewWindow(policy, start) : null;
  const from = span?.from.toISOString() ?? "";
  const until = span?.until.toISOString() ?? "";
  const shifts = useQueries({
    queries: scheduleIds.map((s) => ({ ...shiftsQuery(s, from, until), enabled: span !== null })),
  });
  const bySchedule = new Map<number, Shift[]>();
  scheduleIds.forEach((s, n) => {
    const data = shifts[n]?.data;
    if (data) bySchedule.set(s, data);
  });
  const shiftError = shifts.find((q) => q.error)?.error;
  const steps = start
    ? escalationSteps(policy, start, (s, at) => {
        const known = bySchedule.get(s);
        return known ? onCallFromShifts(known, at) : null;
      })
    : [];
  const repeats = repeatsOf(policy.repeat);

  return (
    <section className="panel esc-preview" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>If nobody acknowledges</h2>
      <label>
        Paged at
        <input
          type="datetime-local"
          value={startText}
          onChange={(e) => setStartText(e.target.value)}
          aria-invalid={start ? undefined : true}
          aria-describedby={`${id}-tz`}
        />
      </label>
      <p id={`${id}-tz`} className="hint">
        Times in your time zone ({viewerTimeZone()}); for a high-urgency page.{" "}
        <button type="button" className="link-button" onClick={() => setStartText(toLocalInput(new Date()))}>
          Now
        </button>
      </p>
      {!start ? <p className="field-error">Expected a date and time.</p> : null}
      <ErrorNote error={shiftError} />
      {steps.length ? (
        <table className="table esc-preview-table">
          <caption className="visually-hidden">Who is notified when, if nobody acknowledges</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Level</th>
              <th scope="col">Notified</th>
            </tr>
          </thead>
          <tbody>
            {steps.map((s) => (
              <tr key={`${s.round}-${s.level}`}>
                <td className="esc-when">
                  <strong>{start ? stepTimeLabel(s.at, start) : ""}</strong>{" "}
                  <span className="muted">{offsetLabel(s.minutesIn)}</span>
                </td>
                <td>
                  Level {s.level + 1}
                  {s.round > 0 ? <span className="muted"> · repeat {s.round}</span> : null}
                </td>
                <td>
                  <Who step={s} schedules={schedules} people={people} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p className="hint">
        {steps.length
          ? `After that nobody else is notified${repeats ? ` (the policy has run ${repeats + 1} times)` : ""}; the page stays open until someone acknowledges it. `
          : ""}
        An acknowledged page not resolved within {ackTimeoutMinutes || "?"} minutes escalates again. A
        low-urgency page escalates only {weekdaysLabel(businessHours.days)} {businessHours.start}–
        {businessHours.end} {businessHours.timeZone}.
      </p>
    </section>
  );
}
