/** HTTP for the incident core: validate, authorize, call one command, present the result. */
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import type { Clock } from "../platform/clock.ts";
import type { App } from "../platform/http.ts";
import { IDEMPOTENCY_HEADER } from "../platform/idempotency-key.ts";
import type { PolicySource } from "../policy/source.ts";
import type { Incident } from "./model.ts";
import {
  declareBody,
  eventSchema,
  incidentSchema,
  presentEvent,
  presentIncident,
  presentTask,
  severityId,
  stateSchema,
  type TrackerIssueView,
  taskSchema,
  userIdsOf,
  userInput,
  userRef,
} from "./schemas.ts";
import type { IncidentService } from "./service.ts";
import type { UserRef } from "./store.ts";
import type { LiveIncidents } from "./stream.ts";

const tags = ["incidents"];
const idParams = z.object({ id: z.coerce.number().int().positive() });
const reason = z.string().max(2000);
const csv = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(",").filter(Boolean) : undefined));
const responder = { minRole: "responder" as const };

/** Reads the tracker issues of incidents and of follow-ups (DEC-2, FU-1), by their ids. */
export type TrackerIssuesOf = {
  incidents(ids: number[]): Promise<Map<number, TrackerIssueView>>;
  tasks(ids: number[]): Promise<Map<number, TrackerIssueView>>;
};

export function incidentRoutes(
  service: IncidentService,
  deps: {
    policy: PolicySource;
    clock: Clock;
    live: LiveIncidents;
    /** The incidents a service's alerts went to (from the alerts capability). */
    incidentsOfService: (serviceId: number) => Promise<number[]>;
    /** Tracker issues of incidents and of follow-ups, by id (from the trackers capability). */
    trackerIssues?: TrackerIssuesOf;
  },
) {
  const users = (ids: number[]): Promise<Map<number, UserRef>> => service.users(ids);
  const issuesOf = (ids: number[]) => deps.trackerIssues?.incidents(ids) ?? Promise.resolve(new Map());
  const issuesOfTasks = (ids: number[]) => deps.trackerIssues?.tasks(ids) ?? Promise.resolve(new Map());
  const present = async (i: Incident) =>
    presentIncident(
      i,
      await users(userIdsOf(i)),
      deps.policy.current(),
      deps.clock.now(),
      (await issuesOf([i.id])).get(i.id) ?? null,
    );

  return async (app: App) => {
    app.post(
      "/incidents",
      {
        config: responder,
        schema: {
          tags,
          summary: "Declare an incident (DEC-1)",
          body: declareBody,
          response: { 201: incidentSchema },
        },
      },
      async (req, reply) => {
        const incident = await service.declare(actorOf(req), req.body);
        reply.code(201).header("location", `/api/v1/incidents/${incident.id}`);
        return present(incident);
      },
    );

    app.get(
      "/incidents",
      {
        schema: {
          tags,
          summary: "List incidents you can see, newest first",
          querystring: z.object({
            state: z
              .string()
              .optional()
              .transform((v) => (v ? v.split(",").filter(Boolean) : undefined))
              .pipe(z.array(stateSchema).optional())
              .describe("comma-separated states"),
            severity: csv.describe("comma-separated severities"),
            type: csv.describe("comma-separated types"),
            owner: z.coerce.number().int().positive().optional().describe("owner's user id"),
            q: z.string().max(200).optional().describe("search in titles"),
            service: z.coerce
              .number()
              .int()
              .positive()
              .optional()
              .describe("a service's id: only incidents its alerts opened or joined"),
            limit: z.coerce.number().int().min(1).max(500).default(100),
            before: z.coerce.number().int().positive().optional().describe("page: ids below this one"),
          }),
          response: { 200: z.object({ incidents: z.array(incidentSchema) }) },
        },
      },
      async (req) => {
        const q = req.query;
        const list = await service.list(actorOf(req), {
          states: q.state,
          severities: q.severity,
          types: q.type,
          ownerId: q.owner,
          search: q.q,
          ids: q.service === undefined ? undefined : await deps.incidentsOfService(q.service),
          limit: q.limit,
          beforeId: q.before,
        });
        const people = await users(list.flatMap(userIdsOf));
        const issues = await issuesOf(list.map((i) => i.id));
        const now = deps.clock.now();
        const policy = deps.policy.current();
        return {
          incidents: list.map((i) => presentIncident(i, people, policy, now, issues.get(i.id) ?? null)),
        };
      },
    );

    app.get(
      "/incidents/:id",
      { schema: { tags, summary: "Read an incident", params: idParams, response: { 200: incidentSchema } } },
      async (req) => present(await service.get(actorOf(req), req.params.id)),
    );

    app.patch(
      "/incidents/:id",
      {
        config: responder,
        schema: {
          tags,
          summary: "Edit title, summary or the 'Blocks Deployments' field",
          params: idParams,
          body: z
            .object({
              title: z.string().max(200).optional(),
              summary: z.string().max(20_000).optional(),
              blocksDeployments: z.boolean().optional(),
            })
            .strict(),
          response: { 200: incidentSchema },
        },
      },
      async (req) => present((await service.editFields(actorOf(req), req.params.id, req.body)).incident),
    );

    app.post(
      "/incidents/:id/status",
      {
        config: responder,
        schema: {
          tags,
          summary:
            "Move the incident through its workflow (LC-1): accept, decline, fix, mitigate, resolve, close, reopen",
          params: idParams,
          body: z
            .object({
              status: stateSchema.exclude(["merged"]),
              severity: severityId.optional().describe("when accepting a triage incident"),
              reason: reason.optional(),
            })
            .strict(),
          response: { 200: incidentSchema },
        },
      },
      async (req) => {
        const { status, ...rest } = req.body;
        return present(
          (await service.transition(actorOf(req), req.params.id, { to: status, ...rest })).incident,
        );
      },
    );

    app.post(
      "/incidents/:id/severity",
      {
        config: responder,
        schema: {
          tags,
          summary: "Change severity, with the reason (SEV-1, SEV-2)",
          params: idParams,
          body: z.object({ severity: severityId, reason: reason.min(1) }).strict(),
          response: { 200: incidentSchema },
        },
      },
      async (req) =>
        present(
          (await service.changeSeverity(actorOf(req), req.params.id, req.body.severity, req.body.reason))
            .incident,
        ),
    );

    app.post(
      "/incidents/:id/owner",
      {
        config: responder,
        schema: {
          tags,
          summary: "Hand ownership to another person (OWN-1)",
          params: idParams,
          body: z.object({ owner: userInput, reason: reason.optional() }).strict(),
          response: { 200: incidentSchema },
        },
      },
      async (req) =>
        present(
          (await service.changeOwner(actorOf(req), req.params.id, req.body.owner, req.body.reason ?? ""))
            .incident,
        ),
    );

    app.post(
      "/incidents/:id/escalate",
      {
        config: responder,
        schema: {
          tags,
          summary: "Escalate ownership to the incident's IM (OWN-1)",
          params: idParams,
          body: z.object({ reason: reason.optional() }).strict().nullish(),
          response: { 200: incidentSchema },
        },
      },
      async (req) =>
        present(
          (await service.escalateToIncidentManager(actorOf(req), req.params.id, req.body?.reason ?? ""))
            .incident,
        ),
    );

    const roleParams = idParams.extend({ role: z.string().min(1).max(64) });
    app.put(
      "/incidents/:id/roles/:role",
      {
        config: responder,
        schema: {
          tags,
          summary: "Give a role on the incident to a person (OWN-5)",
          params: roleParams,
          body: z.object({ user: userInput }).strict(),
          response: { 200: incidentSchema },
        },
      },
      async (req) =>
        present(
          (await service.assignRole(actorOf(req), req.params.id, req.params.role, req.body.user)).incident,
        ),
    );
    app.delete(
      "/incidents/:id/roles/:role",
      {
        config: responder,
        schema: {
          tags,
          summary: "Leave a role unheld",
          params: roleParams,
          response: { 200: incidentSchema },
        },
      },
      async (req) =>
        present((await service.assignRole(actorOf(req), req.params.id, req.params.role, null)).incident),
    );

    app.post(
      "/incidents/:id/impact",
      {
        config: responder,
        schema: {
          tags,
          summary: "Record when customer impact started or ended (TL-3)",
          params: idParams,
          body: z
            .object({
              edge: z.enum(["started", "ended"]),
              at: z.iso.datetime({ offset: true }).optional(),
              level: z
                .enum(["degraded", "partial", "full"])
                .optional()
                .describe(
                  "how bad, when it starts (default degraded); COMM-2 engages the CMOC after 5 minutes",
                ),
            })
            .strict(),
          response: { 200: incidentSchema },
        },
      },
      async (req) => {
        const at = req.body.at ? new Date(req.body.at) : undefined;
        return present(
          (await service.recordImpact(actorOf(req), req.params.id, req.body.edge, at, req.body.level))
            .incident,
        );
      },
    );

    app.post(
      "/incidents/:id/labels",
      {
        config: responder,
        schema: {
          tags,
          summary:
            'Add a label (e.g. "path blocked" or "unauthorized access", which engage an IM by PAGE-4); derived labels follow the state and severity',
          params: idParams,
          body: z.object({ label: z.string().trim().min(1).max(100) }).strict(),
          response: { 200: incidentSchema },
        },
      },
      async (req) => present((await service.addLabel(actorOf(req), req.params.id, req.body.label)).incident),
    );
    app.delete(
      "/incidents/:id/labels/:label",
      {
        config: responder,
        schema: {
          tags,
          summary: "Remove a label that was added",
          params: idParams.extend({ label: z.string().min(1).max(100) }),
          response: { 200: incidentSchema },
        },
      },
      async (req) =>
        present((await service.removeLabel(actorOf(req), req.params.id, req.params.label)).incident),
    );

    app.post(
      "/incidents/:id/visibility",
      {
        config: responder,
        schema: {
          tags,
          summary:
            "Make the incident private (its participants and admins only, DATA-3), or public again (admins only)",
          params: idParams,
          body: z.object({ visibility: z.enum(["public", "private"]), reason: reason.optional() }).strict(),
          response: { 200: incidentSchema },
        },
      },
      async (req) =>
        present(
          (
            await service.setVisibility(
              actorOf(req),
              req.params.id,
              req.body.visibility,
              req.body.reason ?? "",
            )
          ).incident,
        ),
    );

    app.post(
      "/incidents/:id/merge",
      {
        config: responder,
        schema: {
          tags,
          summary: "Merge this duplicate into an open primary incident (LC-2)",
          params: idParams,
          body: z.object({ into: z.number().int().positive(), reason: reason.optional() }).strict(),
          response: { 200: z.object({ duplicate: incidentSchema, primary: incidentSchema }) },
        },
      },
      async (req) => {
        const r = await service.merge(actorOf(req), req.params.id, req.body.into, req.body.reason ?? "");
        return { duplicate: await present(r.duplicate), primary: await present(r.primary) };
      },
    );

    app.get(
      "/incidents/:id/participants",
      {
        schema: {
          tags,
          summary: "People taking part (they see the incident even when it is private)",
          params: idParams,
          response: { 200: z.object({ participants: z.array(userRef) }) },
        },
      },
      async (req) => {
        const ids = await service.participants(actorOf(req), req.params.id);
        const people = await users(ids);
        return { participants: ids.flatMap((id) => people.get(id) ?? []) };
      },
    );
    app.post(
      "/incidents/:id/participants",
      {
        config: responder,
        schema: {
          tags,
          summary: "Add a participant (the way to share a private incident, DATA-3)",
          params: idParams,
          body: z.object({ user: userInput }).strict(),
          response: { 201: userRef },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return service.addParticipant(actorOf(req), req.params.id, req.body.user);
      },
    );

    // -- timeline -----------------------------------------------------------------------------

    const timelineResponse = z.object({ events: z.array(eventSchema) });
    app.get(
      "/incidents/:id/timeline",
      {
        schema: {
          tags,
          summary: "The append-only timeline (TL-1), including merged duplicates'",
          params: idParams,
          querystring: z.object({
            pinned: z.enum(["true", "false"]).optional().describe("only highlights (TL-2)"),
          }),
          response: { 200: timelineResponse },
        },
      },
      async (req) => {
        let events = await service.timeline(actorOf(req), req.params.id);
        if (req.query.pinned === "true") events = events.filter((e) => e.pinned);
        const people = await users(events.flatMap((e) => (e.actorId === null ? [] : [e.actorId])));
        return { events: events.map((e) => presentEvent(e, people)) };
      },
    );

    // -- live (server-sent events) -----------------------------------------------------------

    const eventStream = (what: string) =>
      z.string().describe(`text/event-stream: ${what}; a \`: keep-alive\` comment every 20 seconds`);
    app.get(
      "/incidents/:id/stream",
      {
        schema: {
          tags,
          summary: "Follow an incident live (server-sent events): its timeline and its state",
          description:
            "Sends `event: timeline` (`id:` the event id, `data:` the event as GET timeline presents it) for every event the reader does not have yet — all of them at first, then each new one — and `event: incident` (`data:` the incident as GET presents it) at first and whenever it changes. Reconnecting with `Last-Event-ID` (or `?after=`) resends only what came after. Internal events reach only those who may see them; a private incident is 404 for others.",
          params: idParams,
          headers: z.object({
            "last-event-id": z
              .string()
              .regex(/^\d{1,15}$/, "expected an event id")
              .optional(),
          }),
          querystring: z.object({
            after: z.coerce.number().int().min(0).optional().describe("like Last-Event-ID"),
          }),
          produces: ["text/event-stream"],
          response: { 200: eventStream("`timeline` and `incident` events") },
        },
      },
      async (req, reply) => {
        const header = req.headers["last-event-id"];
        const after = req.query.after ?? (header === undefined ? undefined : Number(header));
        return deps.live.incident(req, reply, actorOf(req), req.params.id, after);
      },
    );
    app.get(
      "/incidents/stream",
      {
        schema: {
          tags,
          summary: "Hear when any incident you can see changes (server-sent events)",
          description:
            'Sends `event: incident` with `data: {"id":N}` when incident N changes (re-read it or the list). The server may close the stream when it could have missed changes; re-read the list after reconnecting.',
          produces: ["text/event-stream"],
          response: { 200: eventStream("`incident` events") },
        },
      },
      async (req, reply) => deps.live.list(req, reply),
    );

    const oneEvent = async (e: Parameters<typeof presentEvent>[0]) =>
      presentEvent(e, await users(e.actorId === null ? [] : [e.actorId]));

    app.post(
      "/incidents/:id/notes",
      {
        config: responder,
        schema: {
          tags,
          summary: "Add a note; internal notes are seen only by participants and admins (DATA-2)",
          params: idParams,
          body: z
            .object({ body: z.string().min(1).max(20_000), internal: z.boolean().default(false) })
            .strict(),
          response: { 201: eventSchema },
        },
      },
      async (req, reply) => {
        reply.code(201);
        // Without an Idempotency-Key no key has to be marked in the note's transaction: one statement.
        const alone = req.headers[IDEMPOTENCY_HEADER] === undefined;
        return oneEvent(
          await service.addNote(actorOf(req), req.params.id, req.body.body, req.body.internal, { alone }),
        );
      },
    );

    app.post(
      "/incidents/:id/updates",
      {
        config: responder,
        schema: {
          tags,
          summary: "Post a status update: current customer impact and actions under way (COMM-1)",
          params: idParams,
          body: z
            .object({
              impact: z.string().min(1).max(5000),
              actions: z.string().min(1).max(5000),
              nextUpdateAt: z.iso.datetime({ offset: true }).optional(),
            })
            .strict(),
          response: { 201: eventSchema },
        },
      },
      async (req, reply) => {
        const { nextUpdateAt, ...rest } = req.body;
        const e = await service.addStatusUpdate(actorOf(req), req.params.id, {
          ...rest,
          nextUpdateAt: nextUpdateAt ? new Date(nextUpdateAt) : undefined,
        });
        reply.code(201);
        return oneEvent(e);
      },
    );

    const pinParams = idParams.extend({ eventId: z.coerce.number().int().positive() });
    for (const [method, pinned] of [
      ["put", true],
      ["delete", false],
    ] as const) {
      app[method](
        "/incidents/:id/timeline/:eventId/pin",
        {
          config: responder,
          schema: {
            tags,
            summary: pinned ? "Pin an event into the highlights (TL-2)" : "Unpin an event",
            params: pinParams,
            response: { [pinned ? 201 : 200]: eventSchema },
          },
        },
        async (req, reply) => {
          reply.code(pinned ? 201 : 200);
          return oneEvent(await service.pin(actorOf(req), req.params.id, req.params.eventId, pinned));
        },
      );
    }

    // -- actions and follow-ups ---------------------------------------------------------------

    const taskUsers = (ts: { assigneeId: number | null; createdBy: number }[]) =>
      users(ts.flatMap((t) => [t.createdBy, ...(t.assigneeId ? [t.assigneeId] : [])]));

    app.get(
      "/incidents/:id/tasks",
      {
        schema: {
          tags,
          summary: "Actions (during) and follow-ups (after) of an incident (FU-1)",
          params: idParams,
          response: { 200: z.object({ tasks: z.array(taskSchema) }) },
        },
      },
      async (req) => {
        const tasks = await service.tasks(actorOf(req), req.params.id);
        const people = await taskUsers(tasks);
        const issues = await issuesOfTasks(tasks.map((t) => t.id));
        return { tasks: tasks.map((t) => presentTask(t, people, issues.get(t.id) ?? null)) };
      },
    );
    app.post(
      "/incidents/:id/tasks",
      {
        config: responder,
        schema: {
          tags,
          summary: "Add an action or follow-up",
          params: idParams,
          body: z
            .object({
              kind: z.enum(["action", "follow-up"]),
              title: z.string().min(1).max(500),
              assignee: userInput.optional(),
            })
            .strict(),
          response: { 201: taskSchema },
        },
      },
      async (req, reply) => {
        const t = await service.addTask(actorOf(req), req.params.id, req.body);
        reply.code(201);
        return presentTask(t, await taskUsers([t]));
      },
    );
    app.patch(
      "/incidents/:id/tasks/:taskId",
      {
        config: responder,
        schema: {
          tags,
          summary: "Change an action or follow-up: title, assignee (null to clear) or state",
          params: idParams.extend({ taskId: z.coerce.number().int().positive() }),
          body: z
            .object({
              title: z.string().min(1).max(500).optional(),
              assignee: userInput.nullable().optional(),
              state: z.enum(["open", "done", "cancelled"]).optional(),
            })
            .strict(),
          response: { 200: taskSchema },
        },
      },
      async (req) => {
        const t = await service.updateTask(actorOf(req), req.params.id, req.params.taskId, req.body);
        return presentTask(t, await taskUsers([t]), (await issuesOfTasks([t.id])).get(t.id) ?? null);
      },
    );

    app.get(
      "/deploy-gate",
      {
        schema: {
          tags,
          summary: "May a pipeline deploy (or change feature flags) now? (LC-4)",
          querystring: z.object({ for: z.enum(["deployments", "feature-flags"]).default("deployments") }),
          response: {
            200: z.object({
              blocked: z.boolean(),
              kind: z.enum(["deployments", "feature-flags"]),
              incidents: z.array(
                z.object({
                  id: z.number().nullable(),
                  title: z.string().nullable(),
                  severity: z.string(),
                  state: stateSchema,
                  private: z.boolean(),
                }),
              ),
            }),
          },
        },
      },
      async (req) => service.deployGate(actorOf(req), req.query.for),
    );
  };
}
