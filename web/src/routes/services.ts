import { createRoute, lazyRouteComponent, notFound } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";

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
  params: {
    parse: ({ id }) => {
      const n = Number(id);
      if (!Number.isSafeInteger(n) || n <= 0) throw notFound();
      return { id: n };
    },
    stringify: ({ id }) => ({ id: String(id) }),
  },
  component: lazyRouteComponent(() => import("../screens/services/ServicePage.tsx"), "ServicePage"),
});
