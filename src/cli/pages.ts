/**
 * Page commands (PAGE-2): list and show pages, trigger one on an escalation policy, acknowledge,
 * resolve, escalate now, reassign. Levels are 0-based, as in the API (0 is a policy's first level).
 */
import { type Call, type Command, id, optional, write } from "./args.ts";
import { CliError, UsageError } from "./client.ts";
import { clip, table, when } from "./format.ts";
import { testPage } from "./test-page.ts";

// The shapes the commands read (GET /pages, /pages/:id, /escalation-policies, /users).
export type PageState = "triggered" | "acknowledged" | "resolved";
export type Page = {
  id: number;
  policyId: number;
  incidentId: number | null;
  title: string;
  urgency: "high" | "low";
  state: PageState;
  level: number;
  round: number;
  assignedTo: number[];
  acknowledgedBy: number | null;
  acknowledgedAt: string | null;
  resolvedBy: number | null;
  resolvedAt: string | null;
  createdAt: string;
};
export type PageEvent = { kind: string; at: string; actorId: number | null; data: Record<string, unknown> };
export type Delivery = {
  id: number;
  contactMethodId: number;
  userId: number;
  pageIds: number[];
  status: string;
  attempts: number;
  lastError: string | null;
  sentAt: string | null;
};
export type PageDetail = Page & { events: PageEvent[]; deliveries: Delivery[] };
export type Policy = { id: number; name: string; levels: unknown[] };
type Users = { users: { id: number; username: string }[] };

const pageStates: PageState[] = ["triggered", "acknowledged", "resolved"];
const openStates: PageState[] = ["triggered", "acknowledged"];

/** Names user ids; an id it does not know is `user N`. */
type Namer = (id: unknown) => string;
const namer =
  (usernames: ReadonlyMap<number, string>): Namer =>
  (id) =>
    id === null || id === undefined ? "nobody" : (usernames.get(Number(id)) ?? `user ${String(id)}`);
const names = (ids: unknown, name: Namer) => (Array.isArray(ids) ? ids.map(name) : []).join(", ") || "nobody";

const policyName = (policies: readonly Policy[], policyId: number) =>
  policies.find((p) => p.id === policyId)?.name ?? `policy ${policyId}`;

/** The ID / STATE / URGENCY / LEVEL / POLICY / INCIDENT / TITLE / CREATED table. */
export function pageTable(pages: Page[], policies: readonly Policy[]): string {
  if (pages.length === 0) return "no pages match";
  return table(
    ["ID", "STATE", "URGENCY", "LEVEL", "POLICY", "INCIDENT", "TITLE", "CREATED"],
    pages.map((p) => [
      String(p.id),
      p.state,
      p.urgency,
      String(p.level),
      policyName(policies, p.policyId),
      p.incidentId === null ? "-" : `#${p.incidentId}`,
      clip(p.title, 60),
      when(p.createdAt),
    ]),
  );
}

/** What a page event says, from its `data` (page events carry no text of their own). */
const describe: Record<
  string,
  (d: Record<string, unknown>, name: Namer, policy: (id: number) => string) => string
> = {
  "page-triggered": (d, _, policy) => `paged ${policy(Number(d.policyId))}, ${String(d.urgency)} urgency`,
  "page-escalated": (d, name) => {
    const without = Array.isArray(d.withoutRules) && d.withoutRules.length;
    const missing = without ? ` (no notification rules: ${names(d.withoutRules, name)})` : "";
    return `level ${String(d.level)}: ${names(d.users, name)}${missing}`;
  },
  "page-escalated-now": (d) => `to level ${String(d.level)}`,
  "page-reassigned": (d) => `now at level ${String(d.level)}`,
  "page-notified": (d, name) => `${name(d.userId)}, delivery ${String(d.deliveryId)}`,
  "page-notification-failed": (d, name) =>
    `${name(d.userId)}, delivery ${String(d.deliveryId)}: ${String(d.status)}`,
  "page-acknowledged": () => "acknowledged",
  "page-resolved": () => "resolved",
  "page-reopened": () => "acknowledged but not resolved in time: escalating again",
};

/** An event of a kind this client does not know yet: its data as `key=value` pairs. */
const fields = (d: Record<string, unknown>) =>
  Object.entries(d)
    .map(([k, v]) => `${k}=${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(" ");

const label = (name: string, value: string) => `  ${name.padEnd(10)} ${value}`;

/** The page, its events and its deliveries (failed ones with their error). */
export function pageBlock(
  p: PageDetail,
  policies: readonly Policy[],
  usernames: ReadonlyMap<number, string>,
) {
  const name = namer(usernames);
  const policy = (policyId: number) => policyName(policies, policyId);
  const levels = policies.find((x) => x.id === p.policyId)?.levels.length;
  const state =
    p.state === "acknowledged"
      ? `acknowledged by ${name(p.acknowledgedBy)} at ${when(p.acknowledgedAt)}`
      : p.state === "resolved"
        ? `resolved by ${name(p.resolvedBy)} at ${when(p.resolvedAt)}`
        : p.state;
  const lines = [
    `page ${p.id}: ${p.title}`,
    label("state", state),
    label("urgency", p.urgency),
    label("policy", policy(p.policyId)),
    label(
      "level",
      `${p.level}${levels ? ` (levels 0-${levels - 1})` : ""}${p.round ? `, round ${p.round}` : ""}`,
    ),
    label("assigned", names(p.assignedTo, name)),
    label("incident", p.incidentId === null ? "-" : `#${p.incidentId}`),
    label("created", when(p.createdAt)),
    "",
    p.events.length === 0
      ? "no page events"
      : table(
          ["TIME", "ACTOR", "KIND", "DETAIL"],
          p.events.map((e) => [
            when(e.at),
            e.actorId === null ? "firebreak" : name(e.actorId),
            e.kind,
            clip(describe[e.kind]?.(e.data, name, policy) ?? fields(e.data), 100),
          ]),
        ),
    "",
    p.deliveries.length === 0
      ? "no deliveries"
      : table(
          ["DELIVERY", "USER", "CONTACT", "STATUS", "ATTEMPTS", "SENT", "ERROR"],
          p.deliveries.map((d) => [
            String(d.id),
            name(d.userId),
            String(d.contactMethodId),
            d.status,
            String(d.attempts),
            when(d.sentAt),
            d.lastError ? clip(d.lastError, 100) : "-",
          ]),
        ),
  ];
  return lines.join("\n");
}

// -- arguments ------------------------------------------------------------------------------------

const listPolicies = async (c: Call) =>
  (await c.api.request<{ policies: Policy[] }>("GET", "/escalation-policies")).policies;

const usernamesOf = async (c: Call) =>
  new Map((await c.api.request<Users>("GET", "/users")).users.map((u) => [u.id, u.username]));

/**
 * An escalation policy by name (exactly, else ignoring case) or numeric id. An unknown name is a
 * usage error naming the known policies; an unknown id is left to the API to refuse.
 */
export function findPolicy(policies: readonly Policy[], text: string, what: string): Policy {
  const exact = policies.find((p) => p.name === text);
  if (exact) return exact;
  if (/^\d+$/.test(text)) {
    const policyId = id(text, what);
    return (
      policies.find((p) => p.id === policyId) ?? { id: policyId, name: `policy ${policyId}`, levels: [] }
    );
  }
  const folded = policies.filter((p) => p.name.toLowerCase() === text.toLowerCase());
  if (folded.length === 1 && folded[0]) return folded[0];
  const known = policies.map((p) => p.name).sort((a, b) => a.localeCompare(b));
  throw new UsageError(
    known.length
      ? `no escalation policy named ${JSON.stringify(text)}; known policies: ${known.join(", ")}`
      : `no escalation policy named ${JSON.stringify(text)}; there are no escalation policies yet`,
  );
}

const pagePath = (c: Call, suffix = "") => `/pages/${id(c.must("PAGE"), "PAGE")}${suffix}`;

/** A 0-based escalation level. */
function level(text: string): number {
  if (!/^\d+$/.test(text)) {
    throw new UsageError(
      `--level must be a whole number like 1 (0 is the first level), not ${JSON.stringify(text)}`,
    );
  }
  return Number(text);
}

function statesOf(text: string | undefined): PageState[] {
  if (text === undefined) return openStates;
  const wanted = text.split(",").map((s) => s.trim());
  for (const s of wanted) {
    if (!pageStates.includes(s as PageState)) {
      throw new UsageError(`--state takes ${pageStates.join(", ")}, not ${JSON.stringify(s)}`);
    }
  }
  return [...new Set(wanted as PageState[])];
}

// -- commands -------------------------------------------------------------------------------------

export const pageReadCommands: Record<string, Command> = {
  pages: {
    summary:
      "List pages, newest first: open ones (triggered and acknowledged) unless --state.\nLEVEL is 0-based (0 is the policy's first level).",
    flags: {
      state: {
        value: "STATE,...",
        help: `only these states: ${pageStates.join(" ")} (default: the open ones)`,
      },
      incident: { value: "ID", help: "only the pages of this incident" },
      limit: { value: "N", help: "at most N pages (default 100, up to 500)" },
    },
    async run(c) {
      const states = statesOf(c.opt("state"));
      const incident = optional(c.opt("incident"), (n) => id(n, "--incident"));
      const limit = optional(c.opt("limit"), (n) => id(n, "--limit"));
      // The API filters on one state at a time: one request per state, merged newest first.
      const answers = await Promise.all(
        states.map((state) =>
          c.api.request<{ pages: Page[] }>("GET", "/pages", undefined, { state, incident, limit }),
        ),
      );
      const pages = answers
        .flatMap((a) => a.pages)
        .sort((a, b) => b.id - a.id)
        .slice(0, limit ?? 100);
      const r = { pages };
      if (c.json || pages.length === 0) return c.print(r, () => pageTable(pages, []));
      const policies = await listPolicies(c);
      return c.print(r, () => pageTable(pages, policies));
    },
  },

  "page-show": {
    summary: "Show a page with its events and its deliveries (failed ones with their error).",
    args: ["PAGE"],
    async run(c) {
      const p = await c.api.request<PageDetail>("GET", pagePath(c));
      if (c.json) return c.print(p, "");
      const [policies, usernames] = await Promise.all([listPolicies(c), usernamesOf(c)]);
      return c.print(p, () => pageBlock(p, policies, usernames));
    },
  },
};

export const pageWriteCommands: Record<string, Command> = {
  page: {
    summary:
      "Page an escalation policy: its first level is notified now.\nPOLICY is a policy name or a numeric id.\n`page test [USER]` sends a test page to every contact method of USER (default: you) and reports each receipt; exit 0 when all delivered.",
    synopsis: ["POLICY --title TEXT [--low]", "test [USER] [--json]"],
    args: ["POLICY", "USER?"],
    flags: {
      title: { value: "TEXT", help: "what is wrong; it is in every notification (required for a page)" },
      low: { help: "low urgency: people's low-urgency rules, escalating only in business hours" },
    },
    async run(c) {
      // `page test` without --title is a test page; a policy named "test" is still paged with --title.
      if (c.must("POLICY") === "test" && !c.has("title")) return testPage(c, c.opt("USER"));
      if (c.opt("USER") !== undefined)
        throw new UsageError(`unexpected argument ${JSON.stringify(c.opt("USER"))}`);
      if (!c.has("title")) throw new UsageError("missing --title TEXT");
      const policy = findPolicy(await listPolicies(c), c.must("POLICY"), "POLICY");
      const p = await c.api.request<Page>("POST", "/pages", {
        policyId: policy.id,
        title: c.must("title"),
        urgency: c.has("low") ? "low" : "high",
      });
      return c.print(p, `page ${p.id} triggered on ${policy.name} (${p.urgency} urgency): ${p.title}`);
    },
  },

  ack: {
    summary:
      "Acknowledge pages: stops their escalation and pending notifications (PAGE-2).\nWith --json: { pages: [...] }, the pages acknowledged.",
    args: ["PAGE..."],
    async run(c) {
      const ids = c
        .must("PAGE")
        .split(/\s+/)
        .map((text) => id(text, "PAGE"));
      const acked: Page[] = [];
      const failures = new Set<string>(); // a bad token or no server: said once, not once a page
      for (const pageId of ids) {
        let p: Page;
        try {
          p = await c.api.request<Page>("POST", `/pages/${pageId}/acknowledge`);
        } catch (err) {
          // One page that cannot be acknowledged does not stop the others; the exit code says it.
          if (!(err instanceof CliError)) throw err;
          if (!failures.has(err.message)) await write(process.stderr, `firebreak: ${err.message}`);
          failures.add(err.message);
          continue;
        }
        acked.push(p);
        if (!c.json) await c.print(p, `page ${p.id} acknowledged`); // as it happens, in order
      }
      if (c.json) await c.print({ pages: acked }, "");
      return failures.size ? 1 : 0;
    },
  },

  "page-resolve": {
    summary: "Resolve a page.",
    args: ["PAGE"],
    async run(c) {
      const p = await c.api.request<Page>("POST", pagePath(c, "/resolve"));
      return c.print(p, `page ${p.id} resolved`);
    },
  },

  escalate: {
    summary:
      "Escalate a page now, to the next level or to --level (PAGE-2).\nAn acknowledged page is triggered again.",
    args: ["PAGE"],
    flags: { level: { value: "N", help: "the 0-based level to notify (default: the next one)" } },
    async run(c) {
      const body = { level: optional(c.opt("level"), level) };
      const p = await c.api.request<Page>("POST", pagePath(c, "/escalate"), body);
      if (c.json) return c.print(p, "");
      const policies = await listPolicies(c);
      return c.print(p, `page ${p.id} escalated to level ${p.level} of ${policyName(policies, p.policyId)}`);
    },
  },

  reassign: {
    summary:
      "Reassign a page to another escalation policy; it starts at that policy's first level.\nPOLICY is a policy name or a numeric id.",
    args: ["PAGE"],
    flags: { policy: { value: "POLICY", required: true, help: "the escalation policy to page instead" } },
    async run(c) {
      const path = pagePath(c, "/reassign");
      const policy = findPolicy(await listPolicies(c), c.must("policy"), "--policy");
      const p = await c.api.request<Page>("POST", path, { policyId: policy.id });
      return c.print(p, `page ${p.id} reassigned to ${policy.name}, level ${p.level}`);
    },
  },
};

export const pageCommands: Record<string, Command> = { ...pageReadCommands, ...pageWriteCommands };
