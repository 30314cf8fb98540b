import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";

/** `person`: the id of the person whose panel is open; absent, only the list. */
export type PeopleSearch = { person?: number };

export function validatePeopleSearch(raw: Record<string, unknown>): PeopleSearch {
  const person = Number(raw.person);
  return Number.isSafeInteger(person) && person > 0 ? { person } : {};
}

export const peopleRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/people",
  validateSearch: validatePeopleSearch,
  // Listed in the navigation for admins only; anyone else opening it is told so.
  staticData: { nav: { label: "People", order: 85 }, minRole: "admin" },
  component: lazyRouteComponent(() => import("../screens/people/People.tsx"), "People"),
});
