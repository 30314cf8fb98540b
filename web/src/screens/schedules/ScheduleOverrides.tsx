import { useState } from "react";
import type { Schedule } from "../../api/oncall.ts";
import type { User } from "../../api/types.ts";
import { personName } from "../../lib/oncall.ts";
import { type Span, spanLabel } from "../../lib/week.ts";
import { OverrideDialog } from "../oncall/OverrideDialog.tsx";
import { defaultOverrideSpan, OverrideItem } from "../oncall/OverrideItem.tsx";

export function ScheduleOverrides({
  schedule,
  people,
  now,
}: {
  schedule: Schedule;
  people: User[];
  now: number;
}) {
  const [dialog, setDialog] = useState<{ span: Span; n: number } | null>(null);
  const [created, setCreated] = useState("");
  const upcoming = schedule.overrides.filter((o) => Date.parse(o.end) > now);
  const open = () => {
    setDialog((d) => ({ span: defaultOverrideSpan(now), n: (d?.n ?? 0) + 1 }));
  };
  return (
    <section className="panel" aria-labelledby="overrides-heading">
      <div className="section-head">
        <h2 id="overrides-heading">Overrides</h2>
        <button type="button" onClick={open}>
          New override
        </button>
      </div>
      <p className="hint">Someone covers a window; saved at once, apart from the edits above.</p>
      {upcoming.length === 0 ? <p className="muted">None now or coming.</p> : null}
      <ul className="plain">
        {upcoming.map((o) => (
          <OverrideItem key={o.id} schedule={schedule} override={o} people={people} />
        ))}
      </ul>
      <output className="hint" aria-live="polite">
        {created}
      </output>
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
