/** One override in a list (the on-call calendar, the schedule editor): who covers when, and Delete. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { deleteOverride, type Override, oncallKeys, type Schedule } from "../../api/oncall.ts";
import type { User } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { personName } from "../../lib/oncall.ts";
import { SLOT_MS, type Span, spanLabel } from "../../lib/week.ts";

/** A new override by button starts at the next half hour and lasts 8 hours. */
export function defaultOverrideSpan(now: number): Span {
  const start = Math.ceil(now / SLOT_MS) * SLOT_MS;
  return { start, end: start + 16 * SLOT_MS };
}

export function OverrideItem({
  schedule,
  override,
  people,
}: {
  schedule: Schedule;
  override: Override;
  people: User[];
}) {
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
