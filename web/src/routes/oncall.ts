import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";

/** `week`: a date (YYYY-MM-DD) in the week the calendars show; absent, this week. */
export type OncallSearch = { week?: string };

export const oncallRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/oncall",
  validateSearch: (raw: Record<string, unknown>): OncallSearch => {
    const week = typeof raw.week === "string" && /^\d{4}-\d{2}-\d{2}$/.test(raw.week) ? raw.week : undefined;
    return week ? { week } : {};
  },
  staticData: { nav: { label: "On-call", order: 20 } },
  component: lazyRouteComponent(() => import("../screens/oncall/Oncall.tsx"), "Oncall"),
});
