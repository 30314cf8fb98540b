/**
 * A service's maintenance windows: while one is on, its alerts are recorded but page nobody. The
 * list of windows not yet over, a form to add one (times in the viewer's zone) and ending one early.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ApiError } from "../../api/client.ts";
import {
  addMaintenance,
  endMaintenance,
  type MaintenanceWindow,
  maintenanceQuery,
  serviceKeys,
} from "../../api/services.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { useFieldErrors } from "../../components/useFieldErrors.tsx";
import { fromLocalInput, spanLabel, toLocalInput, viewerTimeZone } from "../../lib/week.ts";

type Field = "start" | "end" | "reason";
const apiFields: Record<string, Field> = { start: "start", end: "end", reason: "reason" };

function WindowRow({ serviceId, w, now }: { serviceId: number; w: MaintenanceWindow; now: number }) {
  const queryClient = useQueryClient();
  const end = useMutation({
    mutationFn: () => endMaintenance(serviceId, w.id),
    onSettled: () => queryClient.invalidateQueries({ queryKey: serviceKeys.maintenance(serviceId) }),
  });
  const on = Date.parse(w.start) <= now;
  return (
    <li className="maintenance-window">
      <span>
        <strong>{on ? "On now" : "Coming"}</strong> {spanLabel(w.start, w.end)}
        {w.reason ? <> — {w.reason}</> : null}
      </span>
      <button type="button" disabled={end.isPending} onClick={() => end.mutate()}>
        {on ? "End now" : "Cancel"}
        <span className="visually-hidden"> the window {spanLabel(w.start, w.end)}</span>
      </button>
      <ErrorNote error={end.error} />
    </li>
  );
}

export function Maintenance({ serviceId, canChange }: { serviceId: number; canChange: boolean }) {
  const queryClient = useQueryClient();
  const windows = useQuery(maintenanceQuery(serviceId));
  const [local, setLocal] = useState<Partial<Record<Field, string>>>({});
  const add = useMutation({
    mutationFn: (body: { start: string; end: string; reason?: string }) => addMaintenance(serviceId, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: serviceKeys.maintenance(serviceId) }),
  });
  const { id, refused, err, aria } = useFieldErrors(add.error, apiFields, local);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const formEl = e.currentTarget;
    const form = new FormData(formEl);
    const start = fromLocalInput(String(form.get("start") ?? ""));
    const end = fromLocalInput(String(form.get("end") ?? ""));
    const reason = String(form.get("reason") ?? "").trim();
    const problems: Partial<Record<Field, string>> = {};
    if (!start) problems.start = "expected a date and time";
    if (!end) problems.end = "expected a date and time";
    else if (start && end <= start) problems.end = "must be after the start";
    if (reason.length > 500) problems.reason = "at most 500 characters";
    setLocal(problems);
    if (!start || !end || Object.keys(problems).length) return;
    add.mutate(
      { start: start.toISOString(), end: end.toISOString(), ...(reason ? { reason } : {}) },
      { onSuccess: () => formEl.reset() },
    );
  };
  const now = Date.now();

  return (
    <section aria-labelledby="maintenance-heading" className="group">
      <h2 id="maintenance-heading">Maintenance windows</h2>
      <p className="hint">During a window, this service's alerts are recorded but page nobody.</p>
      <ErrorNote error={windows.error} />
      {windows.data ? (
        windows.data.length === 0 ? (
          <p className="empty">No maintenance on or coming.</p>
        ) : (
          <ul className="plain maintenance-list" aria-label="Maintenance windows on or coming">
            {windows.data.map((w) => (
              <WindowRow key={w.id} serviceId={serviceId} w={w} now={now} />
            ))}
          </ul>
        )
      ) : null}
      {canChange ? (
        <form className="stack compact" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
          <h3 id={`${id}-title`}>Add a maintenance window</h3>
          <div className="field-pair">
            <label>
              Starts
              <input name="start" type="datetime-local" defaultValue={toLocalInput(now)} {...aria("start")} />
              {err("start")}
            </label>
            <label>
              Ends
              <input
                name="end"
                type="datetime-local"
                defaultValue={toLocalInput(now + 3_600_000)}
                {...aria("end")}
              />
              {err("end")}
            </label>
          </div>
          <p className="hint">Times in your time zone ({viewerTimeZone()}).</p>
          <label>
            Reason
            <input name="reason" maxLength={500} placeholder="e.g. database upgrade" {...aria("reason")} />
            {err("reason")}
          </label>
          {refused?.rest.length ? (
            <div className="error-note" role="alert">
              <strong>{add.error instanceof ApiError ? add.error.title : "Refused"}</strong>
              <span> — {refused.rest.join("; ")}</span>
            </div>
          ) : refused || Object.keys(local).length ? (
            <p className="visually-hidden" role="alert">
              The window was not added: see the messages at the fields.
            </p>
          ) : (
            <ErrorNote error={add.error} />
          )}
          <output className="hint" aria-live="polite">
            {add.isSuccess ? "Maintenance window added." : ""}
          </output>
          <button type="submit" className="primary" disabled={add.isPending}>
            Add window
          </button>
        </form>
      ) : null}
    </section>
  );
}
