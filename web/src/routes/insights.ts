import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { validateInsightsSearch } from "../lib/insights.ts";
import { appRoute } from "./app.tsx";

export const insightsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/insights",
  validateSearch: validateInsightsSearch,
  staticData: { nav: { label: "Insights", order: 45 } },
  component: lazyRouteComponent(() => import("../screens/insights/Insights.tsx"), "Insights"),
});
