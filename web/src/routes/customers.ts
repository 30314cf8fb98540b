import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";

/** The customer directory (COMM-6): organisations and the addresses their updates go to. */
export const customersRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/customers",
  staticData: { nav: { label: "Customers", order: 38 } },
  component: lazyRouteComponent(() => import("../screens/customers/Customers.tsx"), "Customers"),
});
