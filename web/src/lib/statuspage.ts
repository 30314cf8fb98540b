/** Pure helpers for the status page screen: words for statuses, posts split and ordered. */
import type { ComponentStatus, PublicIncident, StatusComponent } from "../api/statuspage.ts";

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
