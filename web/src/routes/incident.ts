import { createRoute, lazyRouteComponent, notFound } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";

export const incidentRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/incidents/$id",
  params: {
    parse: ({ id }) => {
      const n = Number(id);
      if (!Number.isSafeInteger(n) || n <= 0) throw notFound();
      return { id: n };
    },
    stringify: ({ id }) => ({ id: String(id) }),
  },
  component: lazyRouteComponent(() => import("../screens/incident/IncidentPage.tsx"), "IncidentPage"),
});
