import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";
import { numericId } from "./params.ts";

/** Services: what alerts come from, the escalation policy they page, and how senders reach them. */
export const servicesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/services",
  staticData: { nav: { label: "Services", order: 35 } },
  component: lazyRouteComponent(() => import("../screens/services/Services.tsx"), "Services"),
});

/** One service: its settings, integration keys with set-up snippets, maintenance and last alerts. */
export const serviceRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/services/$id",
  params: numericId,
  component: lazyRouteComponent(() => import("../screens/services/ServicePage.tsx"), "ServicePage"),
});
