/** Pure helpers for the status page screen: words for statuses, posts split and ordered. */
import type { ComponentStatus, PublicIncident, StatusComponent } from "../api/statuspage.ts";
import { type FieldProblems, fieldProblems } from "./fields.ts";

/** Every component status in order of severity: the server's own list. */
export { componentStatuses } from "../../../src/statuspage/types.ts";

export const componentStatusLabel: Record<ComponentStatus, string> = {
  operational: "Operational",
  degraded_performance: "Degraded performance",
  partial_outage: "Partial outage",
  major_outage: "Major outage",
  under_maintenance: "Under maintenance",
};

/** "in_progress" → "In progress"; a public incident's or maintenance's state in words. */
export function stateWords(state: string): string {
  const words = state.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The statuses a visitor reads as trouble, to mark them (with words, not colour alone). */
export const isTrouble = (s: ComponentStatus) => s === "partial_outage" || s === "major_outage";

const newestFirst = (a: PublicIncident, b: PublicIncident) =>
  Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id;

/**
 * Published incidents (unresolved first, then newest first) and maintenance (the soonest window
 * first, finished ones last), from a page's posts, unpublished included.
 */
export function splitPosts(posts: PublicIncident[]): {
  incidents: PublicIncident[];
  maintenances: PublicIncident[];
} {
  const incidents = posts
    .filter((p) => p.kind === "incident" && p.published)
    .sort((a, b) => Number(a.resolvedAt !== null) - Number(b.resolvedAt !== null) || newestFirst(a, b));
  const start = (p: PublicIncident) => Date.parse(p.scheduledFor ?? p.createdAt);
  const maintenances = posts
    .filter((p) => p.kind === "maintenance")
    .sort(
      (a, b) =>
        Number(a.resolvedAt !== null) - Number(b.resolvedAt !== null) || start(a) - start(b) || a.id - b.id,
    );
  return { incidents, maintenances };
}

/** A post's published updates, newest first. */
export function publishedUpdates(post: PublicIncident): PublicIncident["updates"] {
  return post.updates
    .filter((u) => u.state === "published")
    .sort(
      (a, b) =>
        Date.parse(b.publishedAt ?? b.createdAt) - Date.parse(a.publishedAt ?? a.createdAt) || b.id - a.id,
    );
}

/**
 * Components as the public page shows them: by position, each group followed by its members
 * (`depth` 1); members of a group that is not listed come at the top level.
 */
export function orderComponents(
  components: StatusComponent[],
): { component: StatusComponent; depth: 0 | 1 }[] {
  const byPosition = (a: StatusComponent, b: StatusComponent) => a.position - b.position || a.id - b.id;
  const ids = new Set(components.map((c) => c.id));
  const top = components.filter((c) => c.groupId === null || !ids.has(c.groupId)).sort(byPosition);
  return top.flatMap((c) => [
    { component: c, depth: 0 as const },
    ...(c.group
      ? components
          .filter((m) => m.groupId === c.id)
          .sort(byPosition)
          .map((m) => ({ component: m, depth: 1 as const }))
      : []),
  ]);
}

// -- arranging components (admins) ------------------------------------------------------------------

/** Every component's id in the order the public page shows them: what PUT …/components/order takes. */
export const orderedIds = (components: StatusComponent[]): number[] =>
  orderComponents(components).map(({ component }) => component.id);

/**
 * The components a component is ordered among: the top level (groups and ungrouped components)
 * or its group's members, in order.
 */
export function siblingsOf(components: StatusComponent[], id: number): StatusComponent[] {
  const rows = orderComponents(components);
  const at = rows.find((r) => r.component.id === id);
  if (!at) return [];
  return at.depth === 0
    ? rows.filter((r) => r.depth === 0).map((r) => r.component)
    : rows
        .filter((r) => r.depth === 1 && r.component.groupId === at.component.groupId)
        .map((r) => r.component);
}

/** The outcome of a move: the whole new order, and where the moved one is now among its siblings. */
export type Moved = { ids: number[]; position: number; of: number; group: string | null };

/**
 * Moves component `id` to `index` among its siblings (clamped); a group takes its members along.
 * Null when it does not move (unknown, or already there).
 */
export function moveToIndex(components: StatusComponent[], id: number, index: number): Moved | null {
  const siblings = siblingsOf(components, id);
  const from = siblings.findIndex((c) => c.id === id);
  if (from < 0) return null;
  const to = Math.max(0, Math.min(siblings.length - 1, index));
  if (to === from) return null;
  const reordered = siblings.filter((c) => c.id !== id);
  reordered.splice(to, 0, siblings[from] as StatusComponent);
  const rank = new Map(reordered.map((c, n) => [c.id, n]));
  // Renumber the siblings in their new order; everyone else keeps their place.
  const base = Math.min(...siblings.map((c) => c.position));
  const renumbered = components.map((c) =>
    rank.has(c.id) ? { ...c, position: base + (rank.get(c.id) ?? 0) } : c,
  );
  const moved = siblings[from] as StatusComponent;
  const group = moved.groupId === null ? undefined : components.find((c) => c.id === moved.groupId);
  return { ids: orderedIds(renumbered), position: to + 1, of: siblings.length, group: group?.name ?? null };
}

/** Moves component `id` one place up (-1) or down (+1) among its siblings. */
export function moveBy(components: StatusComponent[], id: number, delta: -1 | 1): Moved | null {
  const from = siblingsOf(components, id).findIndex((c) => c.id === id);
  return from < 0 ? null : moveToIndex(components, id, from + delta);
}

/** Moves component `id` to where `target` is (dropped on it); null unless they are siblings. */
export function moveOnto(components: StatusComponent[], id: number, target: number): Moved | null {
  const siblings = siblingsOf(components, id);
  const to = siblings.findIndex((c) => c.id === target);
  return to < 0 ? null : moveToIndex(components, id, to);
}

/** The components with positions 0, 1, … in the order `ids` gives (as the server will store them). */
export function withOrder(components: StatusComponent[], ids: number[]): StatusComponent[] {
  const rank = new Map(ids.map((id, n) => [id, n]));
  return components.map((c) => ({ ...c, position: rank.get(c.id) ?? c.position }));
}

/** What a screen reader hears after a move: "API: position 2 of 3 in Platform". */
export function movedMessage(name: string, m: Pick<Moved, "position" | "of" | "group">): string {
  return `${name}: position ${m.position} of ${m.of}${m.group ? ` in ${m.group}` : ""}.`;
}

/** A new component's position: after everything the page lists. */
export const nextPosition = (components: StatusComponent[]): number =>
  components.reduce((max, c) => Math.max(max, c.position + 1), 0);

// -- forms ------------------------------------------------------------------------------------------

/** A status page's slug, as the API takes it. */
export const slugPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Whether the browser knows this IANA time zone (the server checks it again). */
export function isTimeZone(zone: string): boolean {
  if (!zone.trim()) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export type PageForm = { slug?: string; name: string; timeZone: string };

/** A page form's problems, field by field, as the API would state them; empty when it may be sent. */
export function pageFormProblems(f: PageForm): Partial<Record<keyof PageForm, string>> {
  const problems: Partial<Record<keyof PageForm, string>> = {};
  if (f.slug !== undefined && !slugPattern.test(f.slug))
    problems.slug = "expected lowercase letters, digits and - (up to 63), starting with a letter or digit";
  if (!f.name.trim()) problems.name = "a name is needed";
  else if (f.name.trim().length > 200) problems.name = "at most 200 characters";
  if (!isTimeZone(f.timeZone))
    problems.timeZone = `unknown time zone; expected an IANA name such as "Europe/Berlin"`;
  return problems;
}

export type ComponentForm = { name: string; description: string };

export function componentFormProblems(f: ComponentForm): Partial<Record<keyof ComponentForm, string>> {
  const problems: Partial<Record<keyof ComponentForm, string>> = {};
  if (!f.name.trim()) problems.name = "a name is needed";
  else if (f.name.trim().length > 200) problems.name = "at most 200 characters";
  if (f.description.length > 2000) problems.description = "at most 2000 characters";
  return problems;
}

/**
 * A refusal's messages at the form's fields: a 400's (fieldProblems), or a 409 that names its
 * field (a slug or a component name already taken). Null for anything else.
 */
export function refusalAt<F extends string>(
  err: { status: number; detail: string; field?: string | undefined } | null | undefined,
  fields: Record<string, F>,
): FieldProblems<F> | null {
  const problems = fieldProblems(err, fields);
  if (problems || !err || err.status !== 409 || !err.field) return problems;
  const field = fields[err.field];
  return field === undefined
    ? null
    : { byField: { [field]: err.detail } as Partial<Record<F, string>>, rest: [] };
}

/** Whether this person may change a page: an admin, or an admin of the team that owns it. */
export function canManage(
  me: { role: string },
  teams: readonly { id: number; myRole: string | null }[] | undefined,
  page: { teamId: number } | undefined,
): boolean {
  if (me.role === "admin") return true;
  return page !== undefined && teams?.some((t) => t.id === page.teamId && t.myRole === "admin") === true;
}
