/**
 * COMM-5 templates: texts with `{placeholders}` filled from an incident (the executive notice, the
 * internal executive summary). Pure: the caller gathers the values.
 */

export const placeholders = [
  "id",
  "title",
  "type",
  "severity",
  "state",
  "summary",
  "impact",
  "actions",
  "nextSteps",
  "nextUpdateAt",
  "owner",
  "url",
] as const;
export type Placeholder = (typeof placeholders)[number];
export type TemplateValues = Record<Placeholder, string>;

const pattern = /\{([A-Za-z][A-Za-z0-9]*)\}/g;

/** The placeholders a template uses, and those it uses that do not exist. */
export function templatePlaceholders(text: string): { used: string[]; unknown: string[]; known: string[] } {
  const used = [...new Set([...text.matchAll(pattern)].map((m) => m[1] ?? ""))];
  const known: readonly string[] = placeholders;
  return { used, unknown: used.filter((u) => !known.includes(u)), known: [...placeholders] };
}

/** Fills a template; an empty value reads "(not known yet)" so a reader sees what is missing. */
export function fillTemplate(text: string, values: TemplateValues): string {
  return text.replace(pattern, (whole, name: string) => {
    if (!(placeholders as readonly string[]).includes(name)) return whole;
    const value = values[name as Placeholder].trim();
    return value === "" ? "(not known yet)" : value;
  });
}
