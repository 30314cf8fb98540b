/** The incident API's shapes (validation, types and OpenAPI from one schema) and presenters. */
import { z } from "zod";
import type { Policy } from "../policy/model.ts";
import { nextUpdateDue } from "./fields.ts";
import { blocksDeploys, earliestClose, type Incident, labelsOf, nextStates, states } from "./model.ts";
import { rolesWithOwner } from "./people.ts";
import { videoBridgeOf } from "./places.ts";
import type { TimelineEvent, UserRef } from "./store.ts";
import type { Task } from "./tasks-store.ts";

const text = (max: number) => z.string().max(max);
export const userInput = z
  .union([z.number().int().positive(), z.string().min(1).max(64)])
  .describe("a user, by id or username");

export const severityId = z.string().min(1).max(16).describe("a severity id from the policy, e.g. S1");
export const stateSchema = z.enum(states);

export const declareBody = z
  .object({
    title: text(200).describe("may be empty at first and edited later (DEC-1)"),
    type: z.string().min(1).max(64).describe("an incident type from the policy, e.g. GitLab.com"),
    severity: severityId,
    status: z.enum(["triage", "active"]).describe("triage: a problem to look at; active: being worked now"),
    summary: text(20_000).optional(),
    visibility: z
      .enum(["public", "private"])
      .optional()
      .describe("default public (private for security types)"),
    owner: userInput.optional().describe("the incident lead; defaults to the declarer"),
    blocksDeployments: z.boolean().optional().describe("the 'Blocks Deployments' field (LC-4)"),
  })
  .strict();

export const userRef = z
  .object({ id: z.number(), username: z.string(), name: z.string() })
  .meta({ id: "UserRef" });

/** The GitLab or GitHub issue Firebreak keeps for an incident or a follow-up (DEC-2, FU-1). */
export const trackerIssueSchema = z
  .object({
    kind: z.enum(["gitlab", "github"]),
    project: z.string().describe("GitLab group/project, GitHub owner/repo"),
    number: z.number().describe("GitLab's iid, GitHub's number"),
    url: z.string(),
  })
  .meta({ id: "TrackerIssue" });
export type TrackerIssueView = z.infer<typeof trackerIssueSchema>;

export const incidentSchema = z
  .object({
    id: z.number(),
    title: z.string(),
    type: z.string(),
    severity: z.string(),
    maxSeverity: z.string(),
    state: stateSchema,
    visibility: z.enum(["public", "private"]),
    summary: z.string(),
    labels: z
      .array(z.string())
      .describe("derived from state, severity and fields (LC-3, LC-4), then those added"),
    addedLabels: z.array(z.string()).describe('labels people or rules added, e.g. "path blocked"'),
    owner: userRef,
    declaredBy: userRef,
    roles: z.record(z.string(), userRef),
    blocksDeployments: z.boolean().describe("the field as set by people"),
    blocks: z.object({ deployments: z.boolean(), featureFlags: z.boolean() }),
    nextStates: z.array(stateSchema).describe("states the workflow allows next"),
    closableAt: z.string().nullable().describe("LC-5: when a resolved S1/S2 may close"),
    declaredAt: z.string(),
    acceptedAt: z.string().nullable(),
    mitigatedAt: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    impactStartedAt: z.string().nullable(),
    impactEndedAt: z.string().nullable(),
    impactLevel: z
      .enum(["degraded", "partial", "full"])
      .nullable()
      .describe("TL-3: how bad, while impact lasts"),
    lastStatusUpdateAt: z.string().nullable(),
    publicPostAt: z.string().nullable().describe("COMM-2: when it was first published on a status page"),
    engagedAt: z.record(z.string(), z.string()).describe("when each role was first held"),
    nextUpdateDueAt: z
      .string()
      .nullable()
      .describe("COMM-1: when a status update is due by the policy's cadence"),
    mergedInto: z.number().nullable(),
    videoBridge: z
      .string()
      .nullable()
      .describe(
        "DEC-2: the incident's call, from its type's videoBridge template; null when the type has none",
      ),
    trackerIssue: trackerIssueSchema
      .nullable()
      .describe("DEC-2: its tracker issue, once created (types with a tracker in the policy)"),
    updatedAt: z.string(),
  })
  .meta({ id: "Incident" });
export type IncidentView = z.infer<typeof incidentSchema>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const unknownUser = (id: number): UserRef => ({ id, username: `user-${id}`, name: "unknown" });

export function presentIncident(
  i: Incident,
  users: Map<number, UserRef>,
  policy: Policy,
  now: Date,
  trackerIssue: TrackerIssueView | null = null,
): IncidentView {
  const ref = (id: number) => users.get(id) ?? unknownUser(id);
  // Labels under the policy in force: renamed labels and a changed severity table apply at once.
  const labels = labelsOf(policy, i);
  const blocking = blocksDeploys(policy, i.severity, i.blocksDeployments);
  return {
    id: i.id,
    title: i.title,
    type: i.type,
    severity: i.severity,
    maxSeverity: i.maxSeverity,
    state: i.state,
    visibility: i.visibility,
    summary: i.summary,
    labels,
    addedLabels: i.extraLabels,
    owner: ref(i.ownerId),
    declaredBy: ref(i.declaredBy),
    roles: Object.fromEntries(Object.entries(rolesWithOwner(policy, i)).map(([role, id]) => [role, ref(id)])),
    blocksDeployments: i.blocksDeployments,
    blocks: { deployments: blocking, featureFlags: blocking },
    nextStates: [...nextStates(i)],
    closableAt:
      i.state === "resolved" || i.state === "post-incident" ? iso(earliestClose(policy, i, now)) : null,
    declaredAt: i.declaredAt.toISOString(),
    acceptedAt: iso(i.acceptedAt),
    mitigatedAt: iso(i.mitigatedAt),
    resolvedAt: iso(i.resolvedAt),
    closedAt: iso(i.closedAt),
    impactStartedAt: iso(i.impactStartedAt),
    impactEndedAt: iso(i.impactEndedAt),
    impactLevel: i.impactLevel,
    lastStatusUpdateAt: iso(i.lastStatusUpdateAt),
    publicPostAt: iso(i.publicPostAt),
    engagedAt: Object.fromEntries(Object.entries(i.engagedAt).map(([role, at]) => [role, at.toISOString()])),
    nextUpdateDueAt: iso(nextUpdateDue(policy, i)),
    mergedInto: i.mergedInto,
    videoBridge: videoBridgeOf(policy, i),
    trackerIssue,
    updatedAt: i.updatedAt.toISOString(),
  };
}

export function userIdsOf(i: Incident): number[] {
  return [i.ownerId, i.declaredBy, ...Object.values(i.roles)] as number[];
}

export const eventSchema = z
  .object({
    id: z.number(),
    incidentId: z
      .number()
      .describe("differs from the incident read when the event came from a merged duplicate"),
    kind: z.string(),
    at: z.string(),
    actor: userRef.nullable(),
    internal: z.boolean(),
    body: z.string(),
    data: z.record(z.string(), z.unknown()),
    pinned: z.boolean(),
  })
  .meta({ id: "TimelineEvent" });

export function presentEvent(e: TimelineEvent & { pinned?: boolean }, users: Map<number, UserRef>) {
  return {
    id: e.id,
    incidentId: e.incidentId,
    kind: e.kind,
    at: e.at.toISOString(),
    actor: e.actorId === null ? null : (users.get(e.actorId) ?? unknownUser(e.actorId)),
    internal: e.internal,
    body: e.body,
    data: e.data,
    pinned: e.pinned ?? false,
  };
}

export const taskSchema = z
  .object({
    id: z.number(),
    incidentId: z.number(),
    kind: z.enum(["action", "follow-up"]),
    title: z.string(),
    assignee: userRef.nullable(),
    state: z.enum(["open", "done", "cancelled"]),
    trackerIssue: trackerIssueSchema
      .nullable()
      .describe("FU-1: a follow-up's linked tracker issue, once created"),
    createdBy: userRef,
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Task" });

export function presentTask(
  t: Task,
  users: Map<number, UserRef>,
  trackerIssue: TrackerIssueView | null = null,
) {
  return {
    id: t.id,
    incidentId: t.incidentId,
    kind: t.kind,
    title: t.title,
    assignee: t.assigneeId === null ? null : (users.get(t.assigneeId) ?? unknownUser(t.assigneeId)),
    state: t.state,
    trackerIssue,
    createdBy: users.get(t.createdBy) ?? unknownUser(t.createdBy),
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}
