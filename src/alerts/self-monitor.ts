/**
 * Firebreak watching itself: problems Firebreak finds in its own paging (a contact method that keeps
 * failing) are alerts on an internal service, "Firebreak self-monitoring", raised through the alert
 * service's own intake. So they show on the Alerts screen, group into an incident and page the
 * service's escalation policy like any alert (by default the handbook's "Engineer On Call"; an
 * admin may point the service at another policy). Each problem has a dedup key, so it is one alert
 * however often it is seen, resolved when the problem is gone.
 */
import type { AlertService } from "./service.ts";
import type { AlertDb } from "./store.ts";

export const SELF_MONITORING_SERVICE = "Firebreak self-monitoring";

export function createSelfMonitor(deps: {
  db: AlertDb;
  alerts: Pick<AlertService, "createService" | "intake">;
}) {
  let serviceId: number | undefined;
  const find = () =>
    deps.db
      .selectFrom("services")
      .select("id")
      .where("name", "=", SELF_MONITORING_SERVICE)
      .executeTakeFirst();

  /** The internal service, made the first time it is needed. */
  async function service(): Promise<number> {
    if (serviceId !== undefined) return serviceId;
    let found = await find();
    if (!found) {
      try {
        const made = await deps.alerts.createService({
          name: SELF_MONITORING_SERVICE,
          description: "Firebreak's own alerts about its paging: channels that keep failing.",
        });
        found = { id: made.service.id };
      } catch (err) {
        found = await find(); // another replica made it first
        if (!found) throw err;
      }
    }
    serviceId = found.id;
    return serviceId;
  }

  return {
    service,
    /** Raises (or keeps raised) the one alert for `dedupKey`. */
    async raise(dedupKey: string, summary: string, details: Record<string, unknown>) {
      await deps.alerts.intake([
        {
          serviceId: await service(),
          event: { dedupKey, action: "trigger", source: "firebreak", summary, severity: "critical", details },
        },
      ]);
    },
    /** Whether the alert for `dedupKey` is open (firing or acknowledged). */
    async isOpen(dedupKey: string): Promise<boolean> {
      const id = serviceId ?? (await find())?.id; // not made here: no service, no alert
      if (id === undefined) return false;
      const row = await deps.db
        .selectFrom("alerts")
        .select("id")
        .where("service_id", "=", id)
        .where("dedup_key", "=", dedupKey)
        .where("status", "<>", "resolved")
        .executeTakeFirst();
      return row !== undefined;
    },
    /** Resolves the alert for `dedupKey` (nothing when there is none). */
    async clear(dedupKey: string) {
      await deps.alerts.intake([
        {
          serviceId: await service(),
          event: {
            dedupKey,
            action: "resolve",
            source: "firebreak",
            summary: "",
            severity: "critical",
            details: {},
          },
        },
      ]);
    },
  };
}

export type SelfMonitor = ReturnType<typeof createSelfMonitor>;
