/**
 * Alert intake as pure functions: what each sender's payload means as alert events, how the events
 * of one batch fold together, when an alert is flapping and when alerts group into one incident.
 * No I/O: the store applies the results in one transaction.
 */
import { createHash, randomUUID } from "node:crypto";

export type AlertStatus = "firing" | "acknowledged" | "resolved";
/** What a sender says about one alert. */
export type AlertAction = "trigger" | "acknowledge" | "resolve";
export type AlertSource =
  | "alertmanager"
  | "events"
  | "generic"
  | "heartbeat"
  | "firebreak"
  // The drop-in vendor APIs (vendor-model.ts).
  | "opsgenie"
  | "grafana"
  | "events-v1";

/** One alert event, whatever sent it. */
export type AlertEvent = {
  dedupKey: string;
  action: AlertAction;
  source: AlertSource;
  /** For triggers: what the alert says. Acknowledge and resolve events carry only the key. */
  summary: string;
  severity: string;
  details: Record<string, unknown>;
};

export const SUMMARY_MAX = 1024;
export const DEDUP_KEY_MAX = 255;

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

// ---------------------------------------------------------------------------------------------
// Prometheus Alertmanager webhook, payload version 4

export type AlertmanagerAlert = {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
  fingerprint?: string;
};
export type AlertmanagerPayload = {
  version: string;
  groupKey: string;
  status: "firing" | "resolved";
  receiver?: string;
  groupLabels?: Record<string, string>;
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  externalURL?: string;
  truncatedAlerts?: number;
  alerts: AlertmanagerAlert[];
};

/**
 * The stable identity of an Alertmanager alert: its fingerprint, which Alertmanager derives from
 * the label set. Senders without one get the same thing computed here (sorted labels, hashed), so
 * two alerts with the same summary but different labels stay two alerts.
 */
export function alertmanagerKey(a: Pick<AlertmanagerAlert, "fingerprint" | "labels">): string {
  if (a.fingerprint) return a.fingerprint;
  const labels = Object.entries(a.labels).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return `labels:${createHash("sha256").update(JSON.stringify(labels)).digest("hex").slice(0, 32)}`;
}

export function alertmanagerSummary(a: AlertmanagerAlert): string {
  const ann = a.annotations ?? {};
  const text = ann.summary || ann.description || ann.message || a.labels.alertname || "Alertmanager alert";
  return clip(text, SUMMARY_MAX);
}

export function fromAlertmanager(p: AlertmanagerPayload): AlertEvent[] {
  return p.alerts.map((a) => ({
    dedupKey: alertmanagerKey(a),
    action: a.status === "resolved" ? "resolve" : "trigger",
    source: "alertmanager",
    summary: alertmanagerSummary(a),
    severity: (a.labels.severity ?? "").toLowerCase() || "unknown",
    details: {
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: a.startsAt ?? null,
      endsAt: a.endsAt ?? null,
      generatorURL: a.generatorURL ?? null,
      groupKey: p.groupKey,
      externalURL: p.externalURL ?? null,
      // Alertmanager's `max_alerts` cut this many alerts of the group from the notification.
      truncatedAlerts: p.truncatedAlerts ?? 0,
    },
  }));
}

// ---------------------------------------------------------------------------------------------
// PagerDuty Events API v2

export const eventSeverities = ["critical", "error", "warning", "info"] as const;
export type EventV2 = {
  routing_key: string;
  event_action: AlertAction;
  dedup_key?: string;
  payload?: {
    summary: string;
    source: string;
    severity: (typeof eventSeverities)[number];
    timestamp?: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details?: unknown;
  };
  client?: string;
  client_url?: string;
  links?: EventV2Link[];
  images?: EventV2Image[];
};
/** A link shown with the alert: `href` is required, `text` describes it. */
export type EventV2Link = { href: string; text?: string };
/** An image shown with the alert: `src` is required and served over HTTPS; `href` links it. */
export type EventV2Image = { src: string; href?: string; alt?: string };

/**
 * An ISO 8601 date-time with its offset, as PagerDuty documents `payload.timestamp`
 * (`2015-07-17T08:42:58.315+0000`: the offset may or may not have its colon).
 */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
export const isEventTimestamp = (text: string): boolean =>
  ISO_TIME.test(text) && !Number.isNaN(Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, "$1:$2")));

/**
 * The Events v2 rules a schema cannot say: which fields each action needs, the timestamp's format
 * and images served over HTTPS (PagerDuty's documented constraints). Empty when valid.
 */
export function eventV2Problems(e: EventV2): string[] {
  const problems: string[] = [];
  if (e.event_action === "trigger" && !e.payload)
    problems.push("'payload' is missing and is required for trigger events");
  if (e.event_action !== "trigger" && !e.dedup_key)
    problems.push(`'dedup_key' is missing and is required for ${e.event_action} events`);
  const at = e.payload?.timestamp;
  if (at !== undefined && !isEventTimestamp(at))
    problems.push(
      "'payload.timestamp' must be an ISO 8601 date-time with an offset, e.g. 2015-07-17T08:42:58.315+0000",
    );
  for (const [i, image] of (e.images ?? []).entries()) {
    if (!/^https:\/\/[^\s/]/i.test(image.src))
      problems.push(`'images.${i}.src' must be an https:// URL: images are served only over HTTPS`);
  }
  return problems;
}

/** An Events v2 event as an alert event; a trigger without `dedup_key` gets a new one. */
export function fromEventV2(
  e: EventV2,
  newKey: () => string = () => randomUUID().replaceAll("-", ""),
): AlertEvent {
  const p = e.payload;
  return {
    dedupKey: e.dedup_key || newKey(),
    action: e.event_action,
    source: "events",
    summary: clip(p?.summary ?? "", SUMMARY_MAX),
    severity: p?.severity ?? "unknown",
    details: p
      ? {
          source: p.source,
          component: p.component ?? null,
          group: p.group ?? null,
          class: p.class ?? null,
          timestamp: p.timestamp ?? null,
          customDetails: p.custom_details ?? null,
          client: e.client ?? null,
          clientUrl: e.client_url ?? null,
          links: e.links ?? [],
          images: e.images ?? [],
        }
      : {},
  };
}

// ---------------------------------------------------------------------------------------------
// Generic JSON webhook with a per-integration mapping

/** Which fields of a sender's JSON give the alert: dotted paths such as `alert.title` or `tags.0`. */
export type GenericMapping = {
  summary: string;
  dedupKey: string;
  severity?: string;
  /** The alert is resolved when this field equals one of these values (compared as text). */
  resolveWhen?: { field: string; equals: string[] };
};

export const defaultGenericMapping: GenericMapping = {
  summary: "title",
  dedupKey: "id",
  severity: "severity",
  resolveWhen: { field: "status", equals: ["resolved", "ok", "closed"] },
};

export function valueAt(body: unknown, path: string): unknown {
  let v: unknown = body;
  for (const part of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const asText = (v: unknown): string | undefined =>
  typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;

/** Maps one JSON body to an alert event, or names the mapped fields it lacks. */
export function fromGeneric(
  body: unknown,
  m: GenericMapping,
): { event: AlertEvent } | { problems: { field: string; message: string }[] } {
  const problems: { field: string; message: string }[] = [];
  const summary = asText(valueAt(body, m.summary));
  const key = asText(valueAt(body, m.dedupKey));
  if (!summary)
    problems.push({
      field: m.summary,
      message: "expected text: the mapping takes the alert's summary from here",
    });
  if (!key)
    problems.push({
      field: m.dedupKey,
      message: "expected text or a number: the mapping takes the dedup key from here",
    });
  if (!summary || !key) return { problems };
  // Compared without case: senders say "OK", "ok" and "Ok".
  const state = (asText(valueAt(body, m.resolveWhen?.field ?? "")) ?? "").toLowerCase();
  const resolved = m.resolveWhen?.equals.some((v) => v.toLowerCase() === state) ?? false;
  return {
    event: {
      dedupKey: clip(key, DEDUP_KEY_MAX),
      action: resolved ? "resolve" : "trigger",
      source: "generic",
      summary: clip(summary, SUMMARY_MAX),
      severity: (m.severity ? asText(valueAt(body, m.severity)) : undefined)?.toLowerCase() || "unknown",
      details: { body: body as Record<string, unknown> },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Folding a batch

/**
 * A run of identical actions on one alert within a batch, folded: repeating an action is the same
 * as doing it once (only the count of triggers differs), so the database sees each run once.
 */
export type FoldedAlert = {
  serviceId: number;
  dedupKey: string;
  action: AlertAction;
  /** How many triggers the run holds (0 for acknowledge and resolve). */
  occurrences: number;
  /** The run's last event: its content is what the alert says now. */
  last: AlertEvent;
  /** Indexes of the batch items folded here, so each caller learns its own outcome. */
  items: number[];
};

export const statusOf = (a: AlertAction): AlertStatus =>
  a === "trigger" ? "firing" : a === "acknowledge" ? "acknowledged" : "resolved";

/**
 * Folds a batch into rounds: round 1 holds each alert's first run of identical actions, round 2
 * its second run, and so on. Applying the rounds in order, one statement each, does exactly what
 * the events would do one at a time (a resolve then an acknowledge stays resolved; an acknowledge
 * of an unknown alert then a trigger is firing). Almost every batch is a single round.
 */
export function foldBatch(items: { serviceId: number; event: AlertEvent }[]): FoldedAlert[][] {
  const runs = new Map<string, FoldedAlert[]>();
  items.forEach(({ serviceId, event }, index) => {
    const k = `${serviceId}\u0000${event.dedupKey}`;
    const list = runs.get(k) ?? [];
    const last = list.at(-1);
    const trigger = event.action === "trigger" ? 1 : 0;
    if (last && last.action === event.action) {
      last.occurrences += trigger;
      last.last = event;
      last.items.push(index);
    } else {
      list.push({
        serviceId,
        dedupKey: event.dedupKey,
        action: event.action,
        occurrences: trigger,
        last: event,
        items: [index],
      });
    }
    runs.set(k, list);
  });
  const rounds: FoldedAlert[][] = [];
  for (const list of runs.values()) {
    list.forEach((run, i) => {
      const round = rounds[i];
      if (round) round.push(run);
      else rounds[i] = [run];
    });
  }
  // Sorted, so concurrent batches lock alert rows in the same order and cannot deadlock.
  return rounds.map((r) =>
    r.sort((a, b) =>
      a.serviceId !== b.serviceId
        ? a.serviceId - b.serviceId
        : a.dedupKey < b.dedupKey
          ? -1
          : a.dedupKey > b.dedupKey
            ? 1
            : 0,
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Flapping and grouping

export type FlapPolicy = { changes: number; windowMinutes: number };
export const defaultFlapPolicy: FlapPolicy = { changes: 4, windowMinutes: 30 };

/** Flapping: more than `changes` firing/resolved changes within the last `windowMinutes`. */
export function isFlapping(changes: readonly Date[], now: Date, p: FlapPolicy): boolean {
  const since = now.getTime() - p.windowMinutes * 60_000;
  return changes.filter((c) => c.getTime() >= since).length > p.changes;
}

/** The latest alert group of a service, with the states of its incident and page. */
export type GroupState = {
  id: number;
  incidentOpen: boolean;
  pageResolved: boolean;
  lastAlertAt: Date;
};

/**
 * Where a service's newly firing alerts go: the latest group while its incident is open and the
 * previous alert arrived within the grouping window (many alerts, one incident); otherwise a new
 * group with its own triage incident. A re-page happens when the group's page was resolved (its
 * alerts had all cleared) and a non-flapping alert fires again.
 */
export function placeAlerts(
  group: GroupState | null,
  now: Date,
  windowMinutes: number,
  opened: { flapping: boolean }[],
): { kind: "attach"; repage: boolean } | { kind: "new-group" } | { kind: "none" } {
  const paging = opened.some((a) => !a.flapping);
  const usable = group?.incidentOpen && now.getTime() - group.lastAlertAt.getTime() <= windowMinutes * 60_000;
  if (usable) return { kind: "attach", repage: paging && group.pageResolved };
  // Flapping alerts alone never open an incident: that is what flap detection is for.
  return paging ? { kind: "new-group" } : { kind: "none" };
}
