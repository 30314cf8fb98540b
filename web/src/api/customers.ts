/**
 * Customer incidents (COMM-6): the customer directory, the customers an incident affects, the
 * mass updates sent to them, and the COMM-5 briefings. Types come from the server's schemas
 * (types only, erased from the bundle).
 */
import { queryOptions } from "@tanstack/react-query";
import type {
  AffectedCustomerView,
  BriefingView,
  CustomerUpdateView,
  CustomerView,
} from "../../../src/customers/routes.ts";
import { api } from "./client.ts";

export type Customer = CustomerView;
export type AffectedCustomer = AffectedCustomerView;
export type CustomerUpdate = CustomerUpdateView;
export type Briefing = BriefingView;
export type UpdateSent = {
  id: number;
  sent: number;
  emails: number;
  customers: string[];
  nextUpdateAt: string;
};

export const customerKeys = {
  directory: ["customers"] as const,
  // Under the incident's key: the live stream's refresh of the incident refreshes these too.
  affected: (id: number) => ["incident", id, "customers"] as const,
  updates: (id: number) => ["incident", id, "customer-updates"] as const,
  briefing: (id: number, template: string) => ["incident", id, "briefing", template] as const,
};

export const customersQuery = queryOptions({
  queryKey: customerKeys.directory,
  queryFn: () => api<{ customers: Customer[] }>("GET", "/customers"),
});

export const affectedQuery = (id: number) =>
  queryOptions({
    queryKey: customerKeys.affected(id),
    queryFn: () => api<{ customers: AffectedCustomer[] }>("GET", `/incidents/${id}/customers`),
  });

export const customerUpdatesQuery = (id: number) =>
  queryOptions({
    queryKey: customerKeys.updates(id),
    queryFn: () => api<{ updates: CustomerUpdate[] }>("GET", `/incidents/${id}/customer-updates`),
  });

export const briefingQuery = (id: number, template: string) =>
  queryOptions({
    queryKey: customerKeys.briefing(id, template),
    queryFn: () => api<Briefing>("GET", `/incidents/${id}/briefings/${encodeURIComponent(template)}`),
  });

export const saveCustomer = (body: { name: string; contacts: string[] }) =>
  api<Customer>("POST", "/customers", body);

export const addAffected = (id: number, body: { name: string; ticket: string; contacts?: string[] }) =>
  api<AffectedCustomer>("POST", `/incidents/${id}/customers`, body);

export const removeAffected = (id: number, name: string) =>
  api<{ customers: AffectedCustomer[] }>(
    "DELETE",
    `/incidents/${id}/customers?name=${encodeURIComponent(name)}`,
  );

export const sendCustomerUpdate = (id: number, body: { body: string; nextUpdateInMinutes: number }) =>
  api<UpdateSent>("POST", `/incidents/${id}/customer-updates`, body);

export const sendBriefing = (id: number, template: string) =>
  api<Briefing & { sentTo: string[]; reached: number }>(
    "POST",
    `/incidents/${id}/briefings/${encodeURIComponent(template)}`,
  );

/** "a@x.example, b@y.example" → the addresses, for the forms' one text field. */
export const splitContacts = (text: string): string[] =>
  text
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
