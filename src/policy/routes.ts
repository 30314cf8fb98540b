/**
 * HTTP for the loaded policy: what a client needs to offer people the organization's own choices
 * (severities, incident types, roles, the workflow) instead of hard-coding the handbook's.
 */
import { z } from "zod";
import { openStates, type State, states, transitionsFrom } from "../incidents/model.ts";
import type { IncidentService } from "../incidents/service.ts";
import { actorOf } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import { AppError } from "../platform/errors.ts";
import type { App } from "../platform/http.ts";
import { PolicyError, parsePolicy } from "./load.ts";
import { type Policy, severitiesOf } from "./model.ts";
import type { Process } from "./process.ts";
import { describeActions } from "./rules.ts";
import type { Rule } from "./rules-schema.ts";
import { simulationSchema } from "./simulate.ts";
import type { PolicySource, PolicyStatus } from "./source.ts";

const tags = ["policy"];

export const policyViewSchema = z
  .object({
    severities: z
      .array(
        z.object({
          id: z.string(),
          name: z.string(),
          description: z.string(),
          default: z.boolean().describe("the severity to suggest when unsure (DEC-4)"),
          pagesIncidentManager: z.boolean(),
          blocksDeployments: z.boolean(),
          closeDelayMinutes: z.number(),
          updateCadenceMinutes: z.number(),
        }),
      )
      .describe("most severe first"),
    defaultSeverity: z.string(),
    incidentTypes: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        security: z.boolean().describe("declared private; engages the security on-call (DEC-5)"),
        severities: z
          .array(z.string())
          .describe("the severity ids incidents of this type take, most severe first"),
      }),
    ),
    roles: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        incidentManager: z.boolean(),
        owner: z.boolean().describe("holding this role is owning the incident (OWN-1)"),
      }),
    ),
    incidentManagerRole: z.string(),
    ownerRole: z.string().nullable(),
    states: z
      .array(
        z.object({
          id: z.enum(states),
          open: z.boolean().describe("still being worked (merges and deploy blocks apply)"),
          next: z.array(z.enum(states)).describe("states the workflow allows next (LC-1)"),
        }),
      )
      .describe("the workflow, in its order"),
  })
  .meta({ id: "PolicyView" });
export type PolicyView = z.infer<typeof policyViewSchema>;

const nextOf = (state: State): State[] => [...transitionsFrom(state)];

export function presentPolicy(policy: Policy): PolicyView {
  return {
    severities: policy.severities.map((s) => ({
      id: s.id,
      name: s.name,
      description: s.description,
      default: s.id === policy.defaultSeverityWhenUnsure,
      pagesIncidentManager: s.pagesIncidentManager,
      blocksDeployments: s.blocksDeployments,
      closeDelayMinutes: s.closeDelayMinutes,
      updateCadenceMinutes: s.updateCadenceMinutes,
    })),
    defaultSeverity: policy.defaultSeverityWhenUnsure,
    incidentTypes: policy.incidentTypes.map((t) => ({
      name: t.name,
      description: t.description ?? "",
      security: t.security ?? false,
      severities: severitiesOf(policy, t.name).map((s) => s.id),
    })),
    roles: policy.roles.map((r) => ({
      name: r.name,
      description: r.description,
      incidentManager: r.name === policy.incidentManagerRole,
      owner: r.name === policy.ownerRole,
    })),
    incidentManagerRole: policy.incidentManagerRole,
    ownerRole: policy.ownerRole ?? null,
    states: states.map((id) => ({ id, open: openStates.includes(id), next: nextOf(id) })),
  };
}

/** The rules as clients show them (the web app's incident page, `policy explain`). */
const ruleViewSchema = z
  .object({
    id: z.string(),
    rule: z.string().nullable().describe("the handbook rule it implements (RULES.md)"),
    description: z.string(),
    trigger: z.string().describe("when it fires, in words"),
    does: z.string().describe("what it does, in words"),
  })
  .meta({ id: "PolicyRule" });

export function describeTrigger(r: Rule): string {
  if (r.when) return `on ${r.when.join(", ")}`;
  if (r.clock) {
    const after = r.clock.after === "cadence" ? "the update cadence" : `${Math.abs(r.clock.after)} minutes`;
    const every = r.clock.every ? `, then every ${r.clock.every} minutes` : "";
    return `${after} ${r.clock.after !== "cadence" && r.clock.after < 0 ? "before" : "after"} ${r.clock.from}${every}`;
  }
  if (r.deadline)
    return `deadline "${r.deadline.name}": ${r.deadline.after} minutes after ${r.deadline.from}, met by ${r.deadline.metBy}`;
  return "";
}

const presentRule = (r: Rule) => ({
  id: r.id,
  rule: r.rule ?? null,
  description: r.description,
  trigger: describeTrigger(r),
  does: describeActions(r.do),
});

const statusSchema = z
  .object({
    file: z.string(),
    hash: z.string().describe("SHA-256 of the file in force"),
    loadedAt: z.string(),
    lastError: z
      .object({
        message: z.string(),
        line: z.number().nullable(),
        column: z.number().nullable(),
        at: z.string(),
      })
      .nullable()
      .describe("the last change to the file that could not be used; the policy in force stayed"),
  })
  .meta({ id: "PolicyStatus" });

const presentStatus = (s: PolicyStatus) => ({
  file: s.file,
  hash: s.hash,
  loadedAt: s.loadedAt.toISOString(),
  lastError: s.lastError && { ...s.lastError, at: s.lastError.at.toISOString() },
});

export function policyRoutes(
  policy: PolicySource,
  process: Process,
  incidents: Pick<IncidentService, "get">,
  /** Settles when what a policy change sets off (escalation policies, clocks) is under way. */
  applied: () => Promise<void> = async () => undefined,
) {
  // The view changes only when the policy does.
  let cached: { of: Policy; view: PolicyView & { rules: z.infer<typeof ruleViewSchema>[] } } | undefined;
  const view = () => {
    const p = policy.current();
    if (cached?.of !== p)
      cached = { of: p, view: { ...presentPolicy(p), rules: (p.rules ?? []).map(presentRule) } };
    return cached.view;
  };
  return async (app: App) => {
    app.get(
      "/policy",
      {
        schema: {
          tags,
          summary:
            "The policy in force as clients need it: severities, incident types, roles, workflow, rules",
          response: { 200: policyViewSchema.extend({ rules: z.array(ruleViewSchema) }) },
        },
      },
      async () => view(),
    );

    app.get(
      "/policy/status",
      {
        schema: {
          tags,
          summary: "Which policy file is in force, since when, and the last change that could not be used",
          response: { 200: statusSchema },
        },
      },
      async () => presentStatus(policy.status()),
    );

    app.post(
      "/policy/reload",
      {
        config: { minRole: "admin" as const },
        schema: {
          tags,
          summary:
            "Read the policy file again now (it is also watched, and re-read on SIGHUP); a file with mistakes leaves the policy in force",
          response: { 200: statusSchema.extend({ changed: z.boolean() }) },
        },
      },
      async () => {
        const r = policy.reload();
        await applied();
        if (r.error)
          throw new AppError(
            "conflict",
            `${r.error.message}\nThe policy in force stays until the file is fixed.`,
            {
              line: r.error.line ?? null,
              column: r.error.column ?? null,
            },
          );
        return { ...presentStatus(policy.status()), changed: r.changed };
      },
    );

    app.post(
      "/policy/simulate",
      {
        config: { minRole: "responder" as const },
        schema: {
          tags,
          summary:
            "Replay a recorded incident's timeline under another policy (YAML) and the one in force: what each would have done, and where they differ",
          body: z
            .object({
              policy: z.string().min(1).max(1_000_000).describe("the policy file's text"),
              incidentId: z.number().int().positive(),
            })
            .strict(),
          response: { 200: simulationSchema },
        },
      },
      async (req) => {
        let other: Policy;
        try {
          other = parsePolicy(req.body.policy, "policy");
        } catch (err) {
          if (!(err instanceof PolicyError)) throw err;
          throw new AppError("invalid-request", `policy: ${err.message}`, {
            field: "policy",
            line: err.line ?? null,
            column: err.column ?? null,
          });
        }
        const incident = await incidents.get(actorOf(req), req.body.incidentId); // 404 unless visible
        return process.simulate(incident, other);
      },
    );
  };
}

const clockSchema = z
  .object({
    ruleId: z.string(),
    rule: z.string().nullable(),
    kind: z.enum(["clock", "remind", "deadline"]),
    dueAt: z.string(),
    fires: z.string().describe("what happens when it falls due"),
    why: z.string().describe("why it exists"),
    deadline: z.string().nullable().describe("for deadlines and their reminders: the deadline's name"),
  })
  .meta({ id: "PendingClock" });

const clocksResponse = z
  .object({
    now: z.string().describe("the server's time, to count down from"),
    clocks: z.array(clockSchema).describe("pending, soonest first"),
    deadlines: z.array(
      z.object({
        ruleId: z.string(),
        rule: z.string().nullable(),
        name: z.string(),
        dueAt: z.string(),
        outcome: z.enum(["pending", "met", "missed"]),
        settledAt: z.string().nullable(),
      }),
    ),
    fired: z
      .array(z.object({ ruleId: z.string(), rule: z.string().nullable(), at: z.string(), did: z.string() }))
      .describe("what the rules did on this incident, oldest first"),
  })
  .meta({ id: "IncidentClocks" });
/** The shape the web app reads (types only: web/src/api/types.ts). */
export type IncidentClocksView = z.infer<typeof clocksResponse>;

const explainSchema = z
  .object({
    now: z.string(),
    rules: z.array(
      z.object({
        id: z.string(),
        rule: z.string().nullable(),
        description: z.string(),
        trigger: z.string(),
        does: z.string(),
        holds: z.boolean().describe("all its conditions hold right now"),
        conditions: z.array(z.object({ text: z.string(), holds: z.boolean().nullable() })),
        pending: z.array(z.object({ dueAt: z.string(), fires: z.string(), why: z.string() })),
        firedAt: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: "PolicyExplanation" });

const idParams = z.object({ id: z.coerce.number().int().positive() });

/** The process as people see it: an incident's pending clocks, and why each rule does (not) apply. */
export function clockRoutes(process: Process, incidents: Pick<IncidentService, "get">, clock: Clock) {
  return async (app: App) => {
    app.get(
      "/incidents/:id/clocks",
      {
        schema: {
          tags: ["incidents"],
          summary:
            "The incident's pending clocks (rule, what fires, when, why), its deadlines, and what fired",
          params: idParams,
          response: { 200: clocksResponse },
        },
      },
      async (req) => {
        await incidents.get(actorOf(req), req.params.id); // 404 unless visible (DATA-3)
        const { pending, fired } = await process.clocksOf(req.params.id);
        const deadlines = new Map<string, z.infer<typeof clocksResponse>["deadlines"][number]>();
        for (const c of [...fired, ...pending].filter((c) => c.kind === "deadline")) {
          deadlines.set(c.key, {
            ruleId: c.rule_id,
            rule: c.rule,
            name: c.deadline ?? c.rule_id,
            dueAt: c.due_at.toISOString(),
            outcome: c.state === "pending" ? "pending" : c.outcome === "met" ? "met" : "missed",
            settledAt: c.fired_at?.toISOString() ?? null,
          });
        }
        return {
          now: clock.now().toISOString(),
          clocks: pending.map((c) => ({
            ruleId: c.rule_id,
            rule: c.rule,
            kind: c.kind === "event" ? "clock" : c.kind,
            dueAt: c.due_at.toISOString(),
            fires: c.fires,
            why: c.why,
            deadline: c.deadline,
          })),
          deadlines: [...deadlines.values()],
          fired: fired
            .filter((c) => c.kind !== "deadline")
            .map((c) => ({
              ruleId: c.rule_id,
              rule: c.rule,
              at: (c.fired_at ?? c.due_at).toISOString(),
              did: c.fires,
            })),
        };
      },
    );

    app.get(
      "/incidents/:id/explain",
      {
        schema: {
          tags: ["incidents"],
          summary:
            "Every rule of the policy held against the incident now: whether it applies, and why (not)",
          params: idParams,
          response: { 200: explainSchema },
        },
      },
      async (req) => {
        const incident = await incidents.get(actorOf(req), req.params.id);
        const e = await process.explainIncident(incident);
        return {
          now: e.now.toISOString(),
          rules: e.rules.map((r) => ({
            ...presentRule(r.rule),
            holds: r.holds,
            conditions: r.checks.map((c) => ({ text: c.text, holds: c.ok ?? null })),
            pending: r.clocks.map((c) => ({ dueAt: c.dueAt.toISOString(), fires: c.fires, why: c.why })),
            firedAt: r.firedAt?.toISOString() ?? null,
          })),
        };
      },
    );
  };
}
