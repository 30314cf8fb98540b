import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";

/** The first-run guide, whole: reopened from the profile or the incidents screen's note. */
export const firstRunRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/setup",
  component: lazyRouteComponent(() => import("../screens/FirstRun.tsx"), "FirstRun"),
});
