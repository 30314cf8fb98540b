/**
 * `firebreak component` and `firebreak statuspage`: a status page's components and groups (list,
 * create, edit, delete), and the pages themselves (list, create, edit). `--page` names the page
 * by its slug; without it, `default`. A group is named by its id or its name.
 */

// The shapes the commands read: types only, from the server's own schemas.
import type { ComponentView, StatusPageView } from "../statuspage/routes.ts";
import { type Call, type Command, id, optional } from "./args.ts";
import { UsageError } from "./client.ts";
import { clip, table } from "./format.ts";

type Component = ComponentView;
type StatusPage = StatusPageView;
type Team = { id: number; slug: string; name: string };

const slugPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;
const componentStatuses = [
  "operational",
  "degraded_performance",
  "partial_outage",
  "major_outage",
  "under_maintenance",
];

function pageSlug(c: Call): string {
  const slug = c.opt("page") ?? "default";
  if (!slugPattern.test(slug))
    throw new UsageError(`--page takes a page's slug, not ${JSON.stringify(slug)}`);
  return slug;
}
const componentsPath = (slug: string, suffix = "") => `/status-pages/${slug}/components${suffix}`;
const list = async (c: Call, slug: string) =>
  (await c.api.request<{ components: Component[] }>("GET", componentsPath(slug))).components;

/**
 * Components as the page shows them: by position, each group followed by its members (indented);
 * the ID / NAME / STATUS / POSITION / DESCRIPTION table.
 */
export function componentTable(components: readonly Component[]): string {
  if (components.length === 0) return "no components";
  const byPosition = (a: Component, b: Component) => a.position - b.position || a.id - b.id;
  const ids = new Set(components.map((c) => c.id));
  const top = components.filter((c) => c.groupId === null || !ids.has(c.groupId)).sort(byPosition);
  const rows = top.flatMap((c) => [
    { c, member: false },
    ...(c.group
      ? components
          .filter((m) => m.groupId === c.id)
          .sort(byPosition)
          .map((m) => ({ c: m, member: true }))
      : []),
  ]);
  return table(
    ["ID", "NAME", "STATUS", "POSITION", "DESCRIPTION"],
    rows.map(({ c, member }) => [
      String(c.id),
      `${member ? "  " : ""}${c.name}${c.group ? " (group)" : ""}`,
      c.status,
      String(c.position),
      clip(c.description ?? "", 50),
    ]),
  );
}

/** A group by id or name; `none` (or an empty string) for no group. */
async function groupOf(c: Call, slug: string, text: string): Promise<number | null> {
  if (text === "" || text === "none") return null;
  const components = await list(c, slug);
  const found = /^\d+$/.test(text)
    ? components.find((g) => g.id === Number(text))
    : components.find((g) => g.name.toLowerCase() === text.toLowerCase());
  if (!found?.group) {
    const groups = components.filter((g) => g.group).map((g) => g.name);
    throw new UsageError(
      `no group ${JSON.stringify(text)} on page ${slug}${groups.length ? `; its groups: ${groups.join(", ")}` : " (it has no groups)"}`,
    );
  }
  return found.id;
}

function position(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`--position takes a whole number from 0, not ${JSON.stringify(text)}`);
  return n;
}

function status(text: string): string {
  if (!componentStatuses.includes(text))
    throw new UsageError(
      `--status takes one of ${componentStatuses.join(", ")}, not ${JSON.stringify(text)}`,
    );
  return text;
}

type Fields = {
  name?: string;
  description?: string | null;
  groupId?: number | null;
  position?: number;
  status?: string;
};

/** The fields a create or edit sends, from the flags given. */
async function fields(c: Call, slug: string): Promise<Fields> {
  const f: Fields = {};
  const description = c.opt("description");
  if (description !== undefined) f.description = description || null;
  const group = c.opt("in");
  if (group !== undefined) f.groupId = await groupOf(c, slug, group);
  f.position = optional(c.opt("position"), position);
  f.status = optional(c.opt("status"), status);
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as Fields;
}

const described = (x: Component) => `${x.group ? "group" : "component"} ${x.id} ${JSON.stringify(x.name)}`;

async function componentCommand(c: Call): Promise<number> {
  const action = c.must("ACTION");
  const slug = pageSlug(c);
  if (action === "list") {
    if (c.opt("TARGET") !== undefined) throw new UsageError("list takes no argument");
    const components = await list(c, slug);
    return c.print({ components }, () => componentTable(components));
  }
  if (action === "create") {
    const name = c.must("TARGET");
    const body = { name, ...(c.has("group") && { group: true }), ...(await fields(c, slug)) };
    // At the end, after what the page already lists.
    body.position ??= (await list(c, slug)).reduce((max, x) => Math.max(max, x.position + 1), 0);
    const made = await c.api.request<Component>("POST", componentsPath(slug), body);
    return c.print(made, `created ${described(made)} on page ${slug}`);
  }
  if (action === "edit") {
    const target = id(c.must("TARGET"), "COMPONENT");
    const name = c.opt("name");
    const body = { ...(name !== undefined && { name }), ...(await fields(c, slug)) };
    if (Object.keys(body).length === 0)
      throw new UsageError("nothing to change: give --name, --description, --in, --position or --status");
    const after = await c.api.request<Component>("PATCH", componentsPath(slug, `/${target}`), body);
    return c.print(after, `changed ${described(after)} on page ${slug}`);
  }
  if (action === "delete") {
    const target = id(c.must("TARGET"), "COMPONENT");
    await c.api.request<void>("DELETE", componentsPath(slug, `/${target}`));
    return c.print({ deleted: target, page: slug }, `deleted component ${target} from page ${slug}`);
  }
  throw new UsageError(`unknown action ${JSON.stringify(action)}; expected list, create, edit or delete`);
}

/** The SLUG / NAME / TIME ZONE / TEAM table. */
export function pageTable(pages: readonly StatusPage[], teams: readonly Team[]): string {
  if (pages.length === 0) return "no status pages";
  const team = (teamId: number) => teams.find((x) => x.id === teamId)?.name ?? `team ${teamId}`;
  return table(
    ["SLUG", "NAME", "TIME ZONE", "TEAM"],
    pages.map((p) => [p.slug, p.name, p.timeZone, team(p.teamId)]),
  );
}

async function teamId(c: Call, text: string): Promise<number> {
  const teams = (await c.api.request<{ teams: Team[] }>("GET", "/teams")).teams;
  const found = teams.find((x) => String(x.id) === text || x.slug === text || x.name === text);
  if (!found)
    throw new UsageError(
      `no team ${JSON.stringify(text)}; the teams: ${teams.map((x) => x.slug).join(", ") || "none"}`,
    );
  return found.id;
}

async function statuspageCommand(c: Call): Promise<number> {
  const action = c.must("ACTION");
  if (action === "list") {
    if (c.opt("SLUG") !== undefined) throw new UsageError("list takes no argument");
    const { pages } = await c.api.request<{ pages: StatusPage[] }>("GET", "/status-pages");
    if (c.json) return c.print({ pages }, "");
    const teams = (await c.api.request<{ teams: Team[] }>("GET", "/teams")).teams;
    return c.print({ pages }, () => pageTable(pages, teams));
  }
  const slug = c.must("SLUG");
  if (!slugPattern.test(slug))
    throw new UsageError(`SLUG takes lowercase letters, digits and -, not ${JSON.stringify(slug)}`);
  const timeZone = c.opt("time-zone");
  if (action === "create") {
    const team = c.opt("team");
    const body = {
      slug,
      name: c.must("name"),
      ...(timeZone !== undefined && { timeZone }),
      ...(team !== undefined && { teamId: await teamId(c, team) }),
    };
    const p = await c.api.request<StatusPage>("POST", "/status-pages", body);
    return c.print(p, `created status page ${p.slug} "${p.name}" (${p.timeZone}): /status/${p.slug}`);
  }
  if (action === "edit") {
    const name = c.opt("name");
    const body = { ...(name !== undefined && { name }), ...(timeZone !== undefined && { timeZone }) };
    if (Object.keys(body).length === 0) throw new UsageError("nothing to change: give --name or --time-zone");
    const p = await c.api.request<StatusPage>("PATCH", `/status-pages/${slug}`, body);
    return c.print(p, `changed status page ${p.slug}: "${p.name}" (${p.timeZone})`);
  }
  throw new UsageError(`unknown action ${JSON.stringify(action)}; expected list, create or edit`);
}

export const statusPageCommands: Record<string, Command> = {
  component: {
    summary:
      "A status page's components and groups: list them, create, edit or delete one.\nNAME and ID as listed; --page is the page's slug (default: default).",
    synopsis: [
      "list [--page SLUG]",
      "create NAME [--group] [--in GROUP] [--description TEXT] [--position N] [--page SLUG]",
      "edit ID [--name NAME] [--in GROUP|none] [--description TEXT] [--position N] [--status STATUS] [--page SLUG]",
      "delete ID [--page SLUG]",
    ],
    args: ["ACTION", "TARGET?"],
    flags: {
      page: { value: "SLUG", help: "the status page (default: default)" },
      name: { value: "NAME", help: "edit: the new name" },
      group: { help: "create: a group of components (its status is its members' worst)" },
      in: { value: "GROUP", help: "the group it belongs to, by id or name (edit: none to take it out)" },
      description: { value: "TEXT", help: "shown under its name on the public page (empty: none)" },
      position: { value: "N", help: "its place among its neighbours (create: after the others)" },
      status: { value: "STATUS", help: `edit: ${componentStatuses.join(", ")}` },
    },
    run: componentCommand,
  },
  statuspage: {
    summary: "Status pages: list them (with the team that owns each), create or edit one.",
    synopsis: [
      "list",
      "create SLUG --name NAME [--time-zone ZONE] [--team TEAM]",
      "edit SLUG [--name NAME] [--time-zone ZONE]",
    ],
    args: ["ACTION", "SLUG?"],
    flags: {
      name: { value: "NAME", help: "the page's name, as visitors read it" },
      "time-zone": { value: "ZONE", help: 'an IANA time zone such as "Europe/Berlin" (default: UTC)' },
      team: { value: "TEAM", help: "create: the owning team by slug, name or id (default: yours)" },
    },
    run: statuspageCommand,
  },
};
