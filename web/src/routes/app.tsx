/**
 * Every screen behind sign-in. Without a session the person is sent to sign in, and comes back
 * here afterwards. The policy is loaded once for all screens (severities, types, roles).
 */
import { createRoute, redirect } from "@tanstack/react-router";
import { policyQuery, sessionQuery } from "../api/queries.ts";
import { Shell } from "../components/Shell.tsx";
import { rootRoute } from "./root.tsx";

export const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: "app",
  beforeLoad: async ({ context, location }) => {
    const session = await context.queryClient.ensureQueryData(sessionQuery);
    if (!session) throw redirect({ to: "/sign-in", search: { redirect: location.href } });
    return { me: session.user };
  },
  loader: ({ context }) => context.queryClient.ensureQueryData(policyQuery),
  component: Shell,
});
