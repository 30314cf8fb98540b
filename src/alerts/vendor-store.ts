/**
 * SQL for the drop-in alert APIs (Opsgenie, Grafana OnCall, Events v1): finding the alert a
 * vendor's identifier names, and the Opsgenie request outcomes its senders read back.
 */
import type { Kysely } from "kysely";
import type { AlertDb } from "./store.ts";
import * as store from "./store.ts";

export interface VendorTables {
  alert_api_requests: {
    request_id: string;
    key_id: number;
    action: string;
    success: boolean;
    status: string;
    alert_id: number | null;
    alias: string;
    processed_at: Date;
  };
}
export type RequestRow = VendorTables["alert_api_requests"];
type VendorDb = Kysely<VendorTables>;
const vendor = (db: AlertDb) => db as unknown as VendorDb;

/** A service's alert by its dedup key (an Opsgenie alias, an Events v1 incident key). */
export async function alertByKey(db: AlertDb, serviceId: number, dedupKey: string) {
  const row = await db
    .selectFrom("alerts")
    .select("id")
    .where("service_id", "=", serviceId)
    .where("dedup_key", "=", dedupKey)
    .executeTakeFirst();
  return row ? store.getAlert(db, row.id) : undefined;
}

/** How long a request's outcome can be read back. */
export const REQUEST_RETENTION_MS = 7 * 24 * 3600_000;

/** Records an outcome, and drops the key's outcomes older than the retention (so the table stays small). */
export async function insertRequest(db: AlertDb, r: RequestRow): Promise<void> {
  await vendor(db).insertInto("alert_api_requests").values(r).execute();
  await vendor(db)
    .deleteFrom("alert_api_requests")
    .where("key_id", "=", r.key_id)
    .where("processed_at", "<", new Date(r.processed_at.getTime() - REQUEST_RETENTION_MS))
    .execute();
}

/** A request's outcome, only for the integration key that made it. */
export const getRequest = (db: AlertDb, keyId: number, requestId: string) =>
  vendor(db)
    .selectFrom("alert_api_requests")
    .selectAll()
    .where("request_id", "=", requestId)
    .where("key_id", "=", keyId)
    .executeTakeFirst();
