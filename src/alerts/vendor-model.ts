/**
 * The drop-in vendor APIs as pure functions: what an Opsgenie Alert API request, a Grafana OnCall
 * integration's payload and a PagerDuty Events API v1 event mean as Firebreak alert events. The
 * intake path after that (dedup, grouping, paging) is the one every sender shares.
 */
import { createHash, randomUUID } from "node:crypto";
import {
  type AlertEvent,
  type AlertmanagerPayload,
  DEDUP_KEY_MAX,
  fromAlertmanager,
  SUMMARY_MAX,
} from "./model.ts";

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const newKey = () => randomUUID().replaceAll("-", "");

/**
 * A vendor's alert identity as a dedup key: itself when it fits, otherwise a stable hash of it
 * (Opsgenie allows 512-character aliases; Firebreak keys are at most 255).
 */
export function vendorKey(identity: string): string {
  if (identity.length <= DEDUP_KEY_MAX) return identity;
  return `sha256:${createHash("sha256").update(identity).digest("hex")}`;
}

// ---------------------------------------------------------------------------------------------
// Opsgenie Alert API

export const opsgeniePriorities = ["P1", "P2", "P3", "P4", "P5"] as const;
export type OpsgeniePriority = (typeof opsgeniePriorities)[number];

/**
 * Opsgenie priority → the alert's severity, in the Events v2 words the rest of intake uses. The
 * page's urgency follows the incident's severity (SEV-5, SEV-6), never the sender's.
 */
export const opsgenieSeverity: Record<OpsgeniePriority, string> = {
  P1: "critical",
  P2: "error",
  P3: "warning",
  P4: "info",
  P5: "info",
};

export type OpsgenieCreate = {
  message: string;
  alias?: string;
  description?: string;
  responders?: unknown[];
  visibleTo?: unknown[];
  actions?: string[];
  tags?: string[];
  details?: Record<string, string>;
  entity?: string;
  source?: string;
  priority?: OpsgeniePriority;
  user?: string;
  note?: string;
};

/** A create request as a trigger; without an alias the alert gets a new key (its alias then). */
export function fromOpsgenieCreate(c: OpsgenieCreate): AlertEvent {
  const priority = c.priority ?? "P3";
  return {
    dedupKey: c.alias ? vendorKey(c.alias) : newKey(),
    action: "trigger",
    source: "opsgenie",
    summary: clip(c.message, SUMMARY_MAX),
    severity: opsgenieSeverity[priority],
    details: {
      priority,
      alias: c.alias ?? null,
      description: c.description ?? "",
      tags: c.tags ?? [],
      details: c.details ?? {},
      entity: c.entity ?? null,
      source: c.source ?? null,
      user: c.user ?? null,
      note: c.note ?? null,
      // Recorded, not used: Firebreak routes by the key's service and its escalation policy.
      responders: c.responders ?? [],
      visibleTo: c.visibleTo ?? [],
      actions: c.actions ?? [],
    },
  };
}

/** Close and acknowledge carry only the alert's key: the content stays what the trigger said. */
export const actionOn = (dedupKey: string, action: "acknowledge" | "resolve", source: AlertEvent["source"]) =>
  ({ dedupKey, action, source, summary: "", severity: "unknown", details: {} }) satisfies AlertEvent;

// ---------------------------------------------------------------------------------------------
// Grafana OnCall integrations

/**
 * Grafana Alerting's webhook (an Alertmanager-shaped payload, `version: "1"`, with Grafana's own
 * fields): the same alerts as Alertmanager's, deduplicated by Grafana's fingerprint.
 */
export type GrafanaAlert = AlertmanagerPayload["alerts"][number] & {
  silenceURL?: string;
  dashboardURL?: string;
  panelURL?: string;
  imageURL?: string;
  values?: Record<string, unknown> | null;
  valueString?: string;
};
export type GrafanaAlertingPayload = Omit<AlertmanagerPayload, "alerts" | "version"> & {
  version?: string;
  alerts: GrafanaAlert[];
  orgId?: number;
  title?: string;
  state?: string;
  message?: string;
};

export function fromGrafanaAlerting(p: GrafanaAlertingPayload): AlertEvent[] {
  const events = fromAlertmanager({ ...p, version: p.version ?? "1" });
  return events.map((e, i) => {
    const a = p.alerts[i];
    return {
      ...e,
      source: "grafana",
      details: {
        ...e.details,
        silenceURL: a?.silenceURL || null,
        dashboardURL: a?.dashboardURL || null,
        panelURL: a?.panelURL || null,
        imageURL: a?.imageURL || null,
        valueString: a?.valueString || null,
      },
    };
  });
}

/** OnCall's "Formatted Webhook": every field optional (OnCall's documented set). */
export type FormattedWebhook = {
  alert_uid?: string;
  title?: string;
  image_url?: string;
  state?: string;
  link_to_upstream_details?: string;
  message?: string;
};

/**
 * `state: "ok"` resolves, anything else fires. Without `alert_uid`, OnCall groups by the title;
 * so does Firebreak (a hash of it), so the `ok` for a titled alert finds it.
 */
export function fromFormattedWebhook(w: FormattedWebhook): AlertEvent {
  const title = w.title?.trim() || w.message?.trim() || "Grafana OnCall alert";
  const identity = w.alert_uid || `title:${createHash("sha256").update(title).digest("hex").slice(0, 32)}`;
  return {
    dedupKey: vendorKey(identity),
    action: (w.state ?? "").toLowerCase() === "ok" ? "resolve" : "trigger",
    source: "grafana",
    summary: clip(title, SUMMARY_MAX),
    severity: "unknown",
    details: {
      message: w.message ?? "",
      imageUrl: w.image_url ?? null,
      link: w.link_to_upstream_details ?? null,
      state: w.state ?? null,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// PagerDuty Events API v1

export type EventV1 = {
  service_key: string;
  event_type: "trigger" | "acknowledge" | "resolve";
  incident_key?: string;
  description?: string;
  details?: Record<string, unknown>;
  client?: string;
  client_url?: string;
  contexts?: unknown[];
};

/** The rules between fields PagerDuty documents for v1; empty when valid. */
export function eventV1Problems(e: EventV1): string[] {
  const problems: string[] = [];
  if (e.event_type === "trigger" && !e.description?.trim())
    problems.push("'description' is missing and is required for trigger events");
  if (e.event_type !== "trigger" && !e.incident_key)
    problems.push(`'incident_key' is missing and is required for ${e.event_type} events`);
  return problems;
}

export function fromEventV1(e: EventV1): AlertEvent {
  return {
    dedupKey: e.incident_key ? vendorKey(e.incident_key) : newKey(),
    action: e.event_type,
    source: "events-v1",
    summary: e.event_type === "trigger" ? clip(e.description ?? "", SUMMARY_MAX) : "",
    // v1 has no severity: every trigger is an alert to act on.
    severity: e.event_type === "trigger" ? "critical" : "unknown",
    details:
      e.event_type === "trigger"
        ? {
            details: e.details ?? {},
            client: e.client ?? null,
            clientUrl: e.client_url ?? null,
            contexts: e.contexts ?? [],
          }
        : {},
  };
}
