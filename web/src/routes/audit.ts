import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import type { AuditAction } from "../../../src/audit/model.ts";
import { actionLabels } from "../screens/audit/entries.ts";
import { appRoute } from "./app.tsx";

/**
 * The audit log's filters, named as the API names them (so the CSV link passes them on as they
 * are): an action, a person's id, and a window of ISO instants. A bad or old link shows everything.
 */
export type AuditSearch = { action?: AuditAction; actorId?: number; since?: string; until?: string };

const instant = (value: unknown): string | undefined => {
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

export function validateAuditSearch(raw: Record<string, unknown>): AuditSearch {
  const search: AuditSearch = {};
  const action = Object.keys(actionLabels).find((a) => a === raw.action) as AuditAction | undefined;
  if (action) search.action = action;
  const actorId = Number(raw.actorId);
  if (Number.isSafeInteger(actorId) && actorId > 0) search.actorId = actorId;
  const since = instant(raw.since);
  if (since) search.since = since;
  const until = instant(raw.until);
  if (until) search.until = until;
  return search;
}

export const auditRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/audit",
  validateSearch: validateAuditSearch,
  // Listed in the navigation for admins only; anyone else opening it is told so.
  staticData: { nav: { label: "Audit log", order: 95 }, minRole: "admin" },
  component: lazyRouteComponent(() => import("../screens/Audit.tsx"), "Audit"),
});
