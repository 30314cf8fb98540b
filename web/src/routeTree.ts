/**
 * Every screen of the app. A new screen is one route file in routes/ (its path, its search
 * params, `staticData.nav` to appear in the top navigation, and its lazily loaded screen) plus its
 * line here.
 */
import { alertsRoute } from "./routes/alerts.ts";
import { appRoute } from "./routes/app.tsx";
import { auditRoute } from "./routes/audit.ts";
import { customersRoute } from "./routes/customers.ts";
import { declareRoute } from "./routes/declare.ts";
import {
  escalationPoliciesRoute,
  escalationPolicyRoute,
  newEscalationPolicyRoute,
} from "./routes/escalation-policies.ts";
import { firstRunRoute } from "./routes/first-run.ts";
import { homeRoute } from "./routes/home.ts";
import { incidentRoute } from "./routes/incident.ts";
import { incidentsRoute } from "./routes/incidents.ts";
import { insightsRoute } from "./routes/insights.ts";
import { oncallRoute } from "./routes/oncall.ts";
import { peopleRoute } from "./routes/people.ts";
import { profileRoute } from "./routes/profile.ts";
import { reviewRoute } from "./routes/review.ts";
import { rootRoute } from "./routes/root.tsx";
import { newScheduleRoute, scheduleRoute, schedulesRoute } from "./routes/schedules.ts";
import { serviceRoute, servicesRoute } from "./routes/services.ts";
import { signInRoute } from "./routes/sign-in.tsx";
import { statusAdminRoute } from "./routes/status-admin.ts";
import { systemsRoute } from "./routes/systems.ts";
import { tokensRoute } from "./routes/tokens.ts";

export const routeTree = rootRoute.addChildren([
  signInRoute,
  appRoute.addChildren([
    homeRoute,
    incidentsRoute,
    declareRoute,
    incidentRoute,
    reviewRoute,
    oncallRoute,
    schedulesRoute,
    newScheduleRoute,
    scheduleRoute,
    escalationPoliciesRoute,
    newEscalationPolicyRoute,
    escalationPolicyRoute,
    alertsRoute,
    insightsRoute,
    servicesRoute,
    serviceRoute,
    systemsRoute,
    customersRoute,
    statusAdminRoute,
    tokensRoute,
    auditRoute,
    peopleRoute,
    profileRoute,
    firstRunRoute,
  ]),
]);
