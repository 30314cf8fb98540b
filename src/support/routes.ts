/** HTTP for support operations (issue 20): the systems catalogue, an incident's systems, settings. */
import { z } from "zod";
import { actorOf } from "../platform/auth.ts";
import type { App } from "../platform/http.ts";
import { type Criticality, criticalities, criticalityIds } from "./model.ts";
import type { Support } from "./service.ts";

const tags = ["support"];
const responder = { minRole: "responder" as const };
const admin = { minRole: "admin" as const };
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const names = criticalities.map((c) => c.name).join(", ");

const criticalityInput = z
  .union([z.string().min(1).max(100), z.number().int()])
  .describe(
    `one of the four level names (${names}), their ids (${criticalityIds.join(", ")}) or ranks (1–4); case and spacing do not matter`,
  );
const systemRef = z
  .union([z.number().int().positive(), z.string().min(1).max(200)])
  .describe("a system's id, or its name (case does not matter)");

const systemSchema = z
  .object({
    id: z.number(),
    name: z.string(),
    criticality: z.enum(criticalityIds).describe("the stable id of the criticality level"),
    criticalityName: z.string().describe(`the level's name: ${names}`),
    criticalityRank: z.number().describe("1 (Mission Critical) … 4 (Administrative)"),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "System" });

const criticalitySchema = z
  .object({
    id: z.enum(criticalityIds),
    name: z.string(),
    rank: z.number(),
    resolveWithinHours: z.object({ from: z.number(), to: z.number() }),
    escalateEveryMinutes: z.number().describe("a level after this long without a resolution path"),
    escalateUpTo: z.number().describe("the last level reached by time"),
    level3WhenLate: z.boolean().describe("past the time to resolve, straight to level 3"),
  })
  .meta({ id: "Criticality" });

const incidentSystemsSchema = z
  .object({
    incidentId: z.number(),
    systems: z.array(systemSchema.extend({ linkedAt: z.string() })),
    criticality: criticalitySchema.nullable().describe("the highest criticality of its systems (PAGE-8)"),
    escalation: z
      .object({
        level: z
          .number()
          .describe("0: not escalated yet; 1 team channel, 2 specialist, 3 engineer, 4 senior manager"),
        levelAt: z.string().nullable(),
        escalatesUpTo: z.number(),
        nextLevelAt: z
          .string()
          .nullable()
          .describe("when the next level is reached without a resolution path; null: none is coming"),
        resolutionPath: z
          .boolean()
          .describe("true once the incident is fixing, mitigated or resolved; levels stop while it is"),
        resolutionPathAt: z.string().nullable(),
        resolveBy: z.string().describe("the time to resolve's upper end, from the declaration"),
        timeToResolve: z.enum(["running", "met", "missed", "stopped"]),
        reviewRequired: z.boolean().describe("REV-2: criticality 1–2 or level 3 reached"),
        retryAt: z.string().nullable().describe("an escalation failed and is retried then"),
        lastError: z.string().nullable(),
        history: z.array(
          z.object({
            level: z.number(),
            reason: z.enum(["no-resolution-path", "past-time-to-resolve"]),
            target: z.string(),
            outcome: z.string(),
            at: z.string(),
          }),
        ),
      })
      .nullable()
      .describe("null while the incident touches no system"),
  })
  .meta({ id: "IncidentSystems" });

const settingsSchema = z
  .object({
    teamChannel: z
      .string()
      .max(80)
      .nullable()
      .describe("the Slack channel level 1 posts in (without #); null, or no Slack: a notice to the team"),
    specialistRole: z.string().max(200).describe("the policy role level 2 pages (its escalation policy)"),
    engineerRole: z.string().max(200).describe("the policy role level 3 pages"),
  })
  .meta({ id: "SupportSettings" });

type SystemRow = Awaited<ReturnType<Support["listSystems"]>>[number];
const crit = (c: Criticality) => ({ criticalityName: c.name, criticalityRank: c.rank });
function presentSystem(s: SystemRow) {
  const c = criticalities.find((x) => x.id === s.criticality) as Criticality;
  return { ...s, ...crit(c), createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString() };
}

type View = Awaited<ReturnType<Support["incidentSystems"]>>;
function presentView(v: View): z.infer<typeof incidentSystemsSchema> {
  const e = v.escalation;
  return {
    incidentId: v.incidentId,
    systems: v.systems.map((s) => ({ ...presentSystem(s), linkedAt: s.linkedAt.toISOString() })),
    criticality: v.criticality,
    escalation: e && {
      ...e,
      levelAt: iso(e.levelAt),
      nextLevelAt: iso(e.nextLevelAt),
      resolutionPathAt: iso(e.resolutionPathAt),
      resolveBy: e.resolveBy.toISOString(),
      retryAt: iso(e.retryAt),
      history: e.history.map((h) => ({ ...h, at: h.at.toISOString() })),
    },
  };
}

const idParams = z.object({ id: z.coerce.number().int().positive() });

export function supportRoutes(support: Support) {
  return async (app: App) => {
    app.get(
      "/systems",
      {
        schema: {
          tags,
          summary: "The systems catalogue with each system's criticality (PAGE-8)",
          response: {
            200: z.object({ systems: z.array(systemSchema), criticalities: z.array(criticalitySchema) }),
          },
        },
      },
      async () => ({
        systems: (await support.listSystems()).map(presentSystem),
        criticalities: [...criticalities],
      }),
    );

    app.post(
      "/systems",
      {
        config: admin,
        schema: {
          tags,
          summary: "Add a system to the catalogue",
          body: z.object({ name: z.string().min(1).max(200), criticality: criticalityInput }).strict(),
          response: { 201: systemSchema },
        },
      },
      async (req, reply) => {
        const s = await support.createSystem(actorOf(req), req.body);
        reply.code(201);
        return presentSystem(s);
      },
    );

    app.patch(
      "/systems/:id",
      {
        config: admin,
        schema: {
          tags,
          summary: "Rename a system or change its criticality (its open incidents are re-rated)",
          params: idParams,
          body: z
            .object({ name: z.string().min(1).max(200).optional(), criticality: criticalityInput.optional() })
            .strict(),
          response: { 200: systemSchema },
        },
      },
      async (req) => presentSystem(await support.updateSystem(actorOf(req), req.params.id, req.body)),
    );

    app.get(
      "/incidents/:id/systems",
      {
        schema: {
          tags,
          summary: "The systems an incident touches, its criticality and its escalation (PAGE-8, REV-2)",
          params: idParams,
          response: { 200: incidentSystemsSchema },
        },
      },
      async (req) => presentView(await support.incidentSystems(actorOf(req), req.params.id)),
    );

    app.put(
      "/incidents/:id/systems",
      {
        config: responder,
        schema: {
          tags,
          summary: "Set the systems an incident touches (exactly these); its criticality is the highest",
          params: idParams,
          body: z.object({ systems: z.array(systemRef).max(100) }).strict(),
          response: { 200: incidentSystemsSchema },
        },
      },
      async (req) =>
        presentView(await support.linkSystems(actorOf(req), req.params.id, req.body.systems, true)),
    );

    app.post(
      "/incidents/:id/systems",
      {
        config: responder,
        schema: {
          tags,
          summary: "Add a system the incident touches",
          params: idParams,
          body: z.object({ system: systemRef }).strict(),
          response: { 200: incidentSystemsSchema },
        },
      },
      async (req) =>
        presentView(await support.linkSystems(actorOf(req), req.params.id, [req.body.system], false)),
    );

    app.get(
      "/support/settings",
      {
        schema: {
          tags,
          summary: "Where level 1 posts and which roles levels 2 and 3 page",
          response: { 200: settingsSchema },
        },
      },
      async () => support.settings(),
    );

    app.put(
      "/support/settings",
      {
        config: admin,
        schema: {
          tags,
          summary: "Change where level 1 posts and which roles levels 2 and 3 page",
          body: settingsSchema.partial().strict(),
          response: { 200: settingsSchema },
        },
      },
      async (req) => support.updateSettings(actorOf(req), req.body),
    );
  };
}

/** What the routes answer (the web app reads them as its types). */
export type SystemView = z.infer<typeof systemSchema>;
export type CriticalityView = z.infer<typeof criticalitySchema>;
export type IncidentSystemsView = z.infer<typeof incidentSystemsSchema>;
export type SupportSettingsView = z.infer<typeof settingsSchema>;
