/**
 * A refused form (400) names its fields in the problem's detail ("start: expected a date-time;
 * end: …"). This puts each message beside the form field it is about; the rest is said above the
 * button. Anything but a 400 is not about fields and is shown whole.
 */

export type FieldProblems<F extends string> = { byField: Partial<Record<F, string>>; rest: string[] };

/** "a: one; b.c[0]: two" → [["a", "one"], ["b.c[0]", "two"]]; text without a field name stays whole. */
export function splitDetail(detail: string): [string | null, string][] {
  return detail
    .split(/; (?=[\w.[\]]+: )/)
    .filter((part) => part.trim() !== "")
    .map((part) => {
      const m = /^([\w.[\]]+): ([\s\S]*)$/.exec(part);
      return m?.[1] && m[2] !== undefined ? [m[1], m[2]] : [null, part];
    });
}

/**
 * Sorts a refusal's messages to the form's fields: `fields` maps the API's field names (as the
 * server spells them, e.g. "override.start") to the form's. Null when `err` is not a 400.
 */
export function fieldProblems<F extends string>(
  err: { status: number; detail: string } | null | undefined,
  fields: Record<string, F>,
): FieldProblems<F> | null {
  if (err?.status !== 400) return null;
  const result: FieldProblems<F> = { byField: {}, rest: [] };
  for (const [apiField, message] of splitDetail(err.detail)) {
    const field = apiField === null ? undefined : fields[apiField];
    if (field === undefined) result.rest.push(apiField === null ? message : `${apiField}: ${message}`);
    else result.byField[field] = result.byField[field] ? `${result.byField[field]}; ${message}` : message;
  }
  return result;
}
