/**
 * Alerts' reads and writes: open alerts, services, acknowledging and resolving. No stream exists
 * for alerts, so the screen re-reads on focus and on a timer. Types come from the server's schemas.
 */
import { queryOptions } from "@tanstack/react-query";
import type { AlertView, ServiceView } from "../../../src/alerts/schemas.ts";
import { api, withQuery } from "./client.ts";

export type Alert = AlertView;
export type Service = ServiceView;

/** How often the alerts screen re-reads what it shows. */
export const ALERTS_REFRESH_MS = 15_000;

export const alertKeys = {
  open: ["alerts", "open"] as const,
  services: ["services"] as const,
};

export const openAlertsQuery = queryOptions({
  queryKey: alertKeys.open,
  queryFn: async () =>
    (
      await api<{ alerts: Alert[] }>(
        "GET",
        withQuery("/alerts", { status: "firing,acknowledged", limit: 500 }),
      )
    ).alerts,
});

export const servicesQuery = queryOptions({
  queryKey: alertKeys.services,
  queryFn: async () => (await api<{ services: Service[] }>("GET", "/services")).services,
  staleTime: 60_000,
});

export const setAlertStatus = (id: number, action: "acknowledge" | "resolve") =>
  api<Alert>("POST", `/alerts/${id}/${action}`);
