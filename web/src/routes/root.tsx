/** The root of every screen: the router's context (the query cache) and the page-level fallbacks. */
import type { QueryClient } from "@tanstack/react-query";
import { createRootRouteWithContext, Link, Outlet } from "@tanstack/react-router";

export type RouterContext = { queryClient: QueryClient };

/** A route may name itself in the top navigation; the shell lists those in `order`. */
export type NavEntry = { label: string; order: number };

declare module "@tanstack/react-router" {
  interface StaticDataRouteOption {
    nav?: NavEntry;
  }
}

export const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: Outlet,
  notFoundComponent: () => (
    <main id="main" className="page narrow">
      <h1>Page not found</h1>
      <p>
        There is no page at this address. Go to the <Link to="/incidents">incidents</Link>.
      </p>
    </main>
  ),
});
