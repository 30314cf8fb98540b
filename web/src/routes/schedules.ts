import { createRoute, lazyRouteComponent } from "@tanstack/react-router";
import { appRoute } from "./app.tsx";
import { numericId } from "./params.ts";

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
  params: numericId,
  component: lazyRouteComponent(() => import("../screens/schedules/ScheduleEditor.tsx"), "EditSchedule"),
});
