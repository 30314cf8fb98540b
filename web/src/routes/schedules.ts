import { createRoute, lazyRouteComponent, notFound } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";

/**
 * Schedules: the list (`/schedules`), a new one (`/schedules/new`) and one being edited
 * (`/schedules/$id`), beside the on-call screen (which shows them, this edits them).
 */
export const schedulesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/schedules",
  staticData: { nav: { label: "Schedules", order: 25 } },
  component: lazyRouteComponent(() => import("../screens/schedules/Schedules.tsx"), "Schedules"),
});

export const newScheduleRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/schedules/new",
  component: lazyRouteComponent(() => import("../screens/schedules/ScheduleEditor.tsx"), "NewSchedule"),
});

export const scheduleRoute = createRoute({
  getParentRoute: () => appRoute,
  path: "/schedules/$id",
  params: {
    parse: ({ id }) => {
      const n = Number(id);
      if (!Number.isSafeInteger(n) || n <= 0) throw notFound();
      return { id: n };
    },
    stringify: ({ id }) => ({ id: String(id) }),
  },
  component: lazyRouteComponent(() => import("../screens/schedules/ScheduleEditor.tsx"), "EditSchedule"),
});
