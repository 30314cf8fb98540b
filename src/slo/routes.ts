/** HTTP for service levels (STAT-4): a component's objectives and alert services. Admin only: set-up. */
import { z } from "zod";
import type { App } from "../platform/http.ts";
import { objectiveKinds } from "./model.ts";
import type { ServiceLevels } from "./service.ts";

const tags = ["service levels"];
const admin = { minRole: "admin" as const };
const params = z.object({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected a page slug"),
  id: z.coerce.number().int().positive(),
});
const proposed = z.enum(["degraded_performance", "partial_outage", "major_outage"]);
const iso = (d: Date | null) => d?.toISOString() ?? null;

const objectiveInput = z
  .object({
    kind: z
      .enum(objectiveKinds)
      .describe("apdex: degraded below it; error_ratio: degraded above it; outage: an outage above it"),
    query: z
      .string()
      .trim()
      .min(1)
      .max(4000)
      .describe("PromQL giving one series (aggregate with sum), evaluated against PROMETHEUS_URL"),
    threshold: z
      .number()
      .finite()
      .describe("the objective or line: an apdex score, or a share of requests 0..1"),
  })
  .strict();

const viewSchema = z
  .object({
    componentId: z.number(),
    objectives: z.array(
      z.object({
        kind: z.enum(objectiveKinds),
        query: z.string(),
        threshold: z.number(),
        lastState: z.enum(["breached", "met", "unknown"]).nullable(),
        lastValue: z.number().nullable(),
        lastReason: z.string().nullable().describe("why it could not be judged"),
        lastEvaluatedAt: z.string().nullable(),
      }),
    ),
    alertServices: z.array(z.object({ serviceId: z.number(), serviceName: z.string(), status: proposed })),
    breaches: z.array(
      z.object({
        id: z.number(),
        source: z.enum(["objectives", "alerts"]),
        status: proposed,
        reasons: z.array(z.string()),
        incidentId: z.number().nullable(),
        statusIncidentId: z.number().nullable(),
        draftUpdateIds: z.array(z.number()),
        startedAt: z.string(),
        endedAt: z.string().nullable(),
      }),
    ),
    evaluation: z.object({
      prometheus: z.boolean().describe("whether PROMETHEUS_URL is set (objectives are judged only then)"),
      intervalSeconds: z.number(),
      sustainSeconds: z.number(),
    }),
  })
  .meta({ id: "ServiceLevels" });
export type ServiceLevelsView = z.infer<typeof viewSchema>;

function present(v: Awaited<ReturnType<ServiceLevels["view"]>>): ServiceLevelsView {
  return {
    componentId: v.componentId,
    objectives: v.objectives.map((o) => ({
      kind: o.kind,
      query: o.query,
      threshold: o.threshold,
      lastState: o.last_state,
      lastValue: o.last_value,
      lastReason: o.last_reason,
      lastEvaluatedAt: iso(o.last_evaluated_at),
    })),
    alertServices: v.alertServices.map((m) => ({
      serviceId: Number(m.service_id),
      serviceName: m.service_name,
      status: m.status,
    })),
    breaches: v.breaches.map((b) => ({
      id: Number(b.id),
      source: b.source,
      status: b.status,
      reasons: b.reasons,
      incidentId: b.incident_id === null ? null : Number(b.incident_id),
      statusIncidentId: b.status_incident_id === null ? null : Number(b.status_incident_id),
      draftUpdateIds: b.draft_update_ids.map(Number),
      startedAt: b.started_at.toISOString(),
      endedAt: iso(b.ended_at),
    })),
    evaluation: v.evaluation,
  };
}

export function serviceLevelRoutes(service: ServiceLevels) {
  return async (app: App) => {
    const base = "/status-pages/:slug/components/:id";
    app.get(
      `${base}/objectives`,
      {
        config: { ...admin, team: { kind: "statusPage", param: "slug" } },
        schema: {
          tags,
          summary:
            "A component's service-level objectives with their latest judgements, its alert services and its recent breaches (STAT-4)",
          params,
          response: { 200: viewSchema },
        },
      },
      async (req) => present(await service.view(req.params.slug, req.params.id)),
    );
    app.put(
      `${base}/objectives`,
      {
        config: { ...admin, team: { kind: "statusPage", param: "slug" } },
        schema: {
          tags,
          summary:
            "Set a component's objectives (one per kind; an empty list removes them). Degraded = 5 minutes sustained below the apdex or above the error-ratio objective; outage = 5 minutes above the outage line (STAT-4)",
          params,
          body: z.object({ objectives: z.array(objectiveInput).max(3) }).strict(),
          response: { 200: viewSchema },
        },
      },
      async (req) =>
        present(await service.setObjectives(req.params.slug, req.params.id, req.body.objectives)),
    );
    app.put(
      `${base}/alert-services`,
      {
        config: { ...admin, team: { kind: "statusPage", param: "slug" } },
        schema: {
          tags,
          summary:
            "Set which services' open alerts propose this component's status (a draft for approval, like a breach)",
          params,
          body: z
            .object({
              services: z
                .array(z.object({ serviceId: z.number().int().positive(), status: proposed }).strict())
                .max(100),
            })
            .strict(),
          response: { 200: viewSchema },
        },
      },
      async (req) =>
        present(await service.setAlertServices(req.params.slug, req.params.id, req.body.services)),
    );
  };
}
