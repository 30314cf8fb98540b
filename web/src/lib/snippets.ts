/**
 * Ready-to-paste set-up for each way alerts reach a service: an Alertmanager receiver, curl for
 * the Events API v2, the generic webhook and change events, and the heartbeat URL. Pure functions
 * of where the server is (GET /api/v1/intake-endpoints, from FIREBREAK_PUBLIC_URL) and the key.
 */

/** Where senders post (the server's answer): `{key}` and `{name}` stand for a key and a heartbeat. */
export type IntakeEndpoints = {
  publicUrl: string;
  alertmanager: string;
  eventsV2: string;
  eventsV2Change: string;
  generic: string;
  change: string;
  heartbeat: string;
  opsgenie: string;
  grafanaAlerting: string;
  formattedWebhook: string;
  eventsV1: string;
};

/** The generic webhook's mapping of a key (null: the default one). */
export type SnippetMapping = {
  summary: string;
  dedupKey: string;
  severity?: string;
  resolveWhen?: { field: string; equals: string[] };
};

/** Stands for the key where it is not known (keys are shown only once, when made). */
export const KEY_PLACEHOLDER = "YOUR-INTEGRATION-KEY";

/** A template's `{key}` and `{name}` filled in, each safe inside a URL path segment. */
export function fillUrl(template: string, values: { key: string; name?: string }): string {
  return template
    .replaceAll("{key}", encodeURIComponent(values.key))
    .replaceAll("{name}", encodeURIComponent(values.name ?? "nightly-backup"));
}

/** One word for a POSIX shell: single-quoted, a `'` inside written as `'\''`. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A YAML double-quoted scalar: JSON's string syntax is valid YAML. */
const yamlString = (text: string) => JSON.stringify(text);

/** The `receivers:` entry for Alertmanager's configuration, and the route that sends to it. */
export function alertmanagerReceiver(e: IntakeEndpoints, key: string, receiver = "firebreak"): string {
  return [
    "# alertmanager.yml: add this receiver and send alerts to it from a route,",
    `# e.g. route: { receiver: ${receiver} }. Resolved alerts resolve in Firebreak too.`,
    "receivers:",
    `  - name: ${yamlString(receiver)}`,
    "    webhook_configs:",
    `      - url: ${yamlString(fillUrl(e.alertmanager, { key }))}`,
    "        send_resolved: true",
    "",
  ].join("\n");
}

const curlJson = (url: string, body: unknown) =>
  [
    `curl -X POST ${shellQuote(url)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(JSON.stringify(body, null, 2))}`,
    "",
  ].join("\n");

/** An Events API v2 trigger (PagerDuty's format): the key goes in the body as `routing_key`. */
export function eventsV2Curl(e: IntakeEndpoints, key: string): string {
  return curlJson(e.eventsV2, {
    routing_key: key,
    event_action: "trigger",
    dedup_key: "db-1/disk-full",
    payload: { summary: "Disk 95% full on db-1", source: "db-1", severity: "critical" },
  });
}

/** Puts `value` at a dotted path (`alert.title`), making the objects on the way. */
function setAt(body: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let at = body;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    if (next === null || typeof next !== "object") at[part] = {};
    at = at[part] as Record<string, unknown>;
  }
  at[parts.at(-1) ?? path] = value;
}

const defaultMapping: SnippetMapping = {
  summary: "title",
  dedupKey: "id",
  severity: "severity",
  resolveWhen: { field: "status", equals: ["resolved", "ok", "closed"] },
};

/** The body the key's mapping reads: its summary, dedup key, severity and status fields filled. */
export function genericBody(mapping: SnippetMapping | null): Record<string, unknown> {
  const m = mapping ?? defaultMapping;
  const body: Record<string, unknown> = {};
  setAt(body, m.dedupKey, "db-1/disk-full");
  setAt(body, m.summary, "Disk 95% full on db-1");
  if (m.severity) setAt(body, m.severity, "critical");
  if (m.resolveWhen) setAt(body, m.resolveWhen.field, "firing");
  return body;
}

/** The generic JSON webhook; send the same body with the resolving status to resolve it. */
export function genericCurl(e: IntakeEndpoints, key: string, mapping: SnippetMapping | null = null): string {
  return curlJson(fillUrl(e.generic, { key }), genericBody(mapping));
}

/** A change event (a deploy) for the service: shown on its incidents under "What changed". */
export function changeCurl(e: IntakeEndpoints, key: string): string {
  return curlJson(fillUrl(e.change, { key }), {
    summary: "Deployed web v1.4.2",
    kind: "deploy",
    source: "ci",
  });
}

/** The URL a job pings (GET or POST) after each run; a missed ping raises an alert. */
export function heartbeatUrl(e: IntakeEndpoints, key: string, name: string): string {
  return fillUrl(e.heartbeat, { key, name });
}

/** A crontab line that pings the heartbeat after the job succeeds. */
export function heartbeatCron(e: IntakeEndpoints, key: string, name: string): string {
  return `0 3 * * * /usr/local/bin/backup && curl -fsS -m 10 --retry 3 ${shellQuote(heartbeatUrl(e, key, name))}\n`;
}

/** An Opsgenie Alert API create (Opsgenie's format): the key goes in `Authorization: GenieKey`. */
export function opsgenieCurl(e: IntakeEndpoints, key: string): string {
  return [
    `curl -X POST ${shellQuote(e.opsgenie)} \\`,
    `  -H ${shellQuote(`Authorization: GenieKey ${key}`)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(JSON.stringify({ message: "Disk 95% full on db-1", alias: "db-1/disk-full", priority: "P2" }, null, 2))}`,
    "",
  ].join("\n");
}

/** The URLs a Grafana contact point (or any sender set up for Grafana OnCall) posts to. */
export function grafanaOnCallUrls(e: IntakeEndpoints, key: string): string {
  return [
    "# Grafana Alerting contact point (type Grafana OnCall or Webhook), or an OnCall Alertmanager integration:",
    fillUrl(e.grafanaAlerting, { key }),
    "# OnCall Formatted Webhook senders:",
    fillUrl(e.formattedWebhook, { key }),
    "",
  ].join("\n");
}

/** A PagerDuty Events API v1 trigger (older integrations): the key goes in the body as `service_key`. */
export function eventsV1Curl(e: IntakeEndpoints, key: string): string {
  return curlJson(e.eventsV1, {
    service_key: key,
    event_type: "trigger",
    incident_key: "db-1/disk-full",
    description: "Disk 95% full on db-1",
  });
}
