/**
 * A saved schedule's overrides, now and coming, with Delete, and New override (the on-call
 * screen's dialog). They are part of the preview: the final schedule applies them on top.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { deleteOverride, type Override, oncallKeys, type Schedule } from "../../api/oncall.ts";
import type { User } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { personName } from "../../lib/oncall.ts";
import { SLOT_MS, type Span, spanLabel } from "../../lib/week.ts";
import { OverrideDialog } from "../oncall/OverrideDialog.tsx";

function Item({ schedule, override, people }: { schedule: Schedule; override: Override; people: User[] }) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => deleteOverride(schedule.id, override.id),
    onSettled: () => queryClient.invalidateQueries({ queryKey: oncallKeys.all }),
  });
  return (
    <li className="override-item">
      <span>
        <strong>{personName(people, override.userId)}</strong> {spanLabel(override.start, override.end)}
        {override.reason ? <span className="muted"> · {override.reason}</span> : null}
      </span>
      <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate()}>
        Delete override
      </button>
      <ErrorNote error={remove.error} />
    </li>
  );
}

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
    const start = Math.ceil(now / SLOT_MS) * SLOT_MS;
    setDialog((d) => ({ span: { start, end: start + 16 * SLOT_MS }, n: (d?.n ?? 0) + 1 }));
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
          <Item key={o.id} schedule={schedule} override={o} people={people} />
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
