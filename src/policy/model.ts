import { z } from "zod";
import { crossChecks } from "./checks.ts";
import { ruleSchema } from "./rules-schema.ts";

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
    /** OWN-3: customers see this kind of incident; the IM owns its S1/S2 by default. */
    externallyFacing: z.boolean().optional(),
    /**
     * The severities incidents of this type take (ids from `severities`), e.g. Sev0/Sev1 for
     * customer incidents (COMM-6). Without it, a type takes every severity no type lists.
     */
    severities: z.array(text).min(1, { error: "expected a list of at least one severity id" }).optional(),
    /** DEC-2, COMM-7: chat channels (names without `#`) that announce incidents of this type. */
    announcementChannels: z.array(text).optional(),
    /** DEC-2, FU-1: where incidents of this type get their tracker issue. */
    tracker: z
      .object({
        kind: z.enum(["gitlab", "github"], { error: 'expected "gitlab" or "github"' }),
        /** GitLab: the project path or id (`group/project`); GitHub: `owner/repo`. */
        project: text,
      })
      .strict()
      .optional(),
    /** DEC-2: the incident's video bridge: a URL, `{id}` `{slug}` `{type}` filled in per incident. */
    videoBridge: z
      .url({
        protocol: /^https?$/,
        error: "expected an http(s) URL, e.g. https://meet.jit.si/firebreak-{id}",
      })
      .optional(),
  })
  .strict();

/** DEC-2, COMM-7, PAGE-5: how incidents live in chat (Slack, Mattermost or the built-in room). */
const chatSchema = z
  .object({
    /** The slash command's name, without `/`. */
    command: z.string().regex(/^[a-z0-9_-]{1,32}$/, { error: "expected a command name like inc" }),
    /** The per-incident channel's name: `{id}` and `{slug}` (from the title) filled in. */
    channelName: text,
    /** Channels that announce every incident, whatever its type (types add their own). */
    announcementChannels: z.array(text).optional(),
    /** PAGE-5: where more incident managers are asked for when incidents run at once. */
    incidentManagerChannel: text.optional(),
  })
  .strict();
export type ChatSettings = z.infer<typeof chatSchema>;

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
    /** LC-6, REV-1: a resolved incident of this severity goes to review and closes only once it is done. */
    requiresReview: z.boolean().optional(),
  })
  .strict();

/** Post-incident reviews (REV-1, REV-2, FU-2): when they are due and who is reminded. */
const reviewsSchema = z
  .object({
    /** A review is due this many business days (`businessHours.days`, else Mon–Fri) after it is required. */
    dueBusinessDays: wholeNumber(1),
    /** The review's owner is reminded this many hours before it is due (and again when overdue). */
    remindBeforeHours: wholeNumber(0),
    /** REV-2: the role told when a support-criticality review is complete. */
    seniorManagerRole: text.optional(),
  })
  .strict();
export type ReviewSettings = z.infer<typeof reviewsSchema>;

const roleSchema = z
  .object({
    name: text,
    description: z.string(),
    /** PAGE-7: the on-call schedule that says who holds this role right now. */
    rotation: text.optional(),
    /** Paging this role pages this escalation policy. */
    escalationPolicy: text.optional(),
  })
  .strict();

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
    /** SEV-5: severities whose pages are low urgency on weekends. */
    weekendLowUrgency: z.array(text),
  })
  .strict();

export const weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a time "HH:MM", e.g. "09:00"' });

const businessHoursSchema = z
  .object({
    timeZone: text,
    days: z.array(z.enum(weekdays, { error: `expected one of ${weekdays.join(", ")}` })).min(1, {
      error: "expected at least one day",
    }),
    start: clockTime,
    end: clockTime,
  })
  .strict();

const escalationPolicySchema = z
  .object({
    name: text,
    description: z.string().optional(),
    /** PAGE-2: who is paged, in order; each level waits `minutes` for an acknowledgement. */
    levels: z
      .array(z.object({ rotation: text, minutes: wholeNumber(1) }).strict())
      .min(1, { error: "expected at least one level" }),
    /** How many more times the whole policy runs after its last level. */
    repeat: z.int({ error: "expected a whole number from 0 to 9" }).min(0).max(9).optional(),
    /** An acknowledged page not resolved within this long escalates again. */
    ackTimeoutMinutes: wholeNumber(1).optional(),
  })
  .strict();

const roleConflictSchema = z
  .object({
    /** OWN-7: one person may not hold these roles on the same incident… */
    roles: z.array(text).min(2, { error: "expected at least two role names" }),
    /** …unless this is true; then it is allowed and said on the timeline. */
    allowed: z.boolean(),
  })
  .strict();

const dutySchema = z
  .object({
    /** OWN-6: this role's duties (reminders, notices)… */
    role: text,
    /** …fall to this role's holder… */
    coveredBy: text,
    /** …on incidents of these severities. */
    severities: z.array(text).min(1, { error: "expected a list of at least one severity id" }),
  })
  .strict();

export const componentStatusNames = [
  "operational",
  "degraded_performance",
  "partial_outage",
  "major_outage",
  "under_maintenance",
] as const;

const statusPageSchema = z
  .object({
    /** COMM-3: who besides admins publishes drafted posts (holders of these roles on the incident). */
    approverRoles: z.array(text),
    /** COMM-3: the roles with whom the approver confirms customer impact before an outage is published. */
    confirmImpactWith: z.array(text),
    /** Component statuses people may set without a post and its approval, by account role. */
    setDirectly: z
      .object({
        admin: z.array(z.enum(componentStatusNames)),
        responder: z.array(z.enum(componentStatusNames)),
      })
      .strict(),
  })
  .strict();

const labelsSchema = z
  .object({
    /** LC-3: always present. */
    incident: text,
    /** LC-3: while investigating or fixing. */
    active: text,
    /** LC-3: while monitoring. */
    mitigated: text,
    /** LC-3: once resolved, in review or closed. */
    resolved: text,
    /** Followed by the severity id, e.g. severity::S1. */
    severityPrefix: text,
    /** LC-4: while the incident blocks deployments / feature-flag changes. */
    blocksDeployments: text,
    blocksFeatureFlags: text,
  })
  .strict();

/**
 * The scheduled self-test (docs/paging.md, "Proving paging works"): a test page to whoever is on
 * call in each named rotation, every `every` hours from `at` (UTC); a method that fails or does not
 * confirm alerts the admins.
 */
const selfTestSchema = z
  .object({
    every: z.string().regex(/^(1|2|3|4|6|8|12|24)h$/, {
      error: "expected hours that divide a day: 1h 2h 3h 4h 6h 8h 12h 24h",
    }),
    at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: "expected HH:MM (UTC)" }),
    rotations: z.array(text).min(1, { error: "expected at least one rotation name" }),
  })
  .strict();
export type SelfTest = z.infer<typeof selfTestSchema>;

/** COMM-6: mass updates to the customers affected by an incident (docs/customers.md). */
const customerUpdatesSchema = z
  .object({
    /** Besides admins, who sends them: the holders of these roles on the incident. */
    senderRoles: z.array(text),
    /** Severity id → the longest an update may promise until the next (Sev0: 60, hourly). */
    maxIntervalMinutes: z.record(z.string(), wholeNumber(1)).optional(),
  })
  .strict();

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
    businessHours: businessHoursSchema.optional(),
    escalationPolicies: z.array(escalationPolicySchema).optional(),
    roleConflicts: z.array(roleConflictSchema).optional(),
    duties: z.array(dutySchema).optional(),
    statusPage: statusPageSchema.optional(),
    labels: labelsSchema.optional(),
    /** COMM-5: texts filled from an incident; `{placeholders}` are listed in docs/policy.md. */
    templates: z.record(z.string(), z.string()).optional(),
    rules: z.array(ruleSchema).optional(),
    selfTest: selfTestSchema.optional(),
    chat: chatSchema.optional(),
    reviews: reviewsSchema.optional(),
    customerUpdates: customerUpdatesSchema.optional(),
    /**
     * COMM-5: who receives each template when a person sends it from an incident: the holders of
     * these roles on it (a vacant role: whoever is on call in its rotation).
     */
    templateAudiences: z
      .record(
        z.string(),
        z.object({ roles: z.array(text).min(1, { error: "expected at least one role" }) }).strict(),
      )
      .optional(),
  })
  .strict();

export type BasePolicy = z.infer<typeof basePolicySchema>;

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

/**
 * The severities an incident of this type may have: the type's own list, else every severity no
 * type lists (so the platform's S1–S4 stay apart from a customer type's Sev0/Sev1).
 */
export function severitiesOf(policy: Policy, typeName: string): Severity[] {
  const own = findType(policy, typeName)?.severities;
  if (own) return policy.severities.filter((s) => own.includes(s.id));
  const claimed = new Set(policy.incidentTypes.flatMap((t) => t.severities ?? []));
  return policy.severities.filter((s) => !claimed.has(s.id));
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
