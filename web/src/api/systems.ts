/**
 * Support operations (PAGE-8, REV-2): the systems catalogue with each system's criticality, and
 * the systems an incident touches with its criticality and escalation. Types come from the
 * server's schemas (types only, erased from the bundle).
 */
import { queryOptions } from "@tanstack/react-query";
import type {
  CriticalityView,
  IncidentSystemsView,
  SupportSettingsView,
  SystemView,
} from "../../../src/support/routes.ts";
import { api } from "./client.ts";

export type System = SystemView;
export type Criticality = CriticalityView;
export type IncidentSystems = IncidentSystemsView;
export type SupportSettings = SupportSettingsView;

export const systemKeys = {
  all: ["systems"] as const,
  settings: ["support-settings"] as const,
  // Under the incident's key: the live stream's refresh of the incident refreshes this too.
  incident: (id: number) => ["incident", id, "systems"] as const,
};

export const systemsQuery = queryOptions({
  queryKey: systemKeys.all,
  queryFn: () => api<{ systems: System[]; criticalities: Criticality[] }>("GET", "/systems"),
});

export const supportSettingsQuery = queryOptions({
  queryKey: systemKeys.settings,
  queryFn: () => api<SupportSettings>("GET", "/support/settings"),
});

export const incidentSystemsQuery = (id: number) =>
  queryOptions({
    queryKey: systemKeys.incident(id),
    queryFn: () => api<IncidentSystems>("GET", `/incidents/${id}/systems`),
  });

export const createSystem = (body: { name: string; criticality: string }) =>
  api<System>("POST", "/systems", body);

export const rateSystem = (id: number, criticality: string) =>
  api<System>("PATCH", `/systems/${id}`, { criticality });

export const setIncidentSystems = (id: number, systems: number[]) =>
  api<IncidentSystems>("PUT", `/incidents/${id}/systems`, { systems });

export const updateSupportSettings = (body: Partial<SupportSettings>) =>
  api<SupportSettings>("PUT", "/support/settings", body);
