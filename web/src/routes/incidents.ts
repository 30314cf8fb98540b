import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { validateIncidentsSearch } from "../lib/search.ts";
import { appRoute } from "./app.tsx";

export const incidentsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/incidents",
  validateSearch: validateIncidentsSearch,
  staticData: { nav: { label: "Incidents", order: 10 } },
  component: lazyRouteComponent(() => import("../screens/Incidents.tsx"), "Incidents"),
});
