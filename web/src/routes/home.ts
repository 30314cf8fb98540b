import { createRoute, redirect } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";

/** The app's home is the incidents list (with STATUS_PAGE_AT_ROOT, `/` is the status page instead). */
export const homeRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/",
  beforeLoad: () => {
    throw redirect({ to: "/incidents", replace: true });
  },
});
