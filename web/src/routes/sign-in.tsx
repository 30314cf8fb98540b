import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { safeRedirect } from "../lib/redirect.ts";
import { rootRoute } from "./root.tsx";

export const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/sign-in",
  validateSearch: (raw: Record<string, unknown>): { redirect?: string } => {
    const redirect = safeRedirect(raw.redirect);
    return redirect ? { redirect } : {};
  },
  component: lazyRouteComponent(() => import("../screens/SignIn.tsx"), "SignIn"),
});
