import { z } from "zod";

/**
 * The policy file: an organization's incident process as data (DESIGN.md, "Policy is data").
 * Objects are strict so a misspelt key is an error instead of a silently ignored setting.
 * Messages start with "expected …" because the loader shows them next to the offending line.
 */

const text = z.string().min(1);
const wholeNumber = (min: number) => {
  const expected = `expected a whole number >= ${min}`;
  return z.int({ error: expected }).min(min, { error: expected });
};

const incidentTypeSchema = z
  .object({
    name: text,
    description: z.string().optional(),
    /** DEC-5: incidents of a security type engage the security on-call and start private. */
    security: z.boolean().optional(),
  })
  .strict();

const severitySchema = z
  .object({
    id: text,
    name: text,
    description: z.string(),
    /** PAGE-1: declaring (or raising to) this severity pages the incident manager. */
    pagesIncidentManager: z.boolean(),
    /** LC-4: while an incident of this severity is open, deployments and feature flags are blocked. */
    blocksDeployments: z.boolean(),
    /** LC-5: minutes the service must stay stable after `resolved` before the incident may close. */
    closeDelayMinutes: wholeNumber(0),
    /** COMM-1: how often a status update is due while the incident is open. */
    updateCadenceMinutes: wholeNumber(1),
  })
  .strict();

const roleSchema = z.object({ name: text, description: z.string() }).strict();

const recurrenceSchema = z
  .object({
    /** SEV-4: how long after a close a new incident counts as a recurrence. */
    windowMinutes: wholeNumber(1),
    /** Severities that take part: a closed one of these followed by a new one of these. */
    severities: z.array(text).min(1, { error: "expected a list of at least one severity id" }),
    /** The severity the later incident is raised to. */
    upgradeTo: text,
  })
  .strict();

const pagingSchema = z
  .object({
    /** PAGE-1: the escalation policy paged when an incident of a `pagesIncidentManager` severity is declared. */
    incidentManagerPolicy: text,
    /** SEV-3: the escalation policies paged when an incident's severity is raised (EOC, IM, CMOC). */
    severityRaisedPolicies: z.array(text),
    /** SEV-5: severities whose pages are low urgency on weekends. */
    weekendLowUrgency: z.array(text),
    /** The time zone in which weekends and business hours are reckoned. */
    timeZone: text,
  })
  .strict();

type Path = (string | number)[];
type Issue = { path: Path; message: string };

/** Issues for names that appear more than once in `items` (the first occurrence is fine). */
function duplicates<T>(items: T[], key: (item: T) => string, listPath: Path, field: string, what: string) {
  const seen = new Map<string, number>();
  const issues: Issue[] = [];
  items.forEach((item, i) => {
    const value = key(item);
    const first = seen.get(value);
    if (first === undefined) seen.set(value, i);
    else
      issues.push({
        path: [...listPath, i, field],
        message: `duplicate ${what} ${JSON.stringify(value)} (already used by ${listPath.join(".")}[${first}])`,
      });
  });
  return issues;
}

function mustBeOneOf(value: string, known: string[], path: Path, what: string): Issue[] {
  // An empty list is reported on its own; checking references against it would only add noise.
  if (known.length === 0 || known.includes(value)) return [];
  return [{ path, message: `unknown ${what} ${JSON.stringify(value)}; expected one of ${known.join(", ")}` }];
}

const basePolicySchema = z
  .object({
    version: z.literal(1, { error: "expected 1 (the only policy format so far)" }),
    incidentTypes: z.array(incidentTypeSchema).min(1, { error: "expected at least one incident type" }),
    severities: z.array(severitySchema).min(1, { error: "expected at least one severity" }),
    defaultSeverityWhenUnsure: text,
    roles: z.array(roleSchema).min(1, { error: "expected at least one role" }),
    incidentManagerRole: text,
    /** OWN-1: the role that is the incident's owner; giving it hands ownership over. */
    ownerRole: text.optional(),
    recurrence: recurrenceSchema,
    paging: pagingSchema.optional(),
  })
  .strict();

/** Cross-field checks; each issue points at the key that is wrong so the loader can name its line. */
function crossChecks(policy: z.infer<typeof basePolicySchema>): Issue[] {
  const severityIds = policy.severities.map((s) => s.id);
  const roleNames = policy.roles.map((r) => r.name);
  const { recurrence } = policy;
  return [
    ...duplicates(policy.incidentTypes, (t) => t.name, ["incidentTypes"], "name", "incident type"),
    ...duplicates(policy.severities, (s) => s.id, ["severities"], "id", "severity id"),
    ...duplicates(policy.roles, (r) => r.name, ["roles"], "name", "role"),
    ...mustBeOneOf(policy.defaultSeverityWhenUnsure, severityIds, ["defaultSeverityWhenUnsure"], "severity"),
    ...mustBeOneOf(policy.incidentManagerRole, roleNames, ["incidentManagerRole"], "role"),
    ...(policy.ownerRole === undefined
      ? []
      : mustBeOneOf(policy.ownerRole, roleNames, ["ownerRole"], "role")),
    ...recurrence.severities.flatMap((id, i) =>
      mustBeOneOf(id, severityIds, ["recurrence", "severities", i], "severity"),
    ),
    ...mustBeOneOf(recurrence.upgradeTo, severityIds, ["recurrence", "upgradeTo"], "severity"),
    ...(policy.paging?.weekendLowUrgency ?? []).flatMap((id, i) =>
      mustBeOneOf(id, severityIds, ["paging", "weekendLowUrgency", i], "severity"),
    ),
  ];
}

export const policySchema = basePolicySchema.superRefine((policy, ctx) => {
  for (const issue of crossChecks(policy)) ctx.addIssue({ code: "custom", ...issue });
});

export type Policy = z.infer<typeof policySchema>;
export type Severity = Policy["severities"][number];
export type IncidentType = Policy["incidentTypes"][number];
export type Role = Policy["roles"][number];

export function findSeverity(policy: Policy, id: string): Severity | undefined {
  return policy.severities.find((s) => s.id === id);
}

export function findType(policy: Policy, name: string): IncidentType | undefined {
  return policy.incidentTypes.find((t) => t.name === name);
}

/** 0 is the most severe. Throws on an id the policy does not define: that is a programming error. */
export function severityRank(policy: Policy, id: string): number {
  const rank = policy.severities.findIndex((s) => s.id === id);
  if (rank < 0) throw new RangeError(`severity ${JSON.stringify(id)} is not defined by the policy`);
  return rank;
}

/** True when `a` is strictly more severe than `b` (S1 is more severe than S2 in the default). */
export function isMoreSevere(policy: Policy, a: string, b: string): boolean {
  return severityRank(policy, a) < severityRank(policy, b);
}
