import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";
import { numericId } from "./params.ts";

export const incidentRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/incidents/$id",
  params: numericId,
  component: lazyRouteComponent(() => import("../screens/incident/IncidentPage.tsx"), "IncidentPage"),
});
