/**
 * `firebreak service`: the services alerts come from and their integration keys. List, show,
 * create (with its escalation policy), edit and delete a service; create, list and revoke its keys.
 * A new key's secret goes alone to standard output (the server shows it only once), with where to
 * send alerts on standard error, so `KEY=$(firebreak service key create web prometheus)` works.
 */
import type { IntakeEndpointsView } from "../alerts/routes.ts";
import type { ServiceView } from "../alerts/schemas.ts";
import { type Call, type Command, id, optional, write } from "./args.ts";
import { UsageError } from "./client.ts";
import { clip, table, when } from "./format.ts";
import { findPolicy, type Policy } from "./pages.ts";

type Service = ServiceView;
type Key = {
  id: number;
  serviceId: number;
  name: string;
  keyHint: string;
  mapping: unknown;
  createdAt: string;
  /** Source silence: one alert when nothing arrives on the key for this many minutes. */
  silenceMinutes?: number | null;
  lastEventAt?: string | null;
};
type Window = { id: number; start: string; end: string; reason: string };

const listServices = async (c: Call) =>
  (await c.api.request<{ services: Service[] }>("GET", "/services")).services;
const listPolicies = async (c: Call) =>
  (await c.api.request<{ policies: Policy[] }>("GET", "/escalation-policies")).policies;

/**
 * A service by name (exactly, else ignoring case) or numeric id. An unknown name is a usage error
 * naming the services there are; an unknown id is left to the API to refuse.
 */
export function findService(services: readonly Service[], text: string): { id: number; name: string } {
  const exact = services.find((s) => s.name === text);
  if (exact) return exact;
  if (/^#?\d+$/.test(text)) {
    const serviceId = id(text, "SERVICE");
    return services.find((s) => s.id === serviceId) ?? { id: serviceId, name: `service ${serviceId}` };
  }
  const folded = services.filter((s) => s.name.toLowerCase() === text.toLowerCase());
  if (folded.length === 1 && folded[0]) return folded[0];
  const known = services.map((s) => s.name).sort((a, b) => a.localeCompare(b));
  throw new UsageError(
    known.length
      ? `no service named ${JSON.stringify(text)}; known services: ${known.join(", ")}`
      : `no service named ${JSON.stringify(text)}; there are no services yet (firebreak service create NAME)`,
  );
}

const policyName = (policies: readonly Policy[], policyId: number) =>
  policies.find((p) => p.id === policyId)?.name ?? `policy ${policyId}`;

export function serviceTable(services: Service[], policies: readonly Policy[]): string {
  if (services.length === 0) return "no services";
  return table(
    ["ID", "NAME", "POLICY", "GROUPING", "DESCRIPTION"],
    services.map((s) => [
      String(s.id),
      s.name,
      policyName(policies, s.escalationPolicyId),
      `${s.groupingWindowMinutes}m`,
      clip(s.description || "-", 60),
    ]),
  );
}

export function keyTable(keys: Key[]): string {
  if (keys.length === 0) return "no integration keys: nothing can send alerts to this service";
  return table(
    ["ID", "NAME", "ENDS WITH", "MAPPING", "CREATED", "LAST EVENT", "ALERT IF SILENT"],
    keys.map((k) => [
      String(k.id),
      k.name,
      `…${k.keyHint}`,
      k.mapping ? "custom" : "default",
      when(k.createdAt),
      k.lastEventAt ? when(k.lastEventAt) : "-",
      k.silenceMinutes ? `${k.silenceMinutes} min` : "off",
    ]),
  );
}

const label = (name: string, value: string) => `  ${name.padEnd(12)} ${value}`;

function serviceBlock(s: Service, policies: readonly Policy[], keys: Key[] | null, windows: Window[]) {
  const lines = [
    `service ${s.id}: ${s.name}`,
    label("pages", policyName(policies, s.escalationPolicyId)),
    label("grouping", `${s.groupingWindowMinutes} minutes`),
    label("flapping", `more than ${s.flapChanges} changes in ${s.flapWindowMinutes} minutes`),
    label("incidents", `${s.incidentType ?? "default type"}, ${s.incidentSeverity ?? "default severity"}`),
    label("created", when(s.createdAt)),
  ];
  if (s.description) lines.push(label("description", clip(s.description, 100)));
  if (keys) lines.push("", keyTable(keys));
  lines.push(
    "",
    windows.length
      ? table(
          ["MAINTENANCE", "START", "END", "REASON"],
          windows.map((w) => [String(w.id), when(w.start), when(w.end), w.reason || "-"]),
        )
      : "no maintenance on or coming",
  );
  return lines.join("\n");
}

/** The flags create and edit share, as the API's fields; the policy looked up by name or id. */
async function fields(c: Call): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  const name = c.opt("name");
  if (name !== undefined) body.name = name;
  const description = c.opt("description");
  if (description !== undefined) body.description = description;
  const grouping = optional(c.opt("grouping-minutes"), (n) => id(n, "--grouping-minutes"));
  if (grouping !== undefined) body.groupingWindowMinutes = grouping;
  const policy = c.opt("policy");
  if (policy !== undefined)
    body.escalationPolicyId = findPolicy(await listPolicies(c), policy, "--policy").id;
  return body;
}

/** Where to send alerts with a key: on standard error, so the key alone is on standard output. */
async function sayWhere(c: Call, key: string) {
  const e = await c.api.request<IntakeEndpointsView>("GET", "/intake-endpoints");
  const fill = (t: string) => t.replaceAll("{key}", key).replaceAll("{name}", "NAME");
  await write(
    process.stderr,
    [
      "send alerts with it to:",
      `  Alertmanager   ${fill(e.alertmanager)}   (webhook_configs, send_resolved: true)`,
      `  Events API v2  ${e.eventsV2}   (routing_key: the key)`,
      `  generic JSON   ${fill(e.generic)}`,
      `  changes        ${fill(e.change)}`,
      `  heartbeats     ${fill(e.heartbeat)}`,
      "store it now, it is not shown again:",
    ].join("\n"),
  );
}

const need = (value: string | undefined, what: string): string => {
  if (value === undefined) throw new UsageError(`missing ${what}`);
  return value;
};
const noMore = (value: string | undefined) => {
  if (value !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(value)}`);
};

/** `--silence-minutes N` or a MINUTES argument: 1 to 10080 (a week); `off` (argument only) is null. */
function silenceOf(text: string, allowOff: boolean): number | null {
  if (allowOff && text === "off") return null;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 10080)
    throw new UsageError(
      `MINUTES must be a whole number from 1 to 10080${allowOff ? " or off" : ""}, not ${JSON.stringify(text)}`,
    );
  return n;
}

async function keys(
  c: Call,
  action: string | undefined,
  target: string | undefined,
  extra: string | undefined,
  more?: string,
) {
  if (action === undefined) throw new UsageError("missing the key action: create, list, silence or revoke");
  const service = findService(await listServices(c), need(target, "SERVICE"));
  const path = `/services/${service.id}/integration-keys`;
  if (action === "list") {
    noMore(extra);
    noMore(more);
    const r = await c.api.request<{ keys: Key[] }>("GET", path);
    return c.print(r, () => keyTable(r.keys));
  }
  if (action === "create") {
    noMore(more);
    const silence = c.opt("silence-minutes");
    const k = await c.api.request<Key & { integrationKey: string }>("POST", path, {
      name: need(extra, "NAME"),
      ...(silence === undefined ? {} : { silenceMinutes: silenceOf(silence, false) }),
    });
    if (c.json) return c.print(k, "");
    await write(process.stderr, `created integration key ${k.name} (id ${k.id}) for ${service.name}`);
    await sayWhere(c, k.integrationKey);
    return c.print(k, k.integrationKey);
  }
  if (action === "silence") {
    const keyId = id(need(extra, "KEY_ID"), "KEY_ID");
    const silenceMinutes = silenceOf(need(more, "MINUTES"), true);
    await c.api.request<void>("PATCH", `${path}/${keyId}`, { silenceMinutes });
    return c.print(
      { serviceId: service.id, keyId, silenceMinutes },
      silenceMinutes === null
        ? `integration key ${keyId} of ${service.name}: no alert when it goes quiet`
        : `integration key ${keyId} of ${service.name}: one alert when nothing arrives on it for ${silenceMinutes} minutes`,
    );
  }
  if (action === "revoke") {
    noMore(more);
    const keyId = id(need(extra, "KEY_ID"), "KEY_ID");
    await c.api.request<void>("DELETE", `${path}/${keyId}`);
    return c.print(
      { revoked: keyId, serviceId: service.id },
      `integration key ${keyId} of ${service.name} revoked: its senders are refused from now on`,
    );
  }
  throw new UsageError(
    `unknown key action ${JSON.stringify(action)}; expected create, list, silence or revoke`,
  );
}

export const serviceCommands: Record<string, Command> = {
  service: {
    summary:
      "Services alerts come from, and their integration keys: list, show, create (on an escalation policy), edit, delete; key create|list|revoke.\nSERVICE is a service name or a numeric id; POLICY an escalation policy's name or id.",
    synopsis: [
      "list",
      "show SERVICE",
      "create NAME [--policy POLICY] [--description TEXT] [--grouping-minutes N]",
      "edit SERVICE [--name TEXT] [--policy POLICY] [--description TEXT] [--grouping-minutes N]",
      "delete SERVICE",
      "key create SERVICE NAME [--silence-minutes N]",
      "key silence SERVICE KEY_ID MINUTES|off",
      "key list SERVICE        (or: service keys SERVICE)",
      "key revoke SERVICE KEY_ID",
    ],
    args: ["ACTION", "ARG1?", "ARG2?", "ARG3?", "ARG4?"],
    flags: {
      name: { value: "TEXT", help: "edit: the new name" },
      policy: { value: "POLICY", help: "the escalation policy its alerts page (create: the default policy)" },
      description: { value: "TEXT", help: "what the service is" },
      "silence-minutes": {
        value: "N",
        help: "key create: one alert when nothing arrives on the key for N minutes (source silence)",
      },
      "grouping-minutes": {
        value: "N",
        help: "alerts within N minutes of the last join its incident (default 60)",
      },
    },
    async run(c) {
      const action = c.must("ACTION");
      const [a, b, d, e] = [c.opt("ARG1"), c.opt("ARG2"), c.opt("ARG3"), c.opt("ARG4")];
      if (action !== "key") noMore(e);
      if (action === "list" || action === "ls") {
        noMore(a);
        const [services, policies] = await Promise.all([listServices(c), c.json ? [] : listPolicies(c)]);
        return c.print({ services }, () => serviceTable(services, policies));
      }
      if (action === "key") return keys(c, a, b, d, e);
      if (action === "keys") {
        noMore(b);
        return keys(c, "list", a, undefined);
      }
      if (action === "create") {
        noMore(b);
        const body = { ...(await fields(c)), name: need(a, "NAME") };
        if (c.opt("name") !== undefined) throw new UsageError("create takes the name as NAME, not --name");
        const s = await c.api.request<Service & { integrationKey: string }>("POST", "/services", body);
        if (c.json) return c.print(s, "");
        const policies = await listPolicies(c);
        await write(
          process.stderr,
          `created service ${s.name} (id ${s.id}), paging ${policyName(policies, s.escalationPolicyId)}; its first integration key:`,
        );
        await sayWhere(c, s.integrationKey);
        return c.print(s, s.integrationKey);
      }
      if (!["show", "edit", "delete", "rm"].includes(action))
        throw new UsageError(
          `unknown action ${JSON.stringify(action)}; expected list, show, create, edit, delete, key or keys`,
        );
      noMore(b);
      const service = findService(await listServices(c), need(a, "SERVICE"));
      if (action === "show") {
        const s = await c.api.request<Service>("GET", `/services/${service.id}`);
        const windows = (await c.api.request<{ windows: Window[] }>("GET", `/services/${s.id}/maintenance`))
          .windows;
        if (c.json) return c.print({ ...s, maintenance: windows }, "");
        const me = await c.api.request<{ role: string }>("GET", "/me");
        const keyList =
          me.role === "admin"
            ? (await c.api.request<{ keys: Key[] }>("GET", `/services/${s.id}/integration-keys`)).keys
            : null;
        const policies = await listPolicies(c);
        return c.print(s, () => serviceBlock(s, policies, keyList, windows));
      }
      if (action === "edit") {
        const body = await fields(c);
        if (Object.keys(body).length === 0)
          throw new UsageError(
            "nothing to change: give --name, --policy, --description or --grouping-minutes",
          );
        const s = await c.api.request<Service>("PATCH", `/services/${service.id}`, body);
        return c.print(s, `service ${s.id} updated: ${Object.keys(body).join(", ")}`);
      }
      await c.api.request<void>("DELETE", `/services/${service.id}`);
      return c.print(
        { deleted: service.id },
        `service ${service.name} deleted, with its keys and its alerts`,
      );
    },
  },
};
