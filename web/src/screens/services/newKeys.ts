/**
 * A key just made, held until its service's page shows it: the secret is answered only once (by
 * POST /services or POST …/integration-keys), so it lives in memory for that one showing and is
 * gone after a reload, like a new API token.
 */
import type { CreatedKey } from "../../api/services.ts";

const waiting = new Map<number, CreatedKey>();

export function holdNewKey(key: CreatedKey): void {
  waiting.set(key.serviceId, key);
}

/** The key waiting for this service, taken (a second call gets nothing). */
export function takeNewKey(serviceId: number): CreatedKey | null {
  const key = waiting.get(serviceId) ?? null;
  waiting.delete(serviceId);
  return key;
}
