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

  /** The internal service, made the first time it is needed. */
  async function service(): Promise<number> {
    if (serviceId !== undefined) return serviceId;
    const find = () =>
      deps.db
        .selectFrom("services")
        .select("id")
        .where("name", "=", SELF_MONITORING_SERVICE)
        .executeTakeFirst();
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
