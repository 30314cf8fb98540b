import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";

export const declareRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/incidents/new",
  component: lazyRouteComponent(() => import("../screens/Declare.tsx"), "Declare"),
});
