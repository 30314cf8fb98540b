import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";
import { numericId } from "./params.ts";

/** The list of escalation policies, with who each notifies first. */
export const escalationPoliciesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/escalation-policies",
  staticData: { nav: { label: "Escalation", order: 27 } },
  component: lazyRouteComponent(() => import("../screens/policies/PolicyList.tsx"), "PolicyList"),
});

/** A new policy: the editor, empty. */
export const newEscalationPolicyRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/escalation-policies/new",
  component: lazyRouteComponent(() => import("../screens/policies/PolicyEditor.tsx"), "NewPolicy"),
});

/** One policy in the editor (read-only when the policy file defines it). */
export const escalationPolicyRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/escalation-policies/$id",
  params: numericId,
  component: lazyRouteComponent(() => import("../screens/policies/PolicyEditor.tsx"), "EditPolicy"),
});
