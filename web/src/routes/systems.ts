import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";

/** Support systems and their criticality (PAGE-8), and where support escalations go. */
export const systemsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/systems",
  staticData: { nav: { label: "Systems", order: 37 } },
  component: lazyRouteComponent(() => import("../screens/systems/Systems.tsx"), "Systems"),
});
