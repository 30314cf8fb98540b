import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";

export const profileRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/profile",
  component: lazyRouteComponent(() => import("../screens/Profile.tsx"), "Profile"),
});
