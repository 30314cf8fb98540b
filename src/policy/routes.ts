/**
 * HTTP for the loaded policy: what a client needs to offer people the organization's own choices
 * (severities, incident types, roles, the workflow) instead of hard-coding the handbook's.
 */
import { z } from "zod";
import { openStates, type State, states, transitionsFrom } from "../incidents/model.ts";
import type { App } from "../platform/http.ts";
import type { Policy } from "./model.ts";

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

export function policyRoutes(policy: Policy) {
  // The policy is loaded once at start-up; its view never changes while the process runs.
  const view = presentPolicy(policy);
  return async (app: App) => {
    app.get(
      "/policy",
      {
        schema: {
          tags,
          summary: "The loaded policy as clients need it: severities, incident types, roles, workflow",
          response: { 200: policyViewSchema },
        },
      },
      async () => view,
    );
  };
}
