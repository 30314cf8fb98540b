/**
 * Source silence: an integration key may carry `silenceMinutes`. When no event has arrived on the
 * key for that long, one alert "no alerts from <service>/<key> for N minutes" is raised on the key's
 * service (deduplicated by the key, so it pages like a heartbeat's), resolved by the key's next event.
 *
 * Cheap on the intake path: an event only writes the key's `last_event_at`, at most every 30 s per
 * replica, unless the key was silent. One durable timer per key (`source-silence:<keyId>`) checks
 * the deadline; it re-arms itself to the latest event's deadline, so events never touch the job table.
 */
import type { Clock } from "../platform/clock.ts";
import type { Jobs } from "../platform/jobs.ts";
import type { Logger } from "../platform/logger.ts";
import type { AlertEvent } from "./model.ts";
import type { AlertDb } from "./store.ts";
import * as store from "./store.ts";

const WRITE_EVERY_MS = 30_000;
export const silenceTimerKey = (keyId: number) => `source-silence:${keyId}`;
export const silenceDedupKey = (keyId: number) => `source-silence:${keyId}`;

export function createSourceSilence(deps: {
  db: AlertDb;
  clock: Clock;
  jobs: Jobs;
  log?: Logger;
  submit: (items: { serviceId: number; event: AlertEvent }[]) => Promise<unknown>;
}) {
  const { db, clock, jobs } = deps;
  const written = new Map<number, number>();

  const resolveEvent = (keyId: number): AlertEvent => ({
    dedupKey: silenceDedupKey(keyId),
    action: "resolve",
    source: "firebreak",
    summary: "",
    severity: "critical",
    details: {},
  });

  async function arm(tx: AlertDb, keyId: number, at: Date) {
    await jobs.add(tx, "source-silence.check", { keyId }, { runAt: at, key: silenceTimerKey(keyId) });
  }

  async function check(payload: Record<string, unknown>) {
    const keyId = Number(payload.keyId);
    const k = await store.getKeyWithService(db, keyId);
    if (!k?.silence_minutes || k.silent_at) return; // revoked, no rule, or already alerted
    const now = clock.now();
    const quietSince = Math.max(k.last_event_at?.getTime() ?? 0, k.silence_since?.getTime() ?? 0);
    const deadline = quietSince + k.silence_minutes * 60_000;
    if (now.getTime() < deadline) return arm(db, keyId, new Date(deadline)); // heard from meanwhile
    if (!(await store.markKeySilent(db, keyId, now))) return;
    await deps.submit([
      {
        serviceId: k.service_id,
        event: {
          dedupKey: silenceDedupKey(keyId),
          action: "trigger",
          source: "firebreak",
          summary: `No alerts from ${k.service_name}/${k.name} for ${k.silence_minutes} minutes`,
          severity: "critical",
          details: {
            integrationKeyId: keyId,
            silenceMinutes: k.silence_minutes,
            lastEventAt: k.last_event_at?.toISOString() ?? null,
          },
        },
      },
    ]);
  }

  return {
    register() {
      jobs.register("source-silence.check", check);
    },

    /** Sets (or, with null, removes) a key's silence rule; its timer starts now. */
    async setSilence(serviceId: number, keyId: number, minutes: number | null) {
      const now = clock.now();
      const updated = await db.transaction().execute(async (tx) => {
        const r = await store.setKeySilence(tx, serviceId, keyId, minutes, now);
        if (!r) return r;
        if (minutes === null) await jobs.remove(tx, silenceTimerKey(keyId));
        else await arm(tx, keyId, new Date(now.getTime() + minutes * 60_000));
        return r;
      });
      if (updated && minutes === null && updated.silent_at) {
        await store.keyHeardFrom(db, keyId, now); // no rule, no silence
        await deps.submit([{ serviceId, event: resolveEvent(keyId) }]);
      }
      return updated !== undefined;
    },

    /** An event (or ping) arrived on the key. */
    async heardFrom(keyId: number, serviceId: number) {
      const now = clock.now();
      const last = written.get(keyId);
      if (last !== undefined && now.getTime() - last < WRITE_EVERY_MS && now.getTime() >= last) return;
      written.set(keyId, now.getTime());
      if (written.size > 10_000) written.clear();
      try {
        const { wasSilent } = await store.keyHeardFrom(db, keyId, now);
        if (!wasSilent) return;
        const k = await store.getKeyWithService(db, keyId);
        if (k?.silence_minutes) await arm(db, keyId, new Date(now.getTime() + k.silence_minutes * 60_000));
        await deps.submit([{ serviceId, event: resolveEvent(keyId) }]);
      } catch (err) {
        deps.log?.warn({ integrationKey: keyId, err }, "could not record an integration key's event time");
      }
    },
  };
}

export type SourceSilence = ReturnType<typeof createSourceSilence>;
