import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";

export const alertsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/alerts",
  staticData: { nav: { label: "Alerts", order: 30 } },
  component: lazyRouteComponent(() => import("../screens/alerts/Alerts.tsx"), "Alerts"),
});
