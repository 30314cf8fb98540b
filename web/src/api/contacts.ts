/**
 * Your contact methods, notification rules, test notifications and web app preferences. Types come
 * from the server's schemas (types only, erased from the bundle).
 */
import { queryOptions } from "@tanstack/react-query";
import type {
  ContactMethodView,
  ContactTestView,
  NotificationRuleView,
} from "../../../src/paging/contact-routes.ts";
import type { PreferencesView } from "../../../src/users/preferences.ts";
import { api } from "./client.ts";

export type ContactMethod = ContactMethodView;
export type ContactKind = ContactMethod["kind"];
export type ContactTest = ContactTestView;
export type NotificationRule = NotificationRuleView;
export type Preferences = PreferencesView;
/** `accessToken`: an ntfy access token (ntfy only), shown back only masked. */
export type NewContactMethod = { kind: ContactKind; label: string; address: string; accessToken?: string };
export type NewRule = { contactMethodId: number; urgency: "high" | "low"; delayMinutes: number };

export const contactKeys = {
  methods: ["me", "contact-methods"] as const,
  rules: ["me", "notification-rules"] as const,
  preferences: ["me", "preferences"] as const,
};

export const contactMethodsQuery = queryOptions({
  queryKey: contactKeys.methods,
  queryFn: async () =>
    (await api<{ contactMethods: ContactMethod[] }>("GET", "/me/contact-methods")).contactMethods,
});

export const rulesQuery = queryOptions({
  queryKey: contactKeys.rules,
  queryFn: async () => (await api<{ rules: NotificationRule[] }>("GET", "/me/notification-rules")).rules,
});

export const preferencesQuery = queryOptions({
  queryKey: contactKeys.preferences,
  queryFn: () => api<Preferences>("GET", "/me/preferences"),
  staleTime: 5 * 60_000,
});

export const addContactMethod = (body: NewContactMethod) =>
  api<ContactMethod>("POST", "/me/contact-methods", body);
export const deleteContactMethod = (id: number) => api<void>("DELETE", `/me/contact-methods/${id}`);
/** Sends a test now; `pending` when the channel is slower than the server's deadline. */
export const sendTest = (id: number) => api<ContactTest>("POST", `/me/contact-methods/${id}/test`);
export const readTest = (id: number, testId: number) =>
  api<ContactTest>("GET", `/me/contact-methods/${id}/test/${testId}`);
export const addRule = (body: NewRule) => api<NotificationRule>("POST", "/me/notification-rules", body);
export const deleteRule = (id: number) => api<void>("DELETE", `/me/notification-rules/${id}`);
export const setPreferences = (body: Partial<Preferences>) =>
  api<Preferences>("PUT", "/me/preferences", body);
/** Verifies an SMS, voice or ntfy method with the code sent to it. */
export const verifyContactMethod = (id: number, code: string) =>
  api<ContactMethod>("POST", `/me/contact-methods/${id}/verify`, { code });
/** Sends a new code (the earlier one stops working); at most one a minute per method. */
export const resendVerificationCode = (id: number) =>
  api<ContactMethod>("POST", `/me/contact-methods/${id}/verification-code`);
