/**
 * Every operation of the OpenAPI document, and requests built from its schemas: the generated
 * security tests (test/security/) walk these instead of a hand-kept list, so a new route is
 * covered the day it is added. Also seeds one of everything through the API, so path parameters
 * point at real rows.
 */
import type { Client, TestApp } from "./app.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON schemas and bodies are arbitrary JSON
export type Json = any;
export type Schema = Record<string, Json>;

export type Param = { name: string; in: "path" | "query" | "header"; required: boolean; schema: Schema };

export type Operation = {
  /** `POST /api/v1/incidents/{id}/status`: how reports and exclusion lists name it. */
  key: string;
  method: string;
  /** The path as the document spells it, `{id}` for parameters. */
  path: string;
  /** The document says it needs no credential (`security: []`). */
  open: boolean;
  params: Param[];
  body?: Schema;
  bodyRequired: boolean;
};

const METHODS = ["get", "post", "put", "patch", "delete"];

/** The operations of an OpenAPI 3 document. */
export function operationsOf(doc: Json): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<Json>(doc.paths)) {
    for (const m of METHODS) {
      const o = item[m];
      if (!o) continue;
      const method = m.toUpperCase();
      ops.push({
        key: `${method} ${path}`,
        method,
        path,
        open: Array.isArray(o.security) && o.security.length === 0,
        params: (o.parameters ?? []).map((p: Json) => ({
          name: p.name,
          in: p.in,
          required: Boolean(p.required),
          schema: p.schema ?? {},
        })),
        body: o.requestBody?.content?.["application/json"]?.schema,
        bodyRequired: Boolean(o.requestBody?.required),
      });
    }
  }
  return ops;
}

/** Follows `$ref`s into `components`. */
export function deref(doc: Json, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; i < 20 && typeof s.$ref === "string"; i++) {
    const path = (s.$ref as string).replace(/^#\//, "").split("/");
    s = path.reduce((node: Json, seg) => node?.[seg], doc) ?? {};
  }
  return s;
}

/** What JSON types a schema accepts (`anyOf`/`oneOf` branches together); empty: anything. */
export function typesOf(doc: Json, schema: Schema | undefined): Set<string> {
  const s = deref(doc, schema);
  const branches: Schema[] | undefined = s.anyOf ?? s.oneOf;
  if (branches) return new Set(branches.flatMap((b) => [...typesOf(doc, b)]));
  if (s.const !== undefined) return new Set([s.const === null ? "null" : typeof s.const]);
  if (s.enum) return new Set(s.enum.map((v: unknown) => (v === null ? "null" : typeof v)));
  const t = s.type;
  if (!t) return new Set();
  const list: string[] = Array.isArray(t) ? t : [t];
  return new Set(list.map((x) => (x === "integer" ? "number" : x)));
}

/** Values for fields by name, where the schema alone cannot say what is valid (ids, zones, policy names). */
export type Hints = Record<string, unknown>;

const STRING_CANDIDATES = ["x1", "a", "xx-1", "2026-03-02T09:00", "09:00", "Europe/Berlin"];

function exampleString(s: Schema, name: string | undefined): string {
  if (s.format === "date-time") return "2026-03-05T10:00:00Z";
  if (s.format === "date") return "2026-03-02";
  if (s.format === "email") return `${name ?? "someone"}@example.com`.toLowerCase().replace(/[^a-z@.]/g, "");
  if (s.format === "uri" || s.format === "url") return "https://example.com/";
  const min = s.minLength ?? 1;
  const pattern = s.pattern ? new RegExp(s.pattern) : undefined;
  for (const c of STRING_CANDIDATES) {
    const v = c.length >= min ? c : c.padEnd(min, "x");
    if (s.maxLength !== undefined && v.length > s.maxLength) continue;
    if (!pattern || pattern.test(v)) return v;
  }
  return "x".repeat(Math.max(min, 1));
}

function exampleNumber(s: Schema): number {
  const integer = s.type === "integer";
  let v = 1;
  if (typeof s.minimum === "number") v = Math.max(v, s.minimum);
  if (typeof s.exclusiveMinimum === "number") v = Math.max(v, s.exclusiveMinimum + 1);
  if (typeof s.maximum === "number") v = Math.min(v, s.maximum);
  return integer ? Math.ceil(v) : v;
}

/**
 * A minimal valid value of a schema: objects with their required members only, arrays with as
 * few items as allowed, the first enum value, the first branch of a union. `hints` give the value
 * of members by name (ids of seeded rows, time zones, the policy's names).
 */
export function exampleOf(doc: Json, schema: Schema | undefined, hints: Hints = {}, name?: string): unknown {
  if (name !== undefined && Object.hasOwn(hints, name)) return hints[name];
  const s = deref(doc, schema);
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  const branches: Schema[] | undefined = s.anyOf ?? s.oneOf;
  if (branches) {
    const notNull = branches.find((b) => deref(doc, b).type !== "null") ?? branches[0];
    return exampleOf(doc, notNull, hints, name);
  }
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== "null") : s.type;
  switch (type) {
    case "string":
      return exampleString(s, name);
    case "integer":
    case "number":
      return exampleNumber(s);
    case "boolean":
      return false;
    case "null":
      return null;
    case "array": {
      const n = s.minItems ?? 0;
      return Array.from({ length: n }, () => exampleOf(doc, s.items, hints));
    }
    case "object":
      return exampleObject(doc, s, hints);
    default:
      if (s.properties) return exampleObject(doc, s, hints);
      return {};
  }
}

function exampleObject(doc: Json, s: Schema, hints: Hints): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys: string[] = s.required ?? [];
  // Nothing required (a PATCH): one member, as `{}` asks for nothing and is refused as such.
  const first = Object.keys(s.properties ?? {})[0];
  if (keys.length === 0 && first !== undefined) keys.push(first);
  for (const key of keys) out[key] = exampleOf(doc, s.properties?.[key], hints, key);
  return out;
}

/** The body an operation's example request sends, if it takes one. */
export function exampleBody(doc: Json, op: Operation, hints: Hints = {}): unknown {
  if (!op.body) return undefined;
  const per = hints[`${op.key} body`];
  if (per !== undefined) return per;
  return exampleOf(doc, op.body, hints);
}

/**
 * Path parameter values, looked up by `segment/{name}` (`incidents/{id}`, `components/{id}`) and
 * then by `{name}`: one `id` means a different row under each noun.
 */
export type PathValues = Record<string, string | number>;

export function fillPath(op: Operation, values: PathValues): string {
  const segments = op.path.split("/");
  return segments
    .map((seg, i) => {
      const m = /^\{(.+)\}$/.exec(seg);
      if (!m) return seg;
      const name = m[1] as string;
      const value =
        values[`${op.key} ${name}`] ??
        values[`${segments[i - 1]}/{${name}}`] ??
        values[`{${name}}`] ??
        (/id$/i.test(name) ? values["{id}"] : undefined);
      if (value === undefined) throw new Error(`no value for {${name}} in ${op.key}`);
      return encodeURIComponent(String(value));
    })
    .join("/");
}

/**
 * The query string: the required parameters (examples of their schemas), and the optional ones
 * `hints` names as `?name`.
 */
export function exampleQuery(doc: Json, op: Operation, hints: Hints = {}): string {
  const q = new URLSearchParams();
  for (const p of op.params) {
    if (p.in !== "query") continue;
    const hinted = Object.hasOwn(hints, `?${p.name}`);
    if (!p.required && !hinted) continue;
    q.set(p.name, String(hinted ? hints[`?${p.name}`] : exampleOf(doc, p.schema, hints, p.name)));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export type ExampleRequest = { method: string; url: string; body: unknown };

export function exampleRequest(
  doc: Json,
  op: Operation,
  values: PathValues,
  hints: Hints = {},
): ExampleRequest {
  return {
    method: op.method,
    url: fillPath(op, values) + exampleQuery(doc, op, hints),
    body: exampleBody(doc, op, hints),
  };
}

// --- a world with one of everything -------------------------------------------------------

/** A title nobody would type: it must never appear in an answer to someone who may not see it. */
export const PRIVATE_TITLE = "Zq7 private breach of the ledger vault";

export type World = {
  /** Path parameter values pointing at real rows (see fillPath). */
  values: PathValues;
  /** Members of bodies that name rows (ids, names from the policy). */
  hints: Hints;
  ids: Record<string, number>;
  privateIncident: Json;
  publicIncident: Json;
  integrationKey: string;
  users: {
    viewer: Awaited<ReturnType<TestApp["user"]>>;
    responder: Awaited<ReturnType<TestApp["user"]>>;
    admin: Awaited<ReturnType<TestApp["user"]>>;
    target: Awaited<ReturnType<TestApp["user"]>>;
  };
};

async function ok(c: Client, method: string, path: string, body?: unknown): Promise<Json> {
  const r = await c.request(method, path, body);
  if (r.status >= 300) throw new Error(`seeding ${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/**
 * Seeds through the API, as the first admin: a public and a private incident (the private one's
 * participants are the first admin alone) with a note, a task, a label and a page each; a schedule
 * with an override and a calendar feed; an escalation policy; a service with an integration key, a
 * heartbeat, a maintenance window and an alert; a status page with a component, an incident and a
 * subscriber; the admin's contact method and notification rule; users of each role and a token.
 */
export async function seedWorld(t: TestApp): Promise<World> {
  const a = t.admin;
  const users = {
    viewer: await t.user("vera", "viewer"),
    responder: await t.user("rudi", "responder"),
    admin: await t.user("adele", "admin"),
    target: await t.user("tomas", "responder"),
  };
  const me = await ok(a, "GET", "/api/v1/me");
  const declare = (title: string, visibility: string) =>
    ok(a, "POST", "/api/v1/incidents", {
      title,
      type: "GitLab.com",
      severity: "S3",
      status: "active",
      visibility,
      summary: `${title} (summary)`,
    });
  const publicIncident = await declare("Elevated errors on web", "public");
  const privateIncident = await declare(PRIVATE_TITLE, "private");
  const spare = await declare("A spare incident to merge", "public");
  const perIncident = async (id: number) => {
    const note = await ok(a, "POST", `/api/v1/incidents/${id}/notes`, { body: `note on ${id}` });
    const task = await ok(a, "POST", `/api/v1/incidents/${id}/tasks`, { kind: "action", title: "check" });
    await ok(a, "POST", `/api/v1/incidents/${id}/labels`, { label: "seeded" });
    return { eventId: note.id, taskId: task.id };
  };
  const pub = await perIncident(publicIncident.id);
  const priv = await perIncident(privateIncident.id);

  const schedule = await ok(a, "POST", "/api/v1/schedules", {
    name: "Seeded rotation",
    timeZone: "Europe/Berlin",
    layers: [
      {
        name: "daily",
        timeZone: "Europe/Berlin",
        participants: [me.id, users.target.id],
        shiftLength: { unit: "days", count: 1 },
        start: "2026-03-02T09:00",
      },
    ],
  });
  const override = await ok(a, "POST", `/api/v1/schedules/${schedule.id}/overrides`, {
    userId: users.target.id,
    start: "2026-03-10T10:00:00Z",
    end: "2026-03-10T12:00:00Z",
  });
  const feed = await ok(a, "POST", `/api/v1/schedules/${schedule.id}/calendar-feed`);
  const policy = await ok(a, "POST", "/api/v1/escalation-policies", {
    name: "Seeded policy",
    levels: [{ timeoutMinutes: 10, targets: [{ kind: "schedule", id: schedule.id }] }],
  });
  const contact = await ok(a, "POST", "/api/v1/me/contact-methods", {
    kind: "email",
    label: "work",
    address: "admin@example.com",
  });
  const rule = await ok(a, "POST", "/api/v1/me/notification-rules", {
    contactMethodId: contact.id,
    urgency: "high",
    delayMinutes: 0,
  });
  const page = await ok(a, "POST", "/api/v1/pages", {
    policyId: policy.id,
    title: "Seeded page",
    incidentId: publicIncident.id,
  }).catch(() => ok(a, "POST", "/api/v1/pages", { policyId: policy.id, title: "Seeded page" }));

  const service = await ok(a, "POST", "/api/v1/services", {
    name: "payments-api",
    escalationPolicyId: policy.id,
  });
  const key = await ok(a, "POST", `/api/v1/services/${service.id}/integration-keys`, { name: "seeded" });
  const integrationKey: string = key.integrationKey;
  const heartbeat = await ok(a, "POST", `/api/v1/services/${service.id}/heartbeats`, {
    name: "cron",
    intervalMinutes: 60,
  });
  const window = await ok(a, "POST", `/api/v1/services/${service.id}/maintenance`, {
    start: "2026-04-01T10:00:00Z",
    end: "2026-04-01T12:00:00Z",
  });
  const alertSent = await fetch(`${t.base}/api/v1/integrations/generic/${integrationKey}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ title: "disk full", id: "disk" }),
  });
  if (alertSent.status >= 300)
    throw new Error(`seeding an alert: ${alertSent.status} ${await alertSent.text()}`);
  const alerts = await ok(a, "GET", "/api/v1/alerts");

  const statusPage = await ok(a, "POST", "/api/v1/status-pages", { slug: "seeded", name: "Seeded status" });
  const component = await ok(a, "POST", "/api/v1/status-pages/seeded/components", { name: "API" });
  const statusIncident = await ok(a, "POST", "/api/v1/status-pages/seeded/incidents", {
    name: "API errors",
    status: "investigating",
    body: "We are looking into it.",
    affected: [{ componentId: component.id, newStatus: "partial_outage" }],
  });
  const subscribed = await fetch(`${t.base}/status/seeded/subscriptions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ webhookUrl: "http://127.0.0.1:9/hook" }),
  });
  const subscribers = await ok(a, "GET", "/api/v1/status-pages/seeded/subscribers");
  const token = await ok(a, "POST", `/api/v1/users/${users.target.id}/tokens`, { name: "seeded" });

  const ids = {
    me: me.id,
    publicIncident: publicIncident.id,
    privateIncident: privateIncident.id,
    spareIncident: spare.id,
    schedule: schedule.id,
    override: override.id,
    feed: feed.id,
    policy: policy.id,
    contact: contact.id,
    rule: rule.id,
    page: page.id,
    service: service.id,
    key: key.id,
    heartbeat: heartbeat.id,
    window: window.id,
    alert: alerts.alerts?.[0]?.id,
    statusPage: statusPage.id,
    component: component.id,
    statusIncident: statusIncident.statusIncidentId,
    statusUpdate: statusIncident.update?.id,
    subscriber: subscribers.subscribers?.[0]?.id,
    token: token.id,
    target: users.target.id,
    publicEvent: pub.eventId,
    publicTask: pub.taskId,
    privateEvent: priv.eventId,
    privateTask: priv.taskId,
  };
  for (const [name, v] of Object.entries(ids)) {
    if (typeof v !== "number")
      throw new Error(
        `seeding: no id for ${name} (subscribed: ${subscribed.status}); the seed needs updating`,
      );
  }
  const values: PathValues = {
    "incidents/{id}": ids.publicIncident,
    "users/{id}": ids.target,
    "tokens/{id}": ids.token,
    "schedules/{id}": ids.schedule,
    "overrides/{overrideId}": ids.override,
    "calendar-feeds/{id}": ids.feed,
    "escalation-policies/{id}": ids.policy,
    "contact-methods/{id}": ids.contact,
    "notification-rules/{id}": ids.rule,
    "pages/{id}": ids.page,
    "services/{id}": ids.service,
    "integration-keys/{keyId}": ids.key,
    "heartbeats/{heartbeatId}": ids.heartbeat,
    "maintenance/{windowId}": ids.window,
    "alerts/{id}": ids.alert,
    "status-pages/{slug}": "seeded",
    "components/{id}": ids.component,
    "incidents/{id} status-page": ids.statusIncident,
    "drafts/{id}": ids.statusUpdate,
    "updates/{id}": ids.statusUpdate,
    "subscribers/{id}": ids.subscriber,
    "roles/{role}": "EOC",
    "briefings/{template}": "executiveSummary",
    "labels/{label}": "seeded",
    "timeline/{eventId}": ids.publicEvent,
    "tasks/{taskId}": ids.publicTask,
    // Nouns the seed does not make (yet): the first row, which the migrations may have made.
    "{id}": 1,
    "{userId}": ids.target,
    "{slug}": "seeded",
    "{key}": integrationKey,
    "{name}": "cron",
    "{token}": "no-such-token",
    "{file}": "no-such-feed.ics",
    "{*}": "history",
    "{provider}": "slack",
    "{externalId}": "U0NOSUCH",
  };
  const hints: Hints = {
    type: "GitLab.com",
    severity: "S3",
    timeZone: "Europe/Berlin",
    policyId: ids.policy,
    scheduleId: ids.schedule,
    escalationPolicyId: ids.policy,
    contactMethodId: ids.contact,
    componentId: ids.component,
    userId: ids.target,
    user: ids.target,
    owner: ids.target,
    assignee: ids.target,
    incidentId: ids.publicIncident,
    into: ids.spareIncident,
    label: "seeded-too",
    levels: [{ timeoutMinutes: 10, targets: [{ kind: "user", id: ids.target }] }],
    layers: [
      {
        name: "weekly",
        timeZone: "Europe/Berlin",
        participants: [ids.target],
        shiftLength: { unit: "weeks", count: 1 },
        start: "2026-03-02T09:00",
      },
    ],
    start: "2026-03-20T10:00:00Z",
    end: "2026-03-20T12:00:00Z",
  };
  return { values, hints, ids, privateIncident, publicIncident, integrationKey, users };
}

/**
 * Path values with every incident id pointing at the given incident (and its note and task):
 * the routes of one incident, aimed at another.
 */
export function aimedAt(world: World, incident: "public" | "private"): PathValues {
  const priv = incident === "private";
  return {
    ...world.values,
    "incidents/{id}": priv ? world.ids.privateIncident : world.ids.publicIncident,
    "timeline/{eventId}": priv ? world.ids.privateEvent : world.ids.publicEvent,
    "tasks/{taskId}": priv ? world.ids.privateTask : world.ids.publicTask,
  } as PathValues;
}

/** A status page's `incidents/{id}` is a status incident, not an incident of the core. */
export function pathValuesFor(op: Operation, values: PathValues): PathValues {
  if (op.path.startsWith("/api/v1/status-pages/") && op.path.includes("/incidents/{id}"))
    return { ...values, "incidents/{id}": values["incidents/{id} status-page"] as number };
  return values;
}

// --- the database, to see that nothing changed -------------------------------------------

/** One checksum per table of the public schema (its rows as text, in a stable order). */
export async function tableChecksums(
  t: TestApp,
  skip: ReadonlySet<string> = new Set(),
): Promise<Map<string, string>> {
  const tables = await t.database.pool.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
  );
  const out = new Map<string, string>();
  const names = tables.rows.map((r) => r.name).filter((n) => !skip.has(n));
  const parts = names.map(
    (n) =>
      `SELECT '${n}' AS name, count(*)::text || ':' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') AS sum FROM public."${n}" x`,
  );
  const r = await t.database.pool.query<{ name: string; sum: string }>(parts.join(" UNION ALL "));
  for (const row of r.rows) out.set(row.name, row.sum);
  return out;
}

/** The tables whose checksum differs. */
export function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
}

// --- sending -----------------------------------------------------------------------------

/** A request body sent as this exact text. */
export class Raw {
  constructor(readonly text: string) {}
  toJSON(): string {
    return `<${this.text.length} characters of raw JSON>`;
  }
}

export type Answer = { status: number; type: string; text: string; body: Json };

/**
 * One request, its answer read whole — or, for server-sent events, what arrives within 300 ms.
 * A `Raw` body is sent as the text given (JSON no encoder would write).
 */
export async function send(
  base: string,
  method: string,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const abort = new AbortController();
  const res = await fetch(base + url, {
    method,
    signal: abort.signal,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : body instanceof Raw ? body.text : JSON.stringify(body),
  });
  const type = res.headers.get("content-type") ?? "";
  let text = "";
  if (type.startsWith("text/event-stream")) {
    // The first events (a live timeline starts with what is there) within a moment, then close.
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const until = Date.now() + 300;
    while (Date.now() < until) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<null>((r) => setTimeout(() => r(null), until - Date.now())),
      ]);
      if (!chunk || chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    abort.abort();
  } else {
    text = await res.text();
  }
  let parsed: Json = text;
  try {
    parsed = text && !type.startsWith("text/event-stream") ? JSON.parse(text) : text;
  } catch {
    // not JSON
  }
  return { status: res.status, type, text, body: parsed };
}
