/**
 * Grafana OnCall's integration URLs (`/integrations/v1/{kind}/{key}/`), so a Grafana contact point
 * or any sender configured for OnCall works by changing the host: the Alertmanager-shaped payload
 * Grafana Alerting sends (kinds `grafana_alerting`, `alertmanager`, `grafana`) and the "Formatted
 * Webhook" (`formatted_webhook`). The key in the URL is a Firebreak integration key. Answers as
 * OnCall does: 200 `Ok.`; errors are Firebreak's problem documents (Grafana reads only the status).
 */
import { z } from "zod";
import { AppError } from "../platform/errors.ts";
import type { App } from "../platform/http.ts";
import type { Metrics } from "../platform/metrics.ts";
import { findRedData } from "../platform/reddata.ts";
import { INTAKE_BODY_LIMIT, withIntakeErrors } from "./intake-routes.ts";
import { DEDUP_KEY_MAX } from "./model.ts";
import type { AlertService } from "./service.ts";
import { fromFormattedWebhook, fromGrafanaAlerting } from "./vendor-model.ts";

const text = z.record(z.string(), z.string());
/** Grafana's webhook notifier payload; unknown fields are kept out, not refused. */
const grafanaAlert = z.object({
  status: z.enum(["firing", "resolved"]),
  labels: text,
  annotations: text.optional(),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().max(DEDUP_KEY_MAX).optional(),
  silenceURL: z.string().optional(),
  dashboardURL: z.string().optional(),
  panelURL: z.string().optional(),
  imageURL: z.string().optional(),
  values: z.record(z.string(), z.unknown()).nullable().optional(),
  valueString: z.string().optional(),
});
const grafanaPayload = z.object({
  version: z.string().optional(),
  groupKey: z.string().default(""),
  status: z.enum(["firing", "resolved"]),
  receiver: z.string().optional(),
  groupLabels: text.optional(),
  commonLabels: text.optional(),
  commonAnnotations: text.optional(),
  externalURL: z.string().optional(),
  truncatedAlerts: z.number().optional(),
  orgId: z.number().optional(),
  title: z.string().optional(),
  state: z.string().optional(),
  message: z.string().optional(),
  alerts: z.array(grafanaAlert).max(10_000),
});
const formattedWebhook = z.object({
  alert_uid: z.string().max(512).optional(),
  title: z.string().optional(),
  image_url: z.string().optional(),
  state: z.string().optional(),
  link_to_upstream_details: z.string().optional(),
  message: z.string().optional(),
});

/** OnCall's integration kinds that carry Grafana Alerting's (Alertmanager-shaped) payload. */
const alertingKinds = ["grafana_alerting", "alertmanager", "grafana"] as const;

export function grafanaOnCallRoutes(service: AlertService, metrics: Metrics) {
  const count = (outcome: string) => metrics.alertIntake.labels("grafana-oncall", outcome).inc();

  async function target(key: string) {
    const found = await service.integrationFor(key);
    if (!found) {
      count("unknown-key");
      throw new AppError(
        "not-found",
        "no integration has this key: check the URL (/integrations/v1/<kind>/<key>/), or create a key for the service",
      );
    }
    return found;
  }
  function noRedData(fields: Record<string, string>) {
    const found = findRedData(fields);
    if (found)
      throw new AppError(
        "red-data",
        `${found.field} contains ${found.label}; RED data is never stored — remove it at the sender`,
        { field: found.field, found: found.kind },
      );
  }
  const params = z.object({ key: z.string().min(1).max(200) });
  const opts = {
    bodyLimit: INTAKE_BODY_LIMIT,
    config: { integration: "grafana-oncall" },
    schema: { tags: ["alert intake"], security: [], hide: true, params },
  };

  return async (app: App) => {
    app.addHook("onError", async (_req, _reply, err) => {
      if (!(err instanceof AppError && err.code === "not-found")) count("invalid");
    });
    for (const kind of alertingKinds) {
      // OnCall's URLs end in a slash; senders copy them with and without it.
      for (const url of [`/${kind}/:key/`, `/${kind}/:key`]) {
        app.post(url, { ...opts, schema: { ...opts.schema, body: grafanaPayload } }, async (req, reply) => {
          const { key } = params.parse(req.params);
          const to = await target(key);
          const body = grafanaPayload.parse(req.body);
          noRedData(
            Object.fromEntries(
              body.alerts.flatMap((a, i) => [
                [`alerts[${i}].annotations`, JSON.stringify(a.annotations ?? {})],
                [`alerts[${i}].labels`, JSON.stringify(a.labels)],
              ]),
            ),
          );
          const events = fromGrafanaAlerting(body);
          await withIntakeErrors(
            () => service.intake(events.map((event) => ({ serviceId: to.serviceId, event }))),
            "unavailable",
          );
          count("accepted");
          metrics.alertEvents.labels("grafana-oncall").inc(events.length);
          return reply.type("text/plain; charset=utf-8").send("Ok.");
        });
      }
    }
    for (const url of ["/formatted_webhook/:key/", "/formatted_webhook/:key"]) {
      app.post(url, { ...opts, schema: { ...opts.schema, body: formattedWebhook } }, async (req, reply) => {
        const { key } = params.parse(req.params);
        const to = await target(key);
        const body = formattedWebhook.parse(req.body);
        noRedData({ title: body.title ?? "", message: body.message ?? "" });
        const event = fromFormattedWebhook(body);
        await withIntakeErrors(() => service.intake([{ serviceId: to.serviceId, event }]), "unavailable");
        count("accepted");
        metrics.alertEvents.labels("grafana-oncall").inc();
        return reply.type("text/plain; charset=utf-8").send("Ok.");
      });
    }
  };
}
