import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";

/** `page`: the status page's slug; absent, `default`. Not under /status, which visitors use. */
export type StatusAdminSearch = { page?: string };

export const statusAdminRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/status-admin",
  validateSearch: (raw: Record<string, unknown>): StatusAdminSearch => {
    const page =
      typeof raw.page === "string" && /^[a-z0-9][a-z0-9-]{0,62}$/.test(raw.page) ? raw.page : undefined;
    return page && page !== "default" ? { page } : {};
  },
  staticData: { nav: { label: "Status page", order: 40 } },
  component: lazyRouteComponent(() => import("../screens/status/StatusAdmin.tsx"), "StatusAdmin"),
});
