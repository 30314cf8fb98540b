/**
 * The `rules` of a policy file: the process running by itself (DESIGN.md, "Policy is data"). A
 * rule is a trigger (an event, a clock, or a deadline), conditions on the incident, and actions.
 * Objects are strict, so a misspelt key is an error instead of a rule that silently never fires.
 */
import { z } from "zod";

const text = z.string().min(1);
/** The most open incidents a rule may ask for (counting stops there, so storms stay cheap). */
export const MAX_OPEN_COUNT = 1000;
const incidentCount = z
  .int({ error: `expected a whole number of incidents from 1 to ${MAX_OPEN_COUNT}` })
  .min(1, { error: `expected a whole number of incidents from 1 to ${MAX_OPEN_COUNT}` })
  .max(MAX_OPEN_COUNT, { error: `expected a whole number of incidents from 1 to ${MAX_OPEN_COUNT}` });

const minutes = (min: number) => {
  const expected = `expected a whole number of minutes >= ${min}`;
  return z.int({ error: expected }).min(min, { error: expected });
};
const names = z.array(text).min(1, { error: "expected a list of at least one name" });

/** What happened to an incident (or a maintenance) that event rules react to. */
export const ruleEvents = [
  "declared",
  "accepted",
  "severity-raised",
  "state-changed",
  "role-engaged",
  "labeled",
  "impact-started",
  "status-update",
  "public-post",
  "merged",
  "alert-grouped",
  "alert-refired",
  "customer-added",
  "customer-removed",
  "customer-update",
  "maintenance-scheduled",
] as const;
export type RuleEventKind = (typeof ruleEvents)[number];

/**
 * What a clock counts from. Fixed anchors, or `engaged:<role>` (the role's first holder),
 * `fired:<rule id>` (when that rule first fired), `shift-end:<role>` (when the role holder's shift
 * in the role's rotation ends).
 */
export const fixedAnchors = [
  "declared",
  "accepted",
  "started",
  "impact-started",
  "last-update",
  "resolved",
  "last-customer-update",
  "next-customer-update",
  "maintenance-start",
] as const;
export const anchorPrefixes = ["engaged:", "fired:", "shift-end:"] as const;

const anchor = z
  .string()
  .refine(
    (v) =>
      (fixedAnchors as readonly string[]).includes(v) ||
      anchorPrefixes.some((p) => v.startsWith(p) && v.length > p.length),
    {
      error: `expected one of ${fixedAnchors.join(", ")}, or engaged:<role>, fired:<rule id>, shift-end:<role>`,
    },
  );

const clockSchema = z
  .object({
    /** What the clock counts from. */
    from: anchor,
    /** Minutes after the anchor (negative: before it, e.g. before a maintenance starts), or `cadence`. */
    after: z.union([z.int(), z.literal("cadence")], {
      error: 'expected a whole number of minutes, or "cadence" (the severity\'s update cadence)',
    }),
    /** Fire again this many minutes later while the conditions still hold. */
    every: minutes(1).optional(),
  })
  .strict();

const deadlineSchema = z
  .object({
    /** A short name people see: "public communication". */
    name: text,
    from: anchor,
    after: minutes(1),
    /** Remind this many minutes before it passes (the rule's actions run then). */
    remindBefore: minutes(1).optional(),
    /** What meets it. */
    metBy: z.enum(["public-post", "status-update", "customer-update"], {
      error: "expected public-post, status-update or customer-update",
    }),
  })
  .strict();

const levels = z.array(text).min(1, { error: "expected a list of at least one value" });

export const conditionsSchema = z
  .object({
    severity: levels.optional(),
    type: levels.optional(),
    state: levels.optional(),
    visibility: z.array(z.enum(["public", "private"])).optional(),
    /** The incident type is marked `security`. */
    security: z.boolean().optional(),
    /** The incident type is marked `externallyFacing`. */
    externallyFacing: z.boolean().optional(),
    /** The incident's severity is marked `pagesIncidentManager` (PAGE-1: the severity table decides). */
    pagesIncidentManager: z.boolean().optional(),
    declaredBy: z.enum(["person", "automation"], { error: "expected person or automation" }).optional(),
    roleHeld: names.optional(),
    roleVacant: names.optional(),
    /** For `role-engaged`: the role that was just engaged. */
    engagedRole: names.optional(),
    /** The owner holds none of these roles. */
    ownerHoldsNone: names.optional(),
    /** Any of these labels is on the incident. */
    label: names.optional(),
    /** Customer impact is ongoing at one of these levels (TL-3). */
    impact: z
      .array(z.enum(["degraded", "partial", "full"], { error: "expected degraded, partial or full" }))
      .optional(),
    /** The incident has lasted at least this long (to its resolution, or to now). */
    lastedMinutes: minutes(0).optional(),
    /** At least `atLeast` open, accepted incidents of these severities, this one included. */
    openIncidents: z.object({ severity: levels, atLeast: incidentCount }).strict().optional(),
    /** COMM-6: at least `atLeast` customers are affected by the incident (src/customers). */
    affectedCustomers: z
      .object({
        atLeast: z
          .int({ error: "expected a whole number of customers >= 1" })
          .min(1, { error: "expected a whole number of customers >= 1" }),
      })
      .strict()
      .optional(),
    /** Everyone on call in the role's rotation already holds the role on another open incident. */
    onCallBusy: text.optional(),
    /** Saturday or Sunday where business hours are reckoned (true), or a weekday (false). */
    weekend: z.boolean().optional(),
    /** For maintenance rules: its criticality (C1 is the highest). */
    criticality: levels.optional(),
  })
  .strict();

export const actionKeys = [
  "page",
  "notify",
  "remind",
  "ask",
  "own",
  "handOver",
  "label",
  "task",
  "draft",
  "note",
  "raise",
  "combine",
] as const;
export type ActionKey = (typeof actionKeys)[number];

const roleList = z.union([text, names], { error: "expected a role name or a list of role names" });

export const actionSchema = z
  .object({
    /** Page the role's escalation policy (its rotation). */
    page: text.optional(),
    /** Tell the people in these roles (the holders, else who is on call) through their contact methods. */
    notify: roleList.optional(),
    /** Like notify, and said on the timeline; a role's duties may fall to another (OWN-6). */
    remind: roleList.optional(),
    /** Ask everyone in the role's rotation who is free for help (PAGE-5). */
    ask: text.optional(),
    /** Hand ownership to the role's holder, unless a person chose the owner (OWN-3). */
    own: text.optional(),
    /** The role holder's shift ended: prompt them, page the incoming person (OWN-8). */
    handOver: text.optional(),
    label: text.optional(),
    task: z
      .object({ kind: z.enum(["action", "follow-up"]), title: text })
      .strict()
      .optional(),
    /** Draft a text from one of the policy's `templates` as an internal timeline entry. */
    draft: text.optional(),
    note: text.optional(),
    /** Raise the severity to this one (never lowers). */
    raise: text.optional(),
    /** Combine earlier incidents of the same cause into this one, raised to `into` (SEV-5). */
    combine: z.object({ into: text }).strict().optional(),
    /** The words people receive, for notify, remind and ask. */
    message: z.string().optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    const given = actionKeys.filter((k) => a[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message:
          given.length === 0
            ? `expected one action: ${actionKeys.join(", ")}`
            : `expected one action per entry, got ${given.join(" and ")}; make them separate entries`,
      });
    }
  });

export const ruleSchema = z
  .object({
    /** Unique: clocks are keyed by it, so keep it when editing the rule. */
    id: text,
    /** The handbook rule it implements (RULES.md), e.g. PAGE-3. */
    rule: z.string().optional(),
    description: z.string(),
    /** What the rule is about; incidents unless said. */
    on: z.enum(["incident", "maintenance"], { error: "expected incident or maintenance" }).optional(),
    when: z.array(z.enum(ruleEvents, { error: `expected one of ${ruleEvents.join(", ")}` })).optional(),
    clock: clockSchema.optional(),
    deadline: deadlineSchema.optional(),
    if: conditionsSchema.optional(),
    /** Fire at most once per incident. */
    once: z.boolean().optional(),
    do: z.array(actionSchema).min(1, { error: "expected at least one action" }),
  })
  .strict()
  .superRefine((r, ctx) => {
    const triggers = (["when", "clock", "deadline"] as const).filter((k) => r[k] !== undefined);
    if (triggers.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message:
          triggers.length === 0
            ? "expected one trigger: when (events), clock or deadline"
            : `expected one trigger, got ${triggers.join(" and ")}`,
      });
    }
  });

export type Rule = z.infer<typeof ruleSchema>;
export type RuleAction = z.infer<typeof actionSchema>;
export type Conditions = z.infer<typeof conditionsSchema>;
