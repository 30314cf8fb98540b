/** A labelled form field with its message beside it (the form's own check or the API's refusal). */
import type { ReactNode } from "react";
import { ApiError } from "../../api/client.ts";
import { ErrorNote } from "../../components/ErrorNote.tsx";

export function Field({
  id,
  label,
  error,
  hint,
  children,
}: {
  id: string;
  label: string;
  error: string | undefined;
  hint?: string;
  /** The control; it should carry `aria-describedby={describedBy(id, error, hint)}`. */
  children: ReactNode;
}) {
  // The label names the control alone; the hint and the message describe it (aria-describedby).
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint ? (
        <span id={`${id}-hint`} className="hint field-hint">
          {hint}
        </span>
      ) : null}
      {error ? (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      ) : null}
    </div>
  );
}

/** The ids that describe a control: its message, then its hint. */
export const describedBy = (id: string, error: string | undefined, hint?: string) =>
  [error ? `${id}-error` : "", hint ? `${id}-hint` : ""].filter(Boolean).join(" ") || undefined;

/**
 * What a failed request says above the button: the messages the fields did not take, or (when
 * every message is at a field) a line telling screen readers to look there; any other failure whole.
 */
export function Refusal({ error, rest }: { error: unknown; rest: string[] | undefined }) {
  if (!error) return null;
  if (rest === undefined) return <ErrorNote error={error} />;
  if (rest.length === 0)
    return (
      <p className="visually-hidden" role="alert">
        Refused: see the messages at the fields.
      </p>
    );
  return (
    <div className="error-note" role="alert">
      <strong>{error instanceof ApiError ? error.title : "Refused"}</strong>
      <span> — {rest.join("; ")}</span>
    </div>
  );
}
