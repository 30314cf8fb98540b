/**
 * Creating an override (PAGE-7: someone covers a window of a schedule): person, start, end and an
 * optional reason, in the viewer's time zone. Opened by "New override" or by dragging across the
 * week; the API's refusals are shown at the fields they name.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { ApiError } from "../../api/client.ts";
import {
  createOverride,
  type NewOverride,
  type Override,
  oncallKeys,
  type Schedule,
} from "../../api/oncall.ts";
import type { User } from "../../api/types.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";
import { fieldProblems } from "../../lib/fields.ts";
import { overridePeople } from "../../lib/oncall.ts";
import { fromLocalInput, type Span, toLocalInput, viewerTimeZone } from "../../lib/week.ts";

type Field = "userId" | "start" | "end" | "reason";
const apiFields: Record<string, Field> = {
  userId: "userId",
  "override.userId": "userId",
  start: "start",
  "override.start": "start",
  end: "end",
  "override.end": "end",
  reason: "reason",
};

function FieldError({ id, message }: { id: string; message: string | undefined }) {
  return message ? (
    <span id={id} className="field-error">
      {message}
    </span>
  ) : null;
}

export function OverrideDialog({
  schedule,
  people,
  span,
  onClose,
  onCreated,
}: {
  schedule: Schedule;
  people: User[];
  span: Span;
  onClose: () => void;
  onCreated: (o: Override) => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  const queryClient = useQueryClient();
  const [userId, setUserId] = useState("");
  const [start, setStart] = useState(() => toLocalInput(span.start));
  const [end, setEnd] = useState(() => toLocalInput(span.end));
  const [reason, setReason] = useState("");
  const [local, setLocal] = useState<Partial<Record<Field, string>>>({});
  const create = useMutation({
    mutationFn: (body: NewOverride) => createOverride(schedule.id, body),
    onSuccess: (o) => {
      void queryClient.invalidateQueries({ queryKey: oncallKeys.all });
      onCreated(o);
      // Closing returns focus to what opened the dialog; the close event unmounts it.
      ref.current?.close();
    },
  });

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  const refused = fieldProblems(create.error instanceof ApiError ? create.error : null, apiFields);
  const errors = { ...refused?.byField, ...local };
  const describe = (f: Field) => (errors[f] ? `${id}-${f}-error` : undefined);

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const from = fromLocalInput(start);
    const to = fromLocalInput(end);
    const problems: Partial<Record<Field, string>> = {};
    if (!userId) problems.userId = "choose who covers the window";
    if (!from) problems.start = "expected a date and time";
    if (!to) problems.end = "expected a date and time";
    setLocal(problems);
    if (!from || !to || !userId) return;
    create.mutate({
      userId: Number(userId),
      start: from.toISOString(),
      end: to.toISOString(),
      ...(reason.trim() ? { reason: reason.trim() } : {}),
    });
  };

  return (
    <dialog ref={ref} className="dialog" aria-labelledby={`${id}-title`} onClose={onClose}>
      <form className="stack compact" onSubmit={submit} noValidate>
        <h2 id={`${id}-title`}>Create an override on {schedule.name}</h2>
        <p className="hint">
          The person is on call instead for this window. Times are in your time zone ({viewerTimeZone()}).
        </p>
        <label>
          Person
          <select
            value={userId}
            onChange={(e) => setUserId(e.target.value)}
            aria-invalid={errors.userId ? true : undefined}
            aria-describedby={describe("userId")}
          >
            <option value="">Choose a person</option>
            {overridePeople(people).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name || p.username}
              </option>
            ))}
          </select>
          <FieldError id={`${id}-userId-error`} message={errors.userId} />
        </label>
        <div className="field-pair">
          <label>
            Start
            <input
              type="datetime-local"
              step={1800}
              value={start}
              onChange={(e) => setStart(e.target.value)}
              aria-invalid={errors.start ? true : undefined}
              aria-describedby={describe("start")}
            />
            <FieldError id={`${id}-start-error`} message={errors.start} />
          </label>
          <label>
            End
            <input
              type="datetime-local"
              step={1800}
              value={end}
              onChange={(e) => setEnd(e.target.value)}
              aria-invalid={errors.end ? true : undefined}
              aria-describedby={describe("end")}
            />
            <FieldError id={`${id}-end-error`} message={errors.end} />
          </label>
        </div>
        <label>
          Reason (optional)
          <input
            value={reason}
            maxLength={500}
            onChange={(e) => setReason(e.target.value)}
            aria-invalid={errors.reason ? true : undefined}
            aria-describedby={describe("reason")}
          />
          <FieldError id={`${id}-reason-error`} message={errors.reason} />
        </label>
        {refused ? (
          refused.rest.length ? (
            <div className="error-note" role="alert">
              <strong>{create.error instanceof ApiError ? create.error.title : "Refused"}</strong>
              <span> — {refused.rest.join("; ")}</span>
            </div>
          ) : (
            <p className="visually-hidden" role="alert">
              The override was refused: see the messages at the fields.
            </p>
          )
        ) : (
          <ErrorNote error={create.error} />
        )}
        <div className="button-row">
          <button type="submit" className="primary" disabled={create.isPending}>
            Create override
          </button>
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
