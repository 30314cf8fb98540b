/**
 * A form's per-field problems: those the browser found (`local`) over those the API refused (a 400
 * naming fields), each shown beside its input and tied to it for screen readers.
 */
import { useId } from "react";
import { ApiError } from "../api/client.ts";
import { fieldProblems } from "../lib/fields.ts";

export function useFieldErrors<F extends string>(
  error: unknown,
  apiFields: Record<string, F>,
  local: Partial<Record<F, string>>,
) {
  const id = useId();
  const refused = fieldProblems(error instanceof ApiError ? error : null, apiFields);
  const errors: Partial<Record<F, string>> = { ...refused?.byField, ...local };
  return {
    id,
    refused,
    errors,
    /** The message beside field `f`, or nothing. */
    err: (f: F) =>
      errors[f] ? (
        <span id={`${id}-${f}`} className="field-error">
          {errors[f]}
        </span>
      ) : null,
    /** The input's attributes that point at its message. */
    aria: (f: F) => ({
      "aria-invalid": errors[f] ? true : undefined,
      "aria-describedby": errors[f] ? `${id}-${f}` : undefined,
    }),
  };
}
