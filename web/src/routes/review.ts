import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";
import { numericId } from "./params.ts";

/** An incident's post-incident review (docs/reviews.md). */
export const reviewRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/incidents/$id/review",
  params: numericId,
  component: lazyRouteComponent(() => import("../screens/review/ReviewPage.tsx"), "ReviewPage"),
});
