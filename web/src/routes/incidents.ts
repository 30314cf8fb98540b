import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { incidentsQuery } from "../api/queries.ts";
import { listQuery, validateIncidentsSearch } from "../lib/search.ts";
import { appRoute } from "./app.tsx";

export const incidentsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/incidents",
  validateSearch: validateIncidentsSearch,
  // The list is fetched as the route loads, beside the screen's code, not after it renders.
  loaderDeps: ({ search }) => search,
  loader: ({ context, deps }) => {
    void context.queryClient.prefetchQuery(incidentsQuery(listQuery(deps, context.me.id)));
  },
  staticData: { nav: { label: "Incidents", order: 10 } },
  component: lazyRouteComponent(() => import("../screens/Incidents.tsx"), "Incidents"),
});
