/** HTTP for status pages: the admin API (bearer tokens) under /api/v1/status-pages. */
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import type { App } from "../platform/http.ts";
import { ofTeams, teamQuery } from "../platform/team-filter.ts";
import { groupStatus } from "./model.ts";
import { criticalities, type StatusService } from "./service.ts";
import type { ComponentRow, PageRow, StatusIncidentRow, UpdateRow } from "./store.ts";
import { componentStatuses, incidentStates, maintenanceStates } from "./types.ts";

const tags = ["status page"];
const admin = { minRole: "admin" as const };
const responder = { minRole: "responder" as const };
const slugParam = z.object({ slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected a page slug") });
const withId = slugParam.extend({ id: z.coerce.number().int().positive() });
const isoInstant = z.iso.datetime({ offset: true });
const iso = (d: Date | null) => d?.toISOString() ?? null;

const componentFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullable().optional(),
  status: z.enum(componentStatuses).optional(),
  groupId: z.number().int().positive().nullable().optional(),
  group: z.boolean().optional().describe("a group of components; its status is its members' worst"),
  position: z.number().int().min(0).max(2_147_483_647).optional(),
  showcase: z.boolean().optional(),
  onlyShowIfDegraded: z.boolean().optional(),
  startDate: z.iso.date().nullable().optional().describe("uptime bars start on this day"),
};
const componentSchema = z
  .object({
    id: z.number(),
    pageId: z.number(),
    name: z.string(),
    description: z.string().nullable(),
    status: z.enum(componentStatuses),
    groupId: z.number().nullable(),
    group: z.boolean(),
    position: z.number(),
    showcase: z.boolean(),
    onlyShowIfDegraded: z.boolean(),
    startDate: z.string().nullable(),
    updatedAt: z.string(),
  })
  .meta({ id: "StatusComponent" });
const presentComponent = (c: ComponentRow) => ({
  id: c.id,
  pageId: c.page_id,
  name: c.name,
  description: c.description,
  status: c.status,
  groupId: c.group_id,
  group: c.is_group,
  position: c.position,
  showcase: c.showcase,
  onlyShowIfDegraded: c.only_show_if_degraded,
  startDate: c.start_date ? c.start_date.toISOString().slice(0, 10) : null,
  updatedAt: c.updated_at.toISOString(),
});

const affected = z
  .array(
    z.object({ componentId: z.number().int().positive(), newStatus: z.enum(componentStatuses) }).strict(),
  )
  .max(200);
const updateSchema = z
  .object({
    id: z.number(),
    statusIncidentId: z.number(),
    status: z.string(),
    body: z.string(),
    affected: z.array(
      z.object({ componentId: z.number(), newStatus: z.string(), oldStatus: z.string().optional() }),
    ),
    state: z.enum(["draft", "published", "discarded"]),
    draftedBy: z.number(),
    approvedBy: z.number().nullable(),
    impactConfirmedWith: z
      .number()
      .nullable()
      .describe("COMM-3: the EOC or IM with whom the approver confirmed customer impact (outages)"),
    createdAt: z.string(),
    publishedAt: z.string().nullable(),
  })
  .meta({ id: "StatusUpdate" });
const presentUpdate = (u: UpdateRow) => ({
  id: u.id,
  statusIncidentId: u.status_incident_id,
  status: u.status,
  body: u.body,
  affected: u.affected,
  state: u.state,
  draftedBy: u.drafted_by,
  approvedBy: u.approved_by,
  impactConfirmedWith: u.impact_confirmed_with ?? null,
  createdAt: u.created_at.toISOString(),
  publishedAt: iso(u.published_at),
});
const incidentSchema = z
  .object({
    id: z.number(),
    pageId: z.number(),
    incidentId: z.number().nullable().describe("the internal incident"),
    kind: z.enum(["incident", "maintenance"]),
    name: z.string(),
    status: z.string(),
    impact: z.string(),
    security: z.boolean(),
    published: z.boolean(),
    scheduledFor: z.string().nullable(),
    scheduledUntil: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    createdAt: z.string(),
    updates: z.array(updateSchema),
  })
  .meta({ id: "PublicIncident" });
const presentIncident = (i: StatusIncidentRow & { updates: UpdateRow[] }) => ({
  id: i.id,
  pageId: i.page_id,
  incidentId: i.incident_id,
  kind: i.kind,
  name: i.name,
  status: i.status,
  impact: i.impact,
  security: i.security,
  published: i.published,
  scheduledFor: iso(i.scheduled_for),
  scheduledUntil: iso(i.scheduled_until),
  resolvedAt: iso(i.resolved_at),
  createdAt: i.created_at.toISOString(),
  updates: i.updates.map(presentUpdate),
});

const pageSchema = z
  .object({
    id: z.number(),
    slug: z.string(),
    name: z.string(),
    timeZone: z.string(),
    teamId: z.number().describe("the team that owns it"),
  })
  .meta({ id: "StatusPage" });
const presentPage = (p: PageRow) => ({
  id: p.id,
  slug: p.slug,
  name: p.name,
  timeZone: p.time_zone,
  teamId: p.team_id,
});

/** A page's components, each group with its members' worst status (STAT-2), as the public page shows it. */
function presentComponents(rows: ComponentRow[]) {
  const members = rows.map((c) => ({
    status: c.status,
    group: c.is_group,
    groupId: c.group_id === null ? null : String(c.group_id),
  }));
  return rows.map((c) =>
    presentComponent(c.is_group ? { ...c, status: groupStatus({ id: String(c.id) }, members) } : c),
  );
}

/** The shapes the web app reads (types only: web/src/api/statuspage.ts). */
export type ComponentView = z.infer<typeof componentSchema>;
export type StatusPageView = z.infer<typeof pageSchema>;
export type StatusUpdateView = z.infer<typeof updateSchema>;
export type PublicIncidentView = z.infer<typeof incidentSchema>;

const body = z.string().trim().min(1).max(10_000).describe("plain text; shown escaped, URLs linked");

export function statusAdminRoutes(service: StatusService) {
  return async (app: App) => {
    app.get(
      "/status-pages",
      {
        config: { team: { kind: "statusPage", list: true } },
        schema: {
          tags,
          summary: "Status pages (`?team=mine` or a team id: only those teams')",
          querystring: teamQuery,
          response: { 200: z.object({ pages: z.array(pageSchema) }) },
        },
      },
      async (req) => ({
        pages: ofTeams(await service.listPages(), req.teamFilter, (p) => p.team_id).map(presentPage),
      }),
    );
    app.post(
      "/status-pages",
      {
        config: { ...admin, team: { kind: "statusPage" } },
        schema: {
          tags,
          summary: "Another status page (e.g. internal, or per product), with its own components",
          body: z
            .object({
              slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected lowercase letters, digits and -"),
              name: z.string().trim().min(1).max(200),
              timeZone: z.string().optional(),
              teamId: z
                .number()
                .int()
                .positive()
                .optional()
                .describe("the team that owns it (default: your team)"),
            })
            .strict(),
          response: { 201: pageSchema },
        },
      },
      async (req, reply) => {
        const p = await service.createPage(req.body);
        reply.code(201);
        return presentPage(p);
      },
    );
    app.patch(
      "/status-pages/:slug",
      {
        config: { ...admin, team: { kind: "statusPage", param: "slug" } },
        schema: {
          tags,
          summary: "Rename a page or change the time zone its times are shown in",
          params: slugParam,
          body: z
            .object({
              name: z.string().trim().min(1).max(200).optional(),
              timeZone: z.string().optional().describe('an IANA name such as "Europe/Berlin"'),
            })
            .strict(),
          response: { 200: pageSchema },
        },
      },
      async (req) => presentPage(await service.updatePage(req.params.slug, req.body)),
    );

    app.get(
      "/status-pages/:slug/components",
      {
        schema: {
          tags,
          summary: "A page's components and groups",
          params: slugParam,
          response: { 200: z.object({ components: z.array(componentSchema) }) },
        },
      },
      async (req) => ({ components: presentComponents(await service.listComponents(req.params.slug)) }),
    );
    app.put(
      "/status-pages/:slug/components/order",
      {
        config: { ...admin, team: { kind: "statusPage", param: "slug" } },
        schema: {
          tags,
          summary:
            "Reorder a page's components and groups at once: every component's id, in the order the public page shows them (a group's members after it)",
          params: slugParam,
          body: z.object({ ids: z.array(z.number().int().positive()).max(2000) }).strict(),
          response: { 200: z.object({ components: z.array(componentSchema) }) },
        },
      },
      async (req) => ({
        components: presentComponents(await service.reorderComponents(req.params.slug, req.body.ids)),
      }),
    );
    app.post(
      "/status-pages/:slug/components",
      {
        config: { ...admin, team: { kind: "statusPage", param: "slug" } },
        schema: {
          tags,
          summary: "Add a component (or a group, with `group: true`)",
          params: slugParam,
          body: z.object(componentFields).strict(),
          response: { 201: componentSchema },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return presentComponent(await service.createComponent(actorOf(req), req.params.slug, req.body));
      },
    );
    app.patch(
      "/status-pages/:slug/components/:id",
      {
        config: { ...responder, team: { kind: "statusPage", param: "slug" } },
        schema: {
          tags,
          summary:
            "Change a component; a status change is recorded for the uptime bars (STAT-2). Only the statuses the policy's statusPage.setDirectly allows you are set directly; others go through a post and its approval (COMM-3)",
          params: withId,
          body: z.object(componentFields).partial().strict(),
          response: { 200: componentSchema },
        },
      },
      async (req) =>
        presentComponent(
          await service.updateComponent(actorOf(req), req.params.slug, req.params.id, req.body),
        ),
    );
    app.delete(
      "/status-pages/:slug/components/:id",
      {
        config: { ...admin, team: { kind: "statusPage", param: "slug" } },
        schema: { tags, summary: "Remove a component", params: withId },
      },
      async (req, reply) => {
        await service.deleteComponent(req.params.slug, req.params.id);
        return reply.code(204).send();
      },
    );

    app.get(
      "/status-pages/:slug/incidents",
      {
        schema: {
          tags,
          summary: "Public incidents and maintenance, with their updates (drafts too with `drafts=true`)",
          params: slugParam,
          querystring: z.object({ drafts: z.enum(["true", "false"]).default("false") }),
          response: { 200: z.object({ incidents: z.array(incidentSchema) }) },
        },
      },
      async (req) => ({
        incidents: (
          await service.listIncidents(actorOf(req), req.params.slug, { drafts: req.query.drafts === "true" })
        ).map(presentIncident),
      }),
    );
    app.post(
      "/status-pages/:slug/incidents",
      {
        config: responder,
        schema: {
          tags,
          summary: "Draft a public incident with its first update; an approver publishes it (COMM-3)",
          params: slugParam,
          body: z
            .object({
              name: z.string().trim().min(1).max(300),
              status: z.enum(incidentStates),
              body,
              affected: affected.optional(),
              incidentId: z.number().int().positive().nullable().optional(),
              security: z
                .boolean()
                .optional()
                .describe("publish a security incident on purpose (COMM-4); it shows as Security Issue"),
            })
            .strict(),
          response: { 201: z.object({ statusIncidentId: z.number(), update: updateSchema }) },
        },
      },
      async (req, reply) => {
        const r = await service.draftIncident(actorOf(req), req.params.slug, req.body);
        reply.code(201);
        return { statusIncidentId: r.incident.id, update: presentUpdate(r.update) };
      },
    );
    app.post(
      "/status-pages/:slug/maintenances",
      {
        config: responder,
        schema: {
          tags,
          summary:
            "Draft a scheduled maintenance; once published it moves itself to in progress and completed at the window's edges",
          params: slugParam,
          body: z
            .object({
              name: z.string().trim().min(1).max(300),
              scheduledFor: isoInstant,
              scheduledUntil: isoInstant,
              body,
              components: z.array(z.number().int().positive()).max(200).optional(),
              incidentId: z.number().int().positive().nullable().optional(),
              criticality: z
                .enum(criticalities)
                .nullable()
                .optional()
                .describe(
                  "STAT-5: C1 is treated as an undeclared incident (the on-call roles are told ahead)",
                ),
            })
            .strict(),
          response: { 201: z.object({ statusIncidentId: z.number(), update: updateSchema }) },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const r = await service.draftIncident(actorOf(req), req.params.slug, {
          name: b.name,
          status: "scheduled",
          body: b.body,
          // The components it covers; they show as under maintenance while it is in progress.
          affected: (b.components ?? []).map((componentId) => ({
            componentId,
            newStatus: "under_maintenance" as const,
          })),
          incidentId: b.incidentId,
          scheduledFor: new Date(b.scheduledFor),
          scheduledUntil: new Date(b.scheduledUntil),
          criticality: b.criticality ?? null,
        });
        reply.code(201);
        return { statusIncidentId: r.incident.id, update: presentUpdate(r.update) };
      },
    );
    app.post(
      "/status-pages/:slug/incidents/:id/updates",
      {
        config: responder,
        schema: {
          tags,
          summary: "Draft an update of a public incident or maintenance",
          params: withId,
          body: z
            .object({
              status: z.enum([...incidentStates, ...maintenanceStates] as [string, ...string[]]),
              body,
              affected: affected.optional(),
            })
            .strict(),
          response: { 201: updateSchema },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return presentUpdate(
          await service.draftUpdate(actorOf(req), req.params.slug, req.params.id, {
            ...req.body,
            status: req.body.status as never,
          }),
        );
      },
    );
    app.get(
      "/status-pages/:slug/drafts",
      {
        schema: {
          tags,
          summary: "Updates waiting for approval",
          params: slugParam,
          response: { 200: z.object({ drafts: z.array(updateSchema.extend({ incidentName: z.string() })) }) },
        },
      },
      async (req) => ({
        drafts: (await service.listDrafts(actorOf(req), req.params.slug)).map((d) => ({
          ...presentUpdate(d),
          incidentName: d.incident_name,
        })),
      }),
    );
    app.post(
      "/status-pages/:slug/drafts/:id/approve",
      {
        config: responder,
        schema: {
          tags,
          summary:
            "Publish a drafted update (an admin, or the CMOC of its incident; never the person who drafted it: COMM-3)",
          params: withId,
          body: z
            .object({
              impactConfirmedWith: z
                .union([z.number().int().positive(), z.string().min(1).max(64)])
                .optional()
                .describe(
                  "COMM-3: for an outage, the EOC or IM of the incident with whom customer impact was confirmed (user id or username)",
                ),
            })
            .strict()
            .nullish(),
          response: { 200: incidentSchema.omit({ updates: true }) },
        },
      },
      async (req) => {
        const i = await service.approve(actorOf(req), req.params.slug, req.params.id, {
          impactConfirmedWith: req.body?.impactConfirmedWith,
        });
        const { updates: _u, ...rest } = presentIncident({ ...i, updates: [] });
        return rest;
      },
    );
    app.patch(
      "/status-pages/:slug/updates/:id",
      {
        config: responder,
        schema: {
          tags,
          summary: "Correct the text of a published update (an admin or the incident's CMOC)",
          params: withId,
          body: z.object({ body }).strict(),
          response: { 200: updateSchema },
        },
      },
      async (req) =>
        presentUpdate(
          await service.editPublished(actorOf(req), req.params.slug, req.params.id, req.body.body),
        ),
    );
    app.post(
      "/status-pages/:slug/drafts/:id/discard",
      {
        config: responder,
        schema: { tags, summary: "Discard a drafted update", params: withId },
      },
      async (req, reply) => {
        await service.discard(actorOf(req), req.params.slug, req.params.id);
        return reply.code(204).send();
      },
    );
  };
}
