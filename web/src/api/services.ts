/**
 * Services and their integrations: the service itself, integration keys (a new key is answered
 * once), heartbeats, maintenance windows, the service's last alerts and where senders post.
 * Types come from the server's schemas (types only, erased from the bundle).
 */
import { queryOptions } from "@tanstack/react-query";
import type { IntakeEndpointsView } from "../../../src/alerts/routes.ts";
import type { Alert, Service } from "./alerts.ts";
import { api, withQuery } from "./client.ts";

export type { Alert, Service };
export type IntakeEndpoints = IntakeEndpointsView;
export type IntegrationKey = {
  id: number;
  serviceId: number;
  name: string;
  keyHint: string;
  mapping: {
    summary: string;
    dedupKey: string;
    severity?: string;
    resolveWhen?: { field: string; equals: string[] };
  } | null;
  createdAt: string;
  /** Source silence: one alert when nothing arrives on the key for this many minutes; null: off. */
  silenceMinutes: number | null;
  lastEventAt: string | null;
};
/** A key as made: the secret itself, shown only this once. */
export type CreatedKey = IntegrationKey & { integrationKey: string };
export type Heartbeat = {
  id: number;
  serviceId: number;
  name: string;
  intervalMinutes: number;
  lastPingAt: string | null;
};
export type MaintenanceWindow = { id: number; serviceId: number; start: string; end: string; reason: string };

/** What a form sends to create or change a service. */
export type ServiceFields = {
  name: string;
  description?: string;
  escalationPolicyId?: number;
  groupingWindowMinutes?: number;
};

export const serviceKeys = {
  all: ["services"] as const,
  one: (id: number) => ["services", id] as const,
  keys: (id: number) => ["services", id, "keys"] as const,
  heartbeats: (id: number) => ["services", id, "heartbeats"] as const,
  maintenance: (id: number) => ["services", id, "maintenance"] as const,
  alerts: (id: number) => ["services", id, "alerts"] as const,
  endpoints: ["intake-endpoints"] as const,
};

/** How many of a service's alerts its page shows, newest first. */
export const LAST_ALERTS = 20;

export const serviceQuery = (id: number) =>
  queryOptions({
    queryKey: serviceKeys.one(id),
    queryFn: () => api<Service>("GET", `/services/${id}`),
  });

export const keysQuery = (id: number) =>
  queryOptions({
    queryKey: serviceKeys.keys(id),
    queryFn: async () =>
      (await api<{ keys: IntegrationKey[] }>("GET", `/services/${id}/integration-keys`)).keys,
  });

export const heartbeatsQuery = (id: number) =>
  queryOptions({
    queryKey: serviceKeys.heartbeats(id),
    queryFn: async () =>
      (await api<{ heartbeats: Heartbeat[] }>("GET", `/services/${id}/heartbeats`)).heartbeats,
  });

export const maintenanceQuery = (id: number) =>
  queryOptions({
    queryKey: serviceKeys.maintenance(id),
    queryFn: async () =>
      (await api<{ windows: MaintenanceWindow[] }>("GET", `/services/${id}/maintenance`)).windows,
  });

export const serviceAlertsQuery = (id: number) =>
  queryOptions({
    queryKey: serviceKeys.alerts(id),
    queryFn: async () =>
      (await api<{ alerts: Alert[] }>("GET", withQuery("/alerts", { service: id, limit: LAST_ALERTS })))
        .alerts,
    // No stream for alerts: re-read while the page is open.
    refetchInterval: 15_000,
  });

export const endpointsQuery = queryOptions({
  queryKey: serviceKeys.endpoints,
  queryFn: () => api<IntakeEndpoints>("GET", "/intake-endpoints"),
  staleTime: Number.POSITIVE_INFINITY,
});

export const createService = (body: ServiceFields) =>
  api<Service & { integrationKey: string }>("POST", "/services", body);
export const updateService = (id: number, body: Partial<ServiceFields>) =>
  api<Service>("PATCH", `/services/${id}`, body);
export const deleteService = (id: number) => api<void>("DELETE", `/services/${id}`);

export const createKey = (serviceId: number, name: string, silenceMinutes?: number) =>
  api<CreatedKey>("POST", `/services/${serviceId}/integration-keys`, {
    name,
    ...(silenceMinutes === undefined ? {} : { silenceMinutes }),
  });
export const setKeySilence = (serviceId: number, keyId: number, silenceMinutes: number | null) =>
  api<void>("PATCH", `/services/${serviceId}/integration-keys/${keyId}`, { silenceMinutes });
export const revokeKey = (serviceId: number, keyId: number) =>
  api<void>("DELETE", `/services/${serviceId}/integration-keys/${keyId}`);

export const createHeartbeat = (serviceId: number, body: { name: string; intervalMinutes: number }) =>
  api<Heartbeat>("POST", `/services/${serviceId}/heartbeats`, body);
export const deleteHeartbeat = (serviceId: number, heartbeatId: number) =>
  api<void>("DELETE", `/services/${serviceId}/heartbeats/${heartbeatId}`);

export const addMaintenance = (serviceId: number, body: { start: string; end: string; reason?: string }) =>
  api<MaintenanceWindow>("POST", `/services/${serviceId}/maintenance`, body);
export const endMaintenance = (serviceId: number, windowId: number) =>
  api<void>("DELETE", `/services/${serviceId}/maintenance/${windowId}`);
