import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";

export const tokensRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/tokens",
  staticData: { nav: { label: "Tokens", order: 90 } },
  component: lazyRouteComponent(() => import("../screens/Tokens.tsx"), "Tokens"),
});
