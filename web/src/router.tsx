/** The router and the query cache, wired so that a lost session leads to the sign-in screen. */
import { QueryClient } from "@tanstack/react-query";
import { createRouter } from "@tanstack/react-router";
import { ApiError, whenUnauthenticated } from "./api/client.ts";
import { keys } from "./api/queries.ts";
import { ErrorNote } from "./components/ErrorNote.tsx";
import { routeTree } from "./routeTree.ts";

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal (4xx) will not change by asking again; an outage or a network error might.
      retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 3,
      staleTime: 10_000,
    },
  },
});

export const router = createRouter({
  routeTree,
  context: { queryClient },
  defaultPreload: "intent",
  // The queries hold the data; the router only decides when to load it.
  defaultPreloadStaleTime: 0,
  scrollRestoration: true,
  defaultErrorComponent: ({ error }) => (
    <div className="page">
      <ErrorNote error={error} />
    </div>
  ),
  defaultPendingComponent: () => (
    <p className="page" aria-busy="true">
      Loading…
    </p>
  ),
});

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}

whenUnauthenticated(() => {
  queryClient.setQueryData(keys.session, null);
  const { pathname, href } = router.state.location;
  if (pathname !== "/sign-in") void router.navigate({ to: "/sign-in", search: { redirect: href } });
});
