/** Pure helpers for the alerts screen: open alerts grouped by service, newest first. */
import type { Alert } from "../api/alerts.ts";

export type ServiceGroup = { serviceId: number; service: string; alerts: Alert[]; firing: number };

const newest = (a: Alert, b: Alert) => Date.parse(b.firstSeenAt) - Date.parse(a.firstSeenAt) || b.id - a.id;

/**
 * Firing and acknowledged alerts by service: within a service the newest first, and the services
 * in the order of their newest alert. Resolved alerts are left out.
 */
export function groupByService(alerts: Alert[]): ServiceGroup[] {
  const groups = new Map<number, ServiceGroup>();
  for (const a of [...alerts].sort(newest)) {
    if (a.status === "resolved") continue;
    let g = groups.get(a.serviceId);
    if (!g) {
      g = { serviceId: a.serviceId, service: a.service, alerts: [], firing: 0 };
      groups.set(a.serviceId, g);
    }
    g.alerts.push(a);
    if (a.status === "firing") g.firing += 1;
  }
  return [...groups.values()];
}

/** What sent the alert: the sender's own source when it named one ("prometheus via events"). */
export function alertSource(a: Pick<Alert, "source" | "details">): string {
  const own = a.details.source;
  return typeof own === "string" && own.trim() !== "" && own !== a.source
    ? `${own} via ${a.source}`
    : a.source;
}

/** The words for an alert's status. */
export const alertStatusLabel: Record<Alert["status"], string> = {
  firing: "Firing",
  acknowledged: "Acknowledged",
  resolved: "Resolved",
};
